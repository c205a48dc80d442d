extension Schemas {
    /// certificates.k8s.io/v1 (k8s.io/api/certificates/v1/generated.proto: CertificateSigningRequest) messages.
    static let certificates: [MessageSchema] = [
        MessageSchema("certificates.v1.CertificateSigningRequest", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("certificates.v1.CertificateSigningRequestSpec")),
            Field(3, "status", .message("certificates.v1.CertificateSigningRequestStatus")),
        ]),
        MessageSchema("certificates.v1.CertificateSigningRequestSpec", [
            Field(1, "request", .bytes, .keepsZero),
            Field(2, "username", .string),
            Field(3, "uid", .string),
            Field(4, "groups", .string, .repeated),
            Field(5, "usages", .string, .repeated),
            Field(6, "extra", .map(.stringList)),
            Field(7, "signerName", .string, .keepsZero),
            Field(8, "expirationSeconds", .int32),
        ]),
        MessageSchema("certificates.v1.CertificateSigningRequestStatus", [
            Field(1, "conditions", .message("certificates.v1.CertificateSigningRequestCondition"), .repeated),
            Field(2, "certificate", .bytes),
        ]),
        MessageSchema("certificates.v1.CertificateSigningRequestCondition", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "reason", .string),
            Field(3, "message", .string),
            Field(4, "lastUpdateTime", .time),
            Field(5, "lastTransitionTime", .time),
            Field(6, "status", .string, .keepsZero),
        ]),
    ]
}
