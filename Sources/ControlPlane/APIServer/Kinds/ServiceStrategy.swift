import Foundation
import KubeAPI

/// Services: ClusterIP and NodePort allocation (unique under concurrent creates), upstream's defaults,
/// IPs kept across updates, released on delete.
struct ServiceStrategy: ResourceStrategy {
    typealias Object = Service

    func prepareForCreate(_ service: inout Service, context: AdmissionContext) async throws {
        var spec = service.spec ?? ServiceSpec()
        Self.applyDefaults(&spec)
        service.status = ServiceStatus(loadBalancer: LoadBalancerStatus())
        let name = service.metadata.name ?? ""
        var allocatedIP: String?
        do {
            if spec.type != "ExternalName", spec.clusterIP != "None" {
                let ip = try await context.serviceIPs.allocate(spec.clusterIP.flatMap { $0.isEmpty ? nil : $0 })
                allocatedIP = ip
                spec.clusterIP = ip
                spec.clusterIPs = [ip]
            } else if spec.clusterIP == "None" {
                spec.clusterIPs = ["None"]
            }
            if spec.type == "NodePort" || spec.type == "LoadBalancer" {
                var ports = spec.ports ?? []
                for i in ports.indices {
                    let requested = ports[i].nodePort.flatMap { $0 == 0 ? nil : Int($0) }
                    ports[i].nodePort = Int32(try await context.nodePorts.allocate(requested))
                }
                spec.ports = ports
            }
        } catch let error as ServiceIPAllocator.AllocationError {
            if let allocatedIP { await context.serviceIPs.release(allocatedIP) }
            throw Status.invalid(kind: "Service", group: "", name: name, causes: [
                StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.clusterIP ?? "")\": \(error)", field: "spec.clusterIPs"),
            ])
        } catch let error as NodePortAllocator.AllocationError {
            if let allocatedIP { await context.serviceIPs.release(allocatedIP) }
            throw Status.invalid(kind: "Service", group: "", name: name, causes: [
                StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(error)", field: "spec.ports[0].nodePort"),
            ])
        }
        service.spec = spec
    }

    func prepareForUpdate(_ service: inout Service, old: Service, context: AdmissionContext) async throws {
        var spec = service.spec ?? ServiceSpec()
        Self.applyDefaults(&spec)
        if (spec.clusterIP ?? "").isEmpty { spec.clusterIP = old.spec?.clusterIP }
        if spec.clusterIPs == nil { spec.clusterIPs = old.spec?.clusterIPs }
        // NodePorts survive an update that does not name them (kubectl apply of the original manifest).
        if var ports = spec.ports {
            for i in ports.indices where (ports[i].nodePort ?? 0) == 0 {
                ports[i].nodePort = old.spec?.ports?.first(where: { $0.port == ports[i].port && $0.protocol == ports[i].protocol })?.nodePort
            }
            spec.ports = ports
        }
        service.spec = spec
    }


    func validate(_ service: Service, old: Service?) -> [StatusCause] {
        var causes: [StatusCause] = []
        let spec = service.spec ?? ServiceSpec()
        if let old, let oldIP = old.spec?.clusterIP, !oldIP.isEmpty, spec.clusterIP != oldIP {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.clusterIP ?? "")\": field is immutable", field: "spec.clusterIPs[0]"))
        }
        if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(spec.type ?? "") {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(spec.type ?? "")\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", field: "spec.type"))
        }
        let ports = spec.ports ?? []
        if ports.isEmpty, spec.type != "ExternalName", spec.clusterIP != "None" {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.ports"))
        }
        var names = Set<String>()
        for (i, port) in ports.enumerated() {
            if ports.count > 1, (port.name ?? "").isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.ports[\(i)].name"))
            } else if let name = port.name, !name.isEmpty, !names.insert(name).inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(name)\"", field: "spec.ports[\(i)].name"))
            }
            if !(1...65535).contains(port.port) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(port.port): must be between 1 and 65535, inclusive", field: "spec.ports[\(i)].port"))
            }
        }
        return causes
    }

    func afterDelete(_ service: Service, context: AdmissionContext) async {
        if let ip = service.spec?.clusterIP, ip != "None", !ip.isEmpty { await context.serviceIPs.release(ip) }
        for port in service.spec?.ports ?? [] {
            if let nodePort = port.nodePort, nodePort > 0 { await context.nodePorts.release(Int(nodePort)) }
        }
    }

    var table: TableConverter<Service> { Printers.service }

    static func applyDefaults(_ spec: inout ServiceSpec) {
        if spec.type == nil { spec.type = "ClusterIP" }
        if spec.sessionAffinity == nil { spec.sessionAffinity = "None" }
        if spec.sessionAffinity == "ClientIP", spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == nil {
            spec.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: 10800))
        }
        if spec.type != "ExternalName" {
            if spec.ipFamilies == nil { spec.ipFamilies = ["IPv4"] }
            if spec.ipFamilyPolicy == nil { spec.ipFamilyPolicy = "SingleStack" }
            if spec.internalTrafficPolicy == nil { spec.internalTrafficPolicy = "Cluster" }
        }
        if spec.type == "NodePort" || spec.type == "LoadBalancer", spec.externalTrafficPolicy == nil {
            spec.externalTrafficPolicy = "Cluster"
        }
        if spec.type == "LoadBalancer", spec.allocateLoadBalancerNodePorts == nil { spec.allocateLoadBalancerNodePorts = true }
        spec.ports = spec.ports?.map { port in
            var p = port
            if p.protocol == nil { p.protocol = "TCP" }
            if p.targetPort == nil { p.targetPort = .int(p.port) }
            return p
        }
    }
}
