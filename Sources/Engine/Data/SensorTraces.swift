#if canImport(Glibc)
import Glibc
#endif

public struct SensorTraceOptions: Sendable {
    public var count = 500
    public var length = 128
    public var channels = 6
    public var seed: UInt64 = 0
    /// Fraction of traces with an injected anomaly.
    public var anomalyRate = 0.1
    /// Standardize each channel (by the physical scale of that sensor) instead of raw units.
    public var normalize = false

    public init() {}
}

public struct SensorTraceSet {
    /// `(n, length, channels)` float32.
    public let traces: Tensor
    /// Anomaly kind of each trace, 0-based into `SensorTraces.kinds` (0 = normal).
    public let kind: [Int]
    /// The channel (0-based) an anomaly hit; -1 for normal traces.
    public let channel: [Int]
    /// `(n, length)` true at the timesteps an anomaly is active.
    public let stepLabels: Tensor
    public let channelNames: [String]
}

/// Multivariate traces of a test cell (thermal handler + tester power supply) running insertion
/// cycles: a periodic load drives DUT self-heating, supply droop, current and contact force;
/// the chamber follows its setpoint (sometimes a hot-test step) with a lag; humidity wanders
/// slowly. Anomalies: spikes (1–3 steps), drifts (a ramp to the end) and level shifts (a step
/// to the end), 3–8 sensor-σ large, on one channel, with per-trace and per-step labels.
public enum SensorTraces {
    static let op = "sensor_traces"

    public static let kinds = ["normal", "spike", "drift", "level_shift"]
    public static let names = ["chamber_temp", "dut_temp", "vdd", "idd", "contact_force", "vacuum", "humidity", "fan_rpm"]
    /// Typical level and variability of each named channel (for anomaly sizes and normalizing).
    static let scale: [(mean: Double, std: Double)] = [
        (45, 25), (50, 25), (0.8, 0.01), (0.8, 0.5), (20, 18), (-78, 2.5), (40, 3), (3400, 500),
    ]
    /// Size of one anomaly unit per channel: a few times the channel's step-to-step noise.
    static let anomalyUnit = [2.0, 2.5, 0.004, 0.08, 3, 1, 1.5, 60]

    public static func generate(_ o: SensorTraceOptions) throws -> SensorTraceSet {
        try DataCheck.range(op, "n", o.count, 1...10_000_000)
        try DataCheck.range(op, "length", o.length, 8...1_000_000)
        try DataCheck.range(op, "channels", o.channels, 1...64)
        try DataCheck.range(op, "anomaly_rate", o.anomalyRate, 0...1)
        try DataCheck.budget(op, o.count * o.length * o.channels, "the traces")
        let n = o.count, len = o.length, ch = o.channels
        var master = DataRNG(seed: o.seed)
        let anomalous = shuffledLabels(counts: exactCounts(total: n, proportions: [1 - o.anomalyRate, o.anomalyRate]),
                                       rng: &master)
        let traces = try Tensor(shape: [n, len, ch], dtype: .float32, op: op)
        let steps = try Tensor(shape: [n, len], dtype: .bool, op: op)
        let out = traces.pointer(Float.self), flags = steps.pointer(UInt8.self)
        var kind = [Int](repeating: 0, count: n), channel = [Int](repeating: -1, count: n)
        let channelScale = (0..<ch).map { $0 < scale.count ? scale[$0] : (0.0, 1.0) }
        let unit = (0..<ch).map { $0 < anomalyUnit.count ? anomalyUnit[$0] : 0.5 }
        kind.withUnsafeMutableBufferPointer { kindOut in
            channel.withUnsafeMutableBufferPointer { channelOut in
                Parallel.forRanges(count: n) { range in
                    var values = [Double](repeating: 0, count: len * ch)
                    for i in range where !Interrupt.isRequested {
                        var rng = DataRNG(seed: o.seed, stream: i)
                        trace(&values, length: len, channels: ch, rng: &rng)
                        if anomalous[i] == 1 {
                            let k = 1 + rng.int(3), c = rng.int(ch)
                            kindOut[i] = k; channelOut[i] = c
                            inject(k, channel: c, std: unit[c], into: &values, flags: flags + i * len,
                                   length: len, channels: ch, rng: &rng)
                        }
                        for t in 0..<len {
                            for c in 0..<ch {
                                var v = values[t * ch + c]
                                if o.normalize { v = (v - channelScale[c].0) / channelScale[c].1 }
                                out[(i * len + t) * ch + c] = Float(v)
                            }
                        }
                    }
                }
            }
        }
        try Interrupt.check(op)
        let channelNames = (0..<ch).map { $0 < names.count ? names[$0] : "aux\($0 + 1)" }
        return SensorTraceSet(traces: traces, kind: kind, channel: channel, stepLabels: steps, channelNames: channelNames)
    }

