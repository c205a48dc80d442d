import Foundation

/// A parsed five-field cron schedule (`minute hour day-of-month month day-of-week`), with the syntax and
/// semantics of the parser Kubernetes uses for CronJobs (robfig/cron `ParseStandard`): `*` and `?`, ranges
/// (`1-5`), steps (`*/15`, `10-50/20`, `5/10` meaning `5-59/10`), lists (`1,15,30`), month and weekday names
/// (`JAN`, `mon-fri`, case-insensitive), the macros `@yearly`/`@annually`, `@monthly`, `@weekly`,
/// `@daily`/`@midnight` and `@hourly`, and `@every <Go duration>` (`@every 1h30m`: a constant delay in whole
/// seconds, at least one, from the previous time — robfig/cron's `ConstantDelaySchedule`, which Kubernetes 1.32
/// accepts since it validates with `ParseStandard`).
///
/// As in cron, when both day fields are restricted a day matches if either does; when one of them starts
/// with `*` or `?` (without a step above 1) both must match.
///
/// ```swift
/// let schedule = try CronSchedule(parsing: "*/15 9-17 * * MON-FRI")
/// let next = schedule.next(after: .now, in: TimeZone(identifier: "Europe/Berlin")!)
/// ```
public struct CronSchedule: Sendable, Hashable {
    public let minutes: UInt64
    public let hours: UInt64
    public let daysOfMonth: UInt64
    public let months: UInt64
    public let daysOfWeek: UInt64
    /// Whether the day-of-month field is unrestricted (`*`), which makes the day fields combine with AND.
    public let daysOfMonthStar: Bool
    public let daysOfWeekStar: Bool
    /// `@every`: the delay in seconds (the fields above are then unused).
    public let interval: Int64?

    private struct Bounds {
        let min: Int, max: Int
        var names: [String: Int] = [:]
    }

