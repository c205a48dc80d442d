import Foundation
import KubeClient
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The cluster DNS server: UDP and TCP on one address and port, answering from the API server's Services and
/// EndpointSlices (``ClusterRecords``, ``KubernetesZone``) and forwarding other names upstream (``Forwarder``), as
/// CoreDNS does for a kubeadm cluster. A swift-service-lifecycle `Service`: it serves until the task is
/// cancelled or graceful shutdown begins.
///
/// ```swift
/// let dns = try ClusterDNSServer(configuration: .init(host: "127.0.0.1", port: 0), client: client, logger: logger)
/// async let _ = dns.run()
/// let port = try await dns.waitUntilServing()     // then: dig @127.0.0.1 -p $port web.default.svc.cluster.local
/// ```
public actor ClusterDNSServer: ServiceLifecycle.Service {
    public enum State: Sendable, Equatable {
        case idle
        case serving(port: Int)
        case stopped
        case failed(String)
    }

    public nonisolated let configuration: ClusterDNSConfiguration
    public nonisolated let resolver: Resolver
    public nonisolated let records: ClusterRecords
    public nonisolated let metrics: ClusterDNSMetrics
    private nonisolated let logger: Logger
    private nonisolated let group: any EventLoopGroup
    public private(set) var state = State.idle

    /// - Parameter metrics: shared with whoever exports them; by default recorded through the process's
    ///   swift-metrics backend.
    public init(configuration: ClusterDNSConfiguration, client: KubeClient, metrics: ClusterDNSMetrics = ClusterDNSMetrics(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) throws(ClusterDNSError) {
        self.configuration = configuration
        self.metrics = metrics
        self.group = group
        self.logger = logger
        let domain = try DomainName(configuration.domain)
        guard let host = IPAddress(configuration.host) else {
            throw ClusterDNSError(.invalidConfiguration, "listen address \(configuration.host) is not an IP address")
        }
        let local = Self.localAddresses(listeningOn: host)
        let upstreams: [SocketAddress]
        if let configured = configuration.upstreams {
            upstreams = try configured.map { text throws(ClusterDNSError) in try ClusterDNSConfiguration.socketAddress(text) }
        } else {
            let text = (try? String(contentsOfFile: configuration.resolvConfPath, encoding: .utf8)) ?? ""
            // Only a nameserver line naming this very server (its address, port 53) would loop.
            upstreams = Forwarder.nameservers(resolvConf: text, excluding: configuration.port == 53 ? Set(local) : [])
        }
        records = ClusterRecords(client: client, logger: logger)
        let forwarder = Forwarder(upstreams: upstreams, attemptTimeout: configuration.forwardAttemptTimeout,
                                  deadline: configuration.forwardDeadline, group: group, metrics: metrics, logger: logger)
        resolver = Resolver(zone: KubernetesZone(zone: domain, ttl: configuration.ttl, localAddresses: local),
                            records: records, forwarder: forwarder, logger: logger)
    }

    /// The addresses `ns.dns.<zone>` is looked up by: the listen address, or every interface address for a
    /// wildcard one.
    static func localAddresses(listeningOn host: IPAddress) -> [String] {
        guard host.bytes.allSatisfy({ $0 == 0 }) else { return [host.description] }
        let devices = (try? System.enumerateDevices()) ?? []
        return devices.compactMap { $0.address?.ipAddress }.compactMap { IPAddress($0)?.description }
    }

    /// Waits until both sockets are bound and returns the port.
    public func waitUntilServing() async throws -> Int {
        while true {
            switch state {
            case .serving(let port): return port
            case .failed(let reason): throw ClusterDNSError(.bind, reason)
            case .stopped: throw ClusterDNSError(.bind, "the DNS server stopped")
            case .idle: try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    private func setState(_ new: State) { state = new }

    /// Binds, watches and serves until cancelled or shut down gracefully.
    public nonisolated func run() async throws {
        let (udp, tcp): (NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>, NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>)
        do {
            (udp, tcp) = try await bind()
        } catch {
            await setState(.failed("\(error)"))
            throw error
        }
        let port = udp.channel.localAddress?.port ?? configuration.port
        await setState(.serving(port: port))
        logger.info("serving cluster DNS", metadata: [
            "address": "\(configuration.host):\(port)", "domain": "\(configuration.domain)", "upstreams": "\(resolver.forwarderUpstreams)",
        ])
        do {
            try await cancelWhenGracefulShutdown {
                try await withTaskCancellationHandler {
                    try await withThrowingDiscardingTaskGroup { group in
                        group.addTask { await self.records.run() }
                        group.addTask { try await self.serveUDP(udp) }
                        group.addTask { try await self.serveTCP(tcp) }
                    }
                } onCancel: {
                    udp.channel.close(promise: nil)
                    tcp.channel.close(promise: nil)
                }
            }
        } catch is CancellationError {}
        await setState(.stopped)
        logger.info("cluster DNS stopped")
    }

    /// UDP and TCP on the configured address; with port 0, the port UDP got (retried if TCP has it taken).
    private nonisolated func bind() async throws -> (NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>,
                                                     NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) {
        var lastError: (any Error)?
        for _ in 0..<(configuration.port == 0 ? 10 : 1) {
            let udp: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
            do {
                udp = try await DatagramBootstrap(group: group)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
                    .bind(host: configuration.host, port: configuration.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                throw ClusterDNSError(.bind, "cannot listen on \(configuration.host):\(configuration.port)/udp", cause: error)
            }
            let port = udp.channel.localAddress?.port ?? configuration.port
            let idle = TimeAmount(configuration.tcpIdleTimeout)
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: configuration.host, port: port) { child in
                        child.eventLoop.makeCompletedFuture {
                            try child.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                            try child.pipeline.syncOperations.addHandler(CloseWhenIdle())
                            try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                        }
                    }
                return (udp, tcp)
            } catch {
                lastError = error
                try? await udp.channel.close()
            }
        }
        throw ClusterDNSError(.bind, "cannot listen on \(configuration.host):\(configuration.port)/tcp", cause: lastError)
    }

    /// Reads datagrams and answers each in a task of its own, at most `maxConcurrentQueries` at once.
    private nonisolated func serveUDP(_ channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>) async throws {
        let limit = max(1, configuration.maxConcurrentQueries)
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for try await envelope in inbound {
                    if running >= limit {
                        try await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask {
                        let family = envelope.remoteAddress.protocol == .inet6 ? 2 : 1
                        guard let reply = await self.answer(envelope.data, proto: "udp", family: family) else { return }
                        var buffer = ByteBuffer()
                        buffer.writeBytes(reply)
                        try? await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer))
                    }
                }
            }
        }
    }

    /// Accepts connections and answers their queries in order, one connection per task.
    private nonisolated func serveTCP(_ channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async throws {
        try await channel.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        let family = connection.channel.remoteAddress?.protocol == .inet6 ? 2 : 1
                        try? await connection.executeThenClose { frames, outbound in
                            for try await frame in frames {
                                guard let reply = await self.answer(frame, proto: "tcp", family: family) else { continue }
                                try await outbound.write(TCPFraming.frame(reply, allocator: connection.channel.allocator))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Parses, resolves and encodes one query; nil when nothing is to be sent back.
    nonisolated func answer(_ buffer: ByteBuffer, proto: String, family: Int) async -> [UInt8]? {
        let start = ContinuousClock.now
        let bytes = Array(buffer.readableBytesView)
        let query: DNSMessage
        do {
            query = try DNSMessage(decoding: bytes)
        } catch {
            logger.debug("malformed query", metadata: ["error": "\(error)", "bytes": "\(bytes.count)"])
            guard let reply = DNSMessage.formatErrorReply(to: bytes) else { return nil }
            metrics.recordRequest(proto: proto, family: family, type: RecordType(rawValue: 0), rcode: .formatError,
                                  duration: ContinuousClock.now - start)
            return reply
        }
        guard let reply = await resolver.respond(to: query) else { return nil }
        let limit = proto == "udp" ? query.udpSizeLimit : 65535
        let encoded: [UInt8]
        switch reply {
        case .forwarded(let forwarded, let message):
            if forwarded.count <= limit {
                encoded = forwarded
            } else {
                // Too big for this client's UDP: the question alone with TC set, so it asks again over TCP.
                var truncated = DNSMessage(replyingTo: query)
                truncated.rcode = message.rcode
                truncated.recursionAvailable = message.recursionAvailable
                truncated.isTruncated = true
                truncated.edns = query.edns.map { EDNS(udpPayloadSize: max(512, $0.udpPayloadSize), dnssecOK: $0.dnssecOK) }
                encoded = (try? truncated.encoded(limit: limit)) ?? []
            }
        case .message(let message):
            do {
                encoded = try message.encoded(limit: limit)
            } catch {
                logger.error("cannot encode answer", metadata: ["name": "\(query.questions.first?.name.description ?? "")", "error": "\(error)"])
                var failure = DNSMessage(replyingTo: query)
                failure.rcode = .serverFailure
                encoded = (try? failure.encoded(limit: limit)) ?? []
            }
        }
        metrics.recordRequest(proto: proto, family: family, type: query.questions.first?.type ?? RecordType(rawValue: 0),
                              rcode: reply.rcode, duration: ContinuousClock.now - start)
        return encoded.isEmpty ? nil : encoded
    }
}

/// Closes a TCP connection when `IdleStateHandler` reports no reads for its timeout.
private final class CloseWhenIdle: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
