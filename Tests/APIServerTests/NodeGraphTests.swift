import Foundation
import Logging
import Store
import KubeAPI
import Testing
@testable import APIServer

/// The Node authorizer's graph against real stores (SQLite, and etcd where it follows a watch): what a pod's spec relates to its node, kept current
/// from the store's watch, and rebuilt the same from a list after a restart.
@Suite struct NodeGraphTests {
    typealias Reference = NodeGraph.Reference

    static func secret(_ name: String, _ namespace: String = "default") -> Reference { Reference(resource: "secrets", namespace: namespace, name: name) }
    static func configMap(_ name: String) -> Reference { Reference(resource: "configmaps", namespace: "default", name: name) }
    static func claim(_ name: String) -> Reference { Reference(resource: "persistentvolumeclaims", namespace: "default", name: name) }

    /// A pod as the API server stores it (JSON), bound to `node` unless nil, with `spec` members spliced in.
    static func pod(_ name: String, node: String?, _ spec: String = "") -> Data {
        let binding = node.map { #","nodeName":"\#($0)""# } ?? ""
        let extra = spec.isEmpty ? "" : "," + spec
        return Data(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"default"},"spec":{"containers":[{"name":"c","image":"busybox"}]\#(binding)\#(extra)}}"#.utf8)
    }

    static func podKey(_ name: String) -> String { "/registry/pods/default/\(name)" }

    static func attachment(_ name: String) -> Reference { Reference(resource: "volumeattachments", namespace: "", name: name) }

    /// A VolumeAttachment as the API server stores it, attaching a volume to `node`.
    static func attachment(_ name: String, node: String) -> Data {
        Data(#"{"apiVersion":"storage.k8s.io/v1","kind":"VolumeAttachment","metadata":{"name":"\#(name)"},"spec":{"attacher":"csi.example.com","source":{"persistentVolumeName":"pv-\#(name)"},"nodeName":"\#(node)"},"status":{"attached":false}}"#.utf8)
    }

    @Test func everyPlaceAPodSpecNamesAnObjectRelatesItToTheNode() async throws {
        try await StoreBackend.sqlite.withStore { store, _ in
            _ = try await store.create(key: Self.podKey("everything"), value: Self.pod("everything", node: "n1", #"""
                "serviceAccountName":"builder",
                "imagePullSecrets":[{"name":"pull"}],
                "initContainers":[{"name":"i","image":"busybox","envFrom":[{"secretRef":{"name":"init-env"}},{"configMapRef":{"name":"init-cm"}}]}],
                "ephemeralContainers":[{"name":"e","image":"busybox","env":[{"name":"X","valueFrom":{"secretKeyRef":{"name":"debug","key":"k"}}}]}],
                "volumes":[
                  {"name":"s","secret":{"secretName":"vol-secret"}},
                  {"name":"c","configMap":{"name":"vol-cm"}},
                  {"name":"p","projected":{"sources":[{"secret":{"name":"proj-secret"}},{"configMap":{"name":"proj-cm"}}]}},
                  {"name":"d","persistentVolumeClaim":{"claimName":"data"}},
                  {"name":"scratch","ephemeral":{"volumeClaimTemplate":{"spec":{"accessModes":["ReadWriteOnce"]}}}},
                  {"name":"csi","csi":{"driver":"x","nodePublishSecretRef":{"name":"csi-secret"}}}
                ],
                "resourceClaims":[{"name":"gpu","resourceClaimName":"gpu-claim"}]
                """#))
            // An unbound pod relates nothing yet; a pod on another node relates only to that node.
            _ = try await store.create(key: Self.podKey("pending"), value: Self.pod("pending", node: nil, #""volumes":[{"name":"s","secret":{"secretName":"pending-secret"}}]"#))
            _ = try await store.create(key: Self.podKey("elsewhere"), value: Self.pod("elsewhere", node: "n2", #""volumes":[{"name":"s","secret":{"secretName":"theirs"}}]"#))
            // A volume bound to the pod's claim, naming a secret of its own.
            _ = try await store.create(key: "/registry/persistentvolumes/pv-data", value: Data(#"""
                {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-data"},"spec":{"claimRef":{"namespace":"default","name":"data"},
                 "csi":{"driver":"x","volumeHandle":"h","nodeStageSecretRef":{"name":"stage","namespace":"storage"}}}}
                """#.utf8))
            _ = try await store.create(key: "/registry/persistentvolumes/pv-other", value: Data(#"""
                {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-other"},"spec":{"claimRef":{"namespace":"default","name":"other"}}}
                """#.utf8))
            let graph = NodeGraph(store: store, logger: Logger(label: "test"))
            try await graph.load()

            for object in [Self.secret("pull"), Self.secret("init-env"), Self.configMap("init-cm"), Self.secret("debug"), Self.secret("vol-secret"),
                           Self.configMap("vol-cm"), Self.secret("proj-secret"), Self.configMap("proj-cm"), Self.claim("data"),
                           Self.claim("everything-scratch"), Self.secret("csi-secret"), Self.secret("stage", "storage"),
                           Reference(resource: "serviceaccounts", namespace: "default", name: "builder"),
                           Reference(resource: "resourceclaims", namespace: "default", name: "gpu-claim"),
                           Reference(resource: "persistentvolumes", namespace: "", name: "pv-data")] {
                #expect(graph.relates("n1", to: object), "\(object)")
                #expect(!graph.relates("n2", to: object), "\(object)")
            }
            for object in [Self.secret("pending-secret"), Self.secret("theirs"), Self.secret("vol-secret", "other-namespace"),
                           Reference(resource: "serviceaccounts", namespace: "default", name: "default"),
                           Reference(resource: "persistentvolumes", namespace: "", name: "pv-other")] {
                #expect(!graph.relates("n1", to: object), "\(object)")
            }
            #expect(graph.relates("n2", to: Self.secret("theirs")))
            #expect(graph.relates("n2", to: Reference(resource: "serviceaccounts", namespace: "default", name: "default")))
            #expect(graph.counts.pods == 2 && graph.counts.volumes == 2)
        }
    }

    @Test func topLevelMembersAreFoundWithoutParsingAndStatusWritesLeaveThePodAlone() throws {
        let document = Data(#"{"metadata":{"name":"x","annotations":{"a":"{\"spec\":1}"}} , "spec" : {"nodeName":"n1","s":"}\\","v":[{"spec":2}]},"n":-1.5e3,"status":{"phase":"Running"}}"#.utf8)
        let members = TopLevelJSON.members(["spec", "status", "n", "absent"], of: document)
        #expect(members["spec"].map { String(decoding: $0, as: UTF8.self) } == #"{"nodeName":"n1","s":"}\\","v":[{"spec":2}]}"#)
        #expect(members["status"].map { String(decoding: $0, as: UTF8.self) } == #"{"phase":"Running"}"#)
        #expect(members["n"].map { String(decoding: $0, as: UTF8.self) } == "-1.5e3")
        #expect(members["absent"] == nil)
        #expect(try JSONValue(parsing: members["spec"]!)["s"]?.stringValue == "}\\")
        // Only the spec (and resource claim statuses) matter: a phase change is the same pod to the graph.
        let running = NodeGraph.PodDocument(Self.pod("p", node: "n1"))
        var withStatus = String(decoding: Self.pod("p", node: "n1"), as: UTF8.self)
        withStatus.removeLast()
        let failed = NodeGraph.PodDocument(Data((withStatus + #","status":{"phase":"Failed"}}"#).utf8))
        #expect(running.relevant == failed.relevant && failed.claimStatus == nil)
        let claimed = NodeGraph.PodDocument(Data((withStatus + #","status":{"resourceClaimStatuses":[{"name":"g","resourceClaimName":"p-g-1"}]}}"#).utf8))
        #expect(claimed.relevant != running.relevant)
        #expect(claimed.entry(key: Self.podKey("p"))?.references.contains(Reference(resource: "resourceclaims", namespace: "default", name: "p-g-1")) == true)
        #expect(NodeGraph.PodDocument(Self.pod("q", node: nil)).entry(key: Self.podKey("q")) == nil)
    }

    @Test(.timeLimit(.minutes(1)), arguments: StoreBackend.allCases)
    func podsCreatedBoundAndDeletedAreReflectedAndARestartRebuildsTheSameGraph(_ backend: StoreBackend) async throws {
        try await backend.withStore { store, reopen in
            let graph = NodeGraph(store: store, logger: Logger(label: "test"))
            try await graph.load()
            let follower = Task { await graph.follow() }
            defer { follower.cancel() }
            let shared = #""volumes":[{"name":"s","secret":{"secretName":"shared"}}]"#

            // A create is seen by the next decision (it waits for the graph to reach the store's revision).
            _ = try await store.create(key: Self.podKey("a"), value: Self.pod("a", node: "n1", shared))
            #expect(await graph.relatesWhenCurrent("n1", to: Self.secret("shared")))
            _ = try await store.create(key: Self.podKey("b"), value: Self.pod("b", node: "n1", #""containers":[{"name":"c","image":"x","env":[{"name":"A","valueFrom":{"secretKeyRef":{"name":"shared","key":"k"}}}]}]"#))
            // Binding: an unbound pod gains the edge when its nodeName is set; moving it moves the edge.
            let unbound = try await store.create(key: Self.podKey("c"), value: Self.pod("c", node: nil, #""volumes":[{"name":"c","configMap":{"name":"settings"}}]"#))
            #expect(await !graph.relatesWhenCurrent("n1", to: Self.configMap("settings")))
            _ = try await store.update(key: Self.podKey("c"), value: Self.pod("c", node: "n1", #""volumes":[{"name":"c","configMap":{"name":"settings"}}]"#), expectedRevision: unbound)
            #expect(await graph.relatesWhenCurrent("n1", to: Self.configMap("settings")))

            // Two pods use "shared": the node keeps it until the last one goes.
            _ = try await store.delete(key: Self.podKey("a"), expectedRevision: nil)
            await graph.reach(try await store.currentRevision(), within: .seconds(10))
            #expect(graph.relates("n1", to: Self.secret("shared")))
            _ = try await store.delete(key: Self.podKey("b"), expectedRevision: nil)
            await graph.reach(try await store.currentRevision(), within: .seconds(10))
            #expect(graph.revision == (try await store.currentRevision()))
            #expect(!graph.relates("n1", to: Self.secret("shared")))
            #expect(await !graph.relatesWhenCurrent("n1", to: Self.secret("shared")))
            // Writes of other kinds do not reach the graph; asked, its watches say they have passed them.
            let before = graph.pods.applied
            _ = try await store.create(key: "/registry/configmaps/default/settings", value: Data(#"{"kind":"ConfigMap","metadata":{"name":"settings"}}"#.utf8))
            await graph.reach(try await store.currentRevision(), within: .seconds(10))
            #expect(graph.revision == (try await store.currentRevision()))
            #expect(graph.pods.applied == before)

            // A volume bound later to a claim the node's pod uses.
            _ = try await store.create(key: Self.podKey("d"), value: Self.pod("d", node: "n1", #""volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]"#))
            let volume = try await store.create(key: "/registry/persistentvolumes/pv1", value: Data(#"{"kind":"PersistentVolume","metadata":{"name":"pv1"},"spec":{}}"#.utf8))
            #expect(await !graph.relatesWhenCurrent("n1", to: Reference(resource: "persistentvolumes", namespace: "", name: "pv1")))
            _ = try await store.update(key: "/registry/persistentvolumes/pv1", value: Data(#"{"kind":"PersistentVolume","metadata":{"name":"pv1"},"spec":{"claimRef":{"namespace":"default","name":"data"}}}"#.utf8), expectedRevision: volume)
            #expect(await graph.relatesWhenCurrent("n1", to: Reference(resource: "persistentvolumes", namespace: "", name: "pv1")))

            // VolumeAttachments relate to the node they attach to; a deleted one no longer does.
            for (name, node) in [("va1", "n1"), ("va2", "n1"), ("va3", "n2")] {
                _ = try await store.create(key: NodeGraph.attachmentPrefix + name, value: Self.attachment(name, node: node))
            }
            #expect(await graph.relatesWhenCurrent("n1", to: Self.attachment("va1")))
            #expect(await !graph.relatesWhenCurrent("n1", to: Self.attachment("va3")))
            #expect(graph.relates("n2", to: Self.attachment("va3")))
            _ = try await store.delete(key: NodeGraph.attachmentPrefix + "va2", expectedRevision: nil)
            await graph.reach(try await store.currentRevision(), within: .seconds(10))
            #expect(!graph.relates("n1", to: Self.attachment("va2")) && graph.relates("n1", to: Self.attachment("va1")))
            follower.cancel()

            // After a restart the store is reopened and the graph built from a list: the same answers.
            await store.close()
            let reopened = try await reopen()
            let rebuilt = NodeGraph(store: reopened, logger: Logger(label: "test"))
            try await rebuilt.load()
            #expect(rebuilt.revision == (try await reopened.currentRevision()))
            #expect(rebuilt.relates("n1", to: Self.configMap("settings")))
            #expect(rebuilt.relates("n1", to: Reference(resource: "persistentvolumes", namespace: "", name: "pv1")))
            #expect(rebuilt.relates("n1", to: Self.attachment("va1")) && !rebuilt.relates("n1", to: Self.attachment("va2")))
            #expect(rebuilt.counts.attachments == 2)
            #expect(!rebuilt.relates("n1", to: Self.secret("shared")))
            #expect(rebuilt.counts.pods == 2 && rebuilt.counts.edges == graph.counts.edges)
            await reopened.close()
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: StoreBackend.allCases)
    func aGraphWhoseHistoryWasCompactedAwayRelists(_ backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let graph = NodeGraph(store: store, logger: Logger(label: "test"))
            try await graph.load()
            // Changes the graph has not seen, then their history compacted: the watch cannot replay them.
            _ = try await store.create(key: Self.podKey("late"), value: Self.pod("late", node: "n1", #""volumes":[{"name":"s","secret":{"secretName":"late"}}]"#))
            try await store.compact(revision: try await store.currentRevision())
            let follower = Task { await graph.follow() }
            defer { follower.cancel() }
            await graph.reach(try await store.currentRevision(), within: .seconds(20))
            #expect(graph.relates("n1", to: Self.secret("late")))
        }
    }
}
