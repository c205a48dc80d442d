import Foundation
import GoNet
import KubeAPI

/// Everything a `KubeClient` call can fail with.
///
/// API errors keep the HTTP status code and the server's decoded meta/v1 `Status`, so callers branch on the
/// upstream reason rather than on message text:
///
/// ```swift
/// do {
///     _ = try await client.create(pod)
/// } catch where error.isAlreadyExists {
///     // someone else created it first
/// }
/// ```
public enum KubeClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a non-2xx status; `status` is its meta/v1 `Status` body (or one made up from the
    /// response when the body was not a `Status`). `request` is `VERB path`, for logs.
    case api(code: Int, status: Status, request: String)
    /// HTTP 410: the resourceVersion a LIST, WATCH or continue token asked for has been compacted. Received either
    /// as a 410 response or as a watch `ERROR` event carrying a 410 `Status`. Informers re-list on it.
    case gone(status: Status, request: String)
    /// The request never produced an HTTP response (connection refused, TLS failure, timeout, dropped stream).
    case transport(request: String, cause: any Error)
    /// The request body did not encode, or the response body did not decode as the expected type.
    case serialization(request: String, cause: any Error)
    /// The client configuration or kubeconfig is unusable (bad URL, unreadable certificate, unknown context).
    case configuration(String)
    /// The call cannot be made as asked (an object without a name to update).
    case invalidRequest(String)

    /// The HTTP status code, for API errors.
    public var code: Int? {
        switch self {
        case .api(let code, _, _): code
        case .gone: 410
        case .transport, .serialization, .configuration, .invalidRequest: nil
        }
    }

    /// The server's `Status`, for API errors.
    public var status: Status? {
        switch self {
        case .api(_, let status, _), .gone(let status, _): status
        case .transport, .serialization, .configuration, .invalidRequest: nil
        }
    }

    /// The upstream reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, …).
    public var reason: String? { status?.reason }

    /// 404 NotFound.
    public var isNotFound: Bool { code == 404 }
    /// 409 with reason AlreadyExists (a create of an existing name).
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    /// 409 with reason Conflict (a write based on a stale resourceVersion, or a failed precondition).
    public var isConflict: Bool { code == 409 && reason != "AlreadyExists" }
    /// 410 Gone / Expired.
    public var isGone: Bool { code == 410 }
    /// 422 Invalid.
    public var isInvalid: Bool { code == 422 }

    public var description: String {
        switch self {
        case .api(let code, let status, let request):
            "\(request): \(code) \(status.reason ?? "Failure"): \(status.message ?? "")"
        case .gone(let status, let request):
            "\(request): 410 \(status.reason ?? "Gone"): \(status.message ?? "")"
        case .transport(let request, let cause):
            if let dial = cause as? DialError {
                "\(request): \(dial)"
            } else {
                "\(request): transport error: \(cause)"
            }
        case .serialization(let request, let cause):
            "\(request): cannot encode the request or decode the response: \(cause)"
        case .configuration(let message):
            "invalid client configuration: \(message)"
        case .invalidRequest(let message):
            "invalid request: \(message)"
        }
    }

    /// Whether the request never reached the server because the connection was refused (ECONNREFUSED: nothing
    /// listens at its address), which client-go reports as `dial tcp HOST:PORT: connect: connection refused`.
    public var isConnectionRefused: Bool {
        guard case .transport(_, let cause) = self else { return false }
        return (cause as? DialError)?.isConnectionRefused == true
    }

    /// `cause` as Go's dialer words it (`DialError`) when the connection to `server` could not be made, else unchanged.
    static func naming(_ cause: any Error, server: URL) -> any Error {
        guard let host = server.host else { return cause }
        return DialError(cause, host: host, port: server.port ?? (server.scheme == "https" ? 443 : 80)) ?? cause
    }

    /// The error for a non-2xx response: a `Status` body is used as is, anything else becomes the message.
    static func fromResponse(code: Int, body: [UInt8], request: String) -> KubeClientError {
        var status = (try? KubeJSON.decode(Status.self, from: Data(body))) ?? Status()
        if status.code == nil { status.code = code }
        if status.message == nil {
            let text = String(decoding: body, as: UTF8.self)
            status.message = text.isEmpty ? "the server responded with HTTP \(code)" : text
        }
        if status.reason == nil { status.reason = defaultReason(code) }
        return code == 410 ? .gone(status: status, request: request) : .api(code: code, status: status, request: request)
    }

    /// Upstream's reason for a bare HTTP status (`apierrors.NewGenericServerResponse`).
    static func defaultReason(_ code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 410: "Gone"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 504: "Timeout"
        default: code >= 500 ? "InternalError" : "Unknown"
        }
    }
}
