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
    /// Records that an app's secrets were used by `sejf render` or `sejf run` (`sejf:Render`,
    /// `sejf:Run`), one event per secret version, beside the reads themselves.
    public func recordUse(_ action: String, of sources: [RenderSource], context: RequestContext) throws {
        for source in Set(sources.map { "\($0.arn)\u{0}\($0.versionId)" }).sorted() {
            let parts = source.split(separator: "\u{0}").map(String.init)
            try audit.record(AuditEvent(
                time: AuditTime(secondsSince1970: clock()), environment: context.environment.rawValue, principal: context.principal.name,
                accessKeyId: context.accessKeyId, action: action, secretArn: parts[0], versionId: parts[1], outcome: .allowed,
                sourceAddress: context.sourceAddress, userAgent: context.userAgent, requestId: context.requestId))
        }
    }
}
