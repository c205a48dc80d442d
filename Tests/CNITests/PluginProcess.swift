import Foundation
import LinuxSystem

/// Runs a plugin executable once with an explicit environment and stdin, off the concurrency pool,
/// through LinuxSystem's `posix_spawn` runner (Foundation's `Process` can hang in a process whose
/// threads enter other network namespaces).
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
        do {
            let output = try await Subprocess.output(path, arguments: arguments, environment: environment, stdin: Array(stdin.utf8))
            return Output(status: output.status, stdout: Data(output.stdout), stderr: output.standardError)
        } catch {
            return Output(status: -1, stdout: Data(), stderr: "\(error)")
        }
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
