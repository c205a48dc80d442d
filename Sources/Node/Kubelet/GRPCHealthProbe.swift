import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// The gRPC probe (`grpc: {port, service}`): one `grpc.health.v1.Health/Check` call over plaintext HTTP/2 to the
/// pod's IP, as upstream's kubelet makes it; `SERVING` succeeds, anything else fails with upstream's words. The two
/// messages are tiny, so they are encoded here rather than generated:
///
///     HealthCheckRequest  { string service = 1; }
///     HealthCheckResponse { ServingStatus status = 1; }   // UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3
enum GRPCHealthProbe {
    static let check = MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check")

    static func probe(host: String, port: Int, service: String, timeout: Duration) async -> Prober.Result {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        do {
            let status = host.contains(":")
                ? try await call(ResolvableTargets.IPv6.ipv6(address: host, port: port), service: service, timeout: timeout)
                : try await call(ResolvableTargets.IPv4.ipv4(address: host, port: port), service: service, timeout: timeout)
            return status == 1 ? .success : .failure("service unhealthy (responded with \"\(statusName(status))\")")
        } catch let error as RPCError {
            switch error.code {
            case .unimplemented:
                return .failure("this server does not implement the grpc health protocol (grpc.health.v1.Health): \(error.message)")
            case .deadlineExceeded:
                return .failure("timeout: health rpc did not complete within \(timeout)")
            case .unavailable:
                return .failure("timeout: failed to connect service \"\(address)\" within \(timeout): \(error.message)")
            default:
                return .failure("error: health rpc probe failed: \(error)")
            }
        } catch {
            return .failure("error: health rpc probe failed: \(error)")
        }
    }

    /// The serving status `target` reports for `service`.
    private static func call(_ target: some ResolvableTarget, service: String, timeout: Duration) async throws -> UInt64 {
        let transport = try HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext)
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        return try await withGRPCClient(transport: transport) { client in
            try await client.unary(request: ClientRequest(message: encodeRequest(service: service)), descriptor: check,
                                   serializer: RawMessage(), deserializer: RawMessage(), options: options) { response in
                try decodeStatus(try response.message)
            }
        }
    }

    /// Field 1 (length-delimited) when the service name is not empty.
    static func encodeRequest(service: String) -> [UInt8] {
        let bytes = Array(service.utf8)
        guard !bytes.isEmpty else { return [] }
        return [0x0a] + varint(UInt64(bytes.count)) + bytes
    }

    /// Field 1 (varint) of a HealthCheckResponse; 0 (UNKNOWN) when absent. Other fields are skipped.
    static func decodeStatus(_ bytes: [UInt8]) throws -> UInt64 {
        var index = 0, status: UInt64 = 0
        func readVarint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                guard shift < 64 else { break }
            }
            throw RPCError(code: .internalError, message: "malformed HealthCheckResponse")
        }
        while index < bytes.count {
            let key = try readVarint()
            switch key & 7 {
            case 0:
                let value = try readVarint()
                if key >> 3 == 1 { status = value }
            case 1: index += 8
            case 2: index += Int(try readVarint())
            case 5: index += 4
            default: throw RPCError(code: .internalError, message: "malformed HealthCheckResponse")
            }
        }
        return status
    }

    static func statusName(_ status: UInt64) -> String {
        switch status {
        case 0: "UNKNOWN"
        case 1: "SERVING"
        case 2: "NOT_SERVING"
        case 3: "SERVICE_UNKNOWN"
        default: "\(status)"
        }
    }

    private static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }
}

/// Messages passed as their protobuf bytes.
struct RawMessage: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}
