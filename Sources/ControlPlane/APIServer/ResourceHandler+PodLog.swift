import AsyncHTTPClient
import Foundation
import KubeAPI
import NIOCore
import NIOHTTP1
import RemoteCommand
import Store

extension ResourceHandler {
    /// `pods/log`: finds the pod's node and proxies to that node's kubelet (`/containerLogs/…` on the node's
    /// InternalIP and `daemonEndpoints.kubeletEndpoint.Port`), as the upstream API server does; `follow=true`
    /// streams. The kubelet's own errors come back as Status objects with its message.
    func podLog(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let target = try await kubeletTarget(pod: name, namespace: path.namespace, container: request.query["container"])
        guard var components = URLComponents(string: "\(core.kubelet.scheme)://\(target.authority)") else {
            throw Status(message: "bad kubelet address \(target.authority)", reason: "InternalError", code: 500)
        }
        components.path = "/containerLogs/\(path.namespace ?? "default")/\(name)/\(target.container)"
        // Booleans are read as Go's ParseBool (the Python client sends `follow=True`) and passed on as `true`.
        // Form-encoded as Go encodes it, so a `sinceTime` offset's `+` stays a plus.
        var query = FormQuery()
        for key in ["follow", "previous", "timestamps"] where request.boolParameter(key) { query.append(key, "true") }
        for key in ["tailLines", "sinceSeconds", "sinceTime", "limitBytes"] {
            if let value = request.query[key] { query.append(key, value) }
        }
        if !query.items.isEmpty { components.percentEncodedQuery = query.encoded }
        guard let url = components.url?.absoluteString else {
            throw Status(message: "bad kubelet address \(target.authority)", reason: "InternalError", code: 500)
        }
        let response: HTTPClientResponse
        do {
            response = try await core.kubelet.http.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        } catch {
            throw Status(message: "Get \"\(url)\": \(error)", reason: "InternalError", code: 500)
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Status(message: String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines), reason: "BadRequest",
                         code: Int(response.status.code))
        }
        if request.boolParameter("follow") {
            return APIResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .stream(response.body.relayed()))
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        return .text(String(buffer: body), contentType: "text/plain")
    }
}
