/// AWS's `RotateSecret` rules: `RotationLambdaARN` and `RotationRules` (`AutomaticallyAfterDays`,
/// `Duration`, `ScheduleExpression`), validated into a ``RotationSchedule``.
///
/// Rotation schedules are in UTC. `AutomaticallyAfterDays` (1–1,000) and `ScheduleExpression`
/// are mutually exclusive. A schedule expression is `rate(N hours)` (4–23), `rate(N days)`
/// (1–999), or `cron(Minutes Hours Day-of-month Month Day-of-week Year)` with minutes `0` and
/// year `*`. `Duration` is the rotation window, 1–24 hours, and must end before the next UTC day
/// and before the next window opens.
public enum RotationRules {
    public static let automaticallyAfterDaysRange = 1...1000
    public static let rateHoursRange = 4...23
    public static let rateDaysRange = 1...999
    public static let durationHoursRange = 1...24
    public static let minimumHoursBetweenRotations = 4
    public static let maxLambdaARNLength = 2048
    public static let maxScheduleExpressionLength = 256

    /// Validates `RotationRules` into a schedule.
    /// - Throws: `InvalidParameterException` for a rule AWS rejects (both or neither of
    ///   `AutomaticallyAfterDays` and `ScheduleExpression`, values out of range, an expression
    ///   that does not parse, a window that overlaps the next day or window);
    ///   `ValidationException` when `Duration` or `ScheduleExpression` breaks the service model's
    ///   length or pattern.
    public static func validate(
        automaticallyAfterDays: Int?, duration: String?, scheduleExpression: String?
    ) throws -> RotationSchedule {
        let kind: RotationSchedule.Kind
        switch (automaticallyAfterDays, scheduleExpression) {
        case (.some, .some):
            throw SejfError(.invalidParameter, "You cannot specify both rotation frequency and schedule expression together.")
        case (nil, nil):
            throw SejfError(.invalidParameter,
                "RotationRules must contain either AutomaticallyAfterDays or ScheduleExpression.")
        case (.some(let days), nil):
            guard automaticallyAfterDaysRange.contains(days) else {
                throw SejfError(.invalidParameter, "RotationRules.AutomaticallyAfterDays must be within 1-1000.")
            }
            kind = .automaticallyAfterDays(days)
        case (nil, .some(let expression)):
            kind = try parse(scheduleExpression: expression)
        }
        let hours = try duration.map(parseDuration)
        let schedule = RotationSchedule(kind: kind, durationHours: hours)
        if let hours { try checkWindow(hours: hours, for: kind) }
        return schedule
    }

    /// Validates `RotationLambdaARN`: at most 2,048 characters, as in the service model.
    public static func validate(rotationLambdaARN arn: String) throws {
        try SejfError.checkLength("rotationLambdaARN", arn.count, max: maxLambdaARNLength)
    }

    /// Parses a `ScheduleExpression`: `rate(…)` or `cron(…)`.
    public static func parse(scheduleExpression expression: String) throws -> RotationSchedule.Kind {
        let member = "rotationRules.scheduleExpression"
        try SejfError.checkLength(member, expression.count, min: 1, max: maxScheduleExpressionLength)
        guard expression.allSatisfy(isScheduleCharacter) else {
            throw SejfError.constraint(member, "Member must satisfy regular expression pattern: [0-9A-Za-z\\(\\)#\\?\\*\\-\\/, ]+")
        }
        if let body = expression.inside(prefix: "rate(") {
            return .rate(try RotationInterval(parsing: body, expression: expression))
        }
        if let body = expression.inside(prefix: "cron(") {
            return .cron(try CronSchedule(parsing: body))
        }
        throw SejfError(.invalidParameter,
            "Invalid ScheduleExpression '\(expression)': it must be a rate() or cron() expression.")
    }

    /// Parses `Duration` (`"3h"`) into hours.
    static func parseDuration(_ duration: String) throws -> Int {
        let member = "rotationRules.duration"
        try SejfError.checkLength(member, duration.count, min: 2, max: 3)
        guard duration.hasSuffix("h"), let hours = Int(duration.dropLast()),
              duration.dropLast().allSatisfy(\.isASCIIDigit) else {
            throw SejfError.constraint(member, "Member must satisfy regular expression pattern: [0-9]+h")
        }
        guard durationHoursRange.contains(hours) else {
            throw SejfError(.invalidParameter, "RotationRules.Duration must be between 1h and 24h.")
        }
        return hours
    }

