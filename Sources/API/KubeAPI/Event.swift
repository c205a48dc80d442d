import Foundation

/// core/v1 `Event`: a report of something that happened to an object (what `kubectl describe` lists).
public struct Event: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "events", singular: "event", kind: "Event", namespaced: true, shortNames: ["ev"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    public var source: EventSource?
    public var firstTimestamp: Time?
    public var lastTimestamp: Time?
    public var count: Int32?
    /// `Normal` or `Warning`.
    public var type: String?
    public var eventTime: MicroTime?
    public var series: EventSeries?
    public var action: String?
    public var related: ObjectReference?
    public var reportingComponent: String
    public var reportingInstance: String

    public init(
        metadata: ObjectMeta = ObjectMeta(),
        involvedObject: ObjectReference = ObjectReference(),
        reason: String? = nil,
        message: String? = nil,
        source: EventSource? = nil,
        firstTimestamp: Time? = nil,
        lastTimestamp: Time? = nil,
        count: Int32? = nil,
        type: String? = nil,
        eventTime: MicroTime? = nil,
        series: EventSeries? = nil,
        action: String? = nil,
        related: ObjectReference? = nil,
        reportingComponent: String = "",
        reportingInstance: String = ""
    ) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.source = source
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.count = count
        self.type = type
        self.eventTime = eventTime
        self.series = series
        self.action = action
        self.related = related
        self.reportingComponent = reportingComponent
        self.reportingInstance = reportingInstance
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, involvedObject, reason, message, source, firstTimestamp, lastTimestamp, count, type, eventTime, series, action, related, reportingComponent, reportingInstance }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        involvedObject = try c.decodeIfPresent(ObjectReference.self, forKey: .involvedObject) ?? ObjectReference()
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        source = try c.decodeIfPresent(EventSource.self, forKey: .source)
        firstTimestamp = try c.decodeIfPresent(Time.self, forKey: .firstTimestamp)
        lastTimestamp = try c.decodeIfPresent(Time.self, forKey: .lastTimestamp)
        count = try c.decodeIfPresent(Int32.self, forKey: .count)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        eventTime = try c.decodeIfPresent(MicroTime.self, forKey: .eventTime)
        series = try c.decodeIfPresent(EventSeries.self, forKey: .series)
        action = try c.decodeIfPresent(String.self, forKey: .action)
        related = try c.decodeIfPresent(ObjectReference.self, forKey: .related)
        reportingComponent = try c.decodeIfPresent(String.self, forKey: .reportingComponent) ?? ""
        reportingInstance = try c.decodeIfPresent(String.self, forKey: .reportingInstance) ?? ""
    }
}

/// core/v1 `EventSource`: the component and host that reported an event.
public struct EventSource: Codable, Sendable, Hashable {
    public var component: String?
    public var host: String?

    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// core/v1 `EventSeries`: an isomorphic event that keeps recurring.
public struct EventSeries: Codable, Sendable, Hashable {
    public var count: Int32?
    public var lastObservedTime: MicroTime?

    public init(count: Int32? = nil, lastObservedTime: MicroTime? = nil) {
        self.count = count
        self.lastObservedTime = lastObservedTime
    }
}

extension Event {
    /// A core/v1 Event about an object from `component` (the kubelet, the scheduler, a controller), as
    /// `kubectl describe` lists them: named `<object>.<Unix nanoseconds in hex>` as client-go's recorder names them
    /// (so `kubectl get events` lists an object's events in the order they happened), the object as involved object (with `fieldPath` naming a
    /// container), count 1. Events about cluster-scoped objects (nodes) live in `default`, as upstream's do.
    public static func about<K: KubeObject>(_ object: K, type: String = "Normal", reason: String, message: String, component: String,
                                            host: String? = nil, fieldPath: String? = nil) -> Event {
        let now = Time.now()
        let namespace = object.metadata.namespace ?? "default"
        let name = object.metadata.name ?? K.resource.singular
        return Event(
            metadata: ObjectMeta(name: "\(name).\(String(eventNameNanoseconds(), radix: 16))", namespace: namespace),
            involvedObject: ObjectReference(kind: K.resource.kind, namespace: object.metadata.namespace, name: object.metadata.name,
                                            uid: object.metadata.uid, apiVersion: K.resource.groupVersion,
                                            resourceVersion: object.metadata.resourceVersion, fieldPath: fieldPath),
            reason: reason, message: message, source: EventSource(component: component, host: host),
            firstTimestamp: now, lastTimestamp: now, count: 1, type: type,
            reportingComponent: component, reportingInstance: host ?? component)
    }
}

/// Nanoseconds since the Unix epoch from the real-time clock: the suffix of an Event's name, as client-go's
/// `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`.
func eventNameNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
