import CRI
import Foundation
import KubeAPI
import KubeClient
@testable import Kubelet
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("an image changed through the API restarts the running app container or sidecar with the new image (Killing event, restartCount 1, lastState); a regular init container of an initialized pod is left alone",
          .timeLimit(.minutes(4)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func imageChangeRestartsContainer(_ runtime: CRIHarness.Kind) async throws {
        let cluster = try await Cluster(runtime)
        do {
            try await imageChange(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nruntime log:\n\(cluster.runtime.log)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func imageChange(_ cluster: Cluster) async throws {
        let registry = cluster.runtime.registry
        let shell = "\(registry)/swiftlet-test/shell:v1", web = "\(registry)/swiftlet-test/web:v1"
        // The app names its image without a tag: the runtime resolves it to `…:latest`, and the status shows that.
        let pause = "\(registry)/swiftlet-test/pause"
        try await cluster.runtime.tag(cluster.runtime.pauseImage, as: pause + ":latest")
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: imgchange}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 10
              initContainers:
              - {name: setup, image: \(shell), command: [sh, -c, "true"]}
              - {name: side, image: \(shell), restartPolicy: Always, command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 1; done"]}
              containers:
              - {name: app, image: \(pause)}
            """)
        let running = try await cluster.waitForPod("imgchange") { pod in
            pod.status?.phase == "Running" && Self.container(pod, "app")?.state?.running != nil
                && Self.initContainer(pod, "side")?.started == true
        }
        let app = try #require(Self.container(running, "app")), side = try #require(Self.initContainer(running, "side"))
        let setup = try #require(Self.initContainer(running, "setup"))
        // The status's image is the runtime's name for the image (containerd: its first repo tag), the spec keeps the
        // pod's string, as upstream's kubelet reports them.
        #expect(app.image == pause + ":latest", "\(app)")
        #expect(try await cluster.kubectl(["get", "pod", "imgchange", "-o", "jsonpath={.spec.containers[0].image} {.status.containerStatuses[0].image}"])
                == "\(pause) \(pause):latest")
        // The CRI container carries upstream's hash of name and image.
        #expect(try await hashAnnotation(cluster, app.containerID) == ContainerHash.annotationValue(Container(name: "app", image: pause)))

        // `kubectl set image` (a strategic merge patch of spec.containers[].image): the app container is killed and
        // created again from the new image, pulled as its policy says.
        _ = try await cluster.kubectl(["set", "image", "pod/imgchange", "app=\(web)"])
        let changed = try await cluster.waitForPod("imgchange") { pod in
            let status = Self.container(pod, "app")
            return status?.containerID != app.containerID && status?.state?.running != nil && status?.restartCount == 1
        }
        let newApp = try #require(Self.container(changed, "app"))
        #expect(newApp.image == web)
        #expect(newApp.lastState?.terminated?.exitCode == 0, "\(newApp)")
        #expect(newApp.lastState?.terminated?.containerID == app.containerID)
        #expect(try await hashAnnotation(cluster, newApp.containerID) == ContainerHash.annotationValue(Container(name: "app", image: web)))
        // It runs the new image's command: httpd serving the page baked into swiftlet-test/web.
        var page = ""
        for _ in 0..<25 where page.isEmpty {
            page = (try? await cluster.kubectl(["exec", "imgchange", "-c", "app", "--", "wget", "-qO-", "http://127.0.0.1:8080/"])) ?? ""
            if page.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(page == "hello from swiftlet-test/web\n")
        // Nothing else restarted.
        #expect(Self.initContainer(changed, "side")?.containerID == side.containerID)
        #expect(Self.initContainer(changed, "side")?.restartCount == 0)
        #expect(changed.status?.phase == "Running")
        let appEvents = try await events(cluster, until: ["Killing Container app definition changed, will be restarted", "Started Started container app"],
                                         fieldPath: "spec.containers{app}")
        #expect(appEvents.contains("Killing Container app definition changed, will be restarted"), "\(appEvents)")
        #expect(appEvents.contains("Pulling Pulling image \"\(web)\""), "\(appEvents)")
        #expect(appEvents.contains("Pulled Successfully pulled image \"\(web)\""), "\(appEvents)")
        #expect(appEvents.contains("Created Created container app"), "\(appEvents)")

        // A JSON patch of both init containers' images: the sidecar restarts with its new image, the regular init
        // container (completed, the pod initialized) is not run again, the app container is untouched.
        _ = try await cluster.kubectl(["patch", "pod", "imgchange", "--type=json", "-p",
                                       "[{\"op\":\"replace\",\"path\":\"/spec/initContainers/0/image\",\"value\":\"\(web)\"},"
                                       + "{\"op\":\"replace\",\"path\":\"/spec/initContainers/1/image\",\"value\":\"\(web)\"}]"])
        let sidecarChanged = try await cluster.waitForPod("imgchange") { pod in
            let status = Self.initContainer(pod, "side")
            return status?.containerID != side.containerID && status?.state?.running != nil && status?.restartCount == 1
                && status?.started == true
        }
        let newSide = try #require(Self.initContainer(sidecarChanged, "side"))
        #expect(newSide.image == web)
        #expect(newSide.lastState?.terminated?.exitCode == 0, "\(newSide)")
        #expect(try await cluster.kubectl(["exec", "imgchange", "-c", "side", "--", "cat", "/www/index.html"]) == "hello from swiftlet-test/web\n")
        #expect(Self.container(sidecarChanged, "app")?.containerID == newApp.containerID)
        #expect(Self.container(sidecarChanged, "app")?.restartCount == 1)
        let sideEvents = try await events(cluster, until: ["Killing Init container side definition changed", "Started Started container side"],
                                          fieldPath: "spec.initContainers{side}")
        #expect(sideEvents.contains("Killing Init container side definition changed"), "\(sideEvents)")
        // A few more syncs: the completed regular init container stays as it was.
        try await Task.sleep(for: .seconds(3))
        let settled = try await cluster.client.get(Pod.self, name: "imgchange", namespace: "default")
        let setupNow = try #require(Self.initContainer(settled, "setup"))
        #expect(setupNow.containerID == setup.containerID && setupNow.restartCount == 0, "\(setupNow)")
        #expect(!(try await events(cluster, until: [], fieldPath: "spec.initContainers{setup}")).contains("Killing"))
        #expect(settled.status?.phase == "Running" && Self.condition(settled, "Ready") == "True")

        // The sidecar's image changed to one that cannot be pulled: the old container is killed and no new one is
        // created. Its status stays the old container's (image and imageID as the runtime reports them, the exit as
        // lastState), waiting on the pull; upstream's kubelet takes the image from the runtime's container, not the spec.
        let missing = "\(registry)/swiftlet-test/missing:v1"
        _ = try await cluster.kubectl(["patch", "pod", "imgchange", "--type=json", "-p",
                                       "[{\"op\":\"replace\",\"path\":\"/spec/initContainers/1/image\",\"value\":\"\(missing)\"}]"])
        // The pull fails (Events say so); the status waits on it. Between pulls the kill's exit puts the container in
        // crash back-off too, as upstream's doBackOff does before each start, so the waiting reason alternates and a
        // poll of the status may see either.
        let sideFailures = try await events(cluster, until: ["Failed Error: ErrImagePull"], fieldPath: "spec.initContainers{side}")
        #expect(sideFailures.contains("Failed Error: ErrImagePull"), "\(sideFailures)")
        let pullFailing = try await cluster.waitForPod("imgchange") { pod in
            let status = Self.initContainer(pod, "side")
            return ["ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"].contains(status?.state?.waiting?.reason ?? "")
                && status?.lastState?.terminated != nil && pod.spec?.initContainers?[1].image == missing
        }
        let failingSide = try #require(Self.initContainer(pullFailing, "side"))
        #expect(pullFailing.spec?.initContainers?[1].image == missing)
        #expect(failingSide.image == web && failingSide.imageID == newSide.imageID, "\(failingSide)")
        #expect(failingSide.containerID == newSide.containerID && failingSide.lastState?.terminated?.containerID == newSide.containerID)
    }

    /// The `io.kubernetes.container.hash` annotation of a container as the runtime (ours or containerd) reports it
    /// (`crictl inspect`).
    private func hashAnnotation(_ cluster: Cluster, _ containerID: String?) async throws -> String? {
        let id = try #require(containerID?.split(separator: "/").last.map(String.init))
        return try await cluster.runtime.withClients { runtime, _ in
            var request = Runtime_V1_ContainerStatusRequest()
            request.containerID = id
            return try await runtime.containerStatus(request).status.annotations[ContainerHash.annotation]
        }
    }

    /// The pod's Events on one container as "REASON MESSAGE" lines, polled until each of `expected` is there (at most
    /// 10 s; the recorder writes them asynchronously).
    private func events(_ cluster: Cluster, until expected: [String], fieldPath: String) async throws -> String {
        var lines = ""
        for _ in 0..<50 {
            let all = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=imgchange", "-o",
                                                 "jsonpath={range .items[*]}{.involvedObject.fieldPath} {.reason} {.message}{\"\\n\"}{end}"])
            lines = all.split(separator: "\n").filter { $0.hasPrefix(fieldPath + " ") }
                .map { String($0.dropFirst(fieldPath.count + 1)) }.joined(separator: "\n")
            if expected.allSatisfy({ lines.contains($0) }) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return lines
    }
}
