import CNI
import Foundation
import LinuxSystem
import Testing
import TestSupport

/// The runtime driving a real chain: our host-local plus a recording fake plugin (a Python script).
@Suite struct CNIRuntimeTests {
    static let recorder = """
        #!/usr/bin/env python3
        import json, os, sys
        conf = json.load(sys.stdin)
        command = os.environ["CNI_COMMAND"]
        with open(os.environ["RECORDER_LOG"], "a") as log:
            log.write(json.dumps({"command": command, "conf": conf, "args": os.environ.get("CNI_ARGS", ""),
                                  "netns": os.environ.get("CNI_NETNS", "")}) + "\\n")
        if conf.get("fail") == command:
            print(json.dumps({"cniVersion": conf["cniVersion"], "code": conf.get("failCode", 110), "msg": "told to fail"}))
            sys.exit(1)
        if command == "ADD":
            result = conf.get("prevResult") or {"cniVersion": conf["cniVersion"]}
            result.setdefault("interfaces", []).append({"name": "rec0"})
            print(json.dumps(result))
        """

    /// A plugin directory with `swiftlet-host-local` and `recorder`, a cache and a data directory.
    struct Fixture {
        let root = TemporaryDirectory("runtime")
        var plugins: String { root.path + "/bin" }
        var data: String { root.path + "/data" }
        var log: String { root.path + "/recorder.log" }
        let runtime: CNIRuntime

        init() throws {
            let plugins = root.path + "/bin"
            try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: plugins + "/swiftlet-host-local", withDestinationPath: PluginBinaries.ours("swiftlet-host-local"))
            try CNIRuntimeTests.recorder.write(toFile: plugins + "/recorder", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugins + "/recorder")
            var environment = ProcessInfo.processInfo.environment
            environment["RECORDER_LOG"] = root.path + "/recorder.log"
            runtime = CNIRuntime(pluginDirectories: [plugins], cache: ResultCache(directory: root.path + "/cache"), baseEnvironment: environment)
        }

        func list(version: String = "1.1.0", recorder: String = "") throws(CNIError) -> NetworkConfigList {
            try NetworkConfigList(json: Data("""
                {"cniVersion":"\(version)","name":"podnet","plugins":[
                  {"type":"swiftlet-host-local","ipam":{"type":"host-local","dataDir":"\(data)","ranges":[[{"subnet":"10.30.0.0/24"}]]}},
                  {"type":"recorder","capabilities":{"portMappings":true}\(recorder)}]}
                """.utf8))
        }

        func records() -> [[String: Any]] {
            let text = root.contents("recorder.log") ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func attachment(_ id: String) -> NetworkAttachment {
            NetworkAttachment(
                containerID: id, netns: "/var/run/netns/\(id)", args: [("IgnoreUnknown", "1"), ("K8S_POD_NAME", "web")],
                capabilityArgs: ["portMappings": .array([.object(["hostPort": .integer(8080), "containerPort": .integer(80), "protocol": .string("tcp")])]),
                                 "mac": .string("02:00:00:00:00:01")])
        }
    }

    @Test func addChainsResultsInjectsCapabilitiesAndCaches() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let result = try await fixture.runtime.add(fixture.list(), fixture.attachment("c1"))
        #expect(result.ips.map { $0.address.description } == ["10.30.0.2/24"])
        #expect(result.interfaces.map { $0.name } == ["rec0"])

        let record = try #require(fixture.records().first)
        let conf = try #require(record["conf"] as? [String: Any])
        #expect(conf["name"] as? String == "podnet")
        #expect(conf["cniVersion"] as? String == "1.1.0")
        #expect(((conf["prevResult"] as? [String: Any])?["ips"] as? [[String: Any]])?.first?["address"] as? String == "10.30.0.2/24")
        let runtimeConfig = try #require(conf["runtimeConfig"] as? [String: Any])
        #expect(Set(runtimeConfig.keys) == ["portMappings"])
        #expect(record["args"] as? String == "IgnoreUnknown=1;K8S_POD_NAME=web")

