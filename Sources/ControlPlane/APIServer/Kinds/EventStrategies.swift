import Foundation
import KubeAPI

/// core/v1 Events print LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, live `ttl` after their last write (upstream's
/// `--event-ttl`, 1 h by default, so a busy cluster's Events do not pile up in the store) and pass upstream's legacy
/// Event validation.
struct EventStrategy: ResourceStrategy {
    typealias Object = Event
    let ttl: Duration?

    func validate(_ event: Event, old: Event?) -> [StatusCause] {
        old.map { EventValidation.validateUpdate(event, old: $0, strict: false) } ?? EventValidation.validateCreate(event, strict: false)
    }
    func timeToLive(_ event: Event) -> Duration? { ttl }
    var table: TableConverter<Event> { Printers.event }
}

/// events.k8s.io/v1 Events: a second API view over the core/v1 Events in the store (one storage, as upstream's
/// events.k8s.io REST storage is core's), converted field by field on every read and write, so an Event written
/// through either group is read and watched through both. Creates and updates through this group get upstream's
/// strict validation on top of the legacy one; the TTL and the table are core's.
struct EventsV1EventStrategy: ResourceStrategy {
    typealias Object = EventsV1Event
    typealias Stored = Event
    let ttl: Duration?

    func stored(_ event: EventsV1Event) -> Event { event.coreEvent }
    func served(_ event: Event) -> EventsV1Event { EventsV1Event(event) }

    func validate(_ event: EventsV1Event, old: EventsV1Event?) -> [StatusCause] {
        guard let old else { return EventValidation.validateCreate(event.coreEvent, strict: true) }
        return EventValidation.validateUpdate(event.coreEvent, old: old.coreEvent, strict: true)
    }
    func timeToLive(_ event: EventsV1Event) -> Duration? { ttl }
    var table: TableConverter<EventsV1Event> {
        let core = Printers.event
        return TableConverter(columns: core.columns) { event, now in core.row(event.coreEvent, now) }
    }
}

/// Upstream's Event validation (pkg/apis/core/validation/events.go), on the core/v1 form whatever group the write
/// came through, with upstream's field paths (core's names: `message`, `involvedObject.namespace`, but
/// `reportingController`, the internal name) and messages. `strict` is for writes through events.k8s.io/v1.
enum EventValidation {
    static let reportingInstanceLengthLimit = 128
    static let actionLengthLimit = 128
    static let reasonLengthLimit = 128
    static let noteLengthLimit = 1024

    /// ValidateEventCreate: the legacy rules always; for events.k8s.io/v1 also a valid series, `eventTime` set, type
    /// Normal or Warning and none of the deprecated core fields set.
    static func validateCreate(_ event: Event, strict: Bool) -> [StatusCause] {
        var causes = legacy(event)
        guard strict else { return causes }
        causes += series(event)
        if event.eventTime == nil { causes.append(required("eventTime")) }
        if event.type != "Normal", event.type != "Warning" { causes.append(invalid("type", "", "has invalid value: \(event.type ?? "")")) }
        if event.firstTimestamp != nil { causes.append(invalid("firstTimestamp", "", "needs to be unset")) }
        if event.lastTimestamp != nil { causes.append(invalid("lastTimestamp", "", "needs to be unset")) }
        if (event.count ?? 0) != 0 { causes.append(invalid("count", "", "needs to be unset")) }
        if !(event.source?.component ?? "").isEmpty || !(event.source?.host ?? "").isEmpty {
            causes.append(invalid("source", "", "needs to be unset"))
        }
        return causes
    }

