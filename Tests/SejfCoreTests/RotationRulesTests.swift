import Foundation
import Testing
@testable import SejfCore

/// Seconds since 1970 for an ISO 8601 UTC time such as `2024-02-29T16:00` (Foundation is the oracle).
private func utc(_ text: String) -> Double {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
    let full = text.count == 10 ? text + "T00:00:00" : text.count == 16 ? text + ":00" : text
    return formatter.date(from: full)!.timeIntervalSince1970
}

private func schedule(_ expression: String, duration: String? = nil) throws -> RotationSchedule {
    try RotationRules.validate(automaticallyAfterDays: nil, duration: duration, scheduleExpression: expression)
}

private func next(_ expression: String, after time: String) throws -> Double {
    try schedule(expression).nextRotation(after: utc(time))
}

struct RotationRulesValidationTests {
    typealias R = RotationRules

    @Test func oracleSanity() {
        #expect(utc("1970-01-01") == 0)
        #expect(utc("2024-02-29T16:00") == 1_709_222_400)
    }

    @Test func frequencyAndExpressionAreMutuallyExclusive() {
        #expect(throws: SejfError(.invalidParameter, "You cannot specify both rotation frequency and schedule expression together.")) {
            try R.validate(automaticallyAfterDays: 30, duration: nil, scheduleExpression: "rate(10 days)")
        }
        #expect(throws: SejfError(.invalidParameter, "RotationRules must contain either AutomaticallyAfterDays or ScheduleExpression.")) {
            try R.validate(automaticallyAfterDays: nil, duration: "2h", scheduleExpression: nil)
        }
    }

    @Test(arguments: [1, 30, 1000])
    func automaticallyAfterDaysWithinRange(days: Int) throws {
        let s = try R.validate(automaticallyAfterDays: days, duration: nil, scheduleExpression: nil)
        #expect(s.kind == .automaticallyAfterDays(days))
        #expect(s.durationHours == nil)
    }

    @Test(arguments: [0, -1, 1001, 100_000])
    func automaticallyAfterDaysOutOfRange(days: Int) {
        #expect(throws: SejfError(.invalidParameter, "RotationRules.AutomaticallyAfterDays must be within 1-1000.")) {
            try R.validate(automaticallyAfterDays: days, duration: nil, scheduleExpression: nil)
        }
    }

    @Test(arguments: ["1h", "3h", "24h", "09h"])
    func durationsWithinRange(duration: String) throws {
        let s = try R.validate(automaticallyAfterDays: 7, duration: duration, scheduleExpression: nil)
        #expect(s.durationHours == Int(duration.dropLast()))
    }

    @Test func durationRules() {
        for d in ["0h", "25h", "99h", "00h"] {
            #expect(throws: SejfError(.invalidParameter, "RotationRules.Duration must be between 1h and 24h.")) {
                try R.validate(automaticallyAfterDays: 7, duration: d, scheduleExpression: nil)
            }
        }
        for d in ["3m", "hh", "-1h", "+3h", "3 h", "h3", "3hh"] {
            #expect(throws: SejfError.constraint("rotationRules.duration", "Member must satisfy regular expression pattern: [0-9]+h")) {
                try R.validate(automaticallyAfterDays: 7, duration: d, scheduleExpression: nil)
            }
        }
        for d in ["h", "3", ""] {
            #expect(throws: SejfError.constraint("rotationRules.duration", "Member must have length greater than or equal to 2")) {
                try R.validate(automaticallyAfterDays: 7, duration: d, scheduleExpression: nil)
            }
        }
        #expect(throws: SejfError.constraint("rotationRules.duration", "Member must have length less than or equal to 3")) {
            try R.validate(automaticallyAfterDays: 7, duration: "100h", scheduleExpression: nil)
        }
    }

    @Test func scheduleExpressionModelConstraints() {
        #expect(throws: SejfError.constraint("rotationRules.scheduleExpression", "Member must have length greater than or equal to 1")) {
            try schedule("")
        }
        #expect(throws: SejfError.constraint("rotationRules.scheduleExpression", "Member must have length less than or equal to 256")) {
            try schedule("rate(10 days)" + String(repeating: " ", count: 244))
        }
        for bad in ["rate(10 days);", "cron(0 10 * * ? *)\n", "räte(1 day)", "rate(1 day).", "cron(0 10 * * ? *)\t"] {
            #expect(throws: SejfError.constraint("rotationRules.scheduleExpression",
                                                "Member must satisfy regular expression pattern: [0-9A-Za-z\\(\\)#\\?\\*\\-\\/, ]+")) {
                try schedule(bad)
            }
        }
    }

    @Test func notRateOrCron() {
        #expect(throws: SejfError(.invalidParameter, "Invalid ScheduleExpression 'at(10 days)': it must be a rate() or cron() expression.")) {
            try schedule("at(10 days)")
        }
        for text in ["rate", "rate(", "RATE(1 day)", "cron 0 10 * * ? *", "rate(1 day) "] {
            let error = #expect(throws: SejfError.self) { try schedule(text) }
            #expect(error?.code == .invalidParameter)
        }
    }

    @Test(arguments: ["rate(4 hours)", "rate(23 hours)", "rate(12 hour)", "rate(1 day)", "rate(1 days)", "rate(999 days)", "rate(10 days)"])
    func ratesWithinRange(expression: String) throws {
        _ = try schedule(expression)
    }

    @Test func rateKinds() throws {
        #expect(try schedule("rate(12 hours)").kind == .rate(.hours(12)))
        #expect(try schedule("rate(10 days)").kind == .rate(.days(10)))
    }

    @Test(arguments: [
        ("rate(3 hours)", "a rate in hours must be between 4 and 23 hours."),
        ("rate(24 hours)", "a rate in hours must be between 4 and 23 hours."),
        ("rate(0 days)", "a rate in days must be between 1 and 999 days."),
        ("rate(1000 days)", "a rate in days must be between 1 and 999 days."),
        ("rate(5 minutes)", "the unit must be hour, hours, day or days."),
        ("rate(1 week)", "the unit must be hour, hours, day or days."),
        ("rate(ten days)", "use rate(Value Unit) with a positive integer value, for example rate(10 days)."),
        ("rate(10days)", "use rate(Value Unit) with a positive integer value, for example rate(10 days)."),
        ("rate(-1 days)", "use rate(Value Unit) with a positive integer value, for example rate(10 days)."),
        ("rate(1 day extra)", "use rate(Value Unit) with a positive integer value, for example rate(10 days)."),
    ])
    func invalidRates(expression: String, reason: String) {
        #expect(throws: SejfError(.invalidParameter, "Invalid rate expression '\(expression)': \(reason)")) {
            try schedule(expression)
        }
    }

    /// The examples of AWS's "Schedule expressions in Secrets Manager rotation" page.
    @Test(arguments: [
        "cron(0 10 * * ? *)", "cron(0 18 ? * SAT *)", "cron(0 8 1 * ? *)", "cron(0 17 L * ? *)",
        "cron(0 8 ? * MON-FRI *)", "cron(0 16 1,15 * ? *)", "cron(0 0 ? * SUN#1 *)", "cron(0 4/12 * * ? *)",
        "cron(0 8/8 * * ? *)", "cron(0 2/10 * * ? *)", "cron(0 8 1/7 * ? *)", "cron(0 1 ? 1/3 SUN *)",
        "cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)", "cron(0 0 ? * 6L *)", "cron(0 0 ? * FRIL *)", "cron(0 0 ? * L *)",
        "cron(0 8 ? * mon-fri *)", "cron(0 0 ? jan-mar 2,4 *)", "cron(0 0,6,12,18 * * ? *)", "cron(0 */4 * * ? *)",
        "cron(0 0 29 FEB ? *)", "cron(0 23 ? * 7#5 *)",
    ])
    func validCron(expression: String) throws {
        guard case .cron = try schedule(expression).kind else {
            Issue.record("not a cron schedule")
            return
        }
    }

    @Test(arguments: [
        ("cron(0 10 * * ?)", "it needs six fields: Minutes Hours Day-of-month Month Day-of-week Year."),
        ("cron(0 10 * * ? * *)", "it needs six fields: Minutes Hours Day-of-month Month Day-of-week Year."),
        ("cron(30 10 * * ? *)", "Minutes must be 0, because rotation windows open on the hour."),
        ("cron(* 10 * * ? *)", "Minutes must be 0, because rotation windows open on the hour."),
        ("cron(0 10 * * ? 2025)", "Year must be *."),
        ("cron(0 10 ? * ? *)", "exactly one of Day-of-month and Day-of-week must be ?."),
        ("cron(0 10 * * * *)", "exactly one of Day-of-month and Day-of-week must be ?."),
        // AWS's page lists this example, but it breaks AWS's own rule that one day field is ?.
        ("cron(0 1 * 1/3 SUN *)", "exactly one of Day-of-month and Day-of-week must be ?."),
        ("cron(0 10 15W * ? *)", "the W (nearest weekday) wildcard isn't supported."),
        ("cron(0 10 LW * ? *)", "the W (nearest weekday) wildcard isn't supported."),
        ("cron(0 24 * * ? *)", "Hours value '24' must be 0-23."),
        ("cron(0 MON * * ? *)", "Hours value 'MON' must be 0-23."),
        ("cron(0 10 32 * ? *)", "Day-of-month value '32' must be 1-31."),
        ("cron(0 10 0 * ? *)", "Day-of-month value '0' must be 1-31."),
        ("cron(0 10 L-2 * ? *)", "Day-of-month value 'L' must be 1-31."),
        ("cron(0 10 * 13 ? *)", "Month value '13' must be 1-12 or JAN-DEC."),
        ("cron(0 10 * JANUARY ? *)", "Month value 'JANUARY' must be 1-12 or JAN-DEC."),
        ("cron(0 10 ? * 8 *)", "Day-of-week value '8' must be 1-7 or SUN-SAT."),
        ("cron(0 10 ? * 0 *)", "Day-of-week value '0' must be 1-7 or SUN-SAT."),
        ("cron(0 10 ? * FRI-MON *)", "Day-of-week has a descending range 'FRI-MON'."),
        ("cron(0 10 ? * MON#6 *)", "in Day-of-week, # must be followed by 1 to 5, as in TUE#3."),
        ("cron(0 10 ? * MON#0 *)", "in Day-of-week, # must be followed by 1 to 5, as in TUE#3."),
        ("cron(0 10 ? * XYZ#1 *)", "Day-of-week value 'XYZ' must be 1-7 or SUN-SAT."),
        ("cron(0 10 ? * 9L *)", "Day-of-week value '9' must be 1-7 or SUN-SAT."),
        ("cron(0 10 ? * MON,FRIL *)", "Day-of-week value 'MON,FRI' must be 1-7 or SUN-SAT."),
        ("cron(0 */0 * * ? *)", "Hours has an invalid increment in '*/0'."),
        ("cron(0 1/ * * ? *)", "Hours has an invalid increment in '1/'."),
        ("cron(0 1/2/3 * * ? *)", "Hours has an invalid item '1/2/3'."),
        ("cron(0 1,,2 * * ? *)", "Hours value '' must be 0-23."),
        ("cron(0 1,3 * * ? *)", "rotations must be at least 4 hours apart."),
        ("cron(0 * * * ? *)", "rotations must be at least 4 hours apart."),
        ("cron(0 0 30 FEB ? *)", "it never matches a date."),
        ("cron(0 0 31 APR,JUN,SEP,NOV ? *)", "it never matches a date."),
    ])
    func invalidCron(expression: String, reason: String) {
        #expect(throws: SejfError(.invalidParameter, "Invalid cron expression '\(expression)': \(reason)")) {
            try schedule(expression)
        }
    }

    @Test func windowMustFitTheDayAndTheInterval() throws {
        // rate in hours: the window can't run into the next one.
        _ = try schedule("rate(6 hours)", duration: "6h")
        #expect(throws: SejfError(.invalidParameter,
            "The rotation window (Duration 7h) must not extend into the next rotation window, 6 hours later.")) {
            try schedule("rate(6 hours)", duration: "7h")
        }
        // rate in days and AutomaticallyAfterDays open at midnight: a whole day fits.
        _ = try schedule("rate(10 days)", duration: "24h")
        _ = try RotationRules.validate(automaticallyAfterDays: 10, duration: "24h", scheduleExpression: nil)
        // cron in days: start hour + duration ≤ 24.
        _ = try schedule("cron(0 16 1,15 * ? *)", duration: "8h")
        #expect(throws: SejfError(.invalidParameter,
            "The rotation window (Duration 9h) opening at 16:00 must not extend into the next UTC day.")) {
            try schedule("cron(0 16 1,15 * ? *)", duration: "9h")
        }
        // cron in hours: each window ends before the next opens and within the day.
        _ = try schedule("cron(0 4/12 * * ? *)", duration: "8h")
        #expect(throws: SejfError(.invalidParameter,
            "The rotation window (Duration 9h) opening at 16:00 must not extend into the next UTC day.")) {
            try schedule("cron(0 4/12 * * ? *)", duration: "9h")
        }
        _ = try schedule("cron(0 0,4 * * ? *)", duration: "4h")
        #expect(throws: SejfError(.invalidParameter,
            "The rotation window (Duration 5h) opening at 0:00 must not extend into the next rotation window at 4:00.")) {
            try schedule("cron(0 0,4 * * ? *)", duration: "5h")
        }
    }

    @Test func rotationLambdaARNLength() throws {
        try RotationRules.validate(rotationLambdaARN: "")
        try RotationRules.validate(rotationLambdaARN: String(repeating: "a", count: 2048))
        #expect(throws: SejfError.constraint("rotationLambdaARN", "Member must have length less than or equal to 2048")) {
            try RotationRules.validate(rotationLambdaARN: String(repeating: "a", count: 2049))
        }
    }

    @Test func parsedCronFields() throws {
        guard case .cron(let c) = try schedule("cron(0 4/6 ? jan-mar,DEC 2-6 *)").kind else {
            Issue.record("not cron")
            return
        }
        #expect(c.hours == [4, 10, 16, 22])
        #expect(c.months == [1, 2, 3, 12])
        #expect(c.dayOfWeek == .days([2, 3, 4, 5, 6]))
        #expect(c.dayOfMonth == .days(Set(1...31)))
        guard case .cron(let l) = try schedule("cron(0 0 L 1/3 ? *)").kind else { return }
        #expect(l.dayOfMonth == .last)
        #expect(l.months == [1, 4, 7, 10])
        guard case .cron(let n) = try schedule("cron(0 0 ? * thu#4 *)").kind else { return }
        #expect(n.dayOfWeek == .nth(weekday: 5, n: 4))
        guard case .cron(let s) = try schedule("cron(0 0 ? * L *)").kind else { return }
        #expect(s.dayOfWeek == .days([7]))
    }
}

