import Foundation

/// What the foreground commands (`up`, `lab`) tell the user: one line at a time, written at once (unbuffered), so
/// progress shows while waiting also when the output goes to a file or a pipe.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// `12.3` (seconds, one decimal).
    static func seconds(_ duration: Duration) -> String {
        let parts = duration.components
        return String(format: "%.1f", Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }
}
