import Foundation
import KubeAPI
@testable import Kubelet
import Synchronization
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl logs --previous shows the attempt before a restart; kubectl logs -f ends once the followed container exits, with its last lines; --since, --since-time, --limit-bytes; the back-off counts from the exit",
          .timeLimit(.minutes(3)))
    func kubectlLogsPreviousAndFollow() async throws {
        let cluster = try await Cluster()
        do {
            try await logsPreviousAndFollow(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func logsPreviousAndFollow(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // Each attempt counts itself in an emptyDir, runs 4 s and fails (restarted after the 10 s back-off).
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: counter}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              volumes: [{name: state, emptyDir: {}}]
              containers:
              - name: c
                image: \(shell)
                volumeMounts: [{name: state, mountPath: /state}]
                command: [sh, -c, 'n=$(($(cat /state/n 2>/dev/null || echo 0)+1)); echo $n > /state/n; echo attempt-$n; sleep 4; echo bye-$n; exit 1']
            """)
        try await cluster.waitForPod("counter", timeout: .seconds(90)) { pod in
            pod.status?.containerStatuses?.first.map { $0.restartCount >= 1 && $0.state?.running != nil } ?? false
        }
        // -f on the running second attempt: kubectl ends by itself once the container exits, after its last line.
        let followed = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "logs", "-f", "counter"], timeout: 30)
        #expect(followed.status == 0 && followed.stdout == "attempt-2\nbye-2\n", "\(followed)")
        let previous = try await cluster.kubectl(["logs", "counter", "--previous"])
        #expect(previous == "attempt-1\nbye-1\n", "\(previous)")
        // The exited attempt stays current until the back-off (10 s from its exit) restarts it.
        #expect(try await cluster.kubectl(["logs", "counter"]) == "attempt-2\nbye-2\n")
        let none = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "logs", "counter", "-c", "nope"])
        #expect(none.status != 0 && none.stderr.contains("container nope is not valid for pod counter"), "\(none)")

        // --since-time from the second record's own time keeps only it; --since counts back from now (a window that
        // takes bye-2, written 4 s after attempt-2); --limit-bytes cuts the output.
        let stamped = try await cluster.kubectl(["logs", "counter", "--timestamps"]).split(separator: "\n")
        #expect(stamped.count == 2, "\(stamped)")
        let byeTime = String(stamped.last?.split(separator: " ").first ?? "")
        #expect(try await cluster.kubectl(["logs", "counter", "--since-time", byeTime]) == "bye-2\n")
        let byeDate = try #require(RFC3339.parse(byeTime))
        let window = Int(Date().timeIntervalSince(byeDate).rounded(.up)) + 2
        #expect(try await cluster.kubectl(["logs", "counter", "--since", "\(window)s"]) == "bye-2\n", "window \(window)s")
        #expect(try await cluster.kubectl(["logs", "counter", "--since", "1h"]) == "attempt-2\nbye-2\n")
        #expect(try await cluster.kubectl(["logs", "counter", "--limit-bytes", "5"]) == "attem")

        // Upstream's CrashLoopBackOff: the delay counts from the exit and the message names it whole, with the pod
        // as name_namespace(uid); the third attempt starts no sooner than 10 s after the second ended.
        let backingOff = try await cluster.waitForPod("counter", timeout: .seconds(10)) { $0.status?.containerStatuses?.first?.state?.waiting != nil }
        let uid = try #require(backingOff.metadata.uid)
        #expect(backingOff.status?.containerStatuses?.first?.state?.waiting?.message
                == "back-off 10s restarting failed container=c pod=counter_default(\(uid))")
        let third = try await cluster.waitForPod("counter", timeout: .seconds(30)) { pod in
            pod.status?.containerStatuses?.first.map { $0.restartCount >= 2 && $0.state?.running != nil } ?? false
        }
        let status = try #require(third.status?.containerStatuses?.first)
        let exited = try #require(status.lastState?.terminated?.finishedAt?.date), started = try #require(status.state?.running?.startedAt?.date)
        #expect(started.timeIntervalSince(exited) >= 9, "restarted \(started.timeIntervalSince(exited)) s after the exit")

        // A container without a log yet: its waiting reason, as upstream's kubelet words it; the image manager's
        // events on both pods.
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: never}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              containers:
              - {name: never, image: \(cluster.runtime.registry)/swiftlet-test/missing:v1, imagePullPolicy: Never}
              - {name: runs, image: \(shell), command: [sleep, "3600"]}
            """)
        try await cluster.waitForPod("never") { pod in
            pod.status?.containerStatuses?.first { $0.name == "never" }?.state?.waiting?.reason == "ErrImageNeverPull"
                && pod.status?.containerStatuses?.first { $0.name == "runs" }?.state?.running != nil
        }
        let waiting = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "logs", "never", "-c", "never"])
        #expect(waiting.status != 0 && waiting.stderr.contains(#"container "never" in pod "never" is waiting to start: ErrImageNeverPull"#), "\(waiting)")
        let events = try await cluster.kubectl(["get", "events", "-o", #"jsonpath={range .items[*]}{.involvedObject.name} {.reason}: {.message}{"\n"}{end}"#])
        #expect(events.contains("never ErrImageNeverPull: Container image \"\(cluster.runtime.registry)/swiftlet-test/missing:v1\" is not present with pull policy of Never"),
                "\(events)")
        #expect(events.contains("counter Pulled: Container image \"\(shell)\" already present on machine"), "\(events)")
        #expect(events.contains(#/counter Pulled: Successfully pulled image "[^"]+" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: [1-9][0-9]* bytes\./#), "\(events)")
        // Deleting the pod: "Stopping container" only for the container that runs, not for the one that never started.
        _ = try await cluster.kubectl(["delete", "pod", "never"])
        let stopping = try await cluster.kubectl(["get", "events", "--field-selector", "reason=Killing,involvedObject.name=never",
                                                  "-o", #"jsonpath={range .items[*]}{.involvedObject.fieldPath} {.message}{"\n"}{end}"#])
        #expect(stopping == "spec.containers{runs} Stopping container runs\n", "\(stopping)")
    }
}

/// The follow loop on real files: a rotation (rename to `.1`, a new file) loses and repeats nothing, and the follow
/// ends with the container, after its last lines.
@Suite("kubelet container log follow", .timeLimit(.minutes(1)))
struct ContainerLogFollowTests {
    final class FollowState: Sendable {
        let output = Mutex("")
        let running = Mutex(true)
        let finished = Mutex(false)
    }

    @Test("rotation mid-follow and the container's exit")
    func rotationAndExit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-logs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/0.log"
        func record(_ text: String) -> String { "2026-01-01T00:00:00.000000000Z stdout F \(text)\n" }
        func append(_ text: String, to file: String = path) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
        try (record("one") + record("two")).write(toFile: path, atomically: false, encoding: .utf8)
        let state = FollowState()
        let reader = CRILogReader(path: path, timestamps: false, tailLines: 1)
        let follow = Task {
            await reader.follow(isRunning: { state.running.withLock { $0 } }) { text in state.output.withLock { $0 += text } }
            state.finished.withLock { $0 = true }
        }
        func waitFor(_ expected: String) async throws {
            for _ in 0..<100 where state.output.withLock({ $0 }) != expected { try await Task.sleep(for: .milliseconds(50)) }
            #expect(state.output.withLock { $0 } == expected)
        }
        try await waitFor("two\n")
        try append(record("three"))
        try await waitFor("two\nthree\n")
        // The runtime rotates: a last line into the old file, rename, a new file.
        try append(record("four"))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try record("five").write(toFile: path, atomically: false, encoding: .utf8)
        try await waitFor("two\nthree\nfour\nfive\n")
        // The container exits after one more line: the follow emits it and ends.
        try append(record("six"))
        state.running.withLock { $0 = false }
        for _ in 0..<200 where !state.finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(state.finished.withLock { $0 }, "the follow goes on after the container exited")
        #expect(state.output.withLock { $0 } == "two\nthree\nfour\nfive\nsix\n")
        follow.cancel()
    }

    @Test("since, tail and limitBytes on real files, as upstream's kubelet applies them")
    func sinceTailAndLimit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-logs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/0.log"
        try """
            2026-01-01T00:00:01.000000000Z stdout F one
            2026-01-01T00:00:02.500000000Z stderr F two
            2026-01-01T01:00:03.000000001+01:00 stdout P thr
            2026-01-01T00:00:03.000000002Z stdout F ée

            """.write(toFile: path, atomically: false, encoding: .utf8)
        let since = try #require(RFC3339.parse("2026-01-01T00:00:02Z"))
        #expect(RFC3339.parse("2026-01-01T00:00:02.5Z") == since.addingTimeInterval(0.5))
        #expect(RFC3339.parse("2026-01-01T01:00:02+01:00") == since)
        #expect(RFC3339.parse("yesterday") == nil)
        #expect(CRILogReader(path: path, timestamps: false, tailLines: nil, since: since).readAll() == "two\nthrée\n")
        // The tail picks the last records first, then `since` filters them (upstream's order).
        #expect(CRILogReader(path: path, timestamps: false, tailLines: 3, since: since.addingTimeInterval(1)).readAll() == "thrée\n")
        #expect(CRILogReader(path: path, timestamps: false, tailLines: nil, limitBytes: 6).readAll() == "one\ntw")
        // A cut inside a character falls back to its start.
        #expect(CRILogReader(path: path, timestamps: false, tailLines: 1, limitBytes: 3).readAll() == "ée")
        #expect(CRILogReader(path: path, timestamps: false, tailLines: 1, limitBytes: 1).readAll() == "")
        #expect(CRILogReader(path: path, timestamps: true, tailLines: 1, limitBytes: 9).readAll() == "2026-01-0")
        // A tail of a log of many 64 KiB blocks reads it from the end, records cut by the blocks' edges whole.
        let long = path + ".long"
        try (1...20_000).map { "2026-01-01T00:00:00.000000000Z stdout F record \($0)\n" }.joined().write(toFile: long, atomically: false, encoding: .utf8)
        #expect(CRILogReader(path: long, timestamps: false, tailLines: 3000).readAll() == (17_001...20_000).map { "record \($0)\n" }.joined())
        #expect(CRILogReader(path: long, timestamps: false, tailLines: 30_000).readAll().hasPrefix("record 1\nrecord 2\n"))
        #expect(CRILogReader(path: long, timestamps: false, tailLines: 0).readAll() == "")

        // A follow stops once its byte budget is spent, though the container still runs.
        let output = Mutex(""), finished = Mutex(false)
        let follow = Task {
            await CRILogReader(path: path, timestamps: false, tailLines: 1, limitBytes: 8).follow { text in output.withLock { $0 += text } }
            finished.withLock { $0 = true }
        }
        for _ in 0..<40 where !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-01-01T00:00:04.000000000Z stdout F four\n2026-01-01T00:00:05.000000000Z stdout F five\n".utf8))
        try handle.close()
        for _ in 0..<100 where !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(finished.withLock { $0 }, "the follow goes on after its limit")
        #expect(output.withLock { $0 } == "ée\nfour")
        follow.cancel()
    }

    @Test("a TTY's records end in \\r\\n (one Character in a Swift String): each is a record of its own, read whole and followed")
    func ttyRecords() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-logs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/0.log"
        // What the monitor writes for `tty: true`: the terminal turns each \n into \r\n; the record keeps the \r.
        try "2026-01-01T00:00:01.000000000Z stdout F from-debug\r\n2026-01-01T00:00:02.000000000Z stdout F demo\r\n"
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(CRILogReader(path: path, timestamps: false, tailLines: nil).readAll() == "from-debug\r\ndemo\r\n")
        #expect(CRILogReader(path: path, timestamps: false, tailLines: 1).readAll() == "demo\r\n")
        #expect(CRILogReader(path: path, timestamps: true, tailLines: 1).readAll() == "2026-01-01T00:00:02.000000000Z demo\r\n")

        let output = Mutex(""), running = Mutex(true), finished = Mutex(false)
        let follow = Task {
            await CRILogReader(path: path, timestamps: false, tailLines: 1).follow(isRunning: { running.withLock { $0 } }) { text in
                output.withLock { $0 += text }
            }
            finished.withLock { $0 = true }
        }
        for _ in 0..<100 where output.withLock({ $0 }) != "demo\r\n" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(output.withLock { $0 } == "demo\r\n")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-01-01T00:00:03.000000000Z stdout F bye\r\n".utf8))
        try handle.close()
        for _ in 0..<100 where output.withLock({ $0 }) != "demo\r\nbye\r\n" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(output.withLock { $0 } == "demo\r\nbye\r\n")
        running.withLock { $0 = false }
        for _ in 0..<100 where !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(finished.withLock { $0 }, "the follow goes on after the container exited")
        follow.cancel()
    }
}
