import Foundation
import SejfCore
import SejfCrypto

/// One key of `sejf diff`: configuration values are shown, secret values never — only whether
/// they are the same.
public struct DiffRow: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case same, different, onlyLeft = "only-left", onlyRight = "only-right" }
    public var key: String
    /// `secret` or `config`.
    public var kind: String
    public var status: Status
    /// Configuration values only.
    public var left: String?
    public var right: String?
}

/// Compares the secrets and configuration of two environments, each through its own secrets
/// API (so every value read is authorized and audited). Values are compared in constant time in
/// memory and never printed for secrets.
public struct EnvironmentComparison {
    let left: any SecretsAPI
    let right: any SecretsAPI

    public init(left: any SecretsAPI, right: any SecretsAPI) {
        self.left = left
        self.right = right
    }

    /// Every key of either environment (or only `keys`), sorted.
    public func compare(keys: [String]? = nil) throws -> [DiffRow] {
        let leftEntries = try Self.entries(left)
        let rightEntries = try Self.entries(right)
        let names = keys ?? Array(Set(leftEntries.keys).union(rightEntries.keys)).sorted()
        return try names.compactMap { name in
            let l = leftEntries[name], r = rightEntries[name]
            guard let entry = l ?? r else { return nil }
            let isConfig = TagRules.isConfig(entry.Tags ?? [])
            let kind = isConfig ? "config" : "secret"
            guard l != nil else {
                return DiffRow(key: name, kind: kind, status: .onlyRight, right: isConfig ? try value(right, name).text : nil)
            }
            guard r != nil else {
                return DiffRow(key: name, kind: kind, status: .onlyLeft, left: isConfig ? try value(left, name).text : nil)
            }
            let a = try value(left, name), b = try value(right, name)
            let same = a.isBinary == b.isBinary && constantTimeEquals(a.bytes, b.bytes)
            return DiffRow(key: name, kind: kind, status: same ? .same : .different,
                           left: isConfig ? a.text : nil, right: isConfig ? b.text : nil)
        }
    }

    private struct Value {
        var bytes: [UInt8]
        var isBinary: Bool
        var text: String? { isBinary ? nil : String(decoding: bytes, as: UTF8.self) }
    }

    private func value(_ api: any SecretsAPI, _ name: String) throws -> Value {
        let read = try api.call(SecretsManager.GetSecretValue.self, GetSecretValueRequest(SecretId: name))
        if let binary = read.SecretBinary { return Value(bytes: [UInt8](binary), isBinary: true) }
        return Value(bytes: Array((read.SecretString ?? "").utf8), isBinary: false)
    }

    /// Every secret of an environment that has a current value, by name.
    static func entries(_ api: any SecretsAPI) throws -> [String: SecretListEntry] {
        var entries: [String: SecretListEntry] = [:]
        var token: String?
        repeat {
            let page = try api.call(SecretsManager.ListSecrets.self, ListSecretsRequest(NextToken: token))
            for entry in page.SecretList where (entry.SecretVersionsToStages ?? [:]).values.contains(where: { $0.contains(StagingLabels.current) }) {
                entries[entry.Name] = entry
            }
            token = page.NextToken
        } while token != nil
        return entries
    }
}
