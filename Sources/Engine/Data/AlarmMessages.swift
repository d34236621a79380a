public struct AlarmMessageSet {
    public let texts: [String]
    /// 0-based ids into `AlarmMessages.severities`, `.types`, `FailureLogs.equipment`.
    public let severity: [Int]
    public let type: [Int]
    public let equipment: [Int]
    /// The normalized action for each alarm (a target for alarm-processing seq2seq).
    public let actions: [String]
    public let heldOut: [Bool]
}

/// Equipment alarm messages in several vendor formats. The severity is not written in the
/// message: it follows from how far the reported value is past its limit (thresholds per alarm
/// type), so a model has to read the numbers. One format is held out for `split = test`.
public enum AlarmMessages {
    static let op = "alarm_messages"

    public static let severities = ["info", "warning", "critical"]

    struct Kind: Sendable {
        let name: String
        let code: Int
        let equipment: [Int]
        let parameter: String
        let unit: String
        /// Excess past the limit at which the severity becomes warning and critical.
        let thresholds: (Double, Double)
        let excess: ClosedRange<Double>
        let action: String
    }

    static let kinds: [Kind] = [
        Kind(name: "TEMP_OVERSHOOT", code: 4101, equipment: [5], parameter: "temp", unit: "C", thresholds: (2, 5),
             excess: 0.3...12, action: "check heater and loop tuning of {equip} zone {zone}"),
        Kind(name: "TEMP_UNDERSHOOT", code: 4102, equipment: [5], parameter: "temp", unit: "C", thresholds: (2, 5),
             excess: 0.3...12, action: "check chiller and coolant flow of {equip} zone {zone}"),
        Kind(name: "VACUUM_LOW", code: 4201, equipment: [1, 2], parameter: "vacuum", unit: "kPa", thresholds: (5, 15),
             excess: 0.5...30, action: "inspect vacuum lines and seals of {equip}"),
        Kind(name: "JAM_DETECTED", code: 4301, equipment: [1], parameter: "jams_per_hour", unit: "", thresholds: (3, 8),
             excess: 1...20, action: "clear jam and re-teach pick-up positions of {equip}"),
        Kind(name: "CONTACT_FAIL_RATE", code: 4302, equipment: [1, 2], parameter: "contact_fail", unit: "%", thresholds: (3, 10),
             excess: 0.2...28, action: "clean contactor and check contact force on {equip}"),
        Kind(name: "SUPPLY_OVERCURRENT", code: 4401, equipment: [0], parameter: "idd", unit: "mA", thresholds: (50, 200),
             excess: 5...600, action: "verify power-up sequence and DPS{zone} current limit on {equip}"),
        Kind(name: "CALIBRATION_DUE", code: 4501, equipment: [0], parameter: "days_overdue", unit: "d", thresholds: (3, 14),
             excess: 0...30, action: "schedule calibration of {equip}"),
        Kind(name: "DOOR_OPEN", code: 4601, equipment: [1, 5], parameter: "open_time", unit: "s", thresholds: (30, 120),
             excess: 1...600, action: "close door and test the interlock of {equip}"),
        Kind(name: "COMM_TIMEOUT", code: 4701, equipment: [0, 1, 2], parameter: "retries", unit: "", thresholds: (3, 6),
             excess: 1...10, action: "check the link between tester and {equip}"),
        Kind(name: "PROBE_OVERTRAVEL", code: 4801, equipment: [2], parameter: "overtravel", unit: "um", thresholds: (15, 40),
             excess: 2...80, action: "reduce overdrive and check planarity on {equip}"),
    ]

    public static var types: [String] { kinds.map(\.name) }

