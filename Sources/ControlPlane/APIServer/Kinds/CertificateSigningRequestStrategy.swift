import ClusterPKI
import Foundation
import KubeAPI
import Store

extension CertificateSigningRequest: StatusCarrying {}

/// certificates.k8s.io/v1 CertificateSigningRequests as upstream's registry treats them: the requester
/// (`username`, `uid`, `groups`, `extra`) is stamped by the server on create and never taken from the client;
/// the spec is immutable; `status` (the signer's certificate, `Failed`) and `approval` (the `Approved` / `Denied`
/// conditions, gated by `approve` on the signer) are separate subresources.
struct CertificateSigningRequestStrategy: ResourceStrategy {
    typealias Object = CertificateSigningRequest

    var extraSubresources: [String] { ["approval"] }

    /// Upstream's `allValidUsages`.
    static let usages: Set<String> = [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    ]

    func stampRequester(_ csr: inout CertificateSigningRequest, user: Identity?) {
        csr.spec.username = user?.name
        csr.spec.uid = user.flatMap { $0.uid.isEmpty ? nil : $0.uid }
        csr.spec.groups = user.flatMap { $0.groups.isEmpty ? nil : $0.groups }
        csr.spec.extra = user.flatMap { $0.extra.isEmpty ? nil : $0.extra }
    }

    func prepareForUpdate(_ csr: inout CertificateSigningRequest, old: CertificateSigningRequest, context: AdmissionContext) async throws {
        csr.spec = old.spec
    }

    func mergeStatus(_ csr: CertificateSigningRequest, into old: CertificateSigningRequest) -> CertificateSigningRequest {
        var merged = old
        merged.status = csr.status
        // Approval conditions change only through `approval`.
        let approval: Set<String> = ["Approved", "Denied"]
        let kept = (old.status?.conditions ?? []).filter { approval.contains($0.type) }
        let rest = (csr.status?.conditions ?? []).filter { !approval.contains($0.type) }
        merged.status?.conditions = Self.stamped(kept + rest, old: old)
        if merged.status?.conditions?.isEmpty == true { merged.status?.conditions = nil }
        return merged
    }

    /// An `approval` write: the new conditions, everything else as stored.
    func mergeApproval(_ csr: CertificateSigningRequest, into old: CertificateSigningRequest) -> CertificateSigningRequest {
        var merged = old
        var status = old.status ?? CertificateSigningRequestStatus()
        status.conditions = Self.stamped(csr.status?.conditions ?? [], old: old)
        if status.conditions?.isEmpty == true { status.conditions = nil }
        merged.status = status
        return merged
    }

    /// Fills `lastUpdateTime` and `lastTransitionTime` as upstream's `populateConditionTimestamps` does.
    static func stamped(_ conditions: [CertificateSigningRequestCondition], old: CertificateSigningRequest) -> [CertificateSigningRequestCondition] {
        let now = Time.now()
        return conditions.map { condition in
            var c = condition
            if c.status.isEmpty { c.status = "True" }
            if c.lastUpdateTime == nil { c.lastUpdateTime = now }
            if c.lastTransitionTime == nil {
                let previous = old.condition(c.type)
                c.lastTransitionTime = previous?.status == c.status ? (previous?.lastTransitionTime ?? now) : now
            }
            return c
        }
    }

