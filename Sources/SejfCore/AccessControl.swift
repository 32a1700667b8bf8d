/// Role-based access control, Kubernetes style, evaluated together with secrets' resource policies.
///
/// A **role** is a list of rules; a rule allows (or, with `effect: deny`, denies) some actions on
/// some secrets. A **binding** gives a role to principals in some environments. Built-in roles
/// (``builtinRoles``: `admin`, `reader`, `writer`, `config-reader`) are always available; a
/// binding that names a role that does not exist grants nothing.
///
/// ```swift
/// let access = AccessControl(
///     roles: [AccessRole(name: "db-reader", rules: [
///         AccessRule(actions: ["secretsmanager:GetSecretValue", "secretsmanager:Describe*"], secrets: ["db/*"])])],
///     bindings: [AccessBinding(name: "api-prod", role: "db-reader", principals: ["api"], environments: ["prod"])])
/// let decision = access.decide(request)   // .allowed(by: "role db-reader (binding api-prod), rule 1")
/// ```
///
/// ## Evaluation
/// Every rule of every role bound to the principal in the request's environment, and every
/// statement of the secret's resource policy (see ``PolicyStatement/applies(to:)``), is checked:
/// 1. an explicit deny anywhere wins (bindings in order, rules in order, then policy statements);
/// 2. otherwise the first allow found allows;
/// 3. otherwise the request is denied implicitly.
///
/// ## Matching
/// - Actions compare case-insensitively with IAM wildcards: `secretsmanager:Get*`, `*`.
/// - A secret pattern that starts with `arn:` matches the secret's ARN; any other pattern matches
///   its name. Both are case-sensitive, and `*` matches any run of characters **including `/`**
///   (IAM semantics), so `db/*` matches `db/a` and `db/a/b`, but not `db` itself; `?` matches one
///   character.
/// - A rule with `tags` matches only secrets carrying every one of those tags with exactly that value.
/// - A binding's environments are names, or `*` for every environment; its principals are names,
///   or `*` for every principal.
///
/// ## Requests that are not about one secret
/// `ListSecrets`, `GetRandomPassword` and the outer call of `BatchGetSecretValue` have no secret
/// (``AccessRequest/secret`` is `nil`, the resource is `*`). For them:
/// - an allow rule counts when its actions match, **whatever its secret patterns and tags** —
///   a principal who may list `db/*` may call `ListSecrets`;
/// - a deny rule counts only when it covers every secret: a pattern made of `*` alone and no tags.
///   A narrower deny instead hides the secrets it covers.
///
/// The caller then filters the answer per secret with ``canSee(_:for:)`` (for `ListSecrets`), or
/// checks each secret with its own action (`GetSecretValue` for each secret of `BatchGetSecretValue`).
public struct AccessControl: Equatable, Sendable {
    /// The roles defined by the operator (the built-in roles are added by ``allRoles``).
    public var roles: [AccessRole]
    public var bindings: [AccessBinding]

    public init(roles: [AccessRole] = [], bindings: [AccessBinding] = []) {
        self.roles = roles
        self.bindings = bindings
    }

    /// The built-in roles followed by ``roles``. A built-in role cannot be shadowed: the first
    /// role of a name is the one a binding gets.
    public var allRoles: [AccessRole] { Self.builtinRoles + roles }

    /// The role a binding refers to, if it exists.
    public func role(named name: String) -> AccessRole? {
        allRoles.first { $0.name == name }
    }

    /// The bindings that apply to `principal` in `environment`, each with its role (bindings to a
    /// role that does not exist are left out).
    public func bindings(of principal: String, in environment: EnvironmentName) -> [(binding: AccessBinding, role: AccessRole)] {
        bindings.compactMap { binding in
            guard binding.covers(principal: principal), binding.covers(environment: environment),
                  let role = role(named: binding.role) else { return nil }
            return (binding, role)
        }
    }

    /// Decides a request: explicit deny beats allow, and no allow means deny.
    public func decide(_ request: AccessRequest) -> AccessDecision {
        var firstAllow: String?
        for (binding, role) in bindings(of: request.principal, in: request.environment) {
            for (index, rule) in role.rules.enumerated() where rule.applies(to: request) {
                let by = "role \(role.name) (binding \(binding.name)), rule \(index + 1)"
                switch rule.effect {
                case .deny: return .denied(by: by + " (deny)", inResourcePolicy: false)
                case .allow: if firstAllow == nil { firstAllow = by }
                }
            }
        }
        if let policy = request.secret?.resourcePolicy {
            for (index, statement) in policy.statements.enumerated() where statement.applies(to: request) {
                let by = "resource policy statement " + (statement.sid.map { "'\($0)'" } ?? "\(index + 1)")
                switch statement.effect {
                case .deny: return .denied(by: by, inResourcePolicy: true)
                case .allow: if firstAllow == nil { firstAllow = by }
                }
            }
        }
        return firstAllow.map { .allowed(by: $0) } ?? .implicitDeny
    }

