import GRPCCore

/// A CRI call that cannot be served: the gRPC status code the kubelet will see and a message in
/// containerd's wording where the kubelet (or a person reading `kubectl describe`) relies on it.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let code: RPCError.Code
    public let message: String

    public init(_ code: RPCError.Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func notFound(_ message: String) -> RuntimeError { RuntimeError(.notFound, message) }
    public static func invalidArgument(_ message: String) -> RuntimeError { RuntimeError(.invalidArgument, message) }
    public static func internalError(_ message: String) -> RuntimeError { RuntimeError(.internalError, message) }
    /// containerd's RunPodSandbox refusal of a handler it has no runtime configured for (a plain error there, so
    /// the kubelet sees `unknown`).
    static func noSandboxRuntime(_ handler: String) -> RuntimeError {
        RuntimeError(.unknown, "failed to get sandbox runtime: no runtime for \"\(handler)\" is configured")
    }

    public var description: String { "\(code): \(message)" }

    /// The error as the gRPC status the server answers with; anything else thrown by the runtime becomes
    /// `unknown` with its description (as containerd reports unexpected failures).
    static func rpcError(from error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: error
        case let error as RuntimeError: RPCError(code: error.code, message: error.message)
        default: RPCError(code: .unknown, message: String(describing: error))
        }
    }
}
