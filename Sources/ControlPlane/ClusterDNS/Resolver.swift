import Logging
import NIOCore

/// Answers one query: names in the cluster domain from ``KubernetesZone`` over the current ``ClusterRecords``,
/// PTR names of cluster addresses likewise, and everything else (other names, reverse names the cluster does not
/// know) through the ``Forwarder`` — CoreDNS's `kubernetes cluster.local in-addr.arpa ip6.arpa { fallthrough
/// in-addr.arpa ip6.arpa }` followed by `forward . /etc/resolv.conf`.
///
/// Names under the cluster domain are never forwarded, so the search-path expansions a pod's resolver tries
/// (`web.default.svc.cluster.local.default.svc.cluster.local`) are answered NXDOMAIN at once.
public final class Resolver: Sendable {
    /// An answer to send: a message to encode, or an upstream's answer to pass on as it came.
    public enum Reply: Sendable {
        case message(DNSMessage)
        case forwarded(bytes: [UInt8], message: DNSMessage)

        public var rcode: ResponseCode {
            switch self {
            case .message(let m), .forwarded(_, let m): m.rcode
            }
        }
    }

    public let zone: KubernetesZone
    private let records: ClusterRecords
    private let forwarder: Forwarder
    private let logger: Logger

    /// Where names outside the cluster go.
    public var forwarderUpstreams: [String] { forwarder.upstreams.map { "\($0)" } }

    static let reverseZones = [try! DomainName("in-addr.arpa"), try! DomainName("ip6.arpa")]

    public init(zone: KubernetesZone, records: ClusterRecords, forwarder: Forwarder, logger: Logger) {
        self.zone = zone
        self.records = records
        self.forwarder = forwarder
        self.logger = logger
    }

    /// The reply to `query`; nil when it must not be answered (it is itself a response).
    public func respond(to query: DNSMessage) async -> Reply? {
        guard !query.isResponse else { return nil }
        var reply = DNSMessage(replyingTo: query)
        if let edns = query.edns {
            reply.edns = EDNS(udpPayloadSize: max(512, edns.udpPayloadSize), dnssecOK: edns.dnssecOK)
            guard edns.version == 0 else {
                reply.rcode = .badVersion
                return .message(reply)
            }
        }
        guard query.opcode == 0 else {
            reply.rcode = .notImplemented
            return .message(reply)
        }
        guard query.questions.count == 1, let question = query.questions.first else {
            reply.rcode = .formatError
            return .message(reply)
        }
        if question.name.isSubdomain(of: zone.zone) {
            let zone = self.zone
            let answer = records.read { index, serial, synced in zone.answer(question, index: index, serial: serial, synced: synced) }
            return .message(await complete(reply, with: answer))
        }
        if question.type == .ptr, Self.reverseZones.contains(where: { question.name.isSubdomain(of: $0) }),
           let ip = IPAddress(reverseName: question.name) {
            let zone = self.zone
            let names = records.read { index, _, _ in zone.reverse(ip, index: index) }
            if !names.isEmpty {
                reply.isAuthoritative = true
                reply.answers = names.map { ResourceRecord(name: question.name, ttl: zone.ttl, data: .ptr($0)) }
                return .message(reply)
            }
        }
        return await forward(query, reply: reply)
    }

    /// Sends `query` upstream; SERVFAIL when no upstream answers.
    private func forward(_ query: DNSMessage, reply: DNSMessage) async -> Reply {
        do {
            let (bytes, message) = try await forwarder.exchange(query)
            return .forwarded(bytes: bytes, message: message)
        } catch {
            logger.debug("forwarding failed", metadata: ["name": "\(query.questions.first?.name.description ?? "")", "error": "\(error)"])
            var failure = reply
            failure.rcode = .serverFailure
            return .message(failure)
        }
    }

    /// Fills `reply` from a zone answer, looking up the targets of CNAMEs that leave the zone.
    private func complete(_ reply: DNSMessage, with answer: ZoneAnswer) async -> DNSMessage {
        var reply = reply
        reply.isAuthoritative = true
        switch answer.kind {
        case .refused:
            reply.rcode = .refused
            reply.isAuthoritative = false
            return reply
        case .nameError, .serverFailure:
            reply.rcode = answer.kind == .nameError ? .nameError : .serverFailure
            reply.authority = [answer.soa]
            return reply
        case .records:
            break
        }
        for part in answer.parts {
            switch part {
            case .record(let record):
                reply.answers.append(record)
            case .chase(let cname, let target, let type):
                var lookup = DNSMessage(id: 0, questions: [Question(name: target, type: type)])
                lookup.recursionDesired = true
                lookup.edns = EDNS(udpPayloadSize: 1232)
                guard let (_, upstream) = try? await forwarder.exchange(lookup) else { continue }
                reply.answers.append(cname)
                reply.answers.append(contentsOf: upstream.answers)
            }
        }
        if reply.answers.isEmpty {
            reply.authority = [answer.soa]
        } else {
            reply.additional = answer.additional
        }
        return reply
    }
}