    /// Whether `secret` belongs in the answer to an account-level request such as `ListSecrets`:
    /// the request's action, decided as if it were about that secret (role rules with their
    /// patterns and tags, and the secret's resource policy).
    public func canSee(_ secret: SecretFacts, for request: AccessRequest) -> Bool {
        var scoped = request
        scoped.secret = secret
        return decide(scoped).isAllowed
    }

    /// `who-can`: the principals among `principals` that `request` would be allowed for, in the
    /// order given, without duplicates. `request.principal` is replaced by each candidate in turn.
    public func whoCan(_ request: AccessRequest, among principals: [String]) -> [String] {
        var seen = Set<String>()
        return principals.filter { principal in
            guard seen.insert(principal).inserted else { return false }
            var candidate = request
            candidate.principal = principal
            return decide(candidate).isAllowed
        }
    }
}

// MARK: - Roles, rules, bindings

/// Whether a rule (or a policy statement) grants or refuses.
public enum AccessEffect: String, Codable, Equatable, Sendable {
    case allow
    case deny
}

/// One rule of a role: the actions it allows (or denies) on the secrets it names.
///
/// As JSON or YAML: `{"actions": ["secretsmanager:Get*"], "secrets": ["db/*"], "effect": "deny",
/// "tags": {"sejf:kind": "config"}}`; `effect` defaults to `allow`, `tags` to none.
public struct AccessRule: Codable, Equatable, Sendable {
    public var effect: AccessEffect
    /// Action patterns: `*`, or `secretsmanager:` and an operation name with `*`/`?` wildcards.
    public var actions: [String]
    /// Secret patterns: ARN patterns (starting with `arn:`) match the ARN, others match the name.
    public var secrets: [String]
    /// Tags a secret must all carry, with exactly these values, for the rule to match it.
    public var tags: [String: String]?

    public init(effect: AccessEffect = .allow, actions: [String], secrets: [String], tags: [String: String]? = nil) {
        self.effect = effect
        self.actions = actions
        self.secrets = secrets
        self.tags = tags
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        effect = try c.decodeIfPresent(AccessEffect.self, forKey: .effect) ?? .allow
        actions = try c.decode([String].self, forKey: .actions)
        secrets = try c.decode([String].self, forKey: .secrets)
        tags = try c.decodeIfPresent([String: String].self, forKey: .tags)
    }

    /// Whether the rule's actions cover `action` (case-insensitively, as IAM).
    public func covers(action: String) -> Bool {
        actions.contains { PolicyPattern.matches($0, action, caseInsensitive: true) }
    }

    /// Whether the rule's secret patterns and tags cover `secret`.
    public func covers(secret: SecretFacts) -> Bool {
        let arn = secret.arn.description
        let named = secrets.contains { pattern in
            pattern.hasPrefix("arn:")
                ? PolicyPattern.matches(pattern, arn, caseInsensitive: false)
                : PolicyPattern.matches(pattern, secret.name, caseInsensitive: false)
        }
        guard named else { return false }
        return (tags ?? [:]).allSatisfy { key, value in
            secret.tags.contains { $0.key == key && $0.value == value }
        }
    }

    /// Whether the rule covers every secret: a pattern of `*` alone and no tags.
    public var coversEverySecret: Bool {
        (tags ?? [:]).isEmpty && secrets.contains { !$0.isEmpty && $0.allSatisfy { $0 == "*" } }
    }

    /// Whether the rule takes part in deciding `request` (see ``AccessControl`` for requests
    /// without a secret).
    func applies(to request: AccessRequest) -> Bool {
        guard covers(action: request.action) else { return false }
        guard let secret = request.secret else { return effect == .allow || coversEverySecret }
        return covers(secret: secret)
    }
}

/// A named list of rules.
///
/// As JSON or YAML: `{"name": "db-reader", "description": "…", "rules": [ … ]}`.
/// ``isBuiltIn`` is not part of the encoding: only ``AccessControl/builtinRoles`` are built in.
public struct AccessRole: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var rules: [AccessRule]
    /// Whether this is one of ``AccessControl/builtinRoles``.
    public var isBuiltIn: Bool

    public init(name: String, description: String = "", rules: [AccessRule], isBuiltIn: Bool = false) {
        self.name = name
        self.description = description
        self.rules = rules
        self.isBuiltIn = isBuiltIn
    }

    enum CodingKeys: String, CodingKey {
        case name, description, rules
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        rules = try c.decode([AccessRule].self, forKey: .rules)
        isBuiltIn = false
    }
}

/// Gives a role to principals in some environments.
///
/// As JSON or YAML: `{"name": "readers-dev", "role": "reader", "principals": ["alice", "api"],
/// "environments": ["dev"]}`. `*` in `principals` or `environments` means all of them.
public struct AccessBinding: Codable, Equatable, Sendable {
    public var name: String
    public var role: String
    public var principals: [String]
    public var environments: [String]

    public init(name: String, role: String, principals: [String], environments: [String]) {
        self.name = name
        self.role = role
        self.principals = principals
        self.environments = environments
    }

    public func covers(principal: String) -> Bool {
        principals.contains { $0 == "*" || $0 == principal }
    }

    public func covers(environment: EnvironmentName) -> Bool {
        environments.contains { $0 == "*" || $0 == environment.rawValue }
    }
}

