/// Shared pieces of the text generators: a builder that records entity spans, held-out splits,
/// number formatting (no Foundation in the engine) and small vocabularies of the domain.

/// Which part of a corpus to draw: templates and values are split once and for all, so a model
/// evaluated on `test` must generalize beyond the wording and values it was trained on.
public enum TextSplit: String, Sendable, CaseIterable {
    case all, train, test
}

/// A named span of a text: characters `start...end`, 0-based and inclusive (the bindings add one).
public struct TextSpan: Sendable, Equatable {
    public let start: Int
    public let end: Int
    public let type: String
}

/// Builds a text piece by piece, keeping track of entity spans. Texts are ASCII, so character
/// offsets are byte offsets.
struct TextBuilder {
    private(set) var text = ""
    private(set) var spans: [TextSpan] = []

    mutating func add(_ s: String) { text += s }

    /// Appends `s` as an entity of `type`.
    mutating func entity(_ s: String, _ type: String) {
        let start = text.utf8.count
        text += s
        spans.append(TextSpan(start: start, end: start + s.utf8.count - 1, type: type))
    }

    /// Records a span computed elsewhere (offsets relative to this text).
    mutating func record(_ span: TextSpan) { spans.append(span) }

    /// Appends another builder's text and spans.
    mutating func append(_ other: TextBuilder) {
        let offset = text.utf8.count
        text += other.text
        for s in other.spans { spans.append(TextSpan(start: s.start + offset, end: s.end + offset, type: s.type)) }
    }

    /// Fills `template`: `{name}` is replaced by `values[name]`; names listed in `entities`
    /// become spans of that type.
    mutating func fill(_ template: String, _ values: [String: String], entities: [String: String] = [:]) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            add(String(rest[..<open]))
            guard let close = rest[open...].firstIndex(of: "}") else { add(String(rest[open...])); return }
            let name = String(rest[rest.index(after: open)..<close])
            let value = values[name] ?? "{\(name)}"
            if let type = entities[name] { entity(value, type) } else { add(value) }
            rest = rest[rest.index(after: close)...]
        }
        add(String(rest))
    }
}

/// Picks from a pool whose last `heldOut` entries are reserved for the test split.
struct SplitPool<T: Sendable>: Sendable {
    let items: [T]
    let heldOut: Int

    init(_ items: [T], heldOut: Int) {
        self.items = items
        self.heldOut = min(heldOut, max(items.count - 1, 0))
    }

    /// An index into `items`: from the held-out tail when `heldOut`, else from the rest.
    func pick(heldOut: Bool, _ rng: inout DataRNG) -> Int {
        let trainCount = items.count - self.heldOut
        if self.heldOut == 0 { return rng.int(items.count) }
        return heldOut ? trainCount + rng.int(self.heldOut) : rng.int(trainCount)
    }

    func draw(heldOut: Bool, _ rng: inout DataRNG) -> T { items[pick(heldOut: heldOut, &rng)] }
}

extension TextSplit {
    /// Whether the next sample uses held-out wording and values: never for `train`, always for
    /// `test`, and for one sample in five for `all`.
    func drawHeldOut(_ rng: inout DataRNG) -> Bool {
        switch self {
        case .train: return false
        case .test: return true
        case .all: return rng.bernoulli(0.2)
        }
    }
}

/// Decimal text of `x` with `digits` decimals (round half away from zero).
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<max(digits, 0) { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    let sign = x < 0 && scaled != 0 ? "-" : ""
    guard scaled < 9e15 else { return "\(x)" }
    let whole = Int(scaled) / Int(scale), frac = Int(scaled) % Int(scale)
    if digits <= 0 { return sign + String(whole) }
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return sign + String(whole) + "." + f
}

/// Zero-padded decimal of `x` with at least `width` digits.
func padded(_ x: Int, _ width: Int) -> String {
    var s = String(x)
    while s.count < width { s = "0" + s }
    return s
}

/// Shared domain vocabulary.
enum Vocabulary {
    static let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")

    /// A lot id such as `K3F921.07`.
    static func lot(_ rng: inout DataRNG) -> String {
        "\(letters[rng.int(letters.count)])\(rng.int(10))\(letters[rng.int(letters.count)])\(padded(rng.int(1000), 3)).\(padded(1 + rng.int(25), 2))"
    }

    /// A timestamp `2024-03-14 02:17:55`.
    static func timestamp(_ rng: inout DataRNG) -> String {
        "20\(23 + rng.int(3))-\(padded(1 + rng.int(12), 2))-\(padded(1 + rng.int(28), 2)) "
            + "\(padded(rng.int(24), 2)):\(padded(rng.int(60), 2)):\(padded(rng.int(60), 2))"
    }

    /// Test names by failure category (used by logs, alarms and programs).
    static let tests: [String] = [
        "IDDQ_STATIC", "IDDQ_PATTERN", "IOFF_LEAK", "CONT_OPENS", "CONT_SHORTS", "PIN_LEAKAGE", "FMAX_SEARCH",
        "SETUP_HOLD", "SCAN_CHAIN", "ATPG_STUCK_AT", "ATPG_TRANSITION", "MBIST_MARCH", "MBIST_REPAIR",
        "VMIN_SEARCH", "PLL_LOCK", "ADC_INL", "DAC_DNL", "LDO_LINE_REG", "THERMAL_DIODE", "IO_VOH_VOL",
    ]
}
