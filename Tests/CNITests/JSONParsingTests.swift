@testable import CNI
import Foundation
import Testing

/// CNI messages are decoded with `JSONParser` + `JSONValueDecoder` instead of `JSONDecoder`: same values, same
/// strictness, errors with a path or an offset.
@Suite struct JSONParsingTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONCoding.parse(Data(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"s":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00","i":-42,"big":9223372036854775808,"d":1.5e3,"z":0,"t":true,"f":false,"n":null,"a":[1,[],{}],"o":{"k":"v"}} "#)
        #expect(value == .object([
            "s": .string("a\"b\\c/d\n\té😀"), "i": .integer(-42), "big": .double(9_223_372_036_854_775_808), "d": .double(1500),
            "z": .integer(0), "t": .bool(true), "f": .bool(false), "n": .null,
            "a": .array([.integer(1), .array([]), .object([:])]), "o": .object(["k": .string("v")]),
        ]))
        #expect(try parse("\"plain ünïcode\"") == .string("plain ünïcode"))
    }

    @Test func refusesWhatIsNotJSON() {
        let cases: [(String, String)] = [
            ("", "unexpected end of input"), ("{\"a\":1,}", "expected a string key"), ("[1,]", "unexpected character ']'"),
            ("{\"a\" 1}", "expected ':'"), ("01", "unexpected data after the top-level value"), ("1.", "no digits after '.'"),
            ("1e", "no digits in the exponent"), ("-", "invalid number"), ("tru", "invalid literal"), ("\"a\u{01}\"", "control character"),
            ("\"\\x\"", "invalid escape"), ("\"\\ud83d\"", "unpaired surrogate"), ("\"\\udc00\"", "unpaired surrogate"),
            ("\"abc", "unterminated string"), ("{} {}", "unexpected data"), ("1e999", "out of range"), ("'a'", "unexpected character"),
            (String(repeating: "[", count: 600), "nesting deeper than 512"),
        ]
        for (text, message) in cases {
            do {
                _ = try parse(text)
                Issue.record("accepted \(text.prefix(20))")
            } catch {
                #expect("\(error)".contains(message), "\(text.prefix(20)): \(error)")
            }
        }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONCoding.parse(Data([0x22, 0xFF, 0xFE, 0x22])) }
    }

    private struct Sample: Decodable, Equatable {
        enum Mode: String, Decodable { case on, off }
        var name: String
        var mtu: Int?
        var ratio: Double
        var mode: Mode
        var tags: [String]
        var flags: [String: Bool]
        var nested: [[UInt8]]
        var extra: JSONValue?
        var blob: Data?
    }

    @Test func decodesAsJSONDecoderDoes() throws {
        let text = #"{"name":"n","mtu":null,"ratio":2,"mode":"on","tags":["a","b"],"flags":{"x":true},"nested":[[1,2],[]],"extra":{"k":[1]},"blob":"aGk=","unknown":1}"#
        let ours = try JSONCoding.decode(Sample.self, from: Data(text.utf8))
        #expect(ours == (try JSONDecoder().decode(Sample.self, from: Data(text.utf8))))
        #expect(ours.extra == .object(["k": .array([.integer(1)])]) && ours.mtu == nil && ours.ratio == 2 && ours.blob == Data("hi".utf8))
    }

    @Test func decodingErrorsCarryThePath() {
        let cases: [(String, String)] = [
            (#"{"name":5}"#, "Expected a string but found a number"),
            (#"{"name":"n","ratio":1,"mode":"on","tags":["a",3]}"#, "Path: tags[1]"),
            (#"{"name":"n","ratio":1,"mode":"dim","tags":[],"flags":{},"nested":[]}"#, "Cannot initialize Mode"),
            (#"{"name":"n","ratio":1,"mode":"on","tags":[],"flags":{},"nested":[[256]]}"#, "does not fit in UInt8"),
            (#"{"name":"n","ratio":1,"mode":"on","tags":[],"flags":{},"nested":[[1.5]]}"#, "not an integer"),
            (#"{"name":null}"#, "found null"),
            (#"{"ratio":1}"#, "No value for key \"name\""),
            (#"[]"#, "Expected an object but found an array"),
            (#"{"name":"n","ratio":1,"mode":"on","tags":[],"flags":{},"nested":[],"blob":"not base64!"}"#, "not valid Base64"),
        ]
        for (text, message) in cases {
            do {
                _ = try JSONCoding.decode(Sample.self, from: Data(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error is DecodingError && "\(error)".contains(message), "\(text): \(error)")
            }
        }
    }

    private struct Written: Encodable {
        struct Inner: Encodable { var z = 1; var a: String? = nil; var list: [Int] = [] }
        var B = "x\"\\/\n\t\u{01}\u{1f}\u{7f}é😀\u{08}\u{0c}\r"
        var a10 = 1.0
        var a9 = -0.0
        var big = 1e20
        var small = 2.5e-5
        var ratio = 0.1
        var single: Float = 0.1
        var flag = true
        var none: Int? = nil
        var empty: [String] = []
        var map: [String: Int] = [:]
        var nested = [[1], []]
        var inner = [Inner(), Inner(z: -3, a: "s", list: [1, 2])]
        var keys = ["Z": 1, "a-b": 2, "a10": 3, "a9": 4, "a_b": 5, "z": 6]
        var raw: JSONValue = .object(["k": .array([.null, .bool(false), .double(1.5), .integer(-7)])])
        var blob = Data("hi".utf8)
        var small8: UInt8 = 255
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        for pretty in [false, true] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
            let ours = try pretty ? JSONCoding.encodePretty(Written()) : JSONCoding.encode(Written())
            #expect(String(decoding: ours, as: UTF8.self) == String(decoding: try encoder.encode(Written()), as: UTF8.self))
        }
        #expect(throws: EncodingError.self) { try JSONCoding.encode([Double.nan]) }
    }
}
