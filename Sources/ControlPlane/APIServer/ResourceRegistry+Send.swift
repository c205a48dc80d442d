import Foundation
import KubeAPI
import Store

extension ResourceRegistry {
    /// One request from the server itself to a kind's handler, as a client's would go (defaulting, validation,
    /// allocation, managedFields under `manager`): how the server keeps the objects it owns (the `kubernetes`
    /// Service's endpoints, `kube-dns`). A 404 on DELETE counts as done; other failures throw with the Status message.
    func send<K: KubeObject>(_ type: K.Type, method: String, namespace: String?, name: String? = nil, body: K? = nil,
                             manager: String) async throws {
        guard let handler = handler(group: K.resource.group, version: K.resource.version, plural: K.resource.plural) else {
            throw StoreError.backend("no handler for \(K.resource.plural)")
        }
        let request = APIRequest(method: method, path: "", query: ["fieldManager": manager], headers: [:],
                                 body: try body.map { try KubeJSON.encode($0) } ?? Data())
        let path = ResourcePath(group: K.resource.group, version: K.resource.version, namespace: namespace,
                                plural: K.resource.plural, name: name, subresource: nil)
        let response = await handler.handle(request, path: path)
        guard response.status >= 300, !(method == "DELETE" && response.status == 404) else { return }
        var message = "HTTP \(response.status)"
        if case .data(let data) = response.body, let status = try? KubeJSON.decode(Status.self, from: data), let text = status.message {
            message = text
        }
        throw StoreError.backend("\(method) \(K.resource.kind) \(name ?? body?.metadata.name ?? ""): \(message)")
    }
}