    /// Limits each alarm's value is compared against.
    static func limit(_ k: Kind, _ rng: inout DataRNG) -> Double {
        switch k.name {
        case "TEMP_OVERSHOOT", "TEMP_UNDERSHOOT": return rng.choice([-40, 0, 25, 85, 125, 150])
        case "VACUUM_LOW": return -70
        case "JAM_DETECTED", "COMM_TIMEOUT", "CALIBRATION_DUE": return 0
        case "CONTACT_FAIL_RATE": return 2
        case "SUPPLY_OVERCURRENT": return Double(rng.choice([200, 500, 800, 1000, 1500]))
        case "DOOR_OPEN": return 0
        default: return Double(rng.choice([50, 75, 100]))
        }
    }

    static let formats = SplitPool([
        "[{ts}] {equip} ALM-{code} {type} {param}={value}{unit} limit={limit}{unit} ch={zone}",
        "{ts},{equip},{code},{type},{zone},{param},{value},{limit},{unit}",
        "<{pri}>{ts} {host} alarmd[{pid}]: {equip} raised {type_lower} on channel {zone} ({param} {value} {unit}, limit {limit} {unit})",
        "ALARM {type} on {equip} channel {zone}: {param} {value} {unit} against limit {limit} {unit} at {ts}",
    ], heldOut: 1)

    public static func generate(_ o: TextCorpusOptions) throws -> AlarmMessageSet {
        try DataCheck.range(op, "n", o.count, 1...1_000_000)
        var rng = DataRNG(seed: o.seed)
        var texts: [String] = [], severity: [Int] = [], type: [Int] = [], equipment: [Int] = []
        var actions: [String] = [], held: [Bool] = []
        for i in 0..<o.count {
            if i & 1023 == 0 { try Interrupt.check(op) }
            let t = rng.int(kinds.count)
            let k = kinds[t]
            let e = rng.choice(k.equipment)
            let heldOut = o.split.drawHeldOut(&rng)
            let id = FailureLogs.equipmentID(e, heldOut: heldOut, &rng)
            let format = formats.draw(heldOut: heldOut, &rng)
            // Severity classes drawn evenly, then an excess consistent with them.
            let s = rng.int(3)
            let bounds = [k.excess.lowerBound, k.thresholds.0, k.thresholds.1, k.excess.upperBound]
            var excess = rng.uniform(bounds[s], bounds[s + 1])
            let integral = k.unit == "" || k.unit == "d" || k.unit == "s"
            if integral { excess = min(max(excess.rounded(.down), bounds[s].rounded(.up)), bounds[s + 1] - 1) }
            else { excess = min(max(excess, bounds[s] + 0.05), bounds[s + 1] - 0.05) }
            let lim = limit(k, &rng)
            let value: Double
            switch k.name {
            case "TEMP_UNDERSHOOT", "VACUUM_LOW": value = lim - excess
            default: value = lim + excess
            }
            let digits = integral ? 0 : 1
            let zone = String(1 + rng.int(k.name == "SUPPLY_OVERCURRENT" ? 16 : 4))
            let fill: [String: String] = [
                "ts": Vocabulary.timestamp(&rng), "equip": id, "code": String(k.code), "type": k.name,
                "type_lower": String(k.name.lowercased().map { $0 == "_" ? " " : $0 }),
                "param": k.parameter, "value": fixed(value, digits), "limit": fixed(lim, digits), "unit": k.unit,
                "pri": String(8 * (1 + rng.int(4)) + 3), "host": "cell\(padded(1 + rng.int(40), 2))",
                "pid": String(1000 + rng.int(30000)), "zone": zone,
            ]
            var b = TextBuilder()
            b.fill(format, fill)
            texts.append(b.text)
            var a = TextBuilder()
            a.fill(k.action, ["equip": id, "zone": zone])
            let prefix = ["log only: ", "", "stop the lot and "][s]
            actions.append(prefix + a.text)
            severity.append(s); type.append(t); equipment.append(e); held.append(heldOut)
        }
        return AlarmMessageSet(texts: texts, severity: severity, type: type, equipment: equipment, actions: actions, heldOut: held)
    }
}
