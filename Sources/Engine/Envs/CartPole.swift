#if canImport(Glibc)
import Glibc
#endif

/// CartPole-v1 with Gymnasium's exact dynamics (Barto, Sutton & Anderson 1983; Florian 2007):
/// a pole on a cart, pushed left (action 0; Lua 1) or right (action 1; Lua 2) with force 10.
///
/// State (float64 inside, float32 observation): x, x_dot, theta, theta_dot. Terminates when
/// |x| > 2.4 or |theta| > 12° (12·2π/360 rad); reward 1 per step (including the terminating
/// one); truncated at 500 steps. Reset draws each state variable from uniform(-0.05, 0.05), or
/// takes `state = {x, x_dot, theta, theta_dot}` (or `low`/`high` bounds) from the reset options.
///
/// Make options: gravity, masscart, masspole, length, force_mag, tau, kinematics_integrator
/// ("euler" | "semi-implicit euler"), sutton_barto_reward (0 per step, -1 on failure).
public final class CartPole: Environment {
    public static let optionNames = ["gravity", "masscart", "masspole", "length", "force_mag", "tau",
                                     "kinematics_integrator", "sutton_barto_reward"]
    public let id = "CartPole-v1"
    public var gravity = 9.8
    public var masscart = 1.0
    public var masspole = 0.1
    /// Half the pole's length.
    public var length = 0.5
    public var forceMag = 10.0
    /// Seconds between state updates.
    public var tau = 0.02
    public var eulerIntegrator = true
    public var suttonBartoReward = false
    public let thetaThresholdRadians = 12 * 2 * Double.pi / 360
    public let xThreshold = 2.4

    public var totalMass: Double { masspole + masscart }
    public var polemassLength: Double { masspole * length }

    /// x, x_dot, theta, theta_dot.
    public var state: [Double] = [0, 0, 0, 0]
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = 500
    private var lastAction: Int?

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(CartPole.optionNames, id)
        gravity = try options.double("gravity", id) ?? gravity
        masscart = try options.double("masscart", id, "> 0") { $0 > 0 } ?? masscart
        masspole = try options.double("masspole", id, "> 0") { $0 > 0 } ?? masspole
        length = try options.double("length", id, "> 0") { $0 > 0 } ?? length
        forceMag = try options.double("force_mag", id) ?? forceMag
        tau = try options.double("tau", id, "> 0") { $0 > 0 } ?? tau
        if let integrator = try options.choice("kinematics_integrator", id, ["euler", "semi-implicit euler"]) {
            eulerIntegrator = integrator == "euler"
        }
        suttonBartoReward = try options.bool("sutton_barto_reward", id) ?? false
    }

    public var observationSpace: Space {
        let big = Double(Float.greatestFiniteMagnitude)
        let high = [xThreshold * 2, big, thetaThresholdRadians * 2, big]
        return .box(low: high.map { -$0 }, high: high, shape: [4])
    }

    public let actionSpace = Space.discrete(2)

    /// The float32 observation of the current state.
    public var observation: SpaceValue { .vector(state.map { Double(Float($0)) }) }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown(["state", "low", "high"], id + ".reset")
        if let given = try options.doubles("state", id + ".reset", count: 4) {
            state = given
        } else {
            let low = try options.double("low", id + ".reset") ?? -0.05
            let high = try options.double("high", id + ".reset") ?? 0.05
            guard low <= high else { throw EngineError(id + ".reset", "option low (\(low)) must not exceed high (\(high))") }
            state = rng.uniform(low, high, count: 4)
        }
        lastAction = nil
        return (observation, [:])
    }

    /// One step of the published equations (Gymnasium `cartpole.py`), in float64.
    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        lastAction = a
        var x = state[0], xDot = state[1], theta = state[2], thetaDot = state[3]
        let force = a == 1 ? forceMag : -forceMag
        let costheta = cos(theta)
        let sintheta = sin(theta)
        let temp = (force + polemassLength * (thetaDot * thetaDot) * sintheta) / totalMass
        let thetaacc = (gravity * sintheta - costheta * temp)
            / (length * (4.0 / 3.0 - masspole * (costheta * costheta) / totalMass))
        let xacc = temp - polemassLength * thetaacc * costheta / totalMass
        if eulerIntegrator {
            x = x + tau * xDot
            xDot = xDot + tau * xacc
            theta = theta + tau * thetaDot
            thetaDot = thetaDot + tau * thetaacc
        } else {
            xDot = xDot + tau * xacc
            x = x + tau * xDot
            thetaDot = thetaDot + tau * thetaacc
            theta = theta + tau * thetaDot
        }
        state[0] = x; state[1] = xDot; state[2] = theta; state[3] = thetaDot
        let terminated = x < -xThreshold || x > xThreshold || theta < -thetaThresholdRadians || theta > thetaThresholdRadians
        let reward: Double = suttonBartoReward ? (terminated ? -1 : 0) : 1
        return Step(observation, reward, terminated: terminated)
    }

    /// Two lines: the pole above the cart on a track from -2.4 to 2.4, then the numbers.
    public func render() -> String {
        let width = 49
        let x = state[0], theta = state[2]
        let column = Swift.min(width - 2, Swift.max(1, Int(((x + xThreshold) / (2 * xThreshold) * Double(width - 1)).rounded())))
        let pole: Character = abs(theta) < 0.035 ? "|" : (theta > 0 ? "/" : "\\")
        var top = [Character](repeating: " ", count: width)
        top[column] = pole
        var track = [Character](repeating: "-", count: width)
        track[0] = "|"; track[width - 1] = "|"
        track[column - 1] = "["; track[column] = "#"; track[column + 1] = "]"
        let degrees = theta * 180 / Double.pi
        let numbers = "x=\(signedFixed(x, 3)) x_dot=\(signedFixed(state[1], 3)) theta=\(signedFixed(degrees, 2))deg theta_dot=\(signedFixed(state[3], 3))"
        return String(top) + "\n" + String(track) + "\n" + numbers
    }

    public func properties() -> Info {
        ["state": .numbers(state), "last_action": lastAction.map { .index($0) } ?? .string("none")]
    }

    public func clone() -> (any Environment)? {
        guard let c = try? CartPole() else { return nil }
        c.gravity = gravity; c.masscart = masscart; c.masspole = masspole; c.length = length
        c.forceMag = forceMag; c.tau = tau; c.eulerIntegrator = eulerIntegrator; c.suttonBartoReward = suttonBartoReward
        c.state = state; c.lastAction = lastAction
        try? c.rng.setState(rng.stateWords)
        return c
    }
}

/// `x` with `digits` decimals and an explicit sign (for renders); never traps on huge values.
func signedFixed(_ x: Double, _ digits: Int) -> String {
    let text = fixed(x, digits)
    return text.hasPrefix("-") ? text : "+" + text
}
