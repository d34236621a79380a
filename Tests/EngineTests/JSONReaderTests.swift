import XCTest
@testable import Engine

/// The one JSON reader (Engine/Serialization/JSON.swift), used by safetensors headers, BPE vocab
/// files and `lumen serve` request bodies: the edge cases each former reader was tested on.
final class JSONReaderTests: XCTestCase {
    private func parse(_ text: String, maxDepth: Int = JSONReader.maxDepth) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Asserts `bytes` is rejected at byte `offset` with a message containing `fragment`.
    private func assertRejected(_ bytes: [UInt8], at offset: Int, _ fragment: String, maxDepth: Int = JSONReader.maxDepth,
                                file: StaticString = #filePath, line: UInt = #line) {
        do {
            let value = try JSONReader.parse(bytes, maxDepth: maxDepth)
            XCTFail("accepted as \(value.typeName)", file: file, line: line)
        } catch let error as JSONError {
            XCTAssertEqual(error.offset, offset, "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(fragment), "\(error) lacks \(fragment)", file: file, line: line)
            XCTAssertEqual(error.description, "\(error.message) at byte \(offset)", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    private func assertRejected(_ text: String, at offset: Int, _ fragment: String, maxDepth: Int = JSONReader.maxDepth,
                                file: StaticString = #filePath, line: UInt = #line) {
        assertRejected(Array(text.utf8), at: offset, fragment, maxDepth: maxDepth, file: file, line: line)
    }

    func testErrorOffsetsNameTheBadByte() {
        let cases: [(text: String, offset: Int, fragment: String)] = [
            (#"{"inputs": [1,]}"#, 14, "unexpected character ']'; expected a value"),
            (#"{"a":1,}"#, 7, "expected a string key"),
            ("[1 2]", 3, "expected ',' or ']'"),
            (#"{"a" 1}"#, 5, "expected ':'"),
            (#"{"inputs": ["#, 12, "unexpected end of input; expected a value"),
            ("", 0, "the input is empty"),
            ("  \n ", 4, "the input is empty"),
            ("{} x", 3, "unexpected character 'x' after the JSON value"),
            ("tru", 3, "in the literal true"),
            ("nul!", 3, "in the literal null"),
            ("[1]\u{01}", 3, "byte 0x1 after the JSON value"),
        ]
        for c in cases { assertRejected(c.text, at: c.offset, c.fragment) }
    }

    func testNumbersFollowTheGrammar() {
        let cases: [(text: String, offset: Int, fragment: String)] = [
            ("01", 1, "after the JSON value"),  // no leading zeros
            ("[-01]", 3, "expected ',' or ']'"),
            ("-", 1, "expected a digit"),
            ("+1", 0, "expected a value"),
            (".5", 0, "expected a value"),
            ("1.", 2, "expected a digit after '.'"),
            ("1.e3", 2, "expected a digit after '.'"),
            ("1e", 2, "expected a digit in the exponent"),
            ("1e+", 3, "expected a digit in the exponent"),
            ("NaN", 0, "expected a value"),
        ]
        for c in cases { assertRejected(c.text, at: c.offset, c.fragment) }
    }

    func testNumbersKeepTheirTextAndReadAsDoubleStringDoes() throws {
        let literals = ["0", "-0", "12", "-12.375", "0.1", "0.30000000000000004", "1e400", "-1E-400", "2.2250738585072011e-308",
                        "9007199254740993", "123456789012345678901234567890", "4.9e-324", "1.7976931348623157e308", "6.02214076e+23"]
        let value = try parse("[" + literals.joined(separator: ", ") + "]")
        guard case .array(let items) = value else { return XCTFail("not an array") }
        for (literal, item) in zip(literals, items) {
            guard case .number(let text) = item else { return XCTFail("\(literal) is \(item.typeName)") }
            XCTAssertEqual(text, literal)  // integers beyond 2^53 stay exact in the text
            XCTAssertEqual(item.double?.bitPattern, Double(literal)?.bitPattern, literal)
        }
        XCTAssertEqual(try parse("1e400").double, .infinity)
        XCTAssertEqual(try parse("-0").double?.sign, .minus)
        XCTAssertNil(try parse(#""1""#).double)
    }

    func testShortDecimalsTakeTheFastPathToTheSameDouble() throws {
        // Up to 15 significant digits and 22 decimals go through one exact division; longer ones
        // and exponents through Double(String). Both must agree bit for bit with Double(String).
        var g = DataRNG(seed: 20261125)
        var literals = ["0.1", "-0.0", "0.000000000000000000001", "0.0000000000000000000001", "0.00000000000000000000001",
                        "999999999999999", "9999999999999999", "123456789.012345", "1234567890.12345678", "-3.0e2"]
        for _ in 0..<2000 {
            let digits = Int(g.uniform() * 15) + 1
            let mantissa = String(Int64(g.uniform() * pow(10, Double(digits))))
            let point = Int(g.uniform() * Double(mantissa.count + 1))
            let text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
            literals.append((g.uniform() < 0.5 ? "-" : "") + (text.first == "." ? "0" + text : text.last == "." ? text + "0" : text))
        }
        for literal in literals {
            XCTAssertEqual(try parse(literal).double?.bitPattern, Double(literal)?.bitPattern, literal)
        }
    }

    func testNestingDepthLimit() throws {
        func nested(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        XCTAssertNoThrow(try parse(nested(64)))
        assertRejected(nested(65), at: 64, "nesting deeper than 64 levels")
        assertRejected(nested(10_000), at: 64, "nesting deeper than 64 levels")
        XCTAssertNoThrow(try parse(nested(128), maxDepth: 128))  // what `lumen serve` accepts
        assertRejected(nested(129), at: 128, "nesting deeper than 128 levels", maxDepth: 128)
        assertRejected(String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65), at: 320,
                       "nesting deeper than 64 levels")
    }

    func testStringEscapesAndSurrogatePairs() throws {
        guard case .string(let s) = try parse(#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#) else { return XCTFail() }
        XCTAssertEqual(s, "a\"b\\c/d\u{08}\u{0C}\n\r\té€😀")
        guard case .string(let raw) = try parse("\"h\u{e9}llo \u{1F600}\"") else { return XCTFail() }
        XCTAssertEqual(raw, "héllo 😀")
        assertRejected(#""\ud800""#, at: 7, "unpaired surrogate")
        assertRejected(#""\ud800x""#, at: 7, "unpaired surrogate")
        assertRejected(#""\ud800\u0041""#, at: 13, "unpaired surrogate")
        assertRejected(#""\udc00""#, at: 7, "unpaired surrogate")
        assertRejected(#""\u12G4""#, at: 5, "invalid hex digit")
        assertRejected(#""\u12"#, at: 5, "unterminated \\u escape")
        assertRejected(#"{"a":"\q"}"#, at: 7, "invalid escape: '\\' followed by character 'q'")
        assertRejected(#""abc"#, at: 0, "unterminated string")
    }

    func testControlCharactersAndInvalidUTF8AreRejected() {
        assertRejected("\"a\nb\"", at: 2, "unescaped control character")
        assertRejected("\"a\u{0}b\"", at: 2, "unescaped control character")
        assertRejected([0x5B, 0x22, 0x61, 0xFF, 0x22, 0x5D], at: 1, "not valid UTF-8")  // ["a\xFF"]
        assertRejected([0x22, 0xC3, 0x22], at: 0, "not valid UTF-8")  // truncated 2-byte sequence
        assertRejected([0x22, 0xED, 0xA0, 0x80, 0x22], at: 0, "not valid UTF-8")  // an encoded surrogate
    }

    func testObjectsKeepKeyOrderAndDuplicates() throws {
        let value = try parse(#"{"z": 1, "a": [true, false, null], "m": {}, "a": "second"}"#)
        guard case .object(let members) = value else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["z", "a", "m", "a"])  // duplicates kept for the caller to reject
        guard case .array(let first)? = value["a"] else { return XCTFail("subscript should take the first \"a\"") }
        XCTAssertEqual(first.map(\.typeName), ["a boolean", "a boolean", "null"])
        XCTAssertEqual(value["m"]?.typeName, "an object")
        XCTAssertNil(value["missing"])
        XCTAssertNil(JSONValue.array([])["a"])
    }

    func testStreamingMembersAndArrayLengthLimit() throws {
        var seen: [String] = []
        let rest = try JSONReader.forEachMember(of: Array(#"{"b": 1, "a": [2], "b": 3}"#.utf8)) { key, value in
            seen.append("\(key)=\(value.typeName)")
        }
        XCTAssertNil(rest)
        XCTAssertEqual(seen, ["b=a number", "a=an array", "b=a number"])
        let nonObject = try JSONReader.forEachMember(of: Array(" [1] ".utf8)) { _, _ in XCTFail("not an object") }
        XCTAssertEqual(nonObject?.typeName, "an array")
        XCTAssertThrowsError(try JSONReader.forEachMember(of: Array(#"{"a":1,}"#.utf8)) { _, _ in }) { error in
            XCTAssertEqual((error as? JSONError)?.offset, 7)
        }
        XCTAssertThrowsError(try JSONReader.forEachMember(of: []) { _, _ in }) { error in
            XCTAssertEqual((error as? JSONError)?.message, "the input is empty; expected a value")
        }
        XCTAssertNoThrow(try JSONReader.parse(Array("[1,2,3]".utf8), maxArrayLength: 3))
        XCTAssertThrowsError(try JSONReader.parse(Array("[1,2,3,4]".utf8), maxArrayLength: 3)) { error in
            XCTAssertEqual((error as? JSONError)?.description, "array longer than 3 elements at byte 7")
        }
    }
}
