public struct TextCorpusOptions: Sendable {
    public var count = 1000
    public var seed: UInt64 = 0
    public var split = TextSplit.all

    public init() {}
}

/// Test failure logs and defect reports with three labels each: failure category, equipment
/// and root cause. The root cause decides the equipment and (mostly) the category; the text
/// carries a symptom (category), an equipment mention and an observation (root cause), worded
/// by one of several report styles (8% of reports name no cause yet, so the root cause is then only
/// implied by equipment and symptom). A quarter of the styles, phrasings and equipment numbers
/// are held out for `split = test`, so memorizing the training wording is not enough.
public struct FailureLogSet {
    public let texts: [String]
    /// 0-based ids into `FailureLogs.categories`, `.equipment`, `.rootCauses`.
    public let category: [Int]
    public let equipment: [Int]
    public let rootCause: [Int]
    /// A one-line summary of each log (for summarization).
    public let summaries: [String]
    /// Equipment ids, test names and lot ids in each text.
    public let entities: [[TextSpan]]
    /// True when the text uses a held-out style, phrase or value.
    public let heldOut: [Bool]
}

public enum FailureLogs {
    static let op = "failure_logs"

    public static let categories = ["leakage", "continuity", "timing", "functional", "thermal", "power", "handling", "memory"]
    public static let equipment = ["tester", "handler", "prober", "probe_card", "load_board", "thermal_unit", "socket"]

    struct Cause: Sendable {
        let name: String
        let equipment: Int
        let categories: [(Int, Double)]
        let evidence: SplitPool<String>
    }

    public static var rootCauses: [String] { causes.map(\.name) }

    static let causes: [Cause] = [
        Cause(name: "probe card contamination", equipment: 3, categories: [(1, 0.6), (0, 0.4)], evidence: SplitPool([
            "probe tips show debris buildup", "cleaning the probe card restored the pass rate",
            "contact resistance climbs with the touchdown count", "tip contamination is visible under the microscope",
            "after an online clean of the probe card the fails disappeared"], heldOut: 1)),
        Cause(name: "socket pin wear", equipment: 6, categories: [(1, 0.6), (2, 0.4)], evidence: SplitPool([
            "the socket has exceeded its insertion count", "the pogo pins are worn and oxidized",
            "the fails follow the socket, not the part", "swapping the socket cleared the failures",
            "fails move with the socket when units are swapped between sites"], heldOut: 1)),
        Cause(name: "tester calibration drift", equipment: 0, categories: [(2, 0.5), (5, 0.5)], evidence: SplitPool([
            "the last calibration is past due", "the supply readback is off by several millivolts",
            "timing edges drifted since the last calibration", "the same units pass on a freshly calibrated tester",
            "a diagnostic run flagged the calibration as stale"], heldOut: 1)),
        Cause(name: "thermal controller fault", equipment: 5, categories: [(4, 1)], evidence: SplitPool([
            "the chamber overshoots the setpoint", "the thermal head temperature oscillates",
            "the controller loop is unstable", "temperature logs show excursions above the setpoint",
            "the thermal unit cannot hold the set temperature"], heldOut: 1)),
        Cause(name: "test program bug", equipment: 0, categories: [(3, 0.6), (2, 0.4)], evidence: SplitPool([
            "the failure started with the new program revision", "the pattern was compiled with the wrong timing set",
            "rolling back the test program removed the fails", "a limit was entered in the wrong unit",
            "the fails appeared right after the program release"], heldOut: 1)),
        Cause(name: "gate oxide defect", equipment: 0, categories: [(0, 0.8), (3, 0.2)], evidence: SplitPool([
            "failure analysis found a gate oxide pinhole", "the leakage scales with gate voltage",
            "the leakage signature matches oxide breakdown", "emission microscopy shows a hot spot at a transistor gate",
            "FA confirmed a breakdown in the gate oxide"], heldOut: 1)),
        Cause(name: "metal bridging defect", equipment: 0, categories: [(3, 0.4), (1, 0.3), (7, 0.3)], evidence: SplitPool([
            "failure analysis found a metal bridge between adjacent lines", "the fail signature points to a short between nets",
            "a cross-section shows residual metal between lines", "the bridging fault model explains the failing patterns",
            "FA found two neighbouring metal lines shorted together"], heldOut: 1)),
        Cause(name: "load board relay failure", equipment: 4, categories: [(1, 0.5), (5, 0.5)], evidence: SplitPool([
            "a relay on the load board is stuck", "the relay self-test of the load board fails",
            "replacing the load board fixed the issue", "the fails are limited to the channels behind one relay",
            "the load board diagnostics report a sticking relay"], heldOut: 1)),
        Cause(name: "handler pick-up misalignment", equipment: 1, categories: [(6, 0.8), (1, 0.2)], evidence: SplitPool([
            "the pick-up head is misaligned", "units are seated at an angle in the contactor",
            "jam events cluster on one pick-and-place arm", "re-teaching the handler positions fixed the jams",
            "the handler places units off-centre in the socket"], heldOut: 1)),
        Cause(name: "power supply instability", equipment: 0, categories: [(5, 0.8), (2, 0.2)], evidence: SplitPool([
            "the supply rail shows ripple under load", "the device power supply trips during the burst",
            "voltage droop coincides with the failing vectors", "the supply current limit is reached during the test",
            "the rail voltage sags whenever the pattern starts"], heldOut: 1)),
        Cause(name: "SRAM weak bit", equipment: 0, categories: [(7, 1)], evidence: SplitPool([
            "MBIST reports single-bit fails at low voltage", "the failing bit changes with supply voltage",
            "a weak cell fails only at the minimum voltage corner", "the fail map shows isolated bits",
            "single bits flip only near Vmin in the memory test"], heldOut: 1)),
        Cause(name: "prober chuck vacuum loss", equipment: 2, categories: [(4, 0.5), (1, 0.5)], evidence: SplitPool([
            "chuck vacuum drops during the test", "the wafer lifts off the chuck",
            "vacuum sensor readings fall below the threshold", "the chuck temperature is unstable because the wafer is not held down",
            "the prober loses vacuum on the chuck mid-wafer"], heldOut: 1)),
    ]