    private static let minuteBounds = Bounds(min: 0, max: 59)
    private static let hourBounds = Bounds(min: 0, max: 23)
    private static let dayBounds = Bounds(min: 1, max: 31)
    private static let monthBounds = Bounds(min: 1, max: 12, names: [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ])
    private static let weekdayBounds = Bounds(min: 0, max: 6, names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6])

    /// The macros and the five fields each stands for.
    public static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `spec`; the error messages are robfig/cron's, which the API server reports in validation.
    public init(parsing spec: String) throws(CronScheduleError) {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw CronScheduleError("empty spec string") }
        if trimmed.hasPrefix("TZ=") || trimmed.hasPrefix("CRON_TZ=") {
            throw CronScheduleError("time zones in the schedule are not supported; use timeZone")
        }
        var text = trimmed
        if text.hasPrefix("@every ") {
            let delay = try Self.goDuration(String(text.dropFirst("@every ".count)), descriptor: text)
            // Under a second rounds up to one; otherwise whole seconds (robfig/cron's `Every`).
            interval = max(1, delay / 1_000_000_000)
            (minutes, hours, daysOfMonth, months, daysOfWeek, daysOfMonthStar, daysOfWeekStar) = (0, 0, 0, 0, 0, false, false)
            return
        }
        interval = nil
        if text.hasPrefix("@") {
            guard let expanded = Self.macros[text.lowercased()] else { throw CronScheduleError("unrecognized descriptor: \(text)") }
            text = expanded
        }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronScheduleError("expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]")
        }
        (minutes, _) = try Self.field(fields[0], Self.minuteBounds)
        (hours, _) = try Self.field(fields[1], Self.hourBounds)
        (daysOfMonth, daysOfMonthStar) = try Self.field(fields[2], Self.dayBounds)
        (months, _) = try Self.field(fields[3], Self.monthBounds)
        (daysOfWeek, daysOfWeekStar) = try Self.field(fields[4], Self.weekdayBounds)
    }

    /// The nanoseconds of an `@every` duration, refused in robfig/cron's words.
    static func goDuration(_ text: String, descriptor: String) throws(CronScheduleError) -> Int64 {
        do {
            let duration = try GoDuration.parse(text)
            return duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        } catch {
            throw CronScheduleError("failed to parse duration \(descriptor): \(error.message)")
        }
    }

    /// The bits of one comma-separated field, and whether it is a star.
    private static func field(_ text: String, _ bounds: Bounds) throws(CronScheduleError) -> (UInt64, Bool) {
        var bits: UInt64 = 0
        var star = false
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let (partBits, partStar) = try range(String(part), bounds)
            bits |= partBits
            star = star || partStar
        }
        return (bits, star)
    }

    private static func range(_ expr: String, _ bounds: Bounds) throws(CronScheduleError) -> (UInt64, Bool) {
        let rangeAndStep = expr.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let lowAndHigh = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let singleDigit = lowAndHigh.count == 1
        var start: Int, end: Int, step = 1
        var star = false
        if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
            (start, end, star) = (bounds.min, bounds.max, true)
        } else {
            start = try intOrName(lowAndHigh[0], bounds)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try intOrName(lowAndHigh[1], bounds)
            default: throw CronScheduleError("too many hyphens: \(expr)")
            }
        }
        switch rangeAndStep.count {
        case 1: break
        case 2:
            step = try integer(rangeAndStep[1])
            // "N/step" means "N-max/step".
            if singleDigit { end = bounds.max }
            if step > 1 { star = false }
        default: throw CronScheduleError("too many slashes: \(expr)")
        }
        if start < bounds.min { throw CronScheduleError("beginning of range (\(start)) below minimum (\(bounds.min)): \(expr)") }
        if end > bounds.max { throw CronScheduleError("end of range (\(end)) above maximum (\(bounds.max)): \(expr)") }
        if start > end { throw CronScheduleError("beginning of range (\(start)) beyond end of range (\(end)): \(expr)") }
        if step == 0 { throw CronScheduleError("step of range should be a positive number: \(expr)") }
        var bits: UInt64 = 0
        for value in stride(from: start, through: end, by: step) { bits |= 1 << UInt64(value) }
        return (bits, star)
    }

    private static func intOrName(_ text: String, _ bounds: Bounds) throws(CronScheduleError) -> Int {
        if let value = bounds.names[text.lowercased()] { return value }
        return try integer(text)
    }

    private static func integer(_ text: String) throws(CronScheduleError) -> Int {
        guard let value = Int(text) else {
            throw CronScheduleError("failed to parse int from \(text): strconv.Atoi: parsing \"\(text)\": invalid syntax")
        }
        if value < 0 { throw CronScheduleError("negative number (\(value)) not allowed: \(text)") }
        return value
    }

    private static func has(_ bits: UInt64, _ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    /// The first scheduled minute strictly after `date`, as wall-clock time in `zone`; `nil` when nothing
    /// matches within five years (a schedule such as `0 0 30 2 *`).
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        if let interval {
            // ConstantDelaySchedule.Next: the time without its fraction of a second, plus the delay.
            return Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + Double(interval))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let startMinute = (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
        var c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: startMinute))
        guard var year = c.year, var month = c.month, var day = c.day, var hour = c.hour, var minute = c.minute else { return nil }
        let yearLimit = year + 5
        func daysIn(_ year: Int, _ month: Int) -> Int {
            let first = calendar.date(from: DateComponents(year: year, month: month, day: 1, hour: 12))!
            return calendar.range(of: .day, in: .month, for: first)?.count ?? 31
        }
        while year <= yearLimit {
            if !Self.has(months, month) {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            if day > daysIn(year, month) {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            if !dayMatches(year: year, month: month, day: day, calendar: calendar) {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if !Self.has(hours, hour) {
                (hour, minute) = (hour + 1, 0)
                if hour > 23 { (day, hour) = (day + 1, 0) }
                continue
            }
            if !Self.has(minutes, minute) {
                minute += 1
                if minute > 59 { (hour, minute) = (hour + 1, 0) }
                if hour > 23 { (day, hour) = (day + 1, 0) }
                continue
            }
            c = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)
            // A wall-clock time skipped by a DST change resolves to a later instant; one repeated is taken once.
            if let result = calendar.date(from: c), result > date { return result }
            minute += 1
            if minute > 59 { (hour, minute) = (hour + 1, 0) }
            if hour > 23 { (day, hour) = (day + 1, 0) }
        }
        return nil
    }

    private func dayMatches(year: Int, month: Int, day: Int, calendar: Calendar) -> Bool {
        let domMatch = Self.has(daysOfMonth, day)
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)) else { return false }
        let dowMatch = Self.has(daysOfWeek, calendar.component(.weekday, from: date) - 1)
        if daysOfMonthStar || daysOfWeekStar { return domMatch && dowMatch }
        return domMatch || dowMatch
    }
}

/// Why a cron schedule does not parse, worded as robfig/cron words it.
public struct CronScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
