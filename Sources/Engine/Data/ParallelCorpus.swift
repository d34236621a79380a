public struct ParallelCorpusSet {
    public let source: [String]
    public let target: [String]
    /// 0-based sentence pattern of each pair (7 patterns).
    public let pattern: [Int]
    public let heldOut: [Bool]
}

/// English test-spec sentences paired with a translation, either into "Tessic" — a made-up but
/// consistent language (verb-final, postpositions, object marker `ro`, its own words for
/// quantities and units) — or into a legacy test-code line. Both targets come from the same
/// sentence frames, so for one seed the English sides are identical and a multilingual model
/// can share them. Pin names and numbers are copied through (rare tokens that need subwords);
/// `split = test` uses held-out pins and temperatures.
///
///     measure the leakage current on pin DQ7 at 85 degrees
///     DQ7 pino ka 85 grado te fugakurra ro mezu          (tessic)
///     MEAS ILEAK PIN=DQ7 TEMP=85                         (legacy)
public enum ParallelCorpus {
    static let op = "parallel_corpus"

    public enum Target: String, Sendable, CaseIterable { case tessic, legacy }

    struct Quantity: Sendable {
        let english: String, tessic: String, legacy: String
        /// Unit choices: English word, Tessic word, legacy suffix, value range and decimals.
        let units: [(String, String, String, ClosedRange<Double>, Int)]
    }

    static let quantities: [Quantity] = [
        Quantity(english: "leakage current", tessic: "fugakurra", legacy: "ILEAK",
                 units: [("microamps", "mikroampa", "UA", 1...500, 0), ("nanoamps", "nanoampa", "NA", 10...900, 0)]),
        Quantity(english: "supply current", tessic: "dopkurra", legacy: "IDD",
                 units: [("milliamps", "miliampa", "MA", 1...900, 0), ("microamps", "mikroampa", "UA", 10...900, 0)]),
        Quantity(english: "threshold voltage", tessic: "limtensa", legacy: "VTH",
                 units: [("volts", "volto", "V", 0.2...0.8, 2), ("millivolts", "milivolto", "MV", 200...800, 0)]),
        Quantity(english: "output voltage", tessic: "eksotensa", legacy: "VOUT",
                 units: [("volts", "volto", "V", 0.5...3.3, 2), ("millivolts", "milivolto", "MV", 100...900, 0)]),
        Quantity(english: "frequency", tessic: "frekva", legacy: "FREQ",
                 units: [("megahertz", "megaherco", "MHZ", 100...3000, 0)]),
        Quantity(english: "resistance", tessic: "rezista", legacy: "RES",
                 units: [("ohms", "omo", "OHM", 1...500, 0)]),
        Quantity(english: "delay", tessic: "mora", legacy: "TDLY",
                 units: [("nanoseconds", "nanosekunda", "NS", 1...90, 1), ("picoseconds", "pikosekunda", "PS", 10...900, 0)]),
    ]

    static let trainPins: [String] = ["VDD", "VDDIO", "VDD_CORE", "CLK", "RST_N"] + (0..<24).map { "DQ\($0)" }
        + (0..<12).map { "A\($0)" } + (0..<16).map { "GPIO\($0)" }
    static let heldOutPins: [String] = (24..<32).map { "DQ\($0)" } + (12..<16).map { "A\($0)" }
        + (16..<24).map { "GPIO\($0)" } + ["VDD_PLL", "TCK"]
    static let trainTemps = [-40, 0, 25, 55, 85, 105, 125]
    static let heldOutTemps = [-20, 70, 150]
    static let supplies = ["VDD", "VDDIO", "VDD_CORE", "VDD_SRAM"]