    /// The window must stay within its UTC day and end before the next window opens.
    static func checkWindow(hours: Int, for kind: RotationSchedule.Kind) throws {
        switch kind {
        case .automaticallyAfterDays, .rate(.days):
            return  // opens at midnight; 24 hours at most fits the day
        case .rate(.hours(let interval)):
            if hours > interval {
                throw SejfError(.invalidParameter,
                    "The rotation window (Duration \(hours)h) must not extend into the next rotation window, \(interval) hours later.")
            }
        case .cron(let cron):
            for (i, start) in cron.hours.enumerated() {
                if start + hours > 24 {
                    throw SejfError(.invalidParameter,
                        "The rotation window (Duration \(hours)h) opening at \(start):00 must not extend into the next UTC day.")
                }
                if i + 1 < cron.hours.count, cron.hours[i + 1] - start < hours {
                    throw SejfError(.invalidParameter,
                        "The rotation window (Duration \(hours)h) opening at \(start):00 must not extend into the next rotation window at \(cron.hours[i + 1]):00.")
                }
            }
        }
    }

    static func isScheduleCharacter(_ c: Character) -> Bool {
        c.isASCIIDigit || c.isASCIILetter || "()#?*-/, ".contains(c)
    }
}

/// A validated rotation schedule and its window.
public struct RotationSchedule: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `AutomaticallyAfterDays`: like `rate(N days)`.
        case automaticallyAfterDays(Int)
        case rate(RotationInterval)
        case cron(CronSchedule)
    }

    public let kind: Kind
    /// `Duration` in hours; `nil` for AWS's default window.
    public let durationHours: Int?

    public init(kind: Kind, durationHours: Int? = nil) {
        self.kind = kind
        self.durationHours = durationHours
    }

    /// Whether the schedule is "in hours" (`rate(N hours)`, or a cron with several start hours
    /// a day): the default window then closes after one hour, otherwise at the end of the UTC day.
    public var isHourly: Bool {
        switch kind {
        case .automaticallyAfterDays, .rate(.days): false
        case .rate(.hours): true
        case .cron(let cron): cron.hours.count > 1
        }
    }

    /// When the next rotation window opens after a rotation at `lastRotated` (seconds since 1970, UTC).
    ///
    /// - `AutomaticallyAfterDays` / `rate(N days)`: midnight UTC, N days after the day of the last rotation.
    /// - `rate(N hours)`: on the hour, N hours after the hour of the last rotation.
    /// - `cron(…)`: the first matching hour strictly after `lastRotated`.
    public func nextRotation(after lastRotated: Double) -> Double {
        switch kind {
        case .automaticallyAfterDays(let days), .rate(.days(let days)):
            return (UTC.floorDiv(lastRotated, 86_400) + Double(days)) * 86_400
        case .rate(.hours(let hours)):
            return (UTC.floorDiv(lastRotated, 3600) + Double(hours)) * 3600
        case .cron(let cron):
            return cron.next(after: lastRotated) ?? .infinity
        }
    }

    /// The next rotation window after a rotation at `lastRotated`: `[start, start + duration)`.
    public func window(after lastRotated: Double) -> RotationWindow {
        let start = nextRotation(after: lastRotated)
        return RotationWindow(start: start, end: start + windowLength(startingAt: start))
    }

    /// The length in seconds of a window opening at `start`: `Duration`, or AWS's default.
    public func windowLength(startingAt start: Double) -> Double {
        if let durationHours { return Double(durationHours) * 3600 }
        if isHourly { return 3600 }
        return (UTC.floorDiv(start, 86_400) + 1) * 86_400 - start  // to the end of the UTC day
    }
}

/// A rotation window, `[start, end)` in seconds since 1970 (UTC).
public struct RotationWindow: Equatable, Sendable {
    public let start: Double
    public let end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    public func contains(_ time: Double) -> Bool { start <= time && time < end }
}

/// The interval of a `rate()` expression.
public enum RotationInterval: Equatable, Sendable {
    case hours(Int)
    case days(Int)

    /// Parses `N hour(s)` / `N day(s)`, the inside of `rate(…)`.
    init(parsing body: Substring, expression: String) throws {
        let parts = body.split(separator: " ")
        func invalid(_ reason: String) -> SejfError {
            SejfError(.invalidParameter, "Invalid rate expression '\(expression)': \(reason)")
        }
        guard parts.count == 2, parts[0].allSatisfy(\.isASCIIDigit), let value = Int(parts[0]) else {
            throw invalid("use rate(Value Unit) with a positive integer value, for example rate(10 days).")
        }
        switch parts[1] {
        case "hour", "hours":
            guard RotationRules.rateHoursRange.contains(value) else {
                throw invalid("a rate in hours must be between 4 and 23 hours.")
            }
            self = .hours(value)
        case "day", "days":
            guard RotationRules.rateDaysRange.contains(value) else {
                throw invalid("a rate in days must be between 1 and 999 days.")
            }
            self = .days(value)
        default:
            throw invalid("the unit must be hour, hours, day or days.")
        }
    }
}

