import Foundation

/// Read-only `ip -j` (and `bridge -j`) queries the integration tests compare our netlink results against.
/// Tests only: library code never runs `ip`.
enum IPCommand {
    /// Runs `/usr/sbin/COMMAND ARGS` and returns its standard output.
    static func run(_ arguments: [String], command: String = "ip") throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/" + command)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(command: [command] + arguments, status: process.terminationStatus)
        }
        return data
    }

    /// `COMMAND -j ARGS` decoded as a JSON array of objects (`ip -j -n NAME link show`).
    static func json(_ arguments: [String], command: String = "ip") throws -> [[String: Any]] {
        let data = try run(["-j"] + arguments, command: command)
        if data.isEmpty { return [] }
        return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    }

    /// The names `ip netns list` shows.
    static func netnsNames() throws -> [String] {
        try json(["netns", "list"]).compactMap { $0["name"] as? String }
    }

    struct Failure: Error, CustomStringConvertible {
        let command: [String]
        let status: Int32
        var description: String { "\(command.joined(separator: " ")) exited with \(status)" }
    }
}
