import Foundation
import SejfCrypto
import Testing
@testable import SejfRender

/// A Kubernetes object as kubectl parsed it.
struct KubeObject: Decodable, Equatable {
    struct Metadata: Decodable, Equatable {
        var name: String
        var namespace: String?
        var labels: [String: String]?
        var annotations: [String: String]?
    }

    var apiVersion: String
    var kind: String
    var metadata: Metadata
    var type: String?
    var data: [String: String]?

    /// `data` base64-decoded (a Secret's).
    func decodedData() throws -> [String: String] {
        try (data ?? [:]).mapValues { encoded in
            let bytes = try #require(Data(base64Encoded: encoded), "not base64")
            // Not String(data:encoding:), which drops a leading byte-order mark.
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// kubectl and kubernetes-validate, the judges of Kubernetes output.
enum KubernetesTools {
    /// Versions to validate against: the kubectl here is 1.32, and 1.37 is kubernetes-validate's newest.
    static let versions = ["1.32.0", "1.37.0"]

    /// `kubernetes-validate --strict -k VERSION FILE` for each of ``versions``; returns how many
    /// resources passed per version.
    @discardableResult
    static func validate(_ file: URL) throws -> Int {
        try Tools.requirePythonModule("kubernetes_validate", pip: "kubernetes-validate==1.37.0")
        var passed: Set<Int> = []
        for version in versions {
            let result = try Tools.run(try Tools.python3(), ["-m", "kubernetes_validate", "--strict", "-k", version, file.path])
            #expect(result.status == 0, "kubernetes-validate \(version) rejected the manifests:\n\(result.out)\(result.err)")
            passed.insert(result.out.components(separatedBy: "passed for resource").count - 1)
        }
        #expect(passed.count == 1)
        return passed.first ?? 0
    }

    /// The objects of a manifest file as kubectl's own YAML reader sees them (`kubectl label
    /// --local` parses and prints them without a cluster; the label it adds is removed again).
    static func parse(_ file: URL) throws -> [KubeObject] {
        let result = try Tools.run(try Tools.kubectl(), ["label", "--local", "-f", file.path, "sejf.dev/parsed=yes", "-o", "json"])
        try #require(result.status == 0, "kubectl could not read the manifests: \(result.err)")
        // kubectl prints one JSON object per document, back to back; make it one array.
        let array = try Tools.python(
            """
            import json, sys
            text, decoder, i, out = sys.stdin.read(), json.JSONDecoder(), 0, []
            while True:
                while i < len(text) and text[i].isspace(): i += 1
                if i == len(text): break
                obj, i = decoder.raw_decode(text, i)
                out.append(obj)
            sys.stdout.write(json.dumps(out))
            """,
            stdin: result.stdout)
        try #require(array.status == 0, "python failed: \(array.err)")
        return try JSONDecoder().decode([KubeObject].self, from: array.stdout).map { object in
            var object = object
            object.metadata.labels?["sejf.dev/parsed"] = nil
            return object
        }
    }
}

@Suite("kubernetes")
struct KubernetesRendererTests {
    static let arn = "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf"

    static var awkwardApp: RenderApp {
        var variables = Awkward.variables(.secret).map { variable in
            var variable = variable
            variable.sources = [RenderSource(arn: arn, versionId: "v-\(variable.name.lowercased())")]
            return variable
        }
        variables += Awkward.variables(.config).map { variable in
            var variable = variable
            variable.name = "cfg." + variable.name
            return variable
        }
        return RenderApp(app: "api", environment: "prod", namespace: "prod", secretName: "api-secrets",
                         configMapName: "api-config", variables: variables)
    }

    @Test("the awkward app validates strictly and kubectl reads back every value exactly")
    func awkwardApp() throws {
        let app = Self.awkwardApp
        let yaml = try KubernetesRenderer.render([app])
        try withTemporaryDirectory { dir in
            let file = try write(yaml, to: "app.yaml", in: dir)
            #expect(try KubernetesTools.validate(file) == 2)
            let objects = try KubernetesTools.parse(file)
            try #require(objects.count == 2)
            let (secret, configMap) = (objects[0], objects[1])

            let secrets = app.variables.filter { $0.kind == .secret }
            let configs = app.variables.filter { $0.kind == .config }
            #expect(secret.kind == "Secret")
            #expect(secret.apiVersion == "v1")
            #expect(secret.type == "Opaque")
            #expect(secret.metadata.name == "api-secrets")
            #expect(secret.metadata.namespace == "prod")
            #expect(try secret.decodedData() == Dictionary(uniqueKeysWithValues: secrets.map { ($0.name, $0.value) }))
            #expect(configMap.kind == "ConfigMap")
            #expect(configMap.metadata.name == "api-config")
            #expect(configMap.data == Dictionary(uniqueKeysWithValues: configs.map { ($0.name, $0.value) }))

            for object in objects {
                #expect(object.metadata.labels == ["app.kubernetes.io/managed-by": "sejf", "app.kubernetes.io/part-of": "api"])
            }
            #expect(secret.metadata.annotations?["sejf.dev/checksum"] == KubernetesRenderer.checksum(of: secrets))
            #expect(configMap.metadata.annotations?["sejf.dev/checksum"] == KubernetesRenderer.checksum(of: configs))
            #expect(configMap.metadata.annotations?["sejf.dev/sources"] == nil)

            let sourcesJSON = try #require(secret.metadata.annotations?["sejf.dev/sources"])
            struct Source: Decodable, Equatable { var arn: String; var versionId: String }
            let sources = try JSONDecoder().decode([String: [Source]].self, from: Data(sourcesJSON.utf8))
            #expect(sources == Dictionary(uniqueKeysWithValues: secrets.map {
                ($0.name, [Source(arn: Self.arn, versionId: "v-\($0.name.lowercased())")])
            }))
        }
    }

