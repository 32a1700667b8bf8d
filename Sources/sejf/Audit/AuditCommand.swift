import ArgumentParser
import Foundation
import SejfCore
import SejfService
import SejfStore

/// `sejf audit`: questions about the audit trail and its integrity. Administration of the data
/// directory: always embedded (the audit trail is not part of the AWS API).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Query and verify the audit trail.",
        discussion: """
            Every request that reads or changes a secret, every denial and every failed \
            authentication naming a known access key leaves one event, chained to the previous one \
            by a keyed hash. `sejf audit verify` walks the chain; export `sejf audit checkpoint` \
            now and then and pass it to `verify --checkpoint` to catch a truncated tail.
            """,
        subcommands: [List.self, Verify.self, Checkpoint.self, WhoRead.self, Stale.self, Export.self, Prune.self])
}

// MARK: - Shared options

/// Where the data lives, as ``StoreOptions`` says it, without `--output` (the audit commands
/// print tables, not AWS shapes) and without `--endpoint` (the audit trail is local).
struct AuditDataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data directory (default: $SEJF_DATA, else $XDG_DATA_HOME/sejf or ~/.local/share/sejf).", valueName: "dir"))
    var data: String?

    @Option(name: .customLong("key-dir"), help: ArgumentHelp("Directory of the key files (default: $SEJF_KEY_DIR, else <data>/keys).", valueName: "dir"))
    var keyDirectory: String?

    var directory: DataDirectory {
        let variables = ProcessInfo.processInfo.environment
        return DataDirectory(path: data ?? DataDirectory.defaultPath(environment: variables),
                             keyDirectory: keyDirectory ?? variables["SEJF_KEY_DIR"].flatMap { $0.isEmpty ? nil : $0 })
    }

    func openService() throws -> SecretsService { try DataStoreSetup.open(directory) }
}

/// `--output table|json`; `text` is accepted for `table`, as the other commands call it.
enum AuditOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, text, json

    var isJSON: Bool { self == .json }
}

/// `--outcome allowed|denied|error`.
enum AuditOutcomeOption: String, ExpressibleByArgument, CaseIterable {
    case allowed, denied, error

    var outcome: AuditOutcome {
        switch self {
        case .allowed: .allowed
        case .denied: .denied
        case .error: .error
        }
    }
}

/// The event filters of `list` and `export`.
struct AuditFilterOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only events of this environment.", valueName: "env"))
    var env: String?

    @Option(name: .long, help: ArgumentHelp("Only events of this principal.", valueName: "name"))
    var principal: String?

    @Option(name: .long, help: ArgumentHelp("Only events about this secret: a full ARN, or a name (every secret that had it).", valueName: "name-or-arn"))
    var secret: String?

    @Option(name: .long, help: ArgumentHelp("Only this action: an operation such as GetSecretValue (or secretsmanager:GetSecretValue), or sejf:Authenticate, sejf:Render, sejf:Run.", valueName: "action"))
    var action: String?

    @Option(name: .long, help: "Only events with this outcome.")
    var outcome: AuditOutcomeOption?

    @Option(name: .long, help: ArgumentHelp("Only events at or after this time: a duration back from now (30m, 24h, 7d, 2w) or a date (2026-11-01, 2026-11-01T10:00:00Z).", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only events before this time (same forms as --since).", valueName: "time"))
    var until: String?

    /// The selection these options describe, with durations counted back from `now`.
    func selection(now: AuditTime) throws -> AuditSelection {
        let since = try since.map { try AuditTimeBound.parse($0, now: now) }
        let until = try until.map { try AuditTimeBound.parse($0, now: now) }
        if let since, let until, since >= until {
            throw CommandLineFailure("--since (\(since)) must be before --until (\(until))")
        }
        var filter = AuditFilter(environment: env, principal: principal, action: try action.map(Self.qualifiedAction),
                                 outcome: outcome?.outcome, since: since, until: until)
        var secretName: String?
        if let secret {
            if secret.hasPrefix("arn:") {
                filter.secretArn = secret
            } else {
                try SecretName.validate(secret)
                secretName = secret
            }
        }
        return AuditSelection(filter: filter, secretName: secretName)
    }

    /// `GetSecretValue` → `secretsmanager:GetSecretValue`, in the spelling the trail uses.
    static func qualifiedAction(_ text: String) throws -> String {
        let qualified = text.contains(":") ? text : "secretsmanager:" + text
        let known = Action.allCases.map(\.rawValue) + AuditAction.sejfActions
        guard let action = known.first(where: { $0.caseInsensitiveCompare(qualified) == .orderedSame }) else {
            throw CommandLineFailure("unknown action '\(text)': use an operation such as GetSecretValue, or \(AuditAction.sejfActions.joined(separator: ", "))")
        }
        return action
    }
}

/// Which events a command is about: an ``AuditFilter`` the store applies, plus a secret name the
/// CLI matches against ARNs (the trail stores ARNs, and a name may have had several).
struct AuditSelection {
    var filter: AuditFilter
    /// A secret name, matched as `…:secret:NAME-XXXXXX`.
    var secretName: String?

    func matches(_ stored: StoredAuditEvent) -> Bool {
        guard let secretName else { return true }
        return stored.event.secretArn.map { AuditText.secretName(ofArn: $0) == secretName } ?? false
    }

    /// The newest `limit` matching events, newest first.
    func newestEvents(_ service: SecretsService, limit: Int) throws -> [StoredAuditEvent] {
        guard secretName != nil else { return try service.auditEvents(matching: filter, limit: limit) }
        // The name is matched here, not in SQL: fetch more until enough match or the trail ends.
        var fetch = max(limit, 250)
        while true {
            fetch = fetch > Int.max / 4 ? Int.max : fetch * 4
            let page = try service.auditEvents(matching: filter, limit: fetch)
            let kept = page.filter(matches)
            if kept.count >= limit || page.count < fetch { return Array(kept.prefix(limit)) }
        }
    }
}

/// Formatting shared by the audit commands.
enum AuditText {
    /// Now, as audit times count.
    static var now: AuditTime { AuditTime(secondsSince1970: Date().timeIntervalSince1970) }

    /// The name in a secret ARN (`arn:aws:secretsmanager:prod:123456789012:secret:db/main-AbCdEf` → `db/main`),
    /// or the ARN itself when it is not one.
    static func secretName(ofArn arn: String) -> String {
        guard let marker = arn.range(of: ":secret:") else { return arn }
        let rest = arn[marker.upperBound...]
        guard rest.count > 7, rest.dropLast(6).hasSuffix("-") else { return arn }
        return String(rest.dropLast(7))
    }

    /// Lower-case hex, as hashes appear in export lines.
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// An environment name that exists in this data directory.
    static func existingEnvironment(_ option: EnvironmentOption, in service: SecretsService) throws -> EnvironmentName {
        let environment = try option.context().environment
        let known = try service.environmentNames()
        guard known.contains(environment.rawValue) else {
            throw SejfError(.resourceNotFound, "Unknown environment '\(environment)'. Known environments: \(known.joined(separator: ", ")).")
        }
        return environment
    }
}

/// Writes lines to stdout in large chunks (an export can hold millions of events).
struct BufferedLines {
    private var buffer = Data()

    mutating func append(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        Output.raw(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
