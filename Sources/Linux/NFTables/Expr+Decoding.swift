import CNftnl

extension Expr {
    /// Reads an expression from a parsed libnftnl object; `nil` for kinds this model does not express.
    /// Lookups of anonymous sets come back as `.named("__map0")`; the reader inlines them.
    init?(nftnl expr: OpaquePointer) {
        let reader = ExpressionReader(expr: expr)
        switch String(cString: nftnl_expr_get_str(expr, attr(NFTNL_EXPR_NAME))) {
        case "payload":
            let field = PayloadField(
                PayloadBase(rawValue: reader.u32(NFTNL_EXPR_PAYLOAD_BASE)) ?? .network,
                offset: reader.u32(NFTNL_EXPR_PAYLOAD_OFFSET), length: reader.u32(NFTNL_EXPR_PAYLOAD_LEN))
            if let register = reader.register(NFTNL_EXPR_PAYLOAD_DREG) {
                self = .payload(field, into: register)
            } else if let register = reader.register(NFTNL_EXPR_PAYLOAD_SREG) {
                let type = reader.u32(NFTNL_EXPR_PAYLOAD_CSUM_TYPE)
                let checksum = type == 0 ? nil : PayloadChecksum(
                    type: type, offset: reader.u32(NFTNL_EXPR_PAYLOAD_CSUM_OFFSET), flags: reader.u32(NFTNL_EXPR_PAYLOAD_FLAGS))
                self = .payloadWrite(field, from: register, checksum: checksum)
            } else { return nil }
        case "meta":
            guard let key = MetaKey(rawValue: reader.u32(NFTNL_EXPR_META_KEY)) else { return nil }
            if let register = reader.register(NFTNL_EXPR_META_DREG) {
                self = .meta(key, into: register)
            } else if let register = reader.register(NFTNL_EXPR_META_SREG) {
                self = .metaSet(key, from: register)
            } else { return nil }
        case "cmp":
            guard let op = CompareOperator(rawValue: reader.u32(NFTNL_EXPR_CMP_OP)),
                  let register = reader.register(NFTNL_EXPR_CMP_SREG) else { return nil }
            self = .compare(op, register, Value(reader.bytes(NFTNL_EXPR_CMP_DATA)))
        case "bitwise":
            guard let source = reader.register(NFTNL_EXPR_BITWISE_SREG),
                  let destination = reader.register(NFTNL_EXPR_BITWISE_DREG),
                  reader.u32(NFTNL_EXPR_BITWISE_OP) == 0 else { return nil }
            self = .bitwise(from: source, into: destination, mask: Value(reader.bytes(NFTNL_EXPR_BITWISE_MASK)),
                            xor: Value(reader.bytes(NFTNL_EXPR_BITWISE_XOR)))
        case "lookup":
            guard let source = reader.register(NFTNL_EXPR_LOOKUP_SREG) else { return nil }
            self = .lookup(.named(reader.string(NFTNL_EXPR_LOOKUP_SET) ?? ""), from: source,
                           into: reader.register(NFTNL_EXPR_LOOKUP_DREG),
                           inverted: reader.u32(NFTNL_EXPR_LOOKUP_FLAGS) & 1 != 0)
        case "immediate":
            guard let register = reader.register(NFTNL_EXPR_IMM_DREG) else { return nil }
            if register == .verdict {
                guard let verdict = Verdict(code: Int32(bitPattern: reader.u32(NFTNL_EXPR_IMM_VERDICT)),
                                            chain: reader.string(NFTNL_EXPR_IMM_CHAIN)) else { return nil }
                self = .verdict(verdict)
            } else {
                self = .immediate(Value(reader.bytes(NFTNL_EXPR_IMM_DATA)), into: register)
            }
        case "nat":
            guard let kind = NAT.Kind(rawValue: reader.u32(NFTNL_EXPR_NAT_TYPE)),
                  let family = Family(rawValue: UInt8(truncatingIfNeeded: reader.u32(NFTNL_EXPR_NAT_FAMILY)))
            else { return nil }
            let (addressMin, addressMax) = reader.range(NFTNL_EXPR_NAT_REG_ADDR_MIN, NFTNL_EXPR_NAT_REG_ADDR_MAX)
            let (portMin, portMax) = reader.range(NFTNL_EXPR_NAT_REG_PROTO_MIN, NFTNL_EXPR_NAT_REG_PROTO_MAX)
            self = .nat(NAT(
                kind, family: family, addressMin: addressMin, addressMax: addressMax, portMin: portMin, portMax: portMax,
                flags: NATFlags(rawValue: reader.u32(NFTNL_EXPR_NAT_FLAGS)).intersection(.visible)))
        case "masq":
            let (portMin, portMax) = reader.range(NFTNL_EXPR_MASQ_REG_PROTO_MIN, NFTNL_EXPR_MASQ_REG_PROTO_MAX)
            self = .masquerade(NATFlags(rawValue: reader.u32(NFTNL_EXPR_MASQ_FLAGS)).intersection(.visible),
                               portMin: portMin, portMax: portMax)
        case "counter":
            self = .counter
        case "ct":
            guard let key = ConntrackKey(rawValue: reader.u32(NFTNL_EXPR_CT_KEY)) else { return nil }
            if let register = reader.register(NFTNL_EXPR_CT_DREG) {
                let direction = reader.isSet(NFTNL_EXPR_CT_DIR)
                    ? ConntrackDirection(rawValue: nftnl_expr_get_u8(expr, attr(NFTNL_EXPR_CT_DIR))) : nil
                self = .ct(key, direction: direction, into: register)
            } else if let register = reader.register(NFTNL_EXPR_CT_SREG) {
                self = .ctSet(key, from: register)
            } else { return nil }
        case "numgen":
            guard let kind = NumgenKind(rawValue: reader.u32(NFTNL_EXPR_NG_TYPE)),
                  let register = reader.register(NFTNL_EXPR_NG_DREG) else { return nil }
            self = .numgen(kind, modulus: reader.u32(NFTNL_EXPR_NG_MODULUS), offset: reader.u32(NFTNL_EXPR_NG_OFFSET),
                           into: register)
        case "byteorder":
            guard let source = reader.register(NFTNL_EXPR_BYTEORDER_SREG),
                  let destination = reader.register(NFTNL_EXPR_BYTEORDER_DREG),
                  let operation = ByteOrderOperation(rawValue: reader.u32(NFTNL_EXPR_BYTEORDER_OP)) else { return nil }
            self = .byteorder(from: source, into: destination, operation, length: reader.u32(NFTNL_EXPR_BYTEORDER_LEN),
                              size: reader.u32(NFTNL_EXPR_BYTEORDER_SIZE))
        case "reject":
            let code = nftnl_expr_get_u8(expr, attr(NFTNL_EXPR_REJECT_CODE))
            switch reader.u32(NFTNL_EXPR_REJECT_TYPE) {
            case 0: self = .reject(.icmp(code: code))
            case 1: self = .reject(.tcpReset)
            case 2: self = .reject(.icmpx(code: code))
            default: return nil
            }
        case "limit":
            self = .limit(Limit(
                rate: nftnl_expr_get_u64(expr, attr(NFTNL_EXPR_LIMIT_RATE)),
                per: nftnl_expr_get_u64(expr, attr(NFTNL_EXPR_LIMIT_UNIT)),
                burst: reader.u32(NFTNL_EXPR_LIMIT_BURST), bytes: reader.u32(NFTNL_EXPR_LIMIT_TYPE) == 1,
                over: reader.u32(NFTNL_EXPR_LIMIT_FLAGS) & 1 != 0))
        case "dynset":
            guard let operation = DynamicSetUpdate.Operation(rawValue: reader.u32(NFTNL_EXPR_DYNSET_OP)),
                  let key = reader.register(NFTNL_EXPR_DYNSET_SREG_KEY), let set = reader.string(NFTNL_EXPR_DYNSET_SET_NAME)
            else { return nil }
            // The kernel reports the timeout it uses (0 when the set's default applies).
            let timeout = reader.isSet(NFTNL_EXPR_DYNSET_TIMEOUT) ? nftnl_expr_get_u64(expr, attr(NFTNL_EXPR_DYNSET_TIMEOUT)) : 0
            self = .dynset(DynamicSetUpdate(operation, set: set, key: key, data: reader.register(NFTNL_EXPR_DYNSET_SREG_DATA),
                                            timeout: timeout == 0 ? nil : .milliseconds(timeout)))
        default:
            return nil
        }
    }
}

