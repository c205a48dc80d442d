import Foundation
import KubeAPI

/// The variables the kubelet gives every container for the Services it may reach: the API server's
/// `kubernetes` Service always, and with `enableServiceLinks` (the default) every Service of the pod's
/// namespace — `{NAME}_SERVICE_HOST`, `{NAME}_SERVICE_PORT`, `{NAME}_SERVICE_PORT_{PORTNAME}` and the
/// Docker-link style `{NAME}_PORT`, `{NAME}_PORT_{port}_{PROTO}[_PROTO|_PORT|_ADDR]`. Headless Services and
/// those without a ClusterIP give none.
enum ServiceEnvironment {
    static func variables(for services: [Service]) -> [String: String] {
        var variables: [String: String] = [:]
        for service in services {
            guard let ip = service.spec?.clusterIP, !ip.isEmpty, ip != "None", let ports = service.spec?.ports, let first = ports.first else {
                continue
            }
            let name = variableName(service.metadata.name ?? "")
            variables[name + "_SERVICE_HOST"] = ip
            variables[name + "_SERVICE_PORT"] = String(first.port)
            for port in ports {
                if let portName = port.name, !portName.isEmpty { variables[name + "_SERVICE_PORT_" + variableName(portName)] = String(port.port) }
            }
            let host = ip.contains(":") ? "[\(ip)]" : ip
            func url(_ port: ServicePort) -> String { "\((port.protocol ?? "TCP").lowercased())://\(host):\(port.port)" }
            variables[name + "_PORT"] = url(first)
            for port in ports {
                let proto = (port.protocol ?? "TCP").uppercased()
                let prefix = "\(name)_PORT_\(port.port)_\(proto)"
                variables[prefix] = url(port)
                variables[prefix + "_PROTO"] = proto.lowercased()
                variables[prefix + "_PORT"] = String(port.port)
                variables[prefix + "_ADDR"] = ip
            }
        }
        return variables
    }

    /// `my-svc` → `MY_SVC`.
    static func variableName(_ name: String) -> String {
        name.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
