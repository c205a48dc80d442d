import Foundation
import KubeAPI

/// A container's environment as the kubelet builds it: `envFrom` (ConfigMaps/Secrets, with prefix) then
/// `env` in order — values, `$(VAR)` references to earlier variables or Service variables, fieldRef
/// (metadata, spec.nodeName, status.podIP, status.hostIP …), resourceFieldRef, configMapKeyRef and
/// secretKeyRef — and last the Service variables (``ServiceEnvironment``) the container did not set itself.
struct EnvironmentResolver {
    let pod: Pod
    let podIP: String
    let hostIP: String
    let objects: PodObjects
    /// What ``ServiceEnvironment`` gives for the Services the pod sees.
    var serviceVariables: [String: String] = [:]
    /// The node's cpu and memory, what an unset resource limit reads as.
    var nodeCapacity: [String: Quantity] = [:]

    func resolve(_ container: Container) async throws -> [(String, String)] {
        var environment = OrderedEnvironment()
        let namespace = pod.metadata.namespace ?? "default"
        for source in container.envFrom ?? [] {
            let prefix = source.prefix ?? ""
            if let reference = source.configMapRef, let name = reference.name {
                guard let data = try await objects.configMap(name, for: pod) else {
                    if reference.optional == true { continue }
                    throw ContainerConfigError(message: "configmap \"\(name)\" not found")
                }
                for (key, value) in data.sorted(by: { $0.key < $1.key }) { environment.set(prefix + key, String(decoding: value, as: UTF8.self)) }
            }
            if let reference = source.secretRef, let name = reference.name {
                guard let data = try await objects.secret(name, for: pod) else {
                    if reference.optional == true { continue }
                    throw ContainerConfigError(message: "secret \"\(name)\" not found")
                }
                for (key, value) in data.sorted(by: { $0.key < $1.key }) { environment.set(prefix + key, String(decoding: value, as: UTF8.self)) }
            }
        }
        for variable in container.env ?? [] {
            if let source = variable.valueFrom {
                if let value = try await value(of: source, container: container, namespace: namespace) { environment.set(variable.name, value) }
            } else {
                environment.set(variable.name, Self.expand(variable.value ?? "",
                                                           with: environment.values.merging(serviceVariables) { defined, _ in defined }))
            }
        }
        for (name, value) in serviceVariables.sorted(by: { $0.key < $1.key }) where environment.values[name] == nil {
            environment.set(name, value)
        }
        return environment.pairs
    }

    /// Variables in first-definition order; a later definition replaces the value in place.
    private struct OrderedEnvironment {
        var order: [String] = []
        var values: [String: String] = [:]

        mutating func set(_ name: String, _ value: String) {
            if values[name] == nil { order.append(name) }
            values[name] = value
        }

        var pairs: [(String, String)] { order.map { ($0, values[$0] ?? "") } }
    }

    private func value(of source: EnvVarSource, container: Container, namespace: String) async throws -> String? {
        let downward = DownwardAPI(pod: pod, podIP: podIP, hostIP: hostIP, nodeCapacity: nodeCapacity)
        if let field = source.fieldRef {
            return try downward.field(field.fieldPath)
        }
        if let resource = source.resourceFieldRef {
            return try downward.resource(resource, of: container)
        }
        if let reference = source.configMapKeyRef, let name = reference.name {
            guard let data = try await objects.configMap(name, for: pod), let value = data[reference.key] else {
                if reference.optional == true { return nil }
                throw ContainerConfigError(message: "couldn't find key \(reference.key) in ConfigMap \(namespace)/\(name)")
            }
            return String(decoding: value, as: UTF8.self)
        }
        if let reference = source.secretKeyRef, let name = reference.name {
            guard let data = try await objects.secret(name, for: pod), let value = data[reference.key] else {
                if reference.optional == true { return nil }
                throw ContainerConfigError(message: "couldn't find key \(reference.key) in Secret \(namespace)/\(name)")
            }
            return String(decoding: value, as: UTF8.self)
        }
        return nil
    }

    /// `$(VAR)` → its value when defined; `$$(VAR)` → the literal `$(VAR)`; anything else stays as written.
    static func expand(_ text: String, with values: [String: String]) -> String {
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "$", next < text.endIndex {
                if text[next] == "$" {
                    result.append("$")
                    index = text.index(after: next)
                    continue
                }
                if text[next] == "(", let close = text[next...].firstIndex(of: ")") {
                    let name = String(text[text.index(after: next)..<close])
                    if let value = values[name] {
                        result += value
                    } else {
                        result += text[index...close]
                    }
                    index = text.index(after: close)
                    continue
                }
            }
            result.append(character)
            index = next
        }
        return result
    }
}
