import Foundation
import KubeClient
import Testing

@Suite struct KubeconfigTests {
    static let json = """
    {"apiVersion":"v1","kind":"Config","current-context":"admin",
     "clusters":[{"name":"c","cluster":{"server":"https://10.0.0.1:6443","certificate-authority":"ca.crt"}}],
     "users":[{"name":"u","user":{"token":"s3cret","client-certificate-data":"\(Data("CERT".utf8).base64EncodedString())"}}],
     "contexts":[{"name":"admin","context":{"cluster":"c","user":"u","namespace":"kube-system"}},
                 {"name":"broken","context":{"cluster":"nope","user":"u"}}]}
    """

    @Test func resolvesTheCurrentContextWithFilesRelativeToTheKubeconfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("CA".utf8).write(to: directory.appendingPathComponent("ca.crt"))

        let kubeconfig = try Kubeconfig(json: Data(Self.json.utf8))
        let config = try KubeClient.Configuration(kubeconfig: kubeconfig, directory: directory.path)
        #expect(config.server.absoluteString == "https://10.0.0.1:6443")
        #expect(config.usesTLS)
        #expect(config.namespace == "kube-system")
        #expect(config.bearerToken == "s3cret")
        #expect(config.certificateAuthority == Data("CA".utf8))
        #expect(config.clientCertificate == Data("CERT".utf8))
        #expect(!config.description.contains("s3cret"), "secrets stay out of logs")
    }

    @Test func reportsUnusableContexts() throws {
        let kubeconfig = try Kubeconfig(json: Data(Self.json.utf8))
        #expect(throws: KubeClientError.self) { try KubeClient.Configuration(kubeconfig: kubeconfig, context: "broken") }
        #expect(throws: KubeClientError.self) { try KubeClient.Configuration(kubeconfig: kubeconfig, context: "missing") }
        #expect(throws: KubeClientError.self) { try KubeClient.Configuration(kubeconfig: kubeconfig, directory: "/nonexistent") }
        #expect(throws: KubeClientError.self) { try Kubeconfig(json: Data("clusters: []".utf8)) }
    }

    @Test func roundTripsThroughJSON() throws {
        let kubeconfig = try Kubeconfig(json: Data(Self.json.utf8))
        let encoded = try JSONEncoder().encode(kubeconfig)
        #expect(try Kubeconfig(json: encoded) == kubeconfig)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"current-context\""))
    }
}