struct RotationScheduleTests {
    @Test func automaticallyAfterDaysOpensAtMidnightNDaysLater() throws {
        let s = try RotationRules.validate(automaticallyAfterDays: 30, duration: nil, scheduleExpression: nil)
        #expect(s.nextRotation(after: utc("2024-01-15T13:45")) == utc("2024-02-14"))
        #expect(s.nextRotation(after: utc("2024-01-15")) == utc("2024-02-14"))
        #expect(s.nextRotation(after: utc("2024-01-15T23:59:59")) == utc("2024-02-14"))
    }

    @Test func rateInDaysCountsLeapDays() throws {
        #expect(try next("rate(10 days)", after: "2024-02-25T10:00") == utc("2024-03-06"))
        #expect(try next("rate(10 days)", after: "2023-02-25T10:00") == utc("2023-03-07"))
        #expect(try next("rate(1 day)", after: "2024-12-31T23:00") == utc("2025-01-01"))
        #expect(try next("rate(999 days)", after: "2024-01-01") == utc("2026-09-26"))
    }

    @Test func rateInHoursOpensOnTheHour() throws {
        #expect(try next("rate(4 hours)", after: "2024-03-10T22:30") == utc("2024-03-11T02:00"))
        #expect(try next("rate(23 hours)", after: "2024-02-28T05:00") == utc("2024-02-29T04:00"))
    }

