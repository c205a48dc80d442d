import Foundation

/// What the foreground commands (`up`, `lab`) tell the user: one line at a time, written at once (unbuffered), so
/// progress shows while waiting also when the output goes to a file or a pipe.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
