/// An instant of the audit trail: whole milliseconds since 1970-01-01T00:00:00Z (UTC).
///
/// Audit times are held at millisecond precision so that every representation of an event —
/// the canonical encoding that is hashed (an `Int64`), the database column (an `INTEGER`) and the
/// export line (ISO 8601 with three fractional digits) — carries exactly the same value, and an
/// exported event can be checked against its hash without any floating-point guesswork.
///
/// ```swift
/// let time = AuditTime(secondsSince1970: 1_793_527_200.123_4)   // rounded to the millisecond
/// time.milliseconds        // 1_793_527_200_123
/// time.iso8601             // "2026-11-01T10:00:00.123Z"
/// ```
///
/// It encodes (`Codable`) as that ISO 8601 string.
public struct AuditTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z, UTC, leap seconds ignored (Unix time).
    public var milliseconds: Int64

    /// The instant `milliseconds` after 1970-01-01T00:00:00Z.
    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The instant `seconds` after 1970, rounded to the nearest millisecond (halves away from zero).
    ///
    /// - Precondition: `seconds` is finite and within ±2^53 milliseconds of 1970 (about ±285,000
    ///   years). A clock never gives anything else.
    public init(secondsSince1970 seconds: Double) {
        let milliseconds = (seconds * 1000).rounded(.toNearestOrAwayFromZero)
        precondition(milliseconds.isFinite && abs(milliseconds) <= 9_007_199_254_740_992,
                     "audit time out of range: \(seconds)")
        self.milliseconds = Int64(milliseconds)
    }

    /// Seconds since 1970, as the rest of Sejf counts time. Exact enough to convert back:
    /// `AuditTime(secondsSince1970: t.secondsSince1970) == t`.
    public var secondsSince1970: Double { Double(milliseconds) / 1000 }

    /// The instant as ISO 8601 in UTC with milliseconds: `2026-11-01T10:00:00.123Z`.
    ///
    /// Years outside 0000–9999 (never written by a clock, but representable) use ISO 8601's
    /// expanded form with a sign: `+10000-01-01T00:00:00.000Z`, `-0001-12-31T23:59:59.999Z`.
    public var iso8601: String {
        let (days, millisecondOfDay) = Self.floorDivide(milliseconds, Self.millisecondsPerDay)
        let (y, m, d) = CivilCalendar.date(fromDays: Int(days))
        let (year, month, day) = (Int64(y), Int64(m), Int64(d))
        let second = millisecondOfDay / 1000
        var text: String
        switch year {
        case 0...9999: text = Self.pad(year, 4)
        case ..<0: text = "-" + Self.pad(-year, 4)
        default: text = "+" + String(year)
        }
        text += "-\(Self.pad(month, 2))-\(Self.pad(day, 2))"
        text += "T\(Self.pad(second / 3600, 2)):\(Self.pad(second / 60 % 60, 2)):\(Self.pad(second % 60, 2))"
        text += ".\(Self.pad(millisecondOfDay % 1000, 3))Z"
        return text
    }

    /// Parses exactly the form ``iso8601`` writes (`YYYY-MM-DDTHH:MM:SS.sssZ`, or an expanded
    /// year with a sign), and nothing else: the export format is one spelling per instant.
    /// Returns `nil` for anything else, including impossible dates.
    public init?(iso8601 text: String) {
        var scanner = AuditTextScanner(text)
        let year: Int64
        if let sign = scanner.take(oneOf: "+-") {
            guard let digits = scanner.digits(min: 4, max: 12) else { return nil }
            year = sign == UInt8(ascii: "-") ? -digits : digits
        } else {
            guard let digits = scanner.digits(min: 4, max: 4) else { return nil }
            year = digits
        }
        guard scanner.take(UInt8(ascii: "-")), let month = scanner.digits(min: 2, max: 2),
              scanner.take(UInt8(ascii: "-")), let day = scanner.digits(min: 2, max: 2),
              scanner.take(UInt8(ascii: "T")), let hour = scanner.digits(min: 2, max: 2),
              scanner.take(UInt8(ascii: ":")), let minute = scanner.digits(min: 2, max: 2),
              scanner.take(UInt8(ascii: ":")), let second = scanner.digits(min: 2, max: 2),
              scanner.take(UInt8(ascii: ".")), let millisecond = scanner.digits(min: 3, max: 3),
              scanner.take(UInt8(ascii: "Z")), scanner.isAtEnd,
              let time = Self(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                              millisecond: millisecond)
        else { return nil }
        self = time
    }

    /// The instant of a UTC calendar date and time, or `nil` when a field is out of range
    /// (month 1–12, a day the month has, hour 0–23, minute and second 0–59, millisecond 0–999).
    public init?(year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0,
                 millisecond: Int64 = 0) {
        guard abs(year) <= 300_000_000, (1...12).contains(month), (1...Int64(CivilCalendar.daysIn(month: Int(month), year: Int(year)))).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...999).contains(millisecond)
        else { return nil }
        let days = Int64(CivilCalendar.days(year: Int(year), month: Int(month), day: Int(day)))
        let (start, overflow) = days.multipliedReportingOverflow(by: Self.millisecondsPerDay)
        let (milliseconds, overflow2) = start.addingReportingOverflow(
            ((hour * 60 + minute) * 60 + second) * 1000 + millisecond)
        guard !overflow, !overflow2 else { return nil }
        self.milliseconds = milliseconds
    }

    public var description: String { iso8601 }

    public static func < (a: Self, b: Self) -> Bool { a.milliseconds < b.milliseconds }

    /// Decodes ``iso8601``.
    /// - Throws: `DecodingError.dataCorrupted` for any other spelling.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = Self(iso8601: text) else {
            throw DecodingError.dataCorruptedError(in: container,
                debugDescription: "Invalid time '\(text.prefix(64))': expected ISO 8601 UTC with milliseconds, such as 2026-11-01T10:00:00.000Z.")
        }
        self = time
    }

    /// Encodes ``iso8601``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }

    static let millisecondsPerDay: Int64 = 86_400_000

    static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// Parses the time bounds people give audit queries (`--since 24h`, `--before 2026-11-01`).
