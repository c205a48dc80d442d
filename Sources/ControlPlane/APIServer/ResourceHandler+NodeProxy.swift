import AsyncHTTPClient
import Foundation
import KubeAPI
import NIOCore
import NIOHTTP1

extension ResourceHandler {
    /// `nodes/{name}/proxy/{path}`: forwards the request (method, query, body, `Accept`/`Content-Type`) to the
    /// node's kubelet and streams its answer back unchanged, as upstream's node proxy does — `kubectl get --raw
    /// /api/v1/nodes/n1/proxy/metrics`, `…/proxy/stats/summary`, `…/proxy/pods`, `…/proxy/healthz`. The name may
    /// carry a port (`n1:10250`, `https:n1:10250`): the kubelet's own port (or none) goes over the kubelet
    /// connection (HTTPS with the server's kubelet client certificate), another port over plain HTTP (or the scheme
    /// given) without it. Authorized before it gets here as verb `get`/`create`/`update`/`patch`/`delete` on
    /// `nodes/proxy`. An upgrade (a connection's first request) never gets here: `APIServer.nodeProxyUpgrade` relays it.
    func nodeProxy(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let target = try await nodeProxyTarget(name: name, path: path.proxyPath)
        var url = target.url
        if !request.rawQuery.isEmpty { url += "?" + request.rawQuery }
        var forwarded = HTTPClientRequest(url: url)
        forwarded.method = HTTPMethod(rawValue: request.method)
        for header in ["accept", "content-type"] {
            if let value = request.header(header) { forwarded.headers.add(name: header, value: value) }
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            forwarded.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let response: HTTPClientResponse
        do {
            let client: HTTPClient = target.viaKubelet ? core.kubelet.http : .shared
            response = try await client.execute(forwarded, timeout: .seconds(30))
        } catch {
            // Upstream's words for a backend it cannot reach.
            throw Status(message: "error trying to reach service: \(error)", reason: "ServiceUnavailable", code: 503)
        }
        let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "proxy-connection", "te", "trailer"]
        let headers = response.headers.filter { !hopByHop.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
        let relay = Task {
            do {
                for try await chunk in response.body { continuation.yield(Data(chunk.readableBytesView)) }
            } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in relay.cancel() }
        return APIResponse(status: Int(response.status.code), headers: headers, body: .stream(stream))
    }
}

extension ResourceHandler {
    /// Where `nodes/{name}/proxy/{path}` goes (without the query): the node's preferred address (InternalIP, ExternalIP,
    /// Hostname) and the kubelet's port — or the port the name gives, over plain HTTP (or the scheme given) — and
    /// whether that is the kubelet's port (reached with the server's kubelet client certificate), with upstream's
    /// errors for a node that has no address or no kubelet endpoint.
    func nodeProxyTarget(name: String, path proxyPath: String?) async throws -> (url: String, viaKubelet: Bool) {
        let target = try NodeProxyName(name)
        let (object, _) = try await load(name: target.node, namespace: nil)
        guard let node = object as? Node else { throw Status.methodNotSupported(info, verb: "get") }
        let addresses = node.status?.addresses ?? []
        guard let address = ["InternalIP", "ExternalIP", "Hostname"].lazy
            .compactMap({ type in addresses.first(where: { $0.type == type })?.address }).first else {
            throw Status(message: "no preferred addresses found; known addresses: []", reason: "ServiceUnavailable", code: 503)
        }
        let kubeletPort = (node.status?.daemonEndpoints?.kubeletEndpoint?.port).map(Int.init)
        let viaKubelet = target.port == nil || target.port == kubeletPort
        guard let port = target.port ?? kubeletPort else {
            throw Status(message: "node \"\(target.node)\" has no kubelet endpoint", reason: "ServiceUnavailable", code: 503)
        }
        var components = URLComponents()
        components.scheme = viaKubelet ? core.kubelet.scheme : (target.scheme ?? "http")
        components.host = address
        components.port = port
        components.path = proxyPath ?? "/"
        guard let url = components.url?.absoluteString else {
            throw Status(message: "bad node address \(address):\(port)", reason: "InternalError", code: 500)
        }
        return (url, viaKubelet)
    }
}

/// The name part of `nodes/{name}/proxy`: `node`, `node:port` or `scheme:node:port` (upstream's
/// `SplitSchemeNamePort`), with its errors.
struct NodeProxyName: Equatable {
    var scheme: String?
    var node: String
    var port: Int?

    init(_ name: String) throws(Status) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func invalid() -> Status { Status(message: "invalid node request \"\(name)\"", reason: "BadRequest", code: 400) }
        switch parts.count {
        case 1: node = parts[0]
        case 2: (node, port) = (parts[0], Int(parts[1]))
            guard port != nil else { throw invalid() }
        case 3:
            guard ["http", "https"].contains(parts[0]), let number = Int(parts[2]) else { throw invalid() }
            (scheme, node, port) = (parts[0], parts[1], number)
        default: throw invalid()
        }
        guard !node.isEmpty, (port ?? 1) > 0, (port ?? 1) < 65536 else { throw invalid() }
    }
}
