import CRI
import Foundation
import KubeAPI
@testable import Kubelet
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("imagePullSecrets: a registry that wants basic auth refuses a pod without credentials and serves one with a docker-registry Secret",
          .timeLimit(.minutes(3)))
    func imagePullSecrets() async throws {
        let cluster = try await Cluster()
        let (host, registry) = try await cluster.runtime.authenticatedRegistry(user: "puller", password: "s3cret-pass")
        defer { registry.stop() }
        do {
            let image = "\(host)/swiftlet-test/shell:v1"
            func pod(_ name: String, secrets: [String]) -> String {
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: \(name)}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  imagePullSecrets: [\(secrets.map { "{name: \($0)}" }.joined(separator: ", "))]
                  containers:
                  - {name: main, image: "\(image)", imagePullPolicy: Always, command: [sleep, "3600"]}
                """
            }
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: pod("anonymous", secrets: []))
            try await cluster.waitForPod("anonymous") { pod in
                ["ErrImagePull", "ImagePullBackOff"].contains(Self.container(pod, "main")?.state?.waiting?.reason ?? "")
            }
            // The pull's failure, with the registry's refusal, is in the Failed event.
            let failures = try await cluster.kubectl(["get", "events", "-o",
                                                       "jsonpath={range .items[?(@.reason==\"Failed\")]}{.message}{\"\\n\"}{end}"])
            #expect(failures.contains("Failed to pull image \"\(image)\"") && failures.lowercased().contains("unauthorized"), "\(failures)")

            // The Secret as `kubectl create secret docker-registry` writes it; a missing one is only a warning.
            _ = try await cluster.kubectl(["create", "secret", "docker-registry", "regcred", "--docker-server=\(host)",
                                           "--docker-username=puller", "--docker-password=s3cret-pass"])
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: pod("private", secrets: ["absent", "regcred"]))
            let running = try await cluster.waitForPod("private", timeout: .seconds(90)) { $0.status?.phase == "Running" }
            #expect(Self.container(running, "main")?.imageID.contains("sha256:") == true)
            let events = try await cluster.kubectl(["get", "events", "-o", "json"])
            #expect(events.contains("FailedToRetrieveImagePullSecret") && events.contains("Unable to retrieve some image pull secrets (absent)"),
                    "\(events.suffix(2000))")
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nruntime log:\n\(cluster.runtime.log)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}

@Suite("imagePullSecrets matching")
struct PullSecretsTests {
    @Test("image references split into registry and repository as Docker names them")
    func split() {
        #expect(PullSecrets.split("127.0.0.1:5001/team/app:v1") == ("127.0.0.1:5001", "team/app"))
        #expect(PullSecrets.split("busybox") == ("docker.io", "library/busybox"))
        #expect(PullSecrets.split("team/app:v2") == ("docker.io", "team/app"))
        #expect(PullSecrets.split("localhost/app@sha256:abc") == ("localhost", "app"))
    }

    @Test(".dockerconfigjson and .dockercfg entries, auth decoded, matched by host glob, port and path, most specific first")
    func matching() throws {
        var secrets = PullSecrets()
        let auth = Data("ann:pw1".utf8).base64EncodedString()
        secrets.add([".dockerconfigjson": Data(#"{"auths":{"*.example.com":{"auth":"\#(auth)"},"reg.example.com/team":{"username":"bob","password":"pw2"}}}"#.utf8)])
        secrets.add([".dockercfg": Data(#"{"https://index.docker.io/v1/":{"username":"hub","password":"pw3"}}"#.utf8)])
        let team = secrets.credentials(for: "reg.example.com/team/app:v1")
        #expect(team.map(\.username) == ["bob", "ann"])
        #expect(team.first?.password == "pw2" && team.last?.password == "pw1")
        #expect(team.first?.serverAddress == "reg.example.com")
        #expect(secrets.credentials(for: "reg.example.com/other/app").map(\.username) == ["ann"])
        #expect(secrets.credentials(for: "a.b.example.com/app").isEmpty)
        #expect(secrets.credentials(for: "reg.example.com:5000/team/app").isEmpty)
        #expect(secrets.credentials(for: "busybox:1.36").map(\.username) == ["hub"])
        // Malformed data adds nothing.
        var broken = PullSecrets()
        broken.add([".dockerconfigjson": Data("not json".utf8)])
        #expect(broken.entries.isEmpty)
    }
}
