import Foundation
import SejfCore

/// Finds the rotator a `RotationLambdaARN` names:
/// - `sejf:random` (with optional parameters, see ``RandomRotator``);
/// - a registered rotator by name (`sejf:postgres-single-user`, `sejf:postgres-alternating-users`);
/// - `sejf:hook:<name>`: a command the operator declared under `rotation.hooks` in
///   `environments/<env>.yaml` — never something an API caller can define.
///
/// Anything else is refused, so a rotation can only run code the operator installed.
public struct RotatorCatalog: Sendable {
    /// Rotators by name, beside `sejf:random`.
    public var named: [String: any Rotator]
    /// The hook command declared for an environment, by hook name (nil when there is none).
    public var hook: @Sendable (EnvironmentName, String) throws -> [String]?

    public init(named: [String: any Rotator] = [:], hook: @escaping @Sendable (EnvironmentName, String) throws -> [String]? = { _, _ in nil }) {
        self.named = named
        self.hook = hook
    }

    public static let hookPrefix = "sejf:hook:"

    /// The rotator for `name` in `environment`.
    /// - Throws: `InvalidParameterException` naming the rotator when it is unknown, a hook is not
    ///   declared for that environment, or its parameters are wrong.
    public func rotator(named name: String, in environment: EnvironmentName) throws -> any Rotator {
        if name == RandomRotator.name || name.hasPrefix(RandomRotator.name + "?") {
            return try RandomRotator(parameters: String(name.dropFirst(RandomRotator.name.count)))
        }
        if name.hasPrefix(Self.hookPrefix) {
            let hookName = String(name.dropFirst(Self.hookPrefix.count))
            guard let command = try hook(environment, hookName) else {
                throw SejfError(.invalidParameter,
                    "No rotation hook '\(hookName.prefix(64))' is declared for environment \(environment) (rotation.hooks in environments/\(environment).yaml).")
            }
            return HookRotator(name: hookName, command: command)
        }
        if let rotator = named[name] { return rotator }
        let known = ([RandomRotator.name] + named.keys.sorted() + [Self.hookPrefix + "<name>"]).joined(separator: ", ")
        throw SejfError(.invalidParameter, "Unknown rotator '\(name.prefix(128))': use one of \(known).")
    }
}