/// A Secrets Manager `cron()` expression: `cron(0 Hours Day-of-month Month Day-of-week *)`.
///
/// Supported, as in AWS: numbers, names (`JAN`–`DEC`, `SUN`–`SAT`, any case), `*`, `,`, `-`, `/`,
/// `?` (exactly one of day-of-month and day-of-week), `L` in day-of-month (last day of the month),
/// `L` in day-of-week (alone: Saturday; `5L`/`THUL`: the last Thursday of the month), and `#` in
/// day-of-week (`TUE#3`: the third Tuesday). Day-of-week runs 1 (`SUN`) to 7 (`SAT`).
/// Not supported: `W` (nearest weekday), which Secrets Manager does not list; it is rejected with
/// `InvalidParameterException`. Ranges must go upward (`MON-FRI`, not `FRI-MON`).
public struct CronSchedule: Equatable, Sendable {
    public enum DayOfMonth: Equatable, Sendable {
        case days(Set<Int>)
        /// `L`: the last day of the month.
        case last
    }

    public enum DayOfWeek: Equatable, Sendable {
        case days(Set<Int>)
        /// `5L`: the last such weekday of the month.
        case last(weekday: Int)
        /// `3#2`: the n-th such weekday of the month.
        case nth(weekday: Int, n: Int)
    }

    /// Start hours of the day, ascending.
    public let hours: [Int]
    public let dayOfMonth: DayOfMonth
    public let months: Set<Int>
    public let dayOfWeek: DayOfWeek

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses the six fields inside `cron(…)`.
    /// - Throws: `InvalidParameterException` naming the field at fault.
    public init(parsing body: Substring) throws {
        let text = "cron(\(body))"
        func invalid(_ reason: String) -> SejfError {
            SejfError(.invalidParameter, "Invalid cron expression '\(text)': \(reason)")
        }
        let fields = body.split(separator: " ")
        guard fields.count == 6 else {
            throw invalid("it needs six fields: Minutes Hours Day-of-month Month Day-of-week Year.")
        }
        guard fields[0] == "0" else {
            throw invalid("Minutes must be 0, because rotation windows open on the hour.")
        }
        guard fields[5] == "*" else {
            throw invalid("Year must be *.")
        }
        let (dom, dow) = (fields[2], fields[4])
        guard (dom == "?") != (dow == "?") else {
            throw invalid("exactly one of Day-of-month and Day-of-week must be ?.")
        }
        if dom.uppercased().contains("W") {
            throw invalid("the W (nearest weekday) wildcard isn't supported.")
        }

        let hours = try Self.field(fields[1], name: "Hours", range: 0...23, names: [], invalid)
        let months = try Self.field(fields[3], name: "Month", range: 1...12, names: Self.monthNames, invalid)

        let dayOfMonth: DayOfMonth
        if dom == "?" {
            dayOfMonth = .days(Set(1...31))
        } else if dom.uppercased() == "L" {
            dayOfMonth = .last
        } else {
            dayOfMonth = .days(try Self.field(dom, name: "Day-of-month", range: 1...31, names: [], invalid))
        }

        let dayOfWeek: DayOfWeek
        let upperDOW = dow.uppercased()
        if dow == "?" {
            dayOfWeek = .days(Set(1...7))
        } else if upperDOW == "L" {
            dayOfWeek = .days([7])
        } else if upperDOW.hasSuffix("L") {
            dayOfWeek = .last(weekday: try Self.weekday(upperDOW.dropLast(), invalid))
        } else if let hash = upperDOW.firstIndex(of: "#") {
            let weekday = try Self.weekday(upperDOW[..<hash], invalid)
            guard let n = Int(upperDOW[upperDOW.index(after: hash)...]), (1...5).contains(n) else {
                throw invalid("in Day-of-week, # must be followed by 1 to 5, as in TUE#3.")
            }
            dayOfWeek = .nth(weekday: weekday, n: n)
        } else {
            dayOfWeek = .days(try Self.field(dow, name: "Day-of-week", range: 1...7, names: Self.dayNames, invalid))
        }

        self.hours = hours.sorted()
        self.dayOfMonth = dayOfMonth
        self.months = months
        self.dayOfWeek = dayOfWeek

        let gaps = zip(self.hours.dropFirst(), self.hours).map { $0 - $1 }
        if let gap = gaps.min(), gap < RotationRules.minimumHoursBetweenRotations {
            throw invalid("rotations must be at least \(RotationRules.minimumHoursBetweenRotations) hours apart.")
        }
        guard next(after: 0) != nil else {
            throw invalid("it never matches a date.")
        }
    }

