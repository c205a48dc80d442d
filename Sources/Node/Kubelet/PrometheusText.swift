import Foundation

/// Metric families in the Prometheus text exposition format (0.0.4), for the kubelet's endpoints that render their
/// samples on request (`/metrics/cadvisor`, `/metrics/probes`) rather than through the process's registry: families in
/// the order added, each with its `# HELP` and `# TYPE` lines, and left out while it has no sample (as client_golang
/// leaves out an empty family).
struct PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private var families: [(name: String, help: String, type: String, samples: [String])] = []

    /// Declares a family; samples are added to it by name.
    mutating func family(_ name: String, help: String, type: String) {
        families.append((name, help, type, []))
    }

    /// One sample of family `name`; labels in the order given, the timestamp in milliseconds when there is one.
    mutating func add(_ name: String, _ labels: [(String, String)] = [], _ value: Double, timestamp: Int64? = nil) {
        guard let index = families.firstIndex(where: { $0.name == name }) else { return }
        let rendered = Self.labelSet(labels)
        families[index].samples.append("\(name)\(rendered) \(Self.format(value))\(timestamp.map { " \($0)" } ?? "")\n")
    }

    /// One series of histogram family `name`: its `_bucket` samples (`le` last, as client_golang writes it, then
    /// `+Inf`), `_sum` and `_count`; `cumulativeCounts[i]` counts the observations at most `buckets[i]`.
    mutating func histogram(_ name: String, _ labels: [(String, String)], buckets: [Double], cumulativeCounts: [UInt64], sum: Double,
                            count: UInt64) {
        guard let index = families.firstIndex(where: { $0.name == name }) else { return }
        func line(_ suffix: String, _ labels: [(String, String)], _ value: Double) -> String {
            let rendered = Self.labelSet(labels)
            return "\(name)\(suffix)\(rendered) \(Self.format(value))\n"
        }
        for (bound, cumulative) in zip(buckets, cumulativeCounts) {
            families[index].samples.append(line("_bucket", labels + [("le", Self.format(bound))], Double(cumulative)))
        }
        families[index].samples.append(line("_bucket", labels + [("le", "+Inf")], Double(count)))
        families[index].samples.append(line("_sum", labels, sum))
        families[index].samples.append(line("_count", labels, Double(count)))
    }

    var text: String {
        families.filter { !$0.samples.isEmpty }.map { family in
            "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n" + family.samples.joined()
        }.joined()
    }

    /// Whole numbers without a fraction (`1048576`), others as Swift prints a Double (`0.25`, `1.5e-05`).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `{name="value",…}`, empty without labels.
    static func labelSet(_ labels: [(String, String)]) -> String {
        labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Milliseconds since the epoch.
    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}
