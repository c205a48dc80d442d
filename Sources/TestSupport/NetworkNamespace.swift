import LinuxSystem

/// Creates a network namespace with a fresh unique name (`PREFIX-<random>`), runs `body` with it and
/// always deletes it again, even when `body` throws. Tests that touch the network do everything inside
/// such a namespace and never touch the host's interfaces, routes or rules.
///
///     try withThrowawayNetworkNamespace { ns in
///         try ns.run { /* open netlink sockets here */ }
///     }
@discardableResult
public func withThrowawayNetworkNamespace<R>(
    prefix: String = "swt", _ body: (NetworkNamespace) throws -> R
) throws -> R {
    let namespace = try NetworkNamespace.create(named: throwawayName(prefix: prefix))
    defer { try? NetworkNamespace.delete(path: namespace.path) }
    return try body(namespace)
}

/// The async form of ``withThrowawayNetworkNamespace(prefix:_:)-(_,(NetworkNamespace)->R)``.
@discardableResult
public func withThrowawayNetworkNamespace<R>(
    prefix: String = "swt",
    isolation: isolated (any Actor)? = #isolation,
    _ body: (NetworkNamespace) async throws -> R
) async throws -> R {
    let namespace = try NetworkNamespace.create(named: throwawayName(prefix: prefix))
    defer { try? NetworkNamespace.delete(path: namespace.path) }
    return try await body(namespace)
}

private func throwawayName(prefix: String) -> String {
    "\(prefix)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
}
