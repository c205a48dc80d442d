import CNI
import Foundation
import LinuxSystem
import Netlink
import Testing
import TestSupport

/// Our loopback against the reference in throwaway namespaces (never the host's).
@Suite(.enabled(if: geteuid() == 0, "needs root for network namespaces")) struct LoopbackTests {
    func add(_ binary: String, _ namespace: NetworkNamespace, version: String) async -> PluginProcess.Output {
        var environment = cniEnvironment("ADD")
        environment["CNI_NETNS"] = namespace.path
        environment["CNI_IFNAME"] = "eth0"
        return await PluginProcess(path: binary).run(environment, stdin: "{\"cniVersion\":\"\(version)\",\"name\":\"lo-net\",\"type\":\"loopback\"}")
    }

    @Test(arguments: ["0.4.0", "1.0.0"])
    func addMatchesTheReference(version: String) async throws {
        try await withThrowawayNetworkNamespace(prefix: "cni-lo") { ours in
            try await withThrowawayNetworkNamespace(prefix: "cni-lo") { reference in
                let mine = await add(PluginBinaries.ours("swiftlet-loopback"), ours, version: version)
                let theirs = await add(PluginBinaries.reference("loopback"), reference, version: version)
                #expect(mine.status == 0, "\(mine.text)")
                #expect(theirs.status == 0, "\(theirs.text)")
                var expected = try CNIResult.decode(from: theirs.stdout, fallbackVersion: .current)
                expected.interfaces[0].sandbox = ours.path
                #expect(try CNIResult.decode(from: mine.stdout, fallbackVersion: .current) == expected)
                #expect(expected.ips.map(\.address.description) == ["127.0.0.1/8", "::1/128"])
                let up = try ours.run { try RouteNetlink().link(named: "lo").isUp }
                #expect(up)
            }
        }
    }

    @Test func deleteTakesLoDownAndCheckNotices() async throws {
        try await withThrowawayNetworkNamespace(prefix: "cni-lo") { namespace in
            let runner = PluginRunner(plugin: Loopback(), about: "loopback")
            var environment = cniEnvironment("ADD")
            environment["CNI_NETNS"] = namespace.path
            let config = Data(#"{"cniVersion":"1.0.0","name":"lo-net","type":"loopback"}"#.utf8)
            #expect(await runner.run(environment: environment, stdin: config).exitCode == 0)
            environment["CNI_COMMAND"] = "CHECK"
            #expect(await runner.run(environment: environment, stdin: config).exitCode == 0)
            environment["CNI_COMMAND"] = "DEL"
            #expect(await runner.run(environment: environment, stdin: config).exitCode == 0)
            let up = try namespace.run { try RouteNetlink().link(named: "lo").isUp }
            #expect(!up)
            environment["CNI_COMMAND"] = "CHECK"
            #expect(await runner.run(environment: environment, stdin: config).exitCode == 1)
        }
    }

    @Test func deleteOfAVanishedNamespaceSucceeds() async {
        let runner = PluginRunner(plugin: Loopback(), about: "loopback")
        var environment = cniEnvironment("DEL")
        environment["CNI_NETNS"] = "/var/run/netns/does-not-exist-\(UInt32.random(in: 0 ... .max))"
        let outcome = await runner.run(environment: environment, stdin: Data(#"{"cniVersion":"1.0.0","name":"lo-net"}"#.utf8))
        #expect(outcome.exitCode == 0)
    }

    @Test func chainedAddReturnsThePreviousResult() async throws {
        try await withThrowawayNetworkNamespace(prefix: "cni-lo") { namespace in
            var environment = cniEnvironment("ADD")
            environment["CNI_NETNS"] = namespace.path
            let config = #"{"cniVersion":"1.0.0","name":"n","prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.2/24"}]}}"#
            let outcome = await PluginRunner(plugin: Loopback(), about: "").run(environment: environment, stdin: Data(config.utf8))
            let result = try CNIResult.decode(from: outcome.stdout, fallbackVersion: .current)
            #expect(result.ips.map(\.address.description) == ["10.9.0.2/24"])
        }
    }
}
