import Foundation
import SejfCore
import SejfService
import Testing

private let file = "environments/prod.yaml"

private func parse(apps: String) throws -> EnvironmentDefinition {
    try EnvironmentDefinition.parse(yaml: "name: prod\nkubernetes:\n  namespace: shop-prod\napps:\n" + apps, file: file)
}

/// The repository's `environments/` directory.
private let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("environments").path

struct AppDefinitionTests {
    @Test func parsesTheIssueExampleInFileOrder() throws {
        let def = try parse(apps: """
              api:
                kubernetes: { secret: api-secrets, configMap: api-config }
                env:
                  DB_HOST:        { secret: db/credentials, key: host }
                  DB_PASSWORD:    { secret: db/credentials, key: password }
                  DJANGO_SECRET_KEY: { secret: api/django-secret-key }
                  DEBUG:          { config: api/debug }
                  DATABASE_URL:   { template: "postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}:{{db/credentials.port}}/{{db/credentials.dbname}}" }
            """)
        let template = try AppTemplate("postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}:{{db/credentials.port}}/{{db/credentials.dbname}}")
        #expect(def.apps == [AppDefinition(name: "api", secretName: "api-secrets", configMapName: "api-config", variables: [
            AppVariable(name: "DB_HOST", source: .secret("db/credentials", key: "host")),
            AppVariable(name: "DB_PASSWORD", source: .secret("db/credentials", key: "password")),
            AppVariable(name: "DJANGO_SECRET_KEY", source: .secret("api/django-secret-key", key: nil)),
            AppVariable(name: "DEBUG", source: .config("api/debug")),
            AppVariable(name: "DATABASE_URL", source: .template(template)),
        ])])
        let api = try def.app(named: "api")
        #expect(api.secretNames == ["db/credentials", "api/django-secret-key", "api/debug"])
        #expect(api.variables.filter(\.isConfig).map(\.name) == ["DEBUG"])
        #expect(api.variable(named: "DATABASE_URL")?.references.map(\.key) == ["username", "password", "host", "port", "dbname"])
    }

    @Test func appsAreOptionalAndKubernetesNamesDefault() throws {
        let bare = try EnvironmentDefinition.parse(yaml: "name: prod\nkubernetes:\n  namespace: shop-prod\n", file: file)
        #expect(bare.apps.isEmpty)
        #expect(bare == EnvironmentDefinition(name: try EnvironmentName("prod"), description: "", namespace: "shop-prod"))

        let def = try parse(apps: """
              worker:
                env: { X: { config: c } }
              web:
                kubernetes: { secret: web.secrets.v1 }
                env: { X: { config: c } }
            """)
        #expect(def.apps.map(\.name) == ["worker", "web"])
        #expect(def.apps.map(\.secretName) == ["worker-secrets", "web.secrets.v1"])
        #expect(def.apps.map(\.configMapName) == ["worker-config", "web-config"])
        #expect(try parse(apps: "  {}\n").apps.isEmpty)
    }

    @Test(arguments: [
        // apps
        ("  [api]\n", "field 'apps': must be a mapping"),
        ("  Api:\n    env: { X: { config: c } }\n", "field 'apps.Api': 'Api' is not an app name"),
        ("  api-:\n    env: { X: { config: c } }\n", "field 'apps.api-'"),
        ("  \(String(repeating: "a", count: 64)):\n    env: { X: { config: c } }\n", "field 'apps.\(String(repeating: "a", count: 64))'"),
        ("  123:\n    env: { X: { config: c } }\n", "field 'apps.123': an app name must be a string"),
        ("  api: [1]\n", "field 'apps.api': must be a mapping"),
        ("  api:\n    env: { X: { config: c } }\n    replicas: 3\n", "field 'apps.api.replicas': is not a known field"),
        // kubernetes
        ("  api:\n    kubernetes: api-secrets\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes': must be a mapping"),
        ("  api:\n    kubernetes: { deployment: api }\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes.deployment': is not a known field"),
        ("  api:\n    kubernetes: { secret: Api_Secrets }\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes.secret': 'Api_Secrets' is not a Kubernetes Secret name"),
        ("  api:\n    kubernetes: { configMap: api..config }\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes.configMap': 'api..config' is not a Kubernetes ConfigMap name"),
        ("  api:\n    kubernetes: { configMap: -api }\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes.configMap'"),
        ("  api:\n    kubernetes: { secret: \(String(repeating: "a.", count: 127))a }\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes.secret'"),
        ("  api:\n    kubernetes: { secret: 12 }\n    env: { X: { config: c } }\n", "field 'apps.api.kubernetes.secret': must be a string"),
        ("  api:\n    env: { X: { config: c } }\n  worker:\n    kubernetes: { secret: api-secrets }\n    env: { X: { config: c } }\n",
         "field 'apps.worker.kubernetes.secret': Secret 'api-secrets' is already used by app 'api'"),
        ("  api:\n    kubernetes: { configMap: shared }\n    env: { X: { config: c } }\n  worker:\n    kubernetes: { configMap: shared }\n    env: { X: { config: c } }\n",
         "field 'apps.worker.kubernetes.configMap': ConfigMap 'shared' is already used by app 'api'"),
        // env
        ("  api:\n    kubernetes: { secret: s }\n", "field 'apps.api.env': is required"),
        ("  api:\n    env: {}\n", "field 'apps.api.env': must be a mapping of environment variable names to sources, with at least one"),
        ("  api:\n    env: [X]\n", "field 'apps.api.env': must be a mapping"),
        ("  api:\n    env: { 1X: { config: c } }\n", "field 'apps.api.env.1X': '1X' is not an environment variable name"),
        ("  api:\n    env: { DB-HOST: { config: c } }\n", "field 'apps.api.env.DB-HOST'"),
        ("  api:\n    env: { 12: { config: c } }\n", "field 'apps.api.env.12': a variable name must be a string"),
        ("  api:\n    env: { X: c }\n", "field 'apps.api.env.X': must be a mapping with one of secret, config or template"),
        ("  api:\n    env: { X: {} }\n", "field 'apps.api.env.X': needs one of secret, config or template"),
        ("  api:\n    env: { X: { secret: s, config: c } }\n", "field 'apps.api.env.X': has secret and config: use exactly one of secret, config or template"),
        ("  api:\n    env: { X: { config: c, template: t } }\n", "field 'apps.api.env.X': has config and template"),
        ("  api:\n    env: { X: { key: k } }\n", "field 'apps.api.env.X': needs one of secret, config or template"),
        ("  api:\n    env: { X: { config: c, key: k } }\n", "field 'apps.api.env.X.key': is allowed only with 'secret'"),
        ("  api:\n    env: { X: { template: t, key: k } }\n", "field 'apps.api.env.X.key': is allowed only with 'secret'"),
        ("  api:\n    env: { X: { secret: s, value: v } }\n", "field 'apps.api.env.X.value': is not a known field"),
        ("  api:\n    env: { X: { secret: 'db credentials' } }\n", "field 'apps.api.env.X.secret': 'db credentials' is not a secret name"),
        ("  api:\n    env: { X: { secret: '' } }\n", "field 'apps.api.env.X.secret': '' is not a secret name"),
        ("  api:\n    env: { X: { secret: 5 } }\n", "field 'apps.api.env.X.secret': must be a string"),
        ("  api:\n    env: { X: { secret: } }\n", "field 'apps.api.env.X.secret': must be a string"),
        ("  api:\n    env: { X: { config: 'a;b' } }\n", "field 'apps.api.env.X.config': 'a;b' is not a secret name"),
        ("  api:\n    env: { X: { secret: s, key: '' } }\n", "field 'apps.api.env.X.key': must be 1-256 characters"),
        ("  api:\n    env: { X: { secret: s, key: 5432 } }\n", "field 'apps.api.env.X.key': must be a string"),
        ("  api:\n    env: { X: { secret: s, key: \"a\\tb\" } }\n", "field 'apps.api.env.X.key'"),
        ("  api:\n    env: { X: { template: 1 } }\n", "field 'apps.api.env.X.template': must be a string"),
        ("  api:\n    env: { X: { template: \"postgres://{{db/credentials.password\" } }\n",
         "field 'apps.api.env.X.template': '{{' at character 12 is not closed by '}}'"),
        ("  api:\n    env: { X: { template: \"{{db credentials}}\" } }\n", "field 'apps.api.env.X.template': placeholder '{{db credentials}}' at character 1: 'db credentials' is not a secret name"),
        ("  api:\n    env: { X: { template: \"{{s|upper}}\" } }\n", "field 'apps.api.env.X.template': placeholder '{{s|upper}}' at character 1: unknown filter 'upper'"),
    ])
    func rejectsWithFileAndField(apps: String, expected: String) {
        do {
            let def = try parse(apps: apps)
            Issue.record("accepted \(apps): \(def)")
        } catch let error as SejfError {
            #expect(error.code == .invalidParameter)
            #expect(error.message.hasPrefix("\(file): "), "\(error.message)")
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("\n"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func rejectsDuplicateVariablesAsInvalidYAML() {
        #expect(throws: SejfError.self) {
            try parse(apps: "  api:\n    env:\n      X: { config: a }\n      X: { config: b }\n")
        }
    }

    @Test func resolvesVariables() throws {
        let def = try parse(apps: """
              api:
                env:
                  DB_PASSWORD: { secret: db/credentials, key: password }
                  TOKEN: { secret: api/token }
                  DEBUG: { config: api/debug }
                  DATABASE_URL: { template: "postgres://u:{{db/credentials.password}}@h/db" }
            """)
        let values: [String: String] = ["db/credentials#password": "p@ss", "api/token": "t", "api/debug": "false"]
        let resolved = try def.apps[0].variables.map { variable in
            try variable.resolve { secret, key in values[key.map { "\(secret)#\($0)" } ?? secret] }
        }
        #expect(resolved == ["p@ss", "t", "false", "postgres://u:p%40ss@h/db"])

        let api = def.apps[0]
        #expect(throws: SejfError(.resourceNotFound, "variable 'DB_PASSWORD': no value for key 'password' of secret 'db/credentials'")) {
            try api.variables[0].resolve { _, _ in nil }
        }
        #expect(throws: SejfError(.resourceNotFound, "variable 'TOKEN': no value for secret 'api/token'")) {
            try api.variables[1].resolve { _, _ in nil }
        }
        #expect(throws: SejfError(.resourceNotFound, "variable 'DEBUG': no value for config 'api/debug'")) {
            try api.variables[2].resolve { _, _ in nil }
        }
        #expect(throws: SejfError(.resourceNotFound,
            "variable 'DATABASE_URL': no value for key 'password' of secret 'db/credentials' ({{db/credentials.password}})")) {
            try api.variables[3].resolve { _, _ in nil }
        }
        #expect(throws: SejfError(.accessDenied, "variable 'TOKEN': denied")) {
            try api.variables[1].resolve { _, _ in throw SejfError(.accessDenied, "denied") }
        }
    }

    @Test func appNamedNamesTheKnownApps() throws {
        let def = try parse(apps: "  api:\n    env: { X: { config: c } }\n  worker:\n    env: { X: { config: c } }\n")
        #expect(throws: SejfError(.resourceNotFound, "Environment 'prod' has no app 'web' (its apps: api, worker).")) {
            try def.app(named: "web")
        }
        #expect(throws: SejfError(.resourceNotFound, "Environment 'prod' has no app 'web' (it defines no apps).")) {
            try EnvironmentDefinition(name: try EnvironmentName("prod"), description: "", namespace: "p").app(named: "web")
        }
    }

    @Test func loadsOneEnvironmentFromADirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-envs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "name: qa\nkubernetes:\n  namespace: shop-qa\napps:\n  api:\n    env: { X: { config: c } }\n"
            .write(toFile: "\(directory)/qa.yaml", atomically: true, encoding: .utf8)
        try "name: broken\nkubernetes:\n  namespace: shop-broken\napps:\n  api:\n    env: { X: { secret: 'a b' } }\n"
            .write(toFile: "\(directory)/broken.yaml", atomically: true, encoding: .utf8)

        let qa = try EnvironmentDefinition.load(environment: try EnvironmentName("qa"), directory: directory)
        #expect(try qa.app(named: "api").variables == [AppVariable(name: "X", source: .config("c"))])
        #expect(throws: SejfError(.resourceNotFound, "No definition for environment 'prod': \(directory)/prod.yaml does not exist.")) {
            try EnvironmentDefinition.load(environment: try EnvironmentName("prod"), directory: directory)
        }
        do {
            _ = try EnvironmentDefinition.load(environment: try EnvironmentName("broken"), directory: directory)
            Issue.record("loaded a broken definition")
        } catch let error as SejfError {
            #expect(error.message.hasPrefix("\(directory)/broken.yaml: field 'apps.api.env.X.secret': "), "\(error.message)")
        }
    }

    @Test func shippedDefinitionsAreConsistent() throws {
        let all = try EnvironmentDefinition.load(directory: shipped)
        #expect(all.map(\.name.rawValue) == ["dev", "prod", "staging"])
        #expect(all.map(\.namespace) == ["shop-dev", "shop-prod", "shop-staging"])
        for def in all {
            #expect(def.apps == all[0].apps, "\(def.name) differs from \(all[0].name)")
        }
        let prod = try EnvironmentDefinition.load(environment: try EnvironmentName("prod"), directory: shipped)
        let api = try prod.app(named: "api")
        #expect((api.secretName, api.configMapName) == ("api-secrets", "api-config"))
        #expect(api.secretNames.contains("db/credentials"))
        let worker = try prod.app(named: "worker")
        #expect((worker.secretName, worker.configMapName) == ("worker-secrets", "worker-config"))

        // The API's DATABASE_URL renders an encoded URL from db/credentials.
        let credentials = ["username": "shop", "password": "p@ss:w/rd?#%", "host": "db.shop-prod.svc", "port": "5432", "dbname": "shop"]
        let url = try #require(api.variable(named: "DATABASE_URL")).resolve { secret, key in
            secret == "db/credentials" ? key.flatMap { credentials[$0] } : nil
        }
        #expect(url == "postgres://shop:p%40ss%3Aw%2Frd%3F%23%25@db.shop-prod.svc:5432/shop")
    }
}
