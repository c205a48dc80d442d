import Foundation

/// networking.k8s.io/v1 `Ingress`: HTTP(S) routing rules — hosts and paths to Service backends, TLS secrets — for an
/// ingress controller to implement. The API server only stores and validates them (as upstream's does: the
/// controllers that route traffic are separate components), and `status` is written by such a controller.
public struct Ingress: KubeObject {
    public static let resource = ResourceInfo(group: "networking.k8s.io", version: "v1", plural: "ingresses", singular: "ingress",
                                              kind: "Ingress", namespaced: true, shortNames: ["ing"])

    /// The legacy annotation naming the class, still honoured by controllers and printed in the CLASS column.
    public static let classAnnotation = "kubernetes.io/ingress.class"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: IngressSpec?
    public var status: IngressStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: IngressSpec? = nil, status: IngressStatus? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(IngressSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(IngressStatus.self, forKey: .status)
    }
}

/// networking.k8s.io/v1 `IngressSpec`: the class, a default backend, TLS and host rules (rules or a default backend
/// are required).
public struct IngressSpec: Codable, Sendable, Hashable {
    public var ingressClassName: String?
    public var defaultBackend: IngressBackend?
    public var tls: [IngressTLS]?
    public var rules: [IngressRule]?

    public init(ingressClassName: String? = nil, defaultBackend: IngressBackend? = nil, tls: [IngressTLS]? = nil, rules: [IngressRule]? = nil) {
        self.ingressClassName = ingressClassName
        self.defaultBackend = defaultBackend
        self.tls = tls
        self.rules = rules
    }
}

/// networking.k8s.io/v1 `IngressBackend`: a Service (name and port) or another resource, exactly one of them.
public struct IngressBackend: Codable, Sendable, Hashable {
    public var service: IngressServiceBackend?
    public var resource: TypedLocalObjectReference?

    public init(service: IngressServiceBackend? = nil, resource: TypedLocalObjectReference? = nil) {
        self.service = service
        self.resource = resource
    }
}

/// networking.k8s.io/v1 `IngressServiceBackend`: a Service of the Ingress's namespace and one of its ports.
public struct IngressServiceBackend: Codable, Sendable, Hashable {
    /// Required upstream (`json:"name"`), so it is always encoded.
    public var name: String
    public var port: ServiceBackendPort?

    public init(name: String = "", port: ServiceBackendPort? = nil) {
        self.name = name
        self.port = port
    }

    enum CodingKeys: String, CodingKey { case name, port }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        port = try c.decodeIfPresent(ServiceBackendPort.self, forKey: .port)
    }
}

/// networking.k8s.io/v1 `ServiceBackendPort`: a Service port by name or by number, not both.
public struct ServiceBackendPort: Codable, Sendable, Hashable {
    public var name: String?
    public var number: Int32?

    public init(name: String? = nil, number: Int32? = nil) {
        self.name = name
        self.number = number
    }
}

/// networking.k8s.io/v1 `IngressTLS`: hosts served with the certificate in `secretName`.
public struct IngressTLS: Codable, Sendable, Hashable {
    public var hosts: [String]?
    public var secretName: String?

    public init(hosts: [String]? = nil, secretName: String? = nil) {
        self.hosts = hosts
        self.secretName = secretName
    }
}

/// networking.k8s.io/v1 `IngressRule`: requests for `host` (every host when empty) routed by their path. Upstream
/// embeds `IngressRuleValue` inline, so `http` sits in the rule itself.
public struct IngressRule: Codable, Sendable, Hashable {
    public var host: String?
    public var http: HTTPIngressRuleValue?

    public init(host: String? = nil, http: HTTPIngressRuleValue? = nil) {
        self.host = host
        self.http = http
    }
}

/// networking.k8s.io/v1 `HTTPIngressRuleValue`: the paths of a rule, at least one.
public struct HTTPIngressRuleValue: Codable, Sendable, Hashable {
    /// Required upstream (`json:"paths"`), so it is always encoded.
    public var paths: [HTTPIngressPath]

    public init(paths: [HTTPIngressPath] = []) { self.paths = paths }

    enum CodingKeys: String, CodingKey { case paths }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        paths = try c.decodeIfPresent([HTTPIngressPath].self, forKey: .paths) ?? []
    }
}

/// networking.k8s.io/v1 `HTTPIngressPath`: a path, how it matches (`Exact`, `Prefix` or `ImplementationSpecific`;
/// required) and its backend.
public struct HTTPIngressPath: Codable, Sendable, Hashable {
    public var path: String?
    public var pathType: String?
    /// Required upstream (`json:"backend"`), so it is always encoded.
    public var backend: IngressBackend

    public init(path: String? = nil, pathType: String? = nil, backend: IngressBackend = IngressBackend()) {
        self.path = path
        self.pathType = pathType
        self.backend = backend
    }

    enum CodingKeys: String, CodingKey { case path, pathType, backend }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        pathType = try c.decodeIfPresent(String.self, forKey: .pathType)
        backend = try c.decodeIfPresent(IngressBackend.self, forKey: .backend) ?? IngressBackend()
    }
}

/// networking.k8s.io/v1 `IngressStatus`: where the ingress controller's load balancer answers.
public struct IngressStatus: Codable, Sendable, Hashable {
    /// Always present upstream (a struct, not a pointer), so it is always encoded.
    public var loadBalancer: IngressLoadBalancerStatus

    public init(loadBalancer: IngressLoadBalancerStatus = IngressLoadBalancerStatus()) { self.loadBalancer = loadBalancer }

    enum CodingKeys: String, CodingKey { case loadBalancer }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loadBalancer = try c.decodeIfPresent(IngressLoadBalancerStatus.self, forKey: .loadBalancer) ?? IngressLoadBalancerStatus()
    }
}

/// networking.k8s.io/v1 `IngressLoadBalancerStatus`: the load balancer's ingress points.
public struct IngressLoadBalancerStatus: Codable, Sendable, Hashable {
    public var ingress: [IngressLoadBalancerIngress]?

    public init(ingress: [IngressLoadBalancerIngress]? = nil) { self.ingress = ingress }
}

/// networking.k8s.io/v1 `IngressLoadBalancerIngress`: one ingress point, by IP or hostname, with its ports.
public struct IngressLoadBalancerIngress: Codable, Sendable, Hashable {
    public var ip: String?
    public var hostname: String?
    public var ports: [IngressPortStatus]?

    public init(ip: String? = nil, hostname: String? = nil, ports: [IngressPortStatus]? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.ports = ports
    }
}

/// networking.k8s.io/v1 `IngressPortStatus`: a load-balancer port and the error, if any, of exposing it.
public struct IngressPortStatus: Codable, Sendable, Hashable {
    /// Required upstream, so it is always encoded.
    public var port: Int32
    /// Required upstream, so it is always encoded.
    public var `protocol`: String
    public var error: String?

    public init(port: Int32 = 0, protocol: String = "", error: String? = nil) {
        self.port = port
        self.protocol = `protocol`
        self.error = error
    }

    enum CodingKeys: String, CodingKey { case port, `protocol`, error }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        port = try c.decodeIfPresent(Int32.self, forKey: .port) ?? 0
        `protocol` = try c.decodeIfPresent(String.self, forKey: .protocol) ?? ""
        error = try c.decodeIfPresent(String.self, forKey: .error)
    }
}