    @Test func cronDaily() throws {
        let e = "cron(0 10 * * ? *)"
        #expect(try next(e, after: "2024-01-01T09:00") == utc("2024-01-01T10:00"))
        #expect(try next(e, after: "2024-01-01T10:00") == utc("2024-01-02T10:00"))  // strictly after
        #expect(try next(e, after: "2024-01-01T10:30") == utc("2024-01-02T10:00"))
        #expect(try next(e, after: "2024-12-31T11:00") == utc("2025-01-01T10:00"))
    }

    @Test func cronDayOfWeek() throws {
        // 2024-03-01 is a Friday.
        #expect(try next("cron(0 18 ? * SAT *)", after: "2024-03-01T20:00") == utc("2024-03-02T18:00"))
        #expect(try next("cron(0 18 ? * 7 *)", after: "2024-03-02T18:00") == utc("2024-03-09T18:00"))
        #expect(try next("cron(0 8 ? * MON-FRI *)", after: "2024-03-01T09:00") == utc("2024-03-04T08:00"))
        #expect(try next("cron(0 8 ? * mon-fri *)", after: "2024-03-04T07:00") == utc("2024-03-04T08:00"))
        #expect(try next("cron(0 0 ? * L *)", after: "2024-03-01") == utc("2024-03-02"))  // L alone: Saturday
    }

