extension AccessControl {
    /// Checks a role as an operator defines it.
    ///
    /// - The name is 1–64 characters of `a-z`, `0-9` and `-`, and not the name of a built-in role
    ///   (unless the role is built in).
    /// - The description is at most 1,000 characters.
    /// - There is at least one rule; each has at least one action and one secret pattern.
    /// - An action is `*`, or `secretsmanager:` and an operation name, possibly with `*`/`?`
    ///   wildcards, that matches at least one Secrets Manager operation (`secretsmanager:Get*`).
    /// - A secret pattern is a name pattern (1–512 characters of a secret name's characters and
    ///   `*`/`?`) or an ARN pattern (`arn:` and up to 2,048 of those characters and `:`).
    /// - A tag condition's keys are 1–128 and its values 0–256 characters of a tag's characters.
    /// - Throws: `InvalidParameterException` naming the role, the rule (1-based) and the problem.
    public static func validate(role: AccessRole) throws {
        guard isValidName(role.name) else {
            throw invalid("Invalid role name '\(role.name.prefix(64))': use 1-64 lower-case letters, digits or '-'.")
        }
        if !role.isBuiltIn, builtinRoles.contains(where: { $0.name == role.name }) {
            throw invalid("The role name '\(role.name)' is reserved for a built-in role.")
        }
        guard role.description.count <= 1000 else {
            throw invalid("The description of role '\(role.name)' is longer than 1000 characters.")
        }
        guard !role.rules.isEmpty else { throw invalid("Role '\(role.name)' has no rules: give at least one.") }
        for (index, rule) in role.rules.enumerated() {
            let label = "Role '\(role.name)', rule \(index + 1)"
            guard !rule.actions.isEmpty else { throw invalid("\(label) has no actions: give at least one.") }
            guard !rule.secrets.isEmpty else {
                throw invalid("\(label) has no secrets: give at least one pattern, such as \"db/*\" or \"*\".")
            }
            for action in rule.actions where !(PolicyAction.isWellFormed(action) && PolicyAction.isKnown(action)) {
                throw invalid("\(label) has the action '\(action.prefix(128))', which matches no Secrets Manager action: use \"*\" or secretsmanager: and an operation, as in \"secretsmanager:GetSecretValue\" or \"secretsmanager:Describe*\".")
            }
            for pattern in rule.secrets where !isValidSecretPattern(pattern) {
                throw invalid("\(label) has the secret pattern '\(pattern.prefix(128))', which is not a secret name or ARN pattern: use the characters of secret names with * and ?, as in \"db/*\", or an ARN starting with \"arn:\".")
            }
            for (key, value) in (rule.tags ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard (1...128).contains(key.count), key.unicodeScalars.allSatisfy(TagRules.isAllowed) else {
                    throw invalid("\(label) has the tag key '\(key.prefix(128))', which is not a valid tag key.")
                }
                guard value.count <= 256, value.unicodeScalars.allSatisfy(TagRules.isAllowed) else {
                    throw invalid("\(label) has an invalid value for the tag '\(key)'.")
                }
            }
        }
    }

    /// Checks a binding against the roles that exist (the built-in roles and `roles`).
    ///
    /// - The name is 1–64 characters of `a-z`, `0-9` and `-`.
    /// - The role exists.
    /// - There is at least one principal, each `*` or a principal name (1–64 letters, digits or
    ///   `+=,.@_-`), and at least one environment, each `*` or an environment name.
    /// - Throws: `InvalidParameterException` naming the binding and the problem.
    public static func validate(binding: AccessBinding, roles: [AccessRole]) throws {
        guard isValidName(binding.name) else {
            throw invalid("Invalid binding name '\(binding.name.prefix(64))': use 1-64 lower-case letters, digits or '-'.")
        }
        guard (builtinRoles + roles).contains(where: { $0.name == binding.role }) else {
            throw invalid("Binding '\(binding.name)' refers to the role '\(binding.role.prefix(64))', which does not exist.")
        }
        guard !binding.principals.isEmpty else {
            throw invalid("Binding '\(binding.name)' has no principals: give at least one, or \"*\" for all.")
        }
        for principal in binding.principals where !(principal == "*" || isValidPrincipalName(principal)) {
            throw invalid("Binding '\(binding.name)' has the principal '\(principal.prefix(64))', which is not a principal name: use 1-64 letters, digits or +=,.@_-, or \"*\" for all.")
        }
        guard !binding.environments.isEmpty else {
            throw invalid("Binding '\(binding.name)' has no environments: give at least one, or \"*\" for all.")
        }
        for environment in binding.environments where !(environment == "*" || EnvironmentName.isValid(environment)) {
            throw invalid("Binding '\(binding.name)' has the environment '\(environment.prefix(64))', which is not an environment name: use names such as \"prod\", or \"*\" for all.")
        }
    }

    /// Checks the whole configuration: each role and binding, and that names are unique.
    /// - Throws: `InvalidParameterException` for the first problem.
    public func validate() throws {
        var roleNames = Set<String>()
        for role in roles {
            try Self.validate(role: role)
            guard roleNames.insert(role.name).inserted else { throw Self.invalid("There are two roles named '\(role.name)'.") }
        }
        var bindingNames = Set<String>()
        for binding in bindings {
            try Self.validate(binding: binding, roles: roles)
            guard bindingNames.insert(binding.name).inserted else {
                throw Self.invalid("There are two bindings named '\(binding.name)'.")
            }
        }
    }

    // MARK: - Rules

    /// Role and binding names: 1–64 of `a-z`, `0-9`, `-`.
    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
                || c == UInt8(ascii: "-")
        }
    }

    /// IAM's user name rule, as for principals: 1–64 letters, digits and `+=,.@_-`.
    static func isValidPrincipalName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || "+=,.@_-".utf8.contains(c)
        }
    }

    static func isValidSecretPattern(_ pattern: String) -> Bool {
        let isARN = pattern.hasPrefix("arn:")
        guard (1...(isARN ? 2048 : SecretName.maxLength)).contains(pattern.utf8.count) else { return false }
        return pattern.utf8.allSatisfy { c in
            SecretName.isAllowed(c) || c == UInt8(ascii: "*") || c == UInt8(ascii: "?") || (isARN && c == UInt8(ascii: ":"))
        }
    }

    private static func invalid(_ message: String) -> SejfError { SejfError(.invalidParameter, message) }
}
