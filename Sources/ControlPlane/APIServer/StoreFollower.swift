import Logging
import Store
import Synchronization

/// Keeps an in-memory view of one store prefix in step with the store, as an informer does: it lists the prefix (in
/// pages, at one revision), then follows a watch from the list's revision — re-watching from the last applied event
/// when a watch ends (the store's history fills the gap) and re-listing when that history is gone or the watch failed.
///
/// The view itself belongs to the owner, which hands in `Handlers`: `reset` replaces it with a whole listing, `apply`
/// changes it by one event. The follower tracks how far the view is known to be current: `applied` (the list's or last
/// event's revision, where a watch resumes) and `reached` (also past the revisions the watch reported as passed when
/// asked with `requestProgress`), so an owner that must not answer from a stale view can wait for a revision even when
/// nothing under its prefix changes.
final class StoreFollower: Sendable {
    /// What the follower does with what it reads.
    struct Handlers: Sendable {
        /// Replaces the owner's view with every key under the prefix, as of `revision`.
        var reset: @Sendable (_ items: [KeyValue], _ revision: Int64) async throws -> Void
        /// Applies one change.
        var apply: @Sendable (WatchEvent) async throws -> Void
        /// Runs each time a watch opens, before its first event (a failure re-lists).
        var watching: @Sendable () async throws -> Void = {}
        /// Called after `reached` moved forward, with its new value.
        var advanced: @Sendable (Int64) -> Void = { _ in }
    }

    let store: any Store
    let prefix: String
    let logger: Logger
    /// How a page of the initial list is sized.
    let pageSize: Int
    private let positions = Mutex<(applied: Int64, reached: Int64)>((0, 0))
    /// The open watch, and whether progress was asked for while none was open.
    private let watch = Mutex<(open: ProgressWatch?, asked: Bool)>((nil, false))

    init(store: any Store, prefix: String, logger: Logger, pageSize: Int = 500) {
        self.store = store
        self.prefix = prefix
        self.logger = logger
        self.pageSize = pageSize
    }

    /// The revision of the list or the last event applied.
    var applied: Int64 { positions.withLock { $0.applied } }

    /// The revision up to which every change under the prefix is known to be applied.
    var reached: Int64 { positions.withLock { $0.reached } }

    /// Lists the prefix at one revision and hands it to `reset`.
    func load(_ handlers: Handlers) async throws {
        var items: [KeyValue] = []
        var startAfter: String?
        var revision: Int64?
        repeat {
            let page = try await store.list(prefix: prefix, startAfter: startAfter, limit: pageSize, revision: revision)
            revision = page.revision
            items += page.items
            startAfter = page.hasMore ? page.items.last?.key : nil
        } while startAfter != nil
        let listed = revision ?? 0
        try await handlers.reset(items, listed)
        let reached = positions.withLock { p in
            p = (listed, max(p.reached, listed))
            return p.reached
        }
        handlers.advanced(reached)
    }

    /// Follows the store until cancelled.
    func follow(_ handlers: Handlers) async {
        while !Task.isCancelled {
            do {
                let opened = try await store.watchWithProgress(prefix: prefix, afterRevision: applied)
                let asked = watch.withLock { w in
                    defer { w = (opened, false) }
                    return w.asked
                }
                defer { watch.withLock { $0.open = nil } }
                if asked { await opened.requestProgress() }
                try await handlers.watching()
                for try await update in opened.updates {
                    let reached: Int64
                    switch update {
                    case .event(let event):
                        try await handlers.apply(event)
                        reached = positions.withLock { p in
                            p = (max(p.applied, event.revision), max(p.reached, event.revision))
                            return p.reached
                        }
                    case .progress(let revision):
                        reached = positions.withLock { p in
                            p.reached = max(p.reached, revision)
                            return p.reached
                        }
                    }
                    handlers.advanced(reached)
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.debug("store watch ended; re-listing", metadata: ["prefix": "\(prefix)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(500))
                do { try await load(handlers) } catch {
                    logger.debug("store re-list failed", metadata: ["prefix": "\(prefix)", "error": "\(error)"])
                }
            }
        }
    }

    /// Asks the watch to report how far it has got (the next one to open, when none is).
    func requestProgress() async {
        let open = watch.withLock { w in
            if w.open == nil { w.asked = true }
            return w.open
        }
        await open?.requestProgress()
    }
}
