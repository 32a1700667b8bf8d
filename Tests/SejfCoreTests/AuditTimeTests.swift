import Testing
@testable import SejfCore

struct AuditTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_793_527_200_123, "2026-11-01T10:00:00.123Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        (253_402_300_800_000, "+10000-01-01T00:00:00.000Z"),
        (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
    ])
    func formatsAndParsesISO8601(milliseconds: Int64, text: String) {
        let time = AuditTime(milliseconds: milliseconds)
        #expect(time.iso8601 == text)
        #expect(time.description == text)
        #expect(AuditTime(iso8601: text) == time)
    }

    @Test func extremesFormatAndParseBack() {
        for ms in [Int64.max, Int64.max - 86_400_000, Int64.min + 2 * 86_400_000] {
            let time = AuditTime(milliseconds: ms)
            #expect(AuditTime(iso8601: time.iso8601) == time, "\(time.iso8601)")
        }
    }

    @Test(arguments: [
        "2026-11-01T10:00:00Z", "2026-11-01T10:00:00.12Z", "2026-11-01T10:00:00.1234Z", "2026-11-01 10:00:00.000Z",
        "2026-11-01T10:00:00.000+00:00", "2026-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z",
        "2026-11-01T24:00:00.000Z", "2026-11-01T10:00:60.000Z", "10000-01-01T00:00:00.000Z", "+999-01-01T00:00:00.000Z",
        "2026-11-01T10:00:00.000z", " 2026-11-01T10:00:00.000Z", "", "2026-11-01",
    ])
    func exportParsingIsStrict(text: String) {
        #expect(AuditTime(iso8601: text) == nil)
    }

    @Test func secondsRoundToTheMillisecondAndBack() {
        #expect(AuditTime(secondsSince1970: 1_793_527_200.1234).milliseconds == 1_793_527_200_123)
        #expect(AuditTime(secondsSince1970: 1_793_527_200.0005).milliseconds == 1_793_527_200_001)
        #expect(AuditTime(secondsSince1970: -0.0015).milliseconds == -2)
        for ms: Int64 in [0, 1, 999, 1_793_527_200_123, 4_102_444_799_999, -1] {
            let time = AuditTime(milliseconds: ms)
            #expect(AuditTime(secondsSince1970: time.secondsSince1970) == time)
        }
    }

    @Test func calendarFieldsAreChecked() {
        #expect(AuditTime(year: 2024, month: 2, day: 29) != nil)
        #expect(AuditTime(year: 2026, month: 2, day: 29) == nil)
        #expect(AuditTime(year: 2000, month: 2, day: 29) != nil)
        #expect(AuditTime(year: 1900, month: 2, day: 29) == nil)
        #expect(AuditTime(year: 2026, month: 4, day: 31) == nil)
        #expect(AuditTime(year: 2026, month: 0, day: 1) == nil)
        #expect(AuditTime(year: 2026, month: 11, day: 1, hour: 10)?.milliseconds == 1_793_527_200_000)
    }

    /// Every day of 1968–2032 against a plain day count.
    @Test func calendarMatchesADayCount() {
        var days = CivilCalendar.days(year: 1968, month: 1, day: 1)
        #expect(days == -731)
        for year in 1968...2032 {
            for month in 1...12 {
                for day in 1...CivilCalendar.daysIn(month: month, year: year) {
                    #expect(CivilCalendar.days(year: year, month: month, day: day) == days)
                    let date = CivilCalendar.date(fromDays: days)
                    #expect(date.year == year && date.month == month && date.day == day)
                    days += 1
                }
            }
        }
    }
}

struct AuditTimeBoundTests {
    let now = AuditTime(milliseconds: 1_793_527_200_123)  // 2026-11-01T10:00:00.123Z

    static let durations: [(String, Int64)] = [
        ("30m", 1800), ("24h", 86_400), ("7d", 604_800), ("2w", 1_209_600), ("45s", 45),
        ("1d12h", 129_600), ("1w2d3h4m5s", 788_645), (" 24h ", 86_400), ("007d", 604_800),
    ]

