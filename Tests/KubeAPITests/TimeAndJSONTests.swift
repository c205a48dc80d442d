import Foundation
import Testing
@testable import KubeAPI

@Suite struct TimeTests {
    @Test func parsesAndPrintsRFC3339() throws {
        let t = try #require(Time(rfc3339: "2024-05-01T12:00:00Z"))
        #expect(t.description == "2024-05-01T12:00:00Z")
        #expect(t.date.timeIntervalSince1970 == 1_714_564_800)
        #expect(Time(rfc3339: "2024-05-01T14:00:00+02:00") == t)
        #expect(Time(rfc3339: "2024-05-01T07:30:00-04:30") == t)
        #expect(Time(rfc3339: "2024-05-01t12:00:00z") == t)
        // Time keeps whole seconds, as upstream's metav1.Time does on the wire.
        #expect(Time(rfc3339: "2024-05-01T12:00:00.999Z")?.description == "2024-05-01T12:00:00Z")
        #expect(Time(rfc3339: "1970-01-01T00:00:00Z")?.date.timeIntervalSince1970 == 0)
        #expect(Time(rfc3339: "1969-12-31T23:59:59Z")?.description == "1969-12-31T23:59:59Z")
        #expect(Time(rfc3339: "2000-02-29T00:00:00Z")?.description == "2000-02-29T00:00:00Z")
        #expect(Time(rfc3339: "2100-12-31T23:59:59Z")?.description == "2100-12-31T23:59:59Z")
        for bad in ["", "2024-05-01", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z",
                    "2024-05-01T25:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+0200", "2024-05-01T12:00:00Zjunk"] {
            #expect(Time(rfc3339: bad) == nil, "\(bad)")
        }
    }

    @Test func microTimeKeepsMicroseconds() throws {
        for text in ["2024-05-01T12:00:00.123456Z", "2024-05-01T12:10:00.654321Z", "2024-05-01T12:00:00.000001Z",
                     "2024-05-01T12:00:00.999999Z", "1969-12-31T23:59:59.500000Z"] {
            let m = try #require(MicroTime(rfc3339: text))
            #expect(m.description == text)
            #expect(MicroTime(m.date) == m)
        }
        #expect(MicroTime(rfc3339: "2024-05-01T12:00:00Z")?.description == "2024-05-01T12:00:00.000000Z")
        #expect(MicroTime(rfc3339: "2024-05-01T12:00:00.1234567Z")?.description == "2024-05-01T12:00:00.123457Z")
        #expect(MicroTime(rfc3339: "2024-05-01T14:00:00.5+02:00")?.description == "2024-05-01T12:00:00.500000Z")
    }

    @Test func codable() throws {
        struct Box: Codable { var t: Time; var m: MicroTime }
        let json = #"{"m":"2024-05-01T12:00:00.250000Z","t":"2024-05-01T12:00:00Z"}"#
        let box = try KubeJSON.decode(Box.self, from: Data(json.utf8))
        #expect(String(decoding: try KubeJSON.encode(box), as: UTF8.self) == json)
        #expect(throws: DecodingError.self) { try KubeJSON.decode(Box.self, from: Data(#"{"t":"yesterday","m":"x"}"#.utf8)) }
        #expect(try #require(Time(rfc3339: "2024-05-01T12:00:00Z")) < #require(Time(rfc3339: "2024-05-01T12:00:01Z")))
    }
}

@Suite struct JSONValueTests {
    @Test func parsesScalarsAndNesting() throws {
        let v = try JSONValue(parsing: #" {"a": [1, -2, 3.5, 1e3, true, false, null, "s"], "b": {"c": {"d": []}}, "e": {}} "#)
        #expect(v["a"] == [1, -2, 3.5, .double(1000), true, false, nil, "s"])
        #expect(v[path: ["b", "c", "d"]] == [])
        #expect(v["e"] == [:])
        #expect(v["missing"] == nil)
        #expect(v["a"]?.arrayValue?.count == 8)
        #expect(v.jsonString == #"{"a":[1,-2,3.5,1000,true,false,null,"s"],"b":{"c":{"d":[]}},"e":{}}"#)
    }

    @Test func bigIntegersStayExact() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(Int64.min))
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9223372036854775808))
        #expect(try JSONValue(parsing: "3") != .double(3))
        #expect(try JSONValue(parsing: "0").jsonString == "0")
        #expect(try JSONValue(parsing: "1.0").intValue == 1)
    }

    @Test func stringEscapes() throws {
        let v = try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 é""#)
        #expect(v == .string("a\"b\\c/d\u{8}\u{c}\n\r\té😀 é"))
        // Printing escapes what JSON requires and keeps the rest as UTF-8.
        #expect(v.jsonString == #""a\"b\\c/d\u0008\u000c\n\r\té😀 é""#)
        #expect(try JSONValue(parsing: v.serialized()) == v)
    }

    @Test func errorsCarryOffsets() {
        func offset(_ text: String) -> Int? {
            do { _ = try JSONValue(parsing: text); return nil } catch let e as JSONSyntaxError { return e.offset } catch { return -1 }
        }
        #expect(offset(#"{"a":}"#) == 5)
        #expect(offset(#"{"a" 1}"#) == 5)
        #expect(offset("[1,2") == 4)
        #expect(offset("[1 2]") == 3)
        #expect(offset("") == 0)
        #expect(offset("nul") == 0)
        #expect(offset("{} x") == 3)
        #expect(offset(#"{1:2}"#) == 1)
        #expect(offset("\"abc") == 4)
        #expect(offset("\"a\u{1}b\"") == 2)
        #expect(offset(#""\x""#) == 3)
        #expect(offset(String(repeating: "[", count: 1001)) != nil)
        #expect(offset("-") != nil)
    }

    @Test func codableRoundTrip() throws {
        let v: JSONValue = ["n": 1, "d": 2.5, "s": "x", "a": [true, nil], "o": ["k": "v"]]
        let again = try KubeJSON.decode(JSONValue.self, from: KubeJSON.encode(v))
        #expect(again == v)
        #expect(try KubeJSON.value(of: v) == v)
    }
}

