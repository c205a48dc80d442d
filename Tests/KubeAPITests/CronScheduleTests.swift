import Foundation
import KubeAPI
import Testing

/// The cron parser against known next run times and robfig/cron's error messages.
struct CronScheduleTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    static func next(_ spec: String, after: String, zone: TimeZone = utc) throws -> String? {
        let schedule = try CronSchedule(parsing: spec)
        guard let next = schedule.next(after: date(after), in: zone) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        return formatter.string(from: next)
    }

    @Test(arguments: [
        ("* * * * *", "2024-05-01T12:00:00Z", "2024-05-01T12:01:00Z"),
        ("* * * * *", "2024-05-01T12:00:30Z", "2024-05-01T12:01:00Z"),
        ("*/1 * * * *", "2024-05-01T12:59:59Z", "2024-05-01T13:00:00Z"),
        ("*/15 * * * *", "2024-05-01T12:16:00Z", "2024-05-01T12:30:00Z"),
        ("5/20 * * * *", "2024-05-01T12:46:00Z", "2024-05-01T13:05:00Z"),
        ("10-50/20 * * * *", "2024-05-01T12:31:00Z", "2024-05-01T12:50:00Z"),
        ("0 9-17 * * MON-FRI", "2024-05-03T17:30:00Z", "2024-05-06T09:00:00Z"), // Friday evening → Monday
        ("0 0 1,15 * *", "2024-05-02T00:00:00Z", "2024-05-15T00:00:00Z"),
        ("30 6 * jan,JUL *", "2024-02-01T00:00:00Z", "2024-07-01T06:30:00Z"),
        ("0 0 29 2 *", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"), // leap days only
        ("0 12 1 * 1", "2024-05-02T00:00:00Z", "2024-05-06T12:00:00Z"), // both day fields set: either matches
        ("0 12 */2 * 1", "2024-05-02T00:00:00Z", "2024-05-03T12:00:00Z"), // a stepped star restricts: OR
        ("0 12 * * sun", "2024-05-02T00:00:00Z", "2024-05-05T12:00:00Z"), // dom '*': weekday alone decides
        ("@hourly", "2024-05-01T12:00:00Z", "2024-05-01T13:00:00Z"),
        ("@daily", "2024-05-01T12:00:00Z", "2024-05-02T00:00:00Z"),
        ("@weekly", "2024-05-01T12:00:00Z", "2024-05-05T00:00:00Z"),
        ("@monthly", "2024-05-01T12:00:00Z", "2024-06-01T00:00:00Z"),
        ("@yearly", "2024-05-01T12:00:00Z", "2025-01-01T00:00:00Z"),
        ("0 0 * * ?", "2024-12-31T23:59:00Z", "2025-01-01T00:00:00Z"),
    ])
    func nextTimes(_ spec: String, _ after: String, _ expected: String) throws {
        #expect(try Self.next(spec, after: after) == expected, "\(spec) after \(after)")
    }

    @Test func wallClockInATimeZone() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        // 09:00 Berlin is 07:00 UTC in summer and 08:00 in winter.
        #expect(try Self.next("0 9 * * *", after: "2024-07-01T10:00:00Z", zone: berlin) == "2024-07-02T09:00:00+02:00")
        #expect(try Self.next("0 9 * * *", after: "2024-12-01T10:00:00Z", zone: berlin) == "2024-12-02T09:00:00+01:00")
        // 02:30 does not exist on the spring-forward day; the run lands after the gap, once.
        let next = try #require(try CronSchedule(parsing: "30 2 * * *").next(after: Self.date("2024-03-30T12:00:00Z"), in: berlin))
        #expect(next > Self.date("2024-03-31T00:00:00Z") && next < Self.date("2024-04-01T00:00:00Z"))
    }

    @Test func impossibleSchedulesHaveNoNextTime() throws {
        #expect(try Self.next("0 0 30 2 *", after: "2024-01-01T00:00:00Z") == nil)
    }

    @Test(arguments: [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("*/2/3 * * * *", "too many slashes: */2/3"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every 5x", "failed to parse duration @every 5x: time: unknown unit \"x\" in duration \"5x\""),
        ("@every 10", "failed to parse duration @every 10: time: missing unit in duration \"10\""),
        ("@every h", "failed to parse duration @every h: time: invalid duration \"h\""),
    ])
    func errors(_ spec: String, _ message: String) {
        #expect(throws: CronScheduleError(message)) { try CronSchedule(parsing: spec) }
    }

    @Test func everyIsAConstantDelayInWholeSeconds() throws {
        let start = Date(timeIntervalSince1970: 1_714_564_800.75)
        let utc = TimeZone(identifier: "UTC")!
        #expect(try CronSchedule(parsing: "@every 1h30m").next(after: start, in: utc) == Date(timeIntervalSince1970: 1_714_564_800 + 5400))
        #expect(try CronSchedule(parsing: "@every 90s").interval == 90)
        #expect(try CronSchedule(parsing: "@every 1.5s").interval == 1)
        #expect(try CronSchedule(parsing: "@every 100ms").interval == 1)
    }
}
