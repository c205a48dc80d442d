import Foundation
import KubeAPI
@testable import KubeClient
import Synchronization
import Testing
import TestSupport

/// client-go's EventCorrelator behaviour: counting repeats, aggregating similar Events, the spam filter's token
/// bucket and the bounded caches — with a clock the test moves.
@Suite struct EventCorrelatorTests {
    final class ManualClock: Sendable {
        private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var date: Date { now.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    }

    static let pod: Pod = {
        var pod = Pod(metadata: ObjectMeta(name: "web", namespace: "default"))
        pod.metadata.uid = "uid-1"
        return pod
    }()

    static func event(_ reason: String = "BackOff", _ message: String = "Back-off restarting failed container app in pod web_default(uid-1)",
                      about pod: Pod = pod) -> Event {
        Event.about(pod, type: "Warning", reason: reason, message: message, component: "kubelet", host: "node-1")
    }

    /// What the server answers to a write: the Event as stored, with a resourceVersion.
    static func stored(_ event: Event, revision: Int) -> Event {
        var event = event
        event.metadata.resourceVersion = String(revision)
        return event
    }

    @Test func aRepeatPatchesTheFirstEventWithTheCountOneHigher() throws {
        let clock = ManualClock()
        let correlator = EventCorrelator(clock: { clock.date })
        guard case .create(let first) = correlator.correlate(Self.event()) else { Issue.record("the first is created"); return }
        #expect(first.count == 1)
        correlator.updateState(Self.stored(first, revision: 10))

        clock.advance(30)
        var repeated = Self.event()
        repeated.lastTimestamp = Time(clock.date)
        guard case .patch(let second, let patch) = correlator.correlate(repeated) else { Issue.record("a repeat is a patch"); return }
        #expect(second.metadata.name == first.metadata.name, "the existing Event is patched, not a new name")
        #expect(second.count == 2)
        #expect(second.firstTimestamp == first.firstTimestamp)
        #expect(patch == ["count": 2, "lastTimestamp": .string(Time(clock.date).description), "message": .string(repeated.message ?? "")])
        correlator.updateState(Self.stored(second, revision: 11))

        guard case .patch(let third, let patch3) = correlator.correlate(Self.event()) else { Issue.record("again a patch"); return }
        #expect(third.count == 3 && patch3["count"] == 3)
        // Another container's event (another fieldPath) is an Event of its own.
        var other = Self.event()
        other.involvedObject.fieldPath = "spec.containers{sidecar}"
        guard case .create = correlator.correlate(other) else { Issue.record("another field path is new"); return }
    }

    @Test func similarEventsAreAggregatedFromTheTenthDistinctMessageWithinTenMinutes() throws {
        let clock = ManualClock()
        let correlator = EventCorrelator(clock: { clock.date })
        for i in 1...9 {
            guard case .create(let e) = correlator.correlate(Self.event("FailedMount", "volume \(i) failed")) else {
                Issue.record("message \(i) is an Event of its own"); return
            }
            correlator.updateState(e)
            clock.advance(1)
        }
        // Another reason is another aggregate.
        guard case .create = correlator.correlate(Self.event("Unhealthy", "probe failed")) else { Issue.record("another reason"); return }
        guard case .create(let combined) = correlator.correlate(Self.event("FailedMount", "volume 10 failed")) else {
            Issue.record("the tenth starts the aggregate"); return
        }
        #expect(combined.message == "(combined from similar events): volume 10 failed")
        #expect(combined.metadata.name?.hasPrefix("web.") == true && combined.metadata.name != Self.event().metadata.name)
        #expect(combined.count == 1 && combined.reason == "FailedMount" && combined.type == "Warning")
        #expect(combined.involvedObject == Self.event().involvedObject && combined.source == EventSource(component: "kubelet", host: "node-1"))
        correlator.updateState(Self.stored(combined, revision: 20))
        guard case .patch(let next, let patch) = correlator.correlate(Self.event("FailedMount", "volume 11 failed")) else {
            Issue.record("later similar ones count on the aggregate"); return
        }
        #expect(next.metadata.name == combined.metadata.name && next.count == 2)
        #expect(patch["message"] == "(combined from similar events): volume 11 failed")
        // Ten minutes without a similar Event: counting starts over.
        clock.advance(601)
        guard case .create(let fresh) = correlator.correlate(Self.event("FailedMount", "volume 12 failed")) else {
            Issue.record("after the interval, an Event of its own"); return
        }
        #expect(fresh.message == "volume 12 failed")
    }

