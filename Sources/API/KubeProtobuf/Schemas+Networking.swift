extension Schemas {
    /// networking.k8s.io/v1 messages (k8s.io/api/networking/v1/generated.proto): Ingress, IngressClass and NetworkPolicy.
    static let networking: [MessageSchema] = [
        MessageSchema("networking.v1.Ingress", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("networking.v1.IngressSpec")),
            Field(3, "status", .message("networking.v1.IngressStatus")),
        ]),
        MessageSchema("networking.v1.IngressSpec", [
            Field(1, "defaultBackend", .message("networking.v1.IngressBackend")),
            Field(2, "tls", .message("networking.v1.IngressTLS"), .repeated),
            Field(3, "rules", .message("networking.v1.IngressRule"), .repeated),
            Field(4, "ingressClassName", .string, .keepsZero),
        ]),
        MessageSchema("networking.v1.IngressBackend", [
            Field(3, "resource", .message("core.v1.TypedLocalObjectReference")),
            Field(4, "service", .message("networking.v1.IngressServiceBackend")),
        ]),
        MessageSchema("networking.v1.IngressServiceBackend", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "port", .message("networking.v1.ServiceBackendPort")),
        ]),
        MessageSchema("networking.v1.ServiceBackendPort", [
            Field(1, "name", .string),
            Field(2, "number", .int32),
        ]),
        MessageSchema("networking.v1.IngressTLS", [
            Field(1, "hosts", .string, .repeated),
            Field(2, "secretName", .string),
        ]),
        MessageSchema("networking.v1.IngressRule", [
            Field(1, "host", .string),
            Field(2, "ingressRuleValue", .message("networking.v1.IngressRuleValue"), .inline),
        ]),
        MessageSchema("networking.v1.IngressRuleValue", [
            Field(1, "http", .message("networking.v1.HTTPIngressRuleValue")),
        ]),
        MessageSchema("networking.v1.HTTPIngressRuleValue", [
            Field(1, "paths", .message("networking.v1.HTTPIngressPath"), .repeated),
        ]),
        MessageSchema("networking.v1.HTTPIngressPath", [
            Field(1, "path", .string),
            Field(2, "backend", .message("networking.v1.IngressBackend")),
            Field(3, "pathType", .string, .keepsZero),
        ]),
        MessageSchema("networking.v1.IngressStatus", [
            Field(1, "loadBalancer", .message("networking.v1.IngressLoadBalancerStatus")),
        ]),
        MessageSchema("networking.v1.IngressLoadBalancerStatus", [
            Field(1, "ingress", .message("networking.v1.IngressLoadBalancerIngress"), .repeated),
        ]),
        MessageSchema("networking.v1.IngressLoadBalancerIngress", [
            Field(1, "ip", .string),
            Field(2, "hostname", .string),
            Field(4, "ports", .message("networking.v1.IngressPortStatus"), .repeated),
        ]),
        MessageSchema("networking.v1.IngressPortStatus", [
            Field(1, "port", .int32, .keepsZero),
            Field(2, "protocol", .string, .keepsZero),
            Field(3, "error", .string, .keepsZero),
        ]),
        MessageSchema("networking.v1.IngressClass", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("networking.v1.IngressClassSpec")),
        ]),
        MessageSchema("networking.v1.IngressClassSpec", [
            Field(1, "controller", .string),
            Field(2, "parameters", .message("networking.v1.IngressClassParametersReference")),
        ]),
        MessageSchema("networking.v1.IngressClassParametersReference", [
            Field(1, "apiGroup", .string, .keepsZero),
            Field(2, "kind", .string, .keepsZero),
            Field(3, "name", .string, .keepsZero),
            Field(4, "scope", .string, .keepsZero),
            Field(5, "namespace", .string, .keepsZero),
        ]),
        MessageSchema("networking.v1.NetworkPolicy", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("networking.v1.NetworkPolicySpec")),
        ]),
        MessageSchema("networking.v1.NetworkPolicySpec", [
            Field(1, "podSelector", .message("meta.v1.LabelSelector")),
            Field(2, "ingress", .message("networking.v1.NetworkPolicyIngressRule"), .repeated),
            Field(3, "egress", .message("networking.v1.NetworkPolicyEgressRule"), .repeated),
            Field(4, "policyTypes", .string, .repeated),
        ]),
        MessageSchema("networking.v1.NetworkPolicyIngressRule", [
            Field(1, "ports", .message("networking.v1.NetworkPolicyPort"), .repeated),
            Field(2, "from", .message("networking.v1.NetworkPolicyPeer"), .repeated),
        ]),
        MessageSchema("networking.v1.NetworkPolicyEgressRule", [
            Field(1, "ports", .message("networking.v1.NetworkPolicyPort"), .repeated),
            Field(2, "to", .message("networking.v1.NetworkPolicyPeer"), .repeated),
        ]),
        MessageSchema("networking.v1.NetworkPolicyPort", [
            Field(1, "protocol", .string, .keepsZero),
            Field(2, "port", .intOrString, .keepsZero),
            Field(3, "endPort", .int32, .keepsZero),
        ]),
        MessageSchema("networking.v1.NetworkPolicyPeer", [
            Field(1, "podSelector", .message("meta.v1.LabelSelector")),
            Field(2, "namespaceSelector", .message("meta.v1.LabelSelector")),
            Field(3, "ipBlock", .message("networking.v1.IPBlock")),
        ]),
        MessageSchema("networking.v1.IPBlock", [
            Field(1, "cidr", .string, .keepsZero),
            Field(2, "except", .string, .repeated),
        ]),
    ]
}
