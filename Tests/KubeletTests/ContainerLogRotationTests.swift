import Foundation
import KubeAPI
@testable import Kubelet
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("container log rotation: past --container-log-max-size a running container's log is renamed and reopened, older ones are compressed, at most --container-log-max-files are kept, and kubectl logs reads on",
          .timeLimit(.minutes(3)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func containerLogRotation(_ runtime: CRIHarness.Kind) async throws {
        try await Cluster.with(runtime, agentArguments: ["--container-log-max-size", "2Ki", "--container-log-max-files", "3",
                                                         "--container-log-monitor-interval", "3s"]) { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            // About 2 KiB of log a second: a rotation at every look.
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: chatty}
                spec:
                  nodeName: \(cluster.nodeName)
                  containers:
                  - name: talk
                    image: \(shell)
                    command: [sh, -c, "i=0; while true; do i=$((i+1)); echo \\"line $i ................................................\\"; sleep 0.05; done"]
                """)
            let pod = try await cluster.waitForPod("chatty") { $0.status?.phase == "Running" }
            let directory = cluster.runtime.root + "/pods/default_chatty_\(pod.metadata.uid ?? "")/talk"
            var names: [String] = []
            var seen = 0
            for _ in 0..<100 {
                names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
                seen = max(seen, names.count)
                let compressed = names.filter { $0.hasSuffix(".gz") }
                if names.contains("0.log"), !compressed.isEmpty, names.count == 3 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            // The log being written, the newest rotated one as it was, the one before compressed: three files.
            #expect(names.count == 3 && names.first == "0.log", "\(names)")
            let rotated = try #require(names.first { $0.wholeMatch(of: /0\.log\.[0-9]{8}-[0-9]{6}/) != nil }, "\(names)")
            let compressed = try #require(names.first { $0.wholeMatch(of: /0\.log\.[0-9]{8}-[0-9]{6}\.gz/) != nil }, "\(names)")
            #expect(compressed < rotated, "the compressed one is the older: \(names)")
            #expect(seen <= 3, "never more than --container-log-max-files: \(seen)")
            let unpacked = try await runCommand("/bin/gzip", ["-dc", directory + "/" + compressed])
            let records = unpacked.stdout.split(separator: "\n")
            #expect(unpacked.status == 0 && records.count > 10, "\(unpacked)")
            #expect(records.allSatisfy { $0.contains(#/^\S+ stdout F line [0-9]+ /#) }, "\(records.prefix(3))")
            // The new log is written to and read by kubectl logs: its lines come after the rotated ones'.
            func lastLine(_ text: String) -> Int? {
                text.split(separator: "\n").last.flatMap { $0.firstMatch(of: #/line ([0-9]+) /#).flatMap { Int($0.1) } }
            }
            let rotatedText = try String(contentsOfFile: directory + "/" + rotated, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(500))
            let logs = try await cluster.kubectl(["logs", "chatty", "--tail", "5"])
            let latest = try #require(lastLine(logs), "\(logs)")
            #expect(latest > (lastLine(rotatedText) ?? .max), "\(logs)")
        }
    }
}

/// One rotation's file work and the flags' checks, on files made here.
@Suite struct ContainerLogRotationTests {
    private static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-logrotate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func rotationRemovesLeftoversAndExcessCompressesAndReopens() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/0.log"
        try Self.write("current\n", to: log)
        try Self.write("oldest", to: log + ".20261201-000000.gz")
        try Self.write("compressed before", to: log + ".20261201-000010.gz")
        try Self.write("left by an interrupted compression", to: log + ".20261201-000010")
        let newest = String(repeating: "2026-12-01T00:00:20.000000000Z stdout F newest\n", count: 5000)
        try Self.write(newest, to: log + ".20261201-000020")
        try Self.write("partial", to: log + ".20261201-000020.gz.tmp")
        try Self.write("another container's", to: directory + "/1.log")

        var reopened = 0
        let now = try #require(ISO8601DateFormatter().date(from: "2026-12-01T00:00:30Z"))
        try await ContainerLogRotation(log: log, maxFiles: 3).rotate(at: now) {
            reopened += 1
            try Self.write("", to: log)
        }
        #expect(reopened == 1)
        let stamp = ContainerLogRotation.timestamp(now)
        #expect(stamp.wholeMatch(of: /[0-9]{8}-[0-9]{6}/) != nil)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        // Room for the rotated log and the new one within three files: the newest rotated one stays, compressed.
        #expect(names == ["0.log", "0.log.20261201-000020.gz", "0.log.\(stamp)", "1.log"], "\(names)")
        #expect(try String(contentsOfFile: log + ".\(stamp)", encoding: .utf8) == "current\n")
        let unpacked = try await runCommand("/bin/gzip", ["-dc", log + ".20261201-000020.gz"])
        #expect(unpacked.status == 0 && unpacked.stdout == newest)
    }

    @Test func aRuntimeThatCannotReopenGetsItsLogBack() async throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "rpc error: code = NotFound desc = no such container" } }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/2.log"
        try Self.write("keep me\n", to: log)
        await #expect(throws: ContainerLogRotationError.self) {
            try await ContainerLogRotation(log: log, maxFiles: 5).rotate { throw Refused() }
        }
        do {
            try await ContainerLogRotation(log: log, maxFiles: 5).rotate { throw Refused() }
        } catch {
            #expect(error.description == "failed to reopen container log: rpc error: code = NotFound desc = no such container")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["2.log"])
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "keep me\n")
    }

    @Test func flagsAreCheckedAsUpstreamChecksThem() throws {
        let defaults = ContainerLogPolicy()
        #expect(defaults.maxBytes == 10 * 1024 * 1024 && defaults.maxFiles == 5 && defaults.maxWorkers == 1 && defaults.monitorInterval == .seconds(10))
        #expect(try ContainerLogPolicy.parse(maxSize: "50M", maxFiles: 2, maxWorkers: 4, monitorInterval: .seconds(3)).maxBytes == 50_000_000)
        #expect(try ContainerLogPolicy.parse(maxSize: "-1", maxFiles: 5, maxWorkers: 1, monitorInterval: .seconds(10)).maxBytes < 0)
        func refusal(_ size: String = "10Mi", files: Int = 5, workers: Int = 1, interval: Duration = .seconds(10)) -> String? {
            do {
                _ = try ContainerLogPolicy.parse(maxSize: size, maxFiles: files, maxWorkers: workers, monitorInterval: interval)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal(files: 1) == "failed to create kubelet: failed to initialize container log manager: invalid MaxFiles 1, must be > 1")
        #expect(refusal("ten") == "failed to create kubelet: failed to initialize container log manager: failed to parse container log max size \"ten\": "
                + "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        #expect(refusal(workers: 0) == "invalid configuration: containerLogMaxWorkers must be greater than or equal to 1")
        #expect(refusal(interval: .seconds(2)) == "invalid configuration: containerLogMonitorInterval must be a positive time duration greater than or equal to 3s")
    }
}
