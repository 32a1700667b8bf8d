import Foundation

/// What `sejf-seed` writes into a data directory made by `sejf init`.
public struct SeedPlan: Sendable, Equatable {
    /// The environment the secrets and events belong to (created by `sejf init`).
    public var environment: String
    /// How many secrets: `bench/secret-000000`, `bench/secret-000001`, …
    public var secrets: Int
    /// Versions per secret; the newest is `AWSCURRENT`, the one before it `AWSPREVIOUS`.
    public var versions: Int
    /// Audit events, spread evenly over the last ``auditDays`` days, oldest first.
    public var auditEvents: Int
    /// How far back the audit events reach.
    public var auditDays: Double
    /// Service principals in the audit trail (`app-000`, …), each reading its own window of secrets.
    public var principals: Int
    /// How many secrets each principal reads (its window), besides the admin's occasional reads.
    public var secretsPerPrincipal: Int
    /// Secrets per write transaction.
    public var secretsPerTransaction: Int
    /// Audit events per write transaction (one `appendAuditEvents` call).
    public var eventsPerTransaction: Int
    /// The seed of the generator: the same plan and seed give the same names, values and events.
    public var seed: UInt64
    /// "Now", in seconds since 1970: the newest event and version are just before it.
    public var now: Double

    public init(environment: String = "dev", secrets: Int = 1000, versions: Int = 1, auditEvents: Int = 0,
                auditDays: Double = 7, principals: Int = 200, secretsPerPrincipal: Int = 50,
                secretsPerTransaction: Int = 1000, eventsPerTransaction: Int = 10_000, seed: UInt64 = 20_261_126,
                now: Double = Date().timeIntervalSince1970) {
        self.environment = environment
        self.secrets = secrets
        self.versions = versions
        self.auditEvents = auditEvents
        self.auditDays = auditDays
        self.principals = principals
        self.secretsPerPrincipal = secretsPerPrincipal
        self.secretsPerTransaction = secretsPerTransaction
        self.eventsPerTransaction = eventsPerTransaction
        self.seed = seed
        self.now = now
    }

    /// The name of secret `index`, as `Benchmarks/bench.py` names its data set.
    public static func secretName(_ index: Int) -> String {
        "bench/secret-" + String(format: "%06d", index)
    }
}

/// What a seeding run wrote and how long it took (printed as JSON by `sejf-seed`).
public struct SeedReport: Codable, Sendable, Equatable {
    public var environment: String
    public var secrets: Int
    public var versions: Int
    public var auditEvents: Int
    public var principals: Int
    /// Wall time of the secrets phase and of the audit phase, in seconds.
    public var secretsSeconds: Double
    public var auditSeconds: Double
    /// `sejf.db` plus its `-wal` file after the store was closed, in bytes.
    public var databaseBytes: Int64

    public var totalSeconds: Double { secretsSeconds + auditSeconds }
}
