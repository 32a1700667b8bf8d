/// A `ListSecrets` filter, as in AWS: a key and up to 10 values. Values of one filter are
/// alternatives (any may match); several filters must all match. A value starting with `!`
/// negates: the secret matches when that value does not.
///
/// Matching follows AWS: `name`, `tag-key`, `tag-value`, `primary-region` and `owning-service`
/// are case-sensitive prefix matches, `description` is a case-insensitive prefix match, and `all`
/// matches any of those attributes, case-insensitively, against the start of any word.
public struct SecretFilter: Codable, Sendable, Equatable {
    public var Key: String
    public var Values: [String]

    public static let keys = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"]

    public init(Key: String, Values: [String]) {
        self.Key = Key
        self.Values = Values
    }

    /// What a filter is matched against.
    public struct Subject: Sendable {
        public var name: String
        public var description: String?
        public var tags: [Tag]
        public var primaryRegion: String

        public init(name: String, description: String?, tags: [Tag], primaryRegion: String) {
            self.name = name
            self.description = description
            self.tags = tags
            self.primaryRegion = primaryRegion
        }
    }

    /// Validates a request's filters against the service model's constraints.
    public static func validate(_ filters: [SecretFilter]) throws {
        try SejfError.checkLength("filters", filters.count, max: 10)
        for filter in filters {
            guard keys.contains(filter.Key) else {
                throw SejfError.constraint("filters.member.key", "Member must satisfy enum value set: [\(keys.joined(separator: ", "))]")
            }
            try SejfError.checkLength("filters.member.values", filter.Values.count, min: 1, max: 10)
            for value in filter.Values {
                try SejfError.checkLength("filters.member.values.member", value.count, max: 512)
                guard value.unicodeScalars.allSatisfy(isAllowedInValue) else {
                    throw SejfError.constraint("filters.member.values.member",
                                               "Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$")
                }
            }
        }
    }

    /// Name prefixes one of which every secret that passes `filters` starts with (the values of
    /// a `name` filter without negations), so a store can skip other names early; nil when the
    /// filters do not narrow names that way.
    public static func namePrefixes(_ filters: [SecretFilter]) -> [String]? {
        filters.first { $0.Key == "name" && !$0.Values.contains { $0.hasPrefix("!") } }?.Values
    }

    /// Whether `subject` passes every filter in `filters`.
    public static func matches(_ filters: [SecretFilter], _ subject: Subject) -> Bool {
        filters.allSatisfy { $0.matches(subject) }
    }

    func matches(_ subject: Subject) -> Bool {
        let positive = Values.filter { !$0.hasPrefix("!") }
        let negative = Values.filter { $0.hasPrefix("!") }.map { String($0.dropFirst()) }
        if negative.contains(where: { matchesValue($0, subject) }) { return false }
        return positive.isEmpty || positive.contains { matchesValue($0, subject) }
    }

    private func matchesValue(_ value: String, _ s: Subject) -> Bool {
        switch Key {
        case "name": return s.name.hasPrefix(value)
        case "description": return (s.description ?? "").lowercased().hasPrefix(value.lowercased())
        case "tag-key": return s.tags.contains { $0.key.hasPrefix(value) }
        case "tag-value": return s.tags.contains { $0.value.hasPrefix(value) }
        case "primary-region": return s.primaryRegion.hasPrefix(value)
        case "owning-service": return false  // no secret here is owned by another service
        default:
            let attributes = [s.name, s.description ?? ""] + s.tags.flatMap { [$0.key, $0.value] }
            let needle = value.lowercased()
            return attributes.contains { attribute in
                Self.words(attribute.lowercased()).contains { $0.hasPrefix(needle) } || attribute.lowercased().hasPrefix(needle)
            }
        }
    }

    private static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { " /_+=.@-:".contains($0) })
    }

    private static func isAllowedInValue(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || " :_@/+=.-!".unicodeScalars.contains(s))
    }
}

/// Opaque `NextToken` values for paginated listings: the offset of the next item, encoded.
public enum PageToken {
    public static func encode(offset: Int) -> String { "sejf-page-\(offset)" }

    /// - Throws: `InvalidNextTokenException` for a token Sejf did not issue.
    public static func decode(_ token: String?) throws -> Int {
        guard let token else { return 0 }
        try SejfError.checkLength("nextToken", token.count, min: 1, max: 4096)
        guard token.hasPrefix("sejf-page-"), let offset = Int(token.dropFirst("sejf-page-".count)), offset >= 0 else {
            throw SejfError(.invalidNextToken, "The NextToken value is invalid.")
        }
        return offset
    }

    /// One page of `items` from `offset`, and the token of the next page if any.
    public static func page<T>(_ items: [T], offset: Int, maxResults: Int) -> ([T], String?) {
        let start = min(offset, items.count)
        let end = min(start + maxResults, items.count)
        return (Array(items[start..<end]), end < items.count ? encode(offset: end) : nil)
    }
}
