import CNI
import Foundation
import LinuxSystem
import Testing

@Suite struct NetworkConfigTests {
    @Test func keepsUnknownKeysAndInjects() throws {
        let config = try NetworkConfig(json: Data(#"{"cniVersion":"1.0.0","name":"n","type":"bridge","bridge":"br0","mtu":1450,"ipam":{"type":"host-local"}}"#.utf8))
        #expect(config.ipamType == "host-local")
        #expect(config.raw["bridge"] == .string("br0"))
        #expect(config.raw["mtu"] == .integer(1450))
        let injected = try config.injecting(["name": .string("other"), "runtimeConfig": .object(["mac": .string("02:00:00:00:00:01")])])
        #expect(injected.name == "other")
        #expect(injected.raw["bridge"] == .string("br0"))
        let reparsed = try NetworkConfig(json: injected.json())
        #expect(reparsed == injected)
    }

    @Test func wrongTypesAreDecodingFailures() {
        for text in [#"{"name":5}"#, #"{"name":"n","capabilities":"all"}"#, "[1,2]", "not json", #"{"name":"n","cniVersion":"1.a"}"#] {
            do {
                _ = try NetworkConfig(json: Data(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == .decodingFailure, "\(text)")
            }
        }
    }

    @Test func previousResultIsConvertedToTheConfigVersion() throws {
        let config = try NetworkConfig(json: Data(#"{"cniVersion":"1.0.0","name":"n","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}]}}"#.utf8))
        let previous = try #require(try config.previousResult())
        #expect(previous.cniVersion.description == "1.0.0")
        #expect(previous.ips.first?.address.description == "10.0.0.2/24")
    }

    @Test func conflistPicksTheNewestUsableVersionAndParsesFlags() throws {
        let list = try NetworkConfigList(json: Data("""
            {"name":"net","cniVersion":"0.4.0","cniVersions":["1.0.0","9.9.9"],"disableCheck":"true",
             "plugins":[{"type":"bridge"},{"type":"portmap","capabilities":{"portMappings":true}}]}
            """.utf8))
        #expect(list.cniVersion == CNIVersion(1, 0, 0))
        #expect(list.disableCheck && !list.disableGC)
        #expect(list.plugins.map(\.type) == ["bridge", "portmap"])
        #expect(list.plugins[1].capabilities == ["portMappings": true])
    }

    @Test func conflistErrors() {
        let cases: [(String, CNIError.Code)] = [
            (#"{"plugins":[{"type":"x"}]}"#, .invalidNetworkConfig),
            (#"{"name":"n","plugins":[]}"#, .invalidNetworkConfig),
            (#"{"name":"n","plugins":[{"bridge":"x"}]}"#, .invalidNetworkConfig),
            (#"{"name":"n","disableGC":3,"plugins":[{"type":"x"}]}"#, .decodingFailure),
            ("{", .decodingFailure),
        ]
        for (text, code) in cases {
            do {
                _ = try NetworkConfigList(json: Data(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == code, "\(text)")
            }
        }
    }

    @Test func shippedConflistParses() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("cni/10-swiftlet.conflist")
        let list = try ConfigDirectory.load(file: url.path)
        #expect(list.name == "swiftlet")
        #expect(list.cniVersion == CNIVersion(1, 1, 0))
        #expect(list.plugins.map(\.type) == ["swiftlet-bridge", "swiftlet-portmap"])
        #expect(list.plugins[0].ipamType == "swiftlet-host-local")
        #expect(list.plugins[1].capabilities["portMappings"] == true)
    }
}
