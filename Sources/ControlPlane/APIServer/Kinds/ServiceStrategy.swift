import Foundation
import KubeAPI

/// Services: ClusterIP, NodePort and health check NodePort allocation (unique under concurrent creates), upstream's
/// defaults, allocated values kept across updates that do not name them, allocated or dropped when an update changes
/// what the Service needs (its type, `externalTrafficPolicy`, `allocateLoadBalancerNodePorts`), released once no
/// stored version holds them.
struct ServiceStrategy: ResourceStrategy {
    typealias Object = Service
    /// `services/{name}/proxy/{path}` to a ready endpoint (`ResourceHandler+Proxy`).
    var extraSubresources: [String] { ["proxy"] }

    func prepareForCreate(_ service: inout Service, context: AdmissionContext) async throws {
        var spec = service.spec ?? ServiceSpec()
        Self.applyDefaults(&spec)
        service.status = ServiceStatus(loadBalancer: LoadBalancerStatus())
        try await Self.allocate(&spec, holding: nil, name: service.metadata.name ?? "", context: context)
        service.spec = spec
    }

    /// Upstream's update of a Service: values the client left out are taken from the stored version
    /// (`patchAllocatedValues`), fields the new version has no use for are dropped when the client did not change
    /// them (`dropTypeDependentFields`), then what the new version needs and the old one did not hold is allocated
    /// (`allocate`): a ClusterIP when it leaves ExternalName, NodePorts when it becomes NodePort or LoadBalancer, a
    /// health check NodePort when it becomes a LoadBalancer with `externalTrafficPolicy: Local`. What the old version
    /// held and the stored one no longer does is released by `settleUpdate`.
    func prepareForUpdate(_ service: inout Service, old: Service, context: AdmissionContext) async throws {
        var spec = service.spec ?? ServiceSpec()
        Self.applyDefaults(&spec)
        let oldSpec = old.spec ?? ServiceSpec()
        Self.patchAllocatedValues(&spec, old: oldSpec)
        Self.dropTypeDependentFields(&spec, old: oldSpec)
        // The rest of upstream's dropTypeDependentFields: a Service that is no longer a LoadBalancer loses its load
        // balancer status.
        if spec.type != "LoadBalancer", service.status != nil { service.status?.loadBalancer = LoadBalancerStatus() }
        try await Self.allocate(&spec, holding: oldSpec, name: service.metadata.name ?? "", context: context)
        service.spec = spec
    }

    /// Releases what `discarded` holds from the allocators and `kept` does not. After a stored write `discarded` is
    /// the old version; after a failed, dry-run or no-op write it is the prepared new one, whose values that `kept`
    /// does not hold were all allocated by `prepareForUpdate` — except those validation refuses without their having
    /// been allocated, which are never released: a ClusterIP or health check NodePort changed while both versions
    /// need one (both immutable), NodePorts on a type that has none.
    func settleUpdate(kept: Service, discarded: Service, context: AdmissionContext) async {
        let keptSpec = kept.spec ?? ServiceSpec(), discardedSpec = discarded.spec ?? ServiceSpec()
        if Self.needsClusterIP(discardedSpec), !Self.needsClusterIP(keptSpec),
           let ip = discardedSpec.clusterIP, ip != "None", !ip.isEmpty {
            await context.serviceIPs.release(ip)
        }
        var released = Self.allocatedPorts(discardedSpec).subtracting(Self.allocatedPorts(keptSpec))
        if Self.needsHealthCheckNodePort(keptSpec), Self.needsHealthCheckNodePort(discardedSpec), let port = discardedSpec.healthCheckNodePort {
            released.remove(Int(port))
        }
        for port in released { await context.nodePorts.release(port) }
    }

    /// Whether a Service of this spec has a ClusterIP (upstream's `needsClusterIP`): all but ExternalName.
    static func needsClusterIP(_ spec: ServiceSpec) -> Bool { spec.type != "ExternalName" }

