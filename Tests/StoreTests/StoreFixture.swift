import Foundation
import Logging
import Store
import TestSupport
import Testing

/// The backends the store suite runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, etcd

    var testDescription: String { rawValue }
}

/// A fresh, empty store of one backend: an SQLite file in a temporary directory, or a one-member etcd on free
/// loopback ports with a throwaway data directory. Both are removed (etcd stopped) when the test ends, failed or not.
final class StoreFixture: Sendable {
    let backend: Backend
    let store: any ManagedStore
    private let directory: String
    private let etcd: EtcdCluster?

    private init(backend: Backend, store: any ManagedStore, directory: String, etcd: EtcdCluster?) {
        self.backend = backend
        self.store = store
        self.directory = directory
        self.etcd = etcd
    }

    static func with(_ backend: Backend, retention: StoreRetention = .init(),
                     _ body: (any ManagedStore, StoreFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let etcd = backend == .etcd ? try await EtcdCluster(members: 1) : nil
        defer { etcd?.stop() }
        let fixture = StoreFixture(backend: backend, store: try await Self.open(backend, directory: directory, etcd: etcd, retention: retention),
                                   directory: directory, etcd: etcd)
        do {
            try await body(fixture.store, fixture)
        } catch {
            await fixture.store.close()
            throw error
        }
        await fixture.store.close()
    }

    /// A second store on the same data, as a restarted server opens it.
    func reopen() async throws -> any ManagedStore {
        try await Self.open(backend, directory: directory, etcd: etcd, retention: .init())
    }

    private static func open(_ backend: Backend, directory: String, etcd: EtcdCluster?, retention: StoreRetention) async throws -> any ManagedStore {
        let location: StoreLocation = switch backend {
        case .sqlite: .sqlite(path: directory + "/state.db")
        case .etcd: try StoreLocation(parsing: etcd!.storeArgument)
        }
        return try await location.open(retention: retention, logger: Logger(label: "test.store"))
    }
}

func data(_ s: String) -> Data { Data(s.utf8) }
