import Testing
@testable import SejfCore

/// Values as the service would look them up: secret name → whole value, or JSON fields.
private let database: [String: String] = [
    "username": "shop", "password": "p@ss:w/rd?#%", "host": "db.internal", "port": "5432", "dbname": "shop main",
]

private func lookup(_ secret: String, _ key: String?) -> String? {
    switch (secret, key) {
    case ("db/credentials", let key?): database[key]
    case ("api/django-secret-key", nil): "k3y with spaces & {{braces}}"
    case ("certs/tls.crt", nil): "whole dotted secret"
    case ("certs/tls", "crt"): "crt field"
    case ("web/tls", "tls.crt"): "dotted key"
    case ("db/bad", "host"): "evil.example/x@y"
    case ("db/bad", "port"): "5432/x"
    case ("db/bad", "bigport"): "70000"
    case ("db/v6", "host"): "[fd00::1]"
    case ("empty", nil): ""
    default: nil
    }
}

private func render(_ text: String, variable: String = "VAR") throws -> String {
    try AppTemplate(text).render(variable: variable, lookup: lookup)
}

struct AppTemplateParsingTests {
    @Test func splitsLiteralsAndPlaceholders() throws {
        let t = try AppTemplate("Host={{db/credentials.host}};Key={{ api/django-secret-key }};Raw={{db/credentials.password | raw}}")
        #expect(!t.isURL)
        #expect(t.parts.count == 6)
        #expect(t.parts[0] == .literal("Host="))
        #expect(t.placeholders.map(\.secret) == ["db/credentials", "api/django-secret-key", "db/credentials"])
        #expect(t.placeholders.map(\.key) == ["host", nil, "password"])
        #expect(t.placeholders.map(\.raw) == [false, false, true])
        #expect(t.placeholders.map(\.text) == ["{{db/credentials.host}}", "{{ api/django-secret-key }}", "{{db/credentials.password | raw}}"])
        #expect(t.placeholders.allSatisfy { $0.component == .plain })
        #expect(t.description == t.source)
    }

    @Test func lastDotSeparatesAPlainKey() throws {
        let cases: [(String, String, String?)] = [
            ("{{db/credentials.password}}", "db/credentials", "password"),
            ("{{a.b.c}}", "a.b", "c"),
            ("{{certs/tls.crt}}", "certs/tls", "crt"),
            ("{{db/credentials}}", "db/credentials", nil),
            // What follows the last dot is not a plain key, so it is all the name.
            ("{{mail@example.com/smtp}}", "mail@example.com/smtp", nil),
            ("{{db/credentials.}}", "db/credentials.", nil),
            ("{{.hidden}}", ".hidden", nil),
            ("{{x.a+b}}", "x.a+b", nil),
            // Brackets take the name literally and let the key contain dots.
            ("{{[certs/tls.crt]}}", "certs/tls.crt", nil),
            ("{{[certs/tls.crt].pem}}", "certs/tls.crt", "pem"),
            ("{{[web/tls].tls.crt}}", "web/tls", "tls.crt"),
            ("{{[web/tls].a@b/c}}", "web/tls", "a@b/c"),
        ]
        for (text, secret, key) in cases {
            let p = try #require(try AppTemplate(text).placeholders.first)
            #expect(p.secret == secret && p.key == key, "\(text) → \(p.secret) \(p.key ?? "nil")")
        }
    }