    @Test func cronDayOfMonthAndMonthEnds() throws {
        #expect(try next("cron(0 8 1 * ? *)", after: "2024-12-15") == utc("2025-01-01T08:00"))
        #expect(try next("cron(0 16 1,15 * ? *)", after: "2024-01-15T16:00") == utc("2024-02-01T16:00"))
        #expect(try next("cron(0 10 31 * ? *)", after: "2024-04-01") == utc("2024-05-31T10:00"))  // April has 30
        #expect(try next("cron(0 8 1/7 * ? *)", after: "2024-01-29T09:00") == utc("2024-02-01T08:00"))  // 1,8,…,29
        #expect(try next("cron(0 8 1/7 * ? *)", after: "2024-01-22T09:00") == utc("2024-01-29T08:00"))
    }

    @Test func cronLastDayOfMonthAcrossLeapYears() throws {
        let e = "cron(0 17 L * ? *)"
        #expect(try next(e, after: "2024-02-10") == utc("2024-02-29T17:00"))
        #expect(try next(e, after: "2023-02-10") == utc("2023-02-28T17:00"))
        #expect(try next(e, after: "2100-02-10") == utc("2100-02-28T17:00"))  // not a leap year
        #expect(try next(e, after: "2000-02-10") == utc("2000-02-29T17:00"))  // a leap year
        #expect(try next(e, after: "2024-02-29T18:00") == utc("2024-03-31T17:00"))
        #expect(try next(e, after: "2024-04-30T17:00") == utc("2024-05-31T17:00"))
        #expect(try next(e, after: "2024-12-31T17:00") == utc("2025-01-31T17:00"))
    }

