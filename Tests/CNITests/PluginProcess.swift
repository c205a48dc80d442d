import Foundation

/// Runs a plugin executable once with an explicit environment and stdin, off the concurrency pool.
struct PluginProcess: Sendable {
    struct Output: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: stdout) as? [String: Any] }
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    let path: String
    var arguments: [String] = []

    func run(_ environment: [String: String], stdin: String) async -> Output {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.runBlocking(path, arguments, environment, Data(stdin.utf8)))
            }
        }
    }

    private static func runBlocking(_ path: String, _ arguments: [String], _ environment: [String: String], _ stdin: Data) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { return Output(status: -1, stdout: Data(), stderr: "\(error)") }
        try? input.fileHandleForWriting.write(contentsOf: stdin)
        try? input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A fresh directory under /tmp, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "cni-test") {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// File names directly inside `subpath`, sorted.
    func files(_ subpath: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + subpath)) ?? []).sorted()
    }

    func contents(_ subpath: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + subpath).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The `CNI_*` environment of one plugin call.
func cniEnvironment(_ command: String, container: String = "c1", ifName: String = "eth0", args: String = "") -> [String: String] {
    [
        "CNI_COMMAND": command, "CNI_CONTAINERID": container, "CNI_NETNS": "/var/run/netns/none",
        "CNI_IFNAME": ifName, "CNI_PATH": "/usr/lib/cni", "CNI_ARGS": args,
    ]
}

/// A host-local configuration JSON for `ranges`, stored in `dataDir`.
func hostLocalConfig(
    version: String = "1.1.0", name: String = "testnet", dataDir: String, ranges: String,
    extraIPAM: String = "", extraTop: String = ""
) -> String {
    """
    {"cniVersion":"\(version)","name":"\(name)","type":"host-local"\(extraTop),
     "ipam":{"type":"host-local","dataDir":"\(dataDir)","ranges":\(ranges)\(extraIPAM)}}
    """
}
