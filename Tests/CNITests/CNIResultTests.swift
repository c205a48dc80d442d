import CNI
import Foundation
import LinuxSystem
import Testing

/// Conversion vectors taken from libcni's `types040`/`types100` converters.
@Suite struct CNIResultTests {
    static let legacy = """
        {"cniVersion":"0.4.0",
         "interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/var/run/netns/a"}],
         "ips":[{"version":"4","interface":0,"address":"10.1.2.3/24","gateway":"10.1.2.1"},
                {"version":"6","interface":0,"address":"fd00::3/64"}],
         "routes":[{"dst":"0.0.0.0/0","gw":"10.1.2.1"},{"dst":"::/0","mtu":1400}],
         "dns":{"nameservers":["10.0.0.10"],"search":["svc.cluster.local"]}}
        """

    func object(_ result: CNIResult) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: result.json()) as? [String: Any])
    }

    @Test func decodes040AndConvertsTo100DroppingVersionTags() throws {
        let result = try CNIResult.decode(from: Data(Self.legacy.utf8), fallbackVersion: .current)
        #expect(result.cniVersion == CNIVersion(0, 4, 0))
        #expect(result.ips.map(\.address.description) == ["10.1.2.3/24", "fd00::3/64"])
        #expect(result.ips[0].interface == 0)
        #expect(result.routes[1].mtu == 1400)
        let current = try object(result.converted(to: CNIVersion(1, 0, 0)))
        #expect(current["cniVersion"] as? String == "1.0.0")
        let ips = try #require(current["ips"] as? [[String: Any]])
        #expect(ips.allSatisfy { $0["version"] == nil })
        #expect(ips[0]["interface"] as? Int == 0)
        #expect(ips[0]["gateway"] as? String == "10.1.2.1")
        #expect((current["dns"] as? [String: Any])?["nameservers"] as? [String] == ["10.0.0.10"])
    }

    @Test func convertsDownTo031TaggingFamiliesAndDroppingNewInterfaceFields() throws {
        let result = CNIResult(
            cniVersion: .current,
            interfaces: [.init(name: "eth0", mac: "02:00:00:00:00:01", mtu: 1450, sandbox: "/ns", socketPath: "/s", pciID: "0000:01")],
            ips: [
                .init(interface: 0, address: try IPNetwork(parsing: "10.88.0.5/16"), gateway: try IPAddress(parsing: "10.88.0.1")),
                .init(interface: 0, address: try IPNetwork(parsing: "fd00::5/64")),
            ])
        let legacy = try result.converted(to: CNIVersion(0, 3, 1))
        #expect(legacy.interfaces[0].mtu == nil && legacy.interfaces[0].socketPath == nil && legacy.interfaces[0].pciID == nil)
        let json = try object(legacy)
        let ips = try #require(json["ips"] as? [[String: Any]])
        #expect(ips.map { $0["version"] as? String } == ["4", "6"])
        // Go's 0.x types always print the DNS struct.
        #expect(json["dns"] != nil)
        #expect(json["routes"] == nil)
        // 1.x omits an empty dns.
        #expect(try object(result)["dns"] == nil)
    }

    @Test func roundTripsThroughEveryVersion() throws {
        let original = try CNIResult.decode(from: Data(Self.legacy.utf8), fallbackVersion: .current)
        for version in CNIVersion.supported {
            let converted = try original.converted(to: version)
            let decoded = try CNIResult.decode(from: converted.json(), fallbackVersion: .current)
            #expect(decoded == converted)
            #expect(try decoded.converted(to: CNIVersion(0, 4, 0)) == original)
        }
    }

    @Test func missingVersionTakesTheConfigsVersion() throws {
        let result = try CNIResult.decode(from: Data(#"{"ips":[{"address":"10.0.0.2/24"}]}"#.utf8), fallbackVersion: CNIVersion(1, 0, 0))
        #expect(result.cniVersion == CNIVersion(1, 0, 0))
    }

    @Test func unsupportedVersionsAreRefused() throws {
        let old = Data(#"{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24"}}"#.utf8)
        do {
            _ = try CNIResult.decode(from: old, fallbackVersion: .current)
            Issue.record("0.2.0 result decoded")
        } catch {
            #expect(error.code == .decodingFailure)
        }
        let result = CNIResult(cniVersion: .current)
        do {
            _ = try result.converted(to: CNIVersion(0, 2, 0))
            Issue.record("converted to 0.2.0")
        } catch {
            #expect(error.code == .incompatibleVersion)
        }
    }

    @Test func badAddressesAreDecodingFailures() {
        let bad = Data(#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]}"#.utf8)
        #expect(throws: CNIError.self) { try CNIResult.decode(from: bad, fallbackVersion: .current) }
    }
}
