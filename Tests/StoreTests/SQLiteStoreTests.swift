import Foundation
import Store
import Testing

/// What only the embedded backend does: its own retention-driven compaction keeps the file bounded.
@Suite struct SQLiteStoreTests {
    @Test func retentionCompactsExpiredHistory() async throws {
        try await StoreFixture.with(.sqlite, retention: .init(minimumRevisions: 5, minimumAge: .zero)) { store, _ in
            let sqlite = try #require(store as? SQLiteStore)
            for i in 0..<20 { _ = try await sqlite.create(key: "/k/\(i)", value: data("\(i)")) }
            try await sqlite.compactExpiredHistory()
            #expect(await sqlite.oldestAvailableRevision == 15)
            // Compaction keeps the database bounded under churn of one key.
            for i in 0..<2000 { _ = try await sqlite.update(key: "/k/0", value: data("\(i)"), expectedRevision: nil) }
            try await sqlite.compactExpiredHistory()
            #expect(await sqlite.oldestAvailableRevision == 2015)
        }
    }
}
