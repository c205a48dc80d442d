import LinuxSystem
import Netlink
import NFTables
#if canImport(Glibc)
import Glibc
#endif

extension NetworkNamespace {
    /// Opens the sandbox namespace at `CNI_NETNS`: a missing path is code 3 (the container is gone),
    /// anything else code 103.
    static func openSandbox(_ path: String) throws(CNIError) -> NetworkNamespace {
        do {
            return try NetworkNamespace.open(path: path)
        } catch let error as SystemError where error.errno == ENOENT {
            throw CNIError(.unknownContainer, "network namespace \(path) does not exist", details: error.description)
        } catch {
            throw CNIError(.networkSetupFailure, "failed to open network namespace \(path)", details: String(describing: error))
        }
    }

    /// Runs `body` with a netlink session inside this namespace, on a dedicated thread, or with
    /// `onCallingThread` or in a plugin process (``InlineExecution``) on the calling thread moved in and
    /// back (see ``NetworkNamespace/runOnCallingThread(_:)``); failures are code 103 prefixed with `what`.
    func withNetlink<R: Sendable>(
        _ what: String, onCallingThread: Bool = false, _ body: @escaping @Sendable (RouteNetlink) throws -> R
    ) async throws(CNIError) -> R {
        do {
            if onCallingThread || InlineExecution.isActive { return try runOnCallingThread { try body(RouteNetlink()) } }
            return try await perform { try body(RouteNetlink()) }
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.networkSetupFailure, "\(what) in \(path) failed", details: String(describing: error))
        }
    }
}

extension NetworkNamespace {
    /// Runs `body` with a netlink session in `namespace`, or directly on the calling thread when
    /// `namespace` is `nil`: the plugin's own namespace, which no thread but a dedicated one ever
    /// leaves. Skipping the dedicated thread saves a thread start and two hops per step of a plugin.
    static func withNetlink<R: Sendable>(
        in namespace: NetworkNamespace?, _ what: String, _ body: @escaping @Sendable (RouteNetlink) throws -> R
    ) async throws(CNIError) -> R {
        if let namespace { return try await namespace.withNetlink(what, body) }
        do {
            return try body(RouteNetlink())
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.networkSetupFailure, "\(what) failed", details: String(describing: error))
        }
    }

    /// Runs `body` with an nf_tables socket in `namespace`, or on the calling thread when `nil`.
    static func withNetfilter(
        in namespace: NetworkNamespace?, _ what: String, _ body: @escaping @Sendable (NetfilterSocket) throws -> Void
    ) async throws(CNIError) {
        if let namespace { return try await namespace.withNetfilter(what, body) }
        do {
            try body(NetfilterSocket())
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.networkSetupFailure, "\(what) failed", details: String(describing: error))
        }
    }

    /// Runs `body` with an nf_tables socket inside this namespace, on a dedicated thread (on the calling
    /// thread moved in and back in a plugin process); failures are code 103 prefixed with `what`.
    func withNetfilter(_ what: String, _ body: @escaping @Sendable (NetfilterSocket) throws -> Void) async throws(CNIError) {
        do {
            if InlineExecution.isActive { return try runOnCallingThread { try body(NetfilterSocket()) } }
            try await perform { try body(NetfilterSocket()) }
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.networkSetupFailure, "\(what) in \(path) failed", details: String(describing: error))
        }
    }
}
