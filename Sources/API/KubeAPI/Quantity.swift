import Foundation

/// `resource.Quantity`: a fixed-point amount such as `100m` CPU or `1536Mi` memory, parsed and printed
/// exactly as upstream (k8s.io/apimachinery/pkg/api/resource) does.
///
/// The value is held as a whole number of nano-units, the finest precision upstream keeps: parsing rounds
/// any finer non-zero value away from zero (`0.9n` → `1n`). The suffix family the text used (decimal SI,
/// binary SI, decimal exponent) is remembered and reused when printing the canonical form:
///
/// ```swift
/// try Quantity(parsing: "0.5").description     // "500m"
/// try Quantity(parsing: "1024Mi").description  // "1Gi"
/// try Quantity(parsing: "1.5Gi").description   // "1536Mi"
/// let cpu: Quantity = "250m"                   // literals are checked when they are used
/// cpu.milliValue                               // 250
/// ```
///
/// Like upstream, a string that is already canonical is re-emitted verbatim, and equality compares values,
/// so `1` equals `1000m`. Amounts whose magnitude exceeds about 1.7e29 are rejected
/// (upstream's arbitrary-precision form accepts them; no real resource needs them).
public struct Quantity: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral
{
    /// The family of suffixes a quantity prints with.
    public enum Format: String, Sendable, Hashable {
        /// `12e6`.
        case decimalExponent = "DecimalExponent"
        /// `12Mi` (12 × 2^20).
        case binarySI = "BinarySI"
        /// `12M` (12 × 10^6).
        case decimalSI = "DecimalSI"
    }

    /// The amount in units of 10^-9.
    public private(set) var nanoValue: Int128
    /// The suffix family used when printing.
    public var format: Format
    /// The text this quantity was parsed from, kept when it is already canonical (as upstream caches it).
    private var cached: String?

    static let nanosPerUnit: Int128 = 1_000_000_000
    /// Upstream caps binary-SI quantities at 2^63-1.
    static let maxBinaryNanos: Int128 = Int128(Int64.max) * nanosPerUnit

    /// A quantity of `nanos` × 10^-9 printed in `format`.
    public init(nanoValue: Int128, format: Format = .decimalSI) {
        self.nanoValue = nanoValue
        self.format = format
        self.cached = nil
    }

    /// `value` whole units, like upstream's `NewQuantity` (`Quantity(1024, format: .binarySI)` prints `1Ki`).
    public init(_ value: Int64, format: Format = .decimalSI) {
        self.init(nanoValue: Int128(value) * Self.nanosPerUnit, format: format)
    }

    /// `value` thousandths, like upstream's `NewMilliQuantity` (`Quantity(milliValue: 250)` prints `250m`).
    public init(milliValue: Int64, format: Format = .decimalSI) {
        self.init(nanoValue: Int128(milliValue) * 1_000_000, format: format)
    }

    /// `value` × 10^`scale` (scale ≥ -9), like upstream's `NewScaledQuantity`.
    public init(_ value: Int64, scale: Int) {
        precondition(scale >= -9, "Quantity holds no precision finer than nano")
        self.init(nanoValue: Int128(value) * Self.pow10(scale + 9), format: .decimalSI)
    }

    public init(stringLiteral value: String) {
        do { self = try Quantity(parsing: value) } catch { preconditionFailure("invalid quantity literal \(value): \(error)") }
    }

    public init(integerLiteral value: Int64) { self.init(value) }

    /// Zero, printed `0`.
    public static let zero = Quantity(0)

    // MARK: Accessors

    public var isZero: Bool { nanoValue == 0 }

    /// -1, 0 or 1.
    public var sign: Int { nanoValue < 0 ? -1 : (nanoValue == 0 ? 0 : 1) }

    /// The value in whole units, rounded away from zero (`1.1` → 2), as upstream's `Value()`.
    /// Saturates at the bounds of `Int64` instead of overflowing.
    public var value: Int64 { scaledValue(0) }

    /// The value in thousandths, rounded away from zero (`0.1m` → 1), as upstream's `MilliValue()`.
    public var milliValue: Int64 { scaledValue(-3) }

