#if canImport(Glibc)
import Glibc
#endif

/// A reinforcement-learning environment with Gymnasium's API, simulated in Swift.
///
/// Implementations hold the dynamics only. `Env` (what `EnvRegistry.make` returns) wraps one and
/// adds what every environment shares: seeding, the reset-before-step order, action validation
/// against `actionSpace` with clear errors, the time limit (truncation) and episode statistics.
///
///     let env = try EnvRegistry.make("CartPole-v1")
///     var (obs, _) = try env.reset(seed: 42)
///     while true {
///         let s = try env.step(env.sampleAction())
///         obs = s.observation
///         if s.terminated || s.truncated { break }
///     }
public protocol Environment: AnyObject {
    /// The registered id, e.g. `CartPole-v1`; used in error messages.
    var id: String { get }
    var observationSpace: Space { get }
    var actionSpace: Space { get }
    /// The environment's own random stream (reseeded by `Env.reset(seed:)`).
    var rng: Generator { get }
    /// The default time limit in steps (nil: none).
    var maxEpisodeSteps: Int? { get }

    /// Starts an episode. `options` are the per-reset options (e.g. `state` for CartPole).
    func reset(options: EnvOptions) throws -> (SpaceValue, Info)
    /// Advances one step. `action` has already been validated against `actionSpace`.
    func step(_ action: SpaceValue) throws -> Step
    /// A text picture of the current state.
    func render() -> String

    /// Actions allowed in the current state when some are illegal (board games); nil when all are.
    func legalActions() -> [Int]?
    /// Environment-specific facts for users (bandit means, a game's winner, the raw state...).
    func properties() -> Info
    /// An independent copy of the current state (for tree search); nil when not supported.
    func clone() -> (any Environment)?
}

extension Environment {
    public func legalActions() -> [Int]? { nil }
    public func properties() -> Info { [:] }
    public func clone() -> (any Environment)? { nil }
}

/// The result of one step.
public struct Step: Sendable {
    public var observation: SpaceValue
    public var reward: Double
    /// The episode reached a terminal state of the MDP.
    public var terminated: Bool
    /// The episode was cut short (time limit) in a non-terminal state.
    public var truncated: Bool
    public var info: Info

    public init(_ observation: SpaceValue, _ reward: Double, terminated: Bool, truncated: Bool = false, info: Info = [:]) {
        self.observation = observation
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.info = info
    }
}

/// Extra facts returned by `reset` and `step`.
public typealias Info = [String: InfoValue]

/// A value of an info table. Indices (states, actions, cells) are kept apart from plain
/// integers so the Lua bindings can show them 1-based.
public enum InfoValue: Equatable, Sendable {
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case string(String)
    case numbers([Double])
    /// A 0-based index (a state, an action, a player slot).
    case index(Int)
    /// 0-based indices (legal actions, ...).
    case indices([Int])
    /// One flag per action (Gymnasium's `action_mask`).
    case mask([Bool])
    /// An observation (e.g. the final observation of a vector sub-environment).
    case observation(SpaceValue)
    /// A nested table.
    case table(Info)
    /// A matrix of numbers (rows).
    case matrix([[Double]])

