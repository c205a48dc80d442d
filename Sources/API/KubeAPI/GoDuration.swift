import Foundation

/// Go's `time.Duration.String()`, as upstream's messages and documents print durations: `15s`, `2.003s`, `1m0.5s`,
/// `1h0m0s`, `500ms`, `0s`.
public enum GoDuration {
    public static func string(_ duration: Duration) -> String {
        let total = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        guard total != 0 else { return "0s" }
        let sign = total < 0 ? "-" : ""
        let nanos = total.magnitude
        func decimal(_ value: UInt64, unit: UInt64, digits: Int) -> String {
            var fraction = String(value % unit)
            fraction = String(repeating: "0", count: digits - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return "\(value / unit)" + (fraction.isEmpty ? "" : "." + fraction)
        }
        if nanos < 1000 { return sign + "\(nanos)ns" }
        if nanos < 1_000_000 { return sign + decimal(nanos, unit: 1000, digits: 3) + "µs" }
        if nanos < 1_000_000_000 { return sign + decimal(nanos, unit: 1_000_000, digits: 6) + "ms" }
        let hours = nanos / 3_600_000_000_000, minutes = nanos / 60_000_000_000 % 60
        let seconds = decimal(nanos % 60_000_000_000, unit: 1_000_000_000, digits: 9) + "s"
        if hours > 0 { return sign + "\(hours)h\(minutes)m" + seconds }
        if minutes > 0 { return sign + "\(minutes)m" + seconds }
        return sign + seconds
    }
}
