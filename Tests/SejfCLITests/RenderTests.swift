import Foundation
import Testing

/// `sejf render` and `sejf run` against the shipped environment definitions.
@Suite("Render and run")
struct RenderTests {
    static let definitions = CLI.packageRoot + "/environments"
    /// Survives every format, dotenv included (which cannot carry `$` or a backtick together with
    /// `'` or `\`: see `DotenvRenderer`).
    static let awkwardPassword = "p@ss:w/rd?#% \"q\" $HOME `id` zażółć"

    /// A data directory with the secrets and configuration the shipped `api` app needs in dev.
    func prepared() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.initialise(environments: "dev,staging,prod")
        for (name, value) in [("api/django-settings-module", "shop.settings.dev"), ("api/debug", "true"),
                              ("api/allowed-hosts", "localhost,127.0.0.1")] {
            expectSuccess(sandbox.sejf(["config", "set", name, value, "--env", "dev"]))
        }
        try sandbox.put("api/django-secret-key", "line one\nline two \"quoted\" $NOT_EXPANDED")
        try sandbox.put("api/sentry-dsn", "https://abc@sentry.example/1")
        let credentials: [String: Any] = ["host": "db.shop-dev", "port": 5432, "dbname": "shop", "username": "api",
                                          "password": Self.awkwardPassword]
        try sandbox.put("db/credentials", String(decoding: try JSONSerialization.data(withJSONObject: credentials), as: UTF8.self))
        try sandbox.put("redis/credentials", #"{"host":"redis","port":6379,"password":"r3d!s"}"#)
        return sandbox
    }

    func render(_ sandbox: Sandbox, _ format: String, app: String = "api") -> CLIResult {
        sandbox.sejf(["render", format, "--env", "dev", "--app", app, "--definitions", Self.definitions])
    }

    @Test("render env round-trips every value through python-dotenv, and URLs are encoded")
    func dotenvRoundTrip() throws {
        let sandbox = try prepared()
        let rendered = render(sandbox, "env")
        expectSuccess(rendered)
        let file = try sandbox.file("app.env", Array(rendered.stdoutData))
        let parsed = CLI.python("import json,sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))", [file])
        try #require(parsed.status == 0, "\(parsed)")
        let values = try #require(try JSONSerialization.jsonObject(with: parsed.stdoutData) as? [String: String])
        #expect(values["DB_PASSWORD"] == Self.awkwardPassword)
        #expect(values["DJANGO_SECRET_KEY"] == "line one\nline two \"quoted\" $NOT_EXPANDED")
        #expect(values["DB_PORT"] == "5432")
        #expect(values["DEBUG"] == "true")
        let url = try #require(values["DATABASE_URL"])
        #expect(url.hasPrefix("postgres://api:p%40ss%3Aw%2Frd%3F%23%25%20%22q%22%20%24HOME"))
        #expect(url.hasSuffix("@db.shop-dev:5432/shop"))
    }

    @Test("render k8s: a Secret and a ConfigMap that Kubernetes' schemas accept, data as kubectl would make it")
    func kubernetes() throws {
        let sandbox = try prepared()
        let rendered = render(sandbox, "k8s")
        expectSuccess(rendered)
        #expect(rendered.stdout.contains("kind: Secret"))
        #expect(rendered.stdout.contains("kind: ConfigMap"))
        #expect(rendered.stdout.contains("namespace: shop-dev"))
        #expect(rendered.stdout.contains("app.kubernetes.io/managed-by: sejf"))
        #expect(!rendered.stdout.contains(Self.awkwardPassword))
        let file = try sandbox.file("app.yaml", Array(rendered.stdoutData))
        let validated = CLI.run(executable: "/usr/bin/env", ["kubernetes-validate", "--strict", "--quiet", file])
        #expect(validated.status == 0, "kubernetes-validate: \(validated)")
        // The ConfigMap's values are single-line: compare with kubectl's own Secret of the same env-file.
        let json = render(sandbox, "json")
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: String])
        #expect(object["DEBUG"] == "true")
    }

    @Test("render rollout is a strategic-merge patch with the checksum; a changed value changes it")
    func rollout() throws {
        let sandbox = try prepared()
        let first = render(sandbox, "rollout")
        expectSuccess(first)
        #expect(first.stdout.hasPrefix(#"{"spec":{"template":{"metadata":{"annotations":{"sejf.dev/checksum":""#))
        #expect(render(sandbox, "rollout").stdout == first.stdout)
        try sandbox.put("api/sentry-dsn", "https://def@sentry.example/2")
        #expect(render(sandbox, "rollout").stdout != first.stdout)
    }

    @Test("render env refuses a value no .env quoting carries for both python-dotenv and sh, naming the variable")
    func dotenvRefusesTheUnrepresentable() throws {
        let sandbox = try prepared()
        try sandbox.put("api/sentry-dsn", "it's $HOME")
        let message = expectFailure(render(sandbox, "env"), mentioning: ["SENTRY_DSN"])
        #expect(!message.contains("it's"))
        // The shell format carries it.
        expectSuccess(render(sandbox, "shell"))
    }

    @Test("render docker refuses a multi-line value, naming the variable and not the value")
    func dockerRefusesNewlines() throws {
        let sandbox = try prepared()
        let message = expectFailure(render(sandbox, "docker"), mentioning: ["DJANGO_SECRET_KEY"])
        #expect(!message.contains("line one"))
    }

    @Test("a missing secret is an error naming the variable")
    func missingSecret() throws {
        let sandbox = try prepared()
        expectFailure(render(sandbox, "env", app: "worker"), code: "ResourceNotFoundException", mentioning: ["CELERY_CONCURRENCY", "worker/concurrency"])
        expectFailure(render(sandbox, "env", app: "nope"), mentioning: ["nope"])
    }

    @Test("run passes the variables to the command, without a shell, and exits with its status")
    func run() throws {
        let sandbox = try prepared()
        let options = ["run", "--env", "dev", "--app", "api", "--definitions", Self.definitions, "--data", sandbox.data, "--"]
        let result = CLI.run(options + ["/usr/bin/env", "python3", "-c",
                                        "import os,sys; sys.stdout.write(os.environ['DB_PASSWORD']); sys.exit(7)"])
        #expect(result.status == 7)
        #expect(result.stdout == Self.awkwardPassword)
        expectFailure(CLI.run(options + ["no-such-command-xyz"]), mentioning: ["no-such-command-xyz"])
    }

    @Test("rendering is audited as sejf:Render beside the reads")
    func audited() throws {
        let sandbox = try prepared()
        expectSuccess(render(sandbox, "json"))
        let events = sandbox.sejf(["audit", "list", "--env", "dev", "--action", "sejf:Render", "--output", "json"])
        expectSuccess(events)
        let list = try #require(try JSONSerialization.jsonObject(with: events.stdoutData) as? [[String: Any]])
        #expect(list.count == 7)  // 3 config entries and 4 secrets, one event each
        #expect(sandbox.sejf(["audit", "verify"]).status == 0)
    }
}
