import Foundation
import KubeAPI
import Logging
import Store

/// Authentication, authorization (`Node,RBAC` with the `system:masters` bypass, as kubeadm configures
/// kube-apiserver) and NodeRestriction admission, in the order upstream's handler chain applies them.
struct Security: Sendable {
    let authenticator: Authenticator
    let rbac: RBACAuthorizer
    let nodes: NodeAuthorizer
    let nodeRestriction: NodeRestriction
    let serviceAccounts: ServiceAccountTokens

    /// nil when allowed; otherwise the 403 Status in upstream's words, with the authorizers' reasons.
    func authorize(_ identity: Identity, _ attributes: RequestAttributes) async -> Status? {
        let (allowed, reason) = await decide(identity, attributes)
        return allowed ? nil : .forbidden(attributes, user: identity.name, reason: reason)
    }

    /// Whether the request is allowed, and why (or why not): what SubjectAccessReview answers as well.
    func decide(_ identity: Identity, _ attributes: RequestAttributes) async -> (Bool, String) {
        if identity.groups.contains("system:masters") { return (true, "") }
        var reasons: [String] = []
        switch await nodes.authorize(identity, attributes) {
        case .allow(let reason): return (true, reason)
        case .deny(let reason): reasons.append(reason)
        case .noOpinion: break
        }
        let (allowed, reason) = rbac.authorize(identity, attributes)
        if allowed { return (true, reason) }
        return (false, reasons.joined(separator: ", "))
    }
}
