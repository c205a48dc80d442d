import Metrics
import Synchronization

/// The DNS server's metrics under CoreDNS's names, through swift-metrics so whichever backend the process
/// bootstrapped (swift-prometheus on `swiftlet server`'s `/metrics`) exports them:
///
/// - `coredns_dns_requests_total{proto, family, type}`
/// - `coredns_dns_responses_total{rcode}`
/// - `coredns_dns_request_duration_seconds{type}`
/// - `coredns_forward_requests_total{to}` and `coredns_proxy_request_duration_seconds{proxy_name="forward", to, rcode}`
///   (rcode `timeout` when the upstream did not answer)
public final class ClusterDNSMetrics: Sendable {
    /// Query types CoreDNS labels by name; others count as `other`.
    static let labelledTypes: Set<RecordType> = [.a, .aaaa, .cname, .ns, .ptr, .mx, .txt, .srv, .soa, .axfr, .ixfr, .any,
                                                 RecordType(rawValue: 64), RecordType(rawValue: 65)]

    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    public init() {}

    /// Counts one query and its response, and times it.
    public func recordRequest(proto: String, family: Int, type: RecordType, rcode: ResponseCode, duration: Duration) {
        let typeLabel = Self.labelledTypes.contains(type) ? type.description : "other"
        counter("coredns_dns_requests_total", [("proto", proto), ("family", String(family)), ("type", typeLabel)]).increment()
        counter("coredns_dns_responses_total", [("rcode", rcode.description)]).increment()
        timer("coredns_dns_request_duration_seconds", [("type", typeLabel)]).recordNanoseconds(duration.nanoseconds)
    }

    /// Counts one forwarded query and times the upstream's answer.
    func recordForward(to upstream: String, rcode: ResponseCode, duration: Duration) {
        recordForward(to: upstream, rcodeLabel: rcode.description, duration: duration)
    }

    /// Counts one forwarded query the upstream did not answer.
    func recordForwardFailure(to upstream: String, duration: Duration) {
        recordForward(to: upstream, rcodeLabel: "timeout", duration: duration)
    }

    private func recordForward(to upstream: String, rcodeLabel: String, duration: Duration) {
        counter("coredns_forward_requests_total", [("to", upstream)]).increment()
        timer("coredns_proxy_request_duration_seconds", [("proxy_name", "forward"), ("to", upstream), ("rcode", rcodeLabel)])
            .recordNanoseconds(duration.nanoseconds)
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = label + dimensions.map { "|\($0.1)" }.joined()
        return counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = Counter(label: label, dimensions: dimensions)
            cache[key] = made
            return made
        }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        let key = label + dimensions.map { "|\($0.1)" }.joined()
        return timers.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds)
            cache[key] = made
            return made
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
