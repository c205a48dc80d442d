import Foundation
import KubeAPI
@testable import KubeClient
import Testing

extension WatchEventParser {
    /// The events of one chunk, for tests.
    mutating func feed<Bytes: Collection<UInt8>>(_ chunk: Bytes) throws(KubeClientError) -> [WatchEvent<K>] {
        var events: [WatchEvent<K>] = []
        try feed(chunk) { events.append($0) }
        return events
    }
}

@Suite struct WatchEventParserTests {
    static func line(_ type: String, name: String, rv: String) -> String {
        #"{"type":"\#(type)","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"default","resourceVersion":"\#(rv)"},"data":{"k":"v\n,}"}}}"# + "\n"
    }

    static let stream = line("ADDED", name: "a", rv: "5") + line("MODIFIED", name: "a", rv: "6")
        + #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"9"}}}"# + "\n"
        + line("DELETED", name: "a", rv: "10")

    static func check(_ events: [WatchEvent<ConfigMap>]) {
        #expect(events.map(\.type) == ["ADDED", "MODIFIED", "BOOKMARK", "DELETED"])
        #expect(events.map(\.resourceVersion) == ["5", "6", "9", "10"])
        #expect(events[0].object?.metadata.name == "a")
        #expect(events[0].object?.data == ["k": "v\n,}"])
    }

    /// Two watches sharing decoding get the same events as alone; the second decodes nothing itself, and a watch
    /// that keeps managedFields or watches another kind never takes the first's events.
    @Test func sharedDecodingDecodesEachLineOnce() throws {
        let shared = SharedWatchDecoding(capacity: 8)
        var first = WatchEventParser<ConfigMap>(request: "GET /w", shared: shared)
        var second = WatchEventParser<ConfigMap>(request: "GET /w2", shared: shared)
        Self.check(try first.feed(Array(Self.stream.utf8)))
        #expect(shared.counts.hits == 0)
        Self.check(try second.feed(Array(Self.stream.utf8)))
        #expect(shared.counts.hits == 4)
        #expect(shared.counts.misses == 4)
        var keeping = WatchEventParser<ConfigMap>(request: "GET /w3", omittingManagedFields: true, shared: shared)
        Self.check(try keeping.feed(Array(Self.stream.utf8)))
        #expect(shared.counts.hits == 4)
        // An ERROR line throws for every watch that reads it.
        let gone = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Expired","code":410}}"# + "\n"
        for request in ["GET /w", "GET /w2"] {
            var parser = WatchEventParser<ConfigMap>(request: request, shared: shared)
            #expect(throws: KubeClientError.self) { _ = try parser.feed(Array(gone.utf8)) }
        }
        // Only the last `capacity` lines are kept.
        for rv in 100..<120 {
            var parser = WatchEventParser<ConfigMap>(request: "GET /w", shared: shared)
            _ = try parser.feed(Array(Self.line("MODIFIED", name: "b", rv: String(rv)).utf8))
        }
        let before = shared.counts.hits
        Self.check(try second.feed(Array(Self.stream.utf8)))
        #expect(shared.counts.hits == before)
    }

    @Test func severalEventsInOneChunk() throws {
        var parser = WatchEventParser<ConfigMap>(request: "GET /w")
        Self.check(try parser.feed(Array(Self.stream.utf8)))
        #expect(try parser.finish() == nil)
    }

    @Test func eventsSplitAcrossChunksAtEveryByte() throws {
        let bytes = Array(Self.stream.utf8)
        for size in [1, 2, 3, 7, 50, 100] {
            var parser = WatchEventParser<ConfigMap>(request: "GET /w")
            var events: [WatchEvent<ConfigMap>] = []
            var start = 0
            while start < bytes.count {
                let end = min(start + size, bytes.count)
                events += try parser.feed(bytes[start..<end])
                start = end
            }
            Self.check(events)
        }
    }

    @Test func lastLineWithoutNewlineAndBlankLines() throws {
        var parser = WatchEventParser<ConfigMap>(request: "GET /w")
        let text = "\n\r\n" + Self.line("ADDED", name: "b", rv: "3").dropLast()
        #expect(try parser.feed(Array(text.utf8)).isEmpty)
        #expect(try parser.finish()?.resourceVersion == "3")
    }

    @Test func goneErrorEventThrowsTypedGone() throws {
        var parser = WatchEventParser<ConfigMap>(request: "GET /w")
        let error = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}}"# + "\n"
        var delivered: [WatchEvent<ConfigMap>] = []
        #expect(throws: KubeClientError.self) {
            try parser.feed(Array((Self.line("ADDED", name: "a", rv: "5") + error).utf8)) { delivered.append($0) }
        }
        #expect(delivered.map(\.type) == ["ADDED"], "events before the ERROR line are delivered")
        var again = WatchEventParser<ConfigMap>(request: "GET /w")
        do {
            _ = try again.feed(Array(error.utf8))
            Issue.record("expected an error")
        } catch {
            guard case .gone(let status, _) = error else { Issue.record("not gone: \(error)"); return }
            #expect(status.reason == "Expired")
            #expect(error.isGone)
        }
    }

    @Test func otherErrorEventThrowsAPIError() throws {
        var parser = WatchEventParser<ConfigMap>(request: "GET /w")
        let error = #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"boom","reason":"InternalError","code":500}}"# + "\n"
        do {
            _ = try parser.feed(Array(error.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == 500)
            #expect(error.reason == "InternalError")
            #expect(!error.isGone)
        }
    }

    @Test func garbageIsASerializationError() throws {
        var parser = WatchEventParser<ConfigMap>(request: "GET /w")
        do {
            _ = try parser.feed(Array("{\"type\":\"NOPE\",\"object\":{}}\n".utf8))
            Issue.record("expected an error")
        } catch {
            guard case .serialization = error else { Issue.record("unexpected \(error)"); return }
        }
    }
}
