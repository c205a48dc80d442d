import Foundation

/// certificates.k8s.io/v1 `CertificateSigningRequest`: a PEM PKCS#10 request (`spec.request`, base64 in JSON) for
/// a signer (`spec.signerName`). The server stamps who asked (`username`, `uid`, `groups`, `extra`); an approver
/// adds an `Approved` or `Denied` condition through the `approval` subresource; the signer writes
/// `status.certificate` (or a `Failed` condition) through `status`. Nodes bootstrap their client certificates so.
public struct CertificateSigningRequest: KubeObject {
    public static let resource = ResourceInfo(group: "certificates.k8s.io", version: "v1", plural: "certificatesigningrequests",
                                              singular: "certificatesigningrequest", kind: "CertificateSigningRequest",
                                              namespaced: false, shortNames: ["csr"])

    /// Upstream's well-known signers.
    public static let kubeAPIServerClientSigner = "kubernetes.io/kube-apiserver-client"
    public static let kubeAPIServerClientKubeletSigner = "kubernetes.io/kube-apiserver-client-kubelet"
    public static let kubeletServingSigner = "kubernetes.io/kubelet-serving"
    public static let legacyUnknownSigner = "kubernetes.io/legacy-unknown"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CertificateSigningRequestSpec
    public var status: CertificateSigningRequestStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: CertificateSigningRequestSpec = CertificateSigningRequestSpec(),
                status: CertificateSigningRequestStatus? = nil) {
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
        spec = try c.decodeIfPresent(CertificateSigningRequestSpec.self, forKey: .spec) ?? CertificateSigningRequestSpec()
        status = try c.decodeIfPresent(CertificateSigningRequestStatus.self, forKey: .status)
    }

    /// The condition of `type` (`Approved`, `Denied`, `Failed`), if any.
    public func condition(_ type: String) -> CertificateSigningRequestCondition? {
        status?.conditions?.first { $0.type == type }
    }

    public var isApproved: Bool { condition("Approved") != nil && condition("Denied") == nil }
    public var isDenied: Bool { condition("Denied") != nil }
    public var isFailed: Bool { condition("Failed") != nil }
}

/// The request proper; `request` and `signerName` are required, the requester fields are set by the server.
public struct CertificateSigningRequestSpec: Codable, Sendable, Equatable {
    /// The DER-or-PEM PKCS#10 request (PEM `CERTIFICATE REQUEST` in practice), base64 in JSON.
    public var request: Data
    public var signerName: String
    public var expirationSeconds: Int32?
    /// `client auth`, `digital signature`, `key encipherment`, `server auth`, …
    public var usages: [String]?
    public var username: String?
    public var uid: String?
    public var groups: [String]?
    public var extra: [String: [String]]?

    public init(request: Data = Data(), signerName: String = "", expirationSeconds: Int32? = nil, usages: [String]? = nil,
                username: String? = nil, uid: String? = nil, groups: [String]? = nil, extra: [String: [String]]? = nil) {
        self.request = request
        self.signerName = signerName
        self.expirationSeconds = expirationSeconds
        self.usages = usages
        self.username = username
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey { case request, signerName, expirationSeconds, usages, username, uid, groups, extra }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        request = try c.decodeIfPresent(Data.self, forKey: .request) ?? Data()
        signerName = try c.decodeIfPresent(String.self, forKey: .signerName) ?? ""
        expirationSeconds = try c.decodeIfPresent(Int32.self, forKey: .expirationSeconds)
        usages = try c.decodeIfPresent([String].self, forKey: .usages)
        username = try c.decodeIfPresent(String.self, forKey: .username)
        uid = try c.decodeIfPresent(String.self, forKey: .uid)
        groups = try c.decodeIfPresent([String].self, forKey: .groups)
        extra = try c.decodeIfPresent([String: [String]].self, forKey: .extra)
    }
}

/// Approval conditions and the issued certificate (PEM, base64 in JSON).
public struct CertificateSigningRequestStatus: Codable, Sendable, Equatable {
    public var conditions: [CertificateSigningRequestCondition]?
    public var certificate: Data?

    public init(conditions: [CertificateSigningRequestCondition]? = nil, certificate: Data? = nil) {
        self.conditions = conditions
        self.certificate = certificate
    }
}

/// `Approved`, `Denied` or `Failed`, with a reason and message.
public struct CertificateSigningRequestCondition: Codable, Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastUpdateTime: Time?
    public var lastTransitionTime: Time?

    public init(type: String, status: String = "True", reason: String? = nil, message: String? = nil,
                lastUpdateTime: Time? = nil, lastTransitionTime: Time? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastUpdateTime = lastUpdateTime
        self.lastTransitionTime = lastTransitionTime
    }
}

extension CertificateSigningRequest: FieldSelectable {
    /// Upstream selects on `spec.signerName` besides `metadata.name`.
    public static let selectableFields: Set<String> = ["metadata.name", "spec.signerName"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? "", "spec.signerName": spec.signerName] }
}
