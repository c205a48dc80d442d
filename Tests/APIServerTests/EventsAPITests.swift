import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// events.k8s.io/v1 Events: a second API view over the core/v1 Events in the store, through the real kubectl 1.32
/// and the official Python client.
@Suite(.serialized) struct EventsAPITests {
    static let newStyle = """
        apiVersion: events.k8s.io/v1
        kind: Event
        metadata: {name: scaled, namespace: default}
        eventTime: "2024-05-01T12:00:00.123456Z"
        reportingController: example.com/scaler
        reportingInstance: scaler-1
        action: Scale
        reason: ScaledUp
        regarding: {kind: ConfigMap, name: target, namespace: default}
        note: scaled up to 3
        type: Normal
        """

    static let legacy = """
        apiVersion: v1
        kind: Event
        metadata: {name: pulled, namespace: default}
        involvedObject: {kind: ConfigMap, name: other, namespace: default}
        reason: Pulled
        message: pulled the image
        source: {component: kubelet, host: node-1}
        count: 3
        type: Warning
        """

    static let bad = """
        apiVersion: events.k8s.io/v1
        kind: Event
        metadata: {name: bad, namespace: default}
        reportingController: example.com/scaler
        reportingInstance: scaler-1
        action: Scale
        reason: ScaledUp
        regarding: {kind: ConfigMap, name: target, namespace: default}
        type: Info
        deprecatedCount: 2
        """

    @Test func kubectlReadsAndWritesEventsThroughBothGroups() async throws {
        let k = try await KubectlHarness(controllers: false)
        let resources = try await k.ok("api-resources", "--api-group=events.k8s.io", "--no-headers")
        #expect(resources.split(whereSeparator: \.isWhitespace) == ["events", "ev", "events.k8s.io/v1", "true", "Event"], "\(resources)")

        // Created as events.k8s.io/v1, read through core/v1.
        #expect(try await k.ok("create", "-f", "-", stdin: Self.newStyle).contains("event.events.k8s.io/scaled created"))
        #expect(try await k.ok("get", "events", "scaled", "-o", "jsonpath={.apiVersion} {.message} {.involvedObject.name} {.reportingComponent}")
            == "v1 scaled up to 3 target example.com/scaler")
        let core = try await k.ok("get", "events")
        #expect(core.contains("ScaledUp") && core.contains("configmap/target") && core.contains("scaled up to 3"), "\(core)")

