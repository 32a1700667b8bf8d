import Foundation
import SejfCore
import SejfService
import Yams

/// The access file of `sejf apply` (`schemas/access.schema.json`), read into an `AccessDocument`.
///
/// The YAML (or JSON) is composed into Yams nodes and every field is checked before anything is
/// built, so a file that does not match is refused as a whole, with one line that names the file,
/// the line and column, and the field:
///
///     access.yaml:14:11: field 'roles[1].rules[0].actions[1]': 'secretsmanager:GetSecret' matches no Secrets Manager action …
///
/// Beyond the schema, the checks that need the data directory are made here too, with their line:
/// a binding's role, principals and environments must exist (or be defined in the same file).
/// The service validates again before its single transaction; nothing is half-applied.
///
/// ```yaml
/// principals:
///   - name: api-prod
/// roles:
///   - name: api-runtime
///     rules:
///       - actions: [secretsmanager:GetSecretValue]
///         secrets: ["db/*"]
/// bindings:
///   - name: api-runtime-prod
///     role: api-runtime
///     principals: [api-prod]
///     environments: [prod]
/// ```
enum AccessFile {
    /// What the data directory already has: a binding may name these as well as the file's own.
    struct Existing {
        var roles: Set<String>
        var principals: Set<String>
        var environments: Set<String>
    }

    /// Parses and checks `text`, read from `file` (named in every error).
    /// - Throws: `CommandLineFailure` with `FILE:LINE:COLUMN: field 'PATH': problem`.
    static func parse(_ text: String, file: String, existing: Existing) throws -> AccessDocument {
        let reader = Reader(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw reader.failure(nil, "", "is empty: give principals, roles and/or bindings")
            }
            root = node
        } catch let error as YamlError {
            throw reader.failure(error)
        }
        return try reader.document(root, existing: existing)
    }
}

/// Walks the node tree; every failure carries the offending node's position.
private struct Reader {
    let file: String

    /// `FILE:LINE:COLUMN: field 'PATH': problem` (without the position or field when unknown).
    func failure(_ mark: Mark?, _ field: String, _ problem: String) -> CommandLineFailure {
        let place = mark.map { "\(file):\($0.line):\($0.column)" } ?? file
        return CommandLineFailure("\(place): \(field.isEmpty ? "" : "field '\(field)': ")\(problem)")
    }

