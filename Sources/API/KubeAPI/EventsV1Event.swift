import Foundation

/// events.k8s.io/v1 `Event`: the same objects as core/v1 ``Event``, served under the newer API's field names
/// (`note`, `regarding`, `reportingController`, the `deprecated…` copies of the old counters). The API server keeps
/// one store of Events and converts each one field by field, as upstream's `pkg/apis/events/v1` conversion does:
///
/// ```swift
/// let view = EventsV1Event(core)        // involvedObject → regarding, message → note, count → deprecatedCount, …
/// let back = view.coreEvent             // and the reverse; core → v1 → core is the identity
/// ```
///
/// The Swift name follows the client libraries' (`EventsV1Event`); the kind is `Event`.
public struct EventsV1Event: KubeObject {
    public static let resource = ResourceInfo(group: "events.k8s.io", version: "v1", plural: "events", singular: "event", kind: "Event",
                                              namespaced: true, shortNames: ["ev"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// When the Event was first observed; required for Events created through this API.
    public var eventTime: MicroTime?
    /// Data about the series of isomorphic Events this one stands for; nil for a singleton.
    public var series: EventsV1EventSeries?
    /// The controller that emitted the Event (`kubernetes.io/kubelet`); core/v1's `reportingComponent`.
    public var reportingController: String?
    /// The instance of that controller (`kubelet-xyzf`).
    public var reportingInstance: String?
    /// What was done, or failed, about the regarding object.
    public var action: String?
    /// Why the action was taken.
    public var reason: String?
    /// The object the Event is about; core/v1's `involvedObject`.
    public var regarding: ObjectReference
    /// A second object, for more complex actions.
    public var related: ObjectReference?
    /// A human-readable description; core/v1's `message`.
    public var note: String?
    /// `Normal` or `Warning`.
    public var type: String?
    /// core/v1's `source`, kept for compatibility.
    public var deprecatedSource: EventSource?
    /// core/v1's `firstTimestamp`.
    public var deprecatedFirstTimestamp: Time?
    /// core/v1's `lastTimestamp`.
    public var deprecatedLastTimestamp: Time?
    /// core/v1's `count`.
    public var deprecatedCount: Int32?

    public init(
        metadata: ObjectMeta = ObjectMeta(),
        eventTime: MicroTime? = nil,
        series: EventsV1EventSeries? = nil,
        reportingController: String? = nil,
        reportingInstance: String? = nil,
        action: String? = nil,
        reason: String? = nil,
        regarding: ObjectReference = ObjectReference(),
        related: ObjectReference? = nil,
        note: String? = nil,
        type: String? = nil,
        deprecatedSource: EventSource? = nil,
        deprecatedFirstTimestamp: Time? = nil,
        deprecatedLastTimestamp: Time? = nil,
        deprecatedCount: Int32? = nil
    ) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.eventTime = eventTime
        self.series = series
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.action = action
        self.reason = reason
        self.regarding = regarding
        self.related = related
        self.note = note
        self.type = type
        self.deprecatedSource = deprecatedSource
        self.deprecatedFirstTimestamp = deprecatedFirstTimestamp
        self.deprecatedLastTimestamp = deprecatedLastTimestamp
        self.deprecatedCount = deprecatedCount
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, eventTime, series, reportingController, reportingInstance, action, reason, regarding, related,
             note, type, deprecatedSource, deprecatedFirstTimestamp, deprecatedLastTimestamp, deprecatedCount
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        eventTime = try c.decodeIfPresent(MicroTime.self, forKey: .eventTime)
        series = try c.decodeIfPresent(EventsV1EventSeries.self, forKey: .series)
        reportingController = try c.decodeIfPresent(String.self, forKey: .reportingController)
        reportingInstance = try c.decodeIfPresent(String.self, forKey: .reportingInstance)
        action = try c.decodeIfPresent(String.self, forKey: .action)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        regarding = try c.decodeIfPresent(ObjectReference.self, forKey: .regarding) ?? ObjectReference()
        related = try c.decodeIfPresent(ObjectReference.self, forKey: .related)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        deprecatedSource = try c.decodeIfPresent(EventSource.self, forKey: .deprecatedSource)
        deprecatedFirstTimestamp = try c.decodeIfPresent(Time.self, forKey: .deprecatedFirstTimestamp)
        deprecatedLastTimestamp = try c.decodeIfPresent(Time.self, forKey: .deprecatedLastTimestamp)
        deprecatedCount = try c.decodeIfPresent(Int32.self, forKey: .deprecatedCount)
    }
}

/// events.k8s.io/v1 `EventSeries`: how often, and until when, an isomorphic Event kept recurring (core/v1's
/// ``EventSeries`` under its own schema name).
public struct EventsV1EventSeries: Codable, Sendable, Hashable {
    /// The number of occurrences so far (at least 2 for a series).
    public var count: Int32?
    /// When the last occurrence was observed.
    public var lastObservedTime: MicroTime?

