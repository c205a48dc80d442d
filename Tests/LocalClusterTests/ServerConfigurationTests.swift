import Foundation
import LocalCluster
import Testing

/// The server's command line from a lab's configuration, and lab state files written before `--server-arg` existed.
struct ServerConfigurationTests {
    @Test func extraArgumentsFollowTheLabsOwn() throws {
        let plain = ServerConfiguration(dataDirectory: "/d/server", listen: "172.31.0.1:6443", clusterDNSAddress: "172.31.0.1:53")
        #expect(plain.arguments == ["server", "--data-dir", "/d/server", "--listen", "172.31.0.1:6443", "--cluster-dns-address", "172.31.0.1:53"])
        let tuned = ServerConfiguration(dataDirectory: "/d/server", listen: "172.31.0.1:6443",
                                        extraArguments: ["--node-monitor-grace-period=20s", "--node-monitor-period", "1s"])
        #expect(tuned.arguments == ["server", "--data-dir", "/d/server", "--listen", "172.31.0.1:6443",
                                    "--node-monitor-grace-period=20s", "--node-monitor-period", "1s"])
        let decoded = try JSONDecoder().decode(ServerConfiguration.self, from: JSONEncoder().encode(tuned))
        #expect(decoded == tuned)
    }

    @Test func stateWithoutExtraArgumentsStillLoads() throws {
        let old = #"{"dataDirectory":"/d/server","listen":"172.31.0.1:6443","clusterDNSAddress":"172.31.0.1:53"}"#
        let decoded = try JSONDecoder().decode(ServerConfiguration.self, from: Data(old.utf8))
        #expect(decoded.arguments.last == "172.31.0.1:53")
    }
}
