import Foundation

/// Go's durations: `time.Duration.String()`, as upstream's messages and documents print them (`15s`, `2.003s`,
/// `1m0.5s`, `1h0m0s`, `500ms`, `0s`), and `time.ParseDuration`, as flags, CronJob's `@every` and metrics-server's
/// `window` give them.
public enum GoDuration {
    /// Go's `time.ParseDuration`: a sign, then decimal numbers each with a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`,
    /// `h`), e.g. `1m30s`, `1.5h`, `-500ms`; a plain `0` is zero.
    ///
    /// - Throws: `GoDurationError` in Go's words (`time: invalid duration "x"`, `time: missing unit in duration "1"`,
    ///   `time: unknown unit "d" in duration "1d"`).
    public static func parse(_ text: String) throws(GoDurationError) -> Duration {
        let quoted = "\"\(text)\""
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return .zero }
        guard !rest.isEmpty else { throw GoDurationError("time: invalid duration \(quoted)") }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let value = Double(number) else {
                throw GoDurationError("time: invalid duration \(quoted)")
            }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard !unit.isEmpty else { throw GoDurationError("time: missing unit in duration \(quoted)") }
            guard let scale = units.first(where: { $0.0 == unit })?.1 else { throw GoDurationError("time: unknown unit \"\(unit)\" in duration \(quoted)") }
            rest = rest.dropFirst(unit.count)
            total += value * scale
            guard total < 9.3e18 else { throw GoDurationError("time: invalid duration \(quoted)") }
        }
        return .nanoseconds(Int64((negative ? -total : total).rounded()))
    }

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

/// A duration Go's `time.ParseDuration` would refuse, with its message.
public struct GoDurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
