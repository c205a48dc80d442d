/// An nf_tables register: the verdict register or a data register.
///
/// Data registers are addressed in 4-byte units, `NFT_REG32_00 … NFT_REG32_15`; a value longer than
/// 4 bytes occupies consecutive units (an IPv6 address fills four). Like `nft`, a unit that starts one of
/// the legacy 16-byte registers is sent as `NFT_REG_1 … NFT_REG_4`, so `nft list` output and our
/// encodings match byte for byte.
public enum Register: Hashable, Sendable, CustomStringConvertible {
    /// `NFT_REG_VERDICT`: where lookups in verdict maps and `immediate` verdicts go.
    case verdict
    /// The 4-byte data register `NFT_REG32_00 + unit` (`unit` in `0...15`).
    case unit(UInt32)

    /// `NFT_REG_1`, the first data register (units 0–3).
    public static let r1 = Register.unit(0)
    /// `NFT_REG_2` (units 4–7).
    public static let r2 = Register.unit(4)
    /// `NFT_REG_3` (units 8–11).
    public static let r3 = Register.unit(8)
    /// `NFT_REG_4` (units 12–15).
    public static let r4 = Register.unit(12)

    /// The register `units` 4-byte units after this one.
    public func advanced(by units: UInt32) -> Register {
        switch self {
        case .verdict: .verdict
        case .unit(let base): .unit(base + units)
        }
    }

    /// How many 4-byte units a value of `length` bytes occupies.
    public static func units(forLength length: Int) -> UInt32 { UInt32((length + 3) / 4) }

    /// The number sent to the kernel (`enum nft_registers`).
    var kernelValue: UInt32 {
        switch self {
        case .verdict: 0
        case .unit(let unit): unit % 4 == 0 ? 1 + unit / 4 : 8 + unit
        }
    }

    /// Decodes a kernel register number; `nil` for numbers outside the known ranges.
    init?(kernelValue: UInt32) {
        switch kernelValue {
        case 0: self = .verdict
        case 1...4: self = .unit((kernelValue - 1) * 4)
        case 8...23: self = .unit(kernelValue - 8)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .verdict: "verdict"
        case .unit(let unit): "reg \(kernelValue) (unit \(unit))"
        }
    }
}