    /// The value in units of 10^`scale`, rounded away from zero, as upstream's `ScaledValue`.
    public func scaledValue(_ scale: Int) -> Int64 {
        let shift = scale + 9
        var result: Int128
        if shift <= 0 {
            let (r, overflow) = nanoValue.multipliedReportingOverflow(by: Self.pow10(-shift))
            result = overflow ? (nanoValue < 0 ? Int128.min : Int128.max) : r
        } else if shift > 38 {
            result = nanoValue == 0 ? 0 : (nanoValue < 0 ? -1 : 1)
        } else {
            let divisor = Self.pow10(shift)
            result = nanoValue / divisor
            if nanoValue % divisor != 0 { result += nanoValue < 0 ? -1 : 1 }
        }
        if result > Int128(Int64.max) { return Int64.max }
        if result < Int128(Int64.min) { return Int64.min }
        return Int64(result)
    }

    /// An approximate floating-point value (for ratios and display only).
    public var approximateDouble: Double { Double(nanoValue) / 1e9 }

    // MARK: Arithmetic

    /// Adds `other`; a zero quantity takes on the other's format, as upstream's `Add`.
    public mutating func add(_ other: Quantity) {
        if nanoValue == 0 { format = other.format }
        nanoValue += other.nanoValue
        cached = nil
    }

    /// Subtracts `other`; a zero quantity takes on the other's format, as upstream's `Sub`.
    public mutating func subtract(_ other: Quantity) {
        if nanoValue == 0 { format = other.format }
        nanoValue -= other.nanoValue
        cached = nil
    }

    /// Multiplies by an integer, as upstream's `Mul`.
    public mutating func multiply(by factor: Int64) {
        nanoValue *= Int128(factor)
        cached = nil
    }

    /// Negates the value.
    public mutating func negate() {
        nanoValue = -nanoValue
        cached = nil
    }

    public static func + (a: Quantity, b: Quantity) -> Quantity { var r = a; r.add(b); return r }
    public static func - (a: Quantity, b: Quantity) -> Quantity { var r = a; r.subtract(b); return r }
    public static func += (a: inout Quantity, b: Quantity) { a.add(b) }
    public static func -= (a: inout Quantity, b: Quantity) { a.subtract(b) }
    public static prefix func - (a: Quantity) -> Quantity { var r = a; r.negate(); return r }

    // MARK: Equality and order (by value, as upstream's `Cmp`)

    public static func == (a: Quantity, b: Quantity) -> Bool { a.nanoValue == b.nanoValue }
    public static func < (a: Quantity, b: Quantity) -> Bool { a.nanoValue < b.nanoValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanoValue) }

    /// -1, 0 or 1 as upstream's `Cmp`.
    public func compare(_ other: Quantity) -> Int {
        nanoValue < other.nanoValue ? -1 : (nanoValue == other.nanoValue ? 0 : 1)
    }

    // MARK: Codable

    /// Decodes a JSON string (`"100m"`) or, like upstream, a JSON number (`1.5`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text: String
        if let s = try? c.decode(String.self) {
            text = s
        } else if let i = try? c.decode(Int64.self) {
            text = String(i)
        } else if let d = try? c.decode(Decimal.self) {
            text = d.description
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "quantity must be a string or a number")
        }
        do {
            self = try Quantity(parsing: text.trimmingCharacters(in: .whitespaces))
        } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Why a quantity could not be parsed; the messages are upstream's.
public enum QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    case formatWrong
    case numeric
    case suffix

    public var description: String {
        switch self {
        case .formatWrong: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        case .numeric: "unable to parse numeric part of quantity"
        case .suffix: "unable to parse quantity's suffix"
        }
    }
}

// MARK: - Parsing