    /// Symptom phrasings of each category and the tests they name.
    static let symptoms: [(tests: [String], phrases: SplitPool<String>)] = [
        (["IDDQ_STATIC", "IDDQ_PATTERN", "IOFF_LEAK", "PIN_LEAKAGE"], SplitPool([
            "{test} fail: measured {value} uA above the {limit} uA limit", "excessive leakage current in {test}",
            "static current of {value} uA exceeds the limit in {test}", "high standby current on {test}",
            "quiescent current reads {value} uA against a {limit} uA limit in {test}"], heldOut: 1)),
        (["CONT_OPENS", "CONT_SHORTS", "PIN_LEAKAGE"], SplitPool([
            "{test} reports open pins", "continuity check fails on pin {pin} in {test}",
            "{test} fail: pin {pin} reads {value} mV outside the diode window", "shorted pins detected by {test}",
            "{test} cannot see the protection diode on pin {pin}"], heldOut: 1)),
        (["FMAX_SEARCH", "SETUP_HOLD", "PLL_LOCK", "ATPG_TRANSITION"], SplitPool([
            "{test} fails at {value} MHz", "setup time violation in {test}",
            "maximum frequency below spec in {test}: {value} MHz", "transition delay fails in {test}",
            "{test} only passes after lowering the clock to {value} MHz"], heldOut: 1)),
        (["SCAN_CHAIN", "ATPG_STUCK_AT", "ATPG_TRANSITION"], SplitPool([
            "{test} miscompare at vector {vector}", "scan chain integrity failure in {test}",
            "{test} fails with {count} failing cycles", "functional pattern mismatch in {test}",
            "expected and captured data differ at vector {vector} of {test}"], heldOut: 1)),
        (["THERMAL_DIODE", "IDDQ_STATIC", "FMAX_SEARCH"], SplitPool([
            "over-temperature alarm during {test}", "die temperature reached {temp} C during {test}",
            "{test} fails only at hot", "thermal shutdown triggered in {test}",
            "junction temperature ran away to {temp} C while running {test}"], heldOut: 1)),
        (["VMIN_SEARCH", "LDO_LINE_REG", "IDDQ_PATTERN"], SplitPool([
            "supply overcurrent during {test}", "{test} fails: the rail droops to {value} mV",
            "power supply trip in {test}", "a Vmin of {value} mV is above the limit in {test}",
            "the core rail collapsed to {value} mV in the middle of {test}"], heldOut: 1)),
        (Vocabulary.tests, SplitPool([
            "handler jam before {test}", "units not seated, {test} aborted",
            "pick-and-place error at site {site} before {test}", "repeated contact retries before {test}",
            "the handler dropped a unit while loading site {site} for {test}"], heldOut: 1)),
        (["MBIST_MARCH", "MBIST_REPAIR"], SplitPool([
            "{test} fail at address 0x{addr}", "{count} failing bits in {test}",
            "memory repair exhausted in {test}", "{test} reports bit fails in bank {bank}",
            "not enough redundant rows to repair the array in {test}"], heldOut: 1)),
    ]

