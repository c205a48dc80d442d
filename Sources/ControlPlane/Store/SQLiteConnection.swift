import CSQLite
import Foundation

/// A thin wrapper over one SQLite connection: prepared statements, binding and stepping.
/// Not thread-safe on its own: `SQLiteStore` confines it to its actor.
final class SQLiteConnection {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    let path: String

    init(path: String) throws {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw StoreError.backend("open SQLite database \(path): \(message)")
        }
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(db)
    }

    /// Runs SQL with no results (may contain several statements).
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw StoreError.backend("SQLite: \(message) (in: \(sql.prefix(80)))")
        }
    }

    /// A bindable SQL parameter.
    enum Value {
        case int(Int64)
        case text(String)
        case blob(Data)
        case null
    }

    /// Runs a cached prepared statement, calling `row` for each result row.
    func query(_ sql: String, _ params: [Value] = [], row: (Row) throws -> Void = { _ in }) throws {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (i, param) in params.enumerated() {
            let index = Int32(i + 1)
            switch param {
            case .int(let v): sqlite3_bind_int64(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, SQLITE_TRANSIENT)
            case .blob(let v):
                _ = v.withUnsafeBytes { raw in
                    sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), SQLITE_TRANSIENT)
                }
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_ROW { try row(Row(statement: statement)); continue }
            if rc == SQLITE_DONE { return }
            throw StoreError.backend("SQLite: \(String(cString: sqlite3_errmsg(db))) (in: \(sql.prefix(80)))")
        }
    }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE for writers), rolling back if it throws.
    func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(db)) }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement
        else {
            throw StoreError.backend("SQLite prepare: \(String(cString: sqlite3_errmsg(db))) (in: \(sql.prefix(80)))")
        }
        statements[sql] = statement
        return statement
    }

    /// One result row; columns are read by index.
    struct Row {
        let statement: OpaquePointer
        func int(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(statement, i) == SQLITE_NULL }
        func text(_ i: Int32) -> String { String(cString: sqlite3_column_text(statement, i)) }
        func blob(_ i: Int32) -> Data {
            let count = Int(sqlite3_column_bytes(statement, i))
            guard count > 0, let pointer = sqlite3_column_blob(statement, i) else { return Data() }
            return Data(bytes: pointer, count: count)
        }
    }
}

/// SQLite's "copy the bound value now" destructor.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
