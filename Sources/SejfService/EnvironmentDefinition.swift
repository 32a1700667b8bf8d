import Foundation
import SejfCore
import Yams

/// An environment as declared in `environments/<name>.yaml` (validated like
/// `schemas/environment.schema.json`): where its workloads run, and the apps Sejf renders
/// secrets for.
///
///     name: prod
///     description: Production
///     kubernetes:
///       namespace: shop-prod
///     apps:
///       api:
///         kubernetes: { secret: api-secrets, configMap: api-config }
///         env:
///           DB_PASSWORD:  { secret: db/credentials, key: password }
///           DEBUG:        { config: api/debug }
///           DATABASE_URL: { template: "postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}/shop" }
///
/// Rotation hooks (optional) are commands the operator allows `sejf:hook:<name>` rotators to
/// run in this environment, each an argument list with an absolute path (no shell):
///
///     rotation:
///       hooks:
///         reload-pgbouncer: [/usr/local/bin/rotate-pgbouncer, --config, /etc/pgbouncer.ini]
///
/// `apps` is optional. See ``AppDefinition`` for the rules an app must follow and ``AppTemplate``
/// for templates.
public struct EnvironmentDefinition: Sendable, Equatable {
    public var name: EnvironmentName
    public var description: String
    public var namespace: String
    /// The apps, in file order.
    public var apps: [AppDefinition]
    /// Rotation hooks by name: the command and its arguments.
    public var rotationHooks: [String: [String]]

    /// Where definitions live unless the caller says otherwise: `./environments`.
    public static let defaultDirectory = "environments"

    public init(name: EnvironmentName, description: String, namespace: String, apps: [AppDefinition] = [],
                rotationHooks: [String: [String]] = [:]) {
        self.name = name
        self.description = description
        self.namespace = namespace
        self.apps = apps
        self.rotationHooks = rotationHooks
    }

    /// The app called `name`.
    /// - Throws: `ResourceNotFoundException` naming the environment and the apps it has.
    public func app(named name: String) throws -> AppDefinition {
        guard let app = apps.first(where: { $0.name == name }) else {
            let known = apps.isEmpty ? "it defines no apps" : "its apps: \(apps.map(\.name).joined(separator: ", "))"
            throw SejfError(.resourceNotFound, "Environment '\(self.name)' has no app '\(name.prefix(64))' (\(known)).")
        }
        return app
    }

