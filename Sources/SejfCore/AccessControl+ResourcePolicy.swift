/// Evaluation of resource policy statements against a request.
///
/// A statement applies when its principal, action, resource and every condition match. What Sejf
/// supports, and what it does with the rest:
///
/// - **Principal**: `"*"`; `{"AWS": …}` with `*`, the account id, `arn:aws:iam::<account>:root`
///   (any principal of the account) or `arn:aws:iam::<account>:user/<name>` (exactly, no
///   wildcards — IAM allows none there). `Service`, `Federated` and `CanonicalUser` principals
///   never match a Sejf principal. `NotPrincipal` matches everyone its list does not.
/// - **Action**/**NotAction**: IAM wildcards, case-insensitive. **Resource**/**NotResource**:
///   IAM wildcards against the secret's ARN, case-sensitive.
/// - **Condition operators**: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`,
///   `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`,
///   `ArnNotEquals`, `ArnNotLike`, `IpAddress`, `NotIpAddress`, `DateEquals`, `DateNotEquals`,
///   `DateLessThan`, `DateLessThanEquals`, `DateGreaterThan`, `DateGreaterThanEquals`, `Null`.
/// - **Condition keys** (names case-insensitive, as in IAM): `aws:PrincipalArn`,
///   `aws:PrincipalAccount`, `aws:username`, `aws:SourceIp`, `aws:CurrentTime`, `aws:EpochTime`,
///   `aws:RequestedRegion` (the environment), `secretsmanager:SecretId` (the ARN),
///   `secretsmanager:ResourceTag/<key>` and `aws:ResourceTag/<key>` (the tag key itself
///   case-sensitive).
///
/// A condition with an **unknown operator** (including the `…IfExists` forms, `ForAnyValue:`,
/// `ForAllValues:`, `Bool`, `Numeric…`, `Binary…`) or an **unknown key** does not match, so the
/// statement does not apply — whether it allows or denies. Within a known key and operator, IAM's
/// rules hold: several values are alternatives (any may match; for the negated operators, none
/// may); a key absent from the request (a tag the secret lacks, an unknown source address)
/// fails a positive operator and satisfies a negated one. A value that cannot be read — a malformed
/// address or CIDR, a date that is neither ISO 8601 nor epoch seconds — makes the condition not
/// match, for the negated operators too. Policy variables (`${aws:username}`) are not substituted.
extension PolicyStatement {
    /// Whether the statement applies to `request`: principal, action, resource and all conditions match.
    public func applies(to request: AccessRequest) -> Bool {
        principal.matches(principalARN: request.principalARN, account: request.account)
            && actions.matches(request.action, caseInsensitive: true)
            && resources.matches(request.resource, caseInsensitive: false)
            && conditions.allSatisfy { $0.matches(request) }
    }
}

extension PolicyPrincipal {
    /// Whether the caller `principalARN` of `account` is covered (for `NotPrincipal`: not listed).
    public func matches(principalARN: String, account: String) -> Bool {
        let listed = map == nil || awsIdentifiers.contains { id in
            id == "*" || id == account || id == "arn:aws:iam::\(account):root" || id == principalARN
        }
        return negated ? !listed : listed
    }
}

extension PolicyCondition {
    /// The operators Sejf evaluates; any other operator never matches.
    public static let supportedOperators: Set<String> = Set(Operator.allCases.map(\.rawValue))

    /// Whether Sejf can evaluate this condition: a supported operator on a known key. A condition
    /// that is not supported never matches, so `ValidateResourcePolicy` may want to report it.
    public var isSupported: Bool {
        Self.supportedOperators.contains(op) && AccessRequest.isKnownConditionKey(key)
    }

    /// Whether the condition holds for `request` (see ``PolicyStatement/applies(to:)`` for the rules).
    public func matches(_ request: AccessRequest) -> Bool {
        guard let op = Operator(rawValue: op) else { return false }
        let found: String?
        switch request.conditionValue(key) {
        case .unknownKey: return false
        case .absent: found = nil
        case .value(let v): found = v
        }
        if op == .null {
            return values.contains { ($0 == "true" && found == nil) || ($0 == "false" && found != nil) }
        }
        guard let found else { return op.isNegated }
        switch op {
        case .stringEquals, .stringNotEquals:
            return op.isNegated != values.contains(found)
        case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
            return op.isNegated != values.contains { $0.lowercased() == found.lowercased() }
        case .stringLike, .stringNotLike:
            return op.isNegated != values.contains { PolicyPattern.matches($0, found, caseInsensitive: false) }
        case .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
            return op.isNegated != values.contains { Self.arnMatches($0, found) }
        case .ipAddress, .notIpAddress:
            guard let address = IPAddress(found)?.unmappingIPv4 else { return false }
            let blocks = values.map(IPAddress.Block.init)
            guard blocks.allSatisfy({ $0 != nil }) else { return false }
            return op.isNegated != blocks.contains { $0!.contains(address) }
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            let lowered = key.lowercased()
            guard let time = lowered == "aws:currenttime" || lowered == "aws:epochtime" ? request.now : PolicyDate.parse(found)
            else { return false }
            let dates = values.map(PolicyDate.parse)
            guard dates.allSatisfy({ $0 != nil }) else { return false }
            return op.isNegated != dates.contains { op.compare(time, $0!) }
        case .null:
            return false
        }
    }

