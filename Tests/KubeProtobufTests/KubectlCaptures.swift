import Foundation

/// Request bodies captured from real kubectl v1.32.4 `create` subcommands (POSTed with
/// `Content-Type: application/vnd.kubernetes.protobuf`), base64-encoded. They are the client's output, not ours.
enum KubectlCaptures {
    /// `kubectl create configmap demo --from-literal=a=b --from-literal=greeting='hello world'`
    static let configMap = Data(base64Encoded: "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjcKFAoEZGVtbxIAGgAiACoAMgA4AEIAEgYKAWESAWISFwoIZ3JlZXRpbmcSC2hlbGxvIHdvcmxkGgAiAA==")!
    /// `kubectl create secret generic creds --from-literal=user=admin --from-literal=pass='s3cr=t'`
    static let secret = Data(base64Encoded: "azhzAAoMCgJ2MRIGU2VjcmV0EjgKFQoFY3JlZHMSABoAIgAqADIAOABCABIOCgRwYXNzEgZzM2NyPXQSDQoEdXNlchIFYWRtaW4aABoAIgA=")!
    /// `kubectl create deployment web --image=nginx:1.27 --replicas=3 --port=80`
    static let deployment = Data(base64Encoded: "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50Er0BCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEosBCAMSDAoKCgNhcHASA3dlYhpxChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViElESMwoFbmdpbngSCm5naW54OjEuMjcqADIKCgAQABhQIgAqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==")!
    /// `kubectl create service clusterip web --tcp=80:8080`
    static let service = Data(base64Encoded: "azhzAAoNCgJ2MRIHU2VydmljZRJpCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEkIKGwoHODAtODA4MBIDVENQGFAiBwgAEJA/GgAoABIKCgNhcHASA3dlYhoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==")!
    /// `kubectl create job once --image=busybox -- echo hi`
    static let job = Data(base64Encoded: "azhzAAoPCghiYXRjaC92MRIDSm9iEogBChQKBG9uY2USABoAIgAqADIAOABCABJmMmQKEAoAEgAaACIAKgAyADgAQgASUBItCgRvbmNlEgdidXN5Ym94GgRlY2hvGgJoaSoAQgBqAHIAgAEAiAEAkAEAogEAGgVOZXZlcjIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAGgggACgAMAA6ABoAIgA=")!
    /// `kubectl create namespace team-a`
    static let namespace = Data(base64Encoded: "azhzAAoPCgJ2MRIJTmFtZXNwYWNlEh4KFgoGdGVhbS1hEgAaACIAKgAyADgAQgASABoCCgAaACIA")!
    /// `kubectl create serviceaccount robot`
    static let serviceAccount = Data(base64Encoded: "azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSFwoVCgVyb2JvdBIAGgAiACoAMgA4AEIAGgAiAA==")!
    /// `kubectl create configmap files --from-file=blob=blob.bin --from-file=plain=plain.txt` (blob.bin: 16 random bytes)
    static let configMapFromFiles = Data(base64Encoded: "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEj0KFQoFZmlsZXMSABoAIgAqADIAOABCABIKCgVwbGFpbhIBeBoYCgRibG9iEhBzr5oLQaBp/ok4q7JFwy3cGgAiAA==")!
}
