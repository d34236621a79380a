#if canImport(Glibc)
import Glibc
#endif

/// Pendulum-v1 with Gymnasium's dynamics: swing a frictionless pendulum up and keep it upright
/// with a torque in [-2, 2] (a Box(1) action; larger torques are clipped, as Gymnasium does).
///
/// State: theta (0 = upright), theta_dot. Observation (float32): cos θ, sin θ, θ̇.
/// Reward: -(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²), computed from the state before the step.
/// Dynamics: θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, ±8); θ' = θ + θ̇'·dt.
/// Never terminates; truncated at 200 steps. Reset draws θ ~ U(-π, π), θ̇ ~ U(-1, 1) (the bounds
/// `x_init`, `y_init` can be given), or takes `state = {theta, theta_dot}`.
/// Make option: g (default 10).
public final class Pendulum: Environment {
    public let id = "Pendulum-v1"
    public let maxSpeed = 8.0
    public let maxTorque = 2.0
    public let dt = 0.05
    public var g = 10.0
    public let m = 1.0
    public let l = 1.0
    /// theta, theta_dot.
    public var state: [Double] = [0, 0]
    public private(set) var lastTorque: Double?
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = 200

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(["g"], id)
        g = try options.double("g", id) ?? g
    }

    public var observationSpace: Space { .box(low: [-1, -1, -maxSpeed], high: [1, 1, maxSpeed], shape: [3]) }
    public var actionSpace: Space { .box(low: -maxTorque, high: maxTorque, shape: [1]) }

    public var observation: SpaceValue {
        .vector([Double(Float(cos(state[0]))), Double(Float(sin(state[0]))), Double(Float(state[1]))])
    }

    /// NumPy's `((x + π) % 2π) - π` (floored modulo: the result takes the divisor's sign).
    public static func angleNormalize(_ x: Double) -> Double {
        let twoPi = 2 * Double.pi
        var r = fmod(x + Double.pi, twoPi)
        if r != 0 && r < 0 { r += twoPi }
        return r - Double.pi
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        let op = id + ".reset"
        try options.checkKnown(["state", "x_init", "y_init"], op)
        if let given = try options.doubles("state", op, count: 2) {
            state = given
        } else {
            let x = try options.double("x_init", op) ?? Double.pi
            let y = try options.double("y_init", op) ?? 1.0
            state = [rng.uniform(-x, x), rng.uniform(-y, y)]
        }
        lastTorque = nil
        return (observation, [:])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .vector(let v) = action, v.count == 1 else { throw EngineError(id + ".step", "expected one torque") }
        let th = state[0], thdot = state[1]
        let u = Swift.min(Swift.max(v[0], -maxTorque), maxTorque)
        lastTorque = u
        let an = Pendulum.angleNormalize(th)
        let costs = an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u)
        var newthdot = thdot + (3 * g / (2 * l) * sin(th) + 3.0 / (m * (l * l)) * u) * dt
        newthdot = Swift.min(Swift.max(newthdot, -maxSpeed), maxSpeed)
        let newth = th + newthdot * dt
        state = [newth, newthdot]
        return Step(observation, -costs, terminated: false)
    }

    /// The pendulum's angle as a clock hand, with the numbers.
    public func render() -> String {
        let an = Pendulum.angleNormalize(state[0])
        let arrows = ["↑", "↗", "→", "↘", "↓", "↙", "←", "↖"]
        // theta grows counter-clockwise from upright; positions clockwise from up.
        let k = Int(((-an / (2 * Double.pi)) * 8).rounded())
        let arrow = arrows[((k % 8) + 8) % 8]
        let torque = lastTorque.map { signedFixed($0, 2) } ?? "none"
        return "pendulum \(arrow)  theta=\(signedFixed(an, 3)) theta_dot=\(signedFixed(state[1], 3)) torque=\(torque)"
    }

    public func properties() -> Info {
        var info: Info = ["state": .numbers(state)]
        if let lastTorque { info["last_u"] = .number(lastTorque) }
        return info
    }

    public func clone() -> (any Environment)? {
        guard let c = try? Pendulum() else { return nil }
        c.g = g; c.state = state; c.lastTorque = lastTorque
        try? c.rng.setState(rng.stateWords)
        return c
    }
}
