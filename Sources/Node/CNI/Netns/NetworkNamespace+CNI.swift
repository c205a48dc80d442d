import LinuxSystem
import Netlink
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

    /// Runs `body` with a netlink session inside this namespace, on a dedicated thread; failures are
    /// code 103 prefixed with `what`.
    func withNetlink<R: Sendable>(_ what: String, _ body: @escaping @Sendable (RouteNetlink) throws -> R) async throws(CNIError) -> R {
        do {
            return try await perform { try body(RouteNetlink()) }
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.networkSetupFailure, "\(what) in \(path) failed", details: String(describing: error))
        }
    }
}