    public static func generate(_ o: TextCorpusOptions, target: Target) throws -> ParallelCorpusSet {
        try DataCheck.range(op, "n", o.count, 1...1_000_000)
        var rng = DataRNG(seed: o.seed)
        var source: [String] = [], out: [String] = [], patterns: [Int] = [], held: [Bool] = []
        for i in 0..<o.count {
            if i & 1023 == 0 { try Interrupt.check(op) }
            let heldOut = o.split.drawHeldOut(&rng)
            let pin = heldOut ? rng.choice(heldOutPins) : rng.choice(trainPins)
            let temp = String(heldOut ? rng.choice(heldOutTemps) : rng.choice(trainTemps))
            let q = rng.choice(quantities)
            let unit = rng.choice(q.units)
            func value() -> String {
                let x = rng.uniform(unit.3.lowerBound, unit.3.upperBound)
                return fixed(x, unit.4)
            }
            let volts = fixed(Double(rng.int(in: 5...36)) / 20 * 1, 2)
            let p = rng.int(7)
            var en = "", ts = "", lg = ""
            switch p {
            case 0:
                en = "measure the \(q.english) on pin \(pin) at \(temp) degrees"
                ts = "\(pin) pino ka \(temp) grado te \(q.tessic) ro mezu"
                lg = "MEAS \(q.legacy) PIN=\(pin) TEMP=\(temp)"
            case 1:
                let v = value()
                en = "measure the \(q.english) on pin \(pin) at \(temp) degrees and check that it is below \(v) \(unit.0)"
                ts = "\(pin) pino ka \(temp) grado te \(q.tessic) ro mezu kaj \(v) \(unit.1) sub kontra"
                lg = "MEAS \(q.legacy) PIN=\(pin) TEMP=\(temp) ; CHK \(q.legacy) < \(v)\(unit.2)"
            case 2:
                let d = String(rng.int(in: 1...50))
                en = "apply \(volts) volts to pin \(pin) for \(d) milliseconds"
                ts = "\(pin) pino al \(d) milisekunda dum \(volts) volto ro aplik"
                lg = "FORCE V PIN=\(pin) VAL=\(volts)V DUR=\(d)MS"
            case 3:
                var a = value(), b = value()
                if (Double(a) ?? 0) > (Double(b) ?? 0) { swap(&a, &b) }
                en = "check that the \(q.english) of pin \(pin) is between \(a) and \(b) \(unit.0)"
                ts = "\(pin) pino ka \(q.tessic) ro \(a) kaj \(b) \(unit.1) inter kontra"
                lg = "CHK \(q.legacy) PIN=\(pin) RANGE=\(a):\(b)\(unit.2)"
            case 4:
                let supply = rng.choice(supplies)
                let a = fixed(Double(rng.int(in: 10...16)) / 20, 2), b = fixed(Double(rng.int(in: 17...24)) / 20, 2)
                let k = String(rng.int(in: 2...40))
                en = "ramp the supply \(supply) from \(a) to \(b) volts in \(k) steps"
                ts = "dopo \(supply) ro \(a) de \(b) volto al \(k) paso en rampa"
                lg = "RAMP SUPPLY=\(supply) START=\(a)V STOP=\(b)V STEPS=\(k)"
            case 5:
                let k = String(rng.int(in: 2...100))
                en = "repeat the test \(k) times at \(temp) degrees and report the average \(q.english)"
                ts = "\(temp) grado te testo ro \(k) foje ripet kaj meza \(q.tessic) ro raport"
                lg = "LOOP \(k) TEMP=\(temp) ; MEAS AVG \(q.legacy)"
            default:
                en = "hold pin \(pin) at \(volts) volts and read the \(q.english)"
                ts = "\(pin) pino ro \(volts) volto te tena kaj \(q.tessic) ro lega"
                lg = "FORCE V PIN=\(pin) VAL=\(volts)V ; MEAS \(q.legacy)"
            }
            source.append(en)
            out.append(target == .tessic ? ts : lg)
            patterns.append(p)
            held.append(heldOut)
        }
        return ParallelCorpusSet(source: source, target: out, pattern: patterns, heldOut: held)
    }
}
