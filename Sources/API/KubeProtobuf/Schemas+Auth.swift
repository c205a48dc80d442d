extension Schemas {
    /// rbac.authorization.k8s.io/v1, authentication.k8s.io/v1 and authorization.k8s.io/v1 messages
    /// (k8s.io/api/{rbac,authentication,authorization}/v1/generated.proto): the RBAC kinds, TokenRequest, TokenReview,
    /// SelfSubjectReview, the access reviews and SelfSubjectRulesReview.
    static let auth: [MessageSchema] = [
        MessageSchema("rbac.v1.PolicyRule", [
            Field(1, "verbs", .string, .repeated),
            Field(2, "apiGroups", .string, .repeated),
            Field(3, "resources", .string, .repeated),
            Field(4, "resourceNames", .string, .repeated),
            Field(5, "nonResourceURLs", .string, .repeated),
        ]),
        MessageSchema("rbac.v1.Subject", [
            Field(1, "kind", .string, .keepsZero),
            Field(2, "apiGroup", .string),
            Field(3, "name", .string, .keepsZero),
            Field(4, "namespace", .string),
        ]),
        MessageSchema("rbac.v1.RoleRef", [
            Field(1, "apiGroup", .string, .keepsZero),
            Field(2, "kind", .string, .keepsZero),
            Field(3, "name", .string, .keepsZero),
        ]),
        MessageSchema("rbac.v1.AggregationRule", [
            Field(1, "clusterRoleSelectors", .message("meta.v1.LabelSelector"), .repeated),
        ]),
        MessageSchema("rbac.v1.Role", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "rules", .message("rbac.v1.PolicyRule"), .repeated),
        ]),
        MessageSchema("rbac.v1.ClusterRole", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "rules", .message("rbac.v1.PolicyRule"), .repeated),
            Field(3, "aggregationRule", .message("rbac.v1.AggregationRule")),
        ]),
        MessageSchema("rbac.v1.RoleBinding", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "subjects", .message("rbac.v1.Subject"), .repeated),
            Field(3, "roleRef", .message("rbac.v1.RoleRef")),
        ]),
        MessageSchema("rbac.v1.ClusterRoleBinding", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "subjects", .message("rbac.v1.Subject"), .repeated),
            Field(3, "roleRef", .message("rbac.v1.RoleRef")),
        ]),
        MessageSchema("authentication.v1.BoundObjectReference", [
            Field(1, "kind", .string),
            Field(2, "apiVersion", .string),
            Field(3, "name", .string),
            Field(4, "uid", .string),
        ]),
        MessageSchema("authentication.v1.TokenRequest", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("authentication.v1.TokenRequestSpec")),
            Field(3, "status", .message("authentication.v1.TokenRequestStatus")),
        ]),
        MessageSchema("authentication.v1.TokenRequestSpec", [
            Field(1, "audiences", .string, .repeated),
            Field(3, "boundObjectRef", .message("authentication.v1.BoundObjectReference")),
            Field(4, "expirationSeconds", .int64),
        ]),
        MessageSchema("authentication.v1.TokenRequestStatus", [
            Field(1, "token", .string, .keepsZero),
            Field(2, "expirationTimestamp", .time),
        ]),
        MessageSchema("authentication.v1.TokenReview", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("authentication.v1.TokenReviewSpec")),
            Field(3, "status", .message("authentication.v1.TokenReviewStatus")),
        ]),
        MessageSchema("authentication.v1.TokenReviewSpec", [
            Field(1, "token", .string),
            Field(2, "audiences", .string, .repeated),
        ]),
        MessageSchema("authentication.v1.TokenReviewStatus", [
            Field(1, "authenticated", .bool),
            Field(2, "user", .message("authentication.v1.UserInfo")),
            Field(3, "error", .string),
            Field(4, "audiences", .string, .repeated),
        ]),
        MessageSchema("authentication.v1.UserInfo", [
            Field(1, "username", .string),
            Field(2, "uid", .string),
            Field(3, "groups", .string, .repeated),
            Field(4, "extra", .map(.stringList)),
        ]),
        MessageSchema("authentication.v1.SelfSubjectReview", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "status", .message("authentication.v1.SelfSubjectReviewStatus")),
        ]),
        MessageSchema("authentication.v1.SelfSubjectReviewStatus", [
            Field(1, "userInfo", .message("authentication.v1.UserInfo")),
        ]),
        MessageSchema("authorization.v1.ResourceAttributes", [
            Field(1, "namespace", .string),
            Field(2, "verb", .string),
            Field(3, "group", .string),
            Field(4, "version", .string),
            Field(5, "resource", .string),
            Field(6, "subresource", .string),
            Field(7, "name", .string),
        ]),
        MessageSchema("authorization.v1.NonResourceAttributes", [
            Field(1, "path", .string),
            Field(2, "verb", .string),
        ]),
        MessageSchema("authorization.v1.SelfSubjectAccessReviewSpec", [
            Field(1, "resourceAttributes", .message("authorization.v1.ResourceAttributes")),
            Field(2, "nonResourceAttributes", .message("authorization.v1.NonResourceAttributes")),
        ]),
        MessageSchema("authorization.v1.SubjectAccessReviewSpec", [
            Field(1, "resourceAttributes", .message("authorization.v1.ResourceAttributes")),
            Field(2, "nonResourceAttributes", .message("authorization.v1.NonResourceAttributes")),
            Field(3, "user", .string),
            Field(4, "groups", .string, .repeated),
            Field(5, "extra", .map(.stringList)),
            Field(6, "uid", .string),
        ]),
        MessageSchema("authorization.v1.SubjectAccessReviewStatus", [
            Field(1, "allowed", .bool, .keepsZero),
            Field(2, "reason", .string),
            Field(3, "evaluationError", .string),
            Field(4, "denied", .bool),
        ]),
        MessageSchema("authorization.v1.SelfSubjectAccessReview", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("authorization.v1.SelfSubjectAccessReviewSpec")),
            Field(3, "status", .message("authorization.v1.SubjectAccessReviewStatus")),
        ]),
        MessageSchema("authorization.v1.SelfSubjectRulesReview", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("authorization.v1.SelfSubjectRulesReviewSpec")),
            Field(3, "status", .message("authorization.v1.SubjectRulesReviewStatus")),
        ]),
        MessageSchema("authorization.v1.SelfSubjectRulesReviewSpec", [
            Field(1, "namespace", .string),
        ]),
        MessageSchema("authorization.v1.SubjectRulesReviewStatus", [
            Field(1, "resourceRules", .message("authorization.v1.ResourceRule"), .repeated),
            Field(2, "nonResourceRules", .message("authorization.v1.NonResourceRule"), .repeated),
            Field(3, "incomplete", .bool, .keepsZero),
            Field(4, "evaluationError", .string),
        ]),
        MessageSchema("authorization.v1.ResourceRule", [
            Field(1, "verbs", .string, .repeated),
            Field(2, "apiGroups", .string, .repeated),
            Field(3, "resources", .string, .repeated),
            Field(4, "resourceNames", .string, .repeated),
        ]),
        MessageSchema("authorization.v1.NonResourceRule", [
            Field(1, "verbs", .string, .repeated),
            Field(2, "nonResourceURLs", .string, .repeated),
        ]),
        MessageSchema("authorization.v1.SubjectAccessReview", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("authorization.v1.SubjectAccessReviewSpec")),
            Field(3, "status", .message("authorization.v1.SubjectAccessReviewStatus")),
        ]),
    ]
}
