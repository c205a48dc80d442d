import Foundation
import Testing
@testable import KubeAPI

/// Parses a quantity that a test knows is valid.
func qty(_ text: String) -> Quantity { try! Quantity(parsing: text) }

@Suite struct QuantityTests {
    /// `decQuantity(v, scale, format)` of upstream's tests: v × 10^scale.
    static func dec(_ v: Int64, _ scale: Int, _ format: Quantity.Format) -> Quantity {
        let nanos = scale + 9 >= 0 ? Int128(v) * Quantity.pow10(scale + 9) : Int128(v) / Quantity.pow10(-(scale + 9))
        return Quantity(nanoValue: nanos, format: format)
    }

    // Upstream TestQuantityParse.
    static let parseTable: [(String, Quantity)] = [
        ("0", dec(0, 0, .decimalSI)), ("0n", dec(0, 0, .decimalSI)), ("0u", dec(0, 0, .decimalSI)),
        ("0m", dec(0, 0, .decimalSI)), ("0Ki", dec(0, 0, .binarySI)), ("0k", dec(0, 0, .decimalSI)),
        ("0Mi", dec(0, 0, .binarySI)), ("0M", dec(0, 0, .decimalSI)), ("0Gi", dec(0, 0, .binarySI)),
        ("0G", dec(0, 0, .decimalSI)), ("0Ti", dec(0, 0, .binarySI)), ("0T", dec(0, 0, .decimalSI)),
        ("1", dec(1, 0, .decimalSI)),
        ("1Ki", dec(1024, 0, .binarySI)), ("8Ki", dec(8 * 1024, 0, .binarySI)), ("7Mi", dec(7 * 1024 * 1024, 0, .binarySI)),
        ("6Gi", dec(6 * 1024 * 1024 * 1024, 0, .binarySI)), ("5Ti", dec(5 * 1024 * 1024 * 1024 * 1024, 0, .binarySI)),
        ("4Pi", dec(4 * 1024 * 1024 * 1024 * 1024 * 1024, 0, .binarySI)),
        ("3Ei", dec(3 * 1024 * 1024 * 1024 * 1024 * 1024 * 1024, 0, .binarySI)),
        ("10Ti", dec(10 * 1024 * 1024 * 1024 * 1024, 0, .binarySI)), ("100Ti", dec(100 * 1024 * 1024 * 1024 * 1024, 0, .binarySI)),
        ("5n", dec(5, -9, .decimalSI)), ("4u", dec(4, -6, .decimalSI)), ("3m", dec(3, -3, .decimalSI)),
        ("9", dec(9, 0, .decimalSI)), ("8k", dec(8, 3, .decimalSI)), ("50k", dec(5, 4, .decimalSI)),
        ("7M", dec(7, 6, .decimalSI)), ("6G", dec(6, 9, .decimalSI)), ("5T", dec(5, 12, .decimalSI)),
        ("40T", dec(4, 13, .decimalSI)), ("300T", dec(3, 14, .decimalSI)), ("2P", dec(2, 15, .decimalSI)),
        ("1E", dec(1, 18, .decimalSI)),
        ("1E-3", dec(1, -3, .decimalExponent)), ("1e3", dec(1, 3, .decimalExponent)), ("1E6", dec(1, 6, .decimalExponent)),
        ("1e9", dec(1, 9, .decimalExponent)), ("1E12", dec(1, 12, .decimalExponent)), ("1e15", dec(1, 15, .decimalExponent)),
        ("1E18", dec(1, 18, .decimalExponent)),
        ("1e14", dec(1, 14, .decimalExponent)), ("1e13", dec(1, 13, .decimalExponent)), ("100.035k", dec(100035, 0, .decimalSI)),
        ("0.001", dec(1, -3, .decimalSI)), ("0.0005k", dec(5, -1, .decimalSI)), ("0.005", dec(5, -3, .decimalSI)),
        ("0.05", dec(5, -2, .decimalSI)), ("0.5", dec(5, -1, .decimalSI)), ("0.00050k", dec(5, -1, .decimalSI)),
        ("0.00500", dec(5, -3, .decimalSI)), ("0.05000", dec(5, -2, .decimalSI)), ("0.50000", dec(5, -1, .decimalSI)),
        ("0.5e0", dec(5, -1, .decimalExponent)), ("0.5e-1", dec(5, -2, .decimalExponent)), ("0.5e-2", dec(5, -3, .decimalExponent)),
        ("10.035M", dec(10035, 3, .decimalSI)),
        ("1.2e3", dec(12, 2, .decimalExponent)), ("1.3E+6", dec(13, 5, .decimalExponent)), ("1.40e9", dec(14, 8, .decimalExponent)),
        ("1.53E12", dec(153, 10, .decimalExponent)), ("1.6e15", dec(16, 14, .decimalExponent)), ("1.7E18", dec(17, 17, .decimalExponent)),
        ("9.01", dec(901, -2, .decimalSI)), ("8.1k", dec(81, 2, .decimalSI)), ("7.123456M", dec(7123456, 0, .decimalSI)),
        ("6.987654321G", dec(6987654321, 0, .decimalSI)), ("5.444T", dec(5444, 9, .decimalSI)), ("40.1T", dec(401, 11, .decimalSI)),
        ("300.2T", dec(3002, 11, .decimalSI)), ("2.5P", dec(25, 14, .decimalSI)), ("1.01E", dec(101, 16, .decimalSI)),
        ("3.001n", dec(4, -9, .decimalSI)), ("1.1E-9", dec(2, -9, .decimalExponent)), ("0.0000000001", dec(1, -9, .decimalSI)),
        ("0.0000000005", dec(1, -9, .decimalSI)), ("0.00000000050", dec(1, -9, .decimalSI)), ("0.5e-9", dec(1, -9, .decimalExponent)),
        ("0.9n", dec(1, -9, .decimalSI)), ("0.00000012345", dec(124, -9, .decimalSI)), ("0.00000012354", dec(124, -9, .decimalSI)),
        ("9Ei", dec(Int64.max, 0, .binarySI)), ("9223372036854775807Ki", dec(Int64.max, 0, .binarySI)),
        ("12E", Quantity(nanoValue: 12 * Quantity.pow10(27), format: .decimalSI)),
        ("100.035Ki", dec(10243584, -2, .binarySI)), ("0.5Mi", dec(512 * 1024, 0, .binarySI)),
        ("0.05Gi", dec(536870912, -1, .binarySI)), ("0.025Ti", dec(274877906944, -1, .binarySI)),
        ("0.000000000001Ki", dec(2, -9, .decimalSI)), (".001", dec(1, -3, .decimalSI)), (".0001k", dec(100, -3, .decimalSI)),
        ("1.", dec(1, 0, .decimalSI)), ("1.G", dec(1, 9, .decimalSI)),
    ]

