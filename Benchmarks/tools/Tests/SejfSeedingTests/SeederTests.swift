import Foundation
import SejfCore
import SejfSeeding
import SejfService
import SejfStore
import XCTest

/// Seeds a small data set into a fresh data directory and reads it back through the service and
/// the store: the values open, the labels are right, the audit chain verifies, who-read counts.
final class SeederTests: XCTestCase {
    private var directory: DataDirectory!

    override func setUpWithError() throws {
        let path = NSTemporaryDirectory() + "sejf-seed-test-" + UUID().uuidString
        directory = DataDirectory(path: path)
        _ = try DataStoreSetup.initialise(directory, environments: [.named(try EnvironmentName("dev"))], kdf: .interactive,
                                          variables: [:])
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory.path)
    }

    private let plan = SeedPlan(secrets: 23, versions: 3, auditEvents: 2_500, principals: 4, secretsPerPrincipal: 5,
                                secretsPerTransaction: 7, eventsPerTransaction: 1_000)

    func testSeedsSecretsWithRealEnvelopesAndLabels() throws {
        let (report, seeded) = try Seeder.run(plan, in: directory)
        XCTAssertEqual(report.secrets, 23)
        XCTAssertEqual(seeded.count, 23)
        XCTAssertGreaterThan(report.databaseBytes, 0)
        let store = try SQLiteSecretStore(path: directory.databasePath, keyRing: KeyRing(directory: directory, variables: [:]))
        let env = try EnvironmentName("dev")
        try store.read { reader in
            XCTAssertEqual(try reader.secrets(in: env).count, 23)
            for expected in [seeded[0], seeded[22]] {
                let secret = try XCTUnwrap(try reader.secret(.name(expected.name), in: env))
                let labels = try reader.versions(of: secret)
                XCTAssertEqual(labels.versions.count, 3)
                XCTAssertEqual(labels.version(withStage: StagingLabels.current)?.id, expected.currentVersionId)
                XCTAssertNotNil(labels.version(withStage: StagingLabels.previous))
                XCTAssertEqual(try reader.value(of: secret, versionId: expected.currentVersionId), .string(expected.currentValue))
                XCTAssertEqual(secret.arn.description, expected.arn)
            }
        }
    }

    func testAuditTrailVerifiesAndCountsReads() throws {
        let (_, seeded) = try Seeder.run(plan, in: directory)
        let service = try DataStoreSetup.open(directory, variables: [:])
        let verification = try service.verifyAudit()
        XCTAssertTrue(verification.isIntact, verification.message)
        XCTAssertEqual(try service.auditHead().sequence, 2_500)
        let reads = try service.whoRead(environment: try EnvironmentName("dev"),
                                        since: AuditTime(secondsSince1970: plan.now - 8 * 86_400))
        XCTAssertGreaterThan(reads.reduce(0) { $0 + $1.count }, 1_800)   // ~80% of 2,500 are allowed reads
        XCTAssertTrue(reads.allSatisfy { read in seeded.contains { $0.arn == read.secretArn } })
    }

    func testSamePlanAndSeedGiveTheSameData() throws {
        // The account id (in the ARN) is drawn by `sejf init`; everything else is the seed's.
        func essence(_ secrets: [SeededSecret]) -> [[String]] {
            secrets.map { [$0.name, String($0.arn.suffix(6)), $0.currentVersionId, $0.currentValue] }
        }
        let first = try Seeder.run(plan, in: directory).secrets
        try FileManager.default.removeItem(atPath: directory.path)
        _ = try DataStoreSetup.initialise(directory, environments: [.named(try EnvironmentName("dev"))], kdf: .interactive,
                                          variables: [:])
        XCTAssertEqual(essence(try Seeder.run(plan, in: directory).secrets), essence(first))
    }

    func testEventTimesSpreadOverThePeriodInOrder() throws {
        _ = try Seeder.run(plan, in: directory)
        let store = try SQLiteSecretStore(path: directory.databasePath, keyRing: KeyRing(directory: directory, variables: [:]))
        let times = try store.read { try $0.auditEvents(after: 0, limit: 10_000) }.map(\.event.time.milliseconds)
        XCTAssertEqual(times.count, plan.auditEvents)
        XCTAssertEqual(times, times.sorted())
        XCTAssertGreaterThanOrEqual(Double(times.first!), (plan.now - plan.auditDays * 86_400) * 1000)
        XCTAssertLessThanOrEqual(Double(times.last!), plan.now * 1000)
    }
}
