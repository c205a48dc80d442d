import Foundation
import KubeAPI
import Testing
@testable import APIServer

/// Upstream's Event validation (pkg/apis/core/validation/events.go): legacy for core/v1 writes, strict on top for
/// events.k8s.io/v1, with upstream's field paths and messages.
@Suite struct EventValidationTests {
    static func fields(_ causes: [StatusCause]) -> [String] { causes.map { "\($0.field ?? ""): \($0.message ?? "")" } }

    static let good = EventsV1Event(
        metadata: ObjectMeta(name: "e", namespace: "shop"), eventTime: MicroTime(rfc3339: "2024-05-01T12:00:00.5Z"),
        reportingController: "example.com/ctl", reportingInstance: "ctl-1", action: "Scale", reason: "ScaledUp",
        regarding: ObjectReference(kind: "Deployment", namespace: "shop", name: "web"), note: "scaled", type: "Normal")

    @Test func aValidNewEventPasses() {
        #expect(EventsV1EventStrategy(ttl: nil).validate(Self.good, old: nil).isEmpty)
    }

    @Test func strictCreateNamesEveryProblem() {
        var bad = EventsV1Event(metadata: ObjectMeta(name: "e", namespace: "shop"), regarding: ObjectReference(kind: "Pod", name: "p"),
                                note: String(repeating: "n", count: 1025), type: "Info",
                                deprecatedFirstTimestamp: Time(rfc3339: "2024-05-01T12:00:00Z"), deprecatedCount: 2)
        bad.series = EventsV1EventSeries(count: 1)
        // No eventTime: the legacy checks of old-style Events (namespace agreement) apply, not the reporter's.
        #expect(Self.fields(EventsV1EventStrategy(ttl: nil).validate(bad, old: nil)) == [
            #"involvedObject.namespace: Invalid value: "": does not match event.namespace"#,
            #"series.count: Invalid value: "": should be at least 2"#,
            "series.lastObservedTime: Required value",
            "eventTime: Required value",
            #"type: Invalid value: "": has invalid value: Info"#,
            #"firstTimestamp: Invalid value: "": needs to be unset"#,
            #"count: Invalid value: "": needs to be unset"#,
        ])
        bad.eventTime = .now()
        bad.series = nil
        (bad.deprecatedFirstTimestamp, bad.deprecatedCount, bad.type) = (nil, nil, "Warning")
        bad.regarding.namespace = "shop"
        #expect(Self.fields(EventsV1EventStrategy(ttl: nil).validate(bad, old: nil)) == [
            "reportingController: Required value",
            #"reportingController: Invalid value: "": name part must be non-empty"#,
            #"reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
            "reportingInstance: Required value",
            "action: Required value",
            "reason: Required value",
            #"message: Invalid value: "": can have at most 1024 characters"#,
        ])
    }

    @Test func coreWritesGetOnlyTheLegacyRules() {
        let strategy = EventStrategy(ttl: nil)
        var old = Event(metadata: ObjectMeta(name: "e", namespace: "shop"), involvedObject: ObjectReference(kind: "Pod", namespace: "shop", name: "p"),
                        reason: "Pulled", message: "pulled", firstTimestamp: .now(), count: 3, type: "Custom")
        #expect(strategy.validate(old, old: nil).isEmpty)
        old.involvedObject.namespace = "other"
        #expect(Self.fields(strategy.validate(old, old: nil)) == [#"involvedObject.namespace: Invalid value: "other": does not match event.namespace"#])
        // Events about cluster-scoped objects live in default.
        let node = Event(metadata: ObjectMeta(name: "n", namespace: "default"), involvedObject: ObjectReference(kind: "Node", name: "n1"))
        #expect(strategy.validate(node, old: nil).isEmpty)
    }

    @Test func strictUpdatesKeepAllButSeriesAndMetadata() {
        var changed = Self.good
        changed.metadata.labels = ["may": "change"]
        changed.series = EventsV1EventSeries(count: 2, lastObservedTime: .now())
        #expect(EventsV1EventStrategy(ttl: nil).validate(changed, old: Self.good).isEmpty)
        changed.note = "other"
        changed.regarding.name = "db"
        changed.deprecatedCount = 4
        #expect(Self.fields(EventsV1EventStrategy(ttl: nil).validate(changed, old: Self.good)) == [
            #"involvedObject: Invalid value: core.ObjectReference{Kind:"Deployment", Namespace:"shop", Name:"db", UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable"#,
            #"message: Invalid value: "other": field is immutable"#,
            "count: Invalid value: 4: field is immutable",
        ])
        // The same write through core/v1 is allowed.
        #expect(EventStrategy(ttl: nil).validate(changed.coreEvent, old: Self.good.coreEvent).isEmpty)
    }

    @Test func goValuesPrintAsUpstreamsFieldErrors() {
        #expect(GoValue.time(MicroTime(rfc3339: "2024-05-01T12:00:00.5Z")?.date, fractional: true) == "2024-05-01 12:00:00.5 +0000 UTC")
        #expect(GoValue.time(Time(rfc3339: "2024-05-01T12:00:00Z")?.date, fractional: false) == "2024-05-01 12:00:00 +0000 UTC")
        #expect(GoValue.time(nil, fractional: false) == "0001-01-01 00:00:00 +0000 UTC")
        #expect(GoValue.source(nil) == #"core.EventSource{Component:"", Host:""}"#)
    }
}
