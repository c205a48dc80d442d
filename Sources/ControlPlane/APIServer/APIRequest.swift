import Foundation
import KubeAPI

/// An HTTP request as the API handlers see it: method, decoded path segments, query, the headers that matter,
/// and the body. Independent of the HTTP server library so handlers can be exercised directly.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    /// The query string as sent (without `?`), for requests forwarded as they came (`nodes/{name}/proxy`).
    var rawQuery = ""
    var headers: [String: String]
    var body: Data
    /// The verified TLS client certificate (DER), if the client presented one.
    var clientCertificate: [UInt8]? = nil
    /// Who the request acts as, once authenticated (nil on a plain-HTTP server, where nothing is checked).
    var user: Identity? = nil
    /// The `Impersonate-*` headers by lower-case name, every value of a repeated header (`Impersonate-Group`).
    var impersonation: [String: [String]] = [:]

    /// A header by lower-case name.
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var contentType: String {
        (header("content-type") ?? "application/json").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// `true` if the client accepts a `Table` rendering (kubectl get).
    var wantsTable: Bool {
        guard let accept = header("accept") else { return false }
        return accept.split(separator: ",").contains { part in
            let params = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            return params.contains("as=Table") && params.contains("g=meta.k8s.io")
        }
    }

    /// `true` if the client wants aggregated discovery (`as=APIGroupDiscoveryList`).
    var wantsAggregatedDiscovery: Bool {
        header("accept")?.contains("as=APIGroupDiscoveryList") ?? false
    }

    /// Whether the watch is asked for (`watch=1|true`).
    var isWatch: Bool { boolParameter("watch") }

    /// A boolean query parameter, parsed as Go's strconv.ParseBool does (`1`, `t`, `true`, `True`, `TRUE`, …).
    func boolParameter(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    /// Whether this is a dry run (`dryRun=All`).
    var isDryRun: Bool { query["dryRun"] == "All" }

    /// The field manager: the `fieldManager` parameter or the user agent's program name, as upstream derives it.
    var fieldManager: String {
        if let manager = query["fieldManager"], !manager.isEmpty { return manager }
        let agent = header("user-agent") ?? "unknown"
        return String(agent.split(separator: "/").first ?? "unknown")
    }

    /// The `fieldValidation` directive: `Strict`, `Warn` (the default) or `Ignore`.
    var fieldValidation: String { query["fieldValidation"] ?? "Warn" }
}

/// A response: a status code, headers and either a whole body or a stream of chunks (watch).
struct APIResponse: Sendable {
    enum Body: Sendable {
        case data(Data)
        case stream(AsyncStream<Data>)
    }

    var status: Int
    var headers: [(String, String)]
    var body: Body

    init(status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body.
    static func json(_ value: JSONValue, status: Int = 200) -> APIResponse {
        APIResponse(status: status, body: .data(value.serialized()))
    }

    /// Raw JSON bytes.
    static func json(_ data: Data, status: Int = 200) -> APIResponse {
        APIResponse(status: status, body: .data(data))
    }

    /// An encodable value as JSON.
    static func encoded<T: Encodable>(_ value: T, status: Int = 200) -> APIResponse {
        APIResponse(status: status, body: .data((try? KubeJSON.encode(value)) ?? Data("{}".utf8)))
    }

    /// A `Status` error body with its code.
    static func status(_ status: Status) -> APIResponse {
        encoded(status, status: status.code ?? 500)
    }

    /// Plain text (health checks, metrics).
    static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", contentType)], body: .data(Data(text.utf8)))
    }

    /// Adds a `Warning` header as upstream formats it (`299 - "message"`).
    mutating func addWarning(_ message: String) {
        headers.append(("Warning", "299 - \"\(message.replacingOccurrences(of: "\"", with: "\\\""))\""))
    }
}
