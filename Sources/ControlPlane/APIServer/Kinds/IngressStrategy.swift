import Foundation
import KubeAPI

extension Ingress: StatusCarrying {}

/// networking.k8s.io/v1 Ingresses: a status subresource for the ingress controller (reset on create), and upstream's
/// validation (`ValidateIngressCreate`/`ValidateIngressUpdate`): rules or a default backend; hosts that are DNS names
/// or `*.` wildcards, not IPs; paths with a `pathType` of Exact, Prefix or ImplementationSpecific; backends naming a
/// Service and one port (by number or name) or a resource, not both; TLS secret and class names; on create, the
/// legacy class annotation must agree with `ingressClassName`, and one naming no class gets the default IngressClass
/// (the DefaultIngressClass admission plugin). Nothing routes traffic here: that is an ingress
/// controller's job, a separate component, as upstream.
struct IngressStrategy: ResourceStrategy {
    typealias Object = Ingress
    var tracksGeneration: Bool { true }
    static let pathTypes = ["Exact", "ImplementationSpecific", "Prefix"]

    func prepareForCreate(_ ingress: inout Ingress, context: AdmissionContext) async throws {
        ingress.status = IngressStatus()
        try await context.ingressClasses?.admit(&ingress)
    }

    func validate(_ ingress: Ingress, old: Ingress?) -> [StatusCause] {
        let spec = ingress.spec ?? IngressSpec()
        var causes: [StatusCause] = []
        let rules = spec.rules ?? []
        if rules.isEmpty, spec.defaultBackend == nil {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified", field: "spec"))
        }
        if let backend = spec.defaultBackend { causes += Self.validate(backend, field: "spec.defaultBackend") }
        for (i, rule) in rules.enumerated() {
            let field = "spec.rules[\(i)]"
            if let host = rule.host, !host.isEmpty {
                if NetworkingValidation.ipBytes(host) != nil {
                    causes.append(NetworkingValidation.invalid("\(field).host", host, "must be a DNS name, not an IP address"))
                }
                let errors = host.contains("*") ? NetworkingValidation.wildcardSubdomainErrors(host) : LabelValidation.dns1123SubdomainErrors(host)
                causes += errors.map { NetworkingValidation.invalid("\(field).host", host, $0) }
            }
            guard let http = rule.http else { continue }
            if http.paths.isEmpty { causes.append(NetworkingValidation.required("\(field).http.paths")) }
            for (j, path) in http.paths.enumerated() { causes += Self.validate(path, field: "\(field).http.paths[\(j)]") }
        }
        for (i, tls) in (spec.tls ?? []).enumerated() {
            for (j, host) in (tls.hosts ?? []).enumerated() {
                let errors = host.contains("*") ? NetworkingValidation.wildcardSubdomainErrors(host) : LabelValidation.dns1123SubdomainErrors(host)
                causes += errors.map { NetworkingValidation.invalid("spec.tls[\(i)].hosts[\(j)]", host, $0) }
            }
            if let secret = tls.secretName, !secret.isEmpty {
                causes += NameValidation.validate(name: secret, rule: .dns1123Subdomain, field: "spec.tls[\(i)].secretName")
            }
        }
        if let className = spec.ingressClassName {
            causes += NameValidation.validate(name: className, rule: .dns1123Subdomain, field: "spec.ingressClassName")
        }
        if old == nil, let annotation = ingress.metadata.annotations?[Ingress.classAnnotation], let className = spec.ingressClassName, annotation != className {
            causes.append(NetworkingValidation.invalid("annotations.\(Ingress.classAnnotation)", annotation, "must match `ingressClassName` when both are specified"))
        }
        return causes
    }

    /// `validateHTTPIngressPath`: the path type decides what the path may be.
    static func validate(_ path: HTTPIngressPath, field: String) -> [StatusCause] {
        guard let pathType = path.pathType else {
            return [NetworkingValidation.required("\(field).pathType", "pathType must be specified")]
        }
        var causes: [StatusCause] = []
        let text = path.path ?? ""
        switch pathType {
        case "Exact", "Prefix":
            if !text.hasPrefix("/") { causes.append(NetworkingValidation.invalid("\(field).path", text, "must be an absolute path")) }
            for sequence in ["//", "/./", "/../", "%2f", "%2F"] where text.contains(sequence) {
                causes.append(NetworkingValidation.invalid("\(field).path", text, "must not contain '\(sequence)'"))
            }
            for suffix in ["/..", "/."] where text.hasSuffix(suffix) {
                causes.append(NetworkingValidation.invalid("\(field).path", text, "cannot end with '\(suffix)'"))
            }
        case "ImplementationSpecific":
            if !text.isEmpty, !text.hasPrefix("/") { causes.append(NetworkingValidation.invalid("\(field).path", text, "must be an absolute path")) }
        default:
            causes.append(NetworkingValidation.notSupported("\(field).pathType", pathType, pathTypes))
        }
        return causes + validate(path.backend, field: "\(field).backend")
    }