    public init(count: Int32? = nil, lastObservedTime: MicroTime? = nil) {
        self.count = count
        self.lastObservedTime = lastObservedTime
    }
}

// MARK: Conversion (upstream's pkg/apis/events/v1 conversion.go)

extension EventsV1Event {
    /// The events.k8s.io/v1 view of a core/v1 Event: `involvedObject` → `regarding`, `message` → `note`,
    /// `reportingComponent` → `reportingController`, `source`/`firstTimestamp`/`lastTimestamp`/`count` → their
    /// `deprecated…` fields; the others keep their names.
    public init(_ event: Event) {
        self.init(
            metadata: event.metadata, eventTime: event.eventTime,
            series: event.series.map { EventsV1EventSeries(count: $0.count, lastObservedTime: $0.lastObservedTime) },
            reportingController: event.reportingComponent.isEmpty ? nil : event.reportingComponent,
            reportingInstance: event.reportingInstance.isEmpty ? nil : event.reportingInstance,
            action: event.action, reason: event.reason, regarding: event.involvedObject, related: event.related,
            note: event.message, type: event.type, deprecatedSource: event.source,
            deprecatedFirstTimestamp: event.firstTimestamp, deprecatedLastTimestamp: event.lastTimestamp, deprecatedCount: event.count)
    }

    /// The core/v1 form of this Event (the reverse of ``init(_:)``), as the store keeps it.
    public var coreEvent: Event {
        Event(metadata: metadata, involvedObject: regarding, reason: reason, message: note, source: deprecatedSource,
              firstTimestamp: deprecatedFirstTimestamp, lastTimestamp: deprecatedLastTimestamp, count: deprecatedCount, type: type,
              eventTime: eventTime, series: series.map { EventSeries(count: $0.count, lastObservedTime: $0.lastObservedTime) },
              action: action, related: related, reportingComponent: reportingController ?? "", reportingInstance: reportingInstance ?? "")
    }
}

extension EventsV1Event: FieldSelectable {
    /// Upstream's field label conversion for events.k8s.io/v1 Events: core/v1's fields under their new names
    /// (`regarding.*`, `reportingController`) plus `source`, which has no field here any more.
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union([
        "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion",
        "regarding.resourceVersion", "regarding.fieldPath", "reason", "reportingController", "source", "type",
    ])

    /// core/v1's values (`source` the deprecated source's component, else the reporting controller) under the new names.
    public var fieldValues: [String: String] {
        let core = coreEvent.fieldValues
        var f = metadataFieldValues
        for field in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
            f["regarding." + field] = core["involvedObject." + field] ?? ""
        }
        f["reason"] = core["reason"] ?? ""
        f["reportingController"] = core["reportingComponent"] ?? ""
        f["source"] = core["source"] ?? ""
        f["type"] = core["type"] ?? ""
        return f
    }
}