    @Test func cronLeapDay() throws {
        let e = "cron(0 0 29 FEB ? *)"
        #expect(try next(e, after: "2024-03-01") == utc("2028-02-29"))
        #expect(try next(e, after: "2096-03-01") == utc("2104-02-29"))  // 2100 is not a leap year
    }

    @Test func cronNthAndLastWeekday() throws {
        // 2024-03-03 is March's first Sunday; April's is the 7th.
        #expect(try next("cron(0 0 ? * SUN#1 *)", after: "2024-03-04") == utc("2024-04-07"))
        #expect(try next("cron(0 0 ? * SUN#1 *)", after: "2024-02-20") == utc("2024-03-03"))
        #expect(try next("cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)", after: "2024-01-01") == utc("2024-02-13T10:00"))
        // A fifth Thursday only in some months: 2024-02-29 is one (leap year).
        #expect(try next("cron(0 0 ? * THU#5 *)", after: "2024-02-01") == utc("2024-02-29"))
        #expect(try next("cron(0 0 ? * THU#5 *)", after: "2024-03-01") == utc("2024-05-30"))
        #expect(try next("cron(0 0 ? * 6L *)", after: "2024-03-01") == utc("2024-03-29"))
        #expect(try next("cron(0 0 ? * FRIL *)", after: "2024-03-29T01:00") == utc("2024-04-26"))
    }

