import CRI
import Foundation
import KubeAPI
@testable import Kubelet
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("termination messages: what a container writes to its terminationMessagePath (any user may, any path) is its terminated state's message; FallbackToLogsOnError gives a failed container without one the end of its log; File gives nothing",
          .timeLimit(.minutes(3)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func terminationMessages(_ runtime: CRIHarness.Kind) async throws {
        try await Cluster.with(runtime) { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: farewell}
                spec:
                  nodeName: \(cluster.nodeName)
                  restartPolicy: Never
                  containers:
                  - name: told
                    image: \(shell)
                    command: [sh, -c, "printf 'bye from told' > /dev/termination-log; exit 3"]
                  - name: custom
                    image: \(shell)
                    securityContext: {runAsUser: 1000}
                    terminationMessagePath: /tmp/custom-message
                    command: [sh, -c, "printf 'written by uid ' > /tmp/custom-message; id -u >> /tmp/custom-message"]
                  - name: fallback
                    image: \(shell)
                    terminationMessagePolicy: FallbackToLogsOnError
                    command: [sh, -c, "for i in `seq 1 100`; do echo line $i; done; exit 1"]
                  - name: silent
                    image: \(shell)
                    command: [sh, -c, "echo noise; exit 1"]
                  - name: succeeded
                    image: \(shell)
                    terminationMessagePolicy: FallbackToLogsOnError
                    command: [sh, -c, "echo fine"]
                """)
            let done = try await cluster.waitForPod("farewell", timeout: .seconds(60)) { $0.status?.phase == "Failed" }
            func terminated(_ name: String) -> ContainerStateTerminated? { Self.container(done, name)?.state?.terminated }
            #expect(terminated("told")?.exitCode == 3 && terminated("told")?.message == "bye from told", "\(String(describing: terminated("told")))")
            #expect(terminated("custom")?.exitCode == 0 && terminated("custom")?.message == "written by uid 1000\n", "\(String(describing: terminated("custom")))")
            // The last 80 lines of the log.
            #expect(terminated("fallback")?.message == (21...100).map { "line \($0)\n" }.joined(), "\(String(describing: terminated("fallback")))")
            #expect(terminated("silent")?.exitCode == 1 && terminated("silent")?.message == nil, "\(String(describing: terminated("silent")))")
            #expect(terminated("succeeded")?.exitCode == 0 && terminated("succeeded")?.message == nil, "\(String(describing: terminated("succeeded")))")
            let described = try await cluster.kubectl(["describe", "pod", "farewell"])
            #expect(described.contains(/Message:\s+bye from told/), "\(described)")
        }
    }
}

/// The kubelet's reading of termination messages, on files it made.
@Suite struct TerminationMessageTests {
    @Test func theFileIsTheContainersOwnAndItsEndIsTheMessage() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-termination-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try TerminationMessage.createFile(podDirectory: directory, container: "app")
        #expect(file.wholeMatch(of: /.*\/containers\/app\/[0-9a-f]{8}/) != nil, "\(file)")
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue == 0o666)
        #expect(try TerminationMessage.createFile(podDirectory: directory, container: "app") != file, "a new container, a new file")

        var status = Runtime_V1_ContainerStatus()
        status.state = .containerExited
        status.exitCode = 2
        status.annotations = [TerminationMessage.pathAnnotation: "/dev/termination-log", TerminationMessage.policyAnnotation: "FallbackToLogsOnError"]
        var mount = Runtime_V1_Mount()
        mount.containerPath = "/dev/termination-log"
        mount.hostPath = file
        status.mounts = [mount]
        // Only the last 4096 bytes, after what the runtime says.
        try Data((String(repeating: "x", count: 100) + String(repeating: "y", count: 4096)).utf8).write(to: URL(fileURLWithPath: file))
        status.message = "runtime says"
        #expect(TerminationMessage.adding(to: status, logDirectory: directory).message == "runtime says: " + String(repeating: "y", count: 4096))
        // Nothing written, failed, FallbackToLogsOnError: the last 80 records of the CRI log, at most 2048 bytes.
        try Data().write(to: URL(fileURLWithPath: file))
        status.message = ""
        status.logPath = "app/0.log"
        try FileManager.default.createDirectory(atPath: directory + "/app", withIntermediateDirectories: true)
        let records = (1...100).map { "2026-12-06T10:00:00.000000000Z stdout F line \($0)" } + ["2026-12-06T10:00:01.000000000Z stderr P no newline"]
        try Data((records.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/app/0.log"))
        #expect(TerminationMessage.adding(to: status, logDirectory: directory).message
                == (22...100).map { "line \($0)\n" }.joined() + "no newline")
        let long = (1...80).map { _ in "2026-12-06T10:00:00.000000000Z stdout F \(String(repeating: "z", count: 99))" }
        try Data((long.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/app/0.log"))
        #expect(TerminationMessage.adding(to: status, logDirectory: directory).message.utf8.count == 2048)
        // Not for a success, nor under File, nor for a container still running.
        status.exitCode = 0
        #expect(TerminationMessage.adding(to: status, logDirectory: directory).message == "")
        status.exitCode = 1
        status.annotations[TerminationMessage.policyAnnotation] = "File"
        #expect(TerminationMessage.adding(to: status, logDirectory: directory).message == "")
        try Data("written".utf8).write(to: URL(fileURLWithPath: file))
        status.state = .containerRunning
        #expect(TerminationMessage.adding(to: status, logDirectory: directory).message == "")
    }
}