    func validate(_ csr: CertificateSigningRequest, old: CertificateSigningRequest?) -> [StatusCause] {
        var causes: [StatusCause] = []
        if old == nil {
            if let pem = String(data: csr.spec.request, encoding: .utf8), (try? SigningRequest(pem: pem)) != nil {
            } else {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST",
                                          field: "spec.request"))
            }
            let signer = csr.spec.signerName
            if signer.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.signerName"))
            } else if let problem = Self.signerNameProblem(signer) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(signer)\": \(problem)", field: "spec.signerName"))
            }
            let usages = csr.spec.usages ?? []
            if usages.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: usages must be provided", field: "spec.usages"))
            }
            var seen = Set<String>()
            for (index, usage) in usages.enumerated() {
                if !Self.usages.contains(usage) {
                    causes.append(StatusCause(reason: "FieldValueNotSupported",
                                              message: "Unsupported value: \"\(usage)\": supported values: \(Self.usages.sorted().map { "\"\($0)\"" }.joined(separator: ", "))",
                                              field: "spec.usages[\(index)]"))
                } else if !seen.insert(usage).inserted {
                    causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(usage)\"", field: "spec.usages[\(index)]"))
                }
            }
            if let seconds = csr.spec.expirationSeconds, seconds < 600 {
                causes.append(StatusCause(reason: "FieldValueInvalid",
                                          message: "Invalid value: \(seconds): may not specify a duration less than 600 seconds (10 minutes)",
                                          field: "spec.expirationSeconds"))
            }
        }
        var types = Set<String>()
        for (index, condition) in (csr.status?.conditions ?? []).enumerated() {
            let field = "status.conditions[\(index)]"
            if condition.type.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(field).type"))
            }
            if ["Approved", "Denied", "Failed"].contains(condition.type), !types.insert(condition.type).inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(condition.type)\"", field: "\(field).type"))
            }
            if ["Approved", "Denied"].contains(condition.type), condition.status != "True" {
                causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(condition.status)\": supported values: \"True\"",
                                          field: "\(field).status"))
            } else if !["True", "False", "Unknown"].contains(condition.status) {
                causes.append(StatusCause(reason: "FieldValueNotSupported",
                                          message: "Unsupported value: \"\(condition.status)\": supported values: \"False\", \"True\", \"Unknown\"",
                                          field: "\(field).status"))
            }
        }
        if types.contains("Approved"), types.contains("Denied") {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"Approved\": Approved and Denied conditions are mutually exclusive",
                                      field: "status.conditions"))
        }
        if let oldCertificate = old?.status?.certificate, !oldCertificate.isEmpty, csr.status?.certificate != oldCertificate {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: updates may not modify existing certificate content",
                                      field: "status.certificate"))
        }
        if let certificate = csr.status?.certificate, !certificate.isEmpty, old?.status?.certificate != certificate {
            if !csr.isApproved {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: certificate may only be set if the CertificateSigningRequest has an Approved condition",
                                          field: "status.certificate"))
            }
            if csr.isFailed {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: certificate may not be set if the CertificateSigningRequest has a Failed condition",
                                          field: "status.certificate"))
            }
        }
        return causes
    }

    /// Upstream's `ValidateSignerName`: `<fully-qualified domain>/<path>`.
    static func signerNameProblem(_ name: String) -> String? {
        let parts = name.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "must be a fully qualified domain and path of the form 'example.com/signer-name'" }
        let domain = String(parts[0]), path = String(parts[1])
        if path.isEmpty { return "validating path: must be a non-empty string" }
        if !domain.contains(".") || !NameValidation.isDNS1123Subdomain(domain) {
            return "should be a domain with at least two segments separated by dots"
        }
        return nil
    }

    /// Upstream's CertificateSigning admission: a status write that sets or changes the certificate needs `sign`
    /// on the request's signer.
    func authorizeSubresourceWrite(_ csr: CertificateSigningRequest, requested: CertificateSigningRequest, old: CertificateSigningRequest, subresource: String,
                                   user: Identity, security: Security) async throws {
        guard subresource == "status", csr.status?.certificate != old.status?.certificate else { return }
        let signer = csr.spec.signerName
        if !(await Self.mayUse(signer: signer, verb: "sign", user: user, security: security)) {
            throw Status.forbidden(CertificateSigningRequest.resource, name: csr.metadata.name ?? "",
                                   "user not permitted to sign requests with signerName \"\(signer)\"")
        }
    }

    /// Whether `user` may `verb` (`approve`, `sign`) the signer, by its name or its `<domain>/*`, as upstream's
    /// certificates admission plugins ask.
    static func mayUse(signer: String, verb: String, user: Identity, security: Security) async -> Bool {
        if await security.decide(user, RequestAttributes(verb: verb, apiGroup: "certificates.k8s.io", resource: "signers", name: signer)).0 {
            return true
        }
        let domain = signer.split(separator: "/").first.map { "\($0)/*" } ?? signer
        return await security.decide(user, RequestAttributes(verb: verb, apiGroup: "certificates.k8s.io", resource: "signers", name: domain)).0
    }

    var table: TableConverter<CertificateSigningRequest> { Printers.certificateSigningRequest }
}

