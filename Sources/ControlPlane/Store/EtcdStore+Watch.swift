import EtcdAPI
import Foundation
import GRPCCore
import Logging
import Synchronization

/// Watches: one etcd Watch stream per store watch, re-established from the last delivered revision when it breaks
/// (a member died, the leader changed), so a consumer sees every revision once and in order.
extension EtcdStore {
    /// How long a broken watch keeps trying to re-establish before it ends with an error (the client then re-lists).
    static let watchReconnectLimit: Duration = .seconds(30)
    /// How long after a watch opens its progress answers are held back (ten times etcd's watcher sync interval).
    static let progressSyncGrace: Duration = .seconds(1)

    public func watch(prefix: String, afterRevision after: Int64) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await checkStart(prefix: prefix, after: after)
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(WatcherSet.liveBufferLimit))
        start(prefix: prefix, after: after, sink: .events(continuation), progress: nil)
        return stream
    }

    /// A watch whose progress requests go to etcd as `WatchProgressRequest`s on its Watch stream. etcd answers with the
    /// revision it has reached; before etcd 3.4.26 (etcd#15220) that answer could overtake events still queued for
    /// the stream — history being replayed to a new watch, for up to etcd's 100 ms sync loop, or (a window of
    /// microseconds) a live event — so it is held back while the watch may be replaying, and never used as the point
    /// to resume from.
    public func watchWithProgress(prefix: String, afterRevision after: Int64) async throws -> ProgressWatch {
        try await checkStart(prefix: prefix, after: after)
        let (stream, continuation) = AsyncThrowingStream<WatchUpdate, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(WatcherSet.liveBufferLimit))
        let requests = ProgressRequests()
        start(prefix: prefix, after: after, sink: .updates(continuation), progress: requests)
        return ProgressWatch(updates: stream) { requests.request() }
    }

    /// etcd starts a watch at any revision and reports compaction only once it syncs; a read at the start revision
    /// answers "compacted" and "future" at once, as SQLiteStore does (revision 0 means the beginning of history).
    private func checkStart(prefix: String, after: Int64) async throws {
        if closed { throw StoreError.backend("the store is shutting down") }
        var probe = Etcdserverpb_RangeRequest()
        probe.key = Data(prefix.utf8)
        probe.rangeEnd = Self.rangeEnd(prefix)
        probe.countOnly = true
        probe.revision = max(after, 1)
        do {
            _ = try await read(at: probe.revision, prefix: prefix) { [kv, probe] in try await kv.range(probe, options: Self.options()) }
        } catch StoreError.compacted(_, let compacted) {
            throw StoreError.compacted(requested: after, compactedRevision: compacted)
        }
    }

    private func start(prefix: String, after: Int64, sink: WatchSink, progress: ProgressRequests?) {
        nextWatchID += 1
        let id = nextWatchID
        let feed = Task { [weak self] in
            await self?.feed(prefix: prefix, after: after, into: sink, progress: progress)
            await self?.removeWatch(id)
        }
        watches[id] = OpenWatch(feed: feed, sink: sink)
        sink.onTermination { feed.cancel() }
    }

    /// The number of open watches (for tests).
    public var watcherCount: Int { watches.count }

    private func removeWatch(_ id: Int) { watches[id] = nil }

    /// How one etcd Watch stream ended.
    private enum StreamEnd: Sendable {
        /// The stream broke or etcd cancelled it; resume after `last`.
        case broken(last: Int64, reason: String)
        /// History after `last` is compacted away.
        case compacted(last: Int64, compactRevision: Int64)
        /// The consumer went away or fell behind (its stream is finished).
        case consumerGone
    }

    /// Feeds `sink` from etcd Watch streams until the consumer goes away, re-watching after the last delivered
    /// revision whenever a stream breaks.
    private nonisolated func feed(prefix: String, after: Int64, into sink: WatchSink, progress: ProgressRequests?) async {
        var last = after
        let clock = ContinuousClock()
        var brokenSince: ContinuousClock.Instant?
        var attempt = 0
        while !Task.isCancelled {
            let end: StreamEnd
            do {
                end = try await stream(prefix: prefix, after: last, into: sink, progress: progress)
            } catch {
                end = .broken(last: last, reason: Self.describe(error))
            }
            switch end {
            case .consumerGone:
                return
            case .compacted(let at, let compactRevision):
                sink.finish(throwing: StoreError.compacted(requested: at, compactedRevision: compactRevision))
                return
            case .broken(let at, let reason):
                if Task.isCancelled { return }
                if at > last { brokenSince = nil; attempt = 0 }
                last = at
                let since = brokenSince ?? clock.now
                brokenSince = since
                if clock.now - since > Self.watchReconnectLimit {
                    sink.finish(throwing: StoreError.backend(
                        "etcd \(endpointList): watch \(prefix) from revision \(last + 1): \(reason)"))
                    return
                }
                logger.debug("re-watching", metadata: ["prefix": "\(prefix)", "after": "\(last)", "reason": "\(reason)"])
                attempt += 1
                try? await Task.sleep(for: .milliseconds(min(50 * (1 << min(attempt, 5)), 1000)))
            }
        }
        sink.finish()
    }

    /// One etcd Watch stream from `after + 1`, delivering its events (and answers to progress requests) until it ends.
    private nonisolated func stream(prefix: String, after: Int64, into sink: WatchSink, progress: ProgressRequests?) async throws -> StreamEnd {
        var create = Etcdserverpb_WatchRequest()
        create.createRequest.key = Data(prefix.utf8)
        create.createRequest.rangeEnd = Self.rangeEnd(prefix)
        create.createRequest.startRevision = after + 1
        create.createRequest.prevKv = true
        create.createRequest.progressNotify = true
        var options = Self.options()
        options.timeout = nil
        // The request side stays open as long as the stream is read, and carries the consumer's progress requests.
        let (requests, requestWriter) = AsyncStream.makeStream(of: Void.self)
        if progress?.attach(requestWriter) == true { requestWriter.yield() }
        return try await watchClient.watch(options: options) { [create] writer in
            try await writer.write(create)
            for await _ in requests {
                var request = Etcdserverpb_WatchRequest()
                request.progressRequest = Etcdserverpb_WatchProgressRequest()
                try await writer.write(request)
            }
        } onResponse: { response in
            defer {
                progress?.detach()
                requestWriter.finish()
            }
            var last = after
            // A watch starting at or before etcd's revision is "unsynced" until etcd's sync loop (every 100 ms) has
            // replayed its history; until then etcd before 3.4.26 answers a progress request at its current revision
            // ahead of that history (etcd#15220). So answers are passed on only for a watch that started past etcd's
            // revision, or once a grace period has gone by (the request is repeated then).
            let opened = ContinuousClock.now
            var synced = false
            do {
                for try await message in response.messages {
                    if message.compactRevision != 0 { return .compacted(last: last, compactRevision: message.compactRevision) }
                    if message.canceled { return .broken(last: last, reason: "cancelled: \(message.cancelReason)") }
                    if message.created {
                        synced = after >= message.header.revision
                        continue
                    }
                    if message.events.isEmpty {
                        // A progress notification: every event up to its revision has been sent. The periodic ones
                        // (this watch's id) come in order with the events; a requested one (id -1) may not on older
                        // etcd, so it only goes to the consumer, and only once the watch is synced.
                        if message.watchID != -1 {
                            last = max(last, message.header.revision)
                        } else if !synced {
                            if ContinuousClock.now - opened < Self.progressSyncGrace {
                                if let progress {
                                    Task {
                                        try? await Task.sleep(for: Self.progressSyncGrace)
                                        progress.request()
                                    }
                                }
                                continue
                            }
                            synced = true
                        }
                        switch sink.progress(message.header.revision) {
                        case .enqueued: continue
                        case .dropped:
                            sink.finish()
                            return .consumerGone
                        case .terminated: return .consumerGone
                        }
                    }
                    for event in message.events {
                        let converted = Self.event(event)
                        switch sink.deliver(converted) {
                        case .enqueued: last = converted.revision
                        case .dropped:
                            sink.finish()
                            return .consumerGone
                        case .terminated: return .consumerGone
                        }
                    }
                }
                return .broken(last: last, reason: "the stream ended")
            } catch {
                return .broken(last: last, reason: Self.describe(error))
            }
        }
    }

    /// A store event from an etcd one (with `prev_kv`): a put whose key was created at its revision is a create, a
    /// delete carries the last value.
    static func event(_ event: Mvccpb_Event) -> WatchEvent {
        let previous = event.hasPrevKv ? event.prevKv : nil
        switch event.type {
        case .delete:
            return WatchEvent(kind: .delete,
                              current: KeyValue(key: String(decoding: event.kv.key, as: UTF8.self), value: previous?.value ?? Data(),
                                                createRevision: previous?.createRevision ?? 0, modRevision: event.kv.modRevision),
                              previous: previous?.value, previousRevision: previous?.modRevision)
        default:
            let kind: WatchEvent.Kind = event.kv.createRevision == event.kv.modRevision ? .create : .update
            return kind == .update
                ? WatchEvent(kind: kind, current: KeyValue(event.kv), previous: previous?.value, previousRevision: previous?.modRevision)
                : WatchEvent(kind: kind, current: KeyValue(event.kv), previous: nil)
        }
    }

    /// The revision etcd has compacted history to, found with a watch from revision 1 (etcd answers such a watch with
    /// its compact revision; there is no other call that tells it cheaply).
    func compactedRevision(prefix: String) async throws -> Int64 {
        var create = Etcdserverpb_WatchRequest()
        create.createRequest.key = Data(prefix.utf8)
        create.createRequest.rangeEnd = Self.rangeEnd(prefix)
        create.createRequest.startRevision = 1
        let (done, finishDone) = AsyncStream.makeStream(of: Void.self)
        let revision = try await watchClient.watch(options: Self.options(timeout: .seconds(5))) { [create] writer in
            try await writer.write(create)
            for await _ in done {}
        } onResponse: { response -> Int64 in
            defer { finishDone.finish() }
            for try await message in response.messages {
                if message.compactRevision != 0 { return message.compactRevision }
                if !message.events.isEmpty { return 0 }
            }
            return 0
        }
        return revision
    }
}

/// A progress watch's requests, relayed to whichever etcd Watch stream feeds it now; one made while no stream is open
/// is sent as soon as the next one opens.
final class ProgressRequests: Sendable {
    private let state = Mutex<(writer: AsyncStream<Void>.Continuation?, pending: Bool)>((nil, false))

    func request() {
        state.withLock { state in
            if let writer = state.writer { writer.yield() } else { state.pending = true }
        }
    }

    /// Makes `writer` the stream requests go to; true when one is waiting to be sent.
    func attach(_ writer: AsyncStream<Void>.Continuation) -> Bool {
        state.withLock { state in
            state.writer = writer
            defer { state.pending = false }
            return state.pending
        }
    }

    func detach() {
        state.withLock { $0.writer = nil }
    }
}
