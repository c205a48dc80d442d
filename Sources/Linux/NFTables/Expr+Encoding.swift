import CNftnl

extension Expr {
    /// The libnftnl expression for this step; the caller owns it (normally handing it to a rule).
    /// `anonymousSetIDs` yields, in order, the batch IDs of the anonymous sets this rule's lookups use.
    func makeNftnl(anonymousSetIDs: inout [UInt32].Iterator) -> OpaquePointer {
        let expr = nftnl_expr_alloc(kernelName)!
        switch self {
        case .payload(let field, let register):
            setU32(expr, NFTNL_EXPR_PAYLOAD_DREG, register.kernelValue)
            setField(expr, field)
        case .payloadWrite(let field, let register, let checksum):
            setU32(expr, NFTNL_EXPR_PAYLOAD_SREG, register.kernelValue)
            setField(expr, field)
            if let checksum {
                setU32(expr, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, checksum.type)
                setU32(expr, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, checksum.offset)
                if checksum.flags != 0 { setU32(expr, NFTNL_EXPR_PAYLOAD_FLAGS, checksum.flags) }
            }
        case .meta(let key, let register):
            setU32(expr, NFTNL_EXPR_META_KEY, key.rawValue)
            setU32(expr, NFTNL_EXPR_META_DREG, register.kernelValue)
        case .metaSet(let key, let register):
            setU32(expr, NFTNL_EXPR_META_KEY, key.rawValue)
            setU32(expr, NFTNL_EXPR_META_SREG, register.kernelValue)
        case .compare(let op, let register, let value):
            setU32(expr, NFTNL_EXPR_CMP_SREG, register.kernelValue)
            setU32(expr, NFTNL_EXPR_CMP_OP, op.rawValue)
            setBytes(expr, NFTNL_EXPR_CMP_DATA, value.bytes)
        case .bitwise(let source, let destination, let mask, let xor):
            setU32(expr, NFTNL_EXPR_BITWISE_SREG, source.kernelValue)
            setU32(expr, NFTNL_EXPR_BITWISE_DREG, destination.kernelValue)
            setU32(expr, NFTNL_EXPR_BITWISE_LEN, UInt32(mask.bytes.count))
            setBytes(expr, NFTNL_EXPR_BITWISE_MASK, mask.bytes)
            setBytes(expr, NFTNL_EXPR_BITWISE_XOR, xor.bytes)
        case .lookup(let set, let source, let destination, let inverted):
            setU32(expr, NFTNL_EXPR_LOOKUP_SREG, source.kernelValue)
            if let destination { setU32(expr, NFTNL_EXPR_LOOKUP_DREG, destination.kernelValue) }
            switch set {
            case .named(let name):
                nftnl_expr_set_str(expr, attr(NFTNL_EXPR_LOOKUP_SET), name)
            case .anonymous(let anonymous):
                nftnl_expr_set_str(expr, attr(NFTNL_EXPR_LOOKUP_SET), anonymous.namePattern)
                setU32(expr, NFTNL_EXPR_LOOKUP_SET_ID, anonymousSetIDs.next() ?? 0)
            }
            if inverted { setU32(expr, NFTNL_EXPR_LOOKUP_FLAGS, 1) }
        case .immediate(let value, let register):
            setU32(expr, NFTNL_EXPR_IMM_DREG, register.kernelValue)
            setBytes(expr, NFTNL_EXPR_IMM_DATA, value.bytes)
        case .verdict(let verdict):
            setU32(expr, NFTNL_EXPR_IMM_DREG, Register.verdict.kernelValue)
            setU32(expr, NFTNL_EXPR_IMM_VERDICT, UInt32(bitPattern: verdict.code))
            if let chain = verdict.chain { nftnl_expr_set_str(expr, attr(NFTNL_EXPR_IMM_CHAIN), chain) }
        case .nat(let nat):
            setU32(expr, NFTNL_EXPR_NAT_TYPE, nat.kind.rawValue)
            setU32(expr, NFTNL_EXPR_NAT_FAMILY, UInt32(nat.family.rawValue))
            setRegister(expr, NFTNL_EXPR_NAT_REG_ADDR_MIN, nat.addressMin)
            setRegister(expr, NFTNL_EXPR_NAT_REG_ADDR_MAX, nat.addressMax)
            setRegister(expr, NFTNL_EXPR_NAT_REG_PROTO_MIN, nat.portMin)
            setRegister(expr, NFTNL_EXPR_NAT_REG_PROTO_MAX, nat.portMax)
            if !nat.flags.isEmpty { setU32(expr, NFTNL_EXPR_NAT_FLAGS, nat.flags.rawValue) }
        case .masquerade(let flags, let portMin, let portMax):
            if !flags.isEmpty { setU32(expr, NFTNL_EXPR_MASQ_FLAGS, flags.rawValue) }
            setRegister(expr, NFTNL_EXPR_MASQ_REG_PROTO_MIN, portMin)
            setRegister(expr, NFTNL_EXPR_MASQ_REG_PROTO_MAX, portMax)
        case .counter:
            nftnl_expr_set_u64(expr, attr(NFTNL_EXPR_CTR_PACKETS), 0)
            nftnl_expr_set_u64(expr, attr(NFTNL_EXPR_CTR_BYTES), 0)
        case .ct(let key, let direction, let register):
            setU32(expr, NFTNL_EXPR_CT_KEY, key.rawValue)
            setU32(expr, NFTNL_EXPR_CT_DREG, register.kernelValue)
            if let direction { nftnl_expr_set_u8(expr, attr(NFTNL_EXPR_CT_DIR), direction.rawValue) }
        case .ctSet(let key, let register):
            setU32(expr, NFTNL_EXPR_CT_KEY, key.rawValue)
            setU32(expr, NFTNL_EXPR_CT_SREG, register.kernelValue)
        case .numgen(let kind, let modulus, let offset, let register):
            setU32(expr, NFTNL_EXPR_NG_DREG, register.kernelValue)
            setU32(expr, NFTNL_EXPR_NG_TYPE, kind.rawValue)
            setU32(expr, NFTNL_EXPR_NG_MODULUS, modulus)
            if offset != 0 { setU32(expr, NFTNL_EXPR_NG_OFFSET, offset) }
        case .byteorder(let source, let destination, let operation, let length, let size):
            setU32(expr, NFTNL_EXPR_BYTEORDER_SREG, source.kernelValue)
            setU32(expr, NFTNL_EXPR_BYTEORDER_DREG, destination.kernelValue)
            setU32(expr, NFTNL_EXPR_BYTEORDER_OP, operation.rawValue)
            setU32(expr, NFTNL_EXPR_BYTEORDER_LEN, length)
            setU32(expr, NFTNL_EXPR_BYTEORDER_SIZE, size)
        case .reject(let reject):
            switch reject {
            case .icmp(let code):
                setU32(expr, NFTNL_EXPR_REJECT_TYPE, 0)
                nftnl_expr_set_u8(expr, attr(NFTNL_EXPR_REJECT_CODE), code)
            case .tcpReset:
                setU32(expr, NFTNL_EXPR_REJECT_TYPE, 1)
                nftnl_expr_set_u8(expr, attr(NFTNL_EXPR_REJECT_CODE), 0)
            case .icmpx(let code):
                setU32(expr, NFTNL_EXPR_REJECT_TYPE, 2)
                nftnl_expr_set_u8(expr, attr(NFTNL_EXPR_REJECT_CODE), code)
            }
        case .limit(let limit):
            nftnl_expr_set_u64(expr, attr(NFTNL_EXPR_LIMIT_RATE), limit.rate)
            nftnl_expr_set_u64(expr, attr(NFTNL_EXPR_LIMIT_UNIT), limit.unit)
            setU32(expr, NFTNL_EXPR_LIMIT_BURST, limit.burst)
            setU32(expr, NFTNL_EXPR_LIMIT_TYPE, limit.bytes ? 1 : 0)
            setU32(expr, NFTNL_EXPR_LIMIT_FLAGS, limit.over ? 1 : 0)
        case .dynset(let update):
            setU32(expr, NFTNL_EXPR_DYNSET_SREG_KEY, update.key.kernelValue)
            setRegister(expr, NFTNL_EXPR_DYNSET_SREG_DATA, update.data)
            setU32(expr, NFTNL_EXPR_DYNSET_OP, update.operation.rawValue)
            if let timeout = update.timeout { nftnl_expr_set_u64(expr, attr(NFTNL_EXPR_DYNSET_TIMEOUT), timeout.milliseconds) }
            nftnl_expr_set_str(expr, attr(NFTNL_EXPR_DYNSET_SET_NAME), update.set)
        }
        return expr
    }

