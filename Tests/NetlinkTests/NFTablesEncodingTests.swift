import NFTables
import Testing

/// Encodings checked without a kernel: registers, key types, values.
@Suite struct NFTablesEncodingTests {
    @Test func concatenatedKeyTypeIsEncodedLikeNft() {
        let key: KeyType = [.ipv4Address, .inetProto, .inetService]
        #expect(key.typeID == (7 << 12) | (12 << 6) | 13)
        #expect(key.length == 12)
        #expect(KeyType([.ipv6Address, .inetProto, .inetService]).length == 24)
        #expect(KeyType([.ipv4Address]).length == 4)
        #expect(key.description == "ipv4_addr . inet_proto . inet_service")
    }

    @Test func concatLoadsIntoConsecutiveRegisterUnits() {
        let expressions = Expr.concat([.payload(.ipDaddr), .meta(.l4proto), .payload(.destinationPort)])
        #expect(expressions == [
            .payload(.ipDaddr, into: .unit(0)),
            .meta(.l4proto, into: .unit(1)),
            .payload(.destinationPort, into: .unit(2)),
        ])
        let six = Expr.concat([.payload(.ip6Daddr), .meta(.l4proto)])
        #expect(six == [.payload(.ip6Daddr, into: .r1), .meta(.l4proto, into: .r2)])
    }

    @Test func valuesAndKeys() throws {
        let key = Value.concat(try .ipv4("10.96.0.10"), .tcp, .inetService(53))
        #expect(key.bytes == [10, 96, 0, 10, 6, 0, 0, 0, 0, 53, 0, 0])
        #expect(try Value.ipv6("fd00::1").bytes.count == 16)
        #expect(throws: NFTablesError.self) { try Value.ipv4("10.0.0.300") }
        #expect(Value.ifname("eth0").bytes.count == 16)
        #expect(try Value.etherAddress("02:00:00:00:00:01").bytes == [2, 0, 0, 0, 0, 1])
    }

    @Test func networksBecomeIntervalRanges() throws {
        let elements = try SetElement.network("10.1.2.3/16")
        #expect(elements == [
            SetElement(key: try .ipv4("10.1.0.0")),
            SetElement(key: try .ipv4("10.2.0.0"), isIntervalEnd: true),
        ])
        #expect(try SetElement.network("255.255.255.0/24").count == 1)
        #expect(throws: NFTablesError.self) { try SetElement.network("10.0.0.0/33") }
    }

    @Test func errorsReadLikeNft() {
        let error = NFTablesError(errno: 2, operation: "add rule to", object: "chain ip kube-proxy/services")
        #expect(error.description.hasPrefix("add rule to chain ip kube-proxy/services: No such file or directory"))
    }
}
