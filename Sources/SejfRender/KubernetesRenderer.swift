import Foundation
import SejfCrypto
import Yams

/// Renders apps as Kubernetes manifests: per app, a `Secret` for its secret variables and a
/// `ConfigMap` for its configuration, in one multi-document YAML stream for `kubectl apply -f -`.
///
///     sejf render k8s --env prod --app api | kubectl apply -f -
///
/// ```yaml
/// ---
/// apiVersion: v1
/// kind: Secret
/// metadata:
///   name: api-secrets
///   namespace: prod
///   labels:
///     app.kubernetes.io/managed-by: sejf
///     app.kubernetes.io/part-of: api
///   annotations:
///     sejf.dev/checksum: "5f1c…"
///     sejf.dev/sources: '{"DB_PASSWORD":[{"arn":"arn:aws:secretsmanager:prod:…","versionId":"…"}]}'
/// type: Opaque
/// data:
///   DB_PASSWORD: "czNjcjN0"
/// ---
/// apiVersion: v1
/// kind: ConfigMap
/// …
/// ```
///
/// The YAML is built as a Yams `Node` tree and emitted by libyaml, never by concatenating text.
/// Scalars that a YAML 1.1 reader (Kubernetes' own) could take for anything but a string —
/// `on`, `y`, `1e3`, `null` — are quoted; `data` values are always double-quoted, or a literal
/// block (`|`) for multi-line configuration. A Secret is left out when the app has no secret
/// variable, a ConfigMap when it has no configuration.
///
/// ## Annotations
///
/// - `sejf.dev/checksum`: ``checksum(of:key:)`` of the object's variables, so a change of any
///   value, name or kind changes it.
/// - `sejf.dev/sources`: which secret versions the values came from, as compact JSON with sorted
///   keys, `{"VARIABLE":[{"arn":"…","versionId":"…"}]}`; left out when no variable has a source.
///   One JSON annotation rather than one per source keeps the keys valid qualified names however
///   many sources there are, and ARNs (which may contain `@`) unambiguous.
///
/// ## Rolling a workload when values change
///
/// A Secret change does not restart the pods that read it. ``rolloutPatch(for:checksumKey:)``
/// gives a strategic-merge patch that puts the app's checksum on the pod template:
///
///     kubectl patch deployment api --namespace prod --type strategic --patch '<rolloutPatch JSON>'
///
/// It is deliberately not a third document of the stream: a partial Deployment (no selector, no
/// containers) fails `kubectl apply` validation when the Deployment does not exist yet, and when
/// it does exist, applying it would replace the Deployment's
/// `kubectl.kubernetes.io/last-applied-configuration` with sejf's fragment and break the next
/// `kubectl apply` of the team's real manifest. `kubectl patch` changes only the one annotation.
public enum KubernetesRenderer {
    /// `app.kubernetes.io/managed-by`, always `sejf`.
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// `app.kubernetes.io/part-of`, the app's name.
    public static let partOfLabel = "app.kubernetes.io/part-of"
    /// The annotation holding ``checksum(of:key:)``, on objects and on the rollout patch's pod template.
    public static let checksumAnnotation = "sejf.dev/checksum"
    /// The annotation listing each variable's sources.
    public static let sourcesAnnotation = "sejf.dev/sources"

    /// The API server's limit on a Secret's or ConfigMap's data (`MaxSecretSize`).
    public static let maxDataBytes = 1 << 20
    /// The API server's limit on an object's annotations, keys and values together.
    public static let maxAnnotationBytes = 256 << 10

    static let format = "kubernetes"

    /// The manifests for `apps`, one `---` document per object, in the apps' order, each app's
    /// Secret before its ConfigMap; empty when no app has a variable.
    ///
    /// - Parameters:
    ///   - apps: The apps, with resolved values.
    ///   - checksumKey: When given, the `sejf.dev/checksum` annotations are HMAC-SHA-256 under
    ///     this key instead of plain SHA-256 (see ``checksum(of:key:)``).
    /// - Throws: ``RenderError`` for a variable name that is not a valid `data` key (naming the
    ///   variable), a name given twice in one app, an app name that is not a label value, a
    ///   namespace or object name Kubernetes rejects, two apps rendering the same object, or an
    ///   object over the API server's size limits. Nothing is rendered then.
    public static func render(_ apps: [RenderApp], checksumKey: [UInt8]? = nil) throws(RenderError) -> String {
        var documents: [Node] = []
        var owners: [String: String] = [:]
        for app in apps {
            try check(app)
            let secrets = Names.sortedByName(app.variables.filter { $0.kind == .secret })
            let configs = Names.sortedByName(app.variables.filter { $0.kind == .config })
            for (kind, name, variables) in [("Secret", app.secretName, secrets), ("ConfigMap", app.configMapName, configs)]
            where !variables.isEmpty {
                let object = "\(kind) \(app.namespace)/\(name)"
                if let owner = owners.updateValue(app.app, forKey: object) {
                    throw RenderError(.invalidObject,
                        "\(format): \(object) is rendered for both app \(Names.quoted(owner)) and app \(Names.quoted(app.app))")
                }
                documents.append(try document(kind: kind, name: name, app: app, variables: variables, checksumKey: checksumKey))
            }
        }
        guard !documents.isEmpty else { return "" }
        do {
            return try Yams.serialize(nodes: documents, indent: 2, width: -1, allowUnicode: true, lineBreak: .ln,
                                      explicitStart: true)
        } catch {
            throw RenderError(.emitter, "\(format): the YAML emitter failed: \(error)")
        }
    }