    /// Whether the type has NodePorts at all (the strategy's `needsNodePort`): NodePort and LoadBalancer.
    static func hasNodePorts(_ spec: ServiceSpec) -> Bool { spec.type == "NodePort" || spec.type == "LoadBalancer" }

    /// Whether every port gets a NodePort (the storage's `needsNodePort`): NodePort, and LoadBalancer unless
    /// `allocateLoadBalancerNodePorts` is false.
    static func needsNodePorts(_ spec: ServiceSpec) -> Bool {
        spec.type == "NodePort" || (spec.type == "LoadBalancer" && spec.allocateLoadBalancerNodePorts != false)
    }

    /// Whether the Service gets a health check NodePort (upstream's `NeedsHealthCheck`): a LoadBalancer with
    /// `externalTrafficPolicy: Local`.
    static func needsHealthCheckNodePort(_ spec: ServiceSpec) -> Bool {
        spec.type == "LoadBalancer" && spec.externalTrafficPolicy == "Local"
    }

    /// Whether the spec has a use for `externalTrafficPolicy` (upstream's `ExternallyAccessible`): NodePort,
    /// LoadBalancer, and a ClusterIP Service with external IPs.
    static func externallyAccessible(_ spec: ServiceSpec) -> Bool {
        spec.type == "NodePort" || spec.type == "LoadBalancer" || (spec.type == "ClusterIP" && !(spec.externalIPs ?? []).isEmpty)
    }

    /// The NodePorts a spec holds.
    static func nodePorts(_ spec: ServiceSpec?) -> [Int] {
        (spec?.ports ?? []).compactMap { $0.nodePort }.filter { $0 > 0 }.map(Int.init)
    }

    /// The ports a valid version of this spec holds from the NodePort allocator: its NodePorts while its type has
    /// them, its health check NodePort while it needs one.
    static func allocatedPorts(_ spec: ServiceSpec) -> Set<Int> {
        var ports = hasNodePorts(spec) ? Set(nodePorts(spec)) : []
        if needsHealthCheckNodePort(spec), let port = spec.healthCheckNodePort, port > 0 { ports.insert(Int(port)) }
        return ports
    }

    /// Upstream's `patchAllocatedValues`: an update that leaves out the ClusterIP, a port's NodePort (a PUT of the
    /// original manifest, `kubectl replace`) or the health check NodePort keeps the stored ones, NodePorts matched by
    /// port name.
    static func patchAllocatedValues(_ spec: inout ServiceSpec, old: ServiceSpec) {
        if needsClusterIP(old), needsClusterIP(spec) {
            if (spec.clusterIP ?? "").isEmpty { spec.clusterIP = old.clusterIP }
            if (spec.clusterIPs ?? []).isEmpty, !(old.clusterIPs ?? []).isEmpty { spec.clusterIPs = old.clusterIPs }
        }
        if needsNodePorts(old), needsNodePorts(spec), var ports = spec.ports {
            let byName = Dictionary((old.ports ?? []).map { ($0.name ?? "", $0.nodePort ?? 0) }, uniquingKeysWith: { _, last in last })
            let used = Set(nodePorts(spec))
            for i in ports.indices where (ports[i].nodePort ?? 0) == 0 {
                if let previous = byName[ports[i].name ?? ""], previous > 0, !used.contains(Int(previous)) { ports[i].nodePort = previous }
            }
            spec.ports = ports
        }
        if needsHealthCheckNodePort(old), needsHealthCheckNodePort(spec), (spec.healthCheckNodePort ?? 0) == 0 {
            spec.healthCheckNodePort = old.healthCheckNodePort
        }
    }