extension Quantity {
    /// Parses upstream's grammar: `<sign>?<digits>(.<digits>)?<suffix>` where the suffix is one of
    /// `n u m "" k M G T P E`, `Ki Mi Gi Ti Pi Ei`, or `e<int>`/`E<int>`. Throws `QuantityError`.
    public init(parsing str: String) throws {
        if str.isEmpty { throw QuantityError.formatWrong }
        if str == "0" {
            self.init(nanoValue: 0, format: .decimalSI)
            cached = "0"
            return
        }
        let parts = try Self.scan(Array(str.utf8))
        guard let (base, exponent, format) = Self.interpret(parts.suffix) else { throw QuantityError.suffix }
        let num = parts.num, denom = parts.denom

        // Upstream's int64 fast path decides whether the input text is kept as the canonical string.
        var keepText = false
        let precision: Int
        var scale = 0
        var mantissa: Int64 = 1
        switch format {
        case .decimalExponent, .decimalSI:
            scale = exponent
            precision = 18 - (num.count + denom.count)
        case .binarySI:
            if exponent >= 0 && denom.isEmpty {
                mantissa = 1 << Int64(exponent)
                precision = 15 - num.count - Int(Float(exponent) * 3 / 10) - 1
            } else {
                precision = -1
            }
        }
        if precision >= 0 {
            scale -= denom.count
            if scale >= -9 {
                let shifted = num + denom
                guard let v = Int64(String(decoding: shifted, as: UTF8.self)) else { throw QuantityError.numeric }
                let (_, overflow) = v.multipliedReportingOverflow(by: mantissa)
                if !overflow {
                    switch format {
                    case .binarySI:
                        keepText = exponent % 10 == 0 && (v & 0x07) != 0
                    default:
                        keepText = scale % 3 == 0 && !shifted.ends(with: Array("000".utf8)) && shifted.first != UInt8(ascii: "0")
                    }
                }
            }
        }

        // The exact value, rounded away from zero to nano precision.
        var digits = num + denom
        while digits.count > 1, digits.first == UInt8(ascii: "0") { digits.removeFirst() }
        var nanos: Int128
        if base == 10 {
            nanos = try Self.scaleDigits(digits, power: exponent - denom.count + 9)
        } else {
            // digits × 2^exponent / 10^len(denom) × 10^9
            var trimmedDenom = denom.count
            while trimmedDenom > 0, digits.count > 1, digits.last == UInt8(ascii: "0") {
                digits.removeLast(); trimmedDenom -= 1
            }
            guard let d = Int128(String(decoding: digits, as: UTF8.self)) else { throw QuantityError.numeric }
            let (shiftedValue, o1) = d.multipliedReportingOverflow(by: Int128(1) << exponent)
            if o1 || exponent > 100 { throw QuantityError.numeric }
            nanos = try Self.scaleInteger(shiftedValue, power: 9 - trimmedDenom)
            if nanos > Self.maxBinaryNanos { nanos = Self.maxBinaryNanos }
        }
        var finalFormat = format
        if format == .binarySI && nanos > 0 && nanos < Self.nanosPerUnit { finalFormat = .decimalSI }
        self.init(nanoValue: parts.positive ? nanos : -nanos, format: finalFormat)
        if keepText { cached = str }
    }

    struct Scanned {
        var positive: Bool
        var num: [UInt8]
        var denom: [UInt8]
        var suffix: [UInt8]
    }

    /// Upstream's `parseQuantityString`.
    static func scan(_ s: [UInt8]) throws -> Scanned {
        var out = Scanned(positive: true, num: [], denom: [], suffix: [])
        let end = s.count
        var pos = 0
        if pos < end {
            if s[0] == UInt8(ascii: "-") { out.positive = false; pos += 1 }
            else if s[0] == UInt8(ascii: "+") { pos += 1 }
        }
        while pos < end, s[pos] == UInt8(ascii: "0") { pos += 1 }
        if pos >= end { out.num = [UInt8(ascii: "0")]; return out }
        let isDigit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        var i = pos
        while i < end, isDigit(s[i]) { i += 1 }
        out.num = Array(s[pos..<i])
        if i >= end { return out }
        pos = i
        if out.num.isEmpty { out.num = [UInt8(ascii: "0")] }
        if pos < end, s[pos] == UInt8(ascii: ".") {
            pos += 1
            i = pos
            while i < end, isDigit(s[i]) { i += 1 }
            out.denom = Array(s[pos..<i])
            if i >= end { return out }
            pos = i
        }
        let suffixStart = pos
        let suffixChars = Set("eEinumkKMGTP".utf8)
        i = pos
        while i < end, suffixChars.contains(s[i]) { i += 1 }
        if i >= end { out.suffix = Array(s[suffixStart..<end]); return out }
        pos = i
        if pos < end, s[pos] == UInt8(ascii: "-") || s[pos] == UInt8(ascii: "+") { pos += 1 }
        i = pos
        while i < end, isDigit(s[i]) { i += 1 }
        if i >= end { out.suffix = Array(s[suffixStart..<end]); return out }
        throw QuantityError.formatWrong
    }