    @Test func cronHourlyStepsResetEachDay() throws {
        let e = "cron(0 4/12 * * ? *)"
        #expect(try next(e, after: "2024-03-10T05:00") == utc("2024-03-10T16:00"))
        #expect(try next(e, after: "2024-03-10T16:00") == utc("2024-03-11T04:00"))
        #expect(try next("cron(0 0/5 * * ? *)", after: "2024-03-10T20:30") == utc("2024-03-11T00:00"))
    }

    @Test func cronMonthsByNameAndStep() throws {
        #expect(try next("cron(0 12 1 JAN,APR,JUL,OCT ? *)", after: "2024-02-01") == utc("2024-04-01T12:00"))
        #expect(try next("cron(0 12 1 1/3 ? *)", after: "2024-10-01T13:00") == utc("2025-01-01T12:00"))
        #expect(try next("cron(0 1 ? 1/3 SUN *)", after: "2024-02-01") == utc("2024-04-07T01:00"))
    }

    @Test func fractionalAndPreEpochTimes() throws {
        #expect(try next("cron(0 10 * * ? *)", after: "2024-01-01T09:59:59") == utc("2024-01-01T10:00"))
        #expect(try schedule("cron(0 10 * * ? *)").nextRotation(after: utc("2024-01-01T10:00") - 0.5) == utc("2024-01-01T10:00"))
        #expect(try next("cron(0 10 * * ? *)", after: "1969-12-31T12:00") == utc("1970-01-01T10:00"))
        #expect(try next("rate(1 day)", after: "1969-12-31T12:00") == 0)
    }

    @Test func defaultWindows() throws {
        // Days: until the end of the UTC day.
        let days = try schedule("rate(10 days)").window(after: utc("2024-02-25T10:00"))
        #expect(days == RotationWindow(start: utc("2024-03-06"), end: utc("2024-03-07")))
        let cronDay = try schedule("cron(0 16 1,15 * ? *)").window(after: utc("2024-01-02"))
        #expect(cronDay == RotationWindow(start: utc("2024-01-15T16:00"), end: utc("2024-01-16")))
        // Hours: one hour.
        let hours = try schedule("rate(6 hours)").window(after: utc("2024-01-01T01:10"))
        #expect(hours == RotationWindow(start: utc("2024-01-01T07:00"), end: utc("2024-01-01T08:00")))
        let cronHours = try schedule("cron(0 4/12 * * ? *)").window(after: utc("2024-01-01T05:00"))
        #expect(cronHours == RotationWindow(start: utc("2024-01-01T16:00"), end: utc("2024-01-01T17:00")))
    }

