import Foundation
import KubeAPI
import Logging
import Synchronization

/// Records core/v1 Events about objects (upstream's `record.EventRecorder` with its broadcaster's sink), as
/// `kubectl describe` and `kubectl get events` show them — the kubelet's Pulling/Started/BackOff …, the controllers'
/// SuccessfulCreate/Completed ….
///
/// Each Event goes through an ``EventCorrelator`` first: a repeat of an earlier Event patches it (count + 1) instead
/// of creating another, similar Events are aggregated and a source's spam about one object is dropped, as
/// client-go's recorder does. Fire and forget: the writes happen in order on a background task (at most 1,000
/// waiting, as upstream's broadcaster queue; more are dropped), a failed write is logged, never retried, and never
/// holds up the caller. Copies of a recorder share one correlator and one queue.
public struct EventRecorder: Sendable {
    /// The reporting component (`kubelet`, `daemonset-controller`, `node-controller`).
    public let component: String
    /// The node the component runs on, for the kubelet's events.
    public let host: String?
    let sink: EventSink

    public init(client: KubeClient, component: String, host: String? = nil, logger: Logger) {
        self.component = component
        self.host = host
        sink = EventSink(client: client, correlator: EventCorrelator(), logger: logger)
    }

    /// Records an event about `object` (about one of its containers when `fieldPath` names it).
    public func record<K: KubeObject>(_ object: K, _ type: String = "Normal", reason: String, message: String, fieldPath: String? = nil) {
        sink.enqueue(Event.about(object, type: type, reason: reason, message: message, component: component, host: host, fieldPath: fieldPath))
    }
}

/// Writes recorded Events one at a time, in the order they were recorded, through the correlator: upstream's
/// `recordToSink` / `recordEvent`. A drain task runs while Events are waiting and ends when none are.
final class EventSink: Sendable {
    /// Upstream's `maxQueuedEvents`: the broadcaster drops Events beyond this many waiting.
    static let maxQueued = 1000

    private struct Queue {
        var events: [Event] = []
        var draining = false
    }

    private let client: KubeClient
    private let correlator: EventCorrelator
    private let logger: Logger
    private let queue = Mutex(Queue())

    init(client: KubeClient, correlator: EventCorrelator, logger: Logger) {
        self.client = client
        self.correlator = correlator
        self.logger = logger
    }

    func enqueue(_ event: Event) {
        enum Admission { case startDrain, queued, dropped }
        let admission = queue.withLock { queue -> Admission in
            guard queue.events.count < Self.maxQueued else { return .dropped }
            queue.events.append(event)
            if queue.draining { return .queued }
            queue.draining = true
            return .startDrain
        }
        switch admission {
        case .startDrain: Task { await drain() }
        case .queued: break
        case .dropped: logger.debug("event dropped, queue full", metadata: ["reason": "\(event.reason ?? "")"])
        }
    }

    private func drain() async {
        while let event = queue.withLock({ queue -> Event? in
            if queue.events.isEmpty {
                queue.draining = false
                return nil
            }
            return queue.events.removeFirst()
        }) {
            await write(event)
        }
    }

    /// Upstream's `recordEvent`: patch a repeat, create the rest (and a repeat whose Event was deleted meanwhile).
    private func write(_ event: Event) async {
        do {
            let written: Event
            switch correlator.correlate(event) {
            case .skip:
                logger.debug("event dropped by the spam filter", metadata: ["reason": "\(event.reason ?? "")", "object": "\(event.involvedObject.name ?? "")"])
                return
            case .create(let event):
                written = try await client.create(event)
            case .patch(var event, let patch):
                do {
                    written = try await client.patch(Event.self, name: event.metadata.name ?? "", namespace: event.metadata.namespace,
                                                     patchType: .strategicMerge, patch)
                } catch where error.isNotFound {
                    event.metadata.resourceVersion = nil
                    written = try await client.create(event)
                }
            }
            correlator.updateState(written)
        } catch {
            logger.debug("event not recorded", metadata: ["reason": "\(event.reason ?? "")", "error": "\(error)"])
        }
    }
}
