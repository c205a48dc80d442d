import ArgumentParser
import KubeAPI

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
        guard let duration = try? GoDuration.parse(argument) else { return nil }
        self.init(duration, text: argument)
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}