///
/// Accepted forms:
/// - a **duration** back from `now`: a whole number and a unit — `s` seconds, `m` minutes,
///   `h` hours, `d` days (24 hours), `w` weeks — or several, largest unit first: `30m`, `24h`,
///   `7d`, `2w`, `1d12h`. (`m` is minutes; months have no fixed length and are not accepted.)
/// - a **date**, meaning its start in UTC: `2026-11-01`;
/// - a **date and time** with `Z` or an offset: `2026-11-01T10:00Z`, `2026-11-01T10:00:00Z`,
///   `2026-11-01T10:00:00.250+02:00`. A time without a zone is refused rather than guessed.
///
/// ```swift
/// let since = try AuditTimeBound.parse("24h", now: now)   // now minus 86,400 seconds
/// ```
public enum AuditTimeBound {
    /// The longest duration accepted: about 10,000 years.
    static let maxDurationMilliseconds: Int64 = 10_000 * 366 * AuditTime.millisecondsPerDay

    static let units: [(unit: UInt8, milliseconds: Int64)] = [
        (UInt8(ascii: "w"), 7 * 86_400_000), (UInt8(ascii: "d"), 86_400_000), (UInt8(ascii: "h"), 3_600_000),
        (UInt8(ascii: "m"), 60_000), (UInt8(ascii: "s"), 1000),
    ]

