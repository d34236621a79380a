/// EquipmentScheduling-v0: a small discrete-time queueing environment for dispatching.
///
/// Jobs of T types arrive at a shared queue (each tick, type t arrives with probability
/// `arrival[t]`). M machines process one job at a time, taking `process[t]` ticks; a machine set
/// up for another type first spends `setup` ticks changing over. Each step the agent picks which
/// waiting job to dispatch to an idle machine (a machine already set up for the job's type is
/// preferred), or waits; then one tick passes.
///
/// Actions (Lua 1..Q+1): 0 WAIT, i = dispatch the job in queue slot i (the first Q jobs are
/// visible, oldest first). Dispatching an empty slot or with no idle machine does nothing (info
/// `invalid = true`); info `action_mask` marks the useful actions. Reward per tick:
/// −holding_cost · (jobs waiting) − lost_cost · (jobs lost because the queue was full).
/// Truncated at 200 ticks.
///
/// Observation (float32): per visible slot [type one-hot (T), waiting ticks / 10], per machine
/// [busy ticks left / 10, setup one-hot (T)], then queue length / capacity.
///
/// Make options: machines (default 2), arrival (default {0.15, 0.10, 0.10}), process (default
/// {3, 5, 4}), setup (default 2), slots (Q, default 5), capacity (default 20), holding_cost
/// (default 0.1), lost_cost (default 1).
public final class EquipmentScheduling: Environment {
    public static let optionNames = ["machines", "arrival", "process", "setup", "slots", "capacity", "holding_cost", "lost_cost"]
    public let id = "EquipmentScheduling-v0"
    public let machineCount: Int
    public let arrival: [Double]
    public let process: [Int]
    public let setupTime: Int
    public let slots: Int
    public let capacity: Int
    public let holdingCost: Double
    public let lostCost: Double
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = 200

    /// Waiting jobs, oldest first: (type, ticks waited).
    public private(set) var queue: [(type: Int, waited: Int)] = []
    /// Ticks until each machine is free (0 = idle).
    public private(set) var busy: [Int] = []
    /// Type each machine is set up for (−1: none yet).
    public private(set) var setupType: [Int] = []
    public private(set) var completed = 0
    public private(set) var lost = 0
    public private(set) var tick = 0
    private var inProcess: [Int] = []

    public var typeCount: Int { arrival.count }
    public var observationDimension: Int { slots * (typeCount + 1) + machineCount * (typeCount + 1) + 1 }
    public var observationSpace: Space { .box(low: 0, high: Double.infinity, shape: [observationDimension]) }
    public var actionSpace: Space { .discrete(slots + 1) }

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(EquipmentScheduling.optionNames, id)
        machineCount = try options.int("machines", id, in: 1...64) ?? 2
        arrival = try options.doubles("arrival", id) ?? [0.15, 0.10, 0.10]
        guard !arrival.isEmpty, arrival.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw EngineError(id, "option arrival: expected one probability in [0, 1] per job type")
        }
        process = try options.ints("process", id, count: arrival.count) ?? (arrival.count == 3 ? [3, 5, 4] : Array(repeating: 3, count: arrival.count))
        guard process.allSatisfy({ $0 >= 1 }) else { throw EngineError(id, "option process: processing times must be at least 1 tick") }
        setupTime = try options.int("setup", id, in: 0...1000) ?? 2
        slots = try options.int("slots", id, in: 1...100) ?? 5
        capacity = try options.int("capacity", id, in: 1...10_000) ?? 20
        holdingCost = try options.double("holding_cost", id) ?? 0.1
        lostCost = try options.double("lost_cost", id) ?? 1
    }

    public var observation: SpaceValue {
        var v: [Double] = []
        v.reserveCapacity(observationDimension)
        for s in 0..<slots {
            if s < queue.count {
                for t in 0..<typeCount { v.append(queue[s].type == t ? 1 : 0) }
                v.append(Double(Float(Double(queue[s].waited) / 10)))
            } else {
                v.append(contentsOf: repeatElement(0, count: typeCount + 1))
            }
        }
        for m in 0..<machineCount {
            v.append(Double(Float(Double(busy[m]) / 10)))
            for t in 0..<typeCount { v.append(setupType[m] == t ? 1 : 0) }
        }
        v.append(Double(Float(Double(queue.count) / Double(capacity))))
        return .vector(v)
    }

    /// Useful actions now: wait always; slot i when it holds a job and a machine is idle.
    public var actionMask: [Bool] {
        let idle = busy.contains(0)
        return [true] + (0..<slots).map { idle && $0 < queue.count }
    }

    private var info: Info {
        ["queue_length": .integer(queue.count), "completed": .integer(completed), "lost": .integer(lost),
         "action_mask": .mask(actionMask), "tick": .integer(tick)]
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown([], id + ".reset")
        queue = []
        busy = Array(repeating: 0, count: machineCount)
        setupType = Array(repeating: -1, count: machineCount)
        inProcess = Array(repeating: -1, count: machineCount)
        completed = 0; lost = 0; tick = 0
        arrivals()
        return (observation, info)
    }

    private func arrivals() {
        for t in 0..<typeCount where rng.bernoulli(arrival[t]) {
            if queue.count < capacity { queue.append((t, 0)) } else { lost += 1 }
        }
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        var invalid = false
        if a > 0 {
            let slot = a - 1
            let idle = (0..<machineCount).filter { busy[$0] == 0 }
            if slot < queue.count, !idle.isEmpty {
                let job = queue.remove(at: slot)
                let m = idle.first(where: { setupType[$0] == job.type }) ?? idle[0]
                let changeover = setupType[m] == job.type ? 0 : setupTime
                setupType[m] = job.type
                busy[m] = changeover + process[job.type]
                inProcess[m] = job.type
            } else {
                invalid = true
            }
        }
        // One tick passes.
        tick += 1
        for m in 0..<machineCount where busy[m] > 0 {
            busy[m] -= 1
            if busy[m] == 0 { completed += 1; inProcess[m] = -1 }
        }
        for i in queue.indices { queue[i].waited += 1 }
        let lostBefore = lost
        arrivals()
        let reward = -holdingCost * Double(queue.count) - lostCost * Double(lost - lostBefore)
        var i = info
        if invalid { i["invalid"] = .bool(true) }
        return Step(observation, reward, terminated: false, info: i)
    }

    public func render() -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        func name(_ t: Int) -> String { t >= 0 && t < letters.count ? String(letters[t]) : "\(t)" }
        var lines = ["tick \(tick): queue [" + queue.map { "\(name($0.type))\($0.waited)" }.joined(separator: " ") + "]"
                     + " completed \(completed) lost \(lost)"]
        for m in 0..<machineCount {
            let state = busy[m] == 0 ? "idle" : "busy \(busy[m]) (job \(name(inProcess[m])))"
            lines.append("  machine \(m + 1): setup \(setupType[m] < 0 ? "-" : name(setupType[m])), \(state)")
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        var p = info
        p["queue_types"] = .indices(queue.map(\.type))
        p["busy"] = .numbers(busy.map(Double.init))
        p["setup_types"] = .indices(setupType)  // -1 (Lua 0): not set up yet
        return p
    }
}
