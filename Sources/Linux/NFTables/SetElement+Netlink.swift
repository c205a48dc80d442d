import CNftnl

extension SetElement {
    /// A libnftnl element for this one; the caller owns it (normally handing it to a set).
    func makeNftnl() -> OpaquePointer {
        let element = nftnl_set_elem_alloc()!
        func setBytes(_ attribute: Int, _ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { nftnl_set_elem_set(element, attr(attribute), $0.baseAddress, UInt32($0.count)) }
        }
        setBytes(NFTNL_SET_ELEM_KEY, key.bytes)
        if let keyEnd { setBytes(NFTNL_SET_ELEM_KEY_END, keyEnd.bytes) }
        if isIntervalEnd { nftnl_set_elem_set_u32(element, attr(NFTNL_SET_ELEM_FLAGS), 1) }
        switch data {
        case .value(let value)?:
            setBytes(NFTNL_SET_ELEM_DATA, value.bytes)
        case .verdict(let verdict)?:
            nftnl_set_elem_set_u32(element, attr(NFTNL_SET_ELEM_VERDICT), UInt32(bitPattern: verdict.code))
            if let chain = verdict.chain { nftnl_set_elem_set_str(element, attr(NFTNL_SET_ELEM_CHAIN), chain) }
        case nil:
            break
        }
        if let timeout { nftnl_set_elem_set_u64(element, attr(NFTNL_SET_ELEM_TIMEOUT), timeout.milliseconds) }
        return element
    }

    /// A generous guess of the element's size inside a netlink message, for splitting.
    var encodedSizeEstimate: Int {
        var size = 64 + key.bytes.count + (keyEnd?.bytes.count ?? 0)
        switch data {
        case .value(let value)?: size += 16 + value.bytes.count
        case .verdict(let verdict)?: size += 32 + (verdict.chain?.utf8.count ?? 0)
        case nil: break
        }
        return size
    }

    /// Reads an element from a parsed libnftnl object.
    init(nftnl element: OpaquePointer) {
        func bytes(_ attribute: Int) -> [UInt8]? {
            guard nftnl_set_elem_is_set(element, attr(attribute)) else { return nil }
            var length: UInt32 = 0
            guard let data = nftnl_set_elem_get(element, attr(attribute), &length) else { return nil }
            return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
        }
        var data: Data?
        if nftnl_set_elem_is_set(element, attr(NFTNL_SET_ELEM_VERDICT)) {
            let chain = nftnl_set_elem_is_set(element, attr(NFTNL_SET_ELEM_CHAIN))
                ? String(cString: nftnl_set_elem_get_str(element, attr(NFTNL_SET_ELEM_CHAIN))) : nil
            data = Verdict(code: Int32(bitPattern: nftnl_set_elem_get_u32(element, attr(NFTNL_SET_ELEM_VERDICT))),
                           chain: chain).map(Data.verdict)
        } else if let value = bytes(NFTNL_SET_ELEM_DATA) {
            data = .value(Value(value))
        }
        let flags = nftnl_set_elem_is_set(element, attr(NFTNL_SET_ELEM_FLAGS))
            ? nftnl_set_elem_get_u32(element, attr(NFTNL_SET_ELEM_FLAGS)) : 0
        let timeout = nftnl_set_elem_is_set(element, attr(NFTNL_SET_ELEM_TIMEOUT))
            ? Duration.milliseconds(nftnl_set_elem_get_u64(element, attr(NFTNL_SET_ELEM_TIMEOUT))) : nil
        self.init(key: Value(bytes(NFTNL_SET_ELEM_KEY) ?? []), keyEnd: bytes(NFTNL_SET_ELEM_KEY_END).map(Value.init),
                  data: data, timeout: timeout, isIntervalEnd: flags & 1 != 0)
    }
}