    /// A strategic-merge patch (JSON, one line) that sets `sejf.dev/checksum` on a workload's pod
    /// template to the checksum of all the app's variables, so the workload rolls out new pods
    /// exactly when a value changes:
    ///
    ///     {"spec":{"template":{"metadata":{"annotations":{"sejf.dev/checksum":"5f1c…"}}}}}
    ///
    /// Apply it with `kubectl patch deployment api --namespace prod --type strategic --patch '<json>'`;
    /// the same patch fits a StatefulSet or DaemonSet. Patching with an unchanged checksum
    /// changes nothing and starts no rollout. It is not part of ``render(_:checksumKey:)``'s
    /// stream; the type's documentation says why.
    ///
    /// - Parameters:
    ///   - app: The app whose Secret and ConfigMap the workload reads.
    ///   - checksumKey: As for ``render(_:checksumKey:)``.
    /// - Throws: ``RenderError`` for the same reasons as ``render(_:checksumKey:)``, so no patch is
    ///   made for an app that cannot be rendered.
    public static func rolloutPatch(for app: RenderApp, checksumKey: [UInt8]? = nil) throws(RenderError) -> String {
        try check(app)
        let patch = ["spec": ["template": ["metadata": ["annotations": [
            checksumAnnotation: checksum(of: app.variables, key: checksumKey),
        ]]]]]
        return try compactJSON(patch)
    }

    /// The hex digest of `variables`' canonical form: SHA-256, or HMAC-SHA-256 under `key`.
    ///
    /// The canonical form does not depend on the variables' order, and two different sets of
    /// variables never share it: the UTF-8 bytes of `sejf.dev/checksum v1\n`, then for each
    /// variable, sorted by name (UTF-8 bytes), then kind, then value,
    /// `<kind>\n<name's UTF-8 length>\n<name>\n<value's UTF-8 length>\n<value>\n`, lengths in
    /// decimal and `kind` being `secret` or `config`.
    ///
    /// - Warning: A plain SHA-256 of a low-entropy value (a short PIN, a word) lets anyone who
    ///   can read the annotation — and pod template annotations are readable by whoever can read
    ///   Deployments or Pods, more people than can read Secrets — test guesses offline. Pass a
    ///   `key` the readers of the annotation do not hold to make the checksum useless for that;
    ///   it still changes exactly when the content does.
    public static func checksum(of variables: [RenderVariable], key: [UInt8]? = nil) -> String {
        let ordered = variables.sorted { a, b in
            if a.name != b.name { return a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
            if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
            return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
        }
        var canonical = Array("sejf.dev/checksum v1\n".utf8)
        for variable in ordered {
            canonical += Array("\(variable.kind.rawValue)\n\(variable.name.utf8.count)\n\(variable.name)\n\(variable.value.utf8.count)\n".utf8)
            canonical += Array(variable.value.utf8)
            canonical.append(UInt8(ascii: "\n"))
        }
        let digest = key.map { Hash.hmacSHA256(key: $0, canonical) } ?? Hash.sha256(canonical)
        return Hash.hex(digest)
    }

    // MARK: - Checks

    static func check(_ app: RenderApp) throws(RenderError) {
        let prefix = "\(format): app \(Names.quoted(app.app))"
        func invalid(_ reason: String) -> RenderError { RenderError(.invalidObject, "\(prefix): \(reason)") }
        guard KubernetesNames.isLabelValue(app.app), !app.app.isEmpty else {
            throw invalid("the app name is not a valid label value "
                + "(at most 63 characters of [-A-Za-z0-9_.], alphanumeric at both ends)")
        }
        guard KubernetesNames.isDNSLabel(app.namespace) else {
            throw invalid("namespace \(Names.quoted(app.namespace)) is not a DNS-1123 label "
                + "(at most 63 characters of [a-z0-9-], alphanumeric at both ends)")
        }
        for (what, name) in [("Secret", app.secretName), ("ConfigMap", app.configMapName)]
        where !KubernetesNames.isDNSSubdomain(name) {
            throw invalid("\(what) name \(Names.quoted(name)) is not a DNS-1123 subdomain "
                + "(at most 253 characters of [a-z0-9-.], alphanumeric at both ends of each dot-separated part)")
        }
        var seen = Set<String>()
        for variable in app.variables {
            if let problem = KubernetesNames.dataKeyProblem(variable.name) {
                throw RenderError(.invalidName, variable: variable.name,
                    "\(prefix): variable \(Names.quoted(variable.name)) is not a valid data key: it \(problem)")
            }
            guard seen.insert(variable.name).inserted else {
                throw RenderError(.duplicateName, variable: variable.name,
                    "\(prefix): variable \(Names.quoted(variable.name)) is given more than once")
            }
        }
    }

    // MARK: - Documents

    private static func document(kind: String, name: String, app: RenderApp, variables: [RenderVariable],
                                 checksumKey: [UInt8]?) throws(RenderError) -> Node {
        let object = "\(format): \(kind) \(app.namespace)/\(name)"
        let isSecret = kind == "Secret"
        let dataBytes = variables.reduce(0) { $0 + $1.value.utf8.count + (isSecret ? 0 : $1.name.utf8.count) }
        guard dataBytes <= maxDataBytes else {
            throw RenderError(.tooLarge, "\(object) would hold \(dataBytes) bytes of data; Kubernetes allows at most \(maxDataBytes)")
        }

        var annotations = [(checksumAnnotation, checksum(of: variables, key: checksumKey), Node.Scalar.Style.doubleQuoted)]
        if let sources = try sourcesJSON(variables) {
            // Single quotes keep the JSON's double quotes unescaped (libyaml falls back to double
            // quotes if an ARN ever needs escaping).
            annotations.append((sourcesAnnotation, sources, .singleQuoted))
        }
        let annotationBytes = annotations.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        guard annotationBytes <= maxAnnotationBytes else {
            throw RenderError(.tooLarge,
                "\(object): its annotations would be \(annotationBytes) bytes; Kubernetes allows at most \(maxAnnotationBytes)")
        }

        let metadata = mapping([
            ("name", .plainOrQuoted(name)),
            ("namespace", .plainOrQuoted(app.namespace)),
            ("labels", mapping([
                (managedByLabel, .plainOrQuoted("sejf")),
                (partOfLabel, .plainOrQuoted(app.app)),
            ])),
            ("annotations", mapping(annotations.map { ($0.0, Node.scalar(Node.Scalar($0.1, Tag(.str), $0.2))) })),
        ])
        let data = mapping(variables.map { variable in
            let value = isSecret
                ? Node.doubleQuoted(Data(variable.value.utf8).base64EncodedString())
                : Node.multiLineOrDoubleQuoted(variable.value)
            return (variable.name, value)
        })
        var fields: [(String, Node)] = [("apiVersion", .plainOrQuoted("v1")), ("kind", .plainOrQuoted(kind)), ("metadata", metadata)]
        if isSecret { fields.append(("type", .plainOrQuoted("Opaque"))) }
        fields.append(("data", data))
        return mapping(fields)
    }

    private struct Source: Encodable {
        var arn: String
        var versionId: String
    }

    private static func sourcesJSON(_ variables: [RenderVariable]) throws(RenderError) -> String? {
        var sources: [String: [Source]] = [:]
        for variable in variables where !variable.sources.isEmpty {
            sources[variable.name] = variable.sources.map { Source(arn: $0.arn, versionId: $0.versionId) }
        }
        return sources.isEmpty ? nil : try compactJSON(sources)
    }

    private static func compactJSON(_ value: some Encodable) throws(RenderError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw RenderError(.emitter, "\(format): the JSON encoder failed")
        }
    }

