import Foundation

/// meta/v1 `Time`: an RFC 3339 instant with second precision, printed as upstream prints it
/// (`2024-05-01T12:00:00Z`, always UTC). Parsing accepts fractional seconds and any offset.
public struct Time: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The instant, truncated to whole seconds.
    public var date: Date

    public init(_ date: Date) { self.date = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// The current time, truncated to seconds.
    public static func now() -> Time { Time(Date()) }

    /// Parses RFC 3339 text such as `2024-05-01T12:00:00Z` or `2024-05-01T14:00:00.25+02:00`.
    public init?(rfc3339 text: String) {
        guard let d = RFC3339.parse(text) else { return nil }
        self.init(d)
    }

    public var description: String { RFC3339.format(date, fractionalDigits: 0) }

    public static func < (a: Time, b: Time) -> Bool { a.date < b.date }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let t = Time(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "parsing time \"\(text)\" as RFC 3339")
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// meta/v1 `MicroTime`: an RFC 3339 instant with microsecond precision (`2024-05-01T12:00:00.123456Z`),
/// used by Lease and Event.
public struct MicroTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var date: Date

    public init(_ date: Date) {
        // Rounded to the nearest microsecond: a Double holding ~1.7e9 seconds is only precise to ~0.24 µs,
        // so truncating would turn .654321 into .654320 after one trip through `Date`.
        self.date = Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
    }

    public static func now() -> MicroTime { MicroTime(Date()) }

    public init?(rfc3339 text: String) {
        guard let d = RFC3339.parse(text) else { return nil }
        self.init(d)
    }

    public var description: String { RFC3339.format(date, fractionalDigits: 6) }

    public static func < (a: MicroTime, b: MicroTime) -> Bool { a.date < b.date }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let t = MicroTime(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "parsing time \"\(text)\" as RFC 3339")
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// RFC 3339 parsing and printing without locale-dependent formatters.
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`/`z` accepted in lower case as RFC 3339 allows.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<from + count {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20,
              let year = num(0, 4), b[4] == UInt8(ascii: "-"),
              let month = num(5, 2), b[7] == UInt8(ascii: "-"),
              let day = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = num(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = num(14, 2), b[16] == UInt8(ascii: ":"),
              let second = num(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Prints a UTC instant with `fractionalDigits` digits after the seconds (0 prints none).
    public static func format(_ date: Date, fractionalDigits: Int) -> String {
        var scale = 1
        for _ in 0..<fractionalDigits { scale *= 10 }
        // Count in units of the printed precision, rounding to the nearest unit (Double is not exact at µs).
        let t = date.timeIntervalSince1970
        let units = fractionalDigits > 0 ? Int((t * Double(scale)).rounded()) : Int(t.rounded(.down))
        let whole = units >= 0 ? units / scale : -((-units + scale - 1) / scale)
        let frac = units - whole * scale
        var days = whole / 86400
        var rem = whole % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))"
        if fractionalDigits > 0 {
            out += "." + pad(frac, fractionalDigits)
        }
        return out + "Z"
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