    /// IAM's `ArnLike`/`ArnEquals`: each of the six colon-separated parts (the last may hold
    /// colons) matched on its own, case-sensitively, with `*` and `?`.
    static func arnMatches(_ pattern: String, _ value: String) -> Bool {
        let p = pattern.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        let v = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard p.count == 6, v.count == 6 else { return false }
        return zip(p, v).allSatisfy { PolicyPattern.matches(String($0), String($1), caseInsensitive: false) }
    }

    enum Operator: String, CaseIterable {
        case stringEquals = "StringEquals", stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase", stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike", stringNotLike = "StringNotLike"
        case arnEquals = "ArnEquals", arnLike = "ArnLike", arnNotEquals = "ArnNotEquals", arnNotLike = "ArnNotLike"
        case ipAddress = "IpAddress", notIpAddress = "NotIpAddress"
        case dateEquals = "DateEquals", dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan", dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan", dateGreaterThanEquals = "DateGreaterThanEquals"
        case null = "Null"

        var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .arnNotEquals, .arnNotLike,
                 .notIpAddress, .dateNotEquals: true
            default: false
            }
        }

        /// For the date operators: `context <op> value` (the negated `DateNotEquals` compares equality).
        func compare(_ context: Double, _ value: Double) -> Bool {
            switch self {
            case .dateLessThan: context < value
            case .dateLessThanEquals: context <= value
            case .dateGreaterThan: context > value
            case .dateGreaterThanEquals: context >= value
            default: context == value
            }
        }
    }
}

// MARK: - Condition keys

/// What a condition key holds for one request.
enum ConditionValue: Equatable {
    /// A key Sejf does not know: conditions on it never match.
    case unknownKey
    /// A known key with no value in this request.
    case absent
    case value(String)
}

extension AccessRequest {
    /// The condition keys Sejf knows (lower-cased), besides the `…ResourceTag/<key>` families.
    static let conditionKeys: Set = [
        "aws:principalarn", "aws:principalaccount", "aws:username", "aws:sourceip", "aws:currenttime",
        "aws:epochtime", "aws:requestedregion", "secretsmanager:secretid",
    ]
    static let resourceTagPrefixes = ["secretsmanager:resourcetag/", "aws:resourcetag/"]

    /// Whether Sejf knows the condition key (see ``PolicyStatement/applies(to:)``).
    static func isKnownConditionKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return conditionKeys.contains(lowered)
            || resourceTagPrefixes.contains { lowered.hasPrefix($0) && lowered.count > $0.count }
    }

    /// The value of a condition key for this request.
    func conditionValue(_ key: String) -> ConditionValue {
        let lowered = key.lowercased()
        for prefix in Self.resourceTagPrefixes where lowered.hasPrefix(prefix) {
            let tagKey = String(key.dropFirst(prefix.count))
            guard !tagKey.isEmpty else { return .unknownKey }
            return (secret?.tags.first { $0.key == tagKey }?.value).map(ConditionValue.value) ?? .absent
        }
        switch lowered {
        case "aws:principalarn": return .value(principalARN)
        case "aws:principalaccount": return .value(account)
        case "aws:username": return .value(principal)
        case "aws:sourceip": return sourceIp.map(ConditionValue.value) ?? .absent
        case "aws:currenttime": return .value(PolicyDate.iso8601(now))
        case "aws:epochtime": return .value(String(Int64(now.rounded(.down))))
        case "aws:requestedregion": return .value(environment.rawValue)
        case "secretsmanager:secretid": return (secret?.arn.description).map(ConditionValue.value) ?? .absent
        default: return .unknownKey
        }
    }
}

// MARK: - Dates