    /// The kernel's name for the expression type.
    var kernelName: String {
        switch self {
        case .payload, .payloadWrite: "payload"
        case .meta, .metaSet: "meta"
        case .compare: "cmp"
        case .bitwise: "bitwise"
        case .lookup: "lookup"
        case .immediate, .verdict: "immediate"
        case .nat: "nat"
        case .masquerade: "masq"
        case .counter: "counter"
        case .ct, .ctSet: "ct"
        case .numgen: "numgen"
        case .byteorder: "byteorder"
        case .reject: "reject"
        case .limit: "limit"
        case .dynset: "dynset"
        }
    }
}

extension AnonymousSet {
    /// The name pattern the kernel numbers (`__map%d`, `__set%d`), as `nft` sends it.
    var namePattern: String { dataType == nil ? "__set%d" : "__map%d" }
}

private func setU32<Attribute: BinaryInteger>(_ expr: OpaquePointer, _ attribute: Attribute, _ value: UInt32) {
    nftnl_expr_set_u32(expr, UInt16(attribute), value)
}

private func setRegister<Attribute: BinaryInteger>(_ expr: OpaquePointer, _ attribute: Attribute, _ register: Register?) {
    if let register { setU32(expr, attribute, register.kernelValue) }
}

private func setBytes<Attribute: BinaryInteger>(_ expr: OpaquePointer, _ attribute: Attribute, _ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { nftnl_expr_set(expr, UInt16(attribute), $0.baseAddress, UInt32($0.count)) }
}

private func setField(_ expr: OpaquePointer, _ field: PayloadField) {
    setU32(expr, NFTNL_EXPR_PAYLOAD_BASE, field.base.rawValue)
    setU32(expr, NFTNL_EXPR_PAYLOAD_OFFSET, field.offset)
    setU32(expr, NFTNL_EXPR_PAYLOAD_LEN, field.length)
}
