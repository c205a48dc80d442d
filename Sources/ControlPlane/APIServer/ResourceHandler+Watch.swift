import Foundation
import KubeAPI
import Store

extension ResourceHandler {
    /// WATCH: a chunked stream of `{"type":…,"object":…}` lines.
    ///
    /// `resourceVersion` unset or `0` starts with ADDED events for the current state; a number starts after that
    /// revision (410 Gone if it was compacted). Selectors turn changes into ADDED/DELETED as objects enter or
    /// leave the selection. BOOKMARKs are sent when `allowWatchBookmarks=true`.
    ///
    /// A watch list (`sendInitialEvents=true`, with `resourceVersionMatch=NotOlderThan` and bookmarks, as upstream
    /// requires) gets ADDED events for the current state whatever the resourceVersion, then at once the BOOKMARK
    /// annotated `k8s.io/initial-events-end: "true"` at that state's revision; `sendInitialEvents=false` starts
    /// after the resourceVersion (or now) without them.
    ///
    /// A client that accepts a meta.k8s.io `Table` (`kubectl get -w`) gets each event's object as a one-row Table, as
    /// upstream's watch encoder converts it; without that kubectl prints only NAME and AGE for every change.
    func watch(_ request: APIRequest, path: ResourcePath) async throws -> APIResponse {
        let filter = try ObjectFilter<Object>(request: request)
        let prefix = StoredObject.prefix(storage, namespace: path.namespace)
        let requested = request.query["resourceVersion"] ?? ""
        let bookmarks = request.boolParameter("allowWatchBookmarks")
        let sendInitialEvents = try Self.watchListOption(request)
        let timeout = Double(request.query["timeoutSeconds"] ?? "") ?? Double.random(in: 1800...3600)
        var initial: [KeyValue] = []
        let start: Int64
        if let sendInitialEvents {
            let snapshot = try await core.store.list(prefix: prefix, startAfter: nil, limit: sendInitialEvents ? 0 : 1, revision: nil)
            if let minimum = Int64(requested), minimum > snapshot.revision {
                throw StoreError.futureRevision(requested: minimum, current: snapshot.revision)
            }
            if sendInitialEvents {
                initial = snapshot.items
                start = snapshot.revision
            } else {
                start = Int64(requested).flatMap { $0 > 0 ? $0 : nil } ?? snapshot.revision
            }
        } else if requested.isEmpty || requested == "0" {
            let snapshot = try await core.store.list(prefix: prefix, startAfter: nil, limit: 0, revision: nil)
            initial = snapshot.items
            start = snapshot.revision
        } else if let revision = Int64(requested) {
            start = revision
        } else {
            throw Status.badRequest("invalid resource version: \(requested)")
        }
        let events: AsyncThrowingStream<WatchEvent, any Error>
        do {
            events = try await core.store.watch(prefix: prefix, afterRevision: start)
        } catch StoreError.compacted(let requested, let compacted) {
            // Upstream answers an expired watch with a 200 stream carrying one ERROR event.
            let status = Status.gone("too old resource version: \(requested) (\(compacted))")
            let line = WatchLine.encode(type: "ERROR", object: try KubeJSON.encode(status))
            return APIResponse(body: .stream(AsyncStream { c in c.yield(line); c.finish() }))
        }
        let handler = self
        let table = request.wantsTable ? WatchTable(includeObject: request.query["includeObject"]) : nil
        let selecting = !filter.isEverything
        if selecting { selections.watchStarted() }
        let (output, continuation) = AsyncStream<Data>.makeStream(bufferingPolicy: .unbounded)
        let pump = Task {
            for kv in initial {
                let object = try? handler.decodeStored(kv)
                if let object, filter.matches(object), let bytes = try? handler.wireBytes(kv.value, revision: kv.modRevision) {
                    continuation.yield(WatchLine.encode(type: "ADDED", object: handler.eventObject(bytes, object: object, table: table)))
                }
            }
            if sendInitialEvents == true { continuation.yield(handler.bookmark(revision: start, initialEventsEnd: true)) }
            do {
                for try await event in events {
                    if let line = handler.watchLine(for: event, filter: filter, table: table) { continuation.yield(line) }
                }
            } catch {}
            continuation.finish()
        }
        let ticker = Task {
            let deadline = ContinuousClock.now + .seconds(timeout)
            while ContinuousClock.now < deadline {
                try? await Task.sleep(for: .seconds(min(10, max(0.1, (deadline - ContinuousClock.now) / .seconds(1)))))
                if Task.isCancelled { return }
                if bookmarks, let revision = try? await handler.core.store.currentRevision() {
                    continuation.yield(handler.bookmark(revision: revision))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            ticker.cancel()
            if selecting { handler.selections.watchEnded() }
        }
        return APIResponse(headers: [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")], body: .stream(output))
    }

    /// The line for one store event after selector filtering, or nil when the watcher should not see it; with
    /// `table`, its object is a one-row Table (made only for the events the watcher sees).
    func watchLine(for event: WatchEvent, filter: ObjectFilter<Object>, table: WatchTable? = nil) -> Data? {
        guard let type = eventType(of: event, for: filter), var bytes = try? wireBytes(event.current.value, revision: event.revision)
        else { return nil }
        if let table {
            guard var object = try? decodeObject(event.current.value) else { return nil }
            object.metadata.resourceVersion = String(event.revision)
            bytes = eventObject(bytes, object: object, table: table)
        }
        return WatchLine.encode(type: type, object: bytes)
    }

    /// The type a watcher with `filter` sees `event` as (an update that starts or stops matching is an ADDED or
    /// DELETED to it), or nil when it should not see it.
    private func eventType(of event: WatchEvent, for filter: ObjectFilter<Object>) -> String? {
        if filter.isEverything {
            return switch event.kind { case .create: "ADDED"; case .update: "MODIFIED"; case .delete: "DELETED" }
        }
        // A deletion's current value is the last version, stored at the revision the deletion replaced.
        let current = selectedValues(event.current.value, key: event.current.key,
                                     revision: event.kind == .delete ? event.previousRevision : event.revision)
        let previous = event.previous.flatMap { selectedValues($0, key: event.current.key, revision: event.previousRevision) }
        let nowMatches = current.map(filter.matches) ?? false
        let wasMatching = previous.map(filter.matches) ?? false
        switch event.kind {
        case .create: return nowMatches ? "ADDED" : nil
        case .delete: return nowMatches ? "DELETED" : nil
        case .update:
            switch (wasMatching, nowMatches) {
            case (true, true): return "MODIFIED"
            case (false, true): return "ADDED"
            case (true, false): return "DELETED"
            case (false, false): return nil
            }
        }
    }

    /// What a watch event carries for `object` (whose wire form is `bytes`): the bytes, or with `table` the one-row
    /// Table `kubectl get -w` prints (column definitions in every event, so each prints under the list's header).
    func eventObject(_ bytes: Data, object: Object, table: WatchTable?) -> Data {
        guard let table else { return bytes }
        return strategy.table.table(for: [(object, bytes)], listMeta: ListMeta(resourceVersion: object.metadata.resourceVersion),
                                    includeObject: table.includeObject, now: Date()).serialized()
    }

    /// The labels and field values of the version of `key` stored at `revision` as `bytes`: from the shared cache, or
    /// decoded once and remembered there for the kind's other watches (nil when the bytes do not decode).
    func selectedValues(_ bytes: Data, key: String, revision: Int64?) -> SelectedValues? {
        if let revision, let known = selections.values(key: key, revision: revision) { return known }
        guard let object = try? decodeObject(bytes) else { return nil }
        let values = SelectedValues(object)
        if let revision { selections.remember(values, key: key, revision: revision) }
        return values
    }

    /// A BOOKMARK event: an object of the kind carrying only the resourceVersion (and, ending a watch list's
    /// initial events, upstream's `k8s.io/initial-events-end` annotation).
    func bookmark(revision: Int64, initialEventsEnd: Bool = false) -> Data {
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        let object: JSONValue = ["apiVersion": .string(info.groupVersion), "kind": .string(info.kind), "metadata": metadata]
        return WatchLine.encode(type: "BOOKMARK", object: object.serialized())
    }

    /// `sendInitialEvents` (nil when not given), after upstream's checks of a watch's options (validateWatchOptions:
    /// 422 on `ListOptions.meta.k8s.io`).
    static func watchListOption(_ request: APIRequest) throws -> Bool? {
        let sendInitialEvents = request.query["sendInitialEvents"].map { _ in request.boolParameter("sendInitialEvents") }
        let match = request.query["resourceVersionMatch"] ?? ""
        var causes: [StatusCause] = []
        func forbidden(_ field: String, _ message: String) {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: \(message)", field: field))
        }
        if sendInitialEvents != nil {
            if match != "NotOlderThan" { forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan") }
            if !request.boolParameter("allowWatchBookmarks") { forbidden("allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true") }
        }
        if !match.isEmpty {
            if sendInitialEvents == nil { forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided") }
            if match != "NotOlderThan" {
                causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(match)\": supported values: \"NotOlderThan\"",
                                          field: "resourceVersionMatch"))
            }
            if !(request.query["continue"] ?? "").isEmpty { forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided") }
        }
        if !causes.isEmpty { throw Status.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", causes: causes) }
        return sendInitialEvents
    }
}

/// A watch whose events carry Tables (the client's Accept asked for `as=Table;g=meta.k8s.io`).
struct WatchTable: Sendable {
    /// The `includeObject` query parameter: None, Object, or (default) Metadata.
    var includeObject: String?
}

/// One watch event line.
enum WatchLine {
    static func encode(type: String, object: Data) -> Data {
        var line = Data("{\"type\":\"\(type)\",\"object\":".utf8)
        line.append(object)
        line.append(contentsOf: Array("}\n".utf8))
        return line
    }
}