    /// Parses and validates one file's text. Errors name the file and the field.
    public static func parse(yaml text: String, file: String) throws -> EnvironmentDefinition {
        func fail(_ field: String, _ problem: String) -> SejfError {
            SejfError(.invalidParameter, "\(file): \(field.isEmpty ? "" : "field '\(field)': ")\(problem)")
        }
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw fail("", "not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let root = node?.mapping else { throw fail("", "must be a mapping with name, description and kubernetes") }
        try rejectUnknown(root, allowed: ["name", "description", "kubernetes", "apps", "rotation"], prefix: "", fail)
        guard let nameNode = root["name"] else { throw fail("name", "is required") }
        guard let nameText = string(nameNode), let name = try? EnvironmentName(nameText) else {
            throw fail("name", "must be 1-32 lower-case letters, digits or '-', starting with a letter")
        }
        let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        guard base == nameText else { throw fail("name", "is '\(nameText)' but the file is named \(base).yaml") }
        var description = ""
        if let node = root["description"] {
            guard let text = string(node), text.count <= 2048 else { throw fail("description", "must be a string of at most 2048 characters") }
            description = text
        }
        guard let kubernetes = root["kubernetes"] else { throw fail("kubernetes", "is required") }
        guard let k8s = kubernetes.mapping else { throw fail("kubernetes", "must be a mapping") }
        try rejectUnknown(k8s, allowed: ["namespace"], prefix: "kubernetes.", fail)
        guard let namespaceNode = k8s["namespace"] else { throw fail("kubernetes.namespace", "is required") }
        guard let namespace = string(namespaceNode) else { throw fail("kubernetes.namespace", "must be a string") }
        guard isDNSLabel(namespace) else {
            throw fail("kubernetes.namespace", "'\(namespace)' is not a Kubernetes namespace name (RFC 1123 label: at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit)")
        }
        var apps: [AppDefinition] = []
        if let node = root["apps"] {
            apps = try parseApps(node, fail)
        }
        let hooks = try root["rotation"].map { try parseRotation($0, fail) } ?? [:]
        return EnvironmentDefinition(name: name, description: description, namespace: namespace, apps: apps, rotationHooks: hooks)
    }

    /// `rotation: {hooks: {name: [/absolute/command, args…]}}`.
    private static func parseRotation(_ node: Node, _ fail: (String, String) -> SejfError) throws -> [String: [String]] {
        guard let rotation = node.mapping else { throw fail("rotation", "must be a mapping with hooks") }
        try rejectUnknown(rotation, allowed: ["hooks"], prefix: "rotation.", fail)
        guard let hooksNode = rotation["hooks"] else { return [:] }
        guard let hooks = hooksNode.mapping else { throw fail("rotation.hooks", "must be a mapping of hook names to commands") }
        var result: [String: [String]] = [:]
        for (key, value) in hooks {
            guard let name = string(key), isDNSLabel(name) else {
                throw fail("rotation.hooks", "hook names are at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit")
            }
            let field = "rotation.hooks.\(name)"
            guard let items = value.sequence, !items.isEmpty else { throw fail(field, "must be a non-empty list: [/absolute/command, args…]") }
            let command = try items.map { item -> String in
                guard let text = string(item), !text.isEmpty, text.count <= 4096, !text.contains("\u{0}") else {
                    throw fail(field, "each item must be a non-empty string")
                }
                return text
            }
            guard command[0].hasPrefix("/") else { throw fail(field, "the command must be an absolute path (no PATH lookup, no shell)") }
            result[name] = command
        }
        return result
    }

    /// Loads every `*.yaml` in `directory`, sorted by name.
    public static func load(directory: String) throws -> [EnvironmentDefinition] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        } catch {
            throw SejfError(.invalidParameter, "Cannot read the environments directory \(directory).")
        }
        guard !files.isEmpty else { throw SejfError(.invalidParameter, "No environment definitions (*.yaml) in \(directory).") }
        return try files.map { try load(file: (directory as NSString).appendingPathComponent($0)) }
    }

    /// Loads the definition of one environment: `<directory>/<environment>.yaml`.
    ///
    ///     let api = try EnvironmentDefinition.load(environment: prod).app(named: "api")
    ///
    /// - Throws: `ResourceNotFoundException` when the file does not exist;
    ///   `InvalidParameterException` naming the file and field when it is not valid.
    public static func load(environment: EnvironmentName, directory: String = defaultDirectory) throws -> EnvironmentDefinition {
        let path = (directory as NSString).appendingPathComponent("\(environment.rawValue).yaml")
        guard FileManager.default.fileExists(atPath: path) else {
            throw SejfError(.resourceNotFound, "No definition for environment '\(environment)': \(path) does not exist.")
        }
        return try load(file: path)
    }

    private static func load(file path: String) throws -> EnvironmentDefinition {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw SejfError(.invalidParameter, "\(path): cannot be read as UTF-8 text")
        }
        return try parse(yaml: text, file: path)
    }

    /// A definition with defaults, for `sejf init --environments dev,staging,prod`.
    public static func named(_ name: EnvironmentName) -> EnvironmentDefinition {
        EnvironmentDefinition(name: name, description: "", namespace: name.rawValue)
    }

    /// The text of a scalar that YAML resolves to a string (not `123`, `true` or `null`).
    private static func string(_ node: Node) -> String? {
        guard let scalar = node.scalar, node.tag == Tag(.str) else { return nil }
        return scalar.string
    }

    private static func rejectUnknown(_ mapping: Node.Mapping, allowed: Set<String>, prefix: String,
                                      _ fail: (String, String) -> SejfError) throws {
        for key in mapping.keys {
            guard let text = key.scalar?.string, allowed.contains(text) else {
                throw fail(prefix + (key.scalar?.string ?? "?"), "is not a known field (known: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    static func isDNSLabel(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (97...122).contains(c) || (48...57).contains(c) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 45 }
    }
}

/// An app of an environment: a workload that gets environment variables from Sejf, and the
/// Kubernetes Secret and ConfigMap they are rendered into.
///
///     apps:
///       api:
///         kubernetes: { secret: api-secrets, configMap: api-config }   # optional; these are the defaults
///         env:
///           DB_HOST:      { secret: db/credentials, key: host }         # a JSON field of the secret's value
///           DJANGO_SECRET_KEY: { secret: api/django-secret-key }        # the whole value
///           DEBUG:        { config: api/debug }
///           DATABASE_URL: { template: "postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}:{{db/credentials.port}}/{{db/credentials.dbname}}" }
///
/// Rules (checked by the loader, each error naming the file and field):
/// - the app's name is an RFC 1123 label: at most 63 lower-case letters, digits or `-`, starting
///   and ending with a letter or digit;
/// - `kubernetes.secret` and `kubernetes.configMap` are RFC 1123 subdomains (at most 253
///   characters, dot-separated labels as above) and default to `<app>-secrets` and `<app>-config`;
///   no two apps of an environment share a Secret or a ConfigMap;
/// - `env` has at least one variable; each name matches `[A-Za-z_][A-Za-z0-9_]*` (at most 253
///   characters, so it is also a valid Secret/ConfigMap key);
/// - each variable has exactly one of `secret`, `config` or `template`; `key` (1–256
///   characters, no control characters) only with `secret`; secret and config names follow
///   AWS's secret name rule; templates must parse (``AppTemplate``).
///
/// `config` variables belong in the ConfigMap; `secret` and `template` variables in the Secret
/// (a template usually embeds secrets).
public struct AppDefinition: Sendable, Equatable {
    public var name: String
    /// The Kubernetes Secret that holds the `secret` and `template` variables.
    public var secretName: String
    /// The Kubernetes ConfigMap that holds the `config` variables.
    public var configMapName: String
    /// The variables, in file order.
    public var variables: [AppVariable]

    public init(name: String, secretName: String? = nil, configMapName: String? = nil, variables: [AppVariable]) {
        self.name = name
        self.secretName = secretName ?? "\(name)-secrets"
        self.configMapName = configMapName ?? "\(name)-config"
        self.variables = variables
    }

    /// The variable called `name`, if any.
    public func variable(named name: String) -> AppVariable? {
        variables.first { $0.name == name }
    }

    /// The names of the secrets and config entries the app reads, each once, in order of first use.
    public var secretNames: [String] {
        var seen = Set<String>()
        return variables.flatMap { $0.references.map(\.secret) }.filter { seen.insert($0).inserted }
    }
}

/// One environment variable of an app and where its value comes from.
public struct AppVariable: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A secret's whole value, or one field of the JSON object it holds.
        case secret(String, key: String?)
        /// A config entry's value (stored like a secret, tagged as config).
        case config(String)
        /// Text with placeholders (``AppTemplate``).
        case template(AppTemplate)
    }

    public var name: String
    public var source: Source

    public init(name: String, source: Source) {
        self.name = name
        self.source = source
    }

    /// Whether the value belongs in the app's ConfigMap (`config`) rather than its Secret.
    public var isConfig: Bool {
        if case .config = source { true } else { false }
    }

    /// The secrets (or config entries) and JSON keys the value is built from, each once.
    public var references: [(secret: String, key: String?)] {
        switch source {
        case .secret(let name, let key): [(secret: name, key: key)]
        case .config(let name): [(secret: name, key: nil)]
        case .template(let template): template.references
        }
    }

    /// The variable's value, with secrets from `lookup`.
    ///
    /// `lookup` gets a secret's (or config entry's) name and a JSON key (`nil` for the whole
    /// value) and returns the value, or `nil` when there is none. A template is rendered with
    /// ``AppTemplate/render(variable:lookup:)``, percent-encoding URL parts.
    ///
    /// - Throws: `ResourceNotFoundException` naming the variable when `lookup` returns `nil` (never
    ///   an empty value); a ``SejfError`` from `lookup` with its code and the variable's name
    ///   prefixed to its message; template errors as ``AppTemplate/render(variable:lookup:)``.
    public func resolve(lookup: (_ secret: String, _ key: String?) throws -> String?) throws -> String {
        let secret: String, key: String?
        switch source {
        case .template(let template):
            return try template.render(variable: name, lookup: lookup)
        case .secret(let s, let k):
            (secret, key) = (s, k)
        case .config(let s):
            (secret, key) = (s, nil)
        }
        let value: String?
        do {
            value = try lookup(secret, key)
        } catch let error as SejfError {
            throw SejfError(error.code, "variable '\(name)': \(error.message)")
        }
        guard let value else {
            if isConfig { throw SejfError(.resourceNotFound, "variable '\(name)': no value for config '\(secret)'") }
            throw AppTemplate.missing(variable: name, secret: secret, key: key)
        }
        return value
    }
}