    @Test("random values and YAML-1.1-looking keys survive kubectl's YAML reader")
    func fuzz() throws {
        let keys = ["y", "Y", "n", "N", "yes", "No", "ON", "off", "true", "False", "null", "NULL", "1", "0x1F", "1e3",
                    "0o17", "1_000", "-", "_", "-1", ".5", "5.", ".inf", "-.inf", ".NaN", "0b101", "2001-12-14", ".a",
                    "a.", "a-", "v1", "apiVersion", "kind"]
        let values = randomAwkwardValues(count: 600, seed: 2024, extra: ["\r", "\u{0}", "\u{1}", "\u{7F}", "\u{9F}", "-", "."])
            + ["---", "...", "- a", "? b", ": c", "&anchor", "*alias", "!tag", "%YAML", "@at", "|", ">", "null", "~",
               "yes", "0x1F", "1e3", " ", "\n", " \n ", "a \nb", "a\n \nb", "\t\n\t", "\n\n\n", "x\n\n", "# c\n"]
        var variables = keys.map { RenderVariable(name: $0, value: $0, kind: .config) }
        variables += values.enumerated().map { RenderVariable(name: "c\($0.offset)", value: $0.element, kind: .config) }
        variables += values.enumerated().map {
            RenderVariable(name: "s\($0.offset)", value: $0.element, kind: .secret,
                           sources: [RenderSource(arn: "arn:aws:secretsmanager:dev:1:secret:\($0.element)", versionId: $0.element)])
        }
        let app = RenderApp(app: "fuzz", environment: "dev", namespace: "dev", secretName: "s", configMapName: "c",
                            variables: variables)
        try withTemporaryDirectory { dir in
            let file = try write(try KubernetesRenderer.render([app]), to: "fuzz.yaml", in: dir)
            let objects = try KubernetesTools.parse(file)
            try #require(objects.count == 2)
            #expect(try objects[0].decodedData() == Dictionary(uniqueKeysWithValues: variables.filter { $0.kind == .secret }.map { ($0.name, $0.value) }))
            let expected = Dictionary(uniqueKeysWithValues: variables.filter { $0.kind == .config }.map { ($0.name, $0.value) })
            let got = objects[1].data ?? [:]
            #expect(got.count == expected.count)
            for (name, value) in expected {
                #expect(got[name] == value, "\(name): \(value.debugDescription) came back as \(got[name].debugDescription)")
            }
            struct Source: Decodable, Equatable { var arn: String; var versionId: String }
            let sourcesJSON = try #require(objects[0].metadata.annotations?["sejf.dev/sources"])
            let sources = try JSONDecoder().decode([String: [Source]].self, from: Data(sourcesJSON.utf8))
            #expect(sources == Dictionary(uniqueKeysWithValues: variables.filter { $0.kind == .secret }.map {
                ($0.name, $0.sources.map { Source(arn: $0.arn, versionId: $0.versionId) })
            }))
            try KubernetesTools.validate(file)
        }
    }

    @Test("the Secret's data equals what kubectl create secret --from-env-file makes of the docker env-file")
    func matchesKubectlCreateSecret() throws {
        let variables = DockerEnvFileRendererTests.singleLine
        #expect(variables.count >= 10)
        let app = RenderApp(app: "api", environment: "prod", namespace: "prod", secretName: "api-secrets",
                            configMapName: "api-config", variables: variables)
        try withTemporaryDirectory { dir in
            let envFile = try write(try DockerEnvFileRenderer.render(variables), to: "api.env", in: dir)
            let created = try Tools.run(try Tools.kubectl(), ["create", "secret", "generic", "api-secrets", "--namespace", "prod",
                                                              "--from-env-file=\(envFile.path)", "--dry-run=client", "-o", "json"])
            try #require(created.status == 0, "kubectl create secret failed: \(created.err)")
            let theirs = try JSONDecoder().decode(KubeObject.self, from: created.stdout)
            let ours = try KubernetesTools.parse(try write(try KubernetesRenderer.render([app]), to: "api.yaml", in: dir))
            try #require(ours.count == 1)
            #expect(ours[0].data == theirs.data)
            #expect(ours[0].type == theirs.type ?? "Opaque")  // kubectl leaves the default type out
            #expect(try theirs.decodedData() == Dictionary(uniqueKeysWithValues: variables.map { ($0.name, $0.value) }))
        }
    }

    @Test("the exact YAML of a small app")
    func exactYAML() throws {
        let app = RenderApp(app: "api", environment: "prod", namespace: "prod", secretName: "api-secrets", configMapName: "api-config",
                            variables: [
                                RenderVariable(name: "on", value: "yes", kind: .config),
                                RenderVariable(name: "DB_PASSWORD", value: "s3cr3t", kind: .secret,
                                               sources: [RenderSource(arn: Self.arn, versionId: "v1")]),
                                RenderVariable(name: "CA", value: "line 1\nline 2\n", kind: .config),
                                RenderVariable(name: "PORT", value: "5432", kind: .config),
                            ])
        let secretSum = KubernetesRenderer.checksum(of: app.variables.filter { $0.kind == .secret })
        let configSum = KubernetesRenderer.checksum(of: app.variables.filter { $0.kind == .config })
        #expect(try KubernetesRenderer.render([app]) == """
            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: api-secrets
              namespace: prod
              labels:
                app.kubernetes.io/managed-by: sejf
                app.kubernetes.io/part-of: api
              annotations:
                sejf.dev/checksum: "\(secretSum)"
                sejf.dev/sources: '{"DB_PASSWORD":[{"arn":"\(Self.arn)","versionId":"v1"}]}'
            type: Opaque
            data:
              DB_PASSWORD: "czNjcjN0"
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: api-config
              namespace: prod
              labels:
                app.kubernetes.io/managed-by: sejf
                app.kubernetes.io/part-of: api
              annotations:
                sejf.dev/checksum: "\(configSum)"
            data:
              CA: |
                line 1
                line 2
              PORT: "5432"
              "on": "yes"

            """)
    }

    @Test("a Secret only with secret variables, a ConfigMap only with config ones, nothing for neither")
    func omission() throws {
        func kinds(_ variables: [RenderVariable]) throws -> [String] {
            let app = RenderApp(app: "a", environment: "dev", namespace: "dev", secretName: "s", configMapName: "c", variables: variables)
            return try KubernetesRenderer.render([app]).split(separator: "\n").filter { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) }
        }
        #expect(try kinds([RenderVariable(name: "A", value: "1", kind: .config)]) == ["ConfigMap"])
        #expect(try kinds([RenderVariable(name: "A", value: "1", kind: .secret)]) == ["Secret"])
        #expect(try kinds([]) == [])
        #expect(try KubernetesRenderer.render([]) == "")
    }

    @Test("several apps: one stream, in order, each validated")
    func severalApps() throws {
        let apps = ["api", "worker"].map { name in
            RenderApp(app: name, environment: "staging", namespace: "staging", secretName: "\(name)-secrets",
                      configMapName: "\(name)-config",
                      variables: [RenderVariable(name: "A", value: name, kind: .secret), RenderVariable(name: "B", value: name, kind: .config)])
        }
        try withTemporaryDirectory { dir in
            let file = try write(try KubernetesRenderer.render(apps), to: "apps.yaml", in: dir)
            #expect(try KubernetesTools.validate(file) == 4)
            #expect(try KubernetesTools.parse(file).map { "\($0.kind)/\($0.metadata.name)" }
                == ["Secret/api-secrets", "ConfigMap/api-config", "Secret/worker-secrets", "ConfigMap/worker-config"])
        }
    }

    // MARK: - Refusals

    static func app(_ variables: [RenderVariable] = [RenderVariable(name: "A", value: "v", kind: .secret)],
                    name: String = "api", namespace: String = "prod", secretName: String = "api-secrets",
                    configMapName: String = "api-config") -> RenderApp {
        RenderApp(app: name, environment: "prod", namespace: namespace, secretName: secretName, configMapName: configMapName,
                  variables: variables)
    }

    @Test("a variable name that is not a data key is refused, naming it",
          arguments: ["A B", "A/B", "", ".", "..", "..A", "É", "a:b", String(repeating: "a", count: 254)])
    func invalidDataKey(name: String) throws {
        let error = try #require(throws: RenderError.self) {
            try KubernetesRenderer.render([Self.app([RenderVariable(name: name, value: "secret-value", kind: .config)])])
        }
        #expect(error.code == .invalidName)
        #expect(error.variable == name)
        #expect(error.message.hasPrefix("kubernetes: app \"api\": variable \""))
        #expect(!error.message.contains("secret-value"))
        #expect(!error.message.contains("\n"))
    }

    @Test("data keys Kubernetes accepts are accepted", arguments: ["a", "A-b_c.d", ".a", "a..b", "1", String(repeating: "a", count: 253)])
    func validDataKey(name: String) throws {
        _ = try KubernetesRenderer.render([Self.app([RenderVariable(name: name, value: "v", kind: .secret)])])
    }

    @Test("a repeated variable name is refused, even across kinds")
    func duplicateVariable() throws {
        let error = try #require(throws: RenderError.self) {
            try KubernetesRenderer.render([Self.app([RenderVariable(name: "A", value: "1", kind: .secret),
                                                     RenderVariable(name: "A", value: "2", kind: .config)])])
        }
        #expect(error.code == .duplicateName)
        #expect(error.message == "kubernetes: app \"api\": variable \"A\" is given more than once")
    }

    @Test("namespaces, object names and app labels Kubernetes rejects are refused")
    func invalidObjects() throws {
        let apps = [
            Self.app(namespace: "Prod"), Self.app(namespace: "prod.eu"), Self.app(namespace: ""),
            Self.app(namespace: String(repeating: "a", count: 64)), Self.app(secretName: "Api"), Self.app(secretName: "api_secrets"),
            Self.app(configMapName: "-api"), Self.app(configMapName: "api..config"), Self.app(name: "my app"),
            Self.app(name: "-api"), Self.app(name: ""), Self.app(name: String(repeating: "a", count: 64)),
        ]
        for app in apps {
            let error = try #require(throws: RenderError.self) { try KubernetesRenderer.render([app]) }
            #expect(error.code == .invalidObject)
            #expect(!error.message.contains("\n"))
        }
        _ = try KubernetesRenderer.render([Self.app(name: "API_v2.1", secretName: "api.secrets-1")])
    }

    @Test("two apps rendering the same object are refused")
    func sameObjectTwice() throws {
        let error = try #require(throws: RenderError.self) {
            try KubernetesRenderer.render([Self.app(name: "api"), Self.app(name: "worker")])
        }
        #expect(error.code == .invalidObject)
        #expect(error.message == "kubernetes: Secret prod/api-secrets is rendered for both app \"api\" and app \"worker\"")
        // Same names in different namespaces, or a Secret and a ConfigMap sharing a name, are fine.
        _ = try KubernetesRenderer.render([Self.app(name: "api"), Self.app(name: "worker", namespace: "staging")])
        _ = try KubernetesRenderer.render([Self.app([RenderVariable(name: "A", value: "v", kind: .secret),
                                                     RenderVariable(name: "B", value: "v", kind: .config)],
                                                    secretName: "api", configMapName: "api")])
    }

    @Test("objects over 1 MiB of data are refused; exactly 1 MiB is fine")
    func size() throws {
        let half = String(repeating: "x", count: 1 << 19)
        let ok = Self.app([RenderVariable(name: "A", value: half, kind: .secret), RenderVariable(name: "B", value: half, kind: .secret)])
        _ = try KubernetesRenderer.render([ok])
        let tooBig = Self.app([RenderVariable(name: "A", value: half, kind: .config), RenderVariable(name: "B", value: half, kind: .config)])
        let error = try #require(throws: RenderError.self) { try KubernetesRenderer.render([tooBig]) }
        #expect(error.code == .tooLarge)
        #expect(error.message == "kubernetes: ConfigMap prod/api-config would hold 1048578 bytes of data; Kubernetes allows at most 1048576")
    }

    // MARK: - Checksum

    @Test("the checksum is SHA-256 (or HMAC-SHA-256) of the documented canonical form")
    func checksumDefinition() throws {
        let variables = [
            RenderVariable(name: "B", value: "zażółć\n", kind: .config),
            RenderVariable(name: "A", value: "", kind: .secret),
        ]
        let result = try Tools.python(
            """
            import hashlib, hmac, sys
            canonical = "sejf.dev/checksum v1\\n" + "secret\\n1\\nA\\n0\\n\\n" + "config\\n1\\nB\\n%d\\nzażółć\\n\\n" % len("zażółć\\n".encode())
            data = canonical.encode()
            sys.stdout.write(hashlib.sha256(data).hexdigest() + " " + hmac.new(b"k" * 32, data, hashlib.sha256).hexdigest())
            """)
        try #require(result.status == 0, "python failed: \(result.err)")
        let expected = result.out.split(separator: " ").map(String.init)
        #expect(KubernetesRenderer.checksum(of: variables) == expected[0])
        #expect(KubernetesRenderer.checksum(of: variables, key: Array(repeating: UInt8(ascii: "k"), count: 32)) == expected[1])
    }

    @Test("the checksum ignores order and changes with any value, name or kind")
    func checksumSensitivity() {
        let base = [RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "B", value: "2", kind: .config)]
        let sum = KubernetesRenderer.checksum(of: base)
        #expect(KubernetesRenderer.checksum(of: base.reversed()) == sum)
        #expect(KubernetesRenderer.checksum(of: [base[0], RenderVariable(name: "B", value: "3", kind: .config)]) != sum)
        #expect(KubernetesRenderer.checksum(of: [base[0], RenderVariable(name: "C", value: "2", kind: .config)]) != sum)
        #expect(KubernetesRenderer.checksum(of: [base[0], RenderVariable(name: "B", value: "2", kind: .secret)]) != sum)
        // Length prefixes: moving a boundary between name and value changes the checksum.
        #expect(KubernetesRenderer.checksum(of: [RenderVariable(name: "A", value: "1\nsecret\nB", kind: .secret)])
            != KubernetesRenderer.checksum(of: [RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "B", value: "", kind: .secret)]))
        #expect(KubernetesRenderer.checksum(of: [RenderVariable(name: "A\n1", value: "", kind: .secret)])
            != KubernetesRenderer.checksum(of: [RenderVariable(name: "A", value: "1\n", kind: .secret)]))
        let twins = [RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "A", value: "2", kind: .secret),
                     RenderVariable(name: "A", value: "1", kind: .config)]
        #expect(KubernetesRenderer.checksum(of: twins) == KubernetesRenderer.checksum(of: twins.reversed()))
        #expect(KubernetesRenderer.checksum(of: base, key: [1, 2, 3]) != sum)
        #expect(KubernetesRenderer.checksum(of: base, key: [1, 2, 3]) != KubernetesRenderer.checksum(of: base, key: [1, 2, 4]))
    }

    @Test("the checksum annotation uses the key when one is given")
    func keyedAnnotation() throws {
        let key: [UInt8] = Array(repeating: 7, count: 32)
        let app = Self.app()
        let yaml = try KubernetesRenderer.render([app], checksumKey: key)
        #expect(yaml.contains("sejf.dev/checksum: \"\(KubernetesRenderer.checksum(of: app.variables, key: key))\""))
        #expect(!yaml.contains(KubernetesRenderer.checksum(of: app.variables)))
    }

    // MARK: - Rollout

    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          namespace: prod
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: api
          template:
            metadata:
              labels:
                app: api
              annotations:
                example.com/other: keep
            spec:
              containers:
                - name: api
                  image: example/api:1.0
                  envFrom:
                    - secretRef:
                        name: api-secrets
                    - configMapRef:
                        name: api-config

        """

    @Test("the rollout patch, applied by kubectl patch, sets the pod template's checksum and keeps the rest")
    func rolloutPatch() throws {
        let app = Self.awkwardApp
        let patch = try KubernetesRenderer.rolloutPatch(for: app)
        let sum = KubernetesRenderer.checksum(of: app.variables)
        #expect(patch == "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sejf.dev/checksum\":\"\(sum)\"}}}}}")
        try withTemporaryDirectory { dir in
            let file = try write(Self.deployment, to: "deployment.yaml", in: dir)
            let patched = try Tools.run(try Tools.kubectl(), ["patch", "--local", "-f", file.path, "--type", "strategic",
                                                              "--patch", patch, "-o", "json"])
            try #require(patched.status == 0, "kubectl patch failed: \(patched.err)")
            let object = try #require(try JSONSerialization.jsonObject(with: patched.stdout) as? [String: Any])
            let spec = try #require(object["spec"] as? [String: Any])
            let template = try #require(spec["template"] as? [String: Any])
            let metadata = try #require(template["metadata"] as? [String: Any])
            #expect(metadata["annotations"] as? [String: String] == ["example.com/other": "keep", "sejf.dev/checksum": sum])
            #expect(spec["replicas"] as? Int == 2)
            #expect((template["spec"] as? [String: Any])?["containers"] as? [Any] != nil)
            #expect(try KubernetesTools.validate(try write(patched.out, to: "patched.json", in: dir)) == 1)
        }
    }

    /// Why the patch is not a third document of ``KubernetesRenderer/render(_:checksumKey:)``.
    @Test("the same change as a partial Deployment document does not validate")
    func partialDeploymentIsInvalid() throws {
        let partial = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: prod}
            spec: {template: {metadata: {annotations: {sejf.dev/checksum: abc}}}}

            """
        try Tools.requirePythonModule("kubernetes_validate", pip: "kubernetes-validate==1.37.0")
        try withTemporaryDirectory { dir in
            let file = try write(partial, to: "partial.yaml", in: dir)
            let result = try Tools.run(try Tools.python3(), ["-m", "kubernetes_validate", "--strict", "-k", "1.32.0", file.path])
            #expect(result.status != 0)
            #expect(result.out.contains("'selector' is a required property"), "\(result.out)\(result.err)")
        }
    }

    @Test("the rollout checksum covers secrets and config, and changes when any value does")
    func rolloutChecksum() throws {
        var app = Self.app([RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "B", value: "2", kind: .config)])
        let before = try KubernetesRenderer.rolloutPatch(for: app)
        app.variables.reverse()
        #expect(try KubernetesRenderer.rolloutPatch(for: app) == before)
        app.variables[0].value = "3"
        #expect(try KubernetesRenderer.rolloutPatch(for: app) != before)
        #expect(try KubernetesRenderer.rolloutPatch(for: app, checksumKey: [9]) != KubernetesRenderer.rolloutPatch(for: app))
        #expect(throws: RenderError.self) { try KubernetesRenderer.rolloutPatch(for: Self.app(namespace: "Bad")) }
    }
}