    func failure(_ error: YamlError) -> CommandLineFailure {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let detail = context.map { "\($0.text) \(problem)" } ?? problem
            return failure(mark, "", "not valid YAML: \(detail)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return failure(context.mark, "", "the key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) appears twice in one mapping")
        case let .reader(problem, _, _, _):
            return failure(nil, "", "cannot be read as YAML text: \(problem)")
        default:
            return failure(nil, "", "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }

    // MARK: The document

    func document(_ root: Node, existing: AccessFile.Existing) throws -> AccessDocument {
        let fields = try mapping(root, "", known: ["principals", "roles", "bindings"], required: [])
        guard !fields.isEmpty else { throw failure(root.mark, "", "gives no principals, roles or bindings") }

        var principals: [AccessDocument.PrincipalEntry] = []
        if let node = fields["principals"] {
            var seen = Set<String>()
            for (index, item) in try list(node, "principals").enumerated() {
                let entry = try principal(item, "principals[\(index)]")
                guard seen.insert(entry.name).inserted else {
                    throw failure(item.mark, "principals[\(index)].name", "the principal '\(entry.name)' is listed twice")
                }
                principals.append(entry)
            }
        }

        var roles: [AccessRole] = []
        if let node = fields["roles"] {
            var seen = Set<String>()
            for (index, item) in try list(node, "roles").enumerated() {
                let role = try role(item, "roles[\(index)]")
                guard seen.insert(role.name).inserted else {
                    throw failure(item.mark, "roles[\(index)].name", "the role '\(role.name)' is defined twice")
                }
                roles.append(role)
            }
        }

        var bindings: [AccessBinding] = []
        if let node = fields["bindings"] {
            let context = BindingContext(roles: existing.roles.union(roles.map(\.name)),
                                         principals: existing.principals.union(principals.map(\.name)),
                                         environments: existing.environments)
            var seen = Set<String>()
            for (index, item) in try list(node, "bindings").enumerated() {
                let binding = try binding(item, "bindings[\(index)]", context)
                guard seen.insert(binding.name).inserted else {
                    throw failure(item.mark, "bindings[\(index)].name", "the binding '\(binding.name)' is defined twice")
                }
                bindings.append(binding)
            }
        }

        return AccessDocument(principals: fields["principals"] == nil ? nil : principals,
                              roles: fields["roles"] == nil ? nil : roles,
                              bindings: fields["bindings"] == nil ? nil : bindings)
    }

    private func principal(_ node: Node, _ path: String) throws -> AccessDocument.PrincipalEntry {
        let fields = try mapping(node, path, known: ["name", "description"], required: ["name"])
        let nameNode = fields["name"]!
        let name = try string(nameNode, path + ".name")
        guard AccessNames.isPrincipalName(name) else {
            throw failure(nameNode.mark, path + ".name", "'\(name.prefix(64))' is not a principal name: use 1-64 letters, digits or +=,.@_-")
        }
        let description = try fields["description"].map { try self.description($0, path + ".description") }
        return AccessDocument.PrincipalEntry(name: name, description: description)
    }

    private func role(_ node: Node, _ path: String) throws -> AccessRole {
        let fields = try mapping(node, path, known: ["name", "description", "rules"], required: ["name", "rules"])
        let nameNode = fields["name"]!
        let name = try string(nameNode, path + ".name")
        if AccessNames.isBuiltInRole(name) {
            throw failure(nameNode.mark, path + ".name", "'\(name)' is a built-in role and cannot be redefined; give your role another name")
        }
        guard AccessNames.isRoleName(name) else {
            throw failure(nameNode.mark, path + ".name", "'\(name.prefix(64))' is not a role name: use 1-64 lower-case letters, digits or '-'")
        }
        let description = try fields["description"].map { try self.description($0, path + ".description") } ?? ""
        let rules = try list(fields["rules"]!, path + ".rules", nonEmpty: "give at least one rule")
            .enumerated().map { try rule($1, "\(path).rules[\($0)]") }
        return AccessRole(name: name, description: description, rules: rules)
    }

    private func rule(_ node: Node, _ path: String) throws -> AccessRule {
        let fields = try mapping(node, path, known: ["effect", "actions", "secrets", "tags"], required: ["actions", "secrets"])
        var effect = AccessEffect.allow
        if let effectNode = fields["effect"] {
            let text = try string(effectNode, path + ".effect")
            guard let value = AccessEffect(rawValue: text) else {
                throw failure(effectNode.mark, path + ".effect", "'\(text.prefix(64))' is not an effect: use allow or deny")
            }
            effect = value
        }
        var actions: [String] = []
        for (index, item) in try list(fields["actions"]!, path + ".actions", nonEmpty: "give at least one action").enumerated() {
            let action = try string(item, "\(path).actions[\(index)]")
            guard AccessNames.isAction(action) else {
                let qualified = AccessNames.qualified(action)
                let hint = qualified != action && AccessNames.isAction(qualified)
                    ? "write '\(qualified)'"
                    : "use \"*\" or secretsmanager: and an operation, as in secretsmanager:GetSecretValue or secretsmanager:Describe*"
                throw failure(item.mark, "\(path).actions[\(index)]", "'\(action.prefix(128))' matches no Secrets Manager action: \(hint)")
            }
            actions.append(action)
        }
        var secrets: [String] = []
        for (index, item) in try list(fields["secrets"]!, path + ".secrets", nonEmpty: "give at least one pattern, such as \"db/*\" or \"*\"").enumerated() {
            let pattern = try string(item, "\(path).secrets[\(index)]")
            guard AccessNames.isSecretPattern(pattern) else {
                throw failure(item.mark, "\(path).secrets[\(index)]", "'\(pattern.prefix(128))' is not a secret name or ARN pattern: use the characters of secret names (A-Za-z0-9/_+=.@-) with * and ?, as in \"db/*\", or an ARN starting with arn:")
            }
            secrets.append(pattern)
        }
        var tags: [String: String]?
        if let tagsNode = fields["tags"] {
            var conditions: [String: String] = [:]
            for (keyNode, valueNode) in try pairs(tagsNode, path + ".tags") {
                let key = try string(keyNode, path + ".tags")
                let value = try string(valueNode, "\(path).tags.\(key)")
                guard AccessNames.isTagCondition(key: key, value: "") else {
                    throw failure(keyNode.mark, "\(path).tags.\(key.prefix(128))", "is not a tag key: use 1-128 letters, digits, spaces or _.:/=+-@")
                }
                guard AccessNames.isTagCondition(key: key, value: value) else {
                    throw failure(valueNode.mark, "\(path).tags.\(key)", "is not a tag value: use at most 256 letters, digits, spaces or _.:/=+-@")
                }
                conditions[key] = value
            }
            tags = conditions
        }
        return AccessRule(effect: effect, actions: actions, secrets: secrets, tags: tags)
    }

    private struct BindingContext {
        var roles: Set<String>
        var principals: Set<String>
        var environments: Set<String>
    }

    private func binding(_ node: Node, _ path: String, _ context: BindingContext) throws -> AccessBinding {
        let fields = try mapping(node, path, known: ["name", "role", "principals", "environments"],
                                 required: ["name", "role", "principals", "environments"])
        let nameNode = fields["name"]!
        let name = try string(nameNode, path + ".name")
        guard AccessNames.isBindingName(name) else {
            throw failure(nameNode.mark, path + ".name", "'\(name.prefix(64))' is not a binding name: use 1-64 lower-case letters, digits or '-'")
        }
        let roleNode = fields["role"]!
        let role = try string(roleNode, path + ".role")
        guard context.roles.contains(role) else {
            throw failure(roleNode.mark, path + ".role", "the role '\(role.prefix(64))' does not exist (roles: \(context.roles.sorted().joined(separator: ", ")))")
        }
        var principals: [String] = []
        for (index, item) in try list(fields["principals"]!, path + ".principals", nonEmpty: "give at least one principal, or \"*\" for all").enumerated() {
            let principal = try string(item, "\(path).principals[\(index)]")
            if principal != "*" {
                guard AccessNames.isPrincipalName(principal) else {
                    throw failure(item.mark, "\(path).principals[\(index)]", "'\(principal.prefix(64))' is not a principal name: use 1-64 letters, digits or +=,.@_-, or \"*\" for all")
                }
                guard context.principals.contains(principal) else {
                    throw failure(item.mark, "\(path).principals[\(index)]", "the principal '\(principal)' does not exist: list it under principals, or create it with `sejf principal create`")
                }
            }
            if !principals.contains(principal) { principals.append(principal) }
        }
        var environments: [String] = []
        for (index, item) in try list(fields["environments"]!, path + ".environments", nonEmpty: "give at least one environment, or \"*\" for all").enumerated() {
            let environment = try string(item, "\(path).environments[\(index)]")
            if environment != "*" {
                guard EnvironmentName.isValid(environment) else {
                    throw failure(item.mark, "\(path).environments[\(index)]", "'\(environment.prefix(64))' is not an environment name: use names such as prod, or \"*\" for all")
                }
                guard context.environments.contains(environment) else {
                    throw failure(item.mark, "\(path).environments[\(index)]", "the environment '\(environment)' does not exist (environments: \(context.environments.sorted().joined(separator: ", ")))")
                }
            }
            if !environments.contains(environment) { environments.append(environment) }
        }
        return AccessBinding(name: name, role: role, principals: principals, environments: environments)
    }

    // MARK: Shapes

    /// A mapping whose keys are strings among `known`, with every key of `required`.
    private func mapping(_ node: Node, _ path: String, known: [String], required: [String]) throws -> [String: Node] {
        var fields: [String: Node] = [:]
        for (keyNode, value) in try pairs(node, path) {
            let key = try string(keyNode, path)
            let field = path.isEmpty ? key : "\(path).\(key)"
            guard known.contains(key) else {
                throw failure(keyNode.mark, field, "is not a known field (known: \(known.joined(separator: ", ")))")
            }
            fields[key] = value
        }
        for key in required where fields[key] == nil {
            throw failure(node.mark, path.isEmpty ? key : "\(path).\(key)", "is required")
        }
        return fields
    }

    private func pairs(_ node: Node, _ path: String) throws -> [(Node, Node)] {
        guard let mapping = node.mapping else {
            let what = path.isEmpty ? "the file must be a mapping of principals, roles and/or bindings" : "must be a mapping"
            throw failure(node.mark, path, "\(what), not \(Self.kind(node))")
        }
        return mapping.map { ($0.key, $0.value) }
    }

    private func list(_ node: Node, _ path: String, nonEmpty: String? = nil) throws -> [Node] {
        guard let sequence = node.sequence else { throw failure(node.mark, path, "must be a list, not \(Self.kind(node))") }
        if let nonEmpty, sequence.isEmpty { throw failure(node.mark, path, "is empty: \(nonEmpty)") }
        return Array(sequence)
    }

    /// A scalar that YAML resolves to a string (not `123`, `true` or an empty value).
    private func string(_ node: Node, _ path: String) throws -> String {
        guard let scalar = node.scalar, node.tag == Tag(.str) else {
            let quote = node.scalar.map { " (quote it: \"\($0.string)\")" } ?? ""
            throw failure(node.mark, path, "must be a string, not \(Self.kind(node))\(node.tag == Tag(.null) ? "" : quote)")
        }
        return scalar.string
    }

    private func description(_ node: Node, _ path: String) throws -> String {
        let text = try string(node, path)
        guard text.count <= 1000 else { throw failure(node.mark, path, "is longer than 1000 characters") }
        return text
    }

    private static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch node.tag {
            case Tag(.str): return "a string"
            case Tag(.null): return "empty"
            case Tag(.bool): return "true/false"
            case Tag(.int), Tag(.float): return "a number"
            case Tag(.timestamp): return "a date"
            default: return "a \(node.tag) value"
            }
        }
    }
}