/// Typed access to one parsed libnftnl expression's attributes; absent attributes read as zero/nil.
private struct ExpressionReader {
    let expr: OpaquePointer

    func isSet<A: BinaryInteger>(_ attribute: A) -> Bool { nftnl_expr_is_set(expr, attr(attribute)) }

    func u32<A: BinaryInteger>(_ attribute: A) -> UInt32 {
        isSet(attribute) ? nftnl_expr_get_u32(expr, attr(attribute)) : 0
    }

    func register<A: BinaryInteger>(_ attribute: A) -> Register? {
        isSet(attribute) ? Register(kernelValue: nftnl_expr_get_u32(expr, attr(attribute))) : nil
    }

    /// A min/max register pair; the kernel reports max = min when only min was given, which reads as no max.
    func range<A: BinaryInteger>(_ min: A, _ max: A) -> (Register?, Register?) {
        let low = register(min), high = register(max)
        return (low, high == low ? nil : high)
    }

    func string<A: BinaryInteger>(_ attribute: A) -> String? {
        isSet(attribute) ? nftnl_expr_get_str(expr, attr(attribute)).map { String(cString: $0) } : nil
    }

    func bytes<A: BinaryInteger>(_ attribute: A) -> [UInt8] {
        var length: UInt32 = 0
        guard isSet(attribute), let data = nftnl_expr_get(expr, attr(attribute), &length) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
    }
}
