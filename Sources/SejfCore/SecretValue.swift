/// The value of one secret version: a UTF-8 string or opaque bytes, at most 65,536 bytes.
public enum SecretValue: Equatable, Sendable {
    case string(String)
    case binary([UInt8])

    public static let maxBytes = 65_536

    /// Builds the value from the AWS request members `SecretString` / `SecretBinary`.
    /// - Throws: `InvalidParameterException` when both are given, `ValidationException` when one is
    ///   empty or too long; returns `nil` when neither is given.
    public static func from(string: String?, binary: [UInt8]?) throws -> SecretValue? {
        switch (string, binary) {
        case (.some, .some):
            throw SejfError(.invalidParameter,
                "You can't specify both a binary secret value and a string secret value in the same secret.")
        case (.some(let s), nil):
            try SejfError.checkLength("secretString", s.utf8.count, min: 1, max: maxBytes)
            return .string(s)
        case (nil, .some(let b)):
            try SejfError.checkLength("secretBinary", b.count, min: 1, max: maxBytes)
            return .binary(b)
        case (nil, nil):
            return nil
        }
    }

    /// The bytes that get encrypted.
    public var bytes: [UInt8] {
        switch self {
        case .string(let s): Array(s.utf8)
        case .binary(let b): b
        }
    }

    public var isBinary: Bool { if case .binary = self { true } else { false } }
}

/// `ClientRequestToken` / `VersionId`: 32–64 characters (the token becomes the version id).
public enum VersionToken {
    /// - Throws: `ValidationException` unless 32–64 characters of printable ASCII.
    public static func validate(_ token: String, member: String = "clientRequestToken") throws {
        try SejfError.checkLength(member, token.count, min: 32, max: 64)
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw SejfError.constraint(member, "Member must contain only printable ASCII characters")
        }
    }
}

/// Description rule: at most 2,048 characters.
public enum SecretDescription {
    public static func validate(_ description: String) throws {
        try SejfError.checkLength("description", description.count, max: 2048)
    }
}