        let cacheFile = fixture.root.path + "/cache/results/podnet-c1-eth0"
        let cached = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cacheFile))) as? [String: Any])
        #expect(cached["kind"] as? String == "cniCacheV1")
        #expect(cached["containerId"] as? String == "c1")
        #expect(cached["networkName"] as? String == "podnet")
        #expect(cached["cniArgs"] as? [[String]] == [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "web"]])
        let config = try #require(Data(base64Encoded: cached["config"] as? String ?? ""))
        #expect(try NetworkConfigList(json: config).name == "podnet")
        #expect(fixture.runtime.cachedResult(try fixture.list(), fixture.attachment("c1")) == result)
        let mode = try FileManager.default.attributesOfItem(atPath: cacheFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func deleteRunsInReverseWithTheCachedResultAndIsIdempotent() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let list = try fixture.list()
        _ = try await fixture.runtime.add(list, fixture.attachment("c1"))
        try await fixture.runtime.delete(list, fixture.attachment("c1"))
        try await fixture.runtime.delete(list, fixture.attachment("c1"))
        let deletes = fixture.records().filter { $0["command"] as? String == "DEL" }
        #expect(deletes.count == 2)
        #expect((deletes[0]["conf"] as? [String: Any])?["prevResult"] != nil)
        #expect((deletes[1]["conf"] as? [String: Any])?["prevResult"] == nil)
        #expect(fixture.root.files("data/podnet") == ["last_reserved_ip.0", "lock"])
        #expect(fixture.root.files("cache/results").isEmpty)
    }

    @Test func failedAddIsRolledBack() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let failing = try fixture.list(recorder: #","fail":"ADD","failCode":123"#)
        do throws(CNIError) {
            _ = try await fixture.runtime.add(failing, fixture.attachment("c1"))
            Issue.record("ADD succeeded")
        } catch {
            #expect(error.code.rawValue == 123)
            #expect(error.msg == #"plugin type="recorder" failed (add): told to fail"#)
        }
        #expect(fixture.records().map { $0["command"] as? String } == ["ADD", "DEL"])
        #expect(fixture.root.files("data/podnet") == ["last_reserved_ip.0", "lock"])
        #expect(fixture.root.files("cache/results").isEmpty)
    }

    @Test func missingPluginStillDeletesTheOthers() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let list = try NetworkConfigList(json: Data("""
            {"cniVersion":"1.0.0","name":"podnet","plugins":[
              {"type":"swiftlet-host-local","ipam":{"type":"host-local","dataDir":"\(fixture.data)","ranges":[[{"subnet":"10.30.0.0/24"}]]}},
              {"type":"no-such-plugin"}]}
            """.utf8))
        await #expect(throws: CNIError.self) { _ = try await fixture.runtime.add(list, fixture.attachment("c1")) }
        #expect(fixture.root.files("data/podnet") == ["last_reserved_ip.0", "lock"])
    }

    @Test func checkUsesTheCacheAndVersionGate() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let list = try fixture.list()
        _ = try await fixture.runtime.add(list, fixture.attachment("c1"))
        try await fixture.runtime.check(list, fixture.attachment("c1"))
        let check = try #require(fixture.records().last)
        #expect(check["command"] as? String == "CHECK")
        #expect((check["conf"] as? [String: Any])?["prevResult"] != nil)
        do throws(CNIError) {
            try await fixture.runtime.check(list, fixture.attachment("other"))
            Issue.record("CHECK of an unknown attachment passed")
        } catch {
            #expect(error.code == .attachmentNotFound)
        }
        let legacy = try fixture.list(version: "0.3.1")
        do throws(CNIError) {
            try await fixture.runtime.check(legacy, fixture.attachment("c1"))
            Issue.record("CHECK allowed for 0.3.1")
        } catch {
            #expect(error.code == .incompatibleVersion)
        }
    }

    @Test func garbageCollectDeletesStaleAttachmentsThenAsksPlugins() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let list = try fixture.list()
        for id in ["keep", "stale"] { _ = try await fixture.runtime.add(list, fixture.attachment(id)) }
        // A reservation no cache knows about: only the plugin's own GC can free it.
        try "ghost\r\neth0".write(toFile: fixture.data + "/podnet/10.30.0.99", atomically: true, encoding: .utf8)
        try await fixture.runtime.garbageCollect(list, validAttachments: [GCAttachment(containerID: "keep", ifname: "eth0")])
        #expect(fixture.root.files("cache/results") == ["podnet-keep-eth0"])
        #expect(fixture.root.files("data/podnet") == ["10.30.0.2", "last_reserved_ip.0", "lock"])
        let gc = try #require(fixture.records().last)
        #expect(gc["command"] as? String == "GC")
        let valid = (gc["conf"] as? [String: Any])?["cni.dev/valid-attachments"] as? [[String: String]]
        #expect(valid == [["containerID": "keep", "ifname": "eth0"]])
    }

    @Test func statusPassesPluginCodesThrough() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try await fixture.runtime.status(fixture.list())
        let unavailable = try fixture.list(recorder: #","fail":"STATUS","failCode":50"#)
        do throws(CNIError) {
            try await fixture.runtime.status(unavailable)
            Issue.record("STATUS passed")
        } catch {
            #expect(error.code == .pluginNotAvailable)
        }
        // Before 1.1.0 there is no STATUS: the network counts as ready without asking.
        try await fixture.runtime.status(fixture.list(version: "1.0.0", recorder: #","fail":"STATUS""#))
    }

    @Test func configDirectoryPicksTheLowestName() throws {
        let directory = TemporaryDirectory("netd")
        defer { directory.remove() }
        try #"{"cniVersion":"1.0.0","name":"second","plugins":[{"type":"bridge"}]}"#.write(toFile: directory.path + "/20-b.conflist", atomically: true, encoding: .utf8)
        try #"{"cniVersion":"1.0.0","name":"first","type":"bridge"}"#.write(toFile: directory.path + "/10-a.conf", atomically: true, encoding: .utf8)
        try "ignored".write(toFile: directory.path + "/05-readme.txt", atomically: true, encoding: .utf8)
        let config = ConfigDirectory(path: directory.path)
        let first = try config.defaultNetwork()
        #expect(first.name == "first")
        #expect(first.plugins.map { $0.type } == ["bridge"])
        #expect(try config.network(named: "second").name == "second")
        #expect(throws: CNIError.self) { try config.network(named: "third") }
    }

    @Test(.enabled(if: geteuid() == 0, "needs root for network namespaces"))
    func loopbackNetworkBringsLoUp() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try FileManager.default.createSymbolicLink(
            atPath: fixture.plugins + "/swiftlet-loopback", withDestinationPath: PluginBinaries.ours("swiftlet-loopback"))
        try await withThrowawayNetworkNamespace(prefix: "cni-rt") { namespace in
            let loopback = try NetworkConfigList.loopback()
            let attachment = NetworkAttachment(containerID: "c1", netns: namespace.path, ifName: "lo")
            let result = try await fixture.runtime.add(loopback, attachment)
            #expect(result.ips.map { $0.address.description } == ["127.0.0.1/8", "::1/128"])
            #expect(fixture.root.files("cache/results") == ["cni-loopback-c1-lo"])
            try await fixture.runtime.delete(loopback, attachment)
            #expect(fixture.root.files("cache/results").isEmpty)
        }
    }
}
