import FoundationEssentials

/// A CNI error as plugins print it on stdout: `{"cniVersion", "code", "msg", "details"}`.
///
/// Every failure in this module is a `CNIError`, so the boundary (plugin main, runtime exec) never has to
/// guess a code. `details` carries the underlying cause (an `errno` text, a decoder message).
///
///     throw CNIError(.invalidNetworkConfig, "invalid subnet \"10.0.0.0/33\"")
public struct CNIError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A spec error code; values 1–99 are reserved by the spec, 100 and above are plugin-specific.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(UInt.self)
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        public var description: String { String(rawValue) }

        /// 1: the plugin does not support the configuration's `cniVersion`.
        public static let incompatibleVersion = Code(rawValue: 1)
        /// 2: a configuration field the plugin does not support.
        public static let unsupportedField = Code(rawValue: 2)
        /// 3: the container is unknown; the runtime need not clean up.
        public static let unknownContainer = Code(rawValue: 3)
        /// 4: a `CNI_*` environment variable is missing or invalid.
        public static let invalidEnvironment = Code(rawValue: 4)
        /// 5: reading or writing files, pipes or sockets failed.
        public static let ioFailure = Code(rawValue: 5)
        /// 6: stdin or a plugin's output could not be decoded.
        public static let decodingFailure = Code(rawValue: 6)
        /// 7: the network configuration failed validation.
        public static let invalidNetworkConfig = Code(rawValue: 7)
        /// 11: a transient condition; the runtime should retry later.
        public static let tryAgainLater = Code(rawValue: 11)
        /// 50: STATUS — the plugin cannot serve any request.
        public static let pluginNotAvailable = Code(rawValue: 50)
        /// 51: STATUS — the plugin cannot serve ADD; DEL and the rest still work.
        public static let pluginNotAvailableForAdd = Code(rawValue: 51)
        /// 100: host-local found no free address in a range set (plugin-specific).
        public static let addressesExhausted = Code(rawValue: 100)
        /// 101: a requested address cannot be given (taken, out of range, or the gateway).
        public static let requestedAddressUnavailable = Code(rawValue: 101)
        /// 102: CHECK found no reservation for the attachment.
        public static let attachmentNotFound = Code(rawValue: 102)
        /// 103: a netlink or namespace operation failed inside a plugin.
        public static let networkSetupFailure = Code(rawValue: 103)
        /// 104: a delegated plugin could not be run, or it failed without an error JSON.
        public static let pluginExecutionFailure = Code(rawValue: 104)
        /// 105: host-local already holds an address in this range set for the attachment.
        public static let duplicateAllocation = Code(rawValue: 105)
        /// 999: libcni's `ErrInternal`, what the reference plugins answer for any other failure; used
        /// where ours fails the same way and says the same (a bridge the kernel will not create).
        public static let internalFailure = Code(rawValue: 999)
    }

    /// The version the error is expressed in; the configuration's when known.
    public var cniVersion: String?
    public var code: Code
    public var msg: String
    public var details: String?

    public init(_ code: Code, _ msg: String, details: String? = nil, cniVersion: String? = nil) {
        self.code = code
        self.msg = msg
        self.details = details.flatMap { $0.isEmpty ? nil : $0 }
        self.cniVersion = cniVersion
    }

    /// An I/O failure on `subject`, keeping the underlying error's text as details.
    public static func io(_ subject: String, _ cause: any Error) -> CNIError {
        CNIError(.ioFailure, subject, details: String(describing: cause))
    }

    /// This error with `cniVersion` filled in unless it already names one.
    public func versioned(_ version: String) -> CNIError {
        var copy = self
        if copy.cniVersion == nil { copy.cniVersion = version }
        return copy
    }

    /// The JSON object a plugin prints on stdout.
    public func json() -> Data {
        (try? JSONCoding.encodePretty(self)) ?? Data(#"{"code":\#(code.rawValue),"msg":"unencodable error"}"#.utf8)
    }

    public var description: String {
        let detail = details.map { "; \($0)" } ?? ""
        return "CNI error \(code.rawValue): \(msg)\(detail)"
    }
}
