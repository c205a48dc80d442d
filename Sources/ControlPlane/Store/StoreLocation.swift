import Foundation
import Logging

/// Where a server keeps its state, as `--store` names it: `sqlite:PATH` (the embedded database) or
/// `etcd://HOST:PORT[,HOST:PORT…]` (an etcd v3 cluster, one endpoint per member).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case etcd(endpoints: [EtcdStore.Endpoint])

    /// Parses `sqlite:PATH` or `etcd://HOST:PORT[,HOST:PORT…]`.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError.backend("store \(text): sqlite: needs a file path") }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("etcd://") else {
            throw StoreError.backend("store \(text): expected sqlite:PATH or etcd://HOST:PORT[,HOST:PORT…]")
        }
        var endpoints: [EtcdStore.Endpoint] = []
        for member in text.dropFirst("etcd://".count).split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = member.hasSuffix("/") ? member.dropLast() : member
            guard let colon = trimmed.lastIndex(of: ":"), let port = Int(trimmed[trimmed.index(after: colon)...]),
                  (1...65535).contains(port), colon > trimmed.startIndex else {
                throw StoreError.backend("store \(text): endpoint '\(member)' is not HOST:PORT")
            }
            endpoints.append(.init(host: String(trimmed[..<colon]), port: port))
        }
        self = .etcd(endpoints: endpoints)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .etcd(let endpoints): "etcd://" + endpoints.map(\.description).joined(separator: ",")
        }
    }

    /// Opens the store; an etcd cluster must answer within `timeout`.
    public func open(retention: StoreRetention = StoreRetention(), timeout: Duration = .seconds(10), logger: Logger) async throws -> any ManagedStore {
        switch self {
        case .sqlite(let path):
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            return try SQLiteStore(path: path, retention: retention, logger: logger)
        case .etcd(let endpoints):
            return try await EtcdStore.connect(endpoints: endpoints, retention: retention, timeout: timeout, logger: logger)
        }
    }
}