    /// One normal trace into `values` (row-major time × channel).
    static func trace(_ values: inout [Double], length len: Int, channels ch: Int, rng: inout DataRNG) {
        let period = Double(rng.int(in: 12...32)), duty = rng.uniform(0.45, 0.75), phase = rng.uniform(0, period)
        let hot = rng.bernoulli(0.35)
        let stepAt = rng.int(in: len / 8...max(len / 8, len / 2))
        let ambient = rng.uniform(23, 27), hotSet = rng.uniform(80, 90)
        let tau = rng.uniform(6, 14)
        var chamber = ambient, dut = ambient, humidity = rng.uniform(35, 45)
        var load = 0.0
        var ar = [Double](repeating: 0, count: ch)
        let extra = (0..<ch).map { _ in (rng.uniform(0.5, 2), rng.uniform(0, 2 * .pi), rng.uniform(16, 64)) }
        for t in 0..<len {
            let cycle = (Double(t) + phase).truncatingRemainder(dividingBy: period) / period
            let on = cycle < duty ? 1.0 : 0.0
            load += (on - load) * 0.6
            let setpoint = hot && t >= stepAt ? hotSet : ambient
            chamber += (setpoint - chamber) / tau + rng.normal(0, 0.15)
            dut += (chamber + 9 * load - dut) / 3 + rng.normal(0, 0.2)
            humidity += rng.normal(0, 0.15) + (40 - humidity) * 0.01
            for c in 0..<ch { ar[c] = 0.7 * ar[c] + rng.normal(0, 1) }
            for c in 0..<ch {
                let v: Double
                switch c {
                case 0: v = chamber
                case 1: v = dut
                case 2: v = 0.8 - 0.012 * load + 0.0015 * ar[c]
                case 3: v = 1.3 * load * (1 + 0.004 * (dut - 25)) + 0.05 + 0.02 * ar[c]
                case 4: v = 40 * on + 1.0 * ar[c]
                case 5: v = -80 + 4.5 * load + 0.3 * ar[c]
                case 6: v = humidity
                case 7: v = 3000 + 18 * (chamber - 25) + 15 * ar[c]
                default:
                    let (amp, ph, per) = extra[c]
                    v = amp * sin(2 * .pi * Double(t) / per + ph) + 0.5 * load + 0.2 * ar[c]
                }
                values[t * ch + c] = v
            }
        }
    }

    /// Adds anomaly `kind` on `channel` and marks its steps.
    static func inject(_ kind: Int, channel c: Int, std: Double, into values: inout [Double], flags: UnsafeMutablePointer<UInt8>,
                       length len: Int, channels ch: Int, rng: inout DataRNG) {
        let sign: Double = rng.bernoulli(0.5) ? 1 : -1
        switch kind {
        case 1:  // spike
            let width = rng.int(in: 1...3), at = rng.int(in: 2...max(2, len - width - 2))
            let size = sign * rng.uniform(4, 8) * std
            for t in at..<min(len, at + width) { values[t * ch + c] += size; flags[t] = 1 }
        case 2:  // drift: a ramp from `start` to the end
            let start = rng.int(in: len / 4...max(len / 4, len * 3 / 4))
            let size = sign * rng.uniform(3, 6) * std
            for t in start..<len {
                values[t * ch + c] += size * Double(t - start + 1) / Double(len - start)
                flags[t] = 1
            }
        default:  // level shift
            let start = rng.int(in: len / 4...max(len / 4, len * 3 / 4))
            let size = sign * rng.uniform(3, 6) * std
            for t in start..<len { values[t * ch + c] += size; flags[t] = 1 }
        }
    }
}