        // Created as core/v1, read through events.k8s.io/v1.
        #expect(try await k.ok("create", "-f", "-", stdin: Self.legacy).contains("event/pulled created"))
        #expect(try await k.ok("get", "events.v1.events.k8s.io", "pulled",
                               "-o", "jsonpath={.apiVersion} {.note} {.regarding.name} {.deprecatedCount} {.deprecatedSource.host}")
            == "events.k8s.io/v1 pulled the image other 3 node-1")

        // Upstream's printer columns, for all namespaces.
        let table = try await k.ok("get", "events.v1.events.k8s.io", "-A")
        let lines = table.split(separator: "\n")
        #expect(lines.first?.split(whereSeparator: \.isWhitespace) == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], "\(table)")
        #expect(lines.contains { $0.contains("Warning") && $0.contains("Pulled") && $0.contains("configmap/other") && $0.contains("pulled the image") }, "\(table)")
        #expect(lines.contains { $0.contains("Normal") && $0.contains("ScaledUp") && $0.contains("configmap/target") }, "\(table)")
        let wide = try await k.ok("get", "events.events.k8s.io", "pulled", "-o", "wide")
        #expect(wide.contains("kubelet, node-1") && wide.contains("COUNT"), "\(wide)")

        // Field selectors under events.k8s.io's names.
        #expect(try await k.ok("get", "events.events.k8s.io", "--field-selector", "regarding.name=target", "-o", "name") == "event.events.k8s.io/scaled\n")
        #expect(try await k.ok("get", "events.events.k8s.io", "--field-selector", "source=kubelet", "-o", "name") == "event.events.k8s.io/pulled\n")
        #expect(try await k.ok("get", "events.events.k8s.io", "--field-selector", "reportingController=example.com/scaler", "-o", "name")
            == "event.events.k8s.io/scaled\n")
        let unsupported = try await k.kubectl("get", "events.events.k8s.io", "--field-selector", "involvedObject.name=target")
        #expect(unsupported.status != 0 && unsupported.stderr.contains("field label not supported: involvedObject.name"), "\(unsupported)")

        // A write through one group is a write of the one object: patched through events.k8s.io, read through core.
        _ = try await k.ok("patch", "events.events.k8s.io", "pulled", "--type=merge", "-p", #"{"metadata":{"labels":{"seen":"yes"}}}"#)
        #expect(try await k.ok("get", "events", "-l", "seen=yes", "-o", "name") == "event/pulled\n")
        // …and strict validation makes everything but series and metadata immutable through events.k8s.io only.
        let immutable = try await k.kubectl("patch", "events.events.k8s.io", "scaled", "--type=merge", "-p", #"{"note":"changed"}"#)
        #expect(immutable.status != 0 && immutable.stderr.contains(#"message: Invalid value: "changed": field is immutable"#), "\(immutable)")
        _ = try await k.ok("patch", "event", "scaled", "--type=merge", "-p", #"{"message":"changed"}"#)
        #expect(try await k.ok("get", "events.events.k8s.io", "scaled", "-o", "jsonpath={.note}") == "changed")

        // Upstream's 422 for a create through events.k8s.io that breaks its rules.
        let invalid = try await k.kubectl("create", "-f", "-", stdin: Self.bad)
        #expect(invalid.status != 0, "\(invalid)")
        #expect(invalid.stderr.contains(#"The Event "bad" is invalid"#), "\(invalid)")
        #expect(invalid.stderr.contains("eventTime: Required value"), "\(invalid)")
        #expect(invalid.stderr.contains(#"type: Invalid value: "": has invalid value: Info"#), "\(invalid)")
        #expect(invalid.stderr.contains(#"count: Invalid value: "": needs to be unset"#), "\(invalid)")
        let raw = try await k.curl("POST", "/apis/events.k8s.io/v1/namespaces/default/events", body: #"{"metadata":{"name":"raw"},"eventTime":"2024-05-01T12:00:00.000000Z","type":"Normal","regarding":{"namespace":"default"}}"#)
        let status = try JSONValue(parsing: Data(raw.body.utf8))
        #expect(raw.code == 422 && status["reason"] == "Invalid", "\(raw)")
        #expect(status[path: ["details", "group"]] == "events.k8s.io" && status[path: ["details", "kind"]] == "Event", "\(raw)")
        #expect(status["message"]?.stringValue?.hasPrefix(#"Event.events.k8s.io "raw" is invalid: [reportingController: Required value, "#) == true, "\(raw)")
        #expect(try await k.kubectl("get", "events", "bad").stderr.contains("NotFound"))
    }

    /// The server's `--event-ttl` applies to Events written through events.k8s.io too, and a watch on one group sees
    /// the other's writes and the expiry.
    @Test(.timeLimit(.minutes(3)))
    func eventsWrittenThroughEitherGroupExpireAndAreWatchedThroughTheOther() async throws {
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--event-ttl", "3s"])
        let coreWatch = try k.watch("get", "events", "-w", "--output-watch-events")
        defer { coreWatch.stop() }
        let newWatch = try k.watch("get", "events.events.k8s.io", "-w", "--output-watch-events")
        defer { newWatch.stop() }
        try await Task.sleep(for: .seconds(1))
        _ = try await k.ok("create", "-f", "-", stdin: Self.newStyle)
        _ = try await k.ok("create", "-f", "-", stdin: Self.legacy)
        #expect(try await coreWatch.waitForOutput(containing: "scaled up to 3").contains("ADDED"))
        #expect(try await newWatch.waitForOutput(containing: "pulled the image").contains("ADDED"))
        try await waitFor("the events.k8s.io Event to expire", timeout: .seconds(60)) {
            (try? await k.kubectl("get", "events.events.k8s.io", "scaled"))?.stderr.contains("NotFound") == true
        }
        let deletions = try await coreWatch.waitForOutput(containing: "DELETED")
        #expect(deletions.contains("DELETED"), "\(deletions)")
    }

    /// Kubelets may write Events through either group (the Node authorizer's fixed rules, upstream's NodeRules, name
    /// both) but not read them; NodeRestriction leaves Events alone in both.
    @Test func nodesWriteEventsThroughEitherGroup() async throws {
        let k = try await KubectlHarness(controllers: false)
        let n1 = try KubeClient(configuration: k.server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        let regarding = ObjectReference(kind: "Node", name: "n1", apiVersion: "v1")
        let created = try await n1.create(EventsV1Event(
            metadata: ObjectMeta(name: "n1.starting", namespace: "default"), eventTime: .now(), reportingController: "kubelet",
            reportingInstance: "n1", action: "Start", reason: "Starting", regarding: regarding, note: "Starting kubelet.", type: "Normal"))
        #expect(created.apiVersion == "events.k8s.io/v1" && created.note == "Starting kubelet." && created.metadata.resourceVersion != nil)
        _ = try await n1.patch(EventsV1Event.self, name: "n1.starting", namespace: "default", patchType: .merge,
                               .object(["series": .object(["count": 2, "lastObservedTime": .string(MicroTime.now().description)])]))
        _ = try await n1.create(Event(metadata: ObjectMeta(name: "n1.ready", namespace: "default"), involvedObject: regarding,
                                      reason: "NodeReady", message: "ready", type: "Normal"))
        #expect(try await k.ok("get", "events.events.k8s.io", "n1.starting", "-o", "jsonpath={.series.count} {.note}") == "2 Starting kubelet.")
        do {
            _ = try await n1.list(EventsV1Event.self, namespace: "default")
            Issue.record("a node listed Events")
        } catch {
            #expect("\(error)".contains(#"events.events.k8s.io is forbidden: User "system:node:n1" cannot list resource "events" in API group "events.k8s.io" in the namespace "default""#), "\(error)")
        }
    }

    /// What client-go sends: an events.k8s.io/v1 Event as a protobuf body (`k8s\0` + runtime.Unknown), built here field
    /// by field from upstream's generated.proto numbers.
    @Test func protobufBodiesCreateEventsV1Events() async throws {
        let k = try await KubectlHarness(controllers: false)
        func varint(_ value: UInt64) -> [UInt8] {
            var v = value, out: [UInt8] = []
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            return out + [UInt8(v)]
        }
        func bytes(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] { varint(field << 3 | 2) + varint(UInt64(payload.count)) + payload }
        func string(_ field: UInt64, _ s: String) -> [UInt8] { bytes(field, Array(s.utf8)) }
        let event = bytes(1, string(1, "pb"))                                    // metadata.name
            + bytes(2, varint(1 << 3) + varint(1_714_564_800))                   // eventTime.seconds
            + string(4, "example.com/pb") + string(5, "pb-1") + string(6, "Test") + string(7, "Proto")
            + bytes(8, string(1, "ConfigMap") + string(2, "default") + string(3, "target"))  // regarding
            + string(10, "from protobuf") + string(11, "Normal")
        let body = Array("k8s".utf8) + [0] + bytes(1, string(1, "events.k8s.io/v1") + string(2, "Event")) + bytes(2, event)
            + string(3, "") + string(4, "")
        let file = try k.file("event.pb", "")
        try Data(body).write(to: URL(fileURLWithPath: file))
        let result = try await runCommand(which("curl") ?? "/usr/bin/curl", ["-s", "-X", "POST", "-H", "Content-Type: application/vnd.kubernetes.protobuf",
                                                                             "--data-binary", "@" + file] + k.server.curlTLSArguments
                                          + [k.server.url + "/apis/events.k8s.io/v1/namespaces/default/events"])
        let created = try JSONValue(parsing: Data(result.stdout.utf8))
        #expect(created["kind"] == "Event" && created["apiVersion"] == "events.k8s.io/v1" && created["note"] == "from protobuf", "\(result)")
        #expect(created["eventTime"] == "2024-05-01T12:00:00.000000Z", "\(result)")
        #expect(try await k.ok("get", "event", "pb", "-o", "jsonpath={.message} {.reportingComponent} {.involvedObject.name}")
            == "from protobuf example.com/pb target")
    }

    static let pythonScript = #"""
        import sys, json, threading, datetime
        from kubernetes import client, config, watch
        from kubernetes.client.rest import ApiException
        config.load_kube_config(config_file=sys.argv[1])
        core = client.CoreV1Api()
        events = client.EventsV1Api()
        now = datetime.datetime.now(datetime.timezone.utc)
        target = client.V1ObjectReference(kind="ConfigMap", name="target", namespace="default")
        created = events.create_namespaced_event("default", client.EventsV1Event(
            metadata=client.V1ObjectMeta(name="py-new"), event_time=now, reporting_controller="example.com/py",
            reporting_instance="py-1", action="Test", reason="Created", regarding=target, note="from events api", type="Normal"))
        print("created", created.api_version, created.kind, created.note, created.regarding.name)
        print("core", core.read_namespaced_event("py-new", "default").message)
        listed = events.list_event_for_all_namespaces()
        print("listed", sorted(e.metadata.name for e in listed.items))
        def write():
            core.create_namespaced_event("default", client.CoreV1Event(
                metadata=client.V1ObjectMeta(name="py-core"), involved_object=target, reason="Legacy", message="from core api",
                type="Warning", event_time=now, action="Test", reporting_component="example.com/py", reporting_instance="py-1"))
        threading.Timer(0.5, write).start()
        w = watch.Watch()
        for event in w.stream(events.list_event_for_all_namespaces, resource_version=listed.metadata.resource_version, timeout_seconds=20):
            print("watched", event["type"], event["object"].metadata.name, event["object"].note, event["object"].reporting_controller)
            w.stop()
        try:
            events.create_namespaced_event("default", client.EventsV1Event(
                metadata=client.V1ObjectMeta(name="py-bad"), event_time=now, regarding=target, type="Normal", action="Test", reason="Bad"))
        except ApiException as e:
            print("invalid", e.status, json.loads(e.body)["message"])
        """#

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: PythonClientTests.python), "hack/install-deps.sh installs the client"))
    func pythonClientUsesEventsV1Api() async throws {
        let server = try await ServerProcess(controllers: false)
        defer { server.stop() }
        let result = try await runCommand(PythonClientTests.python, ["-c", Self.pythonScript, server.kubeconfig], timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("created events.k8s.io/v1 Event from events api target"), "\(result)")
        #expect(result.stdout.contains("core from events api"), "\(result)")
        #expect(result.stdout.contains("listed ['py-new']"), "\(result)")
        #expect(result.stdout.contains("watched ADDED py-core from core api example.com/py"), "\(result)")
        #expect(result.stdout.contains(#"invalid 422 Event.events.k8s.io "py-bad" is invalid: [reportingController: Required value, "#), "\(result)")
        #expect(result.stdout.contains("reportingInstance: Required value"), "\(result)")
    }
}