    /// Equipment: the word used in text and the id prefixes.
    static let equipmentWords = ["tester", "handler", "prober", "probe card", "load board", "thermal unit", "socket"]
    static let equipmentPrefixes: [[String]] = [
        ["V93K-", "T2K-", "J750-", "UFLEX-"], ["HX-", "MT9-"], ["P12-", "UF3K-"], ["PC-"], ["LB-"], ["TS-"], ["SK-"],
    ]
    static let equipmentDigits = [2, 2, 2, 4, 3, 2, 3]

    static let styles = SplitPool([
        "{ts} LOT {lot} WFR {wafer} SITE {site} | {symptom} | {equipment} | {evidence}",
        "Failure report for lot {lot}: {symptom} {equipment}. Observation: {evidence}. {disposition}",
        "[{ts}] {equip_id}: {symptom}; {evidence}",
        "Engineer note ({ts}): while testing lot {lot} {equipment}, {symptom}. {Evidence}. {disposition}",
        "Lot {lot} on hold. {Symptom} {equipment}; {evidence}.",
        "Shift summary: {equip_named} saw {symptom} on lot {lot} wafer {wafer}. Finding: {evidence}. {disposition}",
        "{ts} | {equip_id} | lot={lot} site={site} | msg=\"{symptom}\" | note=\"{evidence}\"",
    ], heldOut: 2)

    static let equipmentPhrases = SplitPool(["on {word} {id}", "at {word} {id}", "using {word} {id}", "with {word} {id}"], heldOut: 1)
    static let dispositions = SplitPool([
        "Lot placed on hold.", "Retest scheduled.", "Units sent to failure analysis.",
        "Equipment taken down for maintenance.", "Engineering review requested.", "Escalated to the product engineer.",
    ], heldOut: 1)

    /// Observations that do not name a cause (some reports are written before the analysis).
    static let undecided = SplitPool(["cause under investigation", "no clear cause yet", "root cause analysis pending",
                                      "the team is still collecting data"], heldOut: 1)

    static func capitalized(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst()
    }

    /// An equipment id such as `V93K-04`; the upper 30% of numbers are held out.
    static func equipmentID(_ e: Int, heldOut: Bool, _ rng: inout DataRNG) -> String {
        let digits = equipmentDigits[e]
        var top = 1
        for _ in 0..<digits { top *= 10 }
        let cut = max(2, top * 7 / 10)
        let number = heldOut ? cut + rng.int(top - cut) : 1 + rng.int(cut - 1)
        return rng.choice(equipmentPrefixes[e]) + padded(number, digits)
    }

