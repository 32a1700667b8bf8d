import ArgumentParser
import Foundation
import SejfService

extension SecretCommand {
    /// `sejf secret get`: GetSecretValue.
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a secret's value (AWSCURRENT unless --version-id or --label).")

        @OptionGroup var target: SecretTarget

        @Option(name: .customLong("version-id"), help: "Read this version.")
        var versionId: String?

        @Option(name: .long, help: "Read the version with this staging label.")
        var label: String?

        @Option(name: .customLong("json-key"), help: ArgumentHelp("Print one field of a JSON object value.", valueName: "key"))
        var jsonKey: String?

        func run() throws {
            let response = try target.api().call(SecretsManager.GetSecretValue.self,
                GetSecretValueRequest(SecretId: target.name, VersionId: versionId, VersionStage: label))
            if let jsonKey {
                return Output.line(try JSONField.extract(jsonKey, from: response.SecretString, secret: response.Name))
            }
            if target.store.output == .json { return try Output.json(response) }
            if let string = response.SecretString { Output.line(string) }
            if let binary = response.SecretBinary { Output.raw(binary) }
        }
    }
}

/// Reads one field of a JSON object secret, as `--json-key` does.
enum JSONField {
    /// Strings come out as they are; numbers, booleans, null, arrays and objects as JSON.
    static func extract(_ key: String, from text: String?, secret: String) throws -> String {
        guard let text, let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [String: Any] else {
            throw CommandLineFailure("the value of \(secret) is not a JSON object, so it has no key '\(key)'")
        }
        guard let field = object[key] else {
            throw CommandLineFailure("the value of \(secret) has no JSON key '\(key)' (keys: \(object.keys.sorted().joined(separator: ", ")))")
        }
        if let string = field as? String { return string }
        let data = try JSONSerialization.data(withJSONObject: field, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
