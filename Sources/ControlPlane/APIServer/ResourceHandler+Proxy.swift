import AsyncHTTPClient
import Foundation
import GoNet
import KubeAPI
import NIOCore
import NIOHTTP1
import Store

extension HTTPClientResponse.Body {
    /// The body as a stream an `APIResponse` relays chunk by chunk; reading stops once the client has gone.
    func relayed() -> AsyncStream<Data> {
        let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
        let relay = Task {
            do {
                for try await chunk in self { continuation.yield(Data(chunk.readableBytesView)) }
            } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in relay.cancel() }
        return stream
    }
}

/// Where a `proxy` subresource request goes: the URL (path included, query not) and whether it is a kubelet's
/// own port, reached with the server's kubelet client certificate.
struct ProxyTarget: Sendable {
    var url: String
    var viaKubelet = false
}

extension ResourceHandler {
    /// `{nodes,pods,services}/{name}/proxy/{path}`: forwards the request (method, query, body,
    /// `Accept`/`Content-Type`) to where the object's `proxy` subresource points and streams the answer back
    /// unchanged, as upstream's proxy subresources do — a node's kubelet (`kubectl get --raw
    /// /api/v1/nodes/n1/proxy/metrics`), a pod's port, a ready endpoint of a service's port
    /// (`…/services/web:http/proxy/`). Authorized before it gets here as verb `get`/`create`/`update`/`patch`/`delete`
    /// on `<plural>/proxy`. A node proxy's upgrade (a connection's first request) never gets here:
    /// `APIServer.nodeProxyUpgrade` relays it.
    func proxy(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let target: ProxyTarget = switch info.plural {
        case "nodes": try await nodeProxyTarget(name: name, path: path.proxyPath)
        case "pods": try await podProxyTarget(name: name, namespace: path.namespace, path: path.proxyPath)
        case "services": try await serviceProxyTarget(name: name, namespace: path.namespace, path: path.proxyPath)
        default: throw Status.pathNotFound()
        }
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
            throw Status(message: "error trying to reach service: \(Self.dialFailure(error, url: target.url))", reason: "ServiceUnavailable",
                         code: 503)
        }
        let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "proxy-connection", "te", "trailer"]
        let headers = response.headers.filter { !hopByHop.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        return APIResponse(status: Int(response.status.code), headers: headers, body: .stream(response.body.relayed()))
    }

    /// A failed forward in the words of Go's dialer, as upstream's proxy reports it (`dial tcp 10.88.0.3:80: connect:
    /// connection refused`, `… i/o timeout`) when the backend could not be reached or did not answer in time; other
    /// failures as they come.
    static func dialFailure(_ error: any Error, url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "\(error)" }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        if let dial = DialError(error, host: host, port: port) { return "\(dial)" }
        if let failure = error as? HTTPClientError, failure == .deadlineExceeded {
            return "\(DialError(host: host, port: port, reason: .timeout))"
        }
        return "\(error)"
    }

    /// Where `pods/{[scheme:]name[:port]}/proxy/{path}` goes, as upstream's pod `ResourceLocation`: the pod's IP and
    /// the port given, else the first port its containers declare (else none); a pod without a routable IP is
    /// refused ("address not allowed").
    func podProxyTarget(name: String, namespace: String?, path proxyPath: String?) async throws -> ProxyTarget {
        let target = try ProxyName(name, kind: "pod")
        let (object, _) = try await load(name: target.name, namespace: namespace)
        guard let pod = object as? Pod else { throw Status.pathNotFound() }
        let port = target.port ?? (pod.spec?.containers ?? []).lazy.compactMap { $0.ports?.first?.containerPort }.first.map { String($0) }
        guard let ip = pod.status?.podIP, Self.isGlobalUnicast(ip) else { throw Status.badRequest("address not allowed") }
        return try ProxyTarget(url: Self.url(scheme: target.scheme, host: ip, port: port, path: proxyPath, kind: "pod", id: name))
    }

    /// Where `services/{[scheme:]name[:port]}/proxy/{path}` goes, as upstream's service `ResourceLocation`: the
    /// service port by number or name (none: the unnamed one), then a ready address of the service's Endpoints that
    /// serves it, picked at random; upstream's 503s when there is no such port or no endpoint.
    func serviceProxyTarget(name: String, namespace: String?, path proxyPath: String?) async throws -> ProxyTarget {
        let target = try ProxyName(name, kind: "service")
        let (object, _) = try await load(name: target.name, namespace: namespace)
        guard let service = object as? Service else { throw Status.pathNotFound() }
        var portName = target.port ?? ""
        if let number = Int32(portName) {
            guard let port = service.spec?.ports?.first(where: { $0.port == number }) else {
                throw Status(message: "no service port \(number) found for service \"\(target.name)\"", reason: "ServiceUnavailable", code: 503)
            }
            portName = port.name ?? ""
        }
        let key = StoredObject.key(Endpoints.resource, namespace: namespace, name: target.name)
        let endpoints = try await core.store.get(key: key).flatMap { try? KubeJSON.decode(Endpoints.self, from: $0.value) }
        let candidates = (endpoints?.subsets ?? []).flatMap { subset -> [(ip: String, port: Int32)] in
            guard let port = subset.ports?.first(where: { ($0.name ?? "") == portName }) else { return [] }
            return (subset.addresses ?? []).map { ($0.ip, port.port) }
        }
        guard let chosen = candidates.randomElement() else {
            throw Status(message: "no endpoints available for service \"\(target.name)\"", reason: "ServiceUnavailable", code: 503)
        }
        return try ProxyTarget(url: Self.url(scheme: target.scheme, host: chosen.ip, port: String(chosen.port), path: proxyPath,
                                             kind: "service", id: name))
    }

    /// Whether `address` is an IP a proxy may dial (upstream's `IsGlobalUnicast` check): not loopback, link-local,
    /// multicast, broadcast or unspecified.
    static func isGlobalUnicast(_ address: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let b = withUnsafeBytes(of: &v4) { Array($0) }
            return !(b[0] == 0 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254))
        }
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let b = withUnsafeBytes(of: &v6) { Array($0) }
            let unspecifiedOrLoopback = b.dropLast().allSatisfy { $0 == 0 } && b[15] <= 1
            return !(unspecifiedOrLoopback || b[0] == 0xff || (b[0] == 0xfe && b[1] & 0xc0 == 0x80))
        }
        return false
    }

    /// `scheme://host[:port]/path` for a proxied request (http unless the name said https), IPv6 hosts bracketed.
    static func url(scheme: String?, host: String, port: String?, path: String?, kind: String, id: String) throws -> String {
        var components = URLComponents()
        components.scheme = scheme ?? "http"
        components.host = host.contains(":") ? "[\(host)]" : host
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else { throw Status.badRequest("invalid \(kind) request \"\(id)\"") }
            components.port = number
        }
        components.path = path ?? "/"
        guard let url = components.url?.absoluteString else { throw Status.badRequest("invalid \(kind) request \"\(id)\"") }
        return url
    }
}

