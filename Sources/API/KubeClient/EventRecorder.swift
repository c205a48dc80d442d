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
/// waiting, as upstream's broadcaster queue; more are dropped) and never hold up the caller. As client-go's
/// `recordToSink`: a write that got no answer from the server (connection refused, a dropped connection) is tried
/// again, up to 12 times, `retryInterval` apart (the first wait a random part of it, so clients that lost the same
/// server do not come back at once); one the server rejected is logged and not retried. Copies of a recorder share
/// one correlator and one queue.
public struct EventRecorder: Sendable {
    /// The reporting component (`kubelet`, `daemonset-controller`, `node-controller`).
    public let component: String
    /// The node the component runs on, for the kubelet's events.
    public let host: String?
    let sink: EventSink

    /// Upstream's `defaultSleepDuration`, the wait between tries of a write the server did not answer.
    public static let defaultRetryInterval = Duration.seconds(10)

    public init(client: KubeClient, component: String, host: String? = nil, retryInterval: Duration = defaultRetryInterval,
                logger: Logger) {
        self.component = component
        self.host = host
        sink = EventSink(client: client, correlator: EventCorrelator(), retryInterval: retryInterval, logger: logger)
    }

    /// Records an event about `object` (about one of its containers when `fieldPath` names it), with `annotations` on
    /// the Event itself (upstream's `AnnotatedEventf`).
    public func record<K: KubeObject>(_ object: K, _ type: String = "Normal", reason: String, message: String, fieldPath: String? = nil,
                                      annotations: [String: String]? = nil) {
        var event = Event.about(object, type: type, reason: reason, message: message, component: component, host: host, fieldPath: fieldPath)
        event.metadata.annotations = annotations
        sink.enqueue(event)
    }
}

/// Writes recorded Events one at a time, in the order they were recorded, through the correlator: upstream's
/// `recordToSink` / `recordEvent`. A drain task runs while Events are waiting and ends when none are.
final class EventSink: Sendable {
    /// Upstream's `maxQueuedEvents`: the broadcaster drops Events beyond this many waiting.
    static let maxQueued = 1000
    /// Upstream's `maxTriesPerEvent`.
    static let maxTries = 12

    private struct Queue {
        var events: [Event] = []
        var draining = false
    }

    private let client: KubeClient
    private let correlator: EventCorrelator
    private let retryInterval: Duration
    private let logger: Logger
    private let queue = Mutex(Queue())

    init(client: KubeClient, correlator: EventCorrelator, retryInterval: Duration, logger: Logger) {
        self.client = client
        self.correlator = correlator
        self.retryInterval = retryInterval
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

    /// Upstream's `recordToSink`: correlate once, then write, trying again while the server gives no answer.
    private func write(_ event: Event) async {
        let send: () async throws -> Event
        switch correlator.correlate(event) {
        case .skip:
            logger.debug("event dropped by the spam filter", metadata: ["reason": "\(event.reason ?? "")", "object": "\(event.involvedObject.name ?? "")"])
            return
        case .create(let event):
            send = { try await self.client.create(event) }
        case .patch(let event, let patch):
            send = { try await self.patchOrCreate(event, patch) }
        }
        for attempt in 1...Self.maxTries {
            do {
                correlator.updateState(try await send())
                return
            } catch {
                // Only a request that got no answer is tried again (while the client is open); an answer (an API
                // error) or a request that could not be made will be the same next time.
                guard case KubeClientError.transport = error, !client.isShutDown else {
                    logger.debug("server rejected event (will not retry)", metadata: ["reason": "\(event.reason ?? "")", "error": "\(error)"])
                    return
                }
                guard attempt < Self.maxTries else {
                    logger.warning("unable to write event (retry limit exceeded)", metadata: [
                        "reason": "\(event.reason ?? "")", "object": "\(event.involvedObject.name ?? "")", "error": "\(error)"])
                    return
                }
                logger.debug("event not written, trying again", metadata: ["reason": "\(event.reason ?? "")", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: attempt == 1 ? retryInterval * Double.random(in: 0..<1) : retryInterval)
            }
        }
    }

    /// Upstream's `recordEvent` for a repeat: patch the Event it repeats, or create it again if that was deleted.
    private func patchOrCreate(_ event: Event, _ patch: JSONValue) async throws -> Event {
        do {
            return try await client.patch(Event.self, name: event.metadata.name ?? "", namespace: event.metadata.namespace,
                                          patchType: .strategicMerge, patch)
        } catch {
            guard error.isNotFound else { throw error }
        }
        var recreated = event
        recreated.metadata.resourceVersion = nil
        return try await client.create(recreated)
    }
}
