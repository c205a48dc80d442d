/// The processes of this PID namespace as `/proc` lists them, with their command lines: what tests, benchmarks and
/// clean-up code search to find the daemons and monitors they started.
public enum ProcessTable {
    /// Every process's pid and argv; kernel threads (no command line) and processes gone meanwhile are left out.
    public static func commandLines() -> [(pid: Int32, arguments: [String])] {
        FileSystem.entries(of: "/proc").compactMap { entry in
            guard let pid = Int32(entry), let bytes = try? FileSystem.contents(of: "/proc/\(entry)/cmdline"), !bytes.isEmpty else { return nil }
            var arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if arguments.last == "" { arguments.removeLast() }
            return (pid, arguments)
        }
    }

    /// The pids whose argv satisfies `matches`.
    public static func pids(where matches: ([String]) -> Bool) -> [Int32] {
        commandLines().filter { matches($0.arguments) }.map(\.pid)
    }
}