    @Test func escapesBraces() throws {
        #expect(try render("{{{{literal}} and {single} }} {{api/django-secret-key}}")
                == "{{literal}} and {single} }} k3y with spaces & {{braces}}")
        #expect(try AppTemplate("{{{{").parts == [.literal("{{")])
        #expect(try AppTemplate("no placeholders").placeholders.isEmpty)
        #expect(try AppTemplate("").parts.isEmpty)
    }

    @Test(arguments: [
        ("postgres://{{db/credentials.password", "'{{' at character 12 is not closed by '}}'"),
        ("a {{b", "'{{' at character 3 is not closed"),
        ("{{a {{b}}", "'{{' at character 1 is not closed"),
        ("x{{}}", "placeholder '{{}}' at character 2: names no secret"),
        ("{{ | raw }}", "names no secret"),
        ("{{db credentials}}", "'db credentials' is not a secret name"),
        ("{{db/credentials.password|upper}}", "unknown filter 'upper' (known: raw)"),
        ("{{db/credentials|}}", "unknown filter ''"),
        ("{{[db/credentials}}", "'[' is not closed by ']'"),
        ("{{[db/credentials]password}}", "expected '.KEY' or nothing after ']'"),
        ("{{[db/credentials].}}", "expected '.KEY' or nothing after ']'"),
        ("{{[web/tls].a b}}", "key 'a b' may not contain"),
        ("{{[]}}", "'' is not a secret name"),
        ("{{ünïcode}}", "is not a secret name"),
    ])
    func rejects(text: String, expected: String) {
        do {
            _ = try AppTemplate(text)
            Issue.record("accepted \(text)")
        } catch let error as SejfError {
            #expect(error.code == .invalidParameter)
            #expect(error.message.contains(expected), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func rejectsLongKeysAndTemplates() throws {
        #expect(throws: SejfError.self) { try AppTemplate("{{s.\(String(repeating: "k", count: 257))}}") }
        _ = try AppTemplate("{{s.\(String(repeating: "k", count: 256))}}")
        #expect(throws: SejfError(.invalidParameter, "a template must be at most 8192 characters")) {
            try AppTemplate(String(repeating: "x", count: 8193))
        }
    }

    @Test func referencesAreUniqueInOrderOfFirstUse() throws {
        let t = try AppTemplate("postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}/{{db/credentials.username}}?key={{api/django-secret-key}}&again={{api/django-secret-key|raw}}")
        #expect(t.references.map { "\($0.secret)|\($0.key ?? "-")" }
                == ["db/credentials|username", "db/credentials|password", "db/credentials|host", "api/django-secret-key|-"])
        #expect(try AppTemplate("plain").references.isEmpty)
    }

    @Test func findsURLComponentsFromLiteralText() throws {
        let t = try AppTemplate("postgres://{{a.user}}:{{a.password}}@{{a.host}}:{{a.port}}/{{a.db}}?sslmode={{a.mode}}#{{a.frag}}")
        #expect(t.isURL)
        #expect(t.placeholders.map(\.component) == [.userinfo, .userinfo, .host, .port, .path, .query, .fragment])
        // Without '@' the whole authority is host and port; an IPv6 literal's colons are not the port's.
        #expect(try AppTemplate("redis://{{a.host}}:{{a.port}}").placeholders.map(\.component) == [.host, .port])
        #expect(try AppTemplate("http://[::1]:{{a.port}}").placeholders.map(\.component) == [.port])
        #expect(try AppTemplate("http://[{{a.host}}]").placeholders.map(\.component) == [.host])
        #expect(try AppTemplate("redis://:{{a.password}}@host/{{a.db}}").placeholders.map(\.component) == [.userinfo, .path])
        #expect(try AppTemplate("https://host?a={{a.q}}/x#y").placeholders.map(\.component) == [.query])
        // A scheme must be literal, lower or upper case, and followed by "://".
        #expect(try !AppTemplate("{{a.scheme}}://{{a.host}}").isURL)
        #expect(try AppTemplate("HTTPS://{{a.host}}").isURL)
        #expect(try !AppTemplate("mailto:{{a.user}}").isURL)
        #expect(try !AppTemplate("1http://{{a.host}}").isURL)
        #expect(try AppTemplate("git+ssh://{{a.user}}@h").placeholders.map(\.component) == [.userinfo])
    }
}

struct AppTemplateRenderingTests {
    static let databaseURL = "postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}:{{db/credentials.port}}/{{db/credentials.dbname}}"

    @Test func percentEncodesUserinfoAndPath() throws {
        #expect(try render(Self.databaseURL) == "postgres://shop:p%40ss%3Aw%2Frd%3F%23%25@db.internal:5432/shop%20main")
    }

