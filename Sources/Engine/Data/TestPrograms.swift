public struct TestProgramSet {
    public let texts: [String]
    public let names: [String]
    /// Number of test blocks in each program.
    public let testCounts: [Int]
}

/// A corpus of programs in a small test DSL ("TDL"): pin lists, level blocks, tests that force,
/// measure, sweep, search and run patterns or memory BIST, limits and fail bins, and a flow.
/// Programs are consistent (a flow runs the tests the program defines; bins, units and
/// identifiers agree), so a language model can learn the structure.
///
///     program IDDQ_SCREEN_P3 version 2.4
///     pins VDD_CORE, VDDIO, CLK, DQ0, DQ1
///     levels nominal {
///       VDD_CORE = 0.80 V
///     }
///     test T1010 iddq_static {
///       set VDD_CORE = 0.88 V
///       wait 2 ms
///       measure I(VDD_CORE) -> iddq
///       limit iddq <= 150 uA
///       on fail bin 3
///     }
///     flow main {
///       run T1010 on fail stop
///       bin 1
///     }
///     end
public enum TestPrograms {
    static let op = "test_programs"

    static let families = ["IDDQ_SCREEN", "DC_PARAM", "SPEED_BIN", "FUNC_TEST", "MEM_TEST", "PROBE_SORT", "FINAL_TEST"]
    static let supplies = ["VDD_CORE", "VDDIO", "VDD_PLL", "VDD_SRAM"]
    static let patterns = ["scan_sa_01", "scan_tdf_02", "func_boot", "func_dma", "bist_logic", "jtag_idcode", "usb_loop"]
    static let memories = ["sram0", "sram1", "rom0", "l2_data", "l2_tag"]
    static let algorithms = ["march_c", "march_lr", "checkerboard", "walking_ones"]

    public static func generate(_ o: TextCorpusOptions) throws -> TestProgramSet {
        try DataCheck.range(op, "n", o.count, 1...100_000)
        var rng = DataRNG(seed: o.seed)
        var texts: [String] = [], names: [String] = [], counts: [Int] = []
        for i in 0..<o.count {
            if i & 1023 == 0 { try Interrupt.check(op) }
            let name = "\(rng.choice(families))_\(Vocabulary.letters[rng.int(Vocabulary.letters.count)])\(1 + rng.int(9))"
            let signalCount = 2 + rng.int(5)
            var signals: [String] = []
            while signals.count < signalCount {
                let s = rng.choice(["CLK", "RST_N", "TCK", "TDI", "TDO", "DQ\(rng.int(32))", "A\(rng.int(16))", "GPIO\(rng.int(24))"])
                if !signals.contains(s) { signals.append(s) }
            }
            let used = Array(supplies.prefix(1 + rng.int(supplies.count)))
            var lines = ["program \(name) version \(1 + rng.int(4)).\(rng.int(10))"]
            if rng.bernoulli(0.5) { lines.append("# \(rng.choice(["hot", "cold", "room"])) insertion, \(rng.choice(["wafer sort", "final test", "burn-in"]))") }
            lines.append("pins " + (used + signals).joined(separator: ", "))
            let nominal = used.map { s -> (String, Double) in (s, s == "VDDIO" ? 1.8 : (s == "VDD_PLL" ? 0.9 : 0.8)) }
            lines.append("levels nominal {")
            for (s, v) in nominal { lines.append("  \(s) = \(fixed(v, 2)) V") }
            lines.append("}")

            let testCount = 2 + rng.int(5)
            var tests: [(number: Int, bin: Int)] = []
            var number = 1000 + 10 * rng.int(50)
            for _ in 0..<testCount {
                number += 10 * (1 + rng.int(9))
                let kind = rng.int(7)
                let bin = [2, 3, 4, 5, 6, 6, 7][kind]
                lines += testBlock(kind: kind, number: number, supplies: nominal, signals: signals, bin: bin, rng: &rng)
                tests.append((number, bin))
            }
            lines.append("flow main {")
            for (k, t) in tests.enumerated() {
                let last = k == tests.count - 1
                lines.append("  run T\(t.number)" + (rng.bernoulli(0.6) || last ? " on fail stop" : " on fail continue"))
            }
            lines.append("  bin 1")
            lines.append("}")
            lines.append("end")
            texts.append(lines.joined(separator: "\n") + "\n")
            names.append(name)
            counts.append(testCount)
        }
        return TestProgramSet(texts: texts, names: names, testCounts: counts)
    }

