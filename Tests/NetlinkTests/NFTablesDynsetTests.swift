import Foundation
import LinuxSystem
@testable import NFTables
import Testing

/// The `dynset` expression (`update @set { ip saddr }`), as kube-proxy's ClientIP affinity uses it: its
/// bytes checked attribute by attribute without a kernel, then a round trip through the kernel, `nft list`
/// and the kernel filling the set from real packets.
@Suite(.serialized) struct NFTablesDynsetTests {
    let table = Table("affinity", family: .ip)

    /// The payload of the first expression named `name` in a rule message (`NFTA_RULE_EXPRESSIONS` →
    /// `NFTA_LIST_ELEM` → `NFTA_EXPR_DATA`).
    func expressionData(_ name: String, in message: [UInt8]) -> [UInt8]? {
        let rule = Attributes(message, from: 20)  // nlmsghdr + nfgenmsg
        guard let list = rule.first(4) else { return nil }  // NFTA_RULE_EXPRESSIONS
        for element in Attributes(list).all(1) {  // NFTA_LIST_ELEM
            let expression = Attributes(element)
            if expression.first(1) == Array(name.utf8) + [0] { return expression.first(2) }  // NAME, DATA
        }
        return nil
    }

    @Test func updateEncodesLikeNft() throws {
        let chain = Chain("endpoint-1", in: table)
        let rule = Rule(in: chain, Expr.update(set: "affinity-1", with: [.payload(.ipSaddr)]))
        let message = rule.addMessage(anonymousSetIDs: [], append: true).bytes
        // What `nft add rule ip affinity endpoint-1 update @affinity-1 { ip saddr }` sends (nft --debug=netlink):
        // [ payload load 4b @ network header + 12 => reg 1 ] [ dynset update reg_key 1 set affinity-1 ]
        let expected = attribute(4, bigEndian: 1)  // NFTA_DYNSET_SREG_KEY: NFT_REG_1
            + attribute(3, bigEndian: 1)  // NFTA_DYNSET_OP: NFT_DYNSET_OP_UPDATE
            + attribute(1, Array("affinity-1".utf8) + [0])  // NFTA_DYNSET_SET_NAME
        #expect(expressionData("dynset", in: message) == expected)
        #expect(expressionData("payload", in: message) == attribute(1, bigEndian: 1)  // NFTA_PAYLOAD_DREG
            + attribute(2, bigEndian: 1) + attribute(3, bigEndian: 12) + attribute(4, bigEndian: 4))  // BASE network, OFFSET, LEN

        let timed = Rule(in: chain, Expr.update(set: "affinity-1", with: [.payload(.ipSaddr)], timeout: .seconds(90)))
        let withTimeout = try #require(expressionData("dynset", in: timed.addMessage(anonymousSetIDs: [], append: true).bytes))
        #expect(withTimeout == attribute(4, bigEndian: 1) + attribute(3, bigEndian: 1)
            + attribute(6, Array(withUnsafeBytes(of: UInt64(90_000).bigEndian) { Array($0) }))  // NFTA_DYNSET_TIMEOUT in ms
            + attribute(1, Array("affinity-1".utf8) + [0]))
    }

    @Test func affinitySetsRoundTripAndFillFromPackets() throws {
        try withNFTablesNamespace { socket, namespace in
            let affinity = NamedSet("affinity-1", in: table, key: [.ipv4Address], flags: [.dynamic, .timeout], timeout: .seconds(10800))
            let output = Chain("output", in: table, hook: .init(.filter, .output, priority: Chain.Priority.filter))
            let remember = Chain("remember", in: table)
            let rules = [
                Rule(in: output, Expr.inSet([.payload(.ipSaddr)], set: .named("affinity-1")) + [.verdict(.goto("remember"))]),
                Rule(in: output, [.verdict(.jump("remember"))]),
                Rule(in: remember, Expr.update(set: "affinity-1", with: [.payload(.ipSaddr)])),
                Rule(in: remember, Expr.update(set: "affinity-1", with: [.payload(.ipSaddr)], timeout: .seconds(30))),
            ]
            var tx = Transaction()
            tx.add(table)
            tx.add(output)
            tx.add(remember)
            tx.add(affinity)
            for rule in rules { tx.add(rule) }
            try socket.commit(tx)

            #expect(try socket.rules(in: table).map(\.expressions) == rules.map(\.expressions))
            let readSet = try #require(try socket.sets(in: table).first { $0.name == "affinity-1" })
            #expect(readSet.flags == [.dynamic, .timeout])
            #expect(readSet.timeout == .seconds(10800))
            let text = nftFlattened(try nftListRuleset(in: namespace))
            for fragment in [
                "set affinity-1 { type ipv4_addr size 65535 flags dynamic,timeout timeout 3h }",
                "ip saddr @affinity-1 goto remember",
                "update @affinity-1 { ip saddr }",
                "update @affinity-1 { ip saddr timeout 30s }",
            ] {
                #expect(text.contains(fragment), "missing \(fragment) in\n\(text)")
            }

            // A packet leaving the namespace passes `remember`: the kernel adds its source with a timeout.
            try runInNamespace(namespace, "ip link set lo up && python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 9))\"")
            let filled = nftFlattened(try nftListRuleset(in: namespace))
            #expect(filled.contains("elements = { 127.0.0.1 expires"), "\(filled)")
        }
    }
}

/// Runs a shell command line inside `namespace` and waits for it.
private func runInNamespace(_ namespace: NetworkNamespace, _ command: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = ["netns", "exec", String(namespace.path.split(separator: "/").last ?? ""), "sh", "-c", command]
    try process.run()
    process.waitUntilExit()
}

/// Netlink attributes (`struct nlattr`, 4-byte aligned) from `offset` on.
private struct Attributes {
    var items: [(type: UInt16, payload: [UInt8])] = []

    init(_ bytes: [UInt8], from offset: Int = 0) {
        var offset = offset
        while offset + 4 <= bytes.count {
            let length = Int(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3fff
            guard length >= 4, offset + length <= bytes.count else { break }
            items.append((type, Array(bytes[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
    }

    func first(_ type: UInt16) -> [UInt8]? { items.first { $0.type == type }?.payload }
    func all(_ type: UInt16) -> [[UInt8]] { items.filter { $0.type == type }.map(\.payload) }
}

/// One attribute: header, payload, padding.
private func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
    let length = UInt16(4 + payload.count)
    let padding = [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
    return [UInt8(length & 0xff), UInt8(length >> 8), UInt8(type & 0xff), UInt8(type >> 8)] + payload + padding
}

/// A `u32` attribute in network byte order.
private func attribute(_ type: UInt16, bigEndian value: UInt32) -> [UInt8] {
    attribute(type, withUnsafeBytes(of: value.bigEndian) { Array($0) })
}
