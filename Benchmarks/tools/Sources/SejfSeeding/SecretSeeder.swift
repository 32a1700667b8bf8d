import SejfCore
import SejfStore

/// One seeded secret: what the audit seeder needs to name it, and its current value.
public struct SeededSecret: Sendable, Equatable {
    public var name: String
    public var arn: String
    /// The `AWSCURRENT` version's id and value.
    public var currentVersionId: String
    public var currentValue: String
}

/// Writes secrets with their versions through ``SecretStoreWriter``, many secrets per
/// transaction: each version is a real envelope (sealed by the store under the environment's key).
struct SecretSeeder {
    let plan: SeedPlan
    let environment: EnvironmentName
    let account: String

    /// Seeds every secret of the plan, one transaction per ``SeedPlan/secretsPerTransaction``.
    func seedAll(into store: any SecretStore, random: inout SeedRandom, progress: (Int) -> Void) throws -> [SeededSecret] {
        var seeded: [SeededSecret] = []
        seeded.reserveCapacity(plan.secrets)
        for start in stride(from: 0, to: plan.secrets, by: plan.secretsPerTransaction) {
            let indexes = start..<min(start + plan.secretsPerTransaction, plan.secrets)
            try store.write { writer in
                for index in indexes { seeded.append(try seedOne(index, in: writer, random: &random)) }
            }
            progress(indexes.upperBound)
        }
        return seeded
    }

    /// One secret: its row, its versions oldest first (one day apart), then its labels.
    func seedOne(_ index: Int, in writer: any SecretStoreWriter, random: inout SeedRandom) throws -> SeededSecret {
        let name = SeedPlan.secretName(index)
        let arn = SecretARN(environment: environment, account: account, name: name,
                            suffix: SecretARN.randomSuffix { random.below($0) })
        let firstVersionAt = plan.now - Double(plan.versions) * 86_400
        let secret = try writer.insertSecret(NewSecret(arn: arn, description: "Benchmark secret \(index)", kmsKeyId: nil,
                                                       tags: Self.tags(index), createdAt: firstVersionAt))
        var labels = StagingLabels(versions: [])
        var current = (id: "", value: "")
        for version in 0..<plan.versions {
            let id = random.uuid()
            let value = Self.value(index, random: &random)
            let createdAt = firstVersionAt + Double(version) * 86_400
            try labels.addVersion(id: id, createdAt: createdAt, stages: nil)
            try writer.insertVersion(of: secret, id: id, createdAt: createdAt, value: .string(value))
            current = (id, value)
        }
        try writer.saveVersions(labels, of: secret)
        return SeededSecret(name: name, arn: arn.description, currentVersionId: current.id, currentValue: current.value)
    }

    /// Two tags: a team (of 20) and a tier (of 3), for ListSecrets filters.
    static func tags(_ index: Int) -> [Tag] {
        [Tag(key: "team", value: "team-" + String(index % 20).leftPadded(to: 2)),
         Tag(key: "tier", value: ["web", "batch", "data"][index % 3])]
    }

    /// ~100 bytes of JSON, the shape `Benchmarks/bench.py` gives its values (`json.dumps` spacing).
    static func value(_ index: Int, random: inout SeedRandom) -> String {
        "{\"username\": \"svc-\(String(index).leftPadded(to: 6))\", \"password\": \"\(random.alphanumeric(48))\", \"port\": 5432}"
    }
}
