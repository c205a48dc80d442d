import Foundation
import KubeAPI

/// The WebSocket subprotocols of Kubernetes' remote-command streams (`exec`, `attach`): each binary message
/// starts with a channel byte (``StreamChannel``), the rest is that channel's data. `v5` adds the close signal
/// (channel 255), which lets a client end stdin without ending the connection; kubectl ≥ 1.30 offers only v5,
/// the Python client v4.
public enum StreamProtocol: String, Sendable, CaseIterable {
    case v5 = "v5.channel.k8s.io"
    case v4 = "v4.channel.k8s.io"

    /// The subprotocol to answer with: the first one the client lists that we speak (the client's order is its
    /// preference), or nil when there is none in common.
    public static func negotiate(offered header: String?) -> StreamProtocol? {
        offered(header).lazy.compactMap(StreamProtocol.init(rawValue:)).first
    }

    /// The subprotocols a `Sec-WebSocket-Protocol` header lists, in order.
    public static func offered(_ header: String?) -> [String] {
        (header ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// The channels of a remote-command stream, numbered like the process's file descriptors.
public enum StreamChannel: UInt8, Sendable {
    case stdin = 0, stdout = 1, stderr = 2
    /// The outcome, once: a `Status` object (success, or failure with the exit code).
    case error = 3
    /// Terminal size changes from the client: `{"Width":80,"Height":24}`.
    case resize = 4
    /// v5 only: the client closed the channel named by the payload's first byte (stdin).
    case close = 255

    /// One message on this channel.
    public func frame(_ payload: some Sequence<UInt8>) -> [UInt8] { [rawValue] + payload }
}

/// A terminal size, as the client sends it on the resize channel.
public struct TerminalSize: Codable, Sendable, Equatable {
    public var width: UInt16
    public var height: UInt16

    public init(width: UInt16, height: UInt16) {
        self.width = width
        self.height = height
    }

    enum CodingKeys: String, CodingKey {
        case width = "Width", height = "Height"
    }
}

extension Status {
    /// What the error channel carries when the command exited 0.
    public static var streamSuccess: Status { Status(status: "Success") }

    /// What the error channel carries when the command exited non-zero, worded like the kubelet's so kubectl
    /// prints "command terminated with exit code N" and exits with N.
    public static func nonZeroExit(command: [String], exitCode: Int32) -> Status {
        Status(message: "command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(exitCode)",
               reason: "NonZeroExitCode",
               details: StatusDetails(causes: [StatusCause(reason: "ExitCode", message: "\(exitCode)")]))
    }

    /// A stream that could not run the command at all (container gone, runtime error).
    public static func streamFailure(_ message: String) -> Status {
        Status(message: message, reason: "InternalError", code: 500)
    }

    /// The error channel's payload: the Status as JSON.
    public var streamPayload: [UInt8] {
        var status = self
        status.apiVersion = nil
        status.kind = nil
        return Array((try? JSONEncoder().encode(status)) ?? Data())
    }
}
