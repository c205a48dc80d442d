import Foundation
import LinuxSystem
import TestSupport
import Testing

/// `hack/install.sh` into a throwaway DESTDIR from this build (no network, no systemd here): every file where the
/// units expect it, the units valid for `systemd-analyze verify`, their flags known to the binary, a second run
/// changing nothing but keeping the admin's edits, images imported for an air-gapped node, and `--uninstall` /
/// `--purge` removing it all.
@Suite(.serialized) struct InstallScriptTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let script = repository + "/hack/install.sh"

    func install(_ arguments: [String]) async throws -> Subprocess.Output {
        let output = try await Subprocess.output("/bin/bash", arguments: [Self.script] + arguments, timeout: .seconds(300))
        #expect(output.status == 0, "install.sh \(arguments.joined(separator: " ")): \(output.standardOutput) \(output.standardError)")
        return output
    }

    @Test func installsIdempotentlyAndUninstalls() async throws {
        let destdir = ClusterHarness.freshDirectory("swinstall")
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let archives = try await ClusterHarness.imageArchives()
        let pause = try #require(archives.first { $0.hasSuffix("pause-v1.tar") })
        let arguments = ["--destdir", destdir, "--from", ClusterHarness.binaries, "--pod-cidr", "10.244.5.0/24",
                         "--image-archive", pause, "--pause-image", "swiftlet.local/pause:3.10"]
        let first = try await install(arguments)
        // The pause image went into the runtime's store, for an air-gapped node.
        #expect(first.standardOutput.contains("imported swiftlet.local/pause:3.10"), "\(first.standardOutput)")

        // Binaries and plugins, executable; the network config with this node's subnet.
        for path in ["/usr/local/bin/swiftlet", "/usr/local/bin/swiftlet-shim", "/opt/cni/bin/swiftlet-bridge", "/opt/cni/bin/swiftlet-host-local",
                     "/opt/cni/bin/swiftlet-loopback", "/opt/cni/bin/swiftlet-portmap"] {
            #expect(FileManager.default.isExecutableFile(atPath: destdir + path), "\(path) missing")
        }
        let conflist = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: destdir + "/etc/cni/net.d/10-swiftlet.conflist"))) as? [String: Any]
        let ipam = ((conflist?["plugins"] as? [[String: Any]])?.first?["ipam"] as? [String: Any])
        let range = ((ipam?["ranges"] as? [[[String: String]]])?.first?.first) ?? [:]
        #expect(range == ["subnet": "10.244.5.0/24", "gateway": "10.244.5.1"])

        // The units: their paths are where the script put things, and the daemons know every flag they pass.
        let units = ["server", "runtime", "agent"].map { "swiftlet-\($0).service" }
        var execStarts: [String: [String]] = [:]
        for unit in units {
            let text = try String(contentsOfFile: destdir + "/etc/systemd/system/" + unit, encoding: .utf8)
            #expect(!text.contains("@"), "\(unit) has an unreplaced placeholder")
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            let words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
            #expect(words.first == "/usr/local/bin/swiftlet")
            execStarts[unit] = words
        }
        let runtime = try #require(execStarts["swiftlet-runtime.service"]), agent = try #require(execStarts["swiftlet-agent.service"])
        let server = try #require(execStarts["swiftlet-server.service"])
        func value(_ words: [String], _ flag: String) -> String? { words.firstIndex(of: flag).map { words[$0 + 1] } }
        #expect(value(runtime, "--cni-conf-dir") == "/etc/cni/net.d")
        #expect(value(runtime, "--cni-bin-dir") == "/opt/cni/bin")
        #expect(value(runtime, "--root") == "/var/lib/swiftlet/runtime")
        #expect(value(runtime, "--state") == "/run/swiftlet/runtime")
        #expect(value(runtime, "--listen") == value(agent, "--container-runtime-endpoint"))
        #expect(value(server, "--data-dir").map { $0 + "/admin.kubeconfig" } == "/var/lib/swiftlet/server/admin.kubeconfig")
        let agentDefaults = try String(contentsOfFile: destdir + "/etc/default/swiftlet-agent", encoding: .utf8)
        #expect(agentDefaults.contains("SWIFTLET_KUBECONFIG=/var/lib/swiftlet/server/admin.kubeconfig"))
        #expect(agentDefaults.contains("--pod-cidr 10.244.5.0/24"))
        #expect(try String(contentsOfFile: destdir + "/etc/default/swiftlet-runtime", encoding: .utf8).contains("--pause-image swiftlet.local/pause:3.10"))
        for (unit, words) in execStarts {
            let command = Array(words.dropFirst().prefix { $0.hasPrefix("-") == false })
            let help = try await Subprocess.output(destdir + "/usr/local/bin/swiftlet", arguments: command + ["--help"])
            for flag in words where flag.hasPrefix("--") {
                #expect(help.standardOutput.contains(flag), "\(unit): swiftlet \(command.joined(separator: " ")) has no \(flag)")
            }
        }
        // systemd's own check (which also wants ExecStart's binary to exist): copies of the units pointing into DESTDIR.
        let copies = destdir + "-units"
        try FileManager.default.createDirectory(atPath: copies, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copies) }
        for unit in units {
            try String(contentsOfFile: destdir + "/etc/systemd/system/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "=/usr/local/bin/", with: "=\(destdir)/usr/local/bin/")
                .write(toFile: copies + "/" + unit, atomically: true, encoding: .utf8)
        }
        let verify = try await Subprocess.output("/usr/bin/systemd-analyze", arguments: ["verify", "--man=no"] + units.map { copies + "/" + $0 })
        #expect(verify.status == 0 && verify.standardError.isEmpty, "systemd-analyze verify: \(verify.standardOutput) \(verify.standardError)")

        // Again: nothing changes but what the admin edited stays.
        let edited = "SWIFTLET_KUBECONFIG=/etc/swiftlet/agent.kubeconfig\nSWIFTLET_AGENT_ARGS=\"--pod-cidr 10.244.5.0/24 --node-ip 192.0.2.5\"\n"
        try edited.write(toFile: destdir + "/etc/default/swiftlet-agent", atomically: true, encoding: .utf8)
        let before = try await tree(destdir)
        _ = try await install(arguments)
        #expect(try await tree(destdir) == before)
        #expect(try String(contentsOfFile: destdir + "/etc/default/swiftlet-agent", encoding: .utf8) == edited)

        // Uninstall keeps configuration and state; purge removes them too.
        _ = try await install(["--uninstall", "--destdir", destdir])
        let left = try await tree(destdir).keys.filter { !$0.hasSuffix("/") }
        #expect(left.allSatisfy { $0.hasPrefix("/etc/default/swiftlet-") || $0.hasPrefix("/var/lib/swiftlet/") }, "\(left.sorted())")
        _ = try await install(["--uninstall", "--purge", "--destdir", destdir])
        #expect(try await tree(destdir).keys.filter { !$0.hasSuffix("/") }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: destdir + "/var/lib/swiftlet"))
    }

    @Test func refusesBadInput() async throws {
        let destdir = ClusterHarness.freshDirectory("swinstall")
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let badCIDR = try await Subprocess.output("/bin/bash", arguments: [Self.script, "--destdir", destdir, "--from", ClusterHarness.binaries, "--pod-cidr", "10.244.5.0"])
        #expect(badCIDR.status == 2 && badCIDR.standardError.contains("--pod-cidr must be an IPv4 network"))
        let noBuild = try await Subprocess.output("/bin/bash", arguments: [Self.script, "--destdir", destdir, "--from", destdir + "/nothing"])
        #expect(noBuild.status == 1 && noBuild.standardError.contains("is missing"))
        #expect(try await tree(destdir).keys.filter { !$0.hasSuffix("/") }.isEmpty)
    }

    /// Every file below `root` with its mode and SHA-256, and every directory (ending in "/"), as `path → description`.
    func tree(_ root: String) async throws -> [String: String] {
        let output = try await Subprocess.output("/bin/sh", arguments: ["-c", """
            cd "$1" && find . -type d -printf '%p/ dir\\n' && find . -type f -printf '%p %m ' -exec sh -c 'sha256sum < "$1"' sh {} \\;
            """, "sh", root])
        guard output.status == 0 else { throw TestSupportError("listing \(root): \(output.standardError)") }
        var entries: [String: String] = [:]
        for line in output.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] != "./" else { continue }
            entries[String(parts[0].dropFirst())] = parts[1]
        }
        return entries
    }
}