    @Test func aSourceMayBurst25EventsAboutAnObjectThenOneEveryFiveMinutes() {
        let clock = ManualClock()
        let correlator = EventCorrelator(clock: { clock.date })
        // Distinct reasons, so nothing is aggregated: only the spam filter drops.
        for i in 1...25 {
            #expect(correlator.correlate(Self.event("Reason\(i)", "m")) != .skip, "event \(i) is within the burst")
        }
        #expect(correlator.correlate(Self.event("Reason26", "m")) == .skip)
        // The same source about another object has a bucket of its own.
        var other = Self.pod
        other.metadata.name = "db"
        other.metadata.uid = "uid-2"
        #expect(correlator.correlate(Self.event("Reason26", "m", about: other)) != .skip)
        clock.advance(299)
        #expect(correlator.correlate(Self.event("Reason27", "m")) == .skip)
        clock.advance(1)
        #expect(correlator.correlate(Self.event("Reason27", "m")) != .skip, "one token every 300 s")
        #expect(correlator.correlate(Self.event("Reason28", "m")) == .skip)
    }

    @Test func theCachesForgetTheLeastRecentlyUsedEntries() {
        var options = EventCorrelator.Options()
        options.cacheSize = 2
        let correlator = EventCorrelator(options: options)
        let pods = ["a", "b", "c"].map { name -> Pod in
            var pod = Self.pod
            pod.metadata.name = name
            return pod
        }
        for pod in pods {
            guard case .create(let e) = correlator.correlate(Self.event(about: pod)) else { Issue.record("new"); return }
            correlator.updateState(e)
        }
        // "a" was pushed out by "c"; "c" is remembered.
        guard case .create = correlator.correlate(Self.event(about: pods[0])) else { Issue.record("a was forgotten"); return }
        guard case .patch = correlator.correlate(Self.event(about: pods[2])) else { Issue.record("c is remembered"); return }

        var cache = LRUCache<String, Int>(capacity: 2)
        cache.set("x", 1)
        cache.set("y", 2)
        #expect(cache.get("x") == 1)
        cache.set("z", 3)
        #expect(cache.get("y") == nil, "y was the least recently used")
        #expect(cache.get("x") == 1 && cache.get("z") == 3 && cache.count == 2)
        cache.set("x", 4)
        cache.set("w", 5)
        #expect(cache.get("z") == nil && cache.get("x") == 4 && cache.get("w") == 5)
    }

    /// Against a real server: repeats become one Event whose count rises, through PATCH; an Event deleted meanwhile
    /// (404 on the patch) is created again, as client-go's recordEvent does.
    @Test func theRecorderPatchesRepeatsAndRecreatesADeletedEvent() async throws {
        try await withTestServer { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let owner = try await client.create(ConfigMap(metadata: ObjectMeta(name: "owner", namespace: "default")))
            let recorder = EventRecorder(client: client, component: "test-controller", logger: server.logger)
            func events() async throws -> [Event] {
                try await client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=owner")).items
            }
            for _ in 0..<3 { recorder.record(owner, "Warning", reason: "Stuck", message: "still stuck") }
            #expect(try await eventually { try await events().first?.count == 3 })
            let one = try await events()
            #expect(one.count == 1, "\(one.map { "\($0.metadata.name ?? "") x\($0.count ?? 0)" })")
            let name = try #require(one.first?.metadata.name)
            try await client.delete(Event.self, name: name, namespace: "default")
            recorder.record(owner, "Warning", reason: "Stuck", message: "still stuck")
            #expect(try await eventually { try await events().first?.count == 4 })
            #expect(try await events().map(\.metadata.name) == [name])
        }
    }

    /// As client-go's recordToSink: a write the server never answered is tried again until the server is back, and
    /// one it rejected is not (the next Event is written at once instead of waiting behind retries).
    @Test func theRecorderRetriesWritesTheServerDidNotAnswerButNotOnesItRejected() async throws {
        try await withTestServer { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let owner = try await client.create(ConfigMap(metadata: ObjectMeta(name: "owner", namespace: "default")))
            func events(_ name: String) async throws -> [Event] {
                try await client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=\(name)")).items
            }
            // Rejected: an Event in a namespace that does not exist (404), then one that is written at once.
            let patient = EventRecorder(client: client, component: "test-controller", retryInterval: .seconds(60), logger: server.logger)
            var elsewhere = owner
            elsewhere.metadata.namespace = "no-such-namespace"
            patient.record(elsewhere, reason: "Nowhere", message: "rejected")
            patient.record(owner, reason: "Next", message: "written after the rejected one")
            #expect(try await eventually { try await events("owner").contains { $0.reason == "Next" } })

            // Unanswered: the server is down while the Event is recorded, and back on the same address later.
            let recorder = EventRecorder(client: client, component: "test-controller", retryInterval: .milliseconds(500), logger: server.logger)
            server.process.kill()
            recorder.record(owner, "Warning", reason: "WhileDown", message: "recorded while the server was down")
            try await Task.sleep(for: .seconds(1))
            try await server.restart()
            #expect(try await eventually(timeout: .seconds(20)) {
                (try? await events("owner"))?.contains { $0.reason == "WhileDown" && $0.message == "recorded while the server was down" } == true
            })
        }
    }
}
