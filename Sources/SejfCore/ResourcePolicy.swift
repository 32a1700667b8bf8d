import Foundation  // JSONDecoder only: parsing, no I/O

/// A secret's resource policy (IAM JSON, from `PutResourcePolicy`), parsed for evaluation.
///
/// ```json
/// {"Version": "2012-10-17",
///  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/api"},
///                 "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
/// ```
///
/// Parsing follows the IAM policy grammar for resource policies: `Version` (`2012-10-17` or
/// `2008-10-17`, optional), `Id`, and `Statement` (one object or a non-empty array). Each statement
/// has `Effect`, exactly one of `Principal`/`NotPrincipal`, exactly one of `Action`/`NotAction`,
/// exactly one of `Resource`/`NotResource`, and optionally `Sid` and `Condition`. Unknown keys are
/// errors.
public struct ResourcePolicy: Equatable, Sendable {
    public static let maxLength = 20_480
    public static let versions = ["2012-10-17", "2008-10-17"]

    public var version: String?
    public var id: String?
    public var statements: [PolicyStatement]

    public init(version: String? = "2012-10-17", id: String? = nil, statements: [PolicyStatement]) {
        self.version = version
        self.id = id
        self.statements = statements
    }

    /// Parses a policy document.
    /// - Throws: `ValidationException` for a length outside 1–20,480; `MalformedPolicyDocumentException`
    ///   with the first syntax error.
    public init(json: String) throws {
        let (policy, errors) = try Self.parse(json)
        if let first = errors.first { throw SejfError(.malformedPolicyDocument, first) }
        self = policy!
    }

    /// `PutResourcePolicy`: parses the document and, with `BlockPublicPolicy`, refuses a public one.
    /// - Throws: as ``init(json:)``, and `PublicPolicyException` when `blockPublicPolicy` is set
    ///   and the policy is public (see ``isPublic``).
    public static func forPut(_ json: String, blockPublicPolicy: Bool) throws -> ResourcePolicy {
        let policy = try ResourcePolicy(json: json)
        if blockPublicPolicy, policy.isPublic {
            throw SejfError(.publicPolicy,
                "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")
        }
        return policy
    }

    /// `ValidateResourcePolicy`: every finding of the syntax and public-access checks.
    ///
    /// Syntax errors, actions that are not Secrets Manager actions, actions that match no
    /// Secrets Manager operation, and conditions Sejf cannot evaluate are `SYNTAX_CHECK` findings; an `Allow` for any principal is a
    /// `PUBLIC_POLICY_CHECK` finding.
    /// - Throws: `ValidationException` for a length outside 1–20,480; `MalformedPolicyDocumentException`
    ///   when the text is not a JSON object at all.
    public static func validate(_ json: String) throws -> PolicyValidation {
        let (policy, errors) = try parse(json)
        var findings = errors.map { PolicyFinding(checkName: PolicyFinding.syntaxCheck, errorMessage: $0) }
        if let policy {
            for statement in policy.statements {
                for action in statement.actions.patterns where !PolicyAction.isKnown(action) {
                    findings.append(PolicyFinding(checkName: PolicyFinding.syntaxCheck,
                        errorMessage: "\(statement.label) contains the action '\(action)', which matches no Secrets Manager action."))
                }
                // Sejf evaluates a condition it does not know as "does not match": say so, since
                // that silently disables a Deny statement.
                for condition in statement.conditions where !condition.isSupported {
                    findings.append(PolicyFinding(checkName: PolicyFinding.syntaxCheck,
                        errorMessage: "\(statement.label) uses the condition \(condition.op) on \(condition.key), which Sejf does not evaluate: the statement will never apply."))
                }
            }
            for statement in policy.statements where statement.isPublic {
                findings.append(PolicyFinding(checkName: PolicyFinding.publicPolicyCheck,
                    errorMessage: "\(statement.label) allows access to any principal: the policy grants broad access to the secret."))
            }
        }
        return PolicyValidation(errors: findings)
    }

    /// Whether the policy grants access to anyone: an `Allow` statement whose principal is `*`
    /// (or `{"AWS": "*"}`), or that uses `NotPrincipal`. Conditions are not considered, so a
    /// wildcard principal narrowed by a condition still counts as public.
    public var isPublic: Bool { statements.contains(where: \.isPublic) }

    // MARK: - Parsing

