import Foundation
import KubeAPI
import Testing
@testable import KubeProtobuf

/// What real kubectl 1.32 `create` sends decodes to what `kubectl create … --dry-run=client -o json` shows
/// (without `creationTimestamp: null`), and the result is a valid object for KubeAPI's types.
struct KubectlCaptureTests {
    static let cases: [(String, Data, String)] = [
        ("configmap", KubectlCaptures.configMap, """
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo"},
             "data": {"a": "b", "greeting": "hello world"}}
            """),
        ("configmap-from-files", KubectlCaptures.configMapFromFiles, """
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "files"},
             "data": {"plain": "x"}, "binaryData": {"blob": "c6+aC0Ggaf6JOKuyRcMt3A=="}}
            """),
        ("secret", KubectlCaptures.secret, """
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
             "data": {"pass": "czNjcj10", "user": "YWRtaW4="}}
            """),
        ("deployment", KubectlCaptures.deployment, """
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
             "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "strategy": {},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                                            "ports": [{"containerPort": 80}], "resources": {}}]}}},
             "status": {}}
            """),
        ("service", KubectlCaptures.service, """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"app": "web"}},
             "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                      "selector": {"app": "web"}, "type": "ClusterIP"},
             "status": {"loadBalancer": {}}}
            """),
        ("job", KubectlCaptures.job, """
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
             "spec": {"template": {"metadata": {},
                                   "spec": {"containers": [{"name": "once", "image": "busybox", "command": ["echo", "hi"],
                                                            "resources": {}}],
                                            "restartPolicy": "Never"}}},
             "status": {}}
            """),
        ("namespace", KubectlCaptures.namespace, """
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}, "spec": {}, "status": {}}
            """),
        ("serviceaccount", KubectlCaptures.serviceAccount, """
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
            """),
    ]

    @Test(arguments: cases.map(\.0))
    func decodesWhatKubectlSent(name: String) throws {
        let (_, body, json) = try #require(Self.cases.first { $0.0 == name })
        let (decoded, unknown) = try KubeProtobuf.decodeWithUnknownFields(body)
        #expect(decoded == (try JSONValue(parsing: json)), "\(decoded.jsonString)")
        #expect(unknown.isEmpty)
        #expect(try KubeKinds.decode(decoded.serialized()) != nil)
    }

    /// kubectl (Go) writes every non-pointer field, empty or not: the ConfigMap's metadata carries empty
    /// generateName, namespace, selfLink, uid, resourceVersion, a zero generation and an empty creationTimestamp,
    /// which the decoder must drop as Go's JSON encoder would.
    @Test func kubectlSendsEmptyNonPointerFields() {
        let body = [UInt8](KubectlCaptures.configMap)
        let metadata: [UInt8] = [0x0A, 0x14, 0x0A, 0x04] + Array("demo".utf8)
            + [0x12, 0x00, 0x1A, 0x00, 0x22, 0x00, 0x2A, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00]
        #expect(body.count == 82)
        #expect(Array(body[23..<45]) == metadata)
        #expect(Array(body.suffix(4)) == [0x1A, 0x00, 0x22, 0x00])  // empty contentEncoding and contentType
    }
}
