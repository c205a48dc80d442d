import CNftnl

/// Everything a set message needs, for named and anonymous sets alike.
struct SetDescriptor {
    var family: Family
    var table: String
    var name: String
    /// The batch-local ID (`NFTA_SET_ID`): required when creating a set, and how anonymous sets are
    /// referred to before the kernel names them.
    var id: UInt32?
    var keyType: KeyType
    var dataType: DataType?
    /// `NFT_SET_*` flags as sent, including the derived ones.
    var flags: UInt32
    var timeout: Duration?
    var size: UInt32?
    /// Sent instead of ``byteOrderUserData`` when set (``NamedSet/userData``).
    var userData: [UInt8]?

    var summary: String { "\(dataType == nil ? "set" : "map") \(family) \(table)/\(name)" }

    /// Runs `body` with a libnftnl set describing this one, holding `elements` if given.
    func withNftnl<R>(elements: some Collection<SetElement> = [SetElement](), _ body: (OpaquePointer) -> R) -> R {
        let set = nftnl_set_alloc()!
        defer { nftnl_set_free(set) }
        nftnl_set_set_str(set, attr(NFTNL_SET_TABLE), table)
        nftnl_set_set_str(set, attr(NFTNL_SET_NAME), name)
        nftnl_set_set_u32(set, attr(NFTNL_SET_FAMILY), UInt32(family.rawValue))
        if let id { nftnl_set_set_u32(set, attr(NFTNL_SET_ID), id) }
        for element in elements { nftnl_set_elem_add(set, element.makeNftnl()) }
        return body(set)
    }

    /// The request creating the set.
    func addMessage() -> Message {
        withNftnl { set in
            nftnl_set_set_u32(set, attr(NFTNL_SET_FLAGS), flags)
            nftnl_set_set_u32(set, attr(NFTNL_SET_KEY_TYPE), keyType.typeID)
            nftnl_set_set_u32(set, attr(NFTNL_SET_KEY_LEN), UInt32(keyType.length))
            if let dataType {
                nftnl_set_set_u32(set, attr(NFTNL_SET_DATA_TYPE), dataType == .verdict ? 0xffff_ff00 : dataType.typeID)
                if dataType != .verdict { nftnl_set_set_u32(set, attr(NFTNL_SET_DATA_LEN), UInt32(dataType.length)) }
            }
            if flags & NamedSet.Flags.concat != 0 {
                let lengths = keyType.fieldLengths
                _ = lengths.withUnsafeBytes {
                    nftnl_set_set_data(set, attr(NFTNL_SET_DESC_CONCAT), $0.baseAddress, UInt32($0.count))
                }
            }
            if let timeout { nftnl_set_set_u64(set, attr(NFTNL_SET_TIMEOUT), timeout.milliseconds) }
            let userData = self.userData ?? byteOrderUserData
            if !userData.isEmpty {
                _ = userData.withUnsafeBytes {
                    nftnl_set_set_data(set, attr(NFTNL_SET_USERDATA), $0.baseAddress, UInt32($0.count))
                }
            }
            if let size { nftnl_set_set_u32(set, attr(NFTNL_SET_DESC_SIZE), size) }
            return Message(.newSet, family: family.rawValue, flags: Message.Flag.create | Message.Flag.ack,
                           operation: "add", object: summary) { nftnl_set_nlmsg_build_payload($0, set) }
        }
    }

    /// The key and data byte orders as `nft` records them in set user data (`NFTNL_UDATA_SET_KEYBYTEORDER`,
    /// `…DATABYTEORDER`), so `nft list` prints host-order integers (marks, `numgen` keys) correctly.
    var byteOrderUserData: [UInt8] {
        func record(_ type: UInt8, _ data: DataType) -> [UInt8] {
            let order: UInt32 = switch data {
            case .integer, .mark: 1  // BYTEORDER_HOST_ENDIAN
            default: 2  // BYTEORDER_BIG_ENDIAN
            }
            return [type, 4] + withUnsafeBytes(of: order) { Array($0) }
        }
        var userData: [UInt8] = []
        if !keyType.isConcatenation, let key = keyType.components.first { userData += record(0, key) }
        if let dataType, dataType != .verdict { userData += record(1, dataType) }
        return userData
    }

