import EtcdAPI
import Foundation
import GRPCCore
import Logging

/// Watches: one etcd Watch stream per store watch, re-established from the last delivered revision when it breaks
/// (a member died, the leader changed), so a consumer sees every revision once and in order.
extension EtcdStore {
    /// How long a broken watch keeps trying to re-establish before it ends with an error (the client then re-lists).
    static let watchReconnectLimit: Duration = .seconds(30)

    public func watch(prefix: String, afterRevision after: Int64) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        if closed { throw StoreError.backend("the store is shutting down") }
        // etcd starts a watch at any revision and reports compaction only once it syncs; a read at the start revision
        // answers "compacted" and "future" at once, as SQLiteStore does (revision 0 means the beginning of history).
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
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(WatcherSet.liveBufferLimit))
        nextWatchID += 1
        let id = nextWatchID
        let feed = Task { [weak self] in
            await self?.feed(prefix: prefix, after: after, into: continuation)
            await self?.removeWatch(id)
        }
        watches[id] = OpenWatch(feed: feed, continuation: continuation)
        continuation.onTermination = { _ in feed.cancel() }
        return stream
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

    /// Feeds `continuation` from etcd Watch streams until the consumer goes away, re-watching after the last delivered
    /// revision whenever a stream breaks.
    private nonisolated func feed(prefix: String, after: Int64, into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation) async {
        var last = after
        let clock = ContinuousClock()
        var brokenSince: ContinuousClock.Instant?
        var attempt = 0
        while !Task.isCancelled {
            let end: StreamEnd
            do {
                end = try await stream(prefix: prefix, after: last, into: continuation)
            } catch {
                end = .broken(last: last, reason: Self.describe(error))
            }
            switch end {
            case .consumerGone:
                return
            case .compacted(let at, let compactRevision):
                continuation.finish(throwing: StoreError.compacted(requested: at, compactedRevision: compactRevision))
                return
            case .broken(let at, let reason):
                if Task.isCancelled { return }
                if at > last { brokenSince = nil; attempt = 0 }
                last = at
                let since = brokenSince ?? clock.now
                brokenSince = since
                if clock.now - since > Self.watchReconnectLimit {
                    continuation.finish(throwing: StoreError.backend(
                        "etcd \(endpointList): watch \(prefix) from revision \(last + 1): \(reason)"))
                    return
                }
                logger.debug("re-watching", metadata: ["prefix": "\(prefix)", "after": "\(last)", "reason": "\(reason)"])
                attempt += 1
                try? await Task.sleep(for: .milliseconds(min(50 * (1 << min(attempt, 5)), 1000)))
            }
        }
        continuation.finish()
    }

    /// One etcd Watch stream from `after + 1`, delivering its events until it ends.
    private nonisolated func stream(prefix: String, after: Int64,
                                    into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation) async throws -> StreamEnd {
        var create = Etcdserverpb_WatchRequest()
        create.createRequest.key = Data(prefix.utf8)
        create.createRequest.rangeEnd = Self.rangeEnd(prefix)
        create.createRequest.startRevision = after + 1
        create.createRequest.prevKv = true
        create.createRequest.progressNotify = true
        var options = Self.options()
        options.timeout = nil
        let (done, finishDone) = AsyncStream.makeStream(of: Void.self)
        return try await watchClient.watch(options: options) { [create] writer in
            try await writer.write(create)
            // The request side stays open as long as the stream is read.
            for await _ in done {}
        } onResponse: { response in
            defer { finishDone.finish() }
            var last = after
            do {
                for try await message in response.messages {
                    if message.compactRevision != 0 { return .compacted(last: last, compactRevision: message.compactRevision) }
                    if message.canceled { return .broken(last: last, reason: "cancelled: \(message.cancelReason)") }
                    if message.events.isEmpty {
                        // A progress notification: every event up to its revision has been sent.
                        if !message.created { last = max(last, message.header.revision) }
                        continue
                    }
                    for event in message.events {
                        let converted = Self.event(event)
                        switch continuation.yield(converted) {
                        case .enqueued: last = converted.revision
                        case .dropped:
                            continuation.finish()
                            return .consumerGone
                        case .terminated: return .consumerGone
                        @unknown default: return .consumerGone
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
                              previous: previous?.value)
        default:
            let kind: WatchEvent.Kind = event.kv.createRevision == event.kv.modRevision ? .create : .update
            return WatchEvent(kind: kind, current: KeyValue(event.kv), previous: kind == .update ? previous?.value : nil)
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