/// The naming and pattern rules of roles, bindings and principals, asked of `SejfCore`'s
/// validation (through a one-rule probe) so that the rules live in one place.
enum AccessNames {
    static func isBuiltInRole(_ name: String) -> Bool {
        AccessControl.builtinRoles.contains { $0.name == name }
    }

    /// 1-64 of `a-z`, `0-9`, `-` (and not a built-in role's name).
    static func isRoleName(_ name: String) -> Bool {
        valid(role: AccessRole(name: name, rules: [AccessRule(actions: ["*"], secrets: ["*"])]))
    }

    /// 1-64 of `a-z`, `0-9`, `-`.
    static func isBindingName(_ name: String) -> Bool {
        valid(binding: AccessBinding(name: name, role: "admin", principals: ["*"], environments: ["*"]))
    }

    /// IAM's user name rule: 1-64 letters, digits and `+=,.@_-`.
    static func isPrincipalName(_ name: String) -> Bool {
        name != "*" && valid(binding: AccessBinding(name: "probe", role: "admin", principals: [name], environments: ["*"]))
    }

    /// `*`, or `secretsmanager:` and an operation pattern that matches at least one operation.
    static func isAction(_ action: String) -> Bool {
        valid(role: AccessRole(name: "probe", rules: [AccessRule(actions: [action], secrets: ["*"])]))
    }

    static func isSecretPattern(_ pattern: String) -> Bool {
        valid(role: AccessRole(name: "probe", rules: [AccessRule(actions: ["*"], secrets: [pattern])]))
    }

    static func isTagCondition(key: String, value: String) -> Bool {
        valid(role: AccessRole(name: "probe", rules: [AccessRule(actions: ["*"], secrets: ["*"], tags: [key: value])]))
    }

    /// `GetSecretValue` → `secretsmanager:GetSecretValue`; `*` and qualified actions stay.
    static func qualified(_ action: String) -> String {
        action == "*" || action.contains(":") ? action : "\(PolicyAction.service):\(action)"
    }

    private static func valid(role: AccessRole) -> Bool {
        (try? AccessControl.validate(role: role)) != nil
    }

    private static func valid(binding: AccessBinding) -> Bool {
        (try? AccessControl.validate(binding: binding, roles: [])) != nil
    }
}