    /// Upstream's `dropTypeDependentFields`: a field the old version used and the new one has no use for is cleared
    /// when the client left it as it was (a NodePort Service patched to ClusterIP loses its NodePorts and traffic
    /// policy, one patched to ExternalName its ClusterIPs, a LoadBalancer patched to `externalTrafficPolicy: Cluster`
    /// its health check NodePort); a value the client changed is kept, for validation to judge.
    static func dropTypeDependentFields(_ spec: inout ServiceSpec, old oldSpec: ServiceSpec) {
        if needsClusterIP(oldSpec), !needsClusterIP(spec) {
            if spec.clusterIP == oldSpec.clusterIP, spec.clusterIPs ?? [] == oldSpec.clusterIPs ?? [] {
                spec.clusterIP = nil
                spec.clusterIPs = nil
            }
            if spec.ipFamilies == oldSpec.ipFamilies { spec.ipFamilies = nil }
            if spec.ipFamilyPolicy ?? "" == oldSpec.ipFamilyPolicy ?? "" { spec.ipFamilyPolicy = nil }
        }
        // Only when the client added no NodePort the old version did not have.
        if hasNodePorts(oldSpec), !hasNodePorts(spec), Set(nodePorts(spec)).isSubset(of: nodePorts(oldSpec)) {
            spec.ports = spec.ports?.map { port in
                var port = port
                port.nodePort = nil
                return port
            }
        }
        if needsHealthCheckNodePort(oldSpec), !needsHealthCheckNodePort(spec), spec.healthCheckNodePort == oldSpec.healthCheckNodePort {
            spec.healthCheckNodePort = nil
        }
        if oldSpec.type == "LoadBalancer", spec.type != "LoadBalancer" {
            if let allocate = spec.allocateLoadBalancerNodePorts, allocate == oldSpec.allocateLoadBalancerNodePorts {
                spec.allocateLoadBalancerNodePorts = nil
            }
            if spec.loadBalancerClass == oldSpec.loadBalancerClass { spec.loadBalancerClass = nil }
        }
        if externallyAccessible(oldSpec), !externallyAccessible(spec), spec.externalTrafficPolicy ?? "" == oldSpec.externalTrafficPolicy ?? "" {
            spec.externalTrafficPolicy = nil
        }
        // Upstream drops this on read (`defaultOnReadInternalTrafficPolicy`); it was never stored for ExternalName.
        if spec.type == "ExternalName", spec.type != oldSpec.type, spec.internalTrafficPolicy == oldSpec.internalTrafficPolicy {
            spec.internalTrafficPolicy = nil
        }
    }