@Suite struct JSONValueEncoderTests {
    struct Sample: Encodable {
        var whole: Double = 1.0
        var fraction: Double = 0.25
        var huge: Double = 1e20
        var tiny: Float = 0.1
        var unsigned: UInt64 = .max
        var small: UInt8 = 7
        var negative: Int32 = -3
        var bytes = Data("hello".utf8)
        var url = URL(string: "https://example.com/a?b=c")!
        var date = Date(timeIntervalSinceReferenceDate: 12.5)
        var decimal = Decimal(string: "3.14")!
        var missing: String? = nil
        var present: String? = "x"
        var nested: [String: [Int]] = ["a": [1, 2], "b": []]
        var byIndex: [Int: String] = [1: "one"]
        var raw: JSONValue = ["d": .double(2.0), "e": .double(2.5), "n": .null]
        var empty: [String: String] = [:]

        enum CodingKeys: String, CodingKey {
            case whole, fraction, huge, tiny, unsigned, small, negative, bytes, url, date, decimal, missing, present, nested, byIndex, raw, empty
            case explicitNull
        }

        init() {}

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(whole, forKey: .whole)
            try c.encode(fraction, forKey: .fraction)
            try c.encode(huge, forKey: .huge)
            try c.encode(tiny, forKey: .tiny)
            try c.encode(unsigned, forKey: .unsigned)
            try c.encode(small, forKey: .small)
            try c.encode(negative, forKey: .negative)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(url, forKey: .url)
            try c.encode(date, forKey: .date)
            try c.encode(decimal, forKey: .decimal)
            try c.encodeIfPresent(missing, forKey: .missing)
            try c.encode(present, forKey: .present)
            try c.encode(nested, forKey: .nested)
            try c.encode(byIndex, forKey: .byIndex)
            try c.encode(raw, forKey: .raw)
            try c.encode(empty, forKey: .empty)
            try c.encodeNil(forKey: .explicitNull)
        }
    }

    /// The direct encoding equals JSONEncoder's text parsed back, for every kind of leaf and container.
    @Test func matchesEncodeThenParse() throws {
        let sample = Sample()
        let viaText = try JSONValue(parsing: KubeJSON.encode(sample))
        let direct = try KubeJSON.value(of: sample)
        #expect(direct == viaText, "\(jsonDifferences(viaText, direct))")
        #expect(direct["whole"] == .int(1))
        #expect(direct["raw"]?["d"] == .int(2))
        #expect(direct["missing"] == nil)
        #expect(direct["explicitNull"] == .null)
        #expect(try KubeJSON.value(of: [1.5, 2.0]) == .array([.double(1.5), .int(2)]))
        #expect(try KubeJSON.value(of: "text") == .string("text"))
    }

    @Test func rejectsNonFiniteNumbers() {
        #expect(throws: EncodingError.self) { try KubeJSON.value(of: ["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try KubeJSON.encode(["x": Double.infinity]) }
    }
}

@Suite struct EventNameTests {
    /// client-go names an Event `<object>.<Unix nanoseconds in hex>`, so an object's Events sort by name in the order
    /// they happened (`kubectl get events` lists them so).
    @Test func eventsAreNamedAfterTheirTimeInNanoseconds() throws {
        let pod = Pod(metadata: ObjectMeta(name: "web-0", namespace: "default"))
        let before = Date().timeIntervalSince1970
        let names = (0..<50).map { _ in Event.about(pod, reason: "Started", message: "m", component: "kubelet").metadata.name ?? "" }
        let after = Date().timeIntervalSince1970
        var previous: UInt64 = 0
        for name in names {
            #expect(name.hasPrefix("web-0."))
            let nanos = try #require(UInt64(name.dropFirst("web-0.".count), radix: 16), "\(name)")
            #expect(Double(nanos) / 1e9 >= before - 1 && Double(nanos) / 1e9 <= after + 1, "\(name)")
            #expect(nanos > previous, "\(names)")
            previous = nanos
        }
        #expect(names == names.sorted())
    }
}