    @Test(arguments: durations)
    func durationsCountBackFromNow(text: String, seconds: Int64) throws {
        #expect(try AuditTimeBound.parse(text, now: now) == AuditTime(milliseconds: now.milliseconds - seconds * 1000))
    }

    @Test(arguments: [
        ("2026-11-01", "2026-11-01T00:00:00.000Z"),
        ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00.000Z"),
        ("2026-11-01T10:00Z", "2026-11-01T10:00:00.000Z"),
        ("2026-11-01T10:00:00.5Z", "2026-11-01T10:00:00.500Z"),
        ("2026-11-01T10:00:00.123456789Z", "2026-11-01T10:00:00.123Z"),
        ("2026-11-01T10:00:00+02:00", "2026-11-01T08:00:00.000Z"),
        ("2026-11-01T01:30:00-03:30", "2026-11-01T05:00:00.000Z"),
        ("2024-02-29", "2024-02-29T00:00:00.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
    ])
    func datesAreAbsolute(text: String, iso: String) throws {
        #expect(try AuditTimeBound.parse(text, now: now).iso8601 == iso)
    }

    @Test(arguments: [
        "", "   ", "h", "24", "24x", "24H", "-1d", "+1d", "1.5h", "1mo", "24 h", "d7", "now", "yesterday",
        "2026-11-1", "2026/11/01", "26-11-01", "2026-11-01T10", "2026-11-01T10:00:00", "2026-11-01 10:00Z",
        "2026-11-01T10:00:00ZZ", "2026-11-01T10:00:00.Z", "2026-11-01T10:00:00+2:00", "2026-11-01T10:00:00+24:00",
        "2026-11-01T10:00:00.1234567890Z", "2026-11-01junk",
    ])
    func rejectsBadInput(text: String) {
        #expect(throws: SejfError.self) { try AuditTimeBound.parse(text, now: now) }
    }

    @Test func errorsSayWhatIsAccepted() {
        #expect(throws: SejfError(.invalidParameter,
            "Invalid time '3 days': use a duration such as 30m, 24h, 7d or 2w, or a date such as 2026-11-01 or 2026-11-01T10:00:00Z.")) {
            try AuditTimeBound.parse("3 days", now: now)
        }
        #expect(throws: SejfError(.invalidParameter,
            "Invalid time '2026-11-01T10:00:00': add Z for UTC or an offset such as +02:00.")) {
            try AuditTimeBound.parse("2026-11-01T10:00:00", now: now)
        }
        #expect(throws: SejfError(.invalidParameter,
            "Invalid date '2026-02-30': no such day or time (month 01-12, a day the month has, hour 00-23, minute and second 00-59).")) {
            try AuditTimeBound.parse("2026-02-30", now: now)
        }
        #expect(throws: SejfError(.invalidParameter,
            "Invalid duration '12h1d': give each unit once, largest first, as in 1d12h.")) {
            try AuditTimeBound.parse("12h1d", now: now)
        }
        #expect(throws: SejfError(.invalidParameter, "Invalid duration '1h1h': give each unit once, largest first, as in 1d12h.")) {
            try AuditTimeBound.parse("1h1h", now: now)
        }
        #expect(throws: SejfError(.invalidParameter, "Invalid duration '0h': it must be longer than zero.")) {
            try AuditTimeBound.parse("0h", now: now)
        }
        #expect(throws: SejfError(.invalidParameter, "Invalid duration '999999999999w': it is longer than 10,000 years.")) {
            try AuditTimeBound.parse("999999999999w", now: now)
        }
        #expect(throws: SejfError(.invalidParameter, "Invalid duration '600000w': it is longer than 10,000 years.")) {
            try AuditTimeBound.parse("600000w", now: now)
        }
    }

    @Test func longTextIsCutInMessages() throws {
        let error = try #require(throws: SejfError.self) { try AuditTimeBound.parse(String(repeating: "x", count: 500), now: now) }
        #expect(error.message.count < 200)
    }
}
