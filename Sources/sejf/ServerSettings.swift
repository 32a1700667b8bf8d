import Foundation
import Yams

/// Where each `sejf server` setting comes from, first match wins: the flag, the environment
/// variable `SEJF_<NAME>` (`--admin-listen` → `SEJF_ADMIN_LISTEN`), the YAML config file
/// (`--config`/`SEJF_CONFIG`, keys named like the flags), then the default.
///
/// The config file holds settings only: key material comes from key files or `SEJF_KEY_*`
/// variables, never from it, and an unknown key (a typo, or an attempt to put a key there) is an
/// error naming it.
struct ServerSettings {
    static let names: Set<String> = [
        "data", "key-dir", "definitions", "listen", "admin-listen", "log-level", "log-format", "tls-cert", "tls-key",
        "max-body", "rotation-check", "tls-reload-check",
    ]

    private let flags: [String: String]
    private let environment: [String: String]
    private let file: [String: String]

    init(flags: [String: String?], configPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.flags = flags.compactMapValues { $0 }
        self.environment = environment
        guard let path = configPath ?? environment["SEJF_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            file = [:]
            return
        }
        file = try Self.readConfig(path)
    }

    /// The setting `name`, or nil when no source sets it.
    func value(_ name: String) -> String? {
        precondition(Self.names.contains(name), "unknown setting \(name)")
        let variable = "SEJF_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        return flags[name] ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? file[name]
    }

    func value(_ name: String, default fallback: String) -> String { value(name) ?? fallback }

    func number(_ name: String, default fallback: Double) throws -> Double {
        guard let text = value(name) else { return fallback }
        guard let number = Double(text), number.isFinite else { throw CommandLineFailure("\(name) must be a number, not '\(text)'") }
        return number
    }

    static func readConfig(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CommandLineFailure("cannot read the config file \(path)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw CommandLineFailure("\(path): not valid YAML")
        }
        guard let node else { return [:] }
        guard let mapping = node.mapping else { throw CommandLineFailure("\(path): must be a mapping of setting names to values") }
        var settings: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, names.contains(name) else {
                throw CommandLineFailure("\(path): unknown setting '\(key.scalar?.string ?? "?")' (known: \(names.sorted().joined(separator: ", ")))")
            }
            guard let scalar = value.scalar?.string else { throw CommandLineFailure("\(path): \(name) must be a single value") }
            settings[name] = scalar
        }
        return settings
    }
}
