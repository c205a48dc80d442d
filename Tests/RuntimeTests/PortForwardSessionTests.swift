#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
@testable import Runtime
import SPDY
import TestSupport
import Testing

/// The runtime's SPDY port-forward session driven frame by frame, as kubectl's client drives it, against a TCP
/// server of the test's own on loopback (a host-network sandbox's port): how a forwarded connection ends when the
/// pod's side closes first.
@Suite("swiftlet runtime: port-forward session ends")
struct PortForwardSessionTests {
    /// What the session wrote, frame by frame.
    actor Outbox {
        private var decoder = SPDYFrameDecoder()
        private(set) var frames: [SPDYFrame] = []

        func append(_ bytes: [UInt8]) throws {
            decoder.append(bytes)
            while let frame = try decoder.next() { frames.append(frame) }
        }

        func data(on stream: UInt32) -> (bytes: [UInt8], fin: Bool) {
            var bytes: [UInt8] = [], fin = false
            for case .data(stream, let flags, let payload) in frames {
                bytes += payload
                fin = fin || flags & SPDYFrame.finFlag != 0
            }
            return (bytes, fin)
        }
    }

    /// Opens the error (1) and data (3) streams of one forwarded connection to `port` and sends `request` on it,
    /// without ever half-closing; `afterPodEnded` runs once the data stream has ended. Returns what the session
    /// sent, once the error stream has ended (or after 10 s).
    func forward(to port: UInt16, request: String, afterPodEnded: (AsyncStream<[UInt8]>.Continuation) -> Void) async throws -> Outbox {
        let session = PortForwardSession(request: .init(sandboxID: "sandbox", networkNamespace: nil, ports: []),
                                         logger: Logger(label: "test"))
        let (inbound, client) = AsyncStream.makeStream(of: [UInt8].self)
        let outbox = Outbox()
        let running = Task { await session.run(inbound) { bytes in try await outbox.append(bytes) } }
        defer {
            client.finish()
            running.cancel()
        }
        let deflater = try SPDYHeaderDeflater()
        for (id, type) in [(UInt32(1), "error"), (3, "data")] {
            let headers = SPDYHeaders([("streamType", type), ("port", "\(port)"), ("requestID", "0")])
            client.yield(SPDYFrame.synStream(streamID: id, associatedStreamID: 0, priority: 0, flags: 0,
                                             headerBlock: try deflater.block(headers)).encoded)
        }
        client.yield(SPDYFrame.data(streamID: 3, flags: 0, payload: Array(request.utf8)).encoded)
        let deadline = ContinuousClock.now + .seconds(10)
        var podEnded = false
        while ContinuousClock.now < deadline, await !outbox.data(on: 1).fin {
            if !podEnded, await outbox.data(on: 3).fin {
                podEnded = true
                afterPodEnded(client)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return outbox
    }

    @Test("the pod closes first and the client neither half-closes nor resets: the error stream ends after the grace")
    func podClosesFirst() async throws {
        let server = try OneShotServer(response: "HTTP/1.0 200 OK\r\n\r\nhello\n")
        let outbox = try await forward(to: UInt16(server.port), request: "GET / HTTP/1.0\r\n\r\n") { _ in }
        let data = await outbox.data(on: 3)
        #expect(String(decoding: data.bytes, as: UTF8.self) == "HTTP/1.0 200 OK\r\n\r\nhello\n")
        #expect(data.fin)
        let error = await outbox.data(on: 1), frames = await outbox.frames
        #expect(error.fin && error.bytes.isEmpty, "the error stream never ended: \(frames)")
        #expect(server.received == "GET / HTTP/1.0\r\n\r\n")  // the server stays up (ARC) until here
    }

    @Test("kubectl resets the data stream once the pod's side has ended: the error stream still ends, empty")
    func resetAfterThePodsEnd() async throws {
        let server = try OneShotServer(response: "bye\n")
        let outbox = try await forward(to: UInt16(server.port), request: "hi\n") { client in
            client.yield(SPDYFrame.rstStream(streamID: 3, status: SPDYFrame.Status.cancel.rawValue).encoded)
        }
        #expect(await outbox.data(on: 3).bytes == Array("bye\n".utf8))
        let error = await outbox.data(on: 1), frames = await outbox.frames
        #expect(error.fin && error.bytes.isEmpty, "the error stream never ended: \(frames)")
        #expect(server.received == "hi\n")  // the server stays up (ARC) until here
    }
}
