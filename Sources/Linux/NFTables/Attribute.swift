/// libnftnl attribute numbers as `uint16_t`: named C enums import as structs, anonymous ones as `Int`.
func attr<A: RawRepresentable>(_ attribute: A) -> UInt16 where A.RawValue: BinaryInteger { UInt16(attribute.rawValue) }

/// libnftnl attribute numbers from anonymous C enums.
func attr<A: BinaryInteger>(_ attribute: A) -> UInt16 { UInt16(attribute) }
