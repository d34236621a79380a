/// Calibration observers: they watch float tensors flowing through a layer and choose int8
/// quantization parameters for them.
///  - `.minMax`: running min and max over every batch seen.
///  - `.movingAverage(c)`: min/max as exponential moving averages of each batch's min/max
///    (first batch sets them; PyTorch's MovingAverageMinMaxObserver, averaging constant c = 0.01).
///  - `.percentile(p)`: a histogram of the values (2048 bins over the running range, re-binned when
///    the range grows); the range is clipped to the (100 - p)% / p% percentiles, ignoring outliers.
/// Per-channel observers (dim 0 = channel after moving it first) keep one min/max per channel.
public final class QuantObserver: @unchecked Sendable {
    public enum Kind: Sendable, Equatable {
        case minMax
        case movingAverage(Double)
        case percentile(Double)
    }

    public let kind: Kind
    /// Channel dim of per-channel observation (nil: per tensor).
    public let channelDim: Int?
    public private(set) var mins: [Double] = []
    public private(set) var maxs: [Double] = []
    public private(set) var batches = 0
    /// Histogram (percentile observer): counts over [histLow, histHigh] in equal bins.
    public private(set) var histogram: [Double] = []
    public private(set) var histLow = 0.0
    public private(set) var histHigh = 0.0
    public static let bins = 2048

    public init(kind: Kind, channelDim: Int? = nil) throws {
        switch kind {
        case .movingAverage(let c) where !(c > 0 && c <= 1):
            throw EngineError("observer", "averaging constant must be in (0, 1]; got \(c)")
        case .percentile(let p) where !(p > 50 && p <= 100):
            throw EngineError("observer", "percentile must be in (50, 100]; got \(p)")
        case .percentile where channelDim != nil:
            throw EngineError("observer", "the percentile observer is per tensor only")
        default: break
        }
        self.kind = kind
        self.channelDim = channelDim
    }

    /// Folds one batch into the statistics.
    public func update(_ x: Tensor) throws {
        let op = "observer"
        guard x.dtype.isFloatingPoint else { throw EngineError(op, "expected a float tensor; got \(x.dtype)") }
        guard x.numel > 0 else { throw EngineError(op, "cannot observe an empty tensor \(shapeString(x.shape))") }
        var data = x.detach()
        var channels = 1
        if let d = channelDim {
            guard d >= 0 && d < x.rank else { throw EngineError(op, "channel dim \(d + 1) out of range for \(shapeString(x.shape))") }
            var order = Array(0..<x.rank); order.remove(at: d); order.insert(d, at: 0)
            data = try data.permute(order)
            channels = x.shape[d]
        }
        let values = try data.contiguous().to(.float64)
        let p = values.pointer(Double.self)
        let per = x.numel / channels
        var bmin = [Double](repeating: .infinity, count: channels), bmax = [Double](repeating: -.infinity, count: channels)
        for c in 0..<channels {
            for i in c * per..<(c + 1) * per where p[i].isFinite {
                bmin[c] = Swift.min(bmin[c], p[i])
                bmax[c] = Swift.max(bmax[c], p[i])
            }
            if bmin[c] > bmax[c] { throw EngineError(op, "batch has no finite values") }
        }
        if batches == 0 {
            mins = bmin; maxs = bmax
        } else {
            guard channels == mins.count else {
                throw EngineError(op, "channel count changed from \(mins.count) to \(channels)")
            }
            for c in 0..<channels {
                switch kind {
                case .movingAverage(let k):
                    mins[c] += k * (bmin[c] - mins[c])
                    maxs[c] += k * (bmax[c] - maxs[c])
                default:
                    mins[c] = Swift.min(mins[c], bmin[c])
                    maxs[c] = Swift.max(maxs[c], bmax[c])
                }
            }
        }
        batches += 1
        if case .percentile = kind { addToHistogram(p, count: x.numel) }
    }

    private func addToHistogram(_ p: UnsafeMutablePointer<Double>, count: Int) {
        let lo = mins[0], hi = maxs[0]
        if histogram.isEmpty || lo < histLow || hi > histHigh {
            // Re-bin the old counts (at their bin centres) into the grown range.
            let old = histogram, oldLow = histLow, oldWidth = (histHigh - histLow) / Double(Self.bins)
            histogram = [Double](repeating: 0, count: Self.bins)
            histLow = Swift.min(lo, old.isEmpty ? lo : oldLow)
            histHigh = Swift.max(hi, old.isEmpty ? hi : histHigh)
            for (b, n) in old.enumerated() where n > 0 { histogram[bin(oldLow + (Double(b) + 0.5) * oldWidth)] += n }
        }
        for i in 0..<count where p[i].isFinite { histogram[bin(p[i])] += 1 }
    }

    @inline(__always) private func bin(_ v: Double) -> Int {
        let width = histHigh - histLow
        if width <= 0 { return 0 }
        return Swift.min(Swift.max(Int((v - histLow) / width * Double(Self.bins)), 0), Self.bins - 1)
    }

    /// The observed range per channel: (min, max), clipped to the percentiles for `.percentile`.
    public func range() throws -> [(min: Double, max: Double)] {
        guard batches > 0 else { throw EngineError("observer", "no data observed (empty calibration set)") }
        guard case .percentile(let pct) = kind, !histogram.isEmpty else { return zip(mins, maxs).map { ($0, $1) } }
        let total = histogram.reduce(0, +)
        let tail = total * (100 - pct) / 100
        let width = (histHigh - histLow) / Double(Self.bins)
        var acc = 0.0, lowBin = 0
        while lowBin < Self.bins - 1 && acc + histogram[lowBin] <= tail { acc += histogram[lowBin]; lowBin += 1 }
        acc = 0
        var highBin = Self.bins - 1
        while highBin > lowBin && acc + histogram[highBin] <= tail { acc += histogram[highBin]; highBin -= 1 }
        return [(Swift.max(histLow + Double(lowBin) * width, mins[0]), Swift.min(histLow + Double(highBin + 1) * width, maxs[0]))]
    }

    /// Affine int8 parameters (activations) per channel or per tensor.
    public func affineParams() throws -> [QParams] {
        try range().map { try QParams.affine(min: $0.min, max: $0.max) }
    }

    /// Symmetric int8 parameters (weights).
    public func symmetricParams() throws -> [QParams] {
        try range().map { try QParams.symmetric(absMax: Swift.max(Swift.abs($0.min), Swift.abs($0.max))) }
    }
}
