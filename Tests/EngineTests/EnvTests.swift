import XCTest
@testable import Engine

final class EnvTests: XCTestCase {
    // MARK: CartPole

    /// One step of Gymnasium's cartpole.py (euler), written out from the published equations.
    private func cartPoleReference(_ s: [Double], _ action: Int) -> [Double] {
        let gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, forceMag = 10.0, tau = 0.02
        let totalMass = masspole + masscart
        let polemassLength = masspole * length
        let (x, xDot, theta, thetaDot) = (s[0], s[1], s[2], s[3])
        let force = action == 1 ? forceMag : -forceMag
        let costheta = cos(theta), sintheta = sin(theta)
        let temp = (force + polemassLength * thetaDot * thetaDot * sintheta) / totalMass
        let thetaacc = (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - masspole * costheta * costheta / totalMass))
        let xacc = temp - polemassLength * thetaacc * costheta / totalMass
        return [x + tau * xDot, xDot + tau * xacc, theta + tau * thetaDot, thetaDot + tau * thetaacc]
    }

    func testCartPoleFirstStepFromRestMatchesHandDerivation() throws {
        // From rest, pushing right: temp = 100/11, thetaacc = -600/41, xacc = 400/41.
        let env = try CartPole()
        _ = try env.reset(options: ["state": [0, 0, 0, 0]])
        let s = try env.step(.discrete(1))
        XCTAssertEqual(env.state[0], 0, accuracy: 1e-15)
        XCTAssertEqual(env.state[1], 8.0 / 41.0, accuracy: 1e-12)
        XCTAssertEqual(env.state[2], 0, accuracy: 1e-15)
        XCTAssertEqual(env.state[3], -12.0 / 41.0, accuracy: 1e-12)
        XCTAssertEqual(s.reward, 1)
        XCTAssertFalse(s.terminated)
    }

    func testCartPoleTrajectoryMatchesPublishedEquations() throws {
        let env = try CartPole()
        var expected = [0.01, -0.02, 0.03, 0.04]
        _ = try env.reset(options: ["state": .list(expected.map { .number($0) })])
        let actions = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1]
        for (k, a) in actions.enumerated() {
            expected = cartPoleReference(expected, a)
            let s = try env.step(.discrete(a))
            for i in 0..<4 {
                XCTAssertEqual(env.state[i], expected[i], accuracy: 1e-12, "step \(k + 1) component \(i)")
            }
            // The observation is the state rounded to float32.
            XCTAssertEqual(s.observation, .vector(expected.map { Double(Float($0)) }))
            XCTAssertEqual(s.reward, 1)
            XCTAssertFalse(s.terminated)
        }
    }

    func testCartPoleTerminatesAtThresholds() throws {
        let threshold = 12 * 2 * Double.pi / 360
        let env = try CartPole()
        // Just inside the angle threshold, falling outward: terminates on this step.
        _ = try env.reset(options: ["state": [0, 0, .number(threshold - 1e-4), 0.5]])
        var s = try env.step(.discrete(1))
        XCTAssertGreaterThan(env.state[2], threshold)
        XCTAssertTrue(s.terminated)
        XCTAssertEqual(s.reward, 1, "the terminating step still pays 1")
        // Still inside after the step: not terminated.
        _ = try env.reset(options: ["state": [0, 0, .number(threshold - 1e-2), 0]])
        s = try env.step(.discrete(0))
        XCTAssertLessThanOrEqual(env.state[2], threshold)
        XCTAssertFalse(s.terminated)
        // The cart leaves the track: x > 2.4.
        _ = try env.reset(options: ["state": [2.399, 1.0, 0, 0]])
        s = try env.step(.discrete(1))
        XCTAssertGreaterThan(env.state[0], 2.4)
        XCTAssertTrue(s.terminated)
        _ = try env.reset(options: ["state": [-2.399, -1.0, 0, 0]])
        XCTAssertTrue(try env.step(.discrete(0)).terminated)
    }

    func testCartPoleTruncatesAt500Steps() throws {
        let env = try EnvRegistry.make("CartPole-v1")
        XCTAssertEqual(env.maxEpisodeSteps, 500)
        var (obs, _) = try env.reset(seed: 3)
        var steps = 0
        while true {
            let o = obs.doubles
            let action = o[2] + 0.5 * o[3] + 0.01 * o[0] + 0.1 * o[1] > 0 ? 1 : 0
            let s = try env.step(.discrete(action))
            steps += 1
            obs = s.observation
            if s.terminated || s.truncated {
                XCTAssertFalse(s.terminated)
                XCTAssertTrue(s.truncated)
                break
            }
        }
        XCTAssertEqual(steps, 500)
        XCTAssertEqual(env.episodeReturn, 500)
        assertEngineError("CartPole-v1.step", "the episode has ended (truncated)") { _ = try env.step(.discrete(0)) }
    }

    func testCartPoleResetDrawsWithinBounds() throws {
        let env = try EnvRegistry.make("CartPole-v1")
        for seed in 0..<50 {
            let (obs, _) = try env.reset(seed: UInt64(seed))
            XCTAssertTrue(obs.doubles.allSatisfy { abs($0) <= 0.05 })
        }
    }

    // MARK: Pendulum

    private func pendulumReference(_ s: [Double], _ torque: Double) -> (state: [Double], reward: Double) {
        let (th, thdot) = (s[0], s[1])
        let g = 10.0, m = 1.0, l = 1.0, dt = 0.05
        let u = min(max(torque, -2), 2)
        var an = (th + Double.pi).truncatingRemainder(dividingBy: 2 * Double.pi)
        if an < 0 { an += 2 * Double.pi }
        an -= Double.pi
        let costs = an * an + 0.1 * thdot * thdot + 0.001 * u * u
        var newthdot = thdot + (3 * g / (2 * l) * sin(th) + 3.0 / (m * l * l) * u) * dt
        newthdot = min(max(newthdot, -8), 8)
        return ([th + newthdot * dt, newthdot], -costs)
    }

    func testPendulumFirstStepFromRestMatchesHandDerivation() throws {
        let env = try Pendulum()
        _ = try env.reset(options: ["state": [0, 0]])
        let s = try env.step(.vector([2]))
        XCTAssertEqual(s.reward, -0.004, accuracy: 1e-15)
        XCTAssertEqual(env.state[1], 0.3, accuracy: 1e-15)
        XCTAssertEqual(env.state[0], 0.015, accuracy: 1e-15)
    }

    func testPendulumTrajectoryMatchesPublishedEquations() throws {
        let env = try Pendulum()
        var expected = [2.5, -0.7]
        _ = try env.reset(options: ["state": [2.5, -0.7]])
        let torques = [0.5, -3.0, 2.0, 1.2, 7.0, -0.25, 0, 1.99, -2, 0.75]
        for (k, u) in torques.enumerated() {
            let (next, reward) = pendulumReference(expected, u)
            let s = try env.step(.vector([u]))
            XCTAssertEqual(s.reward, reward, accuracy: 1e-12, "step \(k + 1) reward")
            XCTAssertEqual(env.state[0], next[0], accuracy: 1e-12, "step \(k + 1) theta")
            XCTAssertEqual(env.state[1], next[1], accuracy: 1e-12, "step \(k + 1) theta_dot")
            XCTAssertEqual(s.observation, .vector([Double(Float(cos(next[0]))), Double(Float(sin(next[0]))), Double(Float(next[1]))]))
            XCTAssertFalse(s.terminated)
            expected = next
        }
    }

    func testPendulumSpeedClipAngleNormalizeAndTruncation() throws {
        let env = try Pendulum()
        _ = try env.reset(options: ["state": [1.5, 7.9]])
        _ = try env.step(.vector([2]))
        XCTAssertEqual(env.state[1], 8, "speed clipped to max_speed")
        XCTAssertEqual(Pendulum.angleNormalize(3 * Double.pi / 2), -Double.pi / 2, accuracy: 1e-12)
        XCTAssertEqual(Pendulum.angleNormalize(-3 * Double.pi / 2), Double.pi / 2, accuracy: 1e-12)
        XCTAssertEqual(Pendulum.angleNormalize(0.3), 0.3, accuracy: 1e-15)

        let wrapped = try EnvRegistry.make("Pendulum-v1")
        _ = try wrapped.reset(seed: 1)
        var steps = 0
        while true {
            let s = try wrapped.step(wrapped.sampleAction())
            steps += 1
            if s.truncated { XCTAssertFalse(s.terminated); break }
        }
        XCTAssertEqual(steps, 200)
        for seed in 0..<30 {
            let (obs, _) = try wrapped.reset(seed: UInt64(seed))
            guard let p = wrapped.base as? Pendulum else { return XCTFail("not a pendulum") }
            XCTAssertLessThanOrEqual(abs(p.state[0]), Double.pi)
            XCTAssertLessThanOrEqual(abs(p.state[1]), 1)
            XCTAssertEqual(obs.doubles.count, 3)
        }
    }

    // MARK: FrozenLake

    func testFrozenLakeNonSlipperyValueIterationMatchesHandValues() throws {
        // Optimal V with γ = 0.9 and reward 1 on reaching G: 0.9^(d − 1) where d is the number of
        // steps of the shortest safe path to G; holes and the goal are worth 0.
        let lake = try FrozenLake(options: ["is_slippery": false])
        let (v, policy, _) = try lake.mdp.valueIteration(gamma: 0.9, tolerance: 1e-14)
        let hand: [Double] = [
            0.59049, 0.6561, 0.729, 0.6561,
            0.6561, 0, 0.81, 0,
            0.729, 0.81, 0.9, 0,
            0, 0.9, 1.0, 0,
        ]
        for s in 0..<16 { XCTAssertEqual(v[s], hand[s], accuracy: 1e-12, "state \(s)") }
        // Greedy actions from the start follow a shortest path: DOWN (1) or RIGHT (2).
        XCTAssertTrue([1, 2].contains(policy[0]))
        XCTAssertEqual(policy[14], 2, "next to the goal: go right")
        // Policy iteration agrees.
        let (v2, _, _) = try lake.mdp.policyIteration(gamma: 0.9)
        for s in 0..<16 { XCTAssertEqual(v2[s], hand[s], accuracy: 1e-9) }
    }

    func testFrozenLakeSlipperyTransitionsFollowTheOneThirdRule() throws {
        let lake = try FrozenLake()
        XCTAssertEqual(lake.transitions.count, 16)
        for s in 0..<16 {
            for a in 0..<4 {
                let outcomes = lake.transitions[s][a]
                XCTAssertEqual(outcomes.reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-12)
                if [5, 7, 11, 12, 15].contains(s) {
                    XCTAssertEqual(outcomes, [Transition(1, s, 0, true)])
                } else {
                    XCTAssertEqual(outcomes.count, 3)
                    XCTAssertTrue(outcomes.allSatisfy { $0.probability == 1.0 / 3.0 })
                }
            }
        }
        // LEFT from the start: slips UP (stay), LEFT (stay) or DOWN (to 4), in Gymnasium's order.
        XCTAssertEqual(lake.transitions[0][0].map(\.nextState), [0, 0, 4])
        // DOWN from 14: slips LEFT (13), DOWN (stays: bottom row) or RIGHT into the goal (1, terminal).
        XCTAssertEqual(lake.transitions[14][1], [Transition(1.0 / 3.0, 13, 0, false), Transition(1.0 / 3.0, 14, 0, false),
                                                 Transition(1.0 / 3.0, 15, 1, true)])
        // Sampled frequencies follow the table.
        let env = try EnvRegistry.make("FrozenLake-v1")
        var counts = [0: 0, 4: 0]
        for k in 0..<3000 {
            _ = try env.reset(seed: UInt64(k))
            let s = try env.step(.discrete(0))
            if case .discrete(let next) = s.observation { counts[next, default: 0] += 1 }
            XCTAssertEqual(s.info["prob"], .number(1.0 / 3.0))
        }
        XCTAssertEqual(Double(counts[4] ?? 0) / 3000, 1.0 / 3.0, accuracy: 0.03)
    }

    func testFrozenLake8x8AndCustomMaps() throws {
        let big = try EnvRegistry.make("FrozenLake8x8-v1")
        XCTAssertEqual(big.observationSpace, .discrete(64))
        XCTAssertEqual(big.maxEpisodeSteps, 200)
        let custom = try FrozenLake(options: ["desc": ["SH", "FG"], "is_slippery": false])
        let (v, _, _) = try custom.mdp.valueIteration(gamma: 0.5)
        XCTAssertEqual(v, [0.5, 0, 1, 0])
        assertEngineError("FrozenLake-v1", "cells are S") { _ = try FrozenLake(options: ["desc": ["SX", "FG"]]) }
        assertEngineError("FrozenLake-v1", "unknown option slippery") { _ = try EnvRegistry.make("FrozenLake-v1", options: ["slippery": false]) }
    }

    // MARK: CliffWalking

    func testCliffWalkingCliffSendsBackToStart() throws {
        let env = try EnvRegistry.make("CliffWalking-v0")
        var (obs, _) = try env.reset()
        XCTAssertEqual(obs, .discrete(36))
        var s = try env.step(.discrete(1))  // RIGHT from the start: into the cliff
        XCTAssertEqual(s.observation, .discrete(36))
        XCTAssertEqual(s.reward, -100)
        XCTAssertFalse(s.terminated)
        // The safe path: UP, RIGHT x 11, DOWN reaches the goal with −13.
        var total = 0.0
        s = try env.step(.discrete(0)); total += s.reward
        for _ in 0..<11 { s = try env.step(.discrete(1)); total += s.reward }
        s = try env.step(.discrete(2)); total += s.reward
        XCTAssertEqual(s.observation, .discrete(47))
        XCTAssertTrue(s.terminated)
        XCTAssertEqual(total, -13)
        (obs, _) = try env.reset()
        XCTAssertEqual(obs, .discrete(36))
        // Optimal values with γ = 1: the start is worth −13.
        guard let cliff = env.base as? CliffWalking else { return XCTFail("not CliffWalking") }
        let (v, _, _) = try cliff.mdp.valueIteration(gamma: 1)
        XCTAssertEqual(v[36], -13, accuracy: 1e-9)
    }

    // MARK: GridWorld

    func testGridWorldReproducesRussellNorvigUtilities() throws {
        // AIMA fig. 17.3 (γ = 1, R = −0.04): utilities of the 4x3 world. Here rewards come on
        // entering a state, so V(s) = U(s) + 0.04 for non-terminal states.
        let world = try GridWorld()
        let (v, _, _) = try world.mdp.valueIteration(gamma: 1, tolerance: 1e-12)
        let aima: [(Int, Double)] = [(0, 0.812), (1, 0.868), (2, 0.918), (4, 0.762), (6, 0.660),
                                     (8, 0.705), (9, 0.655), (10, 0.611), (11, 0.388)]
        for (s, u) in aima { XCTAssertEqual(v[s] - 0.04, u, accuracy: 1.5e-3, "state \(s)") }
        for s in 0..<12 {
            for a in 0..<4 { XCTAssertEqual(world.transitions[s][a].reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-12) }
        }
    }

    func testGridWorldConfiguration() throws {
        let env = try EnvRegistry.make("GridWorld-v0", options: EnvOptions([
            "rows": 2, "cols": 3, "walls": [[1, 2]], "goals": [[1, 3, 5]], "start": [2, 1], "step_reward": -1,
        ], indexBase: 1))
        guard let world = env.base as? GridWorld else { return XCTFail("not a grid world") }
        XCTAssertEqual(world.start, 3)
        XCTAssertEqual(world.walls, [1])
        XCTAssertEqual(world.terminals, [2: 5])
        _ = try env.reset()
        var s = try env.step(.discrete(1))  // right to (2,2)
        XCTAssertEqual(s.observation, .discrete(4))
        XCTAssertEqual(s.reward, -1)
        s = try env.step(.discrete(0))  // up into the wall: stay
        XCTAssertEqual(s.observation, .discrete(4))
        s = try env.step(.discrete(1)); s = try env.step(.discrete(0))
        XCTAssertEqual(s.observation, .discrete(2))
        XCTAssertEqual(s.reward, 5)
        XCTAssertTrue(s.terminated)
        assertEngineError("GridWorld-v0", "outside the 2x3 grid") {
            _ = try GridWorld(options: EnvOptions(["rows": 2, "cols": 3, "start": [3, 1]], indexBase: 1))
        }
    }

    // MARK: Bandits

    func testBernoulliBanditArmStatistics() throws {
        let env = try EnvRegistry.make("BernoulliBandit-v0", options: ["probs": [0.2, 0.5, 0.8]])
        _ = try env.reset(seed: 7)
        guard let bandit = env.base as? Bandit else { return XCTFail("not a bandit") }
        XCTAssertEqual(bandit.optimalArm, 2)
        XCTAssertEqual(bandit.regret(0), 0.6, accuracy: 1e-12)
        for arm in 0..<3 {
            let n = 20000
            let mean = (0..<n).reduce(0.0) { total, _ in total + bandit.pull(arm) } / Double(n)
            XCTAssertEqual(mean, [0.2, 0.5, 0.8][arm], accuracy: 0.015, "arm \(arm)")
        }
        let s = try env.step(.discrete(0))
        XCTAssertEqual(s.info["regret"], .number(0.6000000000000001))
        XCTAssertEqual(s.info["optimal"], .bool(false))
    }

    func testGaussianBanditArmStatisticsAndTestbed() throws {
        let env = try EnvRegistry.make("Bandit-v0", options: ["means": [1, -1], "std": 2])
        _ = try env.reset(seed: 1)
        guard let bandit = env.base as? Bandit else { return XCTFail("not a bandit") }
        let draws = (0..<40000).map { _ in bandit.pull(1) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let std = (draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count)).squareRoot()
        XCTAssertEqual(mean, -1, accuracy: 0.05)
        XCTAssertEqual(std, 2, accuracy: 0.05)
        XCTAssertEqual(bandit.optimalArm, 0)
        // The 10-armed testbed draws q* ~ N(0, 1) at each reset; the seed fixes them.
        let testbed = try EnvRegistry.make("Bandit-v0")
        _ = try testbed.reset(seed: 5)
        let first = (testbed.base as? Bandit)?.means ?? []
        _ = try testbed.reset(seed: 5)
        XCTAssertEqual((testbed.base as? Bandit)?.means, first)
        XCTAssertEqual(first.count, 10)
        XCTAssertEqual(testbed.maxEpisodeSteps, 1000)
    }

    // MARK: Board games

    private func play(_ env: Env, _ moves: [Int]) throws -> Step? {
        var last: Step?
        for m in moves { last = try env.step(.discrete(m)) }
        return last
    }

    func testTicTacToeWinnerDetection() throws {
        let env = try EnvRegistry.make("TicTacToe-v0")
        // Rows, columns and both diagonals for player 1 (moves alternate X, O, X, ...).
        let wins: [[Int]] = [[0, 3, 1, 4, 2], [3, 0, 4, 1, 5], [0, 1, 3, 2, 6], [2, 0, 5, 1, 8],
                             [0, 1, 4, 2, 8], [2, 0, 4, 1, 6]]
        for moves in wins {
            _ = try env.reset()
            let s = try play(env, moves)
            XCTAssertEqual(s?.terminated, true, "\(moves)")
            XCTAssertEqual(s?.reward, 1)
            XCTAssertEqual(s?.info["winner"], .integer(1))
        }
        // Player 2 wins with the middle column.
        _ = try env.reset()
        let s2 = try play(env, [0, 1, 2, 4, 3, 7])
        XCTAssertEqual(s2?.info["winner"], .integer(2))
        XCTAssertEqual(s2?.reward, 1, "reward from the mover's view")
        // A draw: X O X / X O O / O X X.
        _ = try env.reset()
        let draw = try play(env, [0, 1, 2, 4, 3, 5, 7, 6, 8])
        XCTAssertEqual(draw?.terminated, true)
        XCTAssertEqual(draw?.reward, 0)
        XCTAssertEqual(draw?.info["winner"], .integer(0))
        // No false positives along the way.
        _ = try env.reset()
        let open = try play(env, [4, 0, 8])
        XCTAssertEqual(open?.terminated, false)
    }

    func testTicTacToeCanonicalBoardLegalMovesAndClone() throws {
        let env = try EnvRegistry.make("TicTacToe-v0")
        _ = try env.reset()
        let s = try env.step(.discrete(4))
        // Player 2 to move: player 1's stone appears as −1.
        XCTAssertEqual(s.observation, .vector([0, 0, 0, 0, -1, 0, 0, 0, 0]))
        XCTAssertEqual(s.info["current_player"], .integer(2))
        XCTAssertEqual(env.legalActions(), [0, 1, 2, 3, 5, 6, 7, 8])
        assertEngineError("TicTacToe-v0.step", "illegal action 4") { _ = try env.step(.discrete(4)) }
        let copy = try env.clone()
        _ = try copy.step(.discrete(0))
        XCTAssertEqual(env.legalActions()?.count, 8, "the clone is independent")
        XCTAssertEqual(copy.legalActions()?.count, 7)
        // From a given position.
        env.indexBase = 0
        let (obs, info) = try env.reset(options: ["board": [1, 1, 0, 2, 2, 0, 0, 0, 0]])
        XCTAssertEqual(info["current_player"], .integer(1))
        XCTAssertEqual(obs, .vector([1, 1, 0, -1, -1, 0, 0, 0, 0]))
        XCTAssertEqual(try env.step(.discrete(2)).reward, 1)
    }

    func testTicTacToeAgainstRandomOpponent() throws {
        let env = try EnvRegistry.make("TicTacToe-v0", options: ["opponent": "random"])
        var outcomes = [Double: Int]()
        for seed in 0..<200 {
            _ = try env.reset(seed: UInt64(seed))
            while true {
                let s = try env.step(env.sampleAction())
                if s.terminated { outcomes[s.reward, default: 0] += 1; break }
                XCTAssertEqual(s.info["current_player"], .integer(1), "the agent always moves as player 1")
            }
        }
        XCTAssertGreaterThan(outcomes[1] ?? 0, 0)
        XCTAssertGreaterThan(outcomes[-1] ?? 0, 0)
    }

    func testConnectFourWinsAndFullColumns() throws {
        let env = try EnvRegistry.make("ConnectFour-v0")
        _ = try env.reset()
        // Vertical four in column 0 for player 1.
        var s = try play(env, [0, 1, 0, 1, 0, 1, 0])
        XCTAssertEqual(s?.terminated, true)
        XCTAssertEqual(s?.info["winner"], .integer(1))
        // Rising diagonal for player 1: (5,0) (4,1) (3,2) (2,3).
        _ = try env.reset()
        s = try play(env, [0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3])
        XCTAssertEqual(s?.terminated, true)
        XCTAssertEqual(s?.info["winner"], .integer(1))
        // Horizontal for player 2 in the second row, nothing earlier.
        _ = try env.reset()
        s = try play(env, [0, 0, 1, 1, 2, 2, 6, 3, 6, 3])
        XCTAssertEqual(s?.info["winner"], .integer(2))
        // A full column is illegal.
        _ = try env.reset()
        _ = try play(env, [5, 5, 5, 5, 5, 5])
        XCTAssertFalse(env.legalActions()?.contains(5) ?? true)
        assertEngineError("ConnectFour-v0.step", "illegal action 5") { _ = try env.step(.discrete(5)) }
        XCTAssertEqual(env.observationSpace.shape, [6, 7])
    }

    // MARK: Vector environments

    func testVectorEnvAutoResetKeepsFinalObservation() throws {
        let n = 3
        let vec = try VectorEnv(id: "CartPole-v1", count: n)
        let (obs, _) = try vec.reset(seed: 10)
        XCTAssertEqual(obs.shape, [n, 4])
        // Reference copies stepped by hand with the same seeds and actions.
        let refs = try (0..<n).map { _ in try EnvRegistry.make("CartPole-v1") }
        for (i, r) in refs.enumerated() { _ = try r.reset(seed: UInt64(10 + i)) }
        var sawEnd = false
        for t in 0..<200 {
            let actions = (0..<n).map { SpaceValue.discrete(($0 + t) % 2) }
            let s = try vec.step(actions)
            let batch = try s.observations.toDoubles()
            let terminated = try s.terminated.toDoubles()
            for i in 0..<n {
                let r = try refs[i].step(actions[i])
                XCTAssertEqual(terminated[i] == 1, r.terminated)
                if r.terminated || r.truncated {
                    sawEnd = true
                    XCTAssertEqual(s.finalObservations[i], r.observation, "final observation kept")
                    XCTAssertEqual(s.episodeLengths[i], refs[i].elapsedSteps)
                    let (next, _) = try refs[i].reset()
                    XCTAssertEqual(Array(batch[(i * 4)..<(i * 4 + 4)]), next.doubles, "auto-reset observation")
                } else {
                    XCTAssertNil(s.finalObservations[i])
                    XCTAssertEqual(Array(batch[(i * 4)..<(i * 4 + 4)]), r.observation.doubles)
                }
            }
        }
        XCTAssertTrue(sawEnd)
        assertEngineError("CartPole-v1.step", "expected 3 actions") { _ = try vec.step([.discrete(0)]) }
        assertEngineError("CartPole-v1.step", "environment 1: invalid action 7") {
            _ = try vec.step([.discrete(0), .discrete(7), .discrete(0)])
        }
    }

    func testVectorEnvDiscreteObservations() throws {
        let vec = try VectorEnv(id: "FrozenLake-v1", count: 4)
        vec.indexBase = 1
        let (obs, _) = try vec.reset(seed: 0)
        XCTAssertEqual(obs.dtype, .int64)
        XCTAssertEqual(try obs.toDoubles(), [1, 1, 1, 1])
        let s = try vec.step(vec.sampleActions())
        XCTAssertTrue(try s.observations.toDoubles().allSatisfy { $0 >= 1 && $0 <= 16 })
    }

    // MARK: Seeding

    func testSeedsReproduceEpisodes() throws {
        func episode(_ id: String, seed: UInt64) throws -> [Double] {
            let env = try EnvRegistry.make(id)
            var trace: [Double] = []
            let (obs, _) = try env.reset(seed: seed)
            trace += obs.doubles
            for _ in 0..<300 {
                let s = try env.step(env.sampleAction())
                trace += s.observation.doubles + [s.reward]
                if s.terminated || s.truncated { break }
            }
            return trace
        }
        for id in EnvRegistry.ids {
            XCTAssertEqual(try episode(id, seed: 123), try episode(id, seed: 123), id)
        }
        XCTAssertNotEqual(try episode("FrozenLake-v1", seed: 1) + episode("FrozenLake-v1", seed: 2),
                          try episode("FrozenLake-v1", seed: 1) + episode("FrozenLake-v1", seed: 1))
        XCTAssertNotEqual(try episode("CartPole-v1", seed: 1), try episode("CartPole-v1", seed: 2))
        // Unseeded environments draw their seeds from Generator.default.
        Generator.default.manualSeed(99)
        let a = try EnvRegistry.make("CartPole-v1").reset().observation
        Generator.default.manualSeed(99)
        let b = try EnvRegistry.make("CartPole-v1").reset().observation
        XCTAssertEqual(a, b)
    }

    // MARK: Errors

    func testBadActionsErrorCleanly() throws {
        let cart = try EnvRegistry.make("CartPole-v1")
        assertEngineError("CartPole-v1.step", "call reset() before step()") { _ = try cart.step(.discrete(0)) }
        _ = try cart.reset(seed: 0)
        assertEngineError("CartPole-v1.step", "invalid action 2: out of range; expected an integer in 0..1 (Discrete(2))") {
            _ = try cart.step(.discrete(2))
        }
        assertEngineError("CartPole-v1.step", "invalid action -1") { _ = try cart.step(.discrete(-1)) }
        assertEngineError("CartPole-v1.step", "not an integer") { _ = try cart.step(.vector([0.5])) }
        cart.indexBase = 1
        assertEngineError("CartPole-v1.step", "invalid action 3: out of range; expected an integer in 1..2") {
            _ = try cart.step(.discrete(2))
        }
        let pendulum = try EnvRegistry.make("Pendulum-v1")
        _ = try pendulum.reset(seed: 0)
        assertEngineError("Pendulum-v1.step", "2 values given; expected 1 number in [-2, 2]") { _ = try pendulum.step(.vector([1, 2])) }
        assertEngineError("Pendulum-v1.step", "not finite") { _ = try pendulum.step(.vector([Double.nan])) }
        let game = try EnvRegistry.make("MatrixGame-v0")
        _ = try game.reset()
        assertEngineError("MatrixGame-v0.step", "component 2 is out of range") { _ = try game.step(.multiDiscrete([0, 3])) }
        assertEngineError("MatrixGame-v0.step", "1 value given") { _ = try game.step(.multiDiscrete([0])) }
        assertEngineError("envs.make", "did you mean \"CartPole-v1\"") { _ = try EnvRegistry.make("CartPole-v0") }
        assertEngineError("CartPole-v1", "option length: expected a number > 0") { _ = try EnvRegistry.make("CartPole-v1", options: ["length": -1]) }
        assertEngineError("CartPole-v1.reset", "expected a list of 4 numbers") { _ = try cart.reset(options: ["state": [1, 2]]) }
    }

    // MARK: Other environments

    func testEveryEnvironmentRunsWithinItsSpaces() throws {
        for id in EnvRegistry.ids {
            let env = try EnvRegistry.make(id)
            var (obs, _) = try env.reset(seed: 0)
            var episodes = 0
            for _ in 0..<400 {
                XCTAssertEqual(obs.doubles.count, env.observationSpace.flatCount, id)
                if case .discrete = env.observationSpace { XCTAssertTrue(env.observationSpace.contains(obs), id) }
                let action = env.sampleAction()
                XCTAssertTrue(env.actionSpace.contains(action), id)
                let s = try env.step(action)
                XCTAssertTrue(s.reward.isFinite, id)
                obs = s.observation
                if s.terminated || s.truncated { episodes += 1; (obs, _) = try env.reset() }
            }
            XCTAssertFalse(env.render().isEmpty, id)
        }
    }

    func testMatrixGamePayoffs() throws {
        let climbing = try EnvRegistry.make("ClimbingGame-v0")
        _ = try climbing.reset()
        XCTAssertEqual(try climbing.step(.multiDiscrete([0, 0])).reward, 11)
        let s = try climbing.step(.multiDiscrete([0, 1]))
        XCTAssertEqual(s.reward, -30)
        XCTAssertEqual(s.observation, .vector([1, 0, 0, 0, 1, 0]))
        let penalty = try EnvRegistry.make("PenaltyGame-v0", options: ["k": -50, "rounds": 2])
        _ = try penalty.reset()
        XCTAssertEqual(try penalty.step(.multiDiscrete([0, 2])).reward, -50)
        let last = try penalty.step(.multiDiscrete([2, 2]))
        XCTAssertEqual(last.reward, 10)
        XCTAssertTrue(last.terminated)
    }

    func testAdaptiveTestRewards() throws {
        let env = try EnvRegistry.make("AdaptiveTest-v0", options: ["false_fail": 0])
        guard let flow = env.base as? AdaptiveTest else { return XCTFail("not AdaptiveTest") }
        // A good device tested to the end: pays only test time.
        _ = try env.reset(seed: 0, options: ["defects": [0, 0, 0]])
        var total = 0.0
        var s: Step
        repeat { s = try env.step(.discrete(0)); total += s.reward } while !s.terminated
        XCTAssertEqual(total, -flow.costs.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(s.info["bin"], .string("pass"))
        // A defective device shipped right away: an escape.
        _ = try env.reset(seed: 0, options: ["defects": [1, 0, 0]])
        s = try env.step(.discrete(2))
        XCTAssertEqual(s.reward, -100)
        XCTAssertEqual(s.info["escape"], .bool(true))
        // Skipping everything ships too.
        _ = try env.reset(seed: 0, options: ["defects": [0, 0, 0]])
        for _ in 0..<5 { XCTAssertFalse(try env.step(.discrete(1)).terminated) }
        XCTAssertTrue(try env.step(.discrete(1)).terminated)
        // Full coverage catches a defect at the first test.
        let sure = try EnvRegistry.make("AdaptiveTest-v0", options: ["costs": [1, 1], "prevalence": [1], "coverage": [[1], [1]]])
        _ = try sure.reset(seed: 0)
        s = try sure.step(.discrete(0))
        XCTAssertTrue(s.terminated)
        XCTAssertEqual(s.info["bin"], .string("fail"))
        XCTAssertEqual(s.reward, -1)
    }

    func testStockTradingRewardsAreLogReturns() throws {
        let env = try EnvRegistry.make("StockTrading-v0", options: ["cost": 0])
        _ = try env.reset(seed: 3)
        guard let market = env.base as? StockTrading else { return XCTFail("not StockTrading") }
        var total = 0.0
        let start = market.price
        _ = try env.step(.discrete(0))  // flat: reward 0
        let p0 = market.price
        for _ in 0..<20 { total += try env.step(.discrete(1)).reward }  // buy, then stay long
        XCTAssertEqual(total, log(market.price / p0), accuracy: 1e-12)
        XCTAssertEqual(market.portfolioValue, market.price / p0, accuracy: 1e-9)
        XCTAssertNotEqual(start, market.price)
        XCTAssertEqual(env.maxEpisodeSteps, 252)
    }

    func testSchedulingDispatchAndTwin() throws {
        let shop = try EnvRegistry.make("EquipmentScheduling-v0", options: ["arrival": [1, 0, 0], "machines": 1, "setup": 2, "process": [3, 5, 4]])
        let (_, info) = try shop.reset(seed: 0)
        XCTAssertEqual(info["queue_length"], .integer(1))
        var s = try shop.step(.discrete(5))
        XCTAssertEqual(s.info["invalid"], .bool(true), "slot 5 is empty")
        XCTAssertEqual(s.info["queue_length"], .integer(2))
        s = try shop.step(.discrete(1))  // dispatch: setup 2 + process 3
        XCTAssertEqual(s.info["queue_length"], .integer(2), "one new arrival, the first job in process")
        XCTAssertEqual(s.reward, -0.2, accuracy: 1e-12)
        for _ in 0..<4 { s = try shop.step(.discrete(0)) }
        XCTAssertEqual(s.info["completed"], .integer(1))
        let obs = s.observation
        XCTAssertEqual(obs.doubles.count, shop.observationSpace.flatCount)

        let twin = try EnvRegistry.make("EquipmentTwin-v0")
        _ = try twin.reset(seed: 0)
        let t = try twin.step(.vector([5, -5]))  // clipped to [-1, 1]
        XCTAssertTrue(t.reward.isFinite)
        XCTAssertEqual(twin.actionSpace, .box(low: -1, high: 1, shape: [2]))
    }

    func testCoopForageCollectsOnlyTogether() throws {
        let env = try EnvRegistry.make("CoopForage-v0", options: ["size": 3])
        _ = try env.reset(seed: 0)
        guard let forage = env.base as? CoopForage else { return XCTFail("not CoopForage") }
        XCTAssertEqual(env.observationSpace.shape, [2, 29])
        // Walk both agents to the food.
        var s: Step?
        for _ in 0..<6 {
            let moves = forage.positions.map { p -> Int in
                if p.row > forage.food.row { return 1 }
                if p.row < forage.food.row { return 3 }
                if p.col < forage.food.col { return 2 }
                if p.col > forage.food.col { return 4 }
                return 0
            }
            s = try env.step(.multiDiscrete(moves))
            if s?.terminated == true { break }
        }
        XCTAssertEqual(s?.terminated, true)
        XCTAssertEqual(s?.reward ?? 0, 0.99, accuracy: 1e-12)
    }

    func testSpaces() throws {
        let g = Generator(seed: 1)
        let box = Space.box(low: [-1, 0], high: [1, 5], shape: [2])
        for _ in 0..<200 {
            XCTAssertTrue(box.contains(box.sample(using: g)))
            guard case .discrete(let d) = Space.discrete(3).sample(using: g) else { return XCTFail("kind") }
            XCTAssertTrue((0..<3).contains(d))
        }
        let unbounded = Space.box(low: -.infinity, high: .infinity, shape: [3])
        XCTAssertEqual(unbounded.sample(using: g).doubles.count, 3)
        XCTAssertEqual(Space.discrete(4).batched(2), .multiDiscrete(nvec: [4, 4], shape: [2]))
        XCTAssertEqual(box.batched(3).shape, [3, 2])
        XCTAssertEqual(Space.discrete(2).description, "Discrete(2)")
        XCTAssertEqual(Space.box(low: -2, high: 2, shape: [1]).description, "Box(-2, 2, (1,), float32)")
    }
}