    /// Upstream's suffixer: base, exponent and format of a suffix.
    static func interpret(_ suffix: [UInt8]) -> (Int, Int, Format)? {
        switch String(decoding: suffix, as: UTF8.self) {
        case "": return (10, 0, .decimalSI)
        case "n": return (10, -9, .decimalSI)
        case "u": return (10, -6, .decimalSI)
        case "m": return (10, -3, .decimalSI)
        case "k": return (10, 3, .decimalSI)
        case "M": return (10, 6, .decimalSI)
        case "G": return (10, 9, .decimalSI)
        case "T": return (10, 12, .decimalSI)
        case "P": return (10, 15, .decimalSI)
        case "E": return (10, 18, .decimalSI)
        case "Ki": return (2, 10, .binarySI)
        case "Mi": return (2, 20, .binarySI)
        case "Gi": return (2, 30, .binarySI)
        case "Ti": return (2, 40, .binarySI)
        case "Pi": return (2, 50, .binarySI)
        case "Ei": return (2, 60, .binarySI)
        case let s where s.count > 1 && (s.first == "e" || s.first == "E"):
            guard let e = Int32(s.dropFirst()) else { return nil }
            return (10, Int(e), .decimalExponent)
        default: return nil
        }
    }

    /// `digits` × 10^`power`, rounding a fractional result away from zero.
    static func scaleDigits(_ digits: [UInt8], power: Int) throws -> Int128 {
        if power >= 0 {
            guard let d = Int128(String(decoding: digits, as: UTF8.self)) else { throw QuantityError.numeric }
            return try scaleInteger(d, power: power)
        }
        let keep = digits.count + power
        let kept = keep > 0 ? Array(digits[0..<keep]) : [UInt8(ascii: "0")]
        let dropped = keep > 0 ? digits[keep...] : digits[...]
        guard var v = Int128(String(decoding: kept, as: UTF8.self)) else { throw QuantityError.numeric }
        if dropped.contains(where: { $0 != UInt8(ascii: "0") }) { v += 1 }
        return v
    }

    /// `value` × 10^`power`, rounding a fractional result away from zero.
    static func scaleInteger(_ value: Int128, power: Int) throws -> Int128 {
        if power >= 0 {
            guard power <= 38 else { if value == 0 { return 0 }; throw QuantityError.numeric }
            let (r, overflow) = value.multipliedReportingOverflow(by: pow10(power))
            if overflow { throw QuantityError.numeric }
            return r
        }
        guard -power <= 38 else { return value == 0 ? 0 : 1 }
        let divisor = pow10(-power)
        var r = value / divisor
        if value % divisor != 0 { r += 1 }
        return r
    }

    static func pow10(_ n: Int) -> Int128 {
        var r: Int128 = 1
        for _ in 0..<max(0, n) { r *= 10 }
        return r
    }
}

// MARK: - Printing

extension Quantity {
    /// The canonical form: the largest suffix that loses no precision and needs no fractional digits.
    public var description: String {
        if let cached { return cached }
        return canonical
    }

    /// The canonical form, ignoring any remembered input text.
    public var canonical: String {
        if nanoValue == 0 { return "0" }
        var format = self.format
        let negative = nanoValue < 0
        let magnitude = negative ? -nanoValue : nanoValue
        if format == .binarySI {
            if magnitude < 1024 * Self.nanosPerUnit || magnitude % Self.nanosPerUnit != 0 {
                format = .decimalSI
            }
        }
        let sign = negative ? "-" : ""
        switch format {
        case .binarySI:
            var amount = magnitude / Self.nanosPerUnit
            var exponent = 0
            while exponent < 6, amount >= 1024, amount % 1024 == 0 {
                amount /= 1024
                exponent += 1
            }
            let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            return sign + String(amount) + suffixes[exponent]
        case .decimalSI, .decimalExponent:
            var amount = magnitude
            var exponent = -9
            while amount % 10 == 0 { amount /= 10; exponent += 1 }
            while exponent % 3 != 0 { amount *= 10; exponent -= 1 }
            let number = sign + String(amount)
            if format == .decimalSI {
                switch exponent {
                case -9: return number + "n"
                case -6: return number + "u"
                case -3: return number + "m"
                case 0: return number
                case 3: return number + "k"
                case 6: return number + "M"
                case 9: return number + "G"
                case 12: return number + "T"
                case 15: return number + "P"
                case 18: return number + "E"
                default: break
                }
            }
            return exponent == 0 ? number : number + "e\(exponent)"
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