    @Test func percentEncodesQueryAndFragment() throws {
        #expect(try render("https://h/x?password={{db/credentials.password}}#{{db/credentials.dbname}}")
                == "https://h/x?password=p%40ss%3Aw%2Frd%3F%23%25#shop%20main")
    }

    @Test func percentEncodesEveryByteButUnreserved() {
        #expect(AppTemplate.percentEncode("aZ09-._~ !\"$&'()*+,;=:/?#[]@%") == "aZ09-._~%20%21%22%24%26%27%28%29%2A%2B%2C%3B%3D%3A%2F%3F%23%5B%5D%40%25")
        #expect(AppTemplate.percentEncode("zażółć") == "za%C5%BC%C3%B3%C5%82%C4%87")
    }

    @Test func rawInsertsVerbatim() throws {
        #expect(try render("postgres://{{db/credentials.username}}:{{db/credentials.password|raw}}@{{db/bad.host | raw}}:{{db/bad.port|raw}}/{{db/credentials.dbname|raw}}")
                == "postgres://shop:p@ss:w/rd?#%@evil.example/x@y:5432/x/shop main")
    }

    @Test func nonURLTemplatesAreVerbatim() throws {
        #expect(try render("host={{db/credentials.host}} password={{db/credentials.password}} dbname='{{db/credentials.dbname}}'")
                == "host=db.internal password=p@ss:w/rd?#% dbname='shop main'")
        // Braces in a value are not placeholders: values are never parsed.
        #expect(try render("{{api/django-secret-key}}") == "k3y with spaces & {{braces}}")
    }

    @Test func dottedNamesAndKeys() throws {
        #expect(try render("{{[certs/tls.crt]}} / {{certs/tls.crt}} / {{[web/tls].tls.crt}}")
                == "whole dotted secret / crt field / dotted key")
    }

    @Test func anEmptyValueIsAValue() throws {
        #expect(try render("[{{empty}}]") == "[]")
    }

    @Test func missingKeyNamesTheVariable() {
        #expect(throws: SejfError(.resourceNotFound,
            "variable 'DATABASE_URL': no value for key 'nope' of secret 'db/credentials' ({{db/credentials.nope}})")) {
            try render("postgres://u@h/{{db/credentials.nope}}", variable: "DATABASE_URL")
        }
        #expect(throws: SejfError(.resourceNotFound, "variable 'TOKEN': no value for secret 'no/such' ({{no/such}})")) {
            try render("Bearer {{no/such}}", variable: "TOKEN")
        }
    }

    @Test func lookupErrorsKeepTheirCodeAndNameTheVariable() {
        struct Other: Error, Equatable {}
        let t = try! AppTemplate("x={{db/credentials.password}}")
        #expect(throws: SejfError(.accessDenied, "variable 'DB_URL' ({{db/credentials.password}}): not allowed")) {
            try t.render(variable: "DB_URL") { _, _ in throw SejfError(.accessDenied, "not allowed") }
        }
        #expect(throws: Other()) {
            try t.render(variable: "DB_URL") { _, _ in throw Other() }
        }
    }

    @Test func checksHostAndPortWithoutShowingTheValue() throws {
        for (text, expected) in [
            ("postgres://u@{{db/bad.host}}:5432/db", "the value of {{db/bad.host}} is not a URL host"),
            ("postgres://u@h:{{db/bad.port}}/db", "the value of {{db/bad.port}} is not a URL port (0-65535 in digits); write {{db/bad.port|raw}}"),
            ("postgres://u@h:{{db/bad.bigport}}/db", "is not a URL port"),
            ("redis://{{db/credentials.password}}/0", "is not a URL host"),
        ] {
            do {
                _ = try render(text, variable: "DATABASE_URL")
                Issue.record("rendered \(text)")
            } catch let error as SejfError {
                #expect(error.code == .invalidRequest)
                #expect(error.message.hasPrefix("variable 'DATABASE_URL': "), "\(error.message)")
                #expect(error.message.contains(expected), "\(error.message)")
                for value in ["evil.example", "5432/x", "70000", "p@ss"] { #expect(!error.message.contains(value)) }
            }
        }
        #expect(try render("postgres://u@{{db/v6.host}}:{{db/credentials.port}}/x") == "postgres://u@[fd00::1]:5432/x")
    }

    @Test func callsLookupOncePerPlaceholder() throws {
        var calls: [String] = []
        let out = try AppTemplate("{{a.x}}-{{a.x}}-{{b}}").render(variable: "V") { secret, key in
            calls.append("\(secret).\(key ?? "")")
            return "v"
        }
        #expect(out == "v-v-v")
        #expect(calls == ["a.x", "a.x", "b."])
    }
}
