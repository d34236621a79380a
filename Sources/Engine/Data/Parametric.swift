#if canImport(Glibc)
import Glibc
#endif

public struct ParametricOptions: Sendable {
    /// Number of devices.
    public var count = 1000
    public var seed: UInt64 = 0
    /// Devices spread over this many sites/fabs (ids 1...sites), each with its own distribution.
    public var sites = 1
    /// The fab (1-based) whose distribution all devices follow when `sites` is 1.
    public var fab = 1
    /// Fraction of devices given a defect signature (outliers).
    public var outlierRate = 0.02

    public init() {}
}

public struct ParametricSet {
    /// `(n, 8)` float32 measurements in `Parametric.columns` order.
    public let values: Tensor
    /// Process corner of each device, 0-based into `Parametric.corners`.
    public let corner: [Int]
    /// Site/fab of each device, 1-based.
    public let site: [Int]
    public let pass: [Bool]
    /// 0-based into `Parametric.softBins` / `Parametric.hardBins` (bin number = index + 1).
    public let softBin: [Int]
    public let hardBin: [Int]
    public let outlier: [Bool]
    /// Kind of defect signature of each outlier, 0-based into `Parametric.outlierKinds` (0: none).
    public let outlierKind: [Int]
    /// Test time of each device in seconds (the flow stops at the first failing test).
    public let testTime: [Double]
}

/// Parametric (electrical) test data of devices from a latent process model: process corner and
/// within-corner NMOS/PMOS speed drive Vth, which drives Idsat, Ioff (exponentially) and Fmax;
/// leakage heats the die, and heat raises leakage and slows Fmax. Spec limits turn the
/// measurements into pass/fail and bins (first failing test in flow order), so yield depends on
/// them non-linearly; a few devices carry defect signatures (outliers) that break the usual
/// correlations, many of them still inside the limits. Each fab/site has its own corner mix,
/// Vth and contact-resistance offsets, mobility, ambient temperature and noise (non-IID).
public enum Parametric {
    static let op = "parametric"

    public static let columns = ["Vth", "Idsat", "Ioff", "Rc", "Fmax", "Iddq", "power", "temperature"]
    public static let units = ["V", "uA/um", "nA/um", "ohm", "MHz", "uA", "mW", "C"]
    public static let corners = ["TT", "FF", "SS", "FS", "SF"]
    /// Spec limits (low, high) per column.
    public static let limits: [(low: Double, high: Double)] = [
        (0.40, 0.50), (520, 800), (0, 40), (0, 200), (2100, 3200), (0, 200), (0, 750), (0, 75),
    ]
    public static let softBins = ["PASS", "CONT_RC_HIGH", "IDDQ_HIGH", "VTH_LOW", "VTH_HIGH", "IOFF_HIGH",
                                  "IDSAT_OOR", "FMAX_LOW", "POWER_HIGH", "TEMP_HIGH", "FUNCTIONAL"]
    public static let hardBins = ["PASS", "CONTINUITY", "LEAKAGE", "DC_PARAM", "SPEED", "POWER_THERMAL", "FUNCTIONAL"]
    /// Hard bin (0-based) of each soft bin.
    static let hardOfSoft = [0, 1, 2, 3, 3, 2, 3, 4, 5, 5, 6]
    public static let outlierKinds = ["none", "gate_oxide_leak", "high_contact_resistance", "vth_shift",
                                      "speed_path_defect", "thermal_sensor_offset"]

    /// Distribution of one fab/site, fixed by its id (the same fab on every seed).
    struct Fab {
        var cornerPrior: [Double]
        var vthShift: Double
        var rcMedian: Double
        var mobility: Double
        var ambient: Double
        var noise: Double

        init(id: Int) {
            if id == 1 {
                cornerPrior = [0.6, 0.1, 0.1, 0.1, 0.1]
                vthShift = 0; rcMedian = 150; mobility = 1; ambient = 25; noise = 1
                return
            }
            var r = DataRNG(seed: 0xFAB0_0000 &+ UInt64(id))
            var prior = (0..<5).map { _ in pow(r.uniform(0.15, 1), 2) }
            prior[0] = max(prior[0], 0.25) + 0.2
            let total = prior.reduce(0, +)
            cornerPrior = prior.map { $0 / total }
            vthShift = r.normal(0, 0.008)
            rcMedian = 150 * exp(r.normal(0, 0.12))
            mobility = 1 + r.normal(0, 0.03)
            ambient = r.choice([25.0, 25, 30, 45])
            noise = 1 + r.uniform(0, 0.5)
        }
    }

    /// NMOS/PMOS speed offsets of each corner.
    static let cornerShift: [(Double, Double)] = [(0, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)]

