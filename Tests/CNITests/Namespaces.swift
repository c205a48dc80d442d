import LinuxSystem

/// Creates one throwaway network namespace per prefix (`PREFIX-<random>`), runs `body` with them and
/// deletes every one again, even when creating a later one or `body` throws.
func withThrowawayNamespaces<R>(
    _ prefixes: [String], isolation: isolated (any Actor)? = #isolation, _ body: ([NetworkNamespace]) async throws -> R
) async throws -> R {
    var created: [NetworkNamespace] = []
    defer { for namespace in created { try? NetworkNamespace.delete(path: namespace.path) } }
    for prefix in prefixes {
        created.append(try NetworkNamespace.create(named: "\(prefix)-\(String(UInt32.random(in: .min ... .max), radix: 16))"))
    }
    return try await body(created)
}
