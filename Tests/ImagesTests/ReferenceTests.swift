import Testing
@testable import Images

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest", "busybox"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox"),
        ("index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox"),
        ("rancher/pause:3.6", "docker.io/rancher/pause:3.6", "rancher/pause"),
        ("127.0.0.1:5000/test/shell:v1", "127.0.0.1:5000/test/shell:v1", "127.0.0.1:5000/test/shell"),
        ("localhost/shell", "localhost/shell:latest", "localhost/shell"),
        ("localhost:5000/a/b/c:1.0-rc_1", "localhost:5000/a/b/c:1.0-rc_1", "localhost:5000/a/b/c"),
        ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause"),
        ("busybox@sha256:" + String(repeating: "a", count: 64),
         "docker.io/library/busybox@sha256:" + String(repeating: "a", count: 64), "busybox"),
        ("ghcr.io/a/b:v1@sha256:" + String(repeating: "0", count: 64),
         "ghcr.io/a/b:v1@sha256:" + String(repeating: "0", count: 64), "ghcr.io/a/b"),
        ("my_repo/x__y/z-----w.v", "docker.io/my_repo/x__y/z-----w.v:latest", "my_repo/x__y/z-----w.v"),
    ])
    func normalizes(input: String, normalized: String, familiar: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.description == normalized)
        #expect(reference.familiarName == familiar)
    }

    @Test func components() throws {
        let reference = try ImageReference(parsing: "127.0.0.1:5000/test/shell:v1")
        #expect(reference.registry == "127.0.0.1:5000")
        #expect(reference.repository == "test/shell")
        #expect(reference.tag == "v1")
        #expect(reference.digest == nil)
        #expect(reference.taggedName == "127.0.0.1:5000/test/shell:v1")
        let pinned = try ImageReference(parsing: "busybox@sha256:" + String(repeating: "b", count: 64))
        #expect(pinned.tag == nil)
        #expect(pinned.digest?.hex == String(repeating: "b", count: 64))
    }

    @Test(arguments: ["", "Busybox", "busybox:", "busybox:-bad", ":tag", "a//b", "busybox@sha256:abc",
                      "busybox@md5:" + String(repeating: "a", count: 32), "-a/b", "a_/b", "host:5000/UPPER:v1",
                      "busybox:" + String(repeating: "t", count: 129)])
    func rejects(input: String) {
        #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
        do { _ = try ImageReference(parsing: input) } catch { #expect(error.code == .invalidReference) }
    }
}

@Suite struct RegistryConfigurationTests {
    @Test func defaultsAllowPlainHTTPOnlyOnLoopback() {
        let configuration = RegistryConfiguration()
        #expect(configuration.endpoints(for: "docker.io").map(\.baseURL) == ["https://registry-1.docker.io"])
        #expect(configuration.endpoints(for: "127.0.0.1:5000").map(\.baseURL) == ["http://127.0.0.1:5000"])
        #expect(configuration.endpoints(for: "localhost:5000").map(\.baseURL) == ["http://localhost:5000"])
        #expect(configuration.endpoints(for: "[::1]:5000").map(\.baseURL) == ["http://[::1]:5000"])
        #expect(configuration.endpoints(for: "10.0.0.1:5000").map(\.baseURL) == ["https://10.0.0.1:5000"])
        #expect(configuration.endpoints(for: "ghcr.io").map(\.baseURL) == ["https://ghcr.io"])
    }

    @Test func parsesK3sRegistriesYAML() throws {
        let configuration = try RegistryConfiguration.parse("""
            mirrors:
              docker.io:
                endpoint:
                  - "http://127.0.0.1:5000"
                  - "https://mirror.example.com/v2"
            configs:
              "mirror.example.com":
                auth:
                  username: alice
                  password: secret
                tls:
                  insecure_skip_verify: true
            """)
        let endpoints = configuration.endpoints(for: "docker.io")
        #expect(endpoints.map(\.baseURL) == ["http://127.0.0.1:5000", "https://mirror.example.com", "https://registry-1.docker.io"])
        #expect(endpoints[1].insecureSkipVerify)
        #expect(endpoints[1].credentials?.basic?.user == "alice")
        #expect(endpoints[0].credentials == nil)
        #expect(configuration.endpoints(for: "quay.io").map(\.baseURL) == ["https://quay.io"])
    }

    @Test func parsesJSONAndEmpty() throws {
        let json = try RegistryConfiguration.parse(#"{"mirrors": {"*": {"endpoint": ["http://127.0.0.1:5000"]}}}"#)
        #expect(json.endpoints(for: "quay.io").map(\.baseURL) == ["http://127.0.0.1:5000", "https://quay.io"])
        #expect(try RegistryConfiguration.parse("") == RegistryConfiguration())
        #expect(try RegistryConfiguration.load(fromFile: "/nonexistent/registries.yaml") == RegistryConfiguration())
        #expect(throws: ImageError.self) { try RegistryConfiguration.parse("mirrors: [1, 2]") }
    }

    @Test func credentialsFromAuthField() {
        let credentials = RegistryCredentials(auth: "dXNlcjpwYTpzcw==") // user:pa:ss
        #expect(credentials.basic?.user == "user")
        #expect(credentials.basic?.password == "pa:ss")
    }

    @Test func parsesChallenges() {
        let bearer = AuthChallenge(header: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#)
        #expect(bearer?.scheme == "bearer")
        #expect(bearer?.parameters["realm"] == "https://auth.docker.io/token")
        #expect(bearer?.parameters["service"] == "registry.docker.io")
        #expect(bearer?.parameters["scope"] == "repository:a/b:pull,push")
        #expect(AuthChallenge(header: #"Basic realm="swiftlet""#)?.scheme == "basic")
    }
}
