import Foundation
import SejfCore
import SejfStore

/// A declarative access file (`sejf apply -f access.yaml`): principals, roles and bindings.
public struct AccessDocument: Codable, Sendable, Equatable {
    public struct PrincipalEntry: Codable, Sendable, Equatable {
        public var name: String
        public var description: String?

        public init(name: String, description: String? = nil) {
            self.name = name
            self.description = description
        }
    }

    public var principals: [PrincipalEntry]?
    public var roles: [AccessRole]?
    public var bindings: [AccessBinding]?

    public init(principals: [PrincipalEntry]? = nil, roles: [AccessRole]? = nil, bindings: [AccessBinding]? = nil) {
        self.principals = principals
        self.roles = roles
        self.bindings = bindings
    }
}

/// What `apply` did to one object.
public struct AccessChange: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case created, updated, unchanged }
    public var object: String
    public var name: String
    public var change: Kind
}

/// The answer of `sejf can-i`.
public struct AccessAnswer: Codable, Sendable, Equatable {
    public var allowed: Bool
    /// The rule or statement that decided, or why nothing allowed it.
    public var reason: String
}

/// Roles, bindings and the questions people ask of them. Administration of the data directory:
/// the embedded CLI only.
extension SecretsService {
    /// Every role: built-in ones first, then custom ones.
    public func listRoles() throws -> [AccessRole] {
        try store.read { try $0.accessControl().allRoles }
    }

    public func role(named name: String) throws -> AccessRole {
        guard let role = try store.read({ try $0.accessControl().role(named: name) }) else {
            throw SejfError(.resourceNotFound, "No role named \(name).")
        }
        return role
    }

    /// Creates or replaces a custom role.
    public func saveRole(_ role: AccessRole) throws {
        try AccessControl.validate(role: role)
        try store.write { try $0.saveRole(role, at: clock()) }
    }

    /// Deletes a custom role; refused while a binding uses it.
    public func deleteRole(named name: String) throws {
        try store.write { writer in
            let access = try writer.accessControl()
            guard let role = access.role(named: name), !role.isBuiltIn else {
                throw SejfError(.invalidRequest, "\(name) is not a custom role (built-in roles cannot be deleted).")
            }
            let users = access.bindings.filter { $0.role == name }.map(\.name)
            guard users.isEmpty else {
                throw SejfError(.invalidRequest, "Role \(name) is still used by binding(s) \(users.joined(separator: ", ")); unbind first.")
            }
            try writer.deleteRole(named: name)
        }
    }

    public func listBindings() throws -> [AccessBinding] {
        try store.read { try $0.accessControl().bindings }
    }

    /// `sejf bind ROLE --principal P --env dev,staging`: the principal's own binding of the role
    /// (found by role and principal, created when missing) gets these environments added.
    @discardableResult
    public func bind(role: String, principal: String, environments: [String]) throws -> AccessBinding {
        try store.write { writer in
            guard try writer.principal(named: principal) != nil else { throw Self.noSuchPrincipal(principal) }
            let access = try writer.accessControl()
            var binding = access.bindings.first { $0.role == role && $0.principals == [principal] }
                ?? AccessBinding(name: Self.freeBindingName(role: role, principal: principal, taken: Set(access.bindings.map(\.name))),
                                 role: role, principals: [principal], environments: [])
            for env in environments where !binding.environments.contains(env) { binding.environments.append(env) }
            try AccessControl.validate(binding: binding, roles: access.allRoles)
            try writer.saveBinding(binding, at: clock())
            return binding
        }
    }

    /// `role-principal` in binding-name characters, made unique with a number when taken.
    static func freeBindingName(role: String, principal: String, taken: Set<String>) -> String {
        let base = String("\(role)-\(principal)".lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(58))
        var name = base
        var counter = 2
        while taken.contains(name) {
            name = "\(base)-\(counter)"
            counter += 1
        }
        return name
    }

    /// `sejf unbind`: takes the role from the principal in `environments` (everywhere when empty).
    /// Other principals of a shared binding keep their access: the principal is taken out of it
    /// and keeps, in a binding of its own, the environments it still has.
    public func unbind(role: String, principal: String, environments: [String]) throws {
        try store.write { writer in
            let access = try writer.accessControl()
            let matching = access.bindings.filter { $0.role == role && $0.principals.contains(principal) }
            guard !matching.isEmpty else {
                throw SejfError(.resourceNotFound, "No binding gives role \(role) to \(principal).")
            }
            var kept: [String] = []
            for var binding in matching {
                if !environments.isEmpty, binding.environments.contains("*"), !environments.contains("*") {
                    throw SejfError(.invalidRequest,
                        "Binding \(binding.name) gives \(role) in every environment (*); unbind \(principal) without --env, then bind the environments it should keep.")
                }
                let remaining = environments.isEmpty || environments.contains("*") ? [] : binding.environments.filter { !environments.contains($0) }
                if binding.principals == [principal] && !remaining.isEmpty {
                    binding.environments = remaining
                    try writer.saveBinding(binding, at: clock())
                    continue
                }
                binding.principals.removeAll { $0 == principal }
                if binding.principals.isEmpty { try writer.deleteBinding(named: binding.name) } else { try writer.saveBinding(binding, at: clock()) }
                kept += remaining.filter { !kept.contains($0) }
            }
            if !kept.isEmpty {
                let taken = Set(try writer.accessControl().bindings.map(\.name))
                try writer.saveBinding(AccessBinding(name: Self.freeBindingName(role: role, principal: principal, taken: taken), role: role,
                                                     principals: [principal], environments: kept), at: clock())
            }
        }
    }