    /// ValidateEventUpdate: the legacy rules always; for events.k8s.io/v1 also a changed series valid and everything
    /// but the series and metadata immutable.
    static func validateUpdate(_ event: Event, old: Event, strict: Bool) -> [StatusCause] {
        var causes = legacy(event)
        guard strict else { return causes }
        if event.series != old.series { causes += series(event) }
        // Compared as Go sees them (an absent string is empty, an absent source the zero struct): by their printed values.
        func immutable<T>(_ field: String, _ keyPath: KeyPath<Event, T>, _ render: (T) -> String) {
            let value = render(event[keyPath: keyPath])
            if value != render(old[keyPath: keyPath]) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): field is immutable", field: field))
            }
        }
        let string = { (s: String?) in GoQuoted.string(s ?? "") }
        immutable("involvedObject", \.involvedObject, GoValue.reference)
        immutable("reason", \.reason, string)
        immutable("message", \.message, string)
        immutable("source", \.source, GoValue.source)
        immutable("firstTimestamp", \.firstTimestamp) { GoValue.time($0?.date, fractional: false) }
        immutable("lastTimestamp", \.lastTimestamp) { GoValue.time($0?.date, fractional: false) }
        immutable("count", \.count) { "\($0 ?? 0)" }
        // Upstream checks reason twice.
        immutable("reason", \.reason, string)
        immutable("type", \.type, string)
        immutable("eventTime", \.eventTime) { GoValue.time($0?.date, fractional: true) }
        immutable("action", \.action, string)
        immutable("related", \.related) { $0.map(GoValue.reference) ?? "null" }
        immutable("reportingController", \.reportingComponent, GoQuoted.string)
        immutable("reportingInstance", \.reportingInstance, GoQuoted.string)
        return causes
    }

    /// legacyValidateEvent: an Event without `eventTime` (the old API) must be in its object's namespace (or
    /// `default` for cluster-scoped objects); one with it must name its reporter, action and reason within the
    /// length limits.
    static func legacy(_ event: Event) -> [StatusCause] {
        var causes: [StatusCause] = []
        let namespace = event.metadata.namespace ?? ""
        let involvedNamespace = event.involvedObject.namespace ?? ""
        let mismatch = invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace")
        if event.eventTime == nil {
            if involvedNamespace.isEmpty ? !(namespace.isEmpty || namespace == "default") : namespace != involvedNamespace {
                causes.append(mismatch)
            }
        } else {
            if involvedNamespace.isEmpty, namespace != "default", namespace != "kube-system" { causes.append(mismatch) }
            let controller = event.reportingComponent
            if controller.isEmpty { causes.append(required("reportingController")) }
            causes += LabelValidation.qualifiedNameErrors(controller).map { invalid("reportingController", controller, $0) }
            let instance = event.reportingInstance
            if instance.isEmpty { causes.append(required("reportingInstance")) }
            if instance.utf8.count > reportingInstanceLengthLimit {
                causes.append(invalid("reportingInstance", "", "can have at most \(reportingInstanceLengthLimit) characters"))
            }
            let action = event.action ?? ""
            if action.isEmpty { causes.append(required("action")) }
            if action.utf8.count > actionLengthLimit { causes.append(invalid("action", "", "can have at most \(actionLengthLimit) characters")) }
            let reason = event.reason ?? ""
            if reason.isEmpty { causes.append(required("reason")) }
            if reason.utf8.count > reasonLengthLimit { causes.append(invalid("reason", "", "can have at most \(reasonLengthLimit) characters")) }
            if (event.message ?? "").utf8.count > noteLengthLimit {
                causes.append(invalid("message", "", "can have at most \(noteLengthLimit) characters"))
            }
        }
        causes += LabelValidation.dns1123SubdomainErrors(namespace).map { invalid("namespace", namespace, $0) }
        return causes
    }

    /// validateV1EventSeries: a series counts at least 2 occurrences and says when it saw the last.
    static func series(_ event: Event) -> [StatusCause] {
        guard let series = event.series else { return [] }
        var causes: [StatusCause] = []
        if (series.count ?? 0) < 2 { causes.append(invalid("series.count", "", "should be at least 2")) }
        if series.lastObservedTime == nil { causes.append(required("series.lastObservedTime")) }
        return causes
    }

    static func required(_ field: String) -> StatusCause {
        StatusCause(reason: "FieldValueRequired", message: "Required value", field: field)
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(GoQuoted.string(value)): \(detail)", field: field)
    }
}

/// Values as upstream's field errors print them (`field.Error`: times by `time.Time.String`, structs by Go's `%#v`;
/// strings are `GoQuoted`), for the messages of immutable Event fields.
enum GoValue {
    /// `2024-05-01 12:00:00.5 +0000 UTC` (the zero time when nil); fractional seconds only for MicroTime.
    static func time(_ date: Date?, fractional: Bool) -> String {
        guard let date else { return "0001-01-01 00:00:00 +0000 UTC" }
        var text = RFC3339.format(date, fractionalDigits: fractional ? 6 : 0).replacingOccurrences(of: "T", with: " ")
        text.removeLast() // "Z"
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + " +0000 UTC"
    }

    static func reference(_ r: ObjectReference) -> String {
        let fields = [("Kind", r.kind), ("Namespace", r.namespace), ("Name", r.name), ("UID", r.uid), ("APIVersion", r.apiVersion),
                      ("ResourceVersion", r.resourceVersion), ("FieldPath", r.fieldPath)]
        return "core.ObjectReference{" + fields.map { "\($0.0):\(GoQuoted.string($0.1 ?? ""))" }.joined(separator: ", ") + "}"
    }

    static func source(_ s: EventSource?) -> String {
        "core.EventSource{Component:\(GoQuoted.string(s?.component ?? "")), Host:\(GoQuoted.string(s?.host ?? ""))}"
    }
}
