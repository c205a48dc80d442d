import Foundation
import KubeAPI

/// Turns the chunked body of a watch into events.
///
/// The server writes one `{"type":…,"object":…}` document per line, but HTTP chunks do not follow lines: one chunk
/// may hold several events, and one event may span several chunks. The parser keeps the unfinished tail between
/// `feed` calls.
struct WatchEventParser<K: KubeObject> {
    /// `VERB path` of the watch, for errors.
    let request: String
    private let decoder = JSONDecoder()
    private let omittingManagedFields: Bool
    /// Other watches of this process that may have decoded the same line already.
    private let shared: SharedWatchDecoding?
    private var pending: [UInt8] = []

    init(request: String, omittingManagedFields: Bool = false, shared: SharedWatchDecoding? = nil) {
        self.request = request
        self.omittingManagedFields = omittingManagedFields
        self.shared = shared
        if omittingManagedFields { decoder.userInfo[KubeJSON.omitManagedFields] = true }
    }

    /// Consumes a chunk and hands the events of its complete lines to `deliver`, in order; events before a bad
    /// line are delivered before the error is thrown.
    ///
    /// - Throws: `KubeClientError.gone` for an ERROR event with a 410 Status, `.api` for other ERROR events,
    ///   `.serialization` for a line that is not a watch event.
    mutating func feed<Bytes: Collection<UInt8>>(_ chunk: Bytes, _ deliver: (WatchEvent<K>) -> Void) throws(KubeClientError) {
        // Contiguous chunks (NIO's byte buffers) are split with memchr rather than an index walk over the view.
        let contiguous: Result<Void, KubeClientError>? = chunk.withContiguousStorageIfAvailable { buffer in
            do throws(KubeClientError) {
                try feed(buffer: UnsafeRawBufferPointer(buffer), deliver)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if let contiguous { return try contiguous.get() }
        var start = chunk.startIndex
        var index = start
        while index != chunk.endIndex {
            if chunk[index] == UInt8(ascii: "\n") {
                pending.append(contentsOf: chunk[start..<index])
                if let event = try decodePending() { deliver(event) }
                start = chunk.index(after: index)
            }
            index = chunk.index(after: index)
        }
        pending.append(contentsOf: chunk[start...])
    }

    private mutating func feed(buffer: UnsafeRawBufferPointer, _ deliver: (WatchEvent<K>) -> Void) throws(KubeClientError) {
        guard let base = buffer.baseAddress else { return }
        var start = 0
        while start < buffer.count,
              let found = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start) {
            let end = base.distance(to: UnsafeRawPointer(found))
            pending.append(contentsOf: buffer[start..<end])
            if let event = try decodePending() { deliver(event) }
            start = end + 1
        }
        pending.append(contentsOf: buffer[start...])
    }

    /// Decodes what is left when the stream ends (a last line without its newline).
    mutating func finish() throws(KubeClientError) -> WatchEvent<K>? {
        try decodePending()
    }

    private mutating func decodePending() throws(KubeClientError) -> WatchEvent<K>? {
        defer { pending.removeAll(keepingCapacity: true) }
        guard pending.contains(where: { !Self.isWhitespace($0) }) else { return nil }
        guard let shared else { return try decodeLine() }
        return try shared.event(K.self, line: pending, omitsManagedFields: omittingManagedFields) { () throws(KubeClientError) in
            try decodeLine()
        }
    }

    /// The event of the line in `pending`.
    private func decodeLine() throws(KubeClientError) -> WatchEvent<K>? {
        let frame: WatchFrame<K>
        do {
            frame = try decoder.decode(WatchFrame<K>.self, from: Data(pending))
        } catch {
            throw .serialization(request: request, cause: error)
        }
        switch frame {
        case .event(let event):
            return event
        case .error(let status):
            let code = status.code ?? 500
            throw code == 410 ? KubeClientError.gone(status: status, request: request)
                              : KubeClientError.api(code: code, status: status, request: request)
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}

/// One decoded watch line: an event, or the Status of an ERROR event.
enum WatchFrame<K: KubeObject>: Decodable {
    case event(WatchEvent<K>)
    case error(Status)

    private enum CodingKeys: String, CodingKey { case type, object }

    /// A BOOKMARK's object: only `metadata.resourceVersion` is meaningful.
    private struct BookmarkObject: Decodable {
        struct Metadata: Decodable { var resourceVersion: String? }
        var metadata: Metadata?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .event(.added(try c.decode(K.self, forKey: .object)))
        case "MODIFIED": self = .event(.modified(try c.decode(K.self, forKey: .object)))
        case "DELETED": self = .event(.deleted(try c.decode(K.self, forKey: .object)))
        case "BOOKMARK":
            let object = try c.decode(BookmarkObject.self, forKey: .object)
            self = .event(.bookmark(resourceVersion: object.metadata?.resourceVersion ?? ""))
        case "ERROR": self = .error(try c.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown watch event type \"\(type)\"")
        }
    }
}
