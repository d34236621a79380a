#if canImport(Glibc)
import Glibc
#endif

/// StockTrading-v0: trade one asset whose price follows a seeded geometric Brownian motion,
/// S' = S·exp((μ − σ²/2)·dt + σ·√dt·Z), dt = 1/252 (one trading day per step).
///
/// Actions (Lua 1..3): 0 HOLD, 1 BUY (go long; from short, go flat), 2 SELL (go flat from long;
/// from flat, go short when `allow_short`). Buying while long or selling while flat (without
/// shorting) changes nothing. The position is −1, 0 or +1 unit of the portfolio.
/// Reward: position · log(S'/S) − cost · |change of position| (a log-return, so returns add up
/// to the log of the final portfolio value). Truncated after `days` steps (default 252).
///
/// Observation (float32, window + 2): the last `window` daily log-returns × 10, the position,
/// and the fraction of the episode elapsed. Info: `price`, `portfolio_value`, `position`.
///
/// Make options: mu (0.05), sigma (0.2), s0 (100), window (10), cost (0.001), allow_short
/// (false), days (252).
public final class StockTrading: Environment {
    public static let optionNames = ["mu", "sigma", "s0", "window", "cost", "allow_short", "days"]
    public static let actionNames = ["hold", "buy", "sell"]
    public let id = "StockTrading-v0"
    public let mu: Double
    public let sigma: Double
    public let s0: Double
    public let window: Int
    public let cost: Double
    public let allowShort: Bool
    public let days: Int
    public let dt = 1.0 / 252
    public let rng = Generator()
    public var maxEpisodeSteps: Int? { days }

    /// Prices so far (the first `window + 1` are history before the first decision).
    public private(set) var prices: [Double] = []
    public private(set) var position = 0
    public private(set) var portfolioValue = 1.0
    public private(set) var day = 0

    public var observationSpace: Space { .box(low: -Double.infinity, high: Double.infinity, shape: [window + 2]) }
    public let actionSpace = Space.discrete(3)

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(StockTrading.optionNames, id)
        mu = try options.double("mu", id) ?? 0.05
        sigma = try options.double("sigma", id, ">= 0") { $0 >= 0 } ?? 0.2
        s0 = try options.double("s0", id, "> 0") { $0 > 0 } ?? 100
        window = try options.int("window", id, in: 1...1000) ?? 10
        cost = try options.double("cost", id, ">= 0") { $0 >= 0 } ?? 0.001
        allowShort = try options.bool("allow_short", id) ?? false
        days = try options.int("days", id, in: 1...1_000_000) ?? 252
    }

    /// The next GBM price after `price`.
    public func nextPrice(_ price: Double) -> Double {
        price * exp((mu - 0.5 * sigma * sigma) * dt + sigma * dt.squareRoot() * rng.normal())
    }

    public var price: Double { prices.last ?? s0 }

    public var observation: SpaceValue {
        var v: [Double] = []
        v.reserveCapacity(window + 2)
        let n = prices.count
        for k in (n - window)..<n { v.append(Double(Float(10 * log(prices[k] / prices[k - 1])))) }
        v.append(Double(position))
        v.append(Double(Float(Double(day) / Double(days))))
        return .vector(v)
    }

    private var info: Info {
        ["price": .number(price), "portfolio_value": .number(portfolioValue), "position": .integer(position)]
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown([], id + ".reset")
        prices = [s0]
        for _ in 0..<window { prices.append(nextPrice(prices[prices.count - 1])) }
        position = 0
        portfolioValue = 1
        day = 0
        return (observation, info)
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        let old = position
        switch a {
        case 1: position = Swift.min(position + 1, 1)
        case 2: position = Swift.max(position - 1, allowShort ? -1 : 0)
        default: break
        }
        let change = Double(abs(position - old))
        let p0 = price
        let p1 = nextPrice(p0)
        prices.append(p1)
        day += 1
        let reward = Double(position) * log(p1 / p0) - cost * change
        portfolioValue *= exp(reward)
        var i = info
        if a != 0 && change == 0 { i["no_change"] = .bool(true) }
        return Step(observation, reward, terminated: false, info: i)
    }

    public func render() -> String {
        let recent = prices.suffix(30)
        let lo = recent.min() ?? 0, hi = recent.max() ?? 1
        let bars = Array("▁▂▃▄▅▆▇█")
        let spark = String(recent.map { bars[hi > lo ? Swift.min(7, Int(($0 - lo) / (hi - lo) * 7.999)) : 3] })
        let pos = position == 1 ? "long" : position == -1 ? "short" : "flat"
        return "day \(day): price \(signedFixed(price, 2)) \(spark)  position \(pos), portfolio \(signedFixed(portfolioValue, 4))"
    }

    public func properties() -> Info {
        var p = info
        p["prices"] = .numbers(prices)
        p["day"] = .integer(day)
        return p
    }
}