extension Printers {
    /// NAME, AGE, SIGNERNAME, REQUESTOR, REQUESTEDDURATION, CONDITION (upstream's printCertificateSigningRequest).
    static var certificateSigningRequest: TableConverter<CertificateSigningRequest> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Age", type: "date", description: ageDescription),
            .init(name: "SignerName", type: "string", description: "Name of the signer that is requested to sign the certificate."),
            .init(name: "Requestor", type: "string", description: "Name of the user who created the request."),
            .init(name: "RequestedDuration", type: "string", description: "The requested validity duration of the issued certificate."),
            .init(name: "Condition", type: "string", description: "The request's approval, denial, failure and issuance."),
        ]) { csr, now in
            [.string(csr.metadata.name ?? ""), ageCell(csr.metadata.creationTimestamp, now: now), .string(csr.spec.signerName),
             .string(csr.spec.username ?? ""), .string(csr.spec.expirationSeconds.map { humanDuration(Double($0)) } ?? "<none>"),
             .string(conditionSummary(csr))]
        }
    }

    /// `Pending`, or the true conditions among Approved/Denied/Failed, then `Issued` once a certificate is set.
    static func conditionSummary(_ csr: CertificateSigningRequest) -> String {
        var parts: [String] = []
        for type in ["Approved", "Denied", "Failed"] {
            if let condition = csr.condition(type), condition.status != "False" { parts.append(type) }
        }
        if let certificate = csr.status?.certificate, !certificate.isEmpty { parts.append("Issued") }
        return parts.isEmpty ? "Pending" : parts.joined(separator: ",")
    }
}

extension ResourceHandler {
    /// `certificatesigningrequests/approval` (PUT, as `kubectl certificate approve|deny` sends it): only the
    /// conditions change, and only for a user who may `approve` the request's signer (upstream's
    /// CertificateApproval admission: `signers` named after the signer, or its `<domain>/*`).
    func approval(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        if request.method == "GET" { return try await get(request, name: name, path: path) }
        guard request.method == "PUT", let strategy = strategy as? CertificateSigningRequestStrategy else {
            throw Status.methodNotSupported(info, verb: request.method.lowercased())
        }
        let (object, _) = try decodeBody(request)
        let (old, kv) = try await load(name: name, namespace: nil)
        if let rv = object.metadata.resourceVersion, !rv.isEmpty, rv != String(kv.modRevision) {
            throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
        }
        guard let csr = object as? CertificateSigningRequest, let stored = old as? CertificateSigningRequest else {
            throw Status.methodNotSupported(info, verb: "update")
        }
        if let security = core.security, let user = request.user {
            let signer = stored.spec.signerName
            if !(await CertificateSigningRequestStrategy.mayUse(signer: signer, verb: "approve", user: user, security: security)) {
                throw Status.forbidden(info, name: name, "user not permitted to approve requests with signerName \"\(signer)\"")
            }
        }
        let merged = strategy.mergeApproval(csr, into: stored)
        return try await store(merged as! Object, replacing: old, kv: kv, path: path, request: request, subresource: "approval",
                               manager: ManagedFieldsUpdate(manager: request.fieldManager, subresource: "approval"))
    }
}
