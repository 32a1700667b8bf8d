/// The name of an environment (`dev`, `staging`, `prod`, …). In the AWS API it is the region.
///
/// Lower-case letters, digits and hyphens, starting with a letter, at most 32 characters, so it is
/// safe in ARNs, file names, environment variable names and Kubernetes namespaces.
public struct EnvironmentName: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Validates `rawValue`.
    /// - Throws: ``SejfError`` (`InvalidParameterException`) naming the rule.
    public init(_ rawValue: String) throws {
        guard Self.isValid(rawValue) else {
            throw SejfError(.invalidParameter,
                "Invalid environment name '\(rawValue.prefix(64))': use 1-32 lower-case letters, digits or '-', starting with a letter.")
        }
        self.rawValue = rawValue
    }

    public static func isValid(_ s: String) -> Bool {
        guard let first = s.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), s.utf8.count <= 32 else { return false }
        return s.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "-")
        }
    }

    /// The suffix of the environment variables that carry this environment's key
    /// (`SEJF_KEY_<SUFFIX>`, `SEJF_PASSPHRASE_<SUFFIX>`): upper-cased, `-` becomes `_`.
    public var variableSuffix: String { rawValue.uppercased().replacingOccurrences(of: "-", with: "_") }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws { try self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
