import Foundation
import SejfCore
import Yams

/// An environment as declared in `environments/<name>.yaml` (validated like
/// `schemas/environment.schema.json`):
///
///     name: prod
///     description: Production
///     kubernetes:
///       namespace: shop-prod
public struct EnvironmentDefinition: Sendable, Equatable {
    public var name: EnvironmentName
    public var description: String
    public var namespace: String

    public init(name: EnvironmentName, description: String, namespace: String) {
        self.name = name
        self.description = description
        self.namespace = namespace
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
        try rejectUnknown(root, allowed: ["name", "description", "kubernetes"], prefix: "", fail)
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
        return EnvironmentDefinition(name: name, description: description, namespace: namespace)
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
        return try files.map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw SejfError(.invalidParameter, "\(path): cannot be read as UTF-8 text")
            }
            return try parse(yaml: text, file: path)
        }
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
