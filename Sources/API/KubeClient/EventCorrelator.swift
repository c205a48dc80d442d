import Foundation
import KubeAPI
import Synchronization

/// Filters, aggregates and de-duplicates Events before they are written, as client-go's `EventCorrelator`
/// (tools/record/events_cache.go) does with its defaults:
///
/// - **De-duplication**: an Event identical to one recorded before (same source, involved object, type, reason and
///   message) becomes a strategic merge patch of the existing Event — `count + 1`, a new `lastTimestamp` — instead of
///   a new object, so `kubectl describe` shows "(x12 over 5m)".
/// - **Aggregation**: once 10 Events that differ only in their message are seen about one object for one reason
///   within 10 minutes, the rest are folded into one Event whose message starts "(combined from similar events): ".
/// - **Spam filter**: each source may record a burst of 25 Events about one object, then one every 5 minutes
///   (a token bucket per source and object); Events over that are dropped.
///
/// Each of the three caches keeps at most 4096 entries, forgetting the least recently used, so memory stays
/// bounded however many objects a component reports on. Thread-safe; one correlator serves one component.
public final class EventCorrelator: Sendable {
    /// The limits, upstream's defaults unless a test says otherwise.
    public struct Options: Sendable {
        /// Entries per cache (upstream's `maxLruCacheEntries`).
        public var cacheSize = 4096
        /// Events a source may record about one object at once (upstream's `defaultSpamBurst`).
        public var spamBurst = 25
        /// Tokens per second the spam filter's bucket refills (`defaultSpamQPS`, one every 5 minutes).
        public var spamQPS = 1.0 / 300.0
        /// Distinct messages in the interval from which similar Events are aggregated (`defaultAggregateMaxEvents`).
        public var aggregateMaxEvents = 10
        /// How long after the last similar Event the aggregation count starts over (`defaultAggregateIntervalInSeconds`).
        public var aggregateInterval: TimeInterval = 600

        public init() {}
    }

    /// What to write for one recorded Event.
    public enum Outcome: Sendable, Equatable {
        /// Create `event` (the first of its kind, or the first aggregate).
        case create(Event)
        /// Patch the existing Event `event.metadata.name` with `patch` (strategic merge); create `event` instead if it
        /// is gone (404), as client-go does.
        case patch(Event, patch: JSONValue)
        /// Dropped by the spam filter.
        case skip
    }

    private struct AggregateRecord {
        var messages: Set<String>
        var last: Date
    }

    private struct Observation {
        var count: Int32
        var firstTimestamp: Time?
        var name: String
        var resourceVersion: String?
    }

    private struct State {
        var spam: LRUCache<String, TokenBucket>
        var aggregates: LRUCache<String, AggregateRecord>
        var observations: LRUCache<String, Observation>
    }

    private let options: Options
    private let clock: @Sendable () -> Date
    private let state: Mutex<State>