    /// The policy (when the document has the shape of one) and every syntax error found.
    static func parse(_ json: String) throws -> (ResourcePolicy?, [String]) {
        try SejfError.checkLength("resourcePolicy", json.count, min: 1, max: maxLength)
        guard let value = try? JSONDecoder().decode(PolicyJSON.self, from: Data(json.utf8)), case .object(let root) = value else {
            throw SejfError(.malformedPolicyDocument, "This resource policy contains a syntax error: the policy must be a JSON object.")
        }
        var errors: [String] = []
        for key in root.keys.sorted() where !["Version", "Id", "Statement"].contains(key) {
            errors.append("This resource policy contains an unsupported top-level element: \(key).")
        }
        var version: String?
        switch root["Version"] {
        case nil: break
        case .string(let v) where versions.contains(v): version = v
        default: errors.append("This resource policy contains an invalid Version: it must be \"2012-10-17\" or \"2008-10-17\".")
        }
        var id: String?
        switch root["Id"] {
        case nil: break
        case .string(let v): id = v
        default: errors.append("This resource policy contains an invalid Id: it must be a string.")
        }
        let rawStatements: [PolicyJSON]
        switch root["Statement"] {
        case .object(let o): rawStatements = [.object(o)]
        case .array(let a) where !a.isEmpty: rawStatements = a
        case nil, .array: rawStatements = []; errors.append("This resource policy contains no statement: Statement is required.")
        default: rawStatements = []; errors.append("This resource policy contains an invalid Statement: it must be an object or an array of objects.")
        }
        var statements: [PolicyStatement] = []
        for (i, raw) in rawStatements.enumerated() {
            if let statement = PolicyStatement.parse(raw, index: i, errors: &errors) { statements.append(statement) }
        }
        return (errors.isEmpty ? ResourcePolicy(version: version, id: id, statements: statements) : nil, errors)
    }
}

/// One statement of a resource policy.
public struct PolicyStatement: Equatable, Sendable {
    public var sid: String?
    public var effect: PolicyEffect
    /// `Principal`, or `NotPrincipal` when `principal.negated`.
    public var principal: PolicyPrincipal
    /// `Action` or `NotAction`.
    public var actions: PolicyElement
    /// `Resource` or `NotResource`.
    public var resources: PolicyElement
    public var conditions: [PolicyCondition]

    public init(
        sid: String? = nil, effect: PolicyEffect, principal: PolicyPrincipal, actions: PolicyElement,
        resources: PolicyElement = .only(["*"]), conditions: [PolicyCondition] = []
    ) {
        self.sid = sid
        self.effect = effect
        self.principal = principal
        self.actions = actions
        self.resources = resources
        self.conditions = conditions
    }

    /// An `Allow` for any principal (see ``ResourcePolicy/isPublic``).
    public var isPublic: Bool {
        effect == .allow && (principal.negated || principal.isWildcard)
    }

    /// How findings name the statement: by `Sid`, or by position.
    var label: String { sid.map { "Statement '\($0)'" } ?? "A statement" }

    static let keys: Set = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]

    fileprivate static func parse(_ raw: PolicyJSON, index: Int, errors: inout [String]) -> PolicyStatement? {
        let start = errors.count
        guard case .object(let o) = raw else {
            errors.append("Statement \(index + 1) must be a JSON object.")
            return nil
        }
        var sid: String?
        switch o["Sid"] {
        case nil: break
        case .string(let s): sid = s
        default: errors.append("Statement \(index + 1) has an invalid Sid: it must be a string.")
        }
        let name = sid.map { "Statement '\($0)'" } ?? "Statement \(index + 1)"
        for key in o.keys.sorted() where !keys.contains(key) {
            errors.append("\(name) contains an unsupported element: \(key).")
        }

        var effect: PolicyEffect?
        switch o["Effect"] {
        case nil: errors.append("\(name) is missing the required element Effect.")
        case .string(let e) where PolicyEffect(rawValue: e) != nil: effect = PolicyEffect(rawValue: e)
        default: errors.append("\(name) has an invalid Effect: it must be \"Allow\" or \"Deny\".")
        }

        let principal = PolicyPrincipal.parse(o["Principal"], o["NotPrincipal"], name: name, errors: &errors)
        let actions = PolicyElement.parse(o["Action"], o["NotAction"], element: "Action", name: name, errors: &errors)
        let resources = PolicyElement.parse(o["Resource"], o["NotResource"], element: "Resource", name: name, errors: &errors)
        let conditions = PolicyCondition.parse(o["Condition"], name: name, errors: &errors)

        guard errors.count == start, let effect, let principal, let actions, let resources else { return nil }
        return PolicyStatement(sid: sid, effect: effect, principal: principal, actions: actions,
                               resources: resources, conditions: conditions)
    }
}

public enum PolicyEffect: String, Equatable, Sendable {
    case allow = "Allow"
    case deny = "Deny"
}

/// `Principal` / `NotPrincipal`: `"*"`, or a map of principal types (`AWS`, `Service`,
/// `Federated`, `CanonicalUser`) to identifiers. Sejf matches `AWS` principals; other types are
/// kept as written.
public struct PolicyPrincipal: Equatable, Sendable {
    /// Principal type → identifiers; `nil` for the bare `"*"`.
    public var map: [String: [String]]?
    /// Whether this is `NotPrincipal`.
    public var negated: Bool

