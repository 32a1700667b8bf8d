/// A resource tag, as in AWS: a key (1–128 characters) and a value (0–256 characters).
public struct Tag: Equatable, Sendable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case key = "Key", value = "Value"
    }
}

/// AWS's tag rules: at most 50 tags, unique keys, `aws:` reserved, letters, digits, spaces and `_.:/=+-@`.
public enum TagRules {
    public static let maxTags = 50

    /// The tag that marks a secret as configuration.
    public static let kindKey = "sejf:kind"
    public static let configKind = "config"

    /// Validates the tags of one request.
    public static func validate(_ tags: [Tag]) throws {
        if tags.count > maxTags { throw tooMany(tags.count) }
        var seen = Set<String>()
        for tag in tags {
            try validate(key: tag.key)
            try SejfError.checkLength("tags.member.value", tag.value.count, max: 256)
            guard tag.value.unicodeScalars.allSatisfy(isAllowed) else {
                throw SejfError(.invalidParameter, "Tag value '\(tag.value.prefix(256))' contains characters that aren't allowed.")
            }
            guard seen.insert(tag.key).inserted else {
                throw SejfError(.invalidParameter, "Duplicate tag key '\(tag.key)' in the request.")
            }
        }
    }

    /// Validates one tag key.
    public static func validate(key: String) throws {
        try SejfError.checkLength("tags.member.key", key.count, min: 1, max: 128)
        guard key.unicodeScalars.allSatisfy(isAllowed) else {
            throw SejfError(.invalidParameter, "Tag key '\(key)' contains characters that aren't allowed.")
        }
        guard !key.lowercased().hasPrefix("aws:") else {
            throw SejfError(.invalidParameter, "Tag keys starting with 'aws:' are reserved for AWS use.")
        }
    }

    /// `existing` with `added` applied: a key already present gets the new value; the order of
    /// first appearance is kept. Throws `LimitExceededException` past 50 tags.
    public static func merge(_ existing: [Tag], adding added: [Tag]) throws -> [Tag] {
        var result = existing
        for tag in added {
            if let i = result.firstIndex(where: { $0.key == tag.key }) {
                result[i].value = tag.value
            } else {
                result.append(tag)
            }
        }
        guard result.count <= maxTags else { throw tooMany(result.count) }
        return result
    }

    private static func tooMany(_ count: Int) -> SejfError {
        SejfError(.limitExceeded, "A secret can have at most \(maxTags) tags; this request would give it \(count).")
    }

    /// Whether the tags mark a secret as configuration (`sejf:kind=config`).
    public static func isConfig(_ tags: [Tag]) -> Bool {
        tags.contains { $0.key == kindKey && $0.value == configKind }
    }

    static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil || s == " " || "_.:/=+-@".unicodeScalars.contains(s)
    }
}
