/// A name in the cluster domain taken apart as the Kubernetes DNS specification lays names out (CoreDNS's
/// `parseRequest`), reading labels right to left:
///
/// - `service.namespace.svc`, `endpoint.service.namespace.svc`, `_port._protocol.service.namespace.svc`
/// - `pod.namespace.pod` (the pod label is its address with dashes)
///
/// Fields left out by a shorter name are empty; more labels than the forms above is an invalid request
/// (NXDOMAIN), and so is a last label other than `svc` or `pod`.
struct RecordRequest: Equatable {
    /// `svc` or `pod`; empty for the zone apex and for `svc.<zone>` / `pod.<zone>` themselves.
    var podOrSvc = ""
    var namespace = ""
    var service = ""
    var endpoint = ""
    /// From `_port`, underscore removed.
    var port = ""
    /// From `_protocol`, underscore removed.
    var `protocol` = ""

    struct Invalid: Error {}

    /// `labels` are the lower-cased labels above the zone, most specific first.
    init(labels: [String]) throws(Invalid) {
        if labels.isEmpty || labels == ["svc"] || labels == ["pod"] { return }
        var remaining = labels[...]
        podOrSvc = remaining.removeLast()
        guard podOrSvc == "svc" || podOrSvc == "pod" else { throw Invalid() }
        guard let namespace = remaining.popLast() else { return }
        self.namespace = namespace
        guard let service = remaining.popLast() else { return }
        self.service = service
        switch remaining.count {
        case 0: return
        case 1: endpoint = remaining[remaining.startIndex]
        case 2:
            port = Self.stripUnderscore(remaining[remaining.startIndex])
            `protocol` = Self.stripUnderscore(remaining[remaining.startIndex + 1])
        default: throw Invalid()
        }
    }

    private static func stripUnderscore(_ label: String) -> String {
        label.hasPrefix("_") ? String(label.dropFirst()) : label
    }

    /// Whether a port named `name` with `protocol` answers this request (empty request fields match anything).
    func matches(portName name: String, protocol proto: String) -> Bool {
        (port.isEmpty || port == name.lowercased()) && (`protocol`.isEmpty || `protocol` == proto.lowercased())
    }
}
