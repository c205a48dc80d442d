import ClusterDNS
import Testing

/// The wire format: round trips of every record type, name compression, truncation, EDNS, and malformed input
/// answered with an error (never a crash or an endless loop).
struct DNSCodecTests {
    static func name(_ text: String) -> DomainName { try! DomainName(text) }

    static var fullResponse: DNSMessage {
        var message = DNSMessage(id: 0xBEEF, questions: [Question(name: name("web.default.svc.cluster.local"), type: .any)])
        message.isResponse = true
        message.isAuthoritative = true
        message.recursionDesired = true
        let owner = name("web.default.svc.cluster.local")
        message.answers = [
            ResourceRecord(name: owner, ttl: 5, data: .a([10, 96, 0, 10])),
            ResourceRecord(name: owner, ttl: 5, data: .aaaa(IPAddress("fd00::a")!.bytes)),
            ResourceRecord(name: name("alias.default.svc.cluster.local"), ttl: 5, data: .cname(owner)),
            ResourceRecord(name: name("_http._tcp.web.default.svc.cluster.local"), ttl: 5,
                           data: .srv(priority: 0, weight: 100, port: 80, target: owner)),
            ResourceRecord(name: name("10.0.96.10.in-addr.arpa"), ttl: 5, data: .ptr(owner)),
            ResourceRecord(name: name("cluster.local"), ttl: 5, data: .mx(preference: 10, exchange: name("mail.cluster.local"))),
            ResourceRecord(name: name("dns-version.cluster.local"), ttl: 28800, data: .txt([Array("1.1.0".utf8), []])),
            ResourceRecord(name: owner, ttl: 5, data: .unknown(RecordType(rawValue: 65), [0, 1, 0])),
        ]
        message.authority = [
            ResourceRecord(name: name("cluster.local"), ttl: 5, data: .ns(name("ns.dns.cluster.local"))),
            ResourceRecord(name: name("cluster.local"), ttl: 5, data: .soa(SOAData(
                primaryNameServer: name("ns.dns.cluster.local"), mailbox: name("hostmaster.cluster.local"),
                serial: 1_700_000_000, refresh: 7200, retry: 1800, expire: 86400, minimumTTL: 5))),
        ]
        message.additional = [ResourceRecord(name: name("ns.dns.cluster.local"), ttl: 5, data: .a([10, 96, 0, 10]))]
        message.edns = EDNS(udpPayloadSize: 1232, dnssecOK: true, options: [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])
        return message
    }

    @Test func everyRecordTypeSurvivesARoundTrip() throws {
        let message = Self.fullResponse
        let bytes = try message.encoded()
        #expect(try DNSMessage(decoding: bytes) == message)
    }

    @Test func queriesRoundTripWithFlagsAndEDNS() throws {
        var query = DNSMessage(id: 7, questions: [Question(name: Self.name("Web.Default.SVC.cluster.local"), type: .aaaa)])
        query.recursionDesired = true
        query.checkingDisabled = true
        query.edns = EDNS(udpPayloadSize: 4096)
        let decoded = try DNSMessage(decoding: try query.encoded())
        #expect(decoded == query)
        #expect(decoded.udpSizeLimit == 4096)
        // Names compare without case but keep the client's spelling.
        #expect(decoded.questions[0].name == Self.name("web.default.svc.cluster.local"))
        #expect(decoded.questions[0].name.description == "Web.Default.SVC.cluster.local.")
    }

    @Test func repeatedNamesAreCompressed() throws {
        let message = Self.fullResponse
        let bytes = try message.encoded()
        let uncompressed = message.answers.count * Self.name("web.default.svc.cluster.local").wireLength
        #expect(bytes.count < 12 + uncompressed + 200)
        // The first answer's owner is a pointer to the question's name at offset 12.
        let questionEnd = 12 + Self.name("web.default.svc.cluster.local").wireLength + 4
        #expect(bytes[questionEnd] == 0xC0 && bytes[questionEnd + 1] == 12)
    }

    @Test func aResponseTooBigForUDPIsTruncatedWithTheTCBit() throws {
        var message = DNSMessage(id: 1, questions: [Question(name: Self.name("big.default.svc.cluster.local"), type: .a)])
        message.isResponse = true
        message.edns = EDNS(udpPayloadSize: 512)
        message.answers = (0..<100).map { ResourceRecord(name: Self.name("big.default.svc.cluster.local"), ttl: 5, data: .a([10, 0, 0, UInt8($0)])) }
        let full = try message.encoded()
        #expect(full.count > 512)
        let truncated = try message.encoded(limit: 512)
        #expect(truncated.count <= 512)
        let decoded = try DNSMessage(decoding: truncated)
        #expect(decoded.isTruncated)
        #expect(decoded.answers.count > 0 && decoded.answers.count < 100)
        #expect(decoded.edns?.udpPayloadSize == 512)
        #expect(!(try DNSMessage(decoding: full)).isTruncated)
    }

