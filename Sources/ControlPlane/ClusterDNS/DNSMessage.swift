/// A DNS message (RFC 1035 §4): header, question and the three record sections, with the EDNS(0) OPT pseudo-record
/// (RFC 6891) kept apart from the additional section. Encoding and decoding live in `DNSMessage+Encoding.swift` and
/// `DNSMessage+Decoding.swift`.
///
/// ```swift
/// var query = DNSMessage(id: 7, questions: [Question(name: try DomainName("web.default.svc.cluster.local"), type: .a)])
/// query.recursionDesired = true
/// let bytes = try query.encoded()
/// let back = try DNSMessage(decoding: bytes)
/// ```
public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var isAuthoritative = false
    public var isTruncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var authenticData = false
    public var checkingDisabled = false
    /// The full response code: the header's four bits, plus the OPT record's upper eight when EDNS is present.
    public var rcode: ResponseCode = .noError
    public var questions: [Question]
    public var answers: [ResourceRecord] = []
    public var authority: [ResourceRecord] = []
    /// The additional section without the OPT record (that is `edns`).
    public var additional: [ResourceRecord] = []
    public var edns: EDNS?

    public init(id: UInt16, questions: [Question] = []) {
        self.id = id
        self.questions = questions
    }

    /// A response to `query`: same id, opcode, question and RD bit, QR set.
    public init(replyingTo query: DNSMessage) {
        self.init(id: query.id, questions: query.questions)
        isResponse = true
        opcode = query.opcode
        recursionDesired = query.recursionDesired
        checkingDisabled = query.checkingDisabled
    }
}

/// The question of a query: a name, a type and a class.
public struct Question: Sendable, Hashable {
    public var name: DomainName
    public var type: RecordType
    public var recordClass: UInt16

    public init(name: DomainName, type: RecordType, recordClass: UInt16 = RecordClass.internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// The record classes that matter here.
public enum RecordClass {
    public static let internet: UInt16 = 1
    public static let any: UInt16 = 255
}

/// A record type (RFC 1035 §3.2.2 and later RFCs); unknown types keep their number.
public struct RecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let ptr = RecordType(rawValue: 12)
    public static let mx = RecordType(rawValue: 15)
    public static let txt = RecordType(rawValue: 16)
    public static let aaaa = RecordType(rawValue: 28)
    public static let srv = RecordType(rawValue: 33)
    public static let opt = RecordType(rawValue: 41)
    public static let ixfr = RecordType(rawValue: 251)
    public static let axfr = RecordType(rawValue: 252)
    public static let any = RecordType(rawValue: 255)

    private static let names: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 41: "OPT",
        65: "HTTPS", 64: "SVCB", 251: "IXFR", 252: "AXFR", 255: "ANY",
    ]

    /// The mnemonic (`AAAA`), or `TYPE65534` for a type without one (RFC 3597).
    public var description: String { Self.names[rawValue] ?? "TYPE\(rawValue)" }
}

/// A response code, including the extended codes EDNS carries (RFC 6891 §6.1.3).
public struct ResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = ResponseCode(rawValue: 0)
    public static let formatError = ResponseCode(rawValue: 1)
    public static let serverFailure = ResponseCode(rawValue: 2)
    public static let nameError = ResponseCode(rawValue: 3)
    public static let notImplemented = ResponseCode(rawValue: 4)
    public static let refused = ResponseCode(rawValue: 5)
    public static let badVersion = ResponseCode(rawValue: 16)

    private static let names: [UInt16: String] = [
        0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 16: "BADVERS",
    ]

    /// The name dig prints (`NXDOMAIN`), or `RCODE23`.
    public var description: String { Self.names[rawValue] ?? "RCODE\(rawValue)" }
}

/// A resource record: owner name, class, TTL and typed data.
public struct ResourceRecord: Sendable, Hashable {
    public var name: DomainName
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: RecordData

    public init(name: DomainName, ttl: UInt32, data: RecordData, recordClass: UInt16 = RecordClass.internet) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public var type: RecordType { data.type }
}

/// The data of the record types this server answers with or reads from upstreams; any other type keeps its bytes.
public enum RecordData: Sendable, Hashable {
    /// Four bytes.
    case a([UInt8])
    /// Sixteen bytes.
    case aaaa([UInt8])
    case cname(DomainName)
    case ns(DomainName)
    case ptr(DomainName)
    case mx(preference: UInt16, exchange: DomainName)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DomainName)
    case soa(SOAData)
    /// Character strings of at most 255 bytes each.
    case txt([[UInt8]])
    /// Any other type, as raw RDATA (RFC 3597: types defined later never compress names inside their data).
    case unknown(RecordType, [UInt8])

    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .ptr: .ptr
        case .mx: .mx
        case .srv: .srv
        case .soa: .soa
        case .txt: .txt
        case .unknown(let type, _): type
        }
    }

    /// The record for an address: A for IPv4, AAAA for IPv6.
    public static func address(_ ip: IPAddress) -> RecordData {
        switch ip {
        case .v4(let b): .a(b)
        case .v6(let b): .aaaa(b)
        }
    }
}

/// SOA data (RFC 1035 §3.3.13).
public struct SOAData: Sendable, Hashable {
    public var primaryNameServer: DomainName
    public var mailbox: DomainName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimumTTL: UInt32

    public init(primaryNameServer: DomainName, mailbox: DomainName, serial: UInt32, refresh: UInt32, retry: UInt32,
                expire: UInt32, minimumTTL: UInt32) {
        self.primaryNameServer = primaryNameServer
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimumTTL = minimumTTL
    }
}

/// The EDNS(0) OPT pseudo-record (RFC 6891): the sender's UDP payload size, version, DO bit and raw options.
public struct EDNS: Sendable, Hashable {
    /// The largest UDP response the sender accepts; values under 512 mean 512.
    public var udpPayloadSize: UInt16
    public var version: UInt8
    public var dnssecOK: Bool
    /// The options as they were on the wire (code, length, data…); not interpreted.
    public var options: [UInt8]

    public init(udpPayloadSize: UInt16, version: UInt8 = 0, dnssecOK: Bool = false, options: [UInt8] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}

extension DNSMessage {
    /// The UDP message size limit the sender of this query set: its EDNS payload size, at least 512, or 512 without
    /// EDNS (RFC 1035 §4.2.1, RFC 6891 §6.2.5).
    public var udpSizeLimit: Int {
        guard let edns else { return 512 }
        return max(512, Int(edns.udpPayloadSize))
    }
}