    /// Requests adding (or deleting) `elements`, split so each message stays well under the 64 KiB a
    /// netlink attribute nest can hold.
    func elementMessages(_ elements: [SetElement], delete: Bool) -> [Message] {
        let budget = 32 * 1024
        var messages: [Message] = []
        var start = elements.startIndex
        while start < elements.endIndex {
            var end = start
            var size = 0
            while end < elements.endIndex, end == start || size + elements[end].encodedSizeEstimate <= budget {
                size += elements[end].encodedSizeEstimate
                end += 1
            }
            let chunk = elements[start..<end]
            let count = chunk.count == 1 ? "1 element" : "\(chunk.count) elements"
            messages.append(withNftnl(elements: chunk) { set in
                Message(delete ? .deleteSetElement : .newSetElement, family: family.rawValue,
                        flags: (delete ? 0 : Message.Flag.create) | Message.Flag.ack,
                        operation: delete ? "delete \(count) from" : "add \(count) to", object: summary,
                        capacity: 2 * budget + 8192) { nftnl_set_elems_nlmsg_build_payload($0, set) }
            })
            start = end
        }
        return messages
    }
}

extension NamedSet {
    var descriptor: SetDescriptor {
        var flags = self.flags.intersection(.chosen).rawValue
        if isMap { flags |= Flags.map }
        if keyType.isConcatenation && self.flags.contains(.interval) { flags |= Flags.concat }
        return SetDescriptor(family: family, table: table, name: name, keyType: keyType, dataType: dataType,
                             flags: flags, timeout: timeout, size: size, userData: userData)
    }

    /// The request deleting this set.
    func deleteMessage() -> Message {
        descriptor.withNftnl { set in
            Message(.deleteSet, family: family.rawValue, flags: Message.Flag.ack, operation: "delete", object: summary) {
                nftnl_set_nlmsg_build_payload($0, set)
            }
        }
    }

    /// The request deleting every element of this set.
    func flushMessage() -> Message {
        descriptor.withNftnl { set in
            Message(.deleteSetElement, family: family.rawValue, flags: Message.Flag.ack, operation: "flush",
                    object: summary) { nftnl_set_elems_nlmsg_build_payload($0, set) }
        }
    }

    /// Reads a set from a parsed libnftnl object, with whether it is anonymous.
    static func from(nftnl set: OpaquePointer) -> (set: NamedSet, anonymous: Bool)? {
        func u32(_ attribute: nftnl_set_attr) -> UInt32 { nftnl_set_get_u32(set, attr(attribute)) }
        func isSet(_ attribute: nftnl_set_attr) -> Bool { nftnl_set_is_set(set, attr(attribute)) }
        guard let family = Family(rawValue: UInt8(truncatingIfNeeded: u32(NFTNL_SET_FAMILY))) else { return nil }
        let flags = u32(NFTNL_SET_FLAGS)
        var dataType: DataType?
        if flags & Flags.map != 0 {
            let type = u32(NFTNL_SET_DATA_TYPE)
            let length = Int(u32(NFTNL_SET_DATA_LEN))
            dataType = type == 0xffff_ff00 ? .verdict : DataType(typeID: type, length: length) ?? .integer(length: length)
        }
        let named = NamedSet(
            String(cString: nftnl_set_get_str(set, attr(NFTNL_SET_NAME))), family: family,
            table: String(cString: nftnl_set_get_str(set, attr(NFTNL_SET_TABLE))),
            key: KeyType(typeID: u32(NFTNL_SET_KEY_TYPE), length: Int(u32(NFTNL_SET_KEY_LEN))), data: dataType,
            flags: Flags(rawValue: flags).intersection(.chosen),
            timeout: isSet(NFTNL_SET_TIMEOUT) ? .milliseconds(nftnl_set_get_u64(set, attr(NFTNL_SET_TIMEOUT))) : nil,
            size: isSet(NFTNL_SET_DESC_SIZE) ? u32(NFTNL_SET_DESC_SIZE) : nil,
            handle: nftnl_set_get_u64(set, attr(NFTNL_SET_HANDLE)))
        return (named, flags & Flags.anonymous != 0)
    }
}

extension AnonymousSet {
    /// The descriptor of this set as batch-local set `id` of `rule`'s table.
    func descriptor(id: UInt32, for rule: Rule) -> SetDescriptor {
        var flags = Flags.anonymousConstant
        if dataType != nil { flags |= NamedSet.Flags.map }
        if interval { flags |= NamedSet.Flags.interval.rawValue }
        if interval && keyType.isConcatenation { flags |= NamedSet.Flags.concat }
        return SetDescriptor(family: rule.family, table: rule.table, name: namePattern, id: id, keyType: keyType,
                             dataType: dataType, flags: flags, timeout: nil, size: nil)
    }

    private enum Flags {
        static let anonymousConstant = NamedSet.Flags.anonymous | NamedSet.Flags.constant.rawValue
    }
}

extension Duration {
    /// Whole milliseconds, as the kernel takes timeouts.
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    static func milliseconds(_ value: UInt64) -> Duration { .milliseconds(Int64(value)) }
}