    public var number: Double? {
        switch self {
        case .number(let x): return x
        case .integer(let i), .index(let i): return Double(i)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// One outcome of a tabular transition: Gymnasium's `(prob, next_state, reward, terminated)`.
public struct Transition: Equatable, Sendable {
    public var probability: Double
    public var nextState: Int
    public var reward: Double
    public var terminated: Bool

    public init(_ probability: Double, _ nextState: Int, _ reward: Double, _ terminated: Bool) {
        self.probability = probability
        self.nextState = nextState
        self.reward = reward
        self.terminated = terminated
    }
}

/// An environment with finitely many states whose model is known: `transitions[s][a]` lists the
/// outcomes of action `a` in state `s` (Gymnasium's `P`), for value and policy iteration.
public protocol TabularEnvironment: Environment {
    var stateCount: Int { get }
    var actionCount: Int { get }
    var transitions: [[[Transition]]] { get }
    /// The current state.
    var state: Int { get }
}

extension TabularEnvironment {
    /// The tabular MDP of this environment.
    public var mdp: TabularMDP { TabularMDP(transitions: transitions) }

    /// Samples one outcome of `transitions[state][action]` with the environment's generator.
    func sampleTransition(_ state: Int, _ action: Int) -> Transition {
        let list = transitions[state][action]
        if list.count == 1 { return list[0] }
        let k = rng.categorical(list.map(\.probability))
        return list[k]
    }
}

// MARK: - Options

/// A value of an options table (`envs.make(name, {is_slippery = false})`, `reset{options}`).
public enum OptionValue: Equatable, Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
                         ExpressibleByBooleanLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    case number(Double)
    case bool(Bool)
    case string(String)
    case list([OptionValue])
    case table([String: OptionValue])

    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: OptionValue...) { self = .list(elements) }

    var kindName: String {
        switch self {
        case .number: return "number"
        case .bool: return "boolean"
        case .string: return "string"
        case .list: return "list"
        case .table: return "table"
        }
    }
}

/// Named options with typed readers whose errors name the option and the environment.
/// `indexBase` is 1 when the options come from Lua: options holding positions or indices
/// (`start = {1, 1}`) are read through `index`/`position`, which subtract it.
public struct EnvOptions: Sendable, ExpressibleByDictionaryLiteral {
    public var values: [String: OptionValue]
    public var indexBase: Int

    public init(_ values: [String: OptionValue], indexBase: Int = 0) {
        self.values = values
        self.indexBase = indexBase
    }

    public init() {
        values = [:]
        indexBase = 0
    }

    public init(dictionaryLiteral elements: (String, OptionValue)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    public subscript(_ name: String) -> OptionValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }
    public var names: [String] { values.keys.sorted() }

    private func wrong(_ op: String, _ name: String, _ expected: String, _ got: OptionValue) -> EngineError {
        EngineError(op, "option \(name): expected \(expected); got \(describe(got))")
    }

    private func describe(_ v: OptionValue) -> String {
        switch v {
        case .number(let x): return formatNumber(x)
        case .bool(let b): return "\(b)"
        case .string(let s): return "\"\(s)\""
        case .list(let l): return "a list of \(l.count)"
        case .table: return "a table"
        }
    }

    public func double(_ name: String, _ op: String) throws -> Double? {
        guard let v = values[name] else { return nil }
        guard case .number(let x) = v, x.isFinite else { throw wrong(op, name, "a finite number", v) }
        return x
    }

    /// A number that must satisfy `check` (described by `what`, e.g. "> 0").
    public func double(_ name: String, _ op: String, _ what: String, _ check: (Double) -> Bool) throws -> Double? {
        guard let x = try double(name, op) else { return nil }
        guard check(x) else { throw EngineError(op, "option \(name): expected a number \(what); got \(formatNumber(x))") }
        return x
    }

    public func int(_ name: String, _ op: String) throws -> Int? {
        guard let v = values[name] else { return nil }
        guard case .number(let x) = v, x == x.rounded(), abs(x) < 1e15 else { throw wrong(op, name, "an integer", v) }
        return Int(x)
    }

    /// An integer within `range`.
    public func int(_ name: String, _ op: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let i = try int(name, op) else { return nil }
        guard range.contains(i) else {
            throw EngineError(op, "option \(name): expected an integer in \(range.lowerBound)..\(range.upperBound); got \(i)")
        }
        return i
    }

    public func bool(_ name: String, _ op: String) throws -> Bool? {
        guard let v = values[name] else { return nil }
        guard case .bool(let b) = v else { throw wrong(op, name, "a boolean", v) }
        return b
    }

    public func string(_ name: String, _ op: String) throws -> String? {
        guard let v = values[name] else { return nil }
        guard case .string(let s) = v else { throw wrong(op, name, "a string", v) }
        return s
    }