// MARK: - Loading apps

extension EnvironmentDefinition {
    private static let variableKinds = ["secret", "config", "template"]

    fileprivate static func parseApps(_ node: Node, _ fail: (String, String) -> SejfError) throws -> [AppDefinition] {
        guard let mapping = node.mapping else { throw fail("apps", "must be a mapping of app names to apps") }
        var apps: [AppDefinition] = []
        var secretOwners: [String: String] = [:]
        var configMapOwners: [String: String] = [:]
        for (keyNode, body) in mapping {
            let field = "apps.\((keyNode.scalar?.string ?? "?").prefix(64))"
            guard let name = string(keyNode) else { throw fail(field, "an app name must be a string") }
            guard isDNSLabel(name) else {
                throw fail(field, "'\(name.prefix(64))' is not an app name (at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit)")
            }
            let app = try parseApp(name, body, field, fail)
            if let other = secretOwners[app.secretName] {
                throw fail("\(field).kubernetes.secret", "Secret '\(app.secretName)' is already used by app '\(other)'")
            }
            if let other = configMapOwners[app.configMapName] {
                throw fail("\(field).kubernetes.configMap", "ConfigMap '\(app.configMapName)' is already used by app '\(other)'")
            }
            secretOwners[app.secretName] = name
            configMapOwners[app.configMapName] = name
            apps.append(app)
        }
        return apps
    }