    public init(map: [String: [String]]?, negated: Bool = false) {
        self.map = map
        self.negated = negated
    }

    /// `"Principal": "*"`.
    public static let anyone = PolicyPrincipal(map: nil)

    /// `"Principal": {"AWS": [...]}`.
    public static func aws(_ identifiers: [String]) -> PolicyPrincipal { PolicyPrincipal(map: ["AWS": identifiers]) }

    /// The `AWS` identifiers (account ids, ARNs, `*`).
    public var awsIdentifiers: [String] { map?["AWS"] ?? [] }

    /// `"*"` or `{"AWS": "*"}` (also inside a list).
    public var isWildcard: Bool { map == nil || awsIdentifiers.contains("*") }

    static let types: Set = ["AWS", "Service", "Federated", "CanonicalUser"]

    fileprivate static func parse(_ principal: PolicyJSON?, _ notPrincipal: PolicyJSON?, name: String, errors: inout [String]) -> PolicyPrincipal? {
        let (element, value, negated): (String, PolicyJSON, Bool)
        switch (principal, notPrincipal) {
        case (.some, .some):
            errors.append("\(name) can't contain both Principal and NotPrincipal.")
            return nil
        case (nil, nil):
            errors.append("\(name) is missing the required element Principal.")
            return nil
        case (.some(let p), nil): (element, value, negated) = ("Principal", p, false)
        case (nil, .some(let p)): (element, value, negated) = ("NotPrincipal", p, true)
        }
        switch value {
        case .string("*"):
            return PolicyPrincipal(map: nil, negated: negated)
        case .object(let o) where !o.isEmpty:
            var map: [String: [String]] = [:]
            for (type, ids) in o {
                guard types.contains(type) else {
                    errors.append("\(name) has an unsupported \(element) type: \(type).")
                    return nil
                }
                guard let list = ids.stringList, list.allSatisfy({ !$0.isEmpty }) else {
                    errors.append("\(name) has an invalid \(element): \(type) must be a string or a non-empty array of strings.")
                    return nil
                }
                map[type] = list
            }
            return PolicyPrincipal(map: map, negated: negated)
        default:
            errors.append("\(name) has an invalid \(element): it must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}.")
            return nil
        }
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns with `*` and `?` wildcards.
public enum PolicyElement: Equatable, Sendable {
    /// `Action` / `Resource`: matches what one of the patterns matches.
    case only([String])
    /// `NotAction` / `NotResource`: matches what none of the patterns matches.
    case except([String])

    public var patterns: [String] {
        switch self {
        case .only(let p), .except(let p): p
        }
    }

    /// Whether `value` is covered. Actions compare case-insensitively, as in IAM; resources
    /// (ARNs) case-sensitively.
    public func matches(_ value: String, caseInsensitive: Bool) -> Bool {
        let hit = patterns.contains { PolicyPattern.matches($0, value, caseInsensitive: caseInsensitive) }
        return switch self {
        case .only: hit
        case .except: !hit
        }
    }

    fileprivate static func parse(_ positive: PolicyJSON?, _ negative: PolicyJSON?, element: String, name: String, errors: inout [String]) -> PolicyElement? {
        let (key, value, make): (String, PolicyJSON, ([String]) -> PolicyElement)
        switch (positive, negative) {
        case (.some, .some):
            errors.append("\(name) can't contain both \(element) and Not\(element).")
            return nil
        case (nil, nil):
            errors.append("\(name) is missing the required element \(element) (or Not\(element)).")
            return nil
        case (.some(let v), nil): (key, value, make) = (element, v, PolicyElement.only)
        case (nil, .some(let v)): (key, value, make) = ("Not\(element)", v, PolicyElement.except)
        }
        guard let list = value.stringList, list.allSatisfy({ !$0.isEmpty }) else {
            errors.append("\(name) has an invalid \(key): it must be a string or a non-empty array of strings.")
            return nil
        }
        if element == "Action" {
            for action in list where !PolicyAction.isWellFormed(action) {
                errors.append("\(name) has an invalid action '\(action)': use \"*\" or service:action, as in \"secretsmanager:GetSecretValue\".")
                return nil
            }
        }
        return make(list)
    }
}

/// One condition: `"Condition": {operator: {key: value(s)}}`, flattened. Numbers and booleans are
/// kept as their JSON text (`"true"`, `"42"`).
public struct PolicyCondition: Equatable, Sendable {
    /// The condition operator, such as `StringEquals` or `ArnLike`.
    public var op: String
    /// The condition key, such as `aws:PrincipalAccount`.
    public var key: String
    public var values: [String]

    public init(op: String, key: String, values: [String]) {
        self.op = op
        self.key = key
        self.values = values
    }

    fileprivate static func parse(_ raw: PolicyJSON?, name: String, errors: inout [String]) -> [PolicyCondition] {
        guard let raw else { return [] }
        guard case .object(let ops) = raw else {
            errors.append("\(name) has an invalid Condition: it must be an object of operators.")
            return []
        }
        var conditions: [PolicyCondition] = []
        for op in ops.keys.sorted() {
            guard case .object(let keys) = ops[op]!, !keys.isEmpty else {
                errors.append("\(name) has an invalid Condition: \(op) must be an object of condition keys.")
                return []
            }
            for key in keys.keys.sorted() {
                guard let values = keys[key]!.scalarList else {
                    errors.append("\(name) has an invalid Condition: the value of \(op) \(key) must be a string, number, boolean or a non-empty array of them.")
                    return []
                }
                conditions.append(PolicyCondition(op: op, key: key, values: values))
            }
        }
        return conditions
    }
}

/// The Secrets Manager actions a policy can name (`secretsmanager:` + an operation of the
/// service model).
public enum PolicyAction {
    public static let service = "secretsmanager"
    public static let operations = [
        "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy", "DeleteSecret",
        "DescribeSecret", "GetRandomPassword", "GetResourcePolicy", "GetSecretValue", "ListSecretVersionIds",
        "ListSecrets", "PutResourcePolicy", "PutSecretValue", "RemoveRegionsFromReplication",
        "ReplicateSecretToRegions", "RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource",
        "UntagResource", "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy",
    ]
    public static let all = operations.map { "\(service):\($0)" }

    /// `*`, or `service:action` where the service is ASCII letters, digits and `-`, and the
    /// action ASCII letters, digits and the wildcards `*` and `?` (IAM ignores their case).
    static func isWellFormed(_ action: String) -> Bool {
        if action == "*" { return true }
        let parts = action.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        func alphanumeric(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        return parts[0].unicodeScalars.allSatisfy { alphanumeric($0) || $0 == "-" }
            && parts[1].unicodeScalars.allSatisfy { alphanumeric($0) || $0 == "*" || $0 == "?" }
    }

    /// Whether a (well-formed) action pattern matches at least one Secrets Manager action.
    static func isKnown(_ pattern: String) -> Bool {
        all.contains { PolicyPattern.matches(pattern, $0, caseInsensitive: true) }
    }
}

/// IAM wildcard matching: `*` any run of characters (also empty), `?` any one character.
public enum PolicyPattern {
    public static func matches(_ pattern: String, _ value: String, caseInsensitive: Bool) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)
        let v = Array((caseInsensitive ? value.lowercased() : value).unicodeScalars)
        var (pi, vi) = (0, 0)
        var star: Int?, resume = 0
        while vi < v.count {
            if pi < p.count, p[pi] == "?" || p[pi] == v[vi] {
                pi += 1; vi += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; resume = vi; pi += 1
            } else if let s = star {
                pi = s + 1; resume += 1; vi = resume
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// The answer of `ValidateResourcePolicy`.
public struct PolicyValidation: Equatable, Sendable {
    /// `ValidationErrors`.
    public var errors: [PolicyFinding]
    /// `PolicyValidationPassed`.
    public var passed: Bool { errors.isEmpty }

    public init(errors: [PolicyFinding]) { self.errors = errors }
}

/// One `ValidationErrorsEntry`: `CheckName` and `ErrorMessage`.
public struct PolicyFinding: Equatable, Sendable {
    public static let syntaxCheck = "SYNTAX_CHECK"
    public static let publicPolicyCheck = "PUBLIC_POLICY_CHECK"

    public var checkName: String
    public var errorMessage: String

    public init(checkName: String, errorMessage: String) {
        self.checkName = checkName
        self.errorMessage = errorMessage
    }
}

/// Just enough JSON to tell strings, numbers, booleans, arrays and objects apart.
private enum PolicyJSON: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([PolicyJSON]), object([String: PolicyJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([PolicyJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: PolicyJSON].self)) }
    }

    /// A string, or a non-empty array of strings.
    var stringList: [String]? {
        switch self {
        case .string(let s): return [s]
        case .array(let a) where !a.isEmpty:
            let strings = a.compactMap { if case .string(let s) = $0 { s } else { nil } }
            return strings.count == a.count ? strings : nil
        default: return nil
        }
    }

    /// A scalar (string, number, boolean) or a non-empty array of them, as text.
    var scalarList: [String]? {
        switch self {
        case .array(let a) where !a.isEmpty:
            let texts = a.compactMap(\.scalarText)
            return texts.count == a.count ? texts : nil
        default:
            return scalarText.map { [$0] }
        }
    }

    var scalarText: String? {
        switch self {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        default: nil
        }
    }
}
