import CNI
import Foundation
import Testing

/// host-local's own behaviour: error codes, GC, STATUS, CHECK (in process, through the runner).
@Suite struct HostLocalTests {
    let runner = PluginRunner(plugin: HostLocal(), about: "swiftlet-host-local")

    func run(_ command: String, _ config: String, container: String = "c1", args: String = "") async -> (Int32, [String: Any]) {
        let outcome = await runner.run(environment: cniEnvironment(command, container: container, args: args), stdin: Data(config.utf8))
        return (outcome.exitCode, (try? JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any]) ?? [:])
    }

    @Test(arguments: [
        (#"[[{"subnet":"10.0.0.0/33"}]]"#, #"invalid range set 0: invalid subnet "10.0.0.0/33": prefix length 33 is outside 0...32"#),
        (#"[[{"subnet":"banana"}]]"#, nil),
        (#"[[{"subnet":"10.0.0.5/24"}]]"#, "invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.0.0.0"),
        (#"[[{"subnet":"10.0.0.0/31"}]]"#, "invalid range set 0: Network 10.0.0.0/31 too small to allocate from"),
        (#"[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.1.1"}]]"#, "invalid range set 0: RangeStart 10.0.1.1 not in network 10.0.0.0/24"),
        (#"[[{"subnet":"10.0.0.0/24"},{"subnet":"fd00::/64"}]]"#, "invalid range set 0: mixed address families"),
        (#"[[{"subnet":"10.0.0.0/24"}],[{"subnet":"10.0.0.0/25"}]]"#, "range set 0 overlaps with 1"),
        (#"[]"#, "no IP ranges specified"),
    ] as [(String, String?)])
    func invalidRangesAreCode7(ranges: String, message: String?) async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (status, error) = await run("ADD", hostLocalConfig(dataDir: directory.path, ranges: ranges))
        #expect(status == 1)
        #expect(error["code"] as? Int == 7)
        if let message { #expect(error["msg"] as? String == message) }
        #expect(directory.files("testnet").isEmpty)
    }

    @Test func wrongJSONTypesAreCode6() async {
        for ranges in [#"5"#, #"[[{"subnet":7}]]"#, #"[{"subnet":"10.0.0.0/24"}]"#] {
            let (status, error) = await run("ADD", hostLocalConfig(dataDir: "/tmp/unused", ranges: ranges))
            #expect(status == 1)
            #expect(error["code"] as? Int == 6, "\(ranges)")
        }
        let (_, error) = await run("ADD", #"{"cniVersion":"1.0.0","name":"n"}"#)
        #expect(error["code"] as? Int == 7)
        #expect(error["msg"] as? String == "IPAM config missing 'ipam' key")
    }

    @Test func exhaustedRangeIsCode100WithTheReferenceWording() async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/30"}]]"#)
        #expect(await run("ADD", config, container: "a").0 == 0)
        let (status, error) = await run("ADD", config, container: "b")
        #expect(status == 1)
        #expect(error["code"] as? Int == 100)
        #expect(error["msg"] as? String == "failed to allocate for range 0: no IP addresses available in range set: 10.0.0.1-10.0.0.2")
    }

    @Test func requestedAddressProblems() async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}]]"#)
        #expect(await run("ADD", config, container: "a", args: "IP=10.0.0.1").1["code"] as? Int == 101)
        #expect(await run("ADD", config, container: "a", args: "IP=10.9.0.1").1["msg"] as? String == "failed to allocate all requested IPs: 10.9.0.1")
        #expect(await run("ADD", config, container: "a", args: "IP=nonsense").1["code"] as? Int == 7)
        #expect(await run("ADD", config, container: "a", args: "FOO=1").1["code"] as? Int == 4)
        #expect(await run("ADD", config, container: "a", args: "IP=10.0.0.9").0 == 0)
        #expect(await run("ADD", config, container: "a").1["code"] as? Int == 105)
        #expect(directory.files("testnet") == ["10.0.0.9", "last_reserved_ip.0", "lock"])
    }

    @Test func failedSecondRangeSetReleasesTheFirst() async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/126"}]]"#)
        #expect(await run("ADD", config, container: "a").0 == 0)
        #expect(await run("ADD", config, container: "b").0 == 0)
        #expect(await run("ADD", config, container: "c").1["code"] as? Int == 100)
        #expect(!directory.files("testnet").contains("10.0.0.4"))
    }

    @Test func checkFindsOnlyReservedAttachments() async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}]]"#)
        #expect(await run("ADD", config, container: "a").0 == 0)
        #expect(await run("CHECK", config, container: "a").0 == 0)
        let (status, error) = await run("CHECK", config, container: "b")
        #expect(status == 1)
        #expect(error["code"] as? Int == 102)
        #expect(error["msg"] as? String == "host-local: Failed to find address added by container b")
    }

    @Test func gcKeepsOnlyValidAttachments() async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}]]"#)
        for container in ["a", "b", "c"] { #expect(await run("ADD", config, container: container).0 == 0) }
        // A file of an old version holds only the container ID.
        try? "b".write(toFile: directory.path + "/testnet/10.0.0.200", atomically: true, encoding: .utf8)
        let valid = hostLocalConfig(
            dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}]]"#,
            extraTop: #","cni.dev/valid-attachments":[{"containerID":"b","ifname":"eth0"}]"#)
        let gc = await runner.run(environment: ["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"], stdin: Data(valid.utf8))
        #expect(gc.exitCode == 0, "\(String(decoding: gc.stdout, as: UTF8.self))")
        #expect(directory.files("testnet") == ["10.0.0.200", "10.0.0.3", "fd00::3", "last_reserved_ip.0", "last_reserved_ip.1", "lock"])
        #expect(directory.contents("testnet/10.0.0.3") == "b\r\neth0")
    }

    @Test func gcWithoutValidAttachmentsIsRefused() async {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}]]"#)
        #expect(await run("ADD", config, container: "a").0 == 0)
        let gc = await runner.run(environment: ["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"], stdin: Data(config.utf8))
        #expect(gc.exitCode == 1)
        #expect(directory.files("testnet").contains("10.0.0.2"))
    }

    @Test func statusReportsAnUnusableDataDirectory() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let good = await runner.run(
            environment: ["CNI_COMMAND": "STATUS", "CNI_PATH": "/x"],
            stdin: Data(hostLocalConfig(dataDir: directory.path, ranges: #"[[{"subnet":"10.0.0.0/24"}]]"#).utf8))
        #expect(good.exitCode == 0)
        let file = directory.path + "/plain-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = await runner.run(
            environment: ["CNI_COMMAND": "STATUS", "CNI_PATH": "/x"],
            stdin: Data(hostLocalConfig(dataDir: file, ranges: #"[[{"subnet":"10.0.0.0/24"}]]"#).utf8))
        #expect(bad.exitCode == 1)
        let error = try #require(try JSONSerialization.jsonObject(with: bad.stdout) as? [String: Any])
        #expect(error["code"] as? Int == 50)
    }

    @Test func binaryErrorsGoToStdoutWithExit1() async throws {
        let output = await PluginProcess(path: PluginBinaries.ours("swiftlet-host-local")).run(cniEnvironment("ADD"), stdin: "{not json")
        #expect(output.status == 1)
        #expect(output.json?["code"] as? Int == 6)
        #expect(output.stderr.contains("ADD failed"))
        let version = await PluginProcess(path: PluginBinaries.ours("swiftlet-host-local")).run(["CNI_COMMAND": "VERSION"], stdin: "")
        #expect(version.status == 0)
        #expect(version.text == #"{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n")
    }
}
