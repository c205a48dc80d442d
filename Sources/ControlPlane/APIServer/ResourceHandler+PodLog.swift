import AsyncHTTPClient
import Foundation
import KubeAPI
import NIOCore
import NIOHTTP1
import Store

extension ResourceHandler {
    /// `pods/log`: finds the pod's node and proxies to that node's kubelet (`/containerLogs/…` on the node's
    /// InternalIP and `daemonEndpoints.kubeletEndpoint.Port`), as the upstream API server does; `follow=true`
    /// streams. The kubelet's own errors come back as Status objects with its message.
    func podLog(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let (object, _) = try await load(name: name, namespace: path.namespace)
        guard let pod = object as? Pod else { throw Status.methodNotSupported(info, verb: "get") }
        let containers = (pod.spec?.containers ?? []).map(\.name) + (pod.spec?.initContainers ?? []).map(\.name)
        let container: String
        if let requested = request.query["container"], !requested.isEmpty {
            guard containers.contains(requested) else {
                throw Status(message: "container \(requested) is not valid for pod \(name)", reason: "BadRequest", code: 400)
            }
            container = requested
        } else if let only = pod.spec?.containers.first, pod.spec?.containers.count == 1 {
            container = only.name
        } else {
            throw Status(message: "a container name must be specified for pod \(name), choose one of: [\((pod.spec?.containers ?? []).map(\.name).joined(separator: " "))]",
                         reason: "BadRequest", code: 400)
        }
        guard let nodeName = pod.spec?.nodeName, !nodeName.isEmpty,
              let nodeKV = try await core.store.get(key: StoredObject.key(Node.resource, namespace: nil, name: nodeName)),
              let node = try? KubeJSON.decode(Node.self, from: nodeKV.value),
              let address = node.status?.addresses?.first(where: { $0.type == "InternalIP" })?.address,
              let port = node.status?.daemonEndpoints?.kubeletEndpoint?.port else {
            throw Status(message: "container \"\(container)\" in pod \"\(name)\" is waiting to start: the pod has no running node",
                         reason: "BadRequest", code: 400)
        }
        var components = URLComponents()
        components.scheme = "http"
        components.host = address
        components.port = Int(port)
        components.path = "/containerLogs/\(path.namespace ?? "default")/\(name)/\(container)"
        components.queryItems = ["follow", "previous", "timestamps", "tailLines", "sinceSeconds", "limitBytes"].compactMap { key in
            request.query[key].map { URLQueryItem(name: key, value: $0) }
        }
        guard let url = components.url?.absoluteString else { throw Status(message: "bad kubelet address \(address)", reason: "InternalError", code: 500) }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        } catch {
            throw Status(message: "Get \"\(url)\": \(error)", reason: "InternalError", code: 500)
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Status(message: String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines), reason: "BadRequest",
                         code: Int(response.status.code))
        }
        if request.query["follow"] == "true" {
            let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
            let task = Task {
                do {
                    for try await chunk in response.body { continuation.yield(Data(chunk.readableBytesView)) }
                } catch {}
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
            return APIResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .stream(stream))
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        return .text(String(buffer: body), contentType: "text/plain")
    }
}