    /// The first matching time strictly after `time` (seconds since 1970, UTC), or `nil` if none
    /// within 400 years — the Gregorian cycle, so `nil` means never.
    public func next(after time: Double) -> Double? {
        guard time.isFinite, abs(time) < 1e15 else { return nil }
        let startDay = Int(UTC.floorDiv(time, 86_400))
        var (year, month, day) = CivilCalendar.date(fromDays: startDay)
        for _ in 0...(400 * 12) {
            if months.contains(month) {
                let length = CivilCalendar.daysIn(month: month, year: year)
                let first = CivilCalendar.days(year: year, month: month, day: 1)
                for d in day...length where matches(day: d, length: length, weekday: CivilCalendar.weekday(days: first + d - 1)) {
                    let midnight = Double(first + d - 1) * 86_400
                    if let hour = hours.first(where: { midnight + Double($0) * 3600 > time }) {
                        return midnight + Double(hour) * 3600
                    }
                }
            }
            (month, day) = month == 12 ? (1, 1) : (month + 1, 1)
            if month == 1 { year += 1 }
        }
        return nil
    }

    /// Whether day `day` of a month of `length` days, falling on `weekday` (1 = Sunday), matches.
    func matches(day: Int, length: Int, weekday: Int) -> Bool {
        let domMatches = switch dayOfMonth {
        case .days(let days): days.contains(day)
        case .last: day == length
        }
        let dowMatches = switch dayOfWeek {
        case .days(let days): days.contains(weekday)
        case .last(let w): weekday == w && day + 7 > length
        case .nth(let w, let n): weekday == w && (day - 1) / 7 + 1 == n
        }
        return domMatches && dowMatches
    }

    /// One field: a comma-separated list of `*`, `v`, `a-b`, each optionally `/step`.
    static func field(
        _ text: Substring, name: String, range: ClosedRange<Int>, names: [String], _ invalid: (String) -> SejfError
    ) throws -> Set<Int> {
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(stepParts.count) else { throw invalid("\(name) has an invalid item '\(item)'.") }
            var step = 1
            if stepParts.count == 2 {
                guard let s = Int(stepParts[1]), s >= 1, stepParts[1].allSatisfy(\.isASCIIDigit) else {
                    throw invalid("\(name) has an invalid increment in '\(item)'.")
                }
                step = s
            }
            let base = stepParts[0]
            var low: Int, high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash], name: name, range: range, names: names, invalid)
                high = try value(base[base.index(after: dash)...], name: name, range: range, names: names, invalid)
                guard low <= high else { throw invalid("\(name) has a descending range '\(base)'.") }
            } else {
                low = try value(base, name: name, range: range, names: names, invalid)
                high = stepParts.count == 2 ? range.upperBound : low
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    static func value(
        _ text: Substring, name: String, range: ClosedRange<Int>, names: [String], _ invalid: (String) -> SejfError
    ) throws -> Int {
        if let i = names.firstIndex(of: text.uppercased()) { return range.lowerBound + i }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), let n = Int(text), range.contains(n) else {
            throw invalid("\(name) value '\(text)' must be \(range.lowerBound)-\(range.upperBound)\(names.isEmpty ? "" : " or \(names.first!)-\(names.last!)").")
        }
        return n
    }

    static func weekday(_ text: Substring, _ invalid: (String) -> SejfError) throws -> Int {
        try value(text, name: "Day-of-week", range: 1...7, names: dayNames, invalid)
    }
}

/// Rounding of times to whole units (days, hours) in UTC.
private enum UTC {
    static func floorDiv(_ t: Double, _ unit: Double) -> Double { (t / unit).rounded(.down) }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}

private extension String {
    /// The text between `prefix` and a final `)`, if the string has that shape.
    func inside(prefix: String) -> Substring? {
        guard hasPrefix(prefix), hasSuffix(")"), count > prefix.count else { return nil }
        return self.dropFirst(prefix.count).dropLast()
    }
}