    /// The instant `text` names, relative to `now` for a duration.
    /// - Throws: ``SejfError`` (`InvalidParameterException`) naming the input and the forms accepted,
    ///   or the calendar field that is out of range.
    public static func parse(_ text: String, now: AuditTime) throws -> AuditTime {
        let trimmed = text.trimmingASCIIWhitespace
        guard let first = trimmed.utf8.first else { throw invalid(text) }
        if trimmed.utf8.count >= 10, Array(trimmed.utf8)[4] == UInt8(ascii: "-") {
            return try parseDate(trimmed)
        }
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw invalid(text) }
        let duration = try parseDuration(trimmed)
        let (bound, overflow) = now.milliseconds.subtractingReportingOverflow(duration)
        guard !overflow else { throw invalid(text) }
        return AuditTime(milliseconds: bound)
    }

    /// A duration such as `7d` or `1d12h`, in milliseconds.
    public static func parseDuration(_ text: String) throws -> Int64 {
        var scanner = AuditTextScanner(text)
        var total: Int64 = 0
        var nextUnit = 0  // units must come largest first, each at most once
        while !scanner.isAtEnd {
            guard let number = scanner.digits(min: 1, max: 12), let unit = scanner.take(),
                  let index = units.firstIndex(where: { $0.unit == unit }) else { throw invalid(text) }
            guard index >= nextUnit else {
                throw SejfError(.invalidParameter,
                    "Invalid duration '\(text.prefix(64))': give each unit once, largest first, as in 1d12h.")
            }
            nextUnit = index + 1
            let (part, overflow) = number.multipliedReportingOverflow(by: units[index].milliseconds)
            total += overflow ? maxDurationMilliseconds + 1 : min(part, maxDurationMilliseconds + 1)
            guard total <= maxDurationMilliseconds else {
                throw SejfError(.invalidParameter, "Invalid duration '\(text.prefix(64))': it is longer than 10,000 years.")
            }
        }
        guard total > 0 else {
            throw SejfError(.invalidParameter, "Invalid duration '\(text.prefix(64))': it must be longer than zero.")
        }
        return total
    }

    static func parseDate(_ text: String) throws -> AuditTime {
        var scanner = AuditTextScanner(text)
        guard let year = scanner.digits(min: 4, max: 4), scanner.take(UInt8(ascii: "-")),
              let month = scanner.digits(min: 2, max: 2), scanner.take(UInt8(ascii: "-")),
              let day = scanner.digits(min: 2, max: 2)
        else { throw invalid(text) }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, millisecond: Int64 = 0
        var offsetMinutes: Int64 = 0
        if !scanner.isAtEnd {
            guard scanner.take(UInt8(ascii: "T")), let h = scanner.digits(min: 2, max: 2),
                  scanner.take(UInt8(ascii: ":")), let m = scanner.digits(min: 2, max: 2)
            else { throw invalid(text) }
            hour = h
            minute = m
            if scanner.take(UInt8(ascii: ":")) {
                guard let s = scanner.digits(min: 2, max: 2) else { throw invalid(text) }
                second = s
                if scanner.take(UInt8(ascii: ".")) {
                    // Up to nine fractional digits; the milliseconds are kept, the rest truncated.
                    guard let fraction = scanner.digitString(min: 1, max: 9) else { throw invalid(text) }
                    millisecond = Int64(String((fraction + "00").prefix(3)))!
                }
            }
            if scanner.take(UInt8(ascii: "Z")) {
                offsetMinutes = 0
            } else if let sign = scanner.take(oneOf: "+-") {
                guard let oh = scanner.digits(min: 2, max: 2), scanner.take(UInt8(ascii: ":")),
                      let om = scanner.digits(min: 2, max: 2), oh <= 23, om <= 59
                else { throw invalid(text) }
                offsetMinutes = (oh * 60 + om) * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else if scanner.isAtEnd {
                throw SejfError(.invalidParameter,
                    "Invalid time '\(text.prefix(64))': add Z for UTC or an offset such as +02:00.")
            } else {
                throw invalid(text)
            }
            guard scanner.isAtEnd else { throw invalid(text) }
        }
        guard let local = AuditTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                    millisecond: millisecond)
        else {
            throw SejfError(.invalidParameter,
                "Invalid date '\(text.prefix(64))': no such day or time (month 01-12, a day the month has, hour 00-23, minute and second 00-59).")
        }
        return AuditTime(milliseconds: local.milliseconds - offsetMinutes * 60_000)
    }

    static func invalid(_ text: String) -> SejfError {
        SejfError(.invalidParameter,
            "Invalid time '\(text.prefix(64))': use a duration such as 30m, 24h, 7d or 2w, or a date such as 2026-11-01 or 2026-11-01T10:00:00Z.")
    }
}

/// A cursor over a string's UTF-8 bytes, for the small fixed grammars of audit times.
struct AuditTextScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var isAtEnd: Bool { index == bytes.count }

    /// Consumes any one byte.
    mutating func take() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    /// Consumes `byte` if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Consumes the next byte if it is one of `choices` (ASCII).
    mutating func take(oneOf choices: String) -> UInt8? {
        guard index < bytes.count, choices.utf8.contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    /// Consumes a run of `min`–`max` ASCII digits (and no more digits follow).
    mutating func digitString(min: Int, max: Int) -> String? {
        var end = index
        while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
        guard (min...max).contains(end - index) else { return nil }
        defer { index = end }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }

    /// ``digitString(min:max:)`` as a number (`max` must be at most 18).
    mutating func digits(min: Int, max: Int) -> Int64? {
        digitString(min: min, max: max).flatMap { Int64($0) }
    }
}

extension String {
    fileprivate var trimmingASCIIWhitespace: String {
        let bytes = Array(utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