    @Test func durationSetsTheWindow() throws {
        let s = try schedule("cron(0 16 1,15 * ? *)", duration: "2h")  // AWS's RotateSecret example
        let w = s.window(after: utc("2024-01-02"))
        #expect(w == RotationWindow(start: utc("2024-01-15T16:00"), end: utc("2024-01-15T18:00")))
        #expect(w.contains(utc("2024-01-15T16:00")))
        #expect(w.contains(utc("2024-01-15T17:59:59")))
        #expect(!w.contains(utc("2024-01-15T18:00")))
        #expect(!w.contains(utc("2024-01-15T15:59:59")))
        let a = try RotationRules.validate(automaticallyAfterDays: 1, duration: "3h", scheduleExpression: nil)
        #expect(a.window(after: utc("2024-01-01T12:00")) == RotationWindow(start: utc("2024-01-02"), end: utc("2024-01-02T03:00")))
    }

    @Test func hourlyOrDaily() throws {
        #expect(try schedule("rate(4 hours)").isHourly)
        #expect(try !schedule("rate(1 day)").isHourly)
        #expect(try schedule("cron(0 8/8 * * ? *)").isHourly)
        #expect(try !schedule("cron(0 8 * * ? *)").isHourly)
        #expect(try !RotationRules.validate(automaticallyAfterDays: 1, duration: nil, scheduleExpression: nil).isHourly)
    }

    @Test func cronAgreesWithBruteForceOverTwoYears() throws {
        // Walk every hour of 2024–2025 with Foundation's calendar and an independent predicate
        // per expression; next(after:) must step through exactly the matching hours.
        typealias Fields = (month: Int, day: Int, hour: Int, weekday: Int, length: Int)
        let cases: [(String, (Fields) -> Bool)] = [
            ("cron(0 17 L * ? *)", { $0.hour == 17 && $0.day == $0.length }),
            ("cron(0 0 ? * SUN#1 *)", { $0.hour == 0 && $0.weekday == 1 && $0.day <= 7 }),
            ("cron(0 8 ? * MON-FRI *)", { $0.hour == 8 && (2...6).contains($0.weekday) }),
            ("cron(0 4/12 1,15 * ? *)", { [4, 16].contains($0.hour) && [1, 15].contains($0.day) }),
            ("cron(0 6 ? 2,3 FRIL *)", { $0.hour == 6 && [2, 3].contains($0.month) && $0.weekday == 6 && $0.day + 7 > $0.length }),
            ("cron(0 0 29 FEB ? *)", { $0.hour == 0 && $0.month == 2 && $0.day == 29 }),
            ("cron(0 9 ? 1/5 TUE#3 *)", { $0.hour == 9 && [1, 6, 11].contains($0.month) && $0.weekday == 3 && (15...21).contains($0.day) }),
        ]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = utc("2024-01-01"), end = utc("2026-01-01")
        var matches = Array(repeating: [Double](), count: cases.count)
        var t = start
        while t < end {
            let date = Date(timeIntervalSince1970: t)
            let c = calendar.dateComponents([.month, .day, .hour, .weekday], from: date)
            let fields: Fields = (c.month!, c.day!, c.hour!, c.weekday!, calendar.range(of: .day, in: .month, for: date)!.count)
            for (i, (_, predicate)) in cases.enumerated() where predicate(fields) { matches[i].append(t) }
            t += 3600
        }
        for (i, (expression, _)) in cases.enumerated() {
            let s = try schedule(expression)
            #expect(!matches[i].isEmpty)
            var previous = start - 1
            for m in matches[i] {
                #expect(s.nextRotation(after: previous) == m, "\(expression) after \(previous)")
                previous = m
            }
            #expect(s.nextRotation(after: previous) >= end, "\(expression) after the last match")
        }
    }
}