    @Test func parsesUpstreamTable() throws {
        #expect(throws: QuantityError.formatWrong) { try Quantity(parsing: "") }
        for (input, expected) in Self.parseTable {
            for (prefix, sign) in [("", Int128(1)), ("-", Int128(-1)), ("+", Int128(1))] {
                let q = try Quantity(parsing: prefix + input)
                #expect(q.nanoValue == sign * expected.nanoValue, "\(prefix)\(input)")
                #expect(q.format == expected.format, "\(prefix)\(input) format")
            }
        }
    }

    @Test(arguments: ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 "])
    func rejectsUpstreamInvalid(_ input: String) {
        #expect(throws: QuantityError.self) { try Quantity(parsing: input) }
        #expect((try? Quantity(parsing: input)) == nil)
    }

    @Test func errorMessagesAreUpstreams() {
        #expect(QuantityError.suffix.description == "unable to parse quantity's suffix")
        #expect(throws: QuantityError.suffix) { try Quantity(parsing: "1i") }
        #expect(throws: QuantityError.formatWrong) { try Quantity(parsing: "1.1.M") }
    }

    // Upstream TestQuantityString: canonical text, then the alternate spelling canonicalises to it.
    static let stringTable: [(Quantity, String, String)] = [
        (dec(1024 * 1024 * 1024, 0, .binarySI), "1Gi", "1024Mi"), (dec(300 * 1024 * 1024, 0, .binarySI), "300Mi", "307200Ki"),
        (dec(6 * 1024, 0, .binarySI), "6Ki", ""), (dec(1001 * 1024 * 1024 * 1024, 0, .binarySI), "1001Gi", "1025024Mi"),
        (dec(1024 * 1024 * 1024 * 1024, 0, .binarySI), "1Ti", "1024Gi"), (dec(5, 0, .binarySI), "5", "5000m"),
        (dec(500, -3, .binarySI), "500m", "0.5"), (dec(1, 9, .decimalSI), "1G", "1000M"), (dec(1000, 6, .decimalSI), "1G", "0.001T"),
        (dec(1000000, 3, .decimalSI), "1G", ""), (dec(1000000000, 0, .decimalSI), "1G", ""),
        (dec(1, -3, .decimalSI), "1m", "1000u"), (dec(80, -3, .decimalSI), "80m", ""), (dec(1080, -3, .decimalSI), "1080m", "1.08"),
        (dec(108, -2, .decimalSI), "1080m", "1080000000n"), (dec(10800, -4, .decimalSI), "1080m", ""),
        (dec(300, 6, .decimalSI), "300M", ""), (dec(1, 12, .decimalSI), "1T", ""), (dec(1234567, 6, .decimalSI), "1234567M", ""),
        (dec(1234567, -3, .binarySI), "1234567m", ""), (dec(3, 3, .decimalSI), "3k", ""), (dec(1025, 0, .binarySI), "1025", ""),
        (dec(0, 0, .decimalSI), "0", ""), (dec(0, 0, .binarySI), "0", ""),
        (dec(1, 9, .decimalExponent), "1e9", ".001e12"), (dec(1, -3, .decimalExponent), "1e-3", "0.001e0"),
        (dec(1, -9, .decimalExponent), "1e-9", "1000e-12"), (dec(80, -3, .decimalExponent), "80e-3", ""),
        (dec(300, 6, .decimalExponent), "300e6", ""), (dec(1, 12, .decimalExponent), "1e12", ""),
        (dec(1, 3, .decimalExponent), "1e3", ""), (dec(3, 3, .decimalExponent), "3e3", ""), (dec(3, 3, .decimalSI), "3k", ""),
        (dec(0, 0, .decimalExponent), "0", "00"), (dec(1, -9, .decimalSI), "1n", ""), (dec(80, -9, .decimalSI), "80n", ""),
        (dec(1080, -9, .decimalSI), "1080n", ""), (dec(108, -8, .decimalSI), "1080n", ""), (dec(10800, -10, .decimalSI), "1080n", ""),
        (dec(1, -6, .decimalSI), "1u", ""), (dec(80, -6, .decimalSI), "80u", ""), (dec(1080, -6, .decimalSI), "1080u", ""),
    ]

    @Test func printsUpstreamTable() throws {
        for (q, expected, alternate) in Self.stringTable {
            #expect(q.description == expected)
            #expect(try Quantity(parsing: expected).description == expected)
            if !alternate.isEmpty { #expect(try Quantity(parsing: alternate).description == expected, "\(alternate)") }
            if !q.isZero { #expect((-q).description == "-" + expected) }
        }
    }

    @Test func parseEmit() throws {
        let table = [("1Ki", "1Ki"), ("1Mi", "1Mi"), ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("1000M", "1G"), (".001Ki", "1024m"),
                     (".000001Ki", "1024u"), (".000000001Ki", "1024n"), (".000000000001Ki", "2n"),
                     ("0.5", "500m"), ("1000m", "1"), ("1.5Gi", "1536Mi"), ("100m", "100m"), ("1.5", "1500m"),
                     ("1E3", "1E3"), ("1.1Ki", "1126400m"), ("1000E", "1e21"), ("2048Ki", "2Mi")]
        for (input, expected) in table {
            #expect(try Quantity(parsing: input).description == expected, "\(input)")
            #expect(try Quantity(parsing: "-" + input).description == "-" + expected, "-\(input)")
        }
    }

    @Test func valuesRoundUp() throws {
        #expect(qty("100m").milliValue == 100)
        #expect(qty("100m").value == 1)
        #expect(qty("1.1").value == 2)
        #expect(qty("0.1m").milliValue == 1)
        #expect(qty("1Gi").value == 1 << 30)
        #expect(qty("2").milliValue == 2000)
        #expect(qty("5n").scaledValue(-9) == 5)
        #expect(qty("1").scaledValue(-9) == 1_000_000_000)
        // NewMilliQuantity / NewQuantity / NewScaledQuantity from upstream's tests.
        #expect(Quantity(milliValue: 1).description == "1m")
        #expect(Quantity(milliValue: 1000).description == "1")
        #expect(Quantity(milliValue: 1234000).description == "1234")
        #expect(Quantity(milliValue: 1024, format: .binarySI).description == "1024m")
        #expect(Quantity(milliValue: 1000000, format: .decimalExponent).description == "1e3")
        #expect(Quantity(1000).description == "1k")
        #expect(Quantity(1024, format: .binarySI).description == "1Ki")
        #expect(Quantity(1024 * 1024, format: .binarySI).description == "1Mi")
        #expect(Quantity(1000000, format: .decimalExponent).description == "1e6")
        #expect(Quantity(1, scale: -9).description == "1n")
        #expect(Quantity(1000, scale: -9).description == "1u")
        #expect(Quantity(1000, scale: -3).description == "1")
        #expect(Quantity(0, scale: -6).description == "0")
    }

    @Test func arithmeticAndComparison() throws {
        // Upstream TestAdd / TestSub.
        #expect(Self.dec(10, 0, .decimalSI) + Self.dec(1, 1, .decimalSI) == Self.dec(20, 0, .decimalSI))
        #expect((Self.dec(10, 0, .binarySI) + Self.dec(1, 0, .decimalSI)).format == .binarySI)
        #expect((Quantity.zero + Self.dec(50, 0, .binarySI)).format == .binarySI)
        #expect(Self.dec(10, 0, .decimalSI) - Self.dec(1, 1, .decimalSI) == .zero)
        #expect(Quantity.zero - Self.dec(50, 0, .decimalSI) == Self.dec(-50, 0, .decimalSI))
        var q = qty("1Gi")
        q -= qty("512Mi")
        #expect(q.description == "512Mi")
        q += qty("100m")
        #expect(q.description == "536870912100m")
        q.multiply(by: 0)
        #expect(q.isZero && q.description == "0")
        #expect(qty("1") == qty("1000m"))
        #expect(qty("999m") < qty("1"))
        #expect(qty("1Ki") > qty("1k"))
        #expect(qty("1").compare(qty("2")) == -1)
        #expect(Set([qty("1"), qty("1000m")]).count == 1)
        // A scheduler summing requests.
        let requests = try ["250m", "0.5", "1"].map { try Quantity(parsing: $0) }
        #expect(requests.reduce(Quantity.zero, +).milliValue == 1750)
    }

    @Test func codable() throws {
        struct Box: Codable, Equatable { var q: Quantity }
        // Canonical text is kept, non-canonical text is canonicalised, numbers are accepted.
        for (json, expected) in [(#"{"q":"1Gi"}"#, #"{"q":"1Gi"}"#), (#"{"q":"1024Mi"}"#, #"{"q":"1Gi"}"#),
                                 (#"{"q":"0.5"}"#, #"{"q":"500m"}"#), (#"{"q":1}"#, #"{"q":"1"}"#),
                                 (#"{"q":1.5}"#, #"{"q":"1500m"}"#), (#"{"q":-1}"#, #"{"q":"-1"}"#),
                                 (#"{"q":" 1"}"#, #"{"q":"1"}"#), (#"{"q":"1 "}"#, #"{"q":"1"}"#), (#"{"q":10}"#, #"{"q":"10"}"#)] {
            let box = try KubeJSON.decode(Box.self, from: Data(json.utf8))
            #expect(String(decoding: try KubeJSON.encode(box), as: UTF8.self) == expected, "\(json)")
        }
        #expect(throws: DecodingError.self) { try KubeJSON.decode(Box.self, from: Data(#"{"q":"1i"}"#.utf8)) }
    }
}
