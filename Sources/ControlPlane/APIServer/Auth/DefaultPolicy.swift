import KubeAPI

/// The fixed rules the Node authorizer grants every kubelet (upstream's `NodeRules`, for the kinds served here),
/// plus list/watch of EndpointSlices and Nodes because `swiftlet agent` runs the service proxy with the node's
/// credentials (upstream runs kube-proxy as `system:kube-proxy`).
enum NodeRules {
    static let rules: [PolicyRule] = [
        PolicyRule(verbs: ["create", "get", "list", "watch", "update", "patch", "delete"], apiGroups: [""], resources: ["nodes"]),
        PolicyRule(verbs: ["patch", "update"], apiGroups: [""], resources: ["nodes/status"]),
        PolicyRule(verbs: ["create", "update", "patch"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
        PolicyRule(verbs: ["get", "list", "watch", "create", "delete"], apiGroups: [""], resources: ["pods"]),
        PolicyRule(verbs: ["update", "patch"], apiGroups: [""], resources: ["pods/status"]),
        PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["pods/eviction"]),
        PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["services", "endpoints"]),
        PolicyRule(verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
        PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
        PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews", "localsubjectaccessreviews"]),
        PolicyRule(verbs: ["create", "get", "list", "watch"], apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"]),
        // The kubelet's RuntimeClassManager resolves a pod's runtimeClassName to the CRI handler.
        PolicyRule(verbs: ["get", "list", "watch"], apiGroups: ["node.k8s.io"], resources: ["runtimeclasses"]),
    ]
}

/// The ClusterRoles and ClusterRoleBindings every cluster starts with (upstream's bootstrap policy, for the kinds
/// served here), reconciled at start-up: missing ones are created, and rules or subjects removed from a default
/// are put back unless its `rbac.authorization.kubernetes.io/autoupdate` annotation is `false`.
enum DefaultPolicy {
    static let read = ["get", "list", "watch"]
    static let write = ["create", "delete", "deletecollection", "patch", "update"]
    static let rbacGroup = "rbac.authorization.k8s.io"

    static func role(_ name: String, _ rules: [PolicyRule], labels: [String: String] = [:], aggregate: [String]? = nil) -> ClusterRole {
        var all = labels
        all["kubernetes.io/bootstrapping"] = "rbac-defaults"
        return ClusterRole(metadata: ObjectMeta(name: name, labels: all, annotations: ["rbac.authorization.kubernetes.io/autoupdate": "true"]),
                           rules: aggregate == nil ? rules : [],
                           aggregationRule: aggregate.map { AggregationRule(clusterRoleSelectors: $0.map { LabelSelector(matchLabels: [$0: "true"]) }) })
    }

    static func binding(_ name: String, role: String? = nil, _ subjects: [Subject]) -> ClusterRoleBinding {
        ClusterRoleBinding(metadata: ObjectMeta(name: name, labels: ["kubernetes.io/bootstrapping": "rbac-defaults"],
                                                annotations: ["rbac.authorization.kubernetes.io/autoupdate": "true"]),
                           subjects: subjects, roleRef: RoleRef(kind: "ClusterRole", name: role ?? name))
    }

    static let clusterRoles: [ClusterRole] = [
        role("cluster-admin", [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]),
        role("admin", [], aggregate: ["rbac.authorization.k8s.io/aggregate-to-admin"]),
        role("edit", [], labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"], aggregate: ["rbac.authorization.k8s.io/aggregate-to-edit"]),
        role("view", [], labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"], aggregate: ["rbac.authorization.k8s.io/aggregate-to-view"]),
        role("system:aggregate-to-admin", [
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"]),
            PolicyRule(verbs: read + write, apiGroups: [rbacGroup], resources: ["rolebindings", "roles"]),
        ], labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"]),
        role("system:aggregate-to-edit", [
            PolicyRule(verbs: read, apiGroups: [""], resources: ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
            PolicyRule(verbs: ["impersonate"], apiGroups: [""], resources: ["serviceaccounts"]),
            PolicyRule(verbs: write, apiGroups: [""], resources: ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
            PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["pods/eviction"]),
            PolicyRule(verbs: write, apiGroups: [""], resources: ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                                                                  "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                                                                  "services/proxy"]),
            PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts/token"]),
            PolicyRule(verbs: write, apiGroups: ["apps"], resources: ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                                                                      "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
            PolicyRule(verbs: write, apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"]),
            PolicyRule(verbs: write, apiGroups: ["batch"], resources: ["cronjobs", "jobs"]),
            PolicyRule(verbs: write, apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"]),
            PolicyRule(verbs: write, apiGroups: ["policy"], resources: ["poddisruptionbudgets"]),
            PolicyRule(verbs: write, apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
            PolicyRule(verbs: write, apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
        ], labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"]),
        role("system:aggregate-to-view", [
            PolicyRule(verbs: read, apiGroups: [""], resources: ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                                                                 "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
                                                                 "services", "services/status"]),
            PolicyRule(verbs: read, apiGroups: [""], resources: ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                                                                 "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
            PolicyRule(verbs: read, apiGroups: [""], resources: ["namespaces"]),
            PolicyRule(verbs: read, apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
            PolicyRule(verbs: read, apiGroups: ["apps"], resources: ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                                                                     "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                                                                     "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]),
            PolicyRule(verbs: read, apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
            PolicyRule(verbs: read, apiGroups: ["batch"], resources: ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
            PolicyRule(verbs: read, apiGroups: ["policy"], resources: ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            PolicyRule(verbs: read, apiGroups: ["networking.k8s.io"], resources: ["ingresses", "ingresses/status", "networkpolicies"]),
            PolicyRule(verbs: read, apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
        ], labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true"]),
        // metrics-server's reader of metrics.k8s.io (`kubectl top`), aggregated into view, edit and admin.
        role("system:aggregated-metrics-reader", [PolicyRule(verbs: read, apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"])],
             labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true", "rbac.authorization.k8s.io/aggregate-to-edit": "true",
                      "rbac.authorization.k8s.io/aggregate-to-admin": "true"]),
        role("system:discovery", [PolicyRule(verbs: ["get"], nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                                                                               "/openapi/*", "/readyz", "/version", "/version/"])]),
        role("system:public-info-viewer", [PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
        role("system:basic-user", [
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
        ]),
        role("system:monitoring", [PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics",
                                                                                "/metrics/slis", "/readyz", "/readyz/*"])]),
        role("system:auth-delegator", [
            PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
        ]),
        role("system:node-proxier", [
            PolicyRule(verbs: ["list", "watch"], apiGroups: [""], resources: ["endpoints", "services"]),
            PolicyRule(verbs: read, apiGroups: [""], resources: ["nodes"]),
            PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
            PolicyRule(verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
        ]),
        // Full access to the kubelets' API (their ports check SubjectAccessReviews): for monitoring agents and operators.
        role("system:kubelet-api-admin", [
            PolicyRule(verbs: read, apiGroups: [""], resources: ["nodes"]),
            PolicyRule(verbs: ["proxy"], apiGroups: [""], resources: ["nodes"]),
            PolicyRule(verbs: ["*"], apiGroups: [""], resources: ["nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"]),
        ]),
        // The scheduler: upstream's system:kube-scheduler rules for the kinds served here.
        role("system:kube-scheduler", [
            PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
            PolicyRule(verbs: ["create"], apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
            PolicyRule(verbs: ["get", "update"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["kube-scheduler"]),
            PolicyRule(verbs: read, apiGroups: [""], resources: ["nodes"]),
            PolicyRule(verbs: ["delete", "get", "list", "watch"], apiGroups: [""], resources: ["pods"]),
            PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["bindings", "pods/binding"]),
            PolicyRule(verbs: ["patch", "update"], apiGroups: [""], resources: ["pods/status"]),
            PolicyRule(verbs: read, apiGroups: [""], resources: ["namespaces", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers",
                                                                 "services"]),
            PolicyRule(verbs: read, apiGroups: ["apps", "extensions"], resources: ["replicasets", "statefulsets"]),
            PolicyRule(verbs: read, apiGroups: ["policy"], resources: ["poddisruptionbudgets"]),
            PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
        ]),
        // What the scheduler's VolumeBinding plugin writes (upstream's system:volume-scheduler).
        role("system:volume-scheduler", [
            PolicyRule(verbs: ["get", "list", "patch", "update", "watch"], apiGroups: [""], resources: ["persistentvolumes"]),
            PolicyRule(verbs: read, apiGroups: ["storage.k8s.io"], resources: ["storageclasses"]),
            PolicyRule(verbs: ["get", "list", "patch", "update", "watch"], apiGroups: [""], resources: ["persistentvolumeclaims"]),
        ]),
        // The controller manager runs every controller with its own credentials (upstream's
        // --use-service-account-credentials=false), so it needs what all of them need together.
        role("system:kube-controller-manager", [
            PolicyRule(verbs: ["*"], apiGroups: ["", "apps", "batch", "discovery.k8s.io", "coordination.k8s.io", "events.k8s.io", "rbac.authorization.k8s.io"],
                       resources: ["*"]),
            PolicyRule(verbs: ["*"], apiGroups: ["policy", "scheduling.k8s.io", "certificates.k8s.io", "storage.k8s.io"], resources: ["*"]),
            // The garbage collector and namespace controller walk every kind, these included; the horizontal pod
            // autoscaler controller writes its autoscalers' status (the scale subresources it changes are covered above).
            PolicyRule(verbs: ["*"], apiGroups: ["networking.k8s.io", "autoscaling", "node.k8s.io"], resources: ["*"]),
            // The horizontal pod autoscaler controller reads the pods' resource metrics.
            PolicyRule(verbs: ["list"], apiGroups: ["metrics.k8s.io"], resources: ["pods"]),
            // csrapproving and csrsigning (upstream's system:controller:certificate-controller).
            PolicyRule(verbs: ["approve"], apiGroups: ["certificates.k8s.io"], resources: ["signers"],
                       resourceNames: [CertificateSigningRequest.kubeAPIServerClientKubeletSigner]),
            PolicyRule(verbs: ["sign"], apiGroups: ["certificates.k8s.io"], resources: ["signers"],
                       resourceNames: [CertificateSigningRequest.kubeAPIServerClientSigner, CertificateSigningRequest.kubeAPIServerClientKubeletSigner,
                                       CertificateSigningRequest.kubeletServingSigner, CertificateSigningRequest.legacyUnknownSigner]),
            PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
        ]),
        // Cluster DNS (CoreDNS's system:coredns).
        role("system:coredns", [
            PolicyRule(verbs: ["list", "watch"], apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"]),
            PolicyRule(verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
        ]),
        role("system:node", NodeRules.rules),
        // Node TLS bootstrap (upstream's bootstrap policy): a bootstrapper may submit and watch CSRs; the csrapproving
        // controller approves a node-client CSR when its requester may create `nodeclient` (a first certificate) or
        // `selfnodeclient` (a node renewing its own).
        role("system:node-bootstrapper", [
            PolicyRule(verbs: ["create", "get", "list", "watch"], apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"]),
        ]),
        role("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
            PolicyRule(verbs: ["create"], apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/nodeclient"]),
        ]),
        role("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
            PolicyRule(verbs: ["create"], apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/selfnodeclient"]),
        ]),
        role("system:certificates.k8s.io:kube-apiserver-client-approver", [
            PolicyRule(verbs: ["approve"], apiGroups: ["certificates.k8s.io"], resources: ["signers"],
                       resourceNames: [CertificateSigningRequest.kubeAPIServerClientSigner]),
        ]),
        role("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", [
            PolicyRule(verbs: ["approve"], apiGroups: ["certificates.k8s.io"], resources: ["signers"],
                       resourceNames: [CertificateSigningRequest.kubeAPIServerClientKubeletSigner]),
        ]),
        role("system:certificates.k8s.io:kubelet-serving-approver", [
            PolicyRule(verbs: ["approve"], apiGroups: ["certificates.k8s.io"], resources: ["signers"],
                       resourceNames: [CertificateSigningRequest.kubeletServingSigner]),
        ]),
    ]

    static let clusterRoleBindings: [ClusterRoleBinding] = [
        binding("cluster-admin", [.group("system:masters")]),
        binding("system:discovery", [.group("system:authenticated")]),
        binding("system:basic-user", [.group("system:authenticated")]),
        binding("system:public-info-viewer", [.group("system:authenticated"), .group("system:unauthenticated")]),
        binding("system:monitoring", [.group("system:monitoring")]),
        binding("system:kube-scheduler", [.user("system:kube-scheduler")]),
        binding("system:volume-scheduler", [.user("system:kube-scheduler")]),
        binding("system:kube-controller-manager", [.user("system:kube-controller-manager")]),
        binding("system:coredns", [.user("system:coredns"), .serviceAccount("coredns", namespace: "kube-system")]),
        binding("system:node-proxier", [.user("system:kube-proxy"), .group("system:nodes")]),
        // What kubeadm binds for TLS bootstrap (kubeadm:kubelet-bootstrap, kubeadm:node-autoapprove-bootstrap,
        // kubeadm:node-autoapprove-certificate-rotation), here for every bootstrap token's group.
        binding("kubeadm:kubelet-bootstrap", role: "system:node-bootstrapper", [.group("system:bootstrappers")]),
        binding("kubeadm:node-autoapprove-bootstrap", role: "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
                [.group("system:bootstrappers")]),
        binding("kubeadm:node-autoapprove-certificate-rotation", role: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                [.group("system:nodes")]),
    ]
}
