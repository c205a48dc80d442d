import Foundation
import Testing
@testable import KubeAPI

/// events.k8s.io/v1 `Event` ↔ core/v1 `Event`, field by field as upstream's pkg/apis/events/v1 conversion.
@Suite struct EventsV1ConversionTests {
    /// A core Event with every field set.
    static let core: Event = {
        let meta = ObjectMeta(name: "web-0.17c9", namespace: "shop", uid: "u1", labels: ["a": "b"])
        return Event(
            metadata: meta,
            involvedObject: ObjectReference(kind: "Pod", namespace: "shop", name: "web-0", uid: "p1", apiVersion: "v1",
                                            resourceVersion: "99", fieldPath: "spec.containers{web}"),
            reason: "BackOff", message: "Back-off restarting failed container web",
            source: EventSource(component: "kubelet", host: "node-1"),
            firstTimestamp: Time(rfc3339: "2024-05-01T12:00:00Z"), lastTimestamp: Time(rfc3339: "2024-05-01T12:10:00Z"),
            count: 7, type: "Warning", eventTime: MicroTime(rfc3339: "2024-05-01T12:00:00.123456Z"),
            series: EventSeries(count: 6, lastObservedTime: MicroTime(rfc3339: "2024-05-01T12:10:00.654321Z")),
            action: "Restarting", related: ObjectReference(kind: "Node", name: "node-1"),
            reportingComponent: "kubernetes.io/kubelet", reportingInstance: "kubelet-node-1")
    }()

    @Test func coreToV1RenamesEveryField() throws {
        let v1 = EventsV1Event(Self.core)
        #expect(v1.apiVersion == "events.k8s.io/v1" && v1.kind == "Event")
        #expect(v1.metadata == Self.core.metadata)
        #expect(v1.regarding == Self.core.involvedObject)
        #expect(v1.note == "Back-off restarting failed container web")
        #expect(v1.reason == "BackOff" && v1.action == "Restarting" && v1.type == "Warning")
        #expect(v1.related == ObjectReference(kind: "Node", name: "node-1"))
        #expect(v1.reportingController == "kubernetes.io/kubelet" && v1.reportingInstance == "kubelet-node-1")
        #expect(v1.deprecatedSource == EventSource(component: "kubelet", host: "node-1"))
        #expect(v1.deprecatedFirstTimestamp?.description == "2024-05-01T12:00:00Z")
        #expect(v1.deprecatedLastTimestamp?.description == "2024-05-01T12:10:00Z")
        #expect(v1.deprecatedCount == 7)
        #expect(v1.eventTime?.description == "2024-05-01T12:00:00.123456Z")
        #expect(v1.series == EventsV1EventSeries(count: 6, lastObservedTime: MicroTime(rfc3339: "2024-05-01T12:10:00.654321Z")))
        // The wire form uses the new names only.
        let json = try JSONValue(parsing: KubeJSON.encode(v1))
        #expect(json["note"] == "Back-off restarting failed container web" && json["message"] == nil)
        #expect(json[path: ["regarding", "name"]] == "web-0" && json["involvedObject"] == nil)
        #expect(json["reportingController"] == "kubernetes.io/kubelet" && json["reportingComponent"] == nil)
        #expect(json["deprecatedCount"] == .int(7) && json["count"] == nil)
        #expect(json[path: ["deprecatedSource", "host"]] == "node-1" && json["source"] == nil)
    }

    @Test func roundTripsBothWays() throws {
        var core = Self.core
        #expect(EventsV1Event(core).coreEvent == core)
        // A new-style Event: no deprecated fields, no series.
        let v1 = try KubeJSON.decode(EventsV1Event.self, from: Data(#"""
            {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e", "namespace": "shop"},
             "eventTime": "2024-05-01T12:00:00.000001Z", "reportingController": "example.com/ctl", "reportingInstance": "ctl-1",
             "action": "Scale", "reason": "ScaledUp", "regarding": {"kind": "Deployment", "name": "web", "namespace": "shop"},
             "note": "scaled to 3", "type": "Normal"}
            """#.utf8))
        core = v1.coreEvent
        #expect(core.apiVersion == "v1" && core.message == "scaled to 3" && core.involvedObject.name == "web")
        #expect(core.reportingComponent == "example.com/ctl" && core.source == nil && core.count == nil && core.firstTimestamp == nil)
        #expect(EventsV1Event(core) == v1)
        #expect(try KubeJSON.encode(EventsV1Event(core)) == KubeJSON.encode(v1))
    }

    @Test func fieldSelectorsUseTheNewNamesWithSourceFallingBackToTheReportingController() throws {
        var event = Self.core
        let v1 = EventsV1Event(event)
        #expect(FieldSelector.selectableFields(of: EventsV1Event.self) == [
            "metadata.name", "metadata.namespace", "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
            "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath", "reason", "reportingController", "source", "type",
        ])
        #expect(try FieldSelector(parsing: "regarding.name=web-0,reportingController=kubernetes.io/kubelet,source=kubelet,type=Warning").matches(v1))
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "involvedObject.name=web-0").validate(for: EventsV1Event.self) }
        event.source = nil
        #expect(EventsV1Event(event).fieldValues["source"] == "kubernetes.io/kubelet")
    }
}