    public static func generate(_ o: ParametricOptions) throws -> ParametricSet {
        try DataCheck.range(op, "n", o.count, 1...5_000_000)
        try DataCheck.range(op, "sites", o.sites, 1...64)
        try DataCheck.range(op, "fab", o.fab, 1...1_000_000)
        try DataCheck.range(op, "outlier_rate", o.outlierRate, 0...1)
        let n = o.count, k = columns.count
        var rng = DataRNG(seed: o.seed)
        let sites: [Int] = o.sites == 1 ? [Int](repeating: o.fab, count: n)
            : shuffledLabels(counts: exactCounts(total: n, proportions: [Double](repeating: 1, count: o.sites)), rng: &rng).map { $0 + 1 }
        var fabs: [Int: Fab] = [:]
        for s in Set(sites) { fabs[s] = Fab(id: s) }

        var values = [Double](repeating: 0, count: n * k)
        var corner = [Int](repeating: 0, count: n), kinds = [Int](repeating: 0, count: n)
        var pass = [Bool](repeating: true, count: n), soft = [Int](repeating: 0, count: n)
        var hard = [Int](repeating: 0, count: n), time = [Double](repeating: 0, count: n)
        for i in 0..<n {
            if i & 4095 == 0 { try Interrupt.check(op) }
            guard let fab = fabs[sites[i]] else { continue }
            let c = rng.categorical(fab.cornerPrior)
            corner[i] = c
            let noise = fab.noise
            let zn = 0.9 * cornerShift[c].0 + rng.normal(0, 0.35), zp = 0.9 * cornerShift[c].1 + rng.normal(0, 0.35)
            let speed = (zn + zp) / 2, skew = (zn - zp) / 2
            let radius = rng.uniform().squareRoot()
            let kind = rng.bernoulli(o.outlierRate) ? 1 + rng.int(outlierKinds.count - 1) : 0
            kinds[i] = kind

            let vthTrue = 0.45 - 0.025 * speed + fab.vthShift + 0.004 * pow(radius, 4) + rng.normal(0, 0.006 * noise)
            let idsat = 620 * pow(max(0.8 - vthTrue, 0.05) / 0.35, 1.3) * (1 + 0.04 * skew) * fab.mobility
                * (1 + rng.normal(0, 0.015 * noise))
            var rc = fab.rcMedian * exp(rng.normal(0, 0.08 * noise))
            if kind == 2 { rc *= rng.uniform(1.4, 3) }
            let ioffSpread = exp(rng.normal(0, 0.15 * noise)), iddqSpread = 1 + rng.normal(0, 0.05 * noise)
            let fmaxSpread = 1 + rng.normal(0, 0.01 * noise)
            let oxideLeak = kind == 1 ? rng.uniform(2.5, 10) : 1
            let speedDefect = kind == 4 ? rng.uniform(0.82, 0.93) : 1
            // Self-heating: leakage and power set the junction temperature, which raises leakage.
            var tj = fab.ambient + 30
            var ioff = 0.0, iddq = 0.0, fmax = 0.0, power = 0.0
            for _ in 0..<3 {
                ioff = 8 * pow(10, (0.45 - vthTrue) / 0.085) * exp(0.02 * (tj - 25)) * (1 + 0.1 * skew) * ioffSpread
                iddq = (5 + 4 * ioff * iddqSpread) * oxideLeak
                fmax = 2400 * pow(idsat / 620, 0.9) / (1 + (rc - 150) / 900) * (1 - 0.0012 * (tj - 25)) * fmaxSpread * speedDefect
                power = 0.25 * fmax + iddq
                tj = min(fab.ambient + 0.045 * power, fab.ambient + 90)
            }
            var temperature = tj + rng.normal(0, 0.5)
            if kind == 5 { temperature += rng.uniform(6, 20) }
            var vth = vthTrue
            if kind == 3 { vth += (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(0.015, 0.05) }
            let row = [vth, idsat, ioff, rc, fmax, iddq, power, temperature]
            for j in 0..<k { values[i * k + j] = row[j] }

            // Flow order: continuity, Iddq, Vth, Ioff, Idsat, Fmax, power, temperature, functional.
            func outside(_ j: Int) -> Bool { row[j] < limits[j].low || row[j] > limits[j].high }
            let margin = fmax * (1 - 0.003 * (temperature - 55)) - 2120 + rng.normal(0, 15)
            var t = 0.3 + rng.normal(0, 0.01)
            var bin = 0
            let steps: [(Double, Bool, Int)] = [
                (0.05, outside(3), 1),
                (0.12 + 0.0004 * iddq, outside(5), 2),
                (0.08 + 0.002 * abs(vth - 0.45) / 0.005, outside(0), vth < limits[0].low ? 3 : 4),
                (0.06, outside(2), 5),
                (0.05, outside(1), 6),
                (0.25 + 0.002 * abs(fmax - 2400) / 10, outside(4), 7),
                (0.10, outside(6), 8),
                (0.02, outside(7), 9),
                (margin < 20 ? 1.2 : 0.6, margin < 0, 10),
            ]
            for (cost, failed, failBin) in steps {
                t += cost
                if failed { bin = failBin; break }
            }
            soft[i] = bin
            hard[i] = hardOfSoft[bin]
            pass[i] = bin == 0
            time[i] = t
        }
        return ParametricSet(values: try Tensor(values, shape: [n, k], dtype: .float32), corner: corner, site: sites,
                             pass: pass, softBin: soft, hardBin: hard, outlier: kinds.map { $0 != 0 },
                             outlierKind: kinds, testTime: time)
    }
}