    @Test func extendedResponseCodesTravelInTheOPTRecord() throws {
        var reply = DNSMessage(id: 3, questions: [Question(name: Self.name("x.cluster.local"), type: .a)])
        reply.isResponse = true
        reply.rcode = .badVersion
        reply.edns = EDNS(udpPayloadSize: 1232)
        let bytes = try reply.encoded()
        #expect(bytes[3] & 0x0F == 0)
        #expect(try DNSMessage(decoding: bytes).rcode == .badVersion)
        reply.edns = nil
        #expect(throws: ClusterDNSError.self) { try reply.encoded() }
    }

    @Test func everyTruncationOfAValidMessageIsRejected() throws {
        let bytes = try Self.fullResponse.encoded()
        for length in 0..<bytes.count {
            #expect(throws: ClusterDNSError.self, "prefix of \(length) bytes") { try DNSMessage(decoding: Array(bytes.prefix(length))) }
        }
    }

    @Test func compressionLoopsAndForwardPointersAreRejected() {
        let header: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let cases: [(String, [UInt8])] = [
            ("pointer to itself", header + [0xC0, 12, 0, 1, 0, 1]),
            ("pointer forwards", header + [0xC0, 14, 3, 0x61, 0x62, 0x63, 0, 0, 1, 0, 1]),
            ("label then pointer back to the label", header + [1, 0x61, 0xC0, 12, 0, 1, 0, 1]),
            ("two pointers at each other", header + [0xC0, 14, 0xC0, 12, 0, 1, 0, 1]),
            ("extended label type", header + [0x41, 0, 0, 1, 0, 1]),
            ("pointer past the end", header + [0xC0, 0xFF, 0, 1, 0, 1]),
        ]
        for (what, bytes) in cases {
            #expect(throws: ClusterDNSError.self, "\(what)") { try DNSMessage(decoding: bytes) }
            // Their headers are readable, so the server answers FORMERR with the same id.
            let reply = DNSMessage.formatErrorReply(to: bytes)
            #expect(reply?.prefix(4) == [0x12, 0x34, 0x81, 0x01], "\(what)")
        }
    }

    @Test func namesLongerThan255BytesAreRejectedEvenThroughPointers() {
        // 3 labels of 63 bytes (193 bytes in all), then a name of another 63-byte label and a pointer to them.
        var bytes: [UInt8] = [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]
        for _ in 0..<3 { bytes += [63] + [UInt8](repeating: 0x61, count: 63) }
        bytes += [0, 0, 1, 0, 1]
        bytes += [63] + [UInt8](repeating: 0x62, count: 63) + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: ClusterDNSError.self) { try DNSMessage(decoding: bytes) }
    }

    @Test func recordDataMustBeExactlyAsLongAsItsLengthSays() throws {
        var message = DNSMessage(id: 9, questions: [])
        message.isResponse = true
        message.answers = [ResourceRecord(name: Self.name("a.cluster.local"), ttl: 5, data: .a([1, 2, 3, 4]))]
        var bytes = try message.encoded()
        // RDLENGTH 4 → 5 with one more byte: an A record of 5 bytes.
        bytes[bytes.count - 5] = 5
        bytes.append(9)
        #expect(throws: ClusterDNSError.self) { try DNSMessage(decoding: bytes) }
    }

    @Test func randomAndMutatedInputNeverCrashes() throws {
        var generator = SystemRandomNumberGenerator()
        let valid = try Self.fullResponse.encoded()
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            if let message = try? DNSMessage(decoding: bytes) {
                // Whatever parses encodes again and parses to the same message.
                if let again = try? message.encoded() { #expect(try DNSMessage(decoding: again) == message) }
            }
        }
    }

    @Test func domainNamesEnforceTheirLimits() {
        #expect(throws: ClusterDNSError.self) { try DomainName(String(repeating: "a", count: 64) + ".local") }
        #expect(throws: ClusterDNSError.self) { try DomainName(Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".")) }
        #expect(throws: ClusterDNSError.self) { try DomainName("a..b") }
        #expect(DomainName.root.description == ".")
        #expect(Self.name("a\\.b.c").labels.count == 2)
    }

    @Test func reverseNamesMapToAddressesAndBack() {
        for text in ["10.96.0.10", "192.0.2.255", "fd00::a", "2001:db8::1:0:0:1"] {
            let ip = IPAddress(text)!
            #expect(ip.description == text)
            #expect(IPAddress(reverseName: ip.reverseName) == ip)
        }
        #expect(IPAddress("10.96.0.10")!.reverseName.description == "10.0.96.10.in-addr.arpa.")
        #expect(IPAddress(reverseName: Self.name("96.10.in-addr.arpa")) == nil)
        #expect(IPAddress("10.96.0.256") == nil && IPAddress("fd00:::1") == nil && IPAddress("web") == nil)
    }
}