    /// `validateIngressBackend`: a Service with a port number or name, or a resource, exactly one.
    static func validate(_ backend: IngressBackend, field: String) -> [StatusCause] {
        switch (backend.service, backend.resource) {
        case (.some, .some):
            return [NetworkingValidation.invalid(field, "", "cannot set both resource and service backends")]
        case (nil, .some(let resource)):
            return NetworkingValidation.validateReference(apiGroup: resource.apiGroup, kind: resource.kind ?? "", name: resource.name ?? "",
                                                          field: "\(field).resource")
        case (.some(let service), nil):
            var causes: [StatusCause] = []
            if service.name.isEmpty {
                causes.append(NetworkingValidation.required("\(field).service.name"))
            } else {
                causes += NameValidation.validate(name: service.name, rule: .dns1035Label, field: "\(field).service.name")
            }
            let portName = service.port?.name ?? "", portNumber = service.port?.number ?? 0
            switch (portName.isEmpty, portNumber == 0) {
            case (false, false):
                causes.append(NetworkingValidation.invalid(field, "", "cannot set both port name & port number"))
            case (false, true):
                causes += NetworkingValidation.portNameErrors(portName).map { NetworkingValidation.invalid("\(field).service.port.name", portName, $0) }
            case (true, false):
                causes += NetworkingValidation.portNumberErrors(Int64(portNumber)).map { NetworkingValidation.invalid("\(field).service.port.number", Int64(portNumber), $0) }
            case (true, true):
                causes.append(NetworkingValidation.required(field, "port name or number is required"))
            }
            return causes
        case (nil, nil):
            return [NetworkingValidation.invalid(field, "", "resource or service backend is required")]
        }
    }

    /// `ValidateIngressStatusUpdate`: load-balancer IPs must be IPs, hostnames DNS names (not IPs).
    func validateSubresourceUpdate(_ subresource: String, _ ingress: Ingress, old: Ingress) -> [StatusCause] {
        guard subresource == "status" else { return validate(ingress, old: old) }
        var causes: [StatusCause] = []
        let known = Set((old.status?.loadBalancer.ingress ?? []).compactMap(\.ip))
        for (i, point) in (ingress.status?.loadBalancer.ingress ?? []).enumerated() {
            let field = "status.loadBalancer.ingress[\(i)]"
            if let ip = point.ip, !ip.isEmpty, !known.contains(ip), NetworkingValidation.ipBytes(ip) == nil {
                causes.append(NetworkingValidation.invalid("\(field).ip", ip, NetworkingValidation.ipMessage))
            }
            if let hostname = point.hostname, !hostname.isEmpty {
                causes += LabelValidation.dns1123SubdomainErrors(hostname).map { NetworkingValidation.invalid("\(field).hostname", hostname, $0) }
                if NetworkingValidation.ipBytes(hostname) != nil {
                    causes.append(NetworkingValidation.invalid("\(field).hostname", hostname, "must be a DNS name, not an IP address"))
                }
            }
        }
        return causes
    }

    var table: TableConverter<Ingress> { Printers.ingress }
}

extension Printers {
    /// NAME, CLASS, HOSTS, ADDRESS, PORTS, AGE.
    static var ingress: TableConverter<Ingress> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Class", type: "string", description: "The name of the IngressClass resource that should be used for this Ingress"),
            .init(name: "Hosts", type: "string", description: "Hosts that incoming requests are matched against before the ingress rule"),
            .init(name: "Address", type: "string", description: "Address is a list containing ingress points for the load-balancer"),
            .init(name: "Ports", type: "string", description: "Ports of TLS configurations that open"),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { ingress, now in
            var className = ingress.spec?.ingressClassName ?? ""
            if className.isEmpty { className = ingress.metadata.annotations?[Ingress.classAnnotation] ?? "" }
            let addresses = Set((ingress.status?.loadBalancer.ingress ?? []).compactMap { point -> String? in
                if let ip = point.ip, !ip.isEmpty { return ip }
                if let hostname = point.hostname, !hostname.isEmpty { return hostname }
                return nil
            })
            return [.string(ingress.metadata.name ?? ""), .string(nonEmpty(className)), .string(ingressHosts(ingress.spec?.rules ?? [])),
                    .string(addresses.sorted().joined(separator: ",")), .string((ingress.spec?.tls ?? []).isEmpty ? "80" : "80, 443"),
                    ageCell(ingress.metadata.creationTimestamp, now: now)]
        }
    }

    /// Upstream's `formatHosts`: the first three hosts, then "+ N more...", or `*` when no rule names one.
    static func ingressHosts(_ rules: [IngressRule]) -> String {
        var hosts: [String] = []
        var more = false
        for rule in rules {
            if hosts.count == 3 { more = true }
            if !more, let host = rule.host, !host.isEmpty { hosts.append(host) }
        }
        if hosts.isEmpty { return "*" }
        return hosts.joined(separator: ",") + (more ? " + \(rules.count - 3) more..." : "")
    }
}
