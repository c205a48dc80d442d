import CNI
import Foundation
import Testing

/// Runs our `swiftlet-host-local` and the reference `/usr/lib/cni/host-local` through the same steps in
/// separate data directories and compares every outcome and the files left on disk.
///
/// Known, intended differences (asserted, not ignored): error codes (the reference answers 999 for
/// everything; we answer the spec's codes), error texts other than range exhaustion, and file modes
/// (the Debian 1.1.1 reference writes 0644; we write 0600 as upstream does since 1.2).
@Suite(.enabled(if: PluginBinaries.referenceAvailable, "needs /usr/lib/cni/host-local"))
struct HostLocalComparisonTests {
    struct Step {
        var command: String
        var container: String
        var args = ""
        var ifName = "eth0"
    }

    /// Runs `steps` against both binaries with `config(dataDir)` and compares them step by step.
    func compare(_ config: (String) -> String, _ steps: [Step], sameErrorText: Set<Int> = []) async throws {
        let ours = TemporaryDirectory("ours"), reference = TemporaryDirectory("reference")
        defer { ours.remove(); reference.remove() }
        for (index, step) in steps.enumerated() {
            let environment = cniEnvironment(step.command, container: step.container, ifName: step.ifName, args: step.args)
            let mine = await PluginProcess(path: PluginBinaries.ours("swiftlet-host-local")).run(environment, stdin: config(ours.path))
            let theirs = await PluginProcess(path: PluginBinaries.reference("host-local")).run(environment, stdin: config(reference.path))
            let label = "step \(index) \(step.command) \(step.container): ours \(mine.text) reference \(theirs.text)"
            #expect(mine.status == theirs.status, "\(label)")
            if mine.status == 0, step.command == "ADD" {
                let version = try CNIVersion(parsing: (theirs.json?["cniVersion"] as? String) ?? "")
                #expect(try CNIResult.decode(from: mine.stdout, fallbackVersion: version) == CNIResult.decode(from: theirs.stdout, fallbackVersion: version), "\(label)")
                #expect(mine.json?["cniVersion"] as? String == theirs.json?["cniVersion"] as? String)
            } else if mine.status != 0 {
                #expect((mine.json?["code"] as? Int ?? 0) != 999, "\(label)")
                if sameErrorText.contains(index) {
                    #expect(mine.json?["msg"] as? String == theirs.json?["msg"] as? String, "\(label)")
                }
            }
            try compareDisk(ours, reference, label)
        }
    }

    func compareDisk(_ ours: TemporaryDirectory, _ reference: TemporaryDirectory, _ label: String) throws {
        let names = ours.files("testnet")
        #expect(names == reference.files("testnet"), "\(label)")
        for name in names {
            #expect(ours.contents("testnet/\(name)") == reference.contents("testnet/\(name)"), "\(label): \(name)")
            let mode = try FileManager.default.attributesOfItem(atPath: "\(ours.path)/testnet/\(name)")[.posixPermissions] as? Int
            #expect(mode == (name == "lock" ? 0o750 : 0o600), "\(name)")
        }
    }

    @Test(arguments: ["0.3.1", "0.4.0", "1.0.0"])
    func dualStackRoundRobinExhaustionAndRelease(version: String) async throws {
        let config = { (dir: String) in
            hostLocalConfig(version: version, dataDir: dir, ranges: #"[[{"subnet":"10.0.0.0/29"}],[{"subnet":"fd00::/125"}]]"#,
                            extraIPAM: #","routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"fd00::1"}]"#)
        }
        var steps = (1...6).map { Step(command: "ADD", container: "c\($0)") }
        steps += [
            Step(command: "DEL", container: "c2"), Step(command: "DEL", container: "c2"),
            Step(command: "ADD", container: "c7"), Step(command: "ADD", container: "c8"),
            Step(command: "DEL", container: "c4"), Step(command: "ADD", container: "c9", args: "IgnoreUnknown=1;K8S_POD_NAME=x"),
            Step(command: "ADD", container: "c1", ifName: "net1"),
            Step(command: "DEL", container: "never-added"),
        ]
        if version != "0.3.1" {
            steps += [Step(command: "CHECK", container: "c3"), Step(command: "CHECK", container: "c2")]
        }
        // Step 5: the sixth ADD finds the /29 exhausted (fd00::/125 has 6 hosts, 10.0.0.0/29 only 5).
        try await compare(config, steps, sameErrorText: [5])
    }

    @Test func multiRangeSetWithStartEndAndGateway() async throws {
        let ranges = """
            [[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.10","rangeEnd":"10.1.0.12","gateway":"10.1.0.11"},
              {"subnet":"10.2.0.0/24","rangeStart":"10.2.0.252","gateway":"10.2.0.253"}]]
            """
        let config = { (dir: String) in hostLocalConfig(version: "0.4.0", dataDir: dir, ranges: ranges) }
        try await compare(config, (1...6).map { Step(command: "ADD", container: "c\($0)") }, sameErrorText: [5])
    }

    @Test func legacySubnetFormAndRequestedAddresses() async throws {
        let config = { (dir: String) in
            """
            {"cniVersion":"1.0.0","name":"testnet","type":"host-local",
             "args":{"cni":{"ips":["10.3.0.40"]}},
             "ipam":{"type":"host-local","dataDir":"\(dir)","subnet":"10.3.0.0/24","gateway":"10.3.0.254",
                     "ranges":[[{"subnet":"fd01::/64"}]]}}
            """
        }
        try await compare(config, [
            Step(command: "ADD", container: "c1", args: "IP=fd01::99"),
            Step(command: "ADD", container: "c2", args: "IP=fd01::99"),
            Step(command: "DEL", container: "c1"),
            Step(command: "ADD", container: "c3"),
        ])
    }

    @Test func requestedAddressFromRuntimeConfig() async throws {
        let config = { (dir: String) in
            hostLocalConfig(version: "1.0.0", dataDir: dir, ranges: #"[[{"subnet":"10.4.0.0/24"}]]"#,
                            extraTop: #","runtimeConfig":{"ips":["10.4.0.77/24"]}"#)
        }
        try await compare(config, [
            Step(command: "ADD", container: "c1"), Step(command: "ADD", container: "c2"), Step(command: "DEL", container: "c1"),
        ])
    }

    @Test func resolvConfBecomesResultDNS() async throws {
        let directory = TemporaryDirectory("resolv")
        defer { directory.remove() }
        let resolv = directory.path + "/resolv.conf"
        try "# comment\nnameserver 10.96.0.10\nnameserver 1.1.1.1\nsearch default.svc cluster.local\noptions ndots:5\ndomain example\n"
            .write(toFile: resolv, atomically: true, encoding: .utf8)
        let config = { (dir: String) in
            hostLocalConfig(version: "1.0.0", dataDir: dir, ranges: #"[[{"subnet":"10.5.0.0/24"}]]"#, extraIPAM: ",\"resolvConf\":\"\(resolv)\"")
        }
        try await compare(config, [Step(command: "ADD", container: "c1")])
    }
}