    /// A string among `choices`.
    public func choice(_ name: String, _ op: String, _ choices: [String]) throws -> String? {
        guard let s = try string(name, op) else { return nil }
        guard choices.contains(s) else {
            throw EngineError(op, "option \(name): expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")); got \"\(s)\"")
        }
        return s
    }

    /// A list of finite numbers (exactly `count` of them when given).
    public func doubles(_ name: String, _ op: String, count: Int? = nil) throws -> [Double]? {
        guard let v = values[name] else { return nil }
        let expected = count.map { "a list of \($0) numbers" } ?? "a list of numbers"
        guard case .list(let items) = v else { throw wrong(op, name, expected, v) }
        var out: [Double] = []
        for (k, item) in items.enumerated() {
            guard case .number(let x) = item, x.isFinite else {
                throw EngineError(op, "option \(name): element \(k + 1) is not a finite number")
            }
            out.append(x)
        }
        if let count, out.count != count { throw EngineError(op, "option \(name): expected \(expected); got \(out.count)") }
        return out
    }

    /// A list of integers (exactly `count` of them when given).
    public func ints(_ name: String, _ op: String, count: Int? = nil) throws -> [Int]? {
        guard let list = try doubles(name, op, count: count) else { return nil }
        for (k, x) in list.enumerated() where x != x.rounded() || abs(x) >= 1e15 {
            throw EngineError(op, "option \(name): element \(k + 1) is not an integer (\(formatNumber(x)))")
        }
        return list.map { Int($0) }
    }

    /// A matrix given as a list of equally long lists of numbers.
    public func matrix(_ name: String, _ op: String) throws -> [[Double]]? {
        guard let v = values[name] else { return nil }
        guard case .list(let rows) = v, !rows.isEmpty else { throw wrong(op, name, "a non-empty list of rows of numbers", v) }
        var out: [[Double]] = []
        for (r, row) in rows.enumerated() {
            guard case .list(let items) = row else { throw EngineError(op, "option \(name): row \(r + 1) is not a list of numbers") }
            var values: [Double] = []
            for (c, item) in items.enumerated() {
                guard case .number(let x) = item, x.isFinite else {
                    throw EngineError(op, "option \(name): element (\(r + 1), \(c + 1)) is not a finite number")
                }
                values.append(x)
            }
            if let first = out.first, first.count != values.count {
                throw EngineError(op, "option \(name): row \(r + 1) has \(values.count) values; row 1 has \(first.count)")
            }
            out.append(values)
        }
        return out
    }

    /// A list of strings (a map given row by row).
    public func strings(_ name: String, _ op: String) throws -> [String]? {
        guard let v = values[name] else { return nil }
        guard case .list(let items) = v else { throw wrong(op, name, "a list of strings", v) }
        return try items.enumerated().map { k, item in
            guard case .string(let s) = item else { throw EngineError(op, "option \(name): element \(k + 1) is not a string") }
            return s
        }
    }

    /// An index given in the caller's base, returned 0-based and checked against `0..<count`.
    public func index(_ name: String, _ op: String, count: Int) throws -> Int? {
        guard let i = try int(name, op) else { return nil }
        guard i - indexBase >= 0 && i - indexBase < count else {
            throw EngineError(op, "option \(name): expected an index in \(indexBase)..\(count - 1 + indexBase); got \(i)")
        }
        return i - indexBase
    }

    /// A `{row, col}` position given in the caller's base, returned 0-based and checked.
    public func position(_ name: String, _ op: String, rows: Int, cols: Int) throws -> (Int, Int)? {
        guard let p = try ints(name, op, count: 2) else { return nil }
        return try checkedPosition(p, name, op, rows: rows, cols: cols)
    }

    /// A list of positions `{{row, col}, ...}`, each optionally followed by extra numbers
    /// (`{{1, 4, 1.0}}` for a goal with its reward): returns 0-based positions and the extras.
    public func positions(_ name: String, _ op: String, rows: Int, cols: Int, extras: Int = 0)
        throws -> [(row: Int, col: Int, extra: [Double])]? {
        guard let v = values[name] else { return nil }
        guard case .list(let items) = v else { throw wrong(op, name, "a list of {row, col} positions", v) }
        var out: [(row: Int, col: Int, extra: [Double])] = []
        for (k, item) in items.enumerated() {
            let element = EnvOptions(["p": item], indexBase: indexBase)
            let numbers: [Double]
            do { numbers = try element.doubles("p", op) ?? [] } catch {
                throw EngineError(op, "option \(name): element \(k + 1) is not a list of numbers")
            }
            guard numbers.count == 2 + extras || (extras > 0 && numbers.count == 2) else {
                let shape = extras == 0 ? "{row, col}" : "{row, col} or {row, col, value}"
                throw EngineError(op, "option \(name): element \(k + 1) should be \(shape); got \(numbers.count) numbers")
            }
            guard numbers[0] == numbers[0].rounded(), numbers[1] == numbers[1].rounded() else {
                throw EngineError(op, "option \(name): element \(k + 1) has a non-integer position")
            }
            let (r, c) = try checkedPosition([Int(numbers[0]), Int(numbers[1])], "\(name) element \(k + 1)", op, rows: rows, cols: cols)
            out.append((r, c, Array(numbers.dropFirst(2))))
        }
        return out
    }

    private func checkedPosition(_ p: [Int], _ name: String, _ op: String, rows: Int, cols: Int) throws -> (Int, Int) {
        let r = p[0] - indexBase, c = p[1] - indexBase
        guard r >= 0, r < rows, c >= 0, c < cols else {
            throw EngineError(op, "option \(name): position {\(p[0]), \(p[1])} is outside the \(rows)x\(cols) grid "
                + "(rows \(indexBase)..\(rows - 1 + indexBase), columns \(indexBase)..\(cols - 1 + indexBase))")
        }
        return (r, c)
    }

    /// Fails when an option outside `known` was given (a misspelt option is a silent bug otherwise).
    public func checkKnown(_ known: [String], _ op: String) throws {
        for name in names where !known.contains(name) {
            let list = known.isEmpty ? "none" : known.sorted().joined(separator: ", ")
            throw EngineError(op, "unknown option \(name) (options: \(list))")
        }
    }
}

