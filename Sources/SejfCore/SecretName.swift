/// AWS's secret name rule: 1–512 characters of `A-Za-z0-9/_+=.@-`.
public enum SecretName {
    public static let maxLength = 512

    /// - Throws: `ValidationException` for the length, `InvalidParameterException` for the characters,
    ///   with AWS's messages.
    public static func validate(_ name: String) throws {
        try SejfError.checkLength("name", name.utf8.count, min: 1, max: maxLength)
        guard name.utf8.allSatisfy(isAllowed) else {
            throw SejfError(.invalidParameter,
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
        }
    }

    static func isAllowed(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "."),
             UInt8(ascii: "@"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}

/// A secret's ARN: `arn:aws:secretsmanager:<environment>:<account>:secret:<name>-<6 characters>`.
public struct SecretARN: Hashable, Sendable, CustomStringConvertible {
    public let environment: EnvironmentName
    public let account: String
    public let name: String
    public let suffix: String

    public static let suffixAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    static let prefix = "arn:aws:secretsmanager:"

    /// An ARN with a given six-character suffix (drawn at random by the caller, as AWS does).
    public init(environment: EnvironmentName, account: String, name: String, suffix: String) {
        precondition(suffix.count == 6)
        self.environment = environment
        self.account = account
        self.name = name
        self.suffix = suffix
    }

    /// Draws a suffix from ``suffixAlphabet`` with `random(n)` returning a uniform value in `0..<n`.
    public static func randomSuffix(_ random: (Int) -> Int) -> String {
        String((0..<6).map { _ in suffixAlphabet[random(suffixAlphabet.count)] })
    }

    public var description: String { "\(Self.prefix)\(environment):\(account):secret:\(name)-\(suffix)" }
}

/// How a caller names a secret in `SecretId`: by name, by full ARN, or by partial ARN
/// (an ARN without the six-character suffix), as AWS accepts.
public enum SecretIdentifier: Equatable, Sendable {
    case name(String)
    /// An ARN; `nameOrPartial` is the part after `secret:`, which may or may not carry the suffix.
    case arn(environment: String, account: String, nameOrPartial: String)

    /// Parses a `SecretId` value.
    /// - Throws: `ValidationException` when it is empty or longer than 2,048 characters.
    public init(_ secretId: String) throws {
        try SejfError.checkLength("secretId", secretId.utf8.count, min: 1, max: 2048)
        guard secretId.hasPrefix(SecretARN.prefix) else {
            self = .name(secretId)
            return
        }
        let parts = secretId.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        guard parts.count == 7, parts[5] == "secret", !parts[6].isEmpty else {
            self = .name(secretId)
            return
        }
        self = .arn(environment: String(parts[3]), account: String(parts[4]), nameOrPartial: String(parts[6]))
    }

    /// Whether this identifier names the secret with the given ARN.
    public func matches(_ arn: SecretARN) -> Bool {
        switch self {
        case .name(let name):
            return name == arn.name
        case .arn(let environment, let account, let tail):
            guard environment == arn.environment.rawValue, account == arn.account else { return false }
            return tail == "\(arn.name)-\(arn.suffix)" || tail == arn.name
        }
    }

    /// The candidate names this identifier could refer to: for an ARN tail `a/b-XyZ123`, both
    /// `a/b-XyZ123` (a partial ARN of a secret so named) and `a/b` (a full ARN).
    public var candidateNames: [String] {
        switch self {
        case .name(let name):
            return [name]
        case .arn(_, _, let tail):
            var names = [tail]
            if tail.count > 7, let dash = tail.index(tail.endIndex, offsetBy: -7, limitedBy: tail.startIndex), tail[dash] == "-" {
                names.append(String(tail[..<dash]))
            }
            return names
        }
    }
}
