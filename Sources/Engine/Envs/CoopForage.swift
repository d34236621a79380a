/// CoopForage-v0: cooperative multi-agent foraging under partial observability.
///
/// N agents (default 2) and one food item on a size×size grid (default 5), placed at random.
/// The food is collected only when every agent stands within one cell of it (Chebyshev distance
/// ≤ 1) at the same time: the team gets +1 and the episode terminates. Each step costs the team
/// −0.01. Truncated at 50 steps. Agents may share cells.
///
/// Joint action: MultiDiscrete(5 per agent) — 0 stay, 1 up, 2 right, 3 down, 4 left (Lua 1..5);
/// from Lua a table `{a1, a2}` or an integer tensor. The reward is shared (one number).
///
/// Each agent sees only its own (row, col) / (size − 1) and a (2·view+1)² window around it
/// (default view 1 → 3x3): food there, other agents there, outside the grid. The observation is
/// the n_agents × (2 + 3·window²) float32 matrix of the agents' views (row i = agent i).
///
/// Make options: agents (default 2), size (default 5), view (default 1), step_cost (0.01).
public final class CoopForage: Environment {
    public static let optionNames = ["agents", "size", "view", "step_cost"]
    public static let moves = [(0, 0), (-1, 0), (0, 1), (1, 0), (0, -1)]
    public let id = "CoopForage-v0"
    public let agents: Int
    public let size: Int
    public let view: Int
    public let stepCost: Double
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = 50

    public private(set) var positions: [(row: Int, col: Int)] = []
    public private(set) var food = (row: 0, col: 0)

    public var windowCells: Int { (2 * view + 1) * (2 * view + 1) }
    public var agentObservationSize: Int { 2 + 3 * windowCells }
    public var observationSpace: Space { .box(low: 0, high: 1, shape: [agents, agentObservationSize]) }
    public var actionSpace: Space { .multiDiscrete(Array(repeating: 5, count: agents)) }

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(CoopForage.optionNames, id)
        agents = try options.int("agents", id, in: 1...16) ?? 2
        size = try options.int("size", id, in: 2...100) ?? 5
        view = try options.int("view", id, in: 0...10) ?? 1
        stepCost = try options.double("step_cost", id) ?? 0.01
    }

    public var observation: SpaceValue {
        var v: [Double] = []
        v.reserveCapacity(agents * agentObservationSize)
        let scale = Double(size - 1)
        for i in 0..<agents {
            let me = positions[i]
            v.append(Double(Float(Double(me.row) / scale)))
            v.append(Double(Float(Double(me.col) / scale)))
            var foodSeen: [Double] = [], othersSeen: [Double] = [], outside: [Double] = []
            for dr in -view...view {
                for dc in -view...view {
                    let r = me.row + dr, c = me.col + dc
                    let inside = r >= 0 && r < size && c >= 0 && c < size
                    outside.append(inside ? 0 : 1)
                    foodSeen.append(inside && r == food.row && c == food.col ? 1 : 0)
                    let other = inside && (0..<agents).contains { $0 != i && positions[$0].row == r && positions[$0].col == c }
                    othersSeen.append(other ? 1 : 0)
                }
            }
            v += foodSeen + othersSeen + outside
        }
        return .vector(v)
    }

    public var collected: Bool {
        positions.allSatisfy { abs($0.row - food.row) <= 1 && abs($0.col - food.col) <= 1 }
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown([], id + ".reset")
        // Distinct random cells for the food and the agents, none starting next to the food all together.
        repeat {
            var cells = Array(0..<(size * size))
            var g = rng
            cells.shuffle(using: &g)
            food = (cells[0] / size, cells[0] % size)
            positions = (0..<agents).map { k in
                let cell = cells[(k + 1) % cells.count]
                return (cell / size, cell % size)
            }
        } while collected && size > 2
        return (observation, [:])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .multiDiscrete(let moves) = action, moves.count == agents else {
            throw EngineError(id + ".step", "expected one move per agent")
        }
        for i in 0..<agents {
            let (dr, dc) = CoopForage.moves[moves[i]]
            positions[i].row = Swift.min(Swift.max(positions[i].row + dr, 0), size - 1)
            positions[i].col = Swift.min(Swift.max(positions[i].col + dc, 0), size - 1)
        }
        if collected {
            return Step(observation, 1 - stepCost, terminated: true, info: ["collected": .bool(true)])
        }
        return Step(observation, -stepCost, terminated: false)
    }

    public func render() -> String {
        var lines: [String] = []
        for r in 0..<size {
            var line = ""
            for c in 0..<size {
                let here = (0..<agents).filter { positions[$0].row == r && positions[$0].col == c }
                if let first = here.first { line += here.count > 1 ? " * " : " \(first + 1) " }
                else if r == food.row && c == food.col { line += " F " }
                else { line += " . " }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        ["food": .indices([food.row, food.col]),
         "positions": .table(Info(uniqueKeysWithValues: positions.enumerated().map { ("\($0.offset + 1)", .indices([$0.element.row, $0.element.col])) })),
         "collected": .bool(collected)]
    }
}
