/// The members of a `GetRandomPassword` request, with AWS's defaults filled in.
///
/// By default a password is 32 characters of lowercase and uppercase letters, digits and
/// punctuation, with at least one character of each of those types.
public struct PasswordRequest: Equatable, Sendable {
    public var passwordLength: Int
    /// Characters that must not appear in the password.
    public var excludeCharacters: String
    public var excludeNumbers: Bool
    public var excludePunctuation: Bool
    public var excludeUppercase: Bool
    public var excludeLowercase: Bool
    public var includeSpace: Bool
    public var requireEachIncludedType: Bool

    /// Builds a request from the AWS members; a `nil` member takes AWS's default.
    public init(
        passwordLength: Int? = nil,
        excludeCharacters: String? = nil,
        excludeNumbers: Bool? = nil,
        excludePunctuation: Bool? = nil,
        excludeUppercase: Bool? = nil,
        excludeLowercase: Bool? = nil,
        includeSpace: Bool? = nil,
        requireEachIncludedType: Bool? = nil
    ) {
        self.passwordLength = passwordLength ?? PasswordRules.defaultLength
        self.excludeCharacters = excludeCharacters ?? ""
        self.excludeNumbers = excludeNumbers ?? false
        self.excludePunctuation = excludePunctuation ?? false
        self.excludeUppercase = excludeUppercase ?? false
        self.excludeLowercase = excludeLowercase ?? false
        self.includeSpace = includeSpace ?? false
        self.requireEachIncludedType = requireEachIncludedType ?? true
    }
}

/// AWS's `GetRandomPassword`: the character types, their exclusions, and generation from a
/// caller-supplied source of uniform randomness.
///
/// Generation draws every character uniformly from the allowed alphabet. With
/// `RequireEachIncludedType`, one character of each included type is drawn from that type, the
/// rest from the whole alphabet, and the result is shuffled (Fisher–Yates), so the guaranteed
/// characters sit at uniformly random positions. The space counts as a type of its own when
/// `IncludeSpace` is set.
public enum PasswordRules {
    public static let defaultLength = 32
    public static let minLength = 1
    public static let maxLength = 4096
    public static let maxExcludeCharacters = 4096

    public static let lowercase = Array("abcdefghijklmnopqrstuvwxyz")
    public static let uppercase = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    public static let digits = Array("0123456789")
    /// Exactly the punctuation AWS uses: ``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``.
    public static let punctuation = Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    public static let space: [Character] = [" "]

    /// The character types a request allows, each without its excluded characters; types left
    /// empty by `ExcludeCharacters` are dropped.
    /// - Throws: `ValidationException` for a length outside 1–4,096 or more than 4,096 excluded
    ///   characters; `InvalidParameterException` when no character is left, or when
    ///   `RequireEachIncludedType` asks for more types than the password has characters.
    public static func characterTypes(for request: PasswordRequest) throws -> [[Character]] {
        if request.passwordLength < minLength {
            throw SejfError.constraint("passwordLength", "Member must have value greater than or equal to \(minLength)")
        }
        if request.passwordLength > maxLength {
            throw SejfError.constraint("passwordLength", "Member must have value less than or equal to \(maxLength)")
        }
        try SejfError.checkLength("excludeCharacters", request.excludeCharacters.count, max: maxExcludeCharacters)

        let excluded = Set(request.excludeCharacters)
        let candidates: [(skip: Bool, set: [Character])] = [
            (request.excludeLowercase, lowercase),
            (request.excludeUppercase, uppercase),
            (request.excludeNumbers, digits),
            (request.excludePunctuation, punctuation),
            (!request.includeSpace, space),
        ]
        let types = candidates
            .filter { !$0.skip }
            .map { $0.set.filter { !excluded.contains($0) } }
            .filter { !$0.isEmpty }
        guard !types.isEmpty else {
            throw SejfError(.invalidParameter,
                "The password can't be generated: the request excludes every character type or character.")
        }
        if request.requireEachIncludedType, types.count > request.passwordLength {
            throw SejfError(.invalidParameter, "Password length is too short based on the required types.")
        }
        return types
    }

    /// Validates the request without generating anything.
    public static func validate(_ request: PasswordRequest) throws {
        _ = try characterTypes(for: request)
    }

    /// Generates a password for `request`.
    ///
    /// - Parameter random: returns a uniform `Int` in `0..<n` for its argument `n` (the service
    ///   passes a libsodium-backed source; tests pass a seeded one).
    /// - Throws: see ``characterTypes(for:)``.
    public static func generate(_ request: PasswordRequest, random: (Int) -> Int) throws -> String {
        let types = try characterTypes(for: request)
        let alphabet = types.flatMap { $0 }
        func draw(_ n: Int) -> Int {
            let r = random(n)
            precondition((0..<n).contains(r), "random(\(n)) returned \(r), outside 0..<\(n)")
            return r
        }

        var password: [Character] = []
        password.reserveCapacity(request.passwordLength)
        if request.requireEachIncludedType {
            for type in types { password.append(type[draw(type.count)]) }
        }
        while password.count < request.passwordLength {
            password.append(alphabet[draw(alphabet.count)])
        }
        if request.requireEachIncludedType {
            // Fisher–Yates: every arrangement equally likely, so the guaranteed characters
            // land anywhere.
            for i in stride(from: password.count - 1, to: 0, by: -1) {
                password.swapAt(i, draw(i + 1))
            }
        }
        return String(password)
    }
}
