import Foundation
import KubeAPI

/// The kubelet's registration flags `--node-labels` and `--register-with-taints`, read and checked as upstream's
/// kubelet reads them, with its error messages.
public enum NodeRegistrationFlags {
    /// A flag value the kubelet refuses to start with.
    public typealias Invalid = KubeletFlagError

    /// `--node-labels key=value,…`, read as upstream's `mapStringString` flag reads it.
    public static func nodeLabels(_ text: String) throws(Invalid) -> [String: String] {
        Dictionary(try KubeletFlagSyntax.pairs(text, separator: "="), uniquingKeysWith: { _, last in last })
    }

    /// Upstream's `ValidateKubeletFlags` of the node labels: in the `kubernetes.io`/`k8s.io` namespaces only those a
    /// kubelet may set; each key a qualified name, each value a label value.
    public static func validate(nodeLabels labels: [String: String]) throws(Invalid) {
        let unknown = labels.keys.filter { KubeletLabels.isKubernetesLabel($0) && !KubeletLabels.isKubeletLabel($0) }.sorted()
        if !unknown.isEmpty {
            throw Invalid(description: """
                unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [\(unknown.joined(separator: " "))]
                --node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (\(KubeletLabels.allowedNamespaces.joined(separator: ", "))) or be in the specifically allowed set (\(KubeletLabels.allowed.joined(separator: ", ")))
                """)
        }
        var problems: [String] = []
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            let keyErrors = LabelValidation.qualifiedNameErrors(key)
            if !keyErrors.isEmpty { problems.append("'\(key)' - \(keyErrors.joined(separator: ", "))") }
            let valueErrors = LabelValidation.labelValueErrors(value)
            if !valueErrors.isEmpty { problems.append("'\(value)' - \(valueErrors.joined(separator: ", "))") }
        }
        if !problems.isEmpty { throw Invalid(description: "invalid node labels: " + problems.joined(separator: "; ")) }
    }

    /// `--register-with-taints key=value:Effect,key:Effect,…` (upstream's `taintsVar` and `parseTaint`).
    public static func taints(_ text: String) throws(Invalid) -> [Taint] {
        guard !text.isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { spec throws(Invalid) -> Taint in try taint(String(spec)) }
    }

    static func taint(_ spec: String) throws(Invalid) -> Taint {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var key = "", value: String?, effect = ""
        switch parts.count {
        case 1:
            key = parts[0]
        case 2:
            effect = parts[1]
            guard ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) else {
                throw Invalid(description: "invalid taint effect: \(effect), unsupported taint effect")
            }
            let keyValue = parts[0].split(separator: "=", omittingEmptySubsequences: false).map(String.init)
            guard keyValue.count <= 2 else { throw Invalid(description: "invalid taint spec: \(spec)") }
            key = keyValue[0]
            if keyValue.count == 2 {
                value = keyValue[1]
                let errors = LabelValidation.labelValueErrors(keyValue[1])
                if !errors.isEmpty { throw Invalid(description: "invalid taint spec: \(spec), \(errors.joined(separator: "; "))") }
            }
        default:
            throw Invalid(description: "invalid taint spec: \(spec)")
        }
        let errors = LabelValidation.qualifiedNameErrors(key)
        if !errors.isEmpty { throw Invalid(description: "invalid taint spec: \(spec), \(errors.joined(separator: "; "))") }
        return Taint(key: key, value: value, effect: effect)
    }
}