    public static func generate(_ o: TextCorpusOptions) throws -> FailureLogSet {
        try DataCheck.range(op, "n", o.count, 1...1_000_000)
        var rng = DataRNG(seed: o.seed)
        var texts: [String] = [], cats: [Int] = [], equips: [Int] = [], roots: [Int] = []
        var summaries: [String] = [], entities: [[TextSpan]] = [], held: [Bool] = []
        for i in 0..<o.count {
            if i & 1023 == 0 { try Interrupt.check(op) }
            let r = rng.int(causes.count)
            let cause = causes[r]
            let c = cause.categories[rng.categorical(cause.categories.map(\.1))].0
            let e = cause.equipment
            let heldOut = o.split.drawHeldOut(&rng)
            func take<T>(_ pool: SplitPool<T>) -> T { pool.draw(heldOut: heldOut, &rng) }
            let style = take(styles)
            let symptomPool = symptoms[c]
            let symptom = take(symptomPool.phrases)
            let evidence = rng.bernoulli(0.08) ? take(undecided) : take(cause.evidence)
            let id = equipmentID(e, heldOut: heldOut, &rng)
            let equipmentPhrase = take(equipmentPhrases)
            let disposition = take(dispositions)
            let test = rng.choice(symptomPool.tests)
            let lot = Vocabulary.lot(&rng)
            let limit = 50 * (1 + rng.int(6))
            let values: [String: String] = [
                "test": test, "value": String(c == 2 ? 800 + rng.int(1800) : (c == 5 ? 550 + rng.int(300) : limit + 1 + rng.int(4 * limit))),
                "limit": String(limit), "pin": rng.choice(["VDD", "VDDIO", "CLK", "RST_N", "DQ\(rng.int(32))", "A\(rng.int(16))", "GPIO\(rng.int(24))"]),
                "vector": String(100 + rng.int(90_000)), "count": String(2 + rng.int(400)), "temp": String(110 + rng.int(40)),
                "site": String(1 + rng.int(8)), "addr": String(0x1000 + rng.int(0xEFFF), radix: 16, uppercase: true),
                "bank": String(rng.int(8)),
            ]
            // Symptom with its test name as an entity; equipment phrase with the id as entity.
            var b = TextBuilder()
            let parts: [String: String] = [
                "ts": Vocabulary.timestamp(&rng), "lot": lot, "wafer": padded(1 + rng.int(25), 2), "site": values["site"] ?? "1",
                "evidence": evidence, "Evidence": capitalized(evidence), "disposition": disposition,
            ]
            var rest = Substring(style)
            while let open = rest.firstIndex(of: "{") {
                b.add(String(rest[..<open]))
                guard let close = rest[open...].firstIndex(of: "}") else { break }
                let name = String(rest[rest.index(after: open)..<close])
                switch name {
                case "symptom", "Symptom":
                    let first = name == "Symptom"
                    var s = TextBuilder()
                    s.fill(symptom, values, entities: ["test": "TEST"])
                    let text = first ? capitalized(s.text) : s.text
                    let offset = b.text.utf8.count
                    b.add(text)
                    for span in s.spans { b.record(TextSpan(start: span.start + offset, end: span.end + offset, type: span.type)) }
                case "equipment":
                    b.fill(equipmentPhrase, ["word": equipmentWords[e], "id": id], entities: ["id": "EQUIP"])
                case "equip_id":
                    b.entity(id, "EQUIP")
                case "equip_named":
                    b.add(equipmentWords[e] + " ")
                    b.entity(id, "EQUIP")
                case "lot":
                    b.entity(lot, "LOT")
                default:
                    b.add(parts[name] ?? name)
                }
                rest = rest[rest.index(after: close)...]
            }
            b.add(String(rest))
            texts.append(b.text)
            entities.append(b.spans)
            cats.append(c); equips.append(e); roots.append(r); held.append(heldOut)
            summaries.append("\(categories[c]) failure in \(test) on \(equipmentWords[e]) \(id); root cause: \(cause.name)")
        }
        return FailureLogSet(texts: texts, category: cats, equipment: equips, rootCause: roots, summaries: summaries,
                             entities: entities, heldOut: held)
    }
}
