import SPDY
import Testing

@Suite("SPDY/3.1 framing and header compression")
struct SPDYFramingTests {
    @Test("every frame type survives encoding and decoding, even when the bytes arrive one at a time")
    func frameRoundTrip() throws {
        let frames: [SPDYFrame] = [
            .synStream(streamID: 1, associatedStreamID: 0, priority: 0, flags: SPDYFrame.finFlag, headerBlock: [1, 2, 3]),
            .synReply(streamID: 3, flags: 0, headerBlock: [9]),
            .rstStream(streamID: 5, status: SPDYFrame.Status.cancel.rawValue),
            .settings(flags: 0, entries: [.init(flags: 1, id: 7, value: 65536)]),
            .ping(id: 2),
            .goAway(lastGoodStreamID: 7, status: 0),
            .headers(streamID: 9, flags: 0, headerBlock: []),
            .windowUpdate(streamID: 1, delta: 4096),
            .data(streamID: 11, flags: SPDYFrame.finFlag, payload: Array("hello".utf8)),
            .data(streamID: 13, flags: 0, payload: [UInt8](repeating: 7, count: 70_000)),
        ]
        var decoder = SPDYFrameDecoder()
        var decoded: [SPDYFrame] = []
        for byte in frames.flatMap(\.encoded) {
            decoder.append([byte])
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test("control frames carry version 3 and the spec's type numbers")
    func wireLayout() {
        #expect(SPDYFrame.ping(id: 1).encoded == [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1])
        #expect(SPDYFrame.data(streamID: 3, flags: 1, payload: [0xAA]).encoded == [0, 0, 0, 3, 1, 0, 0, 1, 0xAA])
    }

    @Test("a frame of another SPDY version or a truncated control frame is an error")
    func badFrames() {
        var decoder = SPDYFrameDecoder()
        decoder.append([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1])
        #expect(throws: SPDYError.unsupportedVersion(2)) { try decoder.next() }
        var short = SPDYFrameDecoder()
        short.append([0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0, 0])
        #expect(throws: SPDYError.malformedFrame(type: 3, length: 2)) { try short.next() }
    }

    @Test("header blocks compressed on one connection decode in order with one shared zlib stream")
    func headerCompression() throws {
        let deflater = try SPDYHeaderDeflater(), inflater = try SPDYHeaderInflater()
        let blocks = [
            SPDYHeaders([("streamtype", "error"), ("port", "8080"), ("requestid", "0")]),
            SPDYHeaders([("streamtype", "data"), ("port", "8080"), ("requestid", "0")]),
            SPDYHeaders(),
            SPDYHeaders([("x-many", "a\0b")]),
        ]
        for headers in blocks {
            let compressed = try deflater.block(headers)
            #expect(try inflater.headers(from: compressed) == headers)
        }
        #expect(SPDYHeaders([("streamtype", "data")]).value("streamType") == "data")
        #expect(SPDYHeaders([("x-many", "a\0b")]).value("x-many") == "a")
    }

    @Test("a header block that is not zlib data is an error, not a crash")
    func garbageHeaderBlock() throws {
        let inflater = try SPDYHeaderInflater()
        #expect(throws: SPDYError.self) { try inflater.headers(from: [0x01, 0x02, 0x03, 0x04, 0x05]) }
    }
}
