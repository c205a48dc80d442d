import ArgumentParser

/// A command-line duration in Go's `time.ParseDuration` syntax, as kube-controller-manager's flags take them:
/// `50s`, `1m30s`, `500ms`, `1.5h` (units ns, us/µs, ms, s, m, h; a plain `0` is zero).
struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration
    private let text: String

    init(_ duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    init?(argument: String) {
        guard let duration = Self.parse(argument) else { return nil }
        self.init(duration, text: argument)
    }

    var description: String { text }
    var defaultValueDescription: String { text }

    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        var seconds = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest unit first, so "ms" is not read as "m" followed by "s".
            guard let (unit, scale) = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            seconds += value * scale
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