    static func testBlock(kind: Int, number: Int, supplies: [(String, Double)], signals: [String], bin: Int,
                          rng: inout DataRNG) -> [String] {
        var l: [String] = []
        let supply = rng.choice(supplies)
        let pin = rng.choice(signals)
        switch kind {
        case 0:
            l.append("test T\(number) continuity {")
            l.append("  for pin in [\(signals.joined(separator: ", "))] {")
            l.append("    force I(pin) = -100 uA")
            l.append("    measure V(pin) -> v")
            l.append("    limit v in [-0.90 V, -0.20 V]")
            l.append("  }")
        case 1:
            l.append("test T\(number) iddq_\(rng.choice(["static", "pattern", "retention"])) {")
            l.append("  set \(supply.0) = \(fixed(supply.1 * 1.1, 2)) V")
            l.append("  wait \(1 + rng.int(5)) ms")
            l.append("  measure I(\(supply.0)) -> iddq")
            l.append("  limit iddq <= \(50 * (1 + rng.int(8))) uA")
        case 2:
            let step = rng.choice([5, 10, 20])
            l.append("test T\(number) vth_\(rng.choice(["nmos", "pmos"])) {")
            l.append("  sweep V(\(pin)) from 0.20 V to 0.70 V step \(step) mV {")
            l.append("    measure I(\(supply.0)) -> id")
            l.append("    if id > \(1 + rng.int(5)) uA { record vth = V(\(pin)); break }")
            l.append("  }")
            l.append("  limit vth in [0.40 V, 0.50 V]")
        case 3:
            let low = 100 * (5 + rng.int(10))
            l.append("test T\(number) fmax {")
            l.append("  search freq from \(low) MHz to \(low + 100 * (5 + rng.int(20))) MHz by binary {")
            l.append("    run pattern \(rng.choice(patterns)) at freq")
            l.append("  } -> fmax")
            l.append("  limit fmax >= \(low + 100 * (1 + rng.int(4))) MHz")
        case 4:
            l.append("test T\(number) func_\(rng.choice(["boot", "dma", "scan", "jtag"])) {")
            if rng.bernoulli(0.5) { l.append("  set \(supply.0) = \(fixed(supply.1 * rng.choice([0.9, 1.0, 1.1]), 2)) V") }
            l.append("  run pattern \(rng.choice(patterns)) at \(100 * (2 + rng.int(10))) MHz -> result")
            l.append("  limit result == pass")
        case 5:
            l.append("test T\(number) mbist_\(rng.choice(memories)) {")
            l.append("  set \(supply.0) = \(fixed(supply.1 * rng.choice([0.85, 0.9, 1.0]), 2)) V")
            l.append("  run mbist \(rng.choice(algorithms)) on \(rng.choice(memories)) -> fails")
            if rng.bernoulli(0.4) { l.append("  if fails > 0 { repair \(rng.choice(memories)) -> repaired }") }
            l.append("  limit fails == 0")
        default:
            let level = fixed(rng.choice([0.0, 1.8, 3.3]), 1)
            let limit = [1, 2, 5, 10][rng.int(4)]
            l.append("test T\(number) pin_leakage {")
            l.append("  for pin in [\(signals.joined(separator: ", "))] {")
            l.append("    force V(pin) = \(level) V")
            l.append("    measure I(pin) -> ileak")
            l.append("    limit ileak in [-\(limit) uA, \(limit) uA]")
            l.append("  }")
        }
        l.append("  on fail bin \(bin)")
        l.append("}")
        return l
    }
}
