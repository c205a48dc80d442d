/// The labels a kubelet may put on its own Node (upstream's k8s.io/kubelet `well_known_labels`): what the agent's
/// `--node-labels` accepts in the `kubernetes.io` and `k8s.io` namespaces, and what NodeRestriction lets a node set.
public enum KubeletLabels {
    /// Upstream's `KubeletLabels()`, sorted.
    public static let allowed = [
        "beta.kubernetes.io/arch", "beta.kubernetes.io/instance-type", "beta.kubernetes.io/os",
        "failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
        "kubernetes.io/arch", "kubernetes.io/hostname", "kubernetes.io/os", "node.kubernetes.io/instance-type",
        "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
    ]
    /// Upstream's `KubeletLabelNamespaces()`: any label in these (or their subdomains) is a kubelet's.
    public static let allowedNamespaces = ["kubelet.kubernetes.io", "node.kubernetes.io"]

    /// Whether a kubelet may set `key` on its own Node (upstream's `IsKubeletLabel`).
    public static func isKubeletLabel(_ key: String) -> Bool {
        if allowed.contains(key) { return true }
        let namespace = self.namespace(of: key)
        return allowedNamespaces.contains { namespace == $0 || namespace.hasSuffix("." + $0) }
    }

    /// Whether `key` is in the `kubernetes.io` or `k8s.io` namespaces (or their subdomains).
    public static func isKubernetesLabel(_ key: String) -> Bool {
        let namespace = self.namespace(of: key)
        return ["kubernetes.io", "k8s.io"].contains { namespace == $0 || namespace.hasSuffix("." + $0) }
    }

    /// The labels of `modified` a node may not set on itself (NodeRestriction's `getForbiddenLabels`), sorted:
    /// those in the `node-restriction.kubernetes.io` namespace and Kubernetes labels that are not a kubelet's.
    public static func forbiddenForNodes(_ modified: Set<String>) -> [String] {
        modified.filter { key in
            let namespace = self.namespace(of: key)
            let restricted = namespace == "node-restriction.kubernetes.io" || namespace.hasSuffix(".node-restriction.kubernetes.io")
            return restricted || (isKubernetesLabel(key) && !isKubeletLabel(key))
        }.sorted()
    }

    /// The keys added, removed or changed between two label sets (upstream's `getModifiedLabels`).
    public static func modified(_ new: [String: String]?, _ old: [String: String]?) -> Set<String> {
        let (new, old) = (new ?? [:], old ?? [:])
        return Set(new.keys.filter { old[$0] != new[$0] }).union(old.keys.filter { new[$0] == nil })
    }

    static func namespace(of key: String) -> String {
        guard let slash = key.firstIndex(of: "/") else { return "" }
        return String(key[..<slash])
    }
}