    /// Applies an access file: creates or updates its principals, roles and bindings (nothing
    /// else is removed), all in one transaction after the whole file validated. Idempotent.
    public func apply(_ document: AccessDocument) throws -> [AccessChange] {
        for role in document.roles ?? [] { try AccessControl.validate(role: role) }
        for principal in document.principals ?? [] { try Self.validatePrincipalName(principal.name) }
        return try store.write { writer in
            var changes: [AccessChange] = []
            let now = clock()
            for principal in document.principals ?? [] {
                if try writer.principal(named: principal.name) == nil {
                    try writer.insertPrincipal(PrincipalRecord(name: principal.name, description: principal.description ?? "", createdAt: now))
                    changes.append(AccessChange(object: "principal", name: principal.name, change: .created))
                } else {
                    changes.append(AccessChange(object: "principal", name: principal.name, change: .unchanged))
                }
            }
            var access = try writer.accessControl()
            for role in document.roles ?? [] {
                let existing = access.roles.first { $0.name == role.name }
                if existing != role { try writer.saveRole(role, at: now) }
                changes.append(AccessChange(object: "role", name: role.name, change: existing == nil ? .created : existing == role ? .unchanged : .updated))
            }
            access = try writer.accessControl()
            for binding in document.bindings ?? [] {
                try AccessControl.validate(binding: binding, roles: access.allRoles)
                for principal in binding.principals where principal != "*" {
                    if try writer.principal(named: principal) == nil {
                        throw SejfError(.invalidParameter, "Binding \(binding.name): no principal named \(principal).")
                    }
                }
                let existing = access.bindings.first { $0.name == binding.name }
                if existing != binding { try writer.saveBinding(binding, at: now) }
                changes.append(AccessChange(object: "binding", name: binding.name, change: existing == nil ? .created : existing == binding ? .unchanged : .updated))
            }
            return changes
        }
    }

    /// `sejf can-i`: would `principal` be allowed `action` on `secret` in `environment`, and why.
    public func canI(principal: String, action: String, secret secretId: String?, environment: EnvironmentName,
                     sourceIp: String? = nil) throws -> AccessAnswer {
        try store.read { reader in
            let request = try explainRequest(principal: principal, action: action, secretId: secretId, environment: environment,
                                             sourceIp: sourceIp, in: reader)
            let decision = try reader.accessControl().decide(request)
            return AccessAnswer(allowed: decision.isAllowed, reason: decision.description)
        }
    }

    /// `sejf who-can`: the principals that would be allowed.
    public func whoCan(action: String, secret secretId: String?, environment: EnvironmentName) throws -> [String] {
        try store.read { reader in
            let request = try explainRequest(principal: "", action: action, secretId: secretId, environment: environment,
                                             sourceIp: nil, in: reader)
            return try reader.accessControl().whoCan(request, among: try reader.principals().map(\.name))
        }
    }

    private func explainRequest(principal: String, action: String, secretId: String?, environment: EnvironmentName,
                                sourceIp: String?, in reader: any SecretStoreReader) throws -> AccessRequest {
        try requireEnvironment(environment, in: reader)
        let qualified = action.contains(":") ? action : "secretsmanager:" + action
        guard qualified == "*" || PolicyAction.all.contains(where: { $0.caseInsensitiveCompare(qualified) == .orderedSame }) else {
            throw SejfError(.invalidParameter, "Unknown action \(action): use a Secrets Manager operation such as secretsmanager:GetSecretValue.")
        }
        var facts: SecretFacts?
        if let secretId {
            if let secret = try reader.secret(try SecretIdentifier(secretId), in: environment) {
                facts = Self.facts(secret)
            } else {
                try SecretName.validate(secretId)
                facts = SecretFacts(arn: SecretARN(environment: environment, account: try reader.accountId(), name: secretId, suffix: "??????"))
            }
        }
        return AccessRequest(principal: principal, account: try reader.accountId(), environment: environment, action: qualified,
                             secret: facts, sourceIp: sourceIp, now: clock())
    }
}
