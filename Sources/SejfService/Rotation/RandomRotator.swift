import Foundation
import SejfCore
import SejfCrypto

/// `sejf:random`: a new random value, made by GetRandomPassword's rules. The whole value, or with
/// `keys`, only those fields of a JSON object value (the others kept). Nothing outside Sejf
/// changes, so `setSecret` and `testSecret` have nothing to do.
///
/// Parameters follow the name as a query: `sejf:random?keys=password,api_key&length=40&exclude-punctuation=true`.
/// Known: `keys`, `length` (default 32), `exclude-characters`, `exclude-numbers`,
/// `exclude-punctuation`, `exclude-uppercase`, `exclude-lowercase`, `include-space`,
/// `require-each-included-type` (default true).
public struct RandomRotator: Rotator {
    public static let name = "sejf:random"
    let keys: [String]
    let rules: PasswordRequest

    /// - Parameter parameters: `""` or `?name=value&…`.
    public init(parameters: String) throws {
        var values: [String: String] = [:]
        if !parameters.isEmpty {
            guard parameters.hasPrefix("?"), let items = URLComponents(string: "x:" + parameters)?.queryItems else {
                throw SejfError(.invalidParameter, "sejf:random takes parameters as ?name=value&…, not '\(parameters.prefix(64))'.")
            }
            for item in items {
                guard Self.parameterNames.contains(item.name), values[item.name] == nil, let value = item.value else {
                    throw SejfError(.invalidParameter,
                        "sejf:random: unknown, repeated or empty parameter '\(item.name.prefix(64))' (known: \(Self.parameterNames.sorted().joined(separator: ", "))).")
                }
                values[item.name] = value
            }
        }
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let text = values[name] else { return fallback }
            guard let value = Bool(text) else { throw SejfError(.invalidParameter, "sejf:random: \(name) must be true or false.") }
            return value
        }
        guard let length = Int(values["length"] ?? "32") else { throw SejfError(.invalidParameter, "sejf:random: length must be a number.") }
        keys = values["keys"].map { $0.split(separator: ",").map(String.init) } ?? []
        rules = PasswordRequest(
            passwordLength: length, excludeCharacters: values["exclude-characters"], excludeNumbers: try flag("exclude-numbers", false),
            excludePunctuation: try flag("exclude-punctuation", false), excludeUppercase: try flag("exclude-uppercase", false),
            excludeLowercase: try flag("exclude-lowercase", false), includeSpace: try flag("include-space", false),
            requireEachIncludedType: try flag("require-each-included-type", true))
        _ = try password()  // the rules must be satisfiable now, not at the first rotation
    }

    static let parameterNames: Set<String> = [
        "keys", "length", "exclude-characters", "exclude-numbers", "exclude-punctuation", "exclude-uppercase",
        "exclude-lowercase", "include-space", "require-each-included-type",
    ]

    func password() throws -> String {
        try PasswordRules.generate(rules) { Int(randomUniform(UInt32($0))) }
    }

    public func newValue(_ input: RotationInput) throws -> String {
        guard !keys.isEmpty else { return try password() }
        guard let current = input.current,
              var object = (try? JSONSerialization.jsonObject(with: Data(current.utf8))) as? [String: Any] else {
            throw SejfError(.invalidRequest, "sejf:random with keys needs a current value that is a JSON object; \(input.secretName)'s is not.")
        }
        for key in keys { object[key] = try password() }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    public func setSecret(_ input: RotationInput) throws {}
    public func testSecret(_ input: RotationInput) throws {}
}