    /// Allocates what `spec` needs and `held` (the stored version an update replaces; nil on create) does not hold:
    /// its ClusterIP (the requested one or the next free), each port's NodePort (requested or free), its health check
    /// NodePort (requested or free). Whatever this call allocated is released again when a later allocation fails;
    /// the error is upstream's: a 422 naming the field for a requested ClusterIP or NodePort, a 500 when no port is
    /// free or the requested health check NodePort cannot be had.
    static func allocate(_ spec: inout ServiceSpec, holding held: ServiceSpec?, name: String, context: AdmissionContext) async throws {
        var allocatedIP: String?
        var allocatedPorts: [Int] = []
        func rollBack() async {
            if let allocatedIP { await context.serviceIPs.release(allocatedIP) }
            for port in allocatedPorts { await context.nodePorts.release(port) }
        }
        if needsClusterIP(spec), !(held.map(needsClusterIP) ?? false) {
            if spec.clusterIP == "None" {
                spec.clusterIPs = ["None"]
            } else {
                do {
                    let ip = try await context.serviceIPs.allocate(spec.clusterIP.flatMap { $0.isEmpty ? nil : $0 })
                    allocatedIP = ip
                    spec.clusterIP = ip
                    spec.clusterIPs = [ip]
                } catch let error as ServiceIPAllocator.AllocationError {
                    throw Status.invalid(kind: "Service", group: "", name: name, causes: [
                        StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.clusterIP ?? "")\": \(error)", field: "spec.clusterIPs"),
                    ])
                }
            }
        }
        if hasNodePorts(spec), var ports = spec.ports {
            let owned = Set(nodePorts(held))
            for i in ports.indices {
                let requested = Int(ports[i].nodePort ?? 0)
                do {
                    if requested == 0 {
                        // A LoadBalancer with allocateLoadBalancerNodePorts false gets only the NodePorts it asks for.
                        guard needsNodePorts(spec) else { continue }
                        let port = try await context.nodePorts.allocate(nil)
                        allocatedPorts.append(port)
                        ports[i].nodePort = Int32(port)
                    } else if !owned.contains(requested), !allocatedPorts.contains(requested) {
                        allocatedPorts.append(try await context.nodePorts.allocate(requested))
                    }
                } catch let error as NodePortAllocator.AllocationError {
                    await rollBack()
                    if requested == 0 { throw Status.internalError("failed to allocate a nodePort: \(error)") }
                    throw Status.invalid(kind: "Service", group: "", name: name, causes: [
                        StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(requested): \(error)", field: "spec.ports[\(i)].nodePort"),
                    ])
                }
            }
            spec.ports = ports
        }
        // Upstream allocates one only when the Service comes to need it; while it needs one it is immutable.
        if needsHealthCheckNodePort(spec), !(held.map(needsHealthCheckNodePort) ?? false) {
            let requested = Int(spec.healthCheckNodePort ?? 0)
            do {
                let port = try await context.nodePorts.allocate(requested == 0 ? nil : requested)
                allocatedPorts.append(port)
                spec.healthCheckNodePort = Int32(port)
            } catch let error as NodePortAllocator.AllocationError {
                await rollBack()
                throw Status.internalError(requested == 0 ? "failed to allocate a HealthCheck NodePort 0: \(error)"
                                                          : "failed to allocate requested HealthCheck NodePort \(requested): \(error)")
            }
        }
    }

    func validate(_ service: Service, old: Service?) -> [StatusCause] {
        var causes: [StatusCause] = []
        let spec = service.spec ?? ServiceSpec()
        if let old, let oldSpec = old.spec, Self.needsClusterIP(oldSpec), Self.needsClusterIP(spec),
           let oldIP = oldSpec.clusterIP, !oldIP.isEmpty, spec.clusterIP != oldIP {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.clusterIP ?? "")\": field is immutable", field: "spec.clusterIPs[0]"))
        }
        if let oldSpec = old?.spec {
            causes += Self.validateLoadBalancerClassUpdate(spec, old: oldSpec)
        }
        if let oldSpec = old?.spec, Self.needsHealthCheckNodePort(oldSpec), Self.needsHealthCheckNodePort(spec),
           spec.healthCheckNodePort != oldSpec.healthCheckNodePort {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: field is immutable", field: "spec.healthCheckNodePort"))
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
            if spec.type == "ClusterIP", (port.nodePort ?? 0) != 0 {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be used when `type` is 'ClusterIP'", field: "spec.ports[\(i)].nodePort"))
            }
            if !(1...65535).contains(port.port) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(port.port): must be between 1 and 65535, inclusive", field: "spec.ports[\(i)].port"))
            }
        }
        return causes + Self.validateLoadBalancerFields(spec) + Self.validateExternalTrafficPolicy(spec) + Self.validateTrafficDistribution(spec)
    }

    /// Upstream's `validateServiceTrafficDistribution` (1.32): `PreferClose` is the one value.
    static func validateTrafficDistribution(_ spec: ServiceSpec) -> [StatusCause] {
        guard let value = spec.trafficDistribution, value != "PreferClose" else { return [] }
        return [NetworkingValidation.notSupported("spec.trafficDistribution", value, ["PreferClose"])]
    }

    /// The update half of upstream's `validateLoadBalancerClassField`: a Service that is a LoadBalancer before and
    /// after may not change its `loadBalancerClass` (nor gain or lose one), then the class checked as on create — so
    /// an update reports a bad or misplaced class twice, as upstream's `ValidateServiceUpdate` does (its message, like
    /// ours, names each problem once).
    static func validateLoadBalancerClassUpdate(_ spec: ServiceSpec, old oldSpec: ServiceSpec) -> [StatusCause] {
        var causes: [StatusCause] = []
        if oldSpec.type == "LoadBalancer", spec.type == "LoadBalancer", spec.loadBalancerClass != oldSpec.loadBalancerClass {
            // Upstream prints the *string it is given: a nil one as "null".
            causes.append(NetworkingValidation.invalid("spec.loadBalancerClass", spec.loadBalancerClass ?? "null", "may not change once set"))
        }
        return causes + validateLoadBalancerClass(spec)
    }

    /// What upstream's `ValidateService` checks of the fields only a LoadBalancer has: `allocateLoadBalancerNodePorts`
    /// and `loadBalancerClass` (the create half of `validateLoadBalancerClassField`). A LoadBalancer without
    /// `allocateLoadBalancerNodePorts` cannot reach validation: `applyDefaults` sets it on every write.
    static func validateLoadBalancerFields(_ spec: ServiceSpec) -> [StatusCause] {
        var causes: [StatusCause] = []
        if spec.allocateLoadBalancerNodePorts != nil, spec.type != "LoadBalancer" {
            causes.append(NetworkingValidation.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
        }
        return causes + validateLoadBalancerClass(spec)
    }

    /// A LoadBalancer's class must be a qualified name (`example.com/lb`); other types may not have one.
    static func validateLoadBalancerClass(_ spec: ServiceSpec) -> [StatusCause] {
        guard let loadBalancerClass = spec.loadBalancerClass else { return [] }
        guard spec.type == "LoadBalancer" else {
            return [NetworkingValidation.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'")]
        }
        return LabelValidation.qualifiedNameErrors(loadBalancerClass).map { NetworkingValidation.invalid("spec.loadBalancerClass", loadBalancerClass, $0) }
    }

    /// Upstream's `validateServiceExternalTrafficPolicy`: `externalTrafficPolicy` only on (and required for) an
    /// externally accessible Service, `healthCheckNodePort` only on (and required for) one that needs a health check.
    static func validateExternalTrafficPolicy(_ spec: ServiceSpec) -> [StatusCause] {
        var causes: [StatusCause] = []
        let policy = spec.externalTrafficPolicy ?? ""
        if !externallyAccessible(spec) {
            if !policy.isEmpty {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(GoQuoted.string(policy)): may only be set for externally-accessible services",
                                          field: "spec.externalTrafficPolicy"))
            }
        } else if policy.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.externalTrafficPolicy"))
        } else if !["Cluster", "Local"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \(GoQuoted.string(policy)): supported values: \"Cluster\", \"Local\"",
                                      field: "spec.externalTrafficPolicy"))
        }
        let healthCheckNodePort = spec.healthCheckNodePort ?? 0
        if !needsHealthCheckNodePort(spec) {
            if healthCheckNodePort != 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid",
                                          message: "Invalid value: \(healthCheckNodePort): may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
                                          field: "spec.healthCheckNodePort"))
            }
        } else if healthCheckNodePort == 0 {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.healthCheckNodePort"))
        } else if !(1...65535).contains(healthCheckNodePort) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(healthCheckNodePort): must be between 1 and 65535, inclusive",
                                      field: "spec.healthCheckNodePort"))
        }
        return causes
    }

    /// Releases what a deleted Service held, and what a create that failed after `prepareForCreate` allocated: only
    /// values of the kinds the Service has (a refused ClusterIP Service naming another Service's NodePort was never
    /// given it).
    func afterDelete(_ service: Service, context: AdmissionContext) async {
        guard let spec = service.spec else { return }
        if Self.needsClusterIP(spec), let ip = spec.clusterIP, ip != "None", !ip.isEmpty { await context.serviceIPs.release(ip) }
        for port in Self.allocatedPorts(spec) { await context.nodePorts.release(port) }
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
        if externallyAccessible(spec), (spec.externalTrafficPolicy ?? "").isEmpty { spec.externalTrafficPolicy = "Cluster" }
        if spec.type == "LoadBalancer", spec.allocateLoadBalancerNodePorts == nil { spec.allocateLoadBalancerNodePorts = true }
        spec.ports = spec.ports?.map { port in
            var p = port
            if p.protocol == nil { p.protocol = "TCP" }
            if p.targetPort == nil { p.targetPort = .int(p.port) }
            return p
        }
    }
}
