/// EquipmentTwin-v0: a digital twin of a process chamber with continuous process parameters,
/// for continuous-control (SAC, TD3) and model-based RL.
///
/// Two actuators take setpoints in [-1, 1] (a Box(2) action, clipped): heater power and gas flow.
/// Chamber temperature T and pressure P follow their setpoints with first-order lags
/// (`alpha`, `beta`) plus noise. Each step processes a wafer whose output (e.g. film thickness,
/// in units around the target) is
///
///     y = 1.0·T + 0.5·P + 0.3·T·P − 0.2·P² + d + noise,
///
/// where d is a hidden tool drift (chamber ageing) that random-walks upward by `drift` per step:
/// the recipe must keep moving to hold y on `target`. Reward: −(y − target)² − energy·|a|².
/// A process excursion (|y − target| > `excursion`) scraps the wafer: reward −10, terminated.
/// Truncated at 200 steps.
///
/// Observation (float32, 5): T, P, last y − target, change of y − target, time / 200.
///
/// Make options: alpha (0.3), beta (0.5), drift (0.004), drift_noise (0.002), noise (0.02),
/// process_noise (0.01), target (0.5), energy (0.01), excursion (3).
public final class EquipmentTwin: Environment {
    public static let optionNames = ["alpha", "beta", "drift", "drift_noise", "noise", "process_noise", "target",
                                     "energy", "excursion"]
    public let id = "EquipmentTwin-v0"
    public let alpha: Double
    public let beta: Double
    public let driftRate: Double
    public let driftNoise: Double
    public let noise: Double
    public let processNoise: Double
    public let target: Double
    public let energy: Double
    public let excursion: Double
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = 200

    public private(set) var temperature = 0.0
    public private(set) var pressure = 0.0
    /// Hidden tool drift.
    public private(set) var drift = 0.0
    public private(set) var error = 0.0
    public private(set) var lastError = 0.0
    public private(set) var t = 0

    public var observationSpace: Space { .box(low: -Double.infinity, high: Double.infinity, shape: [5]) }
    public var actionSpace: Space { .box(low: -1, high: 1, shape: [2]) }

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(EquipmentTwin.optionNames, id)
        let unit = "in [0, 1]"
        alpha = try options.double("alpha", id, unit) { $0 >= 0 && $0 <= 1 } ?? 0.3
        beta = try options.double("beta", id, unit) { $0 >= 0 && $0 <= 1 } ?? 0.5
        driftRate = try options.double("drift", id) ?? 0.004
        driftNoise = try options.double("drift_noise", id, ">= 0") { $0 >= 0 } ?? 0.002
        noise = try options.double("noise", id, ">= 0") { $0 >= 0 } ?? 0.02
        processNoise = try options.double("process_noise", id, ">= 0") { $0 >= 0 } ?? 0.01
        target = try options.double("target", id) ?? 0.5
        energy = try options.double("energy", id, ">= 0") { $0 >= 0 } ?? 0.01
        excursion = try options.double("excursion", id, "> 0") { $0 > 0 } ?? 3
    }

    /// The noiseless process output for chamber state (T, P) and drift d.
    public static func output(temperature T: Double, pressure P: Double, drift d: Double) -> Double {
        1.0 * T + 0.5 * P + 0.3 * T * P - 0.2 * P * P + d
    }

    public var observation: SpaceValue {
        .vector([temperature, pressure, error, error - lastError, Double(t) / 200].map { Double(Float($0)) })
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown([], id + ".reset")
        temperature = rng.uniform(-0.2, 0.2)
        pressure = rng.uniform(-0.2, 0.2)
        drift = rng.uniform(-0.1, 0.1)
        t = 0
        error = EquipmentTwin.output(temperature: temperature, pressure: pressure, drift: drift) - target
        lastError = error
        return (observation, [:])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .vector(let v) = action, v.count == 2 else { throw EngineError(id + ".step", "expected two setpoints") }
        let heater = Swift.min(Swift.max(v[0], -1), 1), flow = Swift.min(Swift.max(v[1], -1), 1)
        temperature += alpha * (heater - temperature) + processNoise * rng.normal()
        pressure += beta * (flow - pressure) + processNoise * rng.normal()
        drift += driftRate + driftNoise * rng.normal()
        t += 1
        lastError = error
        let y = EquipmentTwin.output(temperature: temperature, pressure: pressure, drift: drift) + noise * rng.normal()
        error = y - target
        let info: Info = ["output": .number(y), "drift": .number(drift), "error": .number(error)]
        if abs(error) > excursion {
            return Step(observation, -10, terminated: true, info: info.merging(["excursion": .bool(true)]) { $1 })
        }
        let reward = -(error * error) - energy * (heater * heater + flow * flow)
        return Step(observation, reward, terminated: false, info: info)
    }

    public func render() -> String {
        let width = 41
        let column = Swift.min(width - 1, Swift.max(0, Int(((error + 1) / 2 * Double(width - 1)).rounded())))
        var bar = [Character](repeating: "-", count: width)
        bar[width / 2] = "|"
        bar[column] = "*"
        return "step \(t): T=\(signedFixed(temperature, 3)) P=\(signedFixed(pressure, 3)) error=\(signedFixed(error, 3))\n[" + String(bar) + "]  (-1 .. target .. +1)"
    }

    public func properties() -> Info {
        ["temperature": .number(temperature), "pressure": .number(pressure), "drift": .number(drift),
         "error": .number(error), "target": .number(target)]
    }
}