    private static func parseApp(_ name: String, _ node: Node, _ field: String,
                                 _ fail: (String, String) -> SejfError) throws -> AppDefinition {
        guard let body = node.mapping else { throw fail(field, "must be a mapping with env and optionally kubernetes") }
        try rejectUnknown(body, allowed: ["kubernetes", "env"], prefix: "\(field).", fail)
        var secretName: String?
        var configMapName: String?
        if let node = body["kubernetes"] {
            guard let k8s = node.mapping else { throw fail("\(field).kubernetes", "must be a mapping with secret and/or configMap") }
            try rejectUnknown(k8s, allowed: ["secret", "configMap"], prefix: "\(field).kubernetes.", fail)
            func objectName(_ member: String, _ kind: String) throws -> String? {
                guard let node = k8s[member] else { return nil }
                guard let text = string(node) else { throw fail("\(field).kubernetes.\(member)", "must be a string") }
                guard isDNSSubdomain(text) else {
                    throw fail("\(field).kubernetes.\(member)", "'\(text.prefix(80))' is not a Kubernetes \(kind) name (RFC 1123 subdomain: at most 253 characters, labels of lower-case letters, digits or '-' separated by '.')")
                }
                return text
            }
            secretName = try objectName("secret", "Secret")
            configMapName = try objectName("configMap", "ConfigMap")
        }
        guard let envNode = body["env"] else { throw fail("\(field).env", "is required") }
        guard let env = envNode.mapping, env.count > 0 else {
            throw fail("\(field).env", "must be a mapping of environment variable names to sources, with at least one")
        }
        var variables: [AppVariable] = []
        for (keyNode, spec) in env {
            let variableField = "\(field).env.\((keyNode.scalar?.string ?? "?").prefix(64))"
            guard let variable = string(keyNode) else { throw fail(variableField, "a variable name must be a string") }
            guard isVariableName(variable) else {
                throw fail(variableField, "'\(variable.prefix(64))' is not an environment variable name (letters, digits and '_', not starting with a digit, at most 253)")
            }
            variables.append(AppVariable(name: variable, source: try parseSource(spec, variableField, fail)))
        }
        return AppDefinition(name: name, secretName: secretName, configMapName: configMapName, variables: variables)
    }

