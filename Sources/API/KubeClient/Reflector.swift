import KubeAPI
import Logging

/// What a `Reflector` reports: the full state after a LIST, then the changes a WATCH sees.
public enum ReflectorDelta<K: KubeObject>: Sendable, Equatable {
    /// Everything that exists at `resourceVersion`; objects not in `items` are gone.
    case replace([K], resourceVersion: String)
    /// One ADDED, MODIFIED or DELETED change (bookmarks only move the reflector's resourceVersion).
    case event(WatchEvent<K>)
}

/// Keeps a consumer in step with the server: LIST, then WATCH from the list's resourceVersion, as upstream's
/// `cache.Reflector` does.
///
/// - A watch the server ends cleanly (its timeout) is resumed from the last resourceVersion seen, bookmarks
///   included, without re-listing.
/// - 410 Gone (history compacted) re-lists at once, unless it follows another failure with no event in between.
/// - Any other failure, or a watch that ends at once without events, re-lists after an exponential backoff that a
///   successful event resets.
public struct Reflector<K: KubeObject>: Sendable {
    let source: any ListerWatcher<K>
    let backoff: Backoff
    let logger: Logger

    public init(_ source: any ListerWatcher<K>, backoff: Backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30)),
                logger: Logger) {
        self.source = source
        self.backoff = backoff
        self.logger = logger
    }

    /// Runs until the task is cancelled, handing each delta to `deliver` in order.
    public func run(_ deliver: @Sendable (ReflectorDelta<K>) async -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let list = try await source.list()
                var resourceVersion = list.metadata.resourceVersion ?? ""
                await deliver(.replace(list.items, resourceVersion: resourceVersion))
                logger.debug("listed", metadata: ["kind": "\(K.resource.kind)", "count": "\(list.items.count)",
                                                  "resourceVersion": "\(resourceVersion)"])
                while !Task.isCancelled {
                    let started = ContinuousClock.now
                    var received = false
                    for try await event in source.watch(resourceVersion: resourceVersion) {
                        received = true
                        failures = 0
                        if let rv = event.resourceVersion, !rv.isEmpty { resourceVersion = rv }
                        if case .bookmark = event { continue }
                        await deliver(.event(event))
                    }
                    if !received, ContinuousClock.now - started < .seconds(1) {
                        failures += 1
                        logger.debug("watch ended at once", metadata: ["kind": "\(K.resource.kind)"])
                        try await Task.sleep(for: backoff.delay(afterFailures: failures))
                    }
                }
            } catch is CancellationError {
                return
            } catch let error as KubeClientError where error.isGone && failures == 0 {
                failures += 1
                logger.info("watch expired, re-listing", metadata: ["kind": "\(K.resource.kind)", "error": "\(error)"])
            } catch {
                failures += 1
                let delay = backoff.delay(afterFailures: failures)
                logger.warning("list/watch failed, re-listing", metadata: [
                    "kind": "\(K.resource.kind)", "error": "\(error)", "retryIn": "\(delay)",
                ])
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }
}
