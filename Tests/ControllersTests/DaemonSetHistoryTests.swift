import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// The DaemonSet controller's ControllerRevisions, read and used by real kubectl (`rollout history`/`undo`).
@Suite("DaemonSet history", .serialized)
struct DaemonSetHistoryTests {
    static func revisions(_ h: ControllerHarness) async throws -> [ControllerRevision] {
        try await h.client.list(ControllerRevision.self, namespace: "default").items.sorted { $0.revision < $1.revision }
    }

    static func image(_ h: ControllerHarness) async throws -> String? {
        try await h.client.get(DaemonSet.self, name: "agent", namespace: "default").spec?.template.spec?.containers.first?.image
    }

    @Test func kubectlRolloutHistoryAndUndoUseTheControllerRevisions() async throws {
        try await ControllerHarness.with { h in
            try await h.createNode("node-a")
            let ds = try await h.client.create(DaemonSetControllerTests.daemonSet())
            try await eventually("revision 1") { try await Self.revisions(h).map(\.revision) == [1] }
            let first = try #require(try await Self.revisions(h).first)
            let hash = try #require(first.metadata.labels?["controller-revision-hash"])
            #expect(first.metadata.name == "agent-\(hash)")
            #expect(first.metadata.labels?["app"] == "agent")
            #expect(first.metadata.controllerRefForTest?.uid == ds.metadata.uid)
            #expect(first.data?["spec"]?["template"]?["$patch"] == "replace")
            try await eventually("the pod carries the revision's hash") {
                try await h.pods("app=agent").first?.metadata.labels?["controller-revision-hash"] == hash
            }

            let get = try await h.kubectl("get", "controllerrevisions")
            #expect(get.status == 0, "\(get.stderr)")
            #expect(get.stdout.contains("CONTROLLER") && get.stdout.contains("REVISION"), "\(get.stdout)")
            #expect(get.stdout.contains("agent-\(hash)   daemonset.apps/agent   1 "), "\(get.stdout)")

            _ = try await h.kubectl("annotate", "ds/agent", "kubernetes.io/change-cause=image 1.26")
            let set = try await h.kubectl("set", "image", "ds/agent", "web=nginx:1.26")
            #expect(set.status == 0, "\(set.stderr)")
            try await eventually("revision 2") { try await Self.revisions(h).map(\.revision) == [1, 2] }

            let history = try await h.kubectl("rollout", "history", "ds/agent")
            #expect(history.status == 0, "\(history.stderr)")
            let rows = history.stdout.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) } }
            #expect(rows.contains(["1", "<none>"]) && rows.contains(["2", "image 1.26"]), "\(history.stdout)")
            let one = try await h.kubectl("rollout", "history", "ds/agent", "--revision=1")
            #expect(one.status == 0 && one.stdout.contains("nginx:1.25") && !one.stdout.contains("nginx:1.26"), "\(one.stdout)\(one.stderr)")

            let undo = try await h.kubectl("rollout", "undo", "ds/agent")
            #expect(undo.status == 0 && undo.stdout.contains("rolled back"), "\(undo.stdout)\(undo.stderr)")
            #expect(try await Self.image(h) == "nginx:1.25")
            // The restored template's revision becomes the newest, as upstream renumbers it.
            try await eventually("revision 1 renumbered to 3") {
                try await Self.revisions(h).map { "\($0.metadata.name ?? ""):\($0.revision)" }.contains("agent-\(hash):3")
            }
            try await eventually("the pod runs the restored template") {
                try await h.pods("app=agent").allSatisfy { $0.metadata.labels?["controller-revision-hash"] == hash }
            }
            try await eventually("the DaemonSet's pod events") {
                let events = try await h.events(about: "DaemonSet", "agent")
                return events.count { $0.hasPrefix("Normal/SuccessfulCreate: Created pod: agent-") } >= 2
                    && events.contains { $0.hasPrefix("Normal/SuccessfulDelete: Deleted pod: agent-") }
            }

            let to = try await h.kubectl("rollout", "undo", "ds/agent", "--to-revision=2")
            #expect(to.status == 0, "\(to.stdout)\(to.stderr)")
            #expect(try await Self.image(h) == "nginx:1.26")
            let missing = try await h.kubectl("rollout", "undo", "ds/agent", "--to-revision=9")
            #expect(missing.status != 0 && missing.stderr.contains("unable to find specified revision 9"), "\(missing.stderr)")
        }
    }

    @Test func oldRevisionsArePrunedToTheHistoryLimit() async throws {
        try await ControllerHarness.with { h in
            var ds = DaemonSetControllerTests.daemonSet()
            ds.spec?.revisionHistoryLimit = 1
            _ = try await h.client.create(ds)
            try await eventually("revision 1") { try await Self.revisions(h).map(\.revision) == [1] }
            for (step, image) in ["nginx:1.26", "nginx:1.27", "nginx:1.28"].enumerated() {
                _ = try await h.kubectl("set", "image", "ds/agent", "web=\(image)")
                try await eventually("revision \(step + 2) with one old one kept") {
                    try await Self.revisions(h).map(\.revision) == (step == 0 ? [1, 2] : [Int64(step + 1), Int64(step + 2)])
                }
            }
            try await h.client.delete(DaemonSet.self, name: "agent", namespace: "default")
            try await eventually("the revisions are collected with their DaemonSet") { try await Self.revisions(h).isEmpty }
        }
    }
}
