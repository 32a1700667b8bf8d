/// Where one value came from: the secret version the service read (and audited) to produce it.
///
/// Kubernetes output lists the sources in the `sejf.dev/sources` annotation, so an operator can
/// tell which version of which secret a running Secret carries without reading a value.
public struct RenderSource: Sendable, Equatable, Hashable {
    /// The secret's ARN, e.g. `arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf`.
    public var arn: String
    /// The version that was read.
    public var versionId: String

    public init(arn: String, versionId: String) {
        self.arn = arn
        self.versionId = versionId
    }
}

/// One resolved variable of an app: a name, its value, and whether it is a secret or configuration.
///
/// The service builds these after it has read (and audited) every secret the app refers to;
/// renderers only format them.
///
///     let password = RenderVariable(name: "DB_PASSWORD", value: resolved, kind: .secret,
///                                   sources: [RenderSource(arn: arn, versionId: versionId)])
///
/// - Warning: `value` is the plain secret. `description`, `debugDescription` and the mirror (what
///   `print`, `dump`, string interpolation and test failure messages show) leave it out.
public struct RenderVariable: Sendable, Equatable, Hashable {
    /// Secret values go into a Kubernetes `Secret`, configuration into a `ConfigMap`.
    public enum Kind: String, Sendable, Equatable, Hashable, CaseIterable {
        case secret
        case config
    }

    /// The variable's name: an environment variable name for the env formats, a `data` key for
    /// Kubernetes.
    public var name: String
    /// The resolved value (text; a secret's value is never binary here).
    public var value: String
    public var kind: Kind
    /// The secret versions the value was built from (several for a template).
    public var sources: [RenderSource]

    public init(name: String, value: String, kind: Kind, sources: [RenderSource] = []) {
        self.name = name
        self.value = value
        self.kind = kind
        self.sources = sources
    }
}

extension RenderVariable: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "RenderVariable(name: \(Names.quoted(name)), kind: \(kind.rawValue), value: <\(value.utf8.count) bytes>, "
            + "sources: \(sources.count))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["name": name, "kind": kind, "value": "<\(value.utf8.count) bytes>", "sources": sources],
               displayStyle: .struct)
    }
}

/// Everything needed to render one app in one environment.
///
/// Mirrors an app of `environments/<env>.yaml`: its Kubernetes namespace, the names of the Secret
/// and ConfigMap to produce, and its resolved variables.
public struct RenderApp: Sendable, Equatable, Hashable {
    /// The app's name, used as the `app.kubernetes.io/part-of` label (so a valid label value).
    public var app: String
    /// The environment the values were read from (`dev`, `staging`, `prod`, …).
    public var environment: String
    /// The Kubernetes namespace (a DNS-1123 label).
    public var namespace: String
    /// The Secret's name (a DNS-1123 subdomain).
    public var secretName: String
    /// The ConfigMap's name (a DNS-1123 subdomain).
    public var configMapName: String
    public var variables: [RenderVariable]

    public init(app: String, environment: String, namespace: String, secretName: String, configMapName: String,
                variables: [RenderVariable]) {
        self.app = app
        self.environment = environment
        self.namespace = namespace
        self.secretName = secretName
        self.configMapName = configMapName
        self.variables = variables
    }
}
