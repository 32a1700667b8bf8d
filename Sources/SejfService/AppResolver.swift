import Foundation
import SejfCore
import SejfRender

/// Resolves an app of `environments/<env>.yaml` into the values its workload gets: reads every
/// secret and config entry it uses once, through the secrets API (so each read is authorized and
/// audited like any GetSecretValue, embedded or remote), and builds each variable — JSON keys,
/// templates (URL-encoded where they build URLs). A missing secret or key is an error that names
/// the variable; it never becomes an empty value.
public struct AppResolver {
    let api: any SecretsAPI

    public init(api: any SecretsAPI) {
        self.api = api
    }

    public func resolve(_ app: AppDefinition, in environment: EnvironmentDefinition) throws -> RenderApp {
        var reads: [String: GetSecretValueResponse] = [:]
        for name in app.secretNames {
            do {
                reads[name] = try api.call(SecretsManager.GetSecretValue.self, GetSecretValueRequest(SecretId: name))
            } catch let error as SejfError {
                let users = app.variables.filter { $0.references.contains { $0.secret == name } }.map(\.name)
                throw SejfError(error.code, "variable '\(users.joined(separator: "', '"))' of app \(app.name) needs '\(name)' in \(environment.name): \(error.message)")
            }
        }
        let variables = try app.variables.map { variable in
            let value = try variable.resolve { secret, key in try Self.lookup(reads[secret], key: key) }
            let sources = Set(variable.references.map(\.secret)).sorted().compactMap { name in
                reads[name].map { RenderSource(arn: $0.ARN, versionId: $0.VersionId) }
            }
            return RenderVariable(name: variable.name, value: value, kind: variable.isConfig ? .config : .secret, sources: sources)
        }
        return RenderApp(app: app.name, environment: environment.name.rawValue, namespace: environment.namespace,
                         secretName: app.secretName, configMapName: app.configMapName, variables: variables)
    }

    /// The `AWSCURRENT` version id of every secret and config entry the apps use (absent ones
    /// left out), from ListSecrets: metadata only, no value is read. `sejf run --watch` compares
    /// these between polls and re-reads values only when one changed.
    public func currentVersions(of apps: [AppDefinition]) throws -> [String: String] {
        let used = Set(apps.flatMap(\.secretNames))
        let entries = try EnvironmentComparison.entries(api).filter { used.contains($0.key) }
        return entries.compactMapValues { entry in
            entry.SecretVersionsToStages?.first { $0.value.contains(StagingLabels.current) }?.key
        }
    }

    /// The value of a secret, or of one field of its JSON object value: strings as they are,
    /// numbers and booleans as their JSON text; `nil` when absent or null.
    static func lookup(_ read: GetSecretValueResponse?, key: String?) throws -> String? {
        guard let read else { return nil }
        guard let text = read.SecretString else {
            throw SejfError(.invalidRequest, "\(read.Name) holds a binary value, which cannot go into an environment variable.")
        }
        guard let key else { return text }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw SejfError(.invalidRequest, "\(read.Name) is not a JSON object, so it has no key '\(key)'.")
        }
        switch object[key] {
        case nil, is NSNull: return nil
        case let string as String: return string
        case let field?:
            let data = try JSONSerialization.data(withJSONObject: field, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        }
    }
}

extension SecretsService {
    /// The most versions one ``SejfOperations/RecordUse`` call may name.
    static let maxRecordedUses = 1000

    /// Records that `sejf render` or `sejf run` used secret versions it had read: one
    /// `sejf:Render`/`sejf:Run` audit event per version, beside the reads' own events. Each use is
    /// authorized as a read of that version (a caller cannot record uses of values it may not
    /// read). Answers with the environment's checksum key for `sejf.dev/checksum`.
    func recordUse(_ request: RecordUseRequest, _ context: RequestContext) throws -> RecordUseResponse {
        guard let action = Action(rawValue: request.Action), action.authorizedAs != action else {
            throw SejfError(.invalidParameter, "Action must be \(Action.render.rawValue) or \(Action.run.rawValue).")
        }
        guard (1...Self.maxRecordedUses).contains(request.Uses.count) else {
            throw SejfError(.invalidParameter, "Uses must name between 1 and \(Self.maxRecordedUses) secret versions.")
        }
        var seen = Set<String>()
        for use in request.Uses where seen.insert("\(use.ARN)\u{0}\(use.VersionId)").inserted {
            try perform(action, context) { scope in
                try store.read { reader in
                    let secret = try authorizedSecret(use.ARN, scope, in: reader)
                    guard let version = try reader.versions(of: secret).version(id: use.VersionId) else {
                        throw SejfError.valueNotFound(versionId: use.VersionId)
                    }
                    scope.version(version)
                }
            }
        }
        let key = try store.read { try $0.checksumKey(for: context.environment) }
        return RecordUseResponse(ChecksumKey: Data(key).base64EncodedString())
    }
}
