import Foundation
import Testing
import TestSupport

/// `swiftlet server --event-ttl`: an Event is deleted that long after its last write (kube-apiserver's flag, 1 h by
/// default), on SQLite and on etcd, as a deletion watchers see; other kinds stay.
@Suite(.serialized) struct EventTTLTests {
    static func event(_ name: String) -> String {
        """
        apiVersion: v1
        kind: Event
        metadata: {name: \(name)}
        involvedObject: {kind: ConfigMap, name: stays, namespace: default}
        reason: Testing
        message: \(name) happened
        type: Normal
        """
    }

    @Test(.timeLimit(.minutes(3)), arguments: ["sqlite", "etcd"])
    func eventsExpireAfterTheirLastWrite(_ backend: String) async throws {
        let etcd = backend == "etcd" ? try await EtcdCluster(members: 1) : nil
        defer { etcd?.stop() }
        let k = try await KubectlHarness(controllers: false,
                                         serverArguments: ["--event-ttl", "3s"] + (etcd.map { ["--store", $0.storeArgument] } ?? []))
        // Named by custom columns (with --output-watch-events kubectl prints each change as a WatchEvent): its default
        // watch output is the Event table, which has no NAME column.
        let watcher = try k.watch("get", "events", "-w", "--output-watch-events", "-o", "custom-columns=EVENT:.type,NAME:.object.metadata.name")
        defer { watcher.stop() }
        try await Task.sleep(for: .seconds(1))
        _ = try await k.ok("create", "configmap", "stays", "--from-literal=a=1")
        _ = try await k.ok("create", "-f", "-", stdin: Self.event("once"))
        _ = try await k.ok("create", "-f", "-", stdin: Self.event("patched"))
        // Each write gives an Event its whole ttl again: patched back to back for more than twice the ttl, it stays.
        let clock = ContinuousClock()
        let start = clock.now
        var patches = 0
        while clock.now - start < .seconds(7) {
            patches += 1
            _ = try await k.ok("patch", "event", "patched", "--type=merge", "-p", #"{"message":"patch \#(patches)"}"#)
        }
        #expect(try await k.ok("get", "event", "patched", "-o", "jsonpath={.message}") == "patch \(patches)")
        try await waitFor("the Event written once to expire", timeout: .seconds(60)) {
            (try? await k.kubectl("get", "event", "once"))?.stderr.contains("NotFound") == true
        }
        // Once the writes stop, it goes too.
        try await waitFor("the patched Event to expire", timeout: .seconds(60)) {
            (try? await k.kubectl("get", "event", "patched"))?.stderr.contains("NotFound") == true
        }
        // The watch sees both go (its lines: EVENT NAME).
        func deleted() -> Set<String> {
            var names = Set<String>()
            for line in watcher.text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count > 1, fields[0] == "DELETED" { names.insert(String(fields[1])) }
            }
            return names
        }
        try? await waitFor("the watch to show both deletions", timeout: .seconds(30)) { deleted().count >= 2 }
        #expect(deleted() == ["once", "patched"], "\(watcher.text)")
        #expect(try await k.ok("get", "configmap", "stays", "-o", "jsonpath={.data.a}") == "1")
        let metrics = try await k.curl("GET", "/metrics")
        #expect(metrics.body.contains(backend == "etcd" ? "etcd_lease_object_counts_count" : "sqlite_store_expired_keys_total 2"),
                "\(metrics.body.prefix(300))")
    }

    /// Go duration syntax as kube-apiserver takes it, shown with its default; a value it cannot read names the flag.
    @Test func eventTTLFlagTakesGoDurations() async throws {
        let swiftlet = try BuiltProducts.path(of: "swiftlet")
        let help = try await runCommand(swiftlet, ["server", "--help"])
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("--event-ttl <event-ttl> Amount of time to retain events") && words.contains("0 keeps Events (kube-apiserver's flag). (default: 1h0m0s)"),
                "\(help.stdout)")
        let bad = try await runCommand(swiftlet, ["server", "--event-ttl", "1 hour"])
        #expect(bad.status != 0 && bad.stderr.contains("The value '1 hour' is invalid for '--event-ttl"), "\(bad)")
        // Values it reads get as far as the next flag's check.
        for good in ["1h", "30m", "90s", "1h0m0s", "0"] {
            let result = try await runCommand(swiftlet, ["server", "--event-ttl", good, "--listen", "nowhere"])
            #expect(result.status != 0 && result.stderr.contains("--listen must be host:port") && !result.stderr.contains("event-ttl"),
                    "\(good): \(result)")
        }
    }
}