// MARK: - Requests and decisions

/// What access control knows about the secret a request is about.
public struct SecretFacts: Equatable, Sendable {
    /// The secret's ARN (for `CreateSecret`, the ARN it will get).
    public var arn: SecretARN
    /// Its tags (for `CreateSecret`, the tags of the request).
    public var tags: [Tag]
    public var resourcePolicy: ResourcePolicy?

    public init(arn: SecretARN, tags: [Tag] = [], resourcePolicy: ResourcePolicy? = nil) {
        self.arn = arn
        self.tags = tags
        self.resourcePolicy = resourcePolicy
    }

    /// The secret's name (from its ARN).
    public var name: String { arn.name }
}

/// One request to decide: who, what, on which secret, in which environment, and the request
/// context resource-policy conditions can test. Every input is given; nothing is read here.
public struct AccessRequest: Equatable, Sendable {
    /// The principal's name.
    public var principal: String
    /// The account id (12 digits) the principal and the secrets belong to.
    public var account: String
    /// The environment (the AWS region of the request).
    public var environment: EnvironmentName
    /// The action, such as `secretsmanager:GetSecretValue`.
    public var action: String
    /// The secret, or `nil` for a request that is not about one secret (resource `*`).
    public var secret: SecretFacts?
    /// The client address (`aws:SourceIp`); `nil` when unknown, as for `who-can`.
    public var sourceIp: String?
    /// The time of the request, in seconds since 1970 (`aws:CurrentTime`, `aws:EpochTime`).
    public var now: Double

    public init(principal: String, account: String, environment: EnvironmentName, action: String,
                secret: SecretFacts? = nil, sourceIp: String? = nil, now: Double) {
        self.principal = principal
        self.account = account
        self.environment = environment
        self.action = action
        self.secret = secret
        self.sourceIp = sourceIp
        self.now = now
    }

    /// `secretsmanager:` and an operation name.
    public init(principal: String, account: String, environment: EnvironmentName, operation: String,
                secret: SecretFacts? = nil, sourceIp: String? = nil, now: Double) {
        self.init(principal: principal, account: account, environment: environment,
                  action: "\(PolicyAction.service):\(operation)", secret: secret, sourceIp: sourceIp, now: now)
    }

    /// The caller as IAM names it: `arn:aws:iam::<account>:user/<principal>`.
    public var principalARN: String { "arn:aws:iam::\(account):user/\(principal)" }

    /// The resource as IAM names it: the secret's ARN, or `*`.
    public var resource: String { secret?.arn.description ?? "*" }
}

/// The outcome of ``AccessControl/decide(_:)``, naming what decided, for `sejf can-i`, the audit
/// trail and AWS's `AccessDeniedException`.
public enum AccessDecision: Equatable, Sendable, CustomStringConvertible {
    /// Allowed by a role rule (`role reader (binding readers-dev), rule 1`) or a resource policy
    /// statement (`resource policy statement 'ReadForApi'`, or `resource policy statement 2`
    /// without a `Sid`).
    case allowed(by: String)
    /// Denied explicitly by a role rule (`role ops (binding ops-all), rule 2 (deny)`) or a
    /// resource policy statement (`inResourcePolicy`).
    case denied(by: String, inResourcePolicy: Bool)
    /// Nothing allows the request.
    case implicitDeny

    public var isAllowed: Bool {
        if case .allowed = self { true } else { false }
    }

    /// `allowed by …`, `denied by …`, or `denied: nothing allows it`.
    public var description: String {
        switch self {
        case .allowed(let by): "allowed by \(by)"
        case .denied(let by, _): "denied by \(by)"
        case .implicitDeny: "denied: no role or resource policy allows it"
        }
    }
}

// MARK: - AWS's AccessDeniedException

extension AccessDecision {
    /// AWS's `AccessDeniedException` message for a denied `request`, or `nil` when allowed:
    ///
    /// - implicit: `User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
    ///   secretsmanager:GetSecretValue on resource: <secret ARN or *> because no identity-based
    ///   policy allows the secretsmanager:GetSecretValue action`
    /// - a role rule's deny: `… with an explicit deny in an identity-based policy`
    /// - a resource policy's deny: `… with an explicit deny in a resource-based policy`
    ///
    /// Roles play the part of IAM identity-based policies. The message names the policy type only,
    /// never the role, binding or statement (those go to the audit trail).
    public func accessDeniedMessage(for request: AccessRequest) -> String? {
        let head = "User: \(request.principalARN) is not authorized to perform: \(request.action) on resource: \(request.resource)"
        switch self {
        case .allowed: return nil
        case .implicitDeny: return "\(head) because no identity-based policy allows the \(request.action) action"
        case .denied(_, let inResourcePolicy):
            return "\(head) with an explicit deny in \(inResourcePolicy ? "a resource-based" : "an identity-based") policy"
        }
    }

    /// The `AccessDeniedException` for a denied `request`, or `nil` when allowed.
    public func accessDeniedError(for request: AccessRequest) -> SejfError? {
        accessDeniedMessage(for: request).map { SejfError(.accessDenied, $0) }
    }
}
