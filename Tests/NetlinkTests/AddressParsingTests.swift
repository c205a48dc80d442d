import Foundation
import LinuxSystem
import Testing

@Suite("IP and MAC address values")
struct AddressParsingTests {
    @Test func parsesAndPrintsAddresses() throws {
        #expect(try IPAddress(parsing: "10.0.0.1") == .v4(IPv4Address(10, 0, 0, 1)))
        #expect(try IPAddress(parsing: "10.0.0.1").bytes == [10, 0, 0, 1])
        #expect(try IPAddress(parsing: "fd00::1").description == "fd00::1")
        #expect(try IPAddress(parsing: "FD00:0:0:0:0:0:0:1").description == "fd00::1")
        #expect(try IPv6Address(parsing: "::ffff:10.0.0.1").bytes.suffix(6) == [0xff, 0xff, 10, 0, 0, 1])
        #expect(try MACAddress(parsing: "02:42:AC:11:00:02").description == "02:42:ac:11:00:02")
        #expect(IPAddress("not an address") == nil)
    }

    @Test(arguments: [
        ("10.0.0", "expected 4 dot-separated octets, found 3"),
        ("10.0.0.256", "octet 256 is larger than 255"),
        ("10.0.0.01", "octet \"01\" has a leading zero"),
        ("10.0.x.1", "\"x\" is not a decimal octet"),
    ])
    func rejectsBadIPv4(text: String, reason: String) {
        let error = #expect(throws: AddressParseError.self) { try IPv4Address(parsing: text) }
        #expect(error?.reason == reason)
        #expect(error?.description == "\"\(text)\" is not an IPv4 address: \(reason)")
    }

    @Test func rejectsBadIPv6AndNetworks() {
        #expect(throws: AddressParseError.self) { try IPAddress(parsing: "fd00:::1") }
        let noPrefix = #expect(throws: AddressParseError.self) { try IPNetwork(parsing: "10.0.0.0") }
        #expect(noPrefix?.reason == "expected ADDRESS/PREFIXLENGTH")
        let tooLong = #expect(throws: AddressParseError.self) { try IPNetwork(parsing: "10.0.0.0/33") }
        #expect(tooLong?.reason == "prefix length 33 is outside 0...32")
        #expect(throws: AddressParseError.self) { try IPNetwork(parsing: "fd00::/129") }
        #expect(throws: AddressParseError.self) { try IPNetwork(parsing: "10.0.0.0/-1") }
    }

    @Test func networkArithmetic() throws {
        let subnet = try IPNetwork(parsing: "10.0.0.77/24")
        #expect(subnet.description == "10.0.0.77/24")
        #expect(subnet.masked.description == "10.0.0.0/24")
        #expect(subnet.network.description == "10.0.0.0")
        #expect(subnet.broadcast.description == "10.0.0.255")
        #expect(subnet.netmask.description == "255.255.255.0")
        #expect(subnet.host(1)?.description == "10.0.0.1")
        #expect(subnet.host(255)?.description == "10.0.0.255")
        #expect(subnet.host(256) == nil)
        #expect(subnet.contains(try IPAddress(parsing: "10.0.0.200")))
        #expect(!subnet.contains(try IPAddress(parsing: "10.0.1.1")))
        #expect(!subnet.contains(try IPAddress(parsing: "::a00:1")))

        let v6 = try IPNetwork(parsing: "fd00:10:244::/64")
        #expect(v6.host(2)?.description == "fd00:10:244::2")
        #expect(v6.contains(try IPAddress(parsing: "fd00:10:244::ffff")))
        #expect(v6.broadcast.description == "fd00:10:244:0:ffff:ffff:ffff:ffff")
        #expect(try IPNetwork(parsing: "0.0.0.0/0").contains(try IPAddress(parsing: "8.8.8.8")))
        #expect(try IPNetwork(parsing: "::/0").host(5)?.description == "::5")
        #expect(try IPNetwork(parsing: "10.0.0.1/32").host(0)?.description == "10.0.0.1")
    }

    @Test func codableAsStrings() throws {
        let value = try [IPNetwork(parsing: "10.0.0.0/24")]
        let json = try JSONEncoder().encode(value)
        #expect(String(decoding: json, as: UTF8.self) == #"["10.0.0.0\/24"]"#)
        #expect(try JSONDecoder().decode([IPNetwork].self, from: json) == value)
        #expect(throws: (any Error).self) { try JSONDecoder().decode([IPAddress].self, from: Data(#"["10.0.0.300"]"#.utf8)) }
    }
}