// MARK: - Random helpers for environments

extension Generator {
    /// Uniform in [low, high).
    public func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * withState { $0.nextDouble() }
    }

    /// `count` values uniform in [low, high), drawn in order.
    public func uniform(_ low: Double, _ high: Double, count: Int) -> [Double] {
        withState { rng in (0..<count).map { _ in low + (high - low) * rng.nextDouble() } }
    }

    /// A standard normal sample.
    public func normal() -> Double { withState { $0.gaussianPair().0 } }

    /// N(mean, std²).
    public func normal(_ mean: Double, _ std: Double) -> Double { mean + std * normal() }

    /// Uniform integer in `0..<n` (n ≥ 1).
    public func integer(below n: Int) -> Int { n <= 1 ? 0 : Int(withState { $0.bounded(UInt64(n)) }) }

    /// True with probability `p`.
    public func bernoulli(_ p: Double) -> Bool { withState { $0.nextDouble() } < p }

    /// An index drawn with the given (non-negative) weights, as Gymnasium's `categorical_sample`:
    /// the first index whose cumulative weight exceeds a uniform draw.
    public func categorical(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        let u = withState { $0.nextDouble() } * total
        var cumulative = 0.0
        for (i, w) in weights.enumerated() {
            cumulative += w
            if cumulative > u { return i }
        }
        return Swift.max(0, weights.lastIndex(where: { $0 > 0 }) ?? 0)
    }

    /// A seed for another generator, drawn from this one.
    public func nextSeed() -> UInt64 { next() }
}