extension ResourceHandler {
    /// Where `nodes/{name}/proxy/{path}` goes (without the query): the node's preferred address (InternalIP, ExternalIP,
    /// Hostname) and the kubelet's port — or the port the name gives, over plain HTTP (or the scheme given) — and
    /// whether that is the kubelet's port (reached with the server's kubelet client certificate), with upstream's
    /// errors for a node that has no address or no kubelet endpoint.
    func nodeProxyTarget(name: String, path proxyPath: String?) async throws -> ProxyTarget {
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
        return ProxyTarget(url: url, viaKubelet: viaKubelet)
    }
}

/// The name part of a `proxy` subresource: `name`, `name:port` or `scheme:name:port` with scheme `http` or
/// `https` (upstream's `SplitSchemeNamePort`); a malformed one is upstream's 400 ("invalid pod request …").
struct ProxyName: Equatable {
    var scheme: String?
    var name: String
    var port: String?

    init(_ id: String, kind: String) throws(Status) {
        let parts = id.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: name = parts[0]
        case 2: (name, port) = (parts[0], parts[1])
        case 3: (scheme, name, port) = (parts[0], parts[1], parts[2])
        default: throw Status(message: "invalid \(kind) request \"\(id)\"", reason: "BadRequest", code: 400)
        }
        if port?.isEmpty == true { port = nil }
        if scheme?.isEmpty == true { scheme = nil }
        guard !name.isEmpty, scheme.map({ ["http", "https"].contains($0) }) ?? true else {
            throw Status(message: "invalid \(kind) request \"\(id)\"", reason: "BadRequest", code: 400)
        }
    }
}

/// The name part of `nodes/{name}/proxy`: a `ProxyName` whose port, if any, is a number.
struct NodeProxyName: Equatable {
    var scheme: String?
    var node: String
    var port: Int?

    init(_ name: String) throws(Status) {
        let parsed = try ProxyName(name, kind: "node")
        scheme = parsed.scheme
        node = parsed.name
        if let text = parsed.port {
            guard let number = Int(text), number > 0, number < 65536 else {
                throw Status(message: "invalid node request \"\(name)\"", reason: "BadRequest", code: 400)
            }
            port = number
        }
    }
}
