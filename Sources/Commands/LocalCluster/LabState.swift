import Foundation

/// What `swiftlet lab up` made, in `<dir>/lab.json`, so `swiftlet lab down` (another process) stops and removes
/// exactly that. Written before anything is created and after every daemon start, so a lab that failed half-way
/// can be taken down too.
public struct LabState: Codable, Sendable {
    /// A daemon `lab up` started, in start order.
    public struct DaemonRecord: Codable, Sendable {
        public var name: String
        public var pid: Int32
        public var logFile: String
    }

    public var directory: String
    public var network: LabNetwork
    public var server: ServerConfiguration
    public var nodes: [NodeConfiguration]
    public var daemons: [DaemonRecord] = []

    public static func path(directory: String) -> String { directory + "/lab.json" }

    public static func load(directory: String) throws(LocalClusterError) -> LabState {
        let path = path(directory: directory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LocalClusterError(.invalid, "no lab in \(directory) (\(path) is missing)")
        }
        do {
            return try JSONDecoder().decode(LabState.self, from: data)
        } catch {
            throw LocalClusterError(.invalid, "cannot read \(path)", cause: error)
        }
    }

    public func save() throws(LocalClusterError) {
        let path = Self.path(directory: directory)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LocalClusterError(.system, "cannot write \(path)", cause: error)
        }
    }

    public mutating func record(_ daemon: Daemon) throws(LocalClusterError) {
        daemons.append(DaemonRecord(name: daemon.name, pid: daemon.pid, logFile: daemon.logFile))
        try save()
    }
}