/// Dates in conditions: ISO 8601 or seconds since 1970, read and written without a clock or
/// Foundation.
enum PolicyDate {
    /// Seconds since 1970 for epoch seconds (`1700000000`, `1700000000.5`) or ISO 8601:
    /// `2024-05-01`, `2024-05-01T12:30Z`, `2024-05-01T12:30:00Z`, `2024-05-01T12:30:00.250+02:00`
    /// (no zone means UTC; zones as `Z`, `±hh`, `±hhmm`, `±hh:mm`). `nil` for anything else.
    static func parse(_ text: String) -> Double? {
        let s = Array(text.utf8)
        guard !s.isEmpty else { return nil }
        if s.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty, parts.allSatisfy({ !$0.isEmpty }),
                  let seconds = Double(text) else { return nil }
            return seconds
        }
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count, s[i..<(i + n)].allSatisfy(isDigit) else { return nil }
            defer { i += n }
            return s[i..<(i + n)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        func take(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var seconds = Double(CivilCalendar.days(year: year, month: month, day: day) * 86_400)
        guard i < s.count else { return seconds }
        guard take("T"), let hour = digits(2), take(":"), let minute = digits(2), hour < 24, minute < 60 else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if take(":") {
            guard let second = digits(2), second <= 60 else { return nil }
            seconds += Double(second)
            if take(".") {
                let start = i
                while i < s.count, isDigit(s[i]) { i += 1 }
                guard i > start, let fraction = Double("0." + String(decoding: s[start..<i], as: UTF8.self)) else { return nil }
                seconds += fraction
            }
        }
        guard i < s.count else { return seconds }
        if take("Z") { return i == s.count ? seconds : nil }
        let sign: Double
        if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
        guard let offsetHours = digits(2), offsetHours < 24 else { return nil }
        var offsetMinutes = 0
        if take(":") || i < s.count {
            guard let minutes = digits(2), minutes < 60 else { return nil }
            offsetMinutes = minutes
        }
        guard i == s.count else { return nil }
        return seconds - sign * Double(offsetHours * 3600 + offsetMinutes * 60)
    }

    /// `2024-05-01T12:30:00Z` (whole seconds, UTC): how `aws:CurrentTime` reads as a string.
    static func iso8601(_ time: Double) -> String {
        let total = Int64(time.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = Int(total - days * 86_400)
        let (year, month, day) = CivilCalendar.date(fromDays: Int(days))
        func pad(_ n: Int, _ width: Int) -> String {
            let text = String(n)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    private static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

// MARK: - IP addresses

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, parsed without the network stack.
struct IPAddress: Equatable {
    var bytes: [UInt8]

    /// Dotted-quad IPv4 (`192.0.2.1`, no leading zeros) or IPv6 in any RFC 4291 text form
    /// (`2001:db8::1`, `::`, `::ffff:192.0.2.1`); no zone ids, no brackets. `nil` otherwise.
    init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a dual-stack socket reports an IPv4
    /// client) as the IPv4 address; any other address unchanged.
    var unmappingIPv4: IPAddress {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return self }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    /// A CIDR block: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`; a bare
    /// address is a block of one). Bits past the prefix are ignored.
    struct Block: Equatable {
        var address: IPAddress
        var prefix: Int

        init?(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let address = IPAddress(String(parts[0])) else { return nil }
            let bits = address.bytes.count * 8
            if parts.count == 2 {
                guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].utf8.allSatisfy({ (48...57).contains($0) }),
                      let prefix = Int(parts[1]), prefix <= bits else { return nil }
                self.prefix = prefix
            } else {
                self.prefix = bits
            }
            self.address = address
        }

        /// Whether `other` (of the same family) lies in the block.
        func contains(_ other: IPAddress) -> Bool {
            guard other.bytes.count == address.bytes.count else { return false }
            var remaining = prefix
            for (a, b) in zip(address.bytes, other.bytes) where remaining > 0 {
                let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
                if a & mask != b & mask { return false }
                remaining -= 8
            }
            return true
        }
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.utf8.allSatisfy({ (48...57).contains($0) }),
                  part.count == 1 || part.first != "0", let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let scalars = Array(text.unicodeScalars)
        let doubleColons = scalars.indices.dropLast().filter { scalars[$0] == ":" && scalars[$0 + 1] == ":" }
        guard doubleColons.count <= 1 else { return nil }
        func slice(_ range: Range<Int>) -> Substring {
            Substring(String(String.UnicodeScalarView(scalars[range])))
        }
        let head: Substring, tail: Substring?
        if let at = doubleColons.first {
            head = slice(0..<at)
            tail = slice((at + 2)..<scalars.count)
        } else {
            head = Substring(text)
            tail = nil
        }
        func groups(_ part: Substring, ipv4Allowed: Bool) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            var bytes: [UInt8] = []
            for (i, field) in fields.enumerated() {
                if ipv4Allowed, i == fields.count - 1, field.contains(".") {
                    guard let v4 = parseIPv4(field) else { return nil }
                    bytes += v4
                } else {
                    guard (1...4).contains(field.count), field.utf8.allSatisfy(isHexDigit),
                          let value = UInt16(field, radix: 16) else { return nil }
                    bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
                }
            }
            return bytes
        }
        guard let first = groups(head, ipv4Allowed: tail == nil) else { return nil }
        guard let tail else { return first.count == 16 ? first : nil }
        guard let last = groups(tail, ipv4Allowed: true), first.count + last.count <= 14 else { return nil }
        return first + Array(repeating: 0, count: 16 - first.count - last.count) + last
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (65...70).contains(c) || (97...102).contains(c)
    }
}