    private static func mapping(_ pairs: [(String, Node)]) -> Node {
        .mapping(Node.Mapping(pairs.map { (Node.plainOrQuoted($0.0), $0.1) }))
    }
}

extension Node {
    /// A string scalar, plain when every YAML 1.1 and 1.2 reader takes it for a string: a letter,
    /// then letters, digits and `._/-`, and not a YAML 1.1 boolean or null word (`y`, `on`,
    /// `No`, `null`, …). Double-quoted otherwise.
    static func plainOrQuoted(_ string: String) -> Node {
        .scalar(Node.Scalar(string, Tag(.str), isPlainSafe(string) ? .plain : .doubleQuoted))
    }

    /// A string scalar in double quotes, where YAML escapes whatever needs it.
    static func doubleQuoted(_ string: String) -> Node {
        .scalar(Node.Scalar(string, Tag(.str), .doubleQuoted))
    }

    /// A literal block (`|`) for a multi-line value of ordinary characters, so PEM keys and
    /// config files stay readable; double-quoted otherwise. libyaml itself falls back to double
    /// quotes when a literal block cannot hold the value exactly (trailing spaces on a line, …).
    /// Line breaks other than `\n` (`\r`, U+0085, U+2028, U+2029), control characters other than
    /// tab and a byte-order mark always go double-quoted, where they are escaped.
    static func multiLineOrDoubleQuoted(_ string: String) -> Node {
        let ordinary = string.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x0A, 0x09: true
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF: false
            default: true
            }
        }
        let literal = ordinary && string.unicodeScalars.contains("\n")
        return .scalar(Node.Scalar(string, Tag(.str), literal ? .literal : .doubleQuoted))
    }

    private static let yaml11Words: Set<String> = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]

    private static func isPlainSafe(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        guard let first = bytes.first, first.isASCIILetter else { return false }
        let allowed = bytes.allSatisfy {
            $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "-")
        }
        return allowed && !yaml11Words.contains(string.lowercased())
    }
}