    /// `clock` gives the current time (tests move it by hand).
    public init(options: Options = Options(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.options = options
        self.clock = clock
        state = Mutex(State(spam: LRUCache(capacity: options.cacheSize), aggregates: LRUCache(capacity: options.cacheSize),
                            observations: LRUCache(capacity: options.cacheSize)))
    }

    /// Decides how `event` is written: aggregate, then count against earlier observations, then filter spam —
    /// upstream's `EventCorrelate` order.
    public func correlate(_ event: Event) -> Outcome {
        let now = clock()
        return state.withLock { state in
            let (aggregated, key) = aggregate(event, now: now, state: &state)
            let (observed, patch) = observe(aggregated, key: key, state: &state)
            if isSpam(observed, now: now, state: &state) { return .skip }
            return patch.map { .patch(observed, patch: $0) } ?? .create(observed)
        }
    }

    /// Records the Event as the server returned it (its name and resourceVersion after a create or patch), as
    /// upstream's `UpdateState`.
    public func updateState(_ event: Event) {
        state.withLock { state in
            state.observations.set(Self.eventKey(event), Observation(
                count: event.count ?? 1, firstTimestamp: event.firstTimestamp, name: event.metadata.name ?? "",
                resourceVersion: event.metadata.resourceVersion))
        }
    }

    // MARK: Keys (upstream's getEventKey, getSpamKey, EventAggregatorByReasonFunc)

    /// Everything that makes two Events the same occurrence.
    static func eventKey(_ e: Event) -> String {
        [e.source?.component, e.source?.host, e.involvedObject.kind, e.involvedObject.namespace, e.involvedObject.name,
         e.involvedObject.fieldPath, e.involvedObject.uid, e.involvedObject.apiVersion, e.type, e.reason, e.message]
            .map { $0 ?? "" }.joined()
    }

    /// The source and object the spam filter counts Events by.
    static func spamKey(_ e: Event) -> String {
        [e.source?.component, e.source?.host, e.involvedObject.kind, e.involvedObject.namespace, e.involvedObject.name,
         e.involvedObject.uid, e.involvedObject.apiVersion].map { $0 ?? "" }.joined()
    }

    /// Events with the same aggregate key differ only in their message.
    static func aggregateKey(_ e: Event) -> String {
        [e.source?.component, e.source?.host, e.involvedObject.kind, e.involvedObject.namespace, e.involvedObject.name,
         e.involvedObject.uid, e.involvedObject.apiVersion, e.type, e.reason, e.reportingComponent, e.reportingInstance]
            .map { $0 ?? "" }.joined()
    }

    // MARK: The three stages

    /// Upstream's `EventAggregate`: the Event itself keyed by its full key, or — from the 10th distinct message in the
    /// interval — a new "(combined from similar events)" Event keyed by the aggregate key.
    private func aggregate(_ event: Event, now: Date, state: inout State) -> (Event, String) {
        let key = Self.aggregateKey(event)
        var record = state.aggregates.get(key) ?? AggregateRecord(messages: [], last: .distantPast)
        if now.timeIntervalSince(record.last) > options.aggregateInterval {
            record = AggregateRecord(messages: [], last: now)
        }
        record.messages.insert(event.message ?? "")
        record.last = now
        guard record.messages.count >= options.aggregateMaxEvents else {
            state.aggregates.set(key, record)
            return (event, Self.eventKey(event))
        }
        // Do not grow the set past the limit (upstream pops any one message).
        record.messages.remove(record.messages.first!)
        state.aggregates.set(key, record)
        let time = Time(now)
        let nanos = UInt64(now.timeIntervalSince1970 * 1e9)
        let combined = Event(
            metadata: ObjectMeta(name: "\(event.involvedObject.name ?? "").\(String(nanos, radix: 16))", namespace: event.metadata.namespace),
            involvedObject: event.involvedObject, reason: event.reason, message: "(combined from similar events): \(event.message ?? "")",
            source: event.source, firstTimestamp: time, lastTimestamp: time, count: 1, type: event.type)
        return (combined, key)
    }

    /// Upstream's `eventObserve`: a second sighting of `key` becomes a patch of the first Event with the count one
    /// higher, the new lastTimestamp and message.
    private func observe(_ event: Event, key: String, state: inout State) -> (Event, JSONValue?) {
        var event = event
        var patch: JSONValue?
        if let last = state.observations.get(key), last.count > 0 {
            event.metadata.name = last.name
            event.metadata.resourceVersion = last.resourceVersion
            event.firstTimestamp = last.firstTimestamp
            event.count = last.count + 1
            // The two-way strategic merge patch upstream computes between the Event without count, lastTimestamp
            // and message and the Event with them.
            var fields: [String: JSONValue] = ["count": .int(Int64(last.count + 1))]
            if let message = event.message, !message.isEmpty { fields["message"] = .string(message) }
            if let lastTimestamp = event.lastTimestamp { fields["lastTimestamp"] = .string(lastTimestamp.description) }
            patch = .object(fields)
        }
        state.observations.set(key, Observation(count: event.count ?? 1, firstTimestamp: event.firstTimestamp,
                                                name: event.metadata.name ?? "", resourceVersion: event.metadata.resourceVersion))
        return (event, patch)
    }

    /// Upstream's `EventSourceObjectSpamFilter.Filter`: a token bucket per source and object, starting full.
    private func isSpam(_ event: Event, now: Date, state: inout State) -> Bool {
        let key = Self.spamKey(event)
        var bucket = state.spam.get(key) ?? TokenBucket(qps: options.spamQPS, burst: options.spamBurst, now: now)
        let accepted = bucket.tryAccept(now: now)
        state.spam.set(key, bucket)
        return !accepted
    }
}