    private static func parseSource(_ node: Node, _ field: String, _ fail: (String, String) -> SejfError) throws -> AppVariable.Source {
        guard let spec = node.mapping else {
            throw fail(field, "must be a mapping with one of secret, config or template")
        }
        try rejectUnknown(spec, allowed: Set(variableKinds + ["key"]), prefix: "\(field).", fail)
        let kinds = variableKinds.filter { spec[$0] != nil }
        guard kinds.count == 1 else {
            throw fail(field, kinds.isEmpty ? "needs one of secret, config or template"
                                            : "has \(kinds.joined(separator: " and ")): use exactly one of secret, config or template")
        }
        if spec["key"] != nil, kinds[0] != "secret" {
            throw fail("\(field).key", "is allowed only with 'secret'")
        }
        func secretName(_ member: String) throws -> String {
            guard let text = string(spec[member]!) else { throw fail("\(field).\(member)", "must be a string") }
            guard (try? SecretName.validate(text)) != nil else {
                throw fail("\(field).\(member)", "'\(text.prefix(80))' is not a secret name (1-512 letters, digits or any of /_+=.@-)")
            }
            return text
        }
        switch kinds[0] {
        case "secret":
            var key: String?
            if let node = spec["key"] {
                guard let text = string(node) else { throw fail("\(field).key", "must be a string (quote it)") }
                guard (1...AppTemplate.maxKeyLength).contains(text.unicodeScalars.count),
                      text.unicodeScalars.allSatisfy({ !($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) }) else {
                    throw fail("\(field).key", "must be 1-\(AppTemplate.maxKeyLength) characters without control characters")
                }
                key = text
            }
            return .secret(try secretName("secret"), key: key)
        case "config":
            return .config(try secretName("config"))
        default:
            guard let text = string(spec["template"]!) else { throw fail("\(field).template", "must be a string") }
            do {
                return .template(try AppTemplate(text))
            } catch let error as SejfError {
                throw fail("\(field).template", error.message)
            }
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, at most 253 characters (a Kubernetes Secret/ConfigMap key too).
    static func isVariableName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        func letter(_ c: UInt8) -> Bool { (65...90).contains(c) || (97...122).contains(c) || c == 95 }
        guard let first = bytes.first, letter(first), bytes.count <= 253 else { return false }
        return bytes.allSatisfy { letter($0) || (48...57).contains($0) }
    }

    /// An RFC 1123 subdomain: at most 253 characters, '.'-separated RFC 1123 labels.
    static func isDNSSubdomain(_ s: String) -> Bool {
        s.utf8.count <= 253 && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }
}
