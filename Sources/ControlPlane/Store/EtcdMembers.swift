import GRPCCore
import GRPCNIOTransportHTTP2

/// The members of an etcd cluster as one gRPC endpoint with several addresses, so the default pick-first policy keeps
/// one connection and moves it to the next member that accepts when the current one dies. (The stock IPv4 target
/// makes one endpoint per address, of which pick-first only ever uses the first.)
struct EtcdMembers: ResolvableTarget, Sendable {
    var endpoints: [EtcdStore.Endpoint]

    /// Resolves `EtcdMembers` to the same single endpoint every time it is asked.
    struct Resolver: NameResolverFactory {
        typealias Target = EtcdMembers

        func resolver(for target: EtcdMembers) -> NameResolver {
            let endpoint = GRPCNIOTransportCore.Endpoint(addresses: target.endpoints.map { .ipv4(host: $0.host, port: $0.port) })
            return NameResolver(names: RPCAsyncSequence(wrapping: Unchanging(result: NameResolutionResult(endpoints: [endpoint], serviceConfig: nil))),
                                updateMode: .pull)
        }
    }

    /// A registry that resolves `EtcdMembers`.
    static var resolvers: NameResolverRegistry {
        var registry = NameResolverRegistry()
        registry.registerFactory(Resolver())
        return registry
    }

    /// An endless sequence of one resolution result.
    private struct Unchanging: AsyncSequence, Sendable {
        let result: NameResolutionResult

        func makeAsyncIterator() -> Iterator { Iterator(result: result) }

        struct Iterator: AsyncIteratorProtocol {
            let result: NameResolutionResult
            func next() async throws -> NameResolutionResult? { result }
        }
    }
}
