// Micro-benchmarks of the pieces of a GetSecretValue request's hot path, one operation per
// iteration: the request id, SigV4 verification, envelope open, access-control decision, audit event hashing
// and encoding. Run: scripts/bench-micro.sh (or `swift package --package-path Benchmarks/tools
// benchmark`). Figures: wall time per operation (p50/p99), throughput, mallocs per operation.
import Benchmark
import Foundation
import SejfAWS
import SejfCore
import SejfCrypto
import SejfStore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 100,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )
    requestIdBenchmarks()
    sigV4Benchmarks()
    envelopeBenchmarks()
    accessControlBenchmarks()
    auditBenchmarks()
}

/// The request every benchmark is about: `GetSecretValue` of one secret in `dev`.
enum Fixture {
    static let environment = try! EnvironmentName("dev")
    static let account = "123456789012"
    static let arn = SecretARN(environment: environment, account: account, name: "bench/secret-000042", suffix: "AbCdEf")
    static let versionId = "0b9c7f5e-2d1a-4c3b-9e8f-7a6b5c4d3e2f"
    static let value = Array(#"{"username": "svc-000042", "password": "Q7vX2mN9pL4kR8sT1wY6zB3cD5fG0hJ2aE7uI9oP4lK8nM1q", "port": 5432}"#.utf8)
    static let date = Date(timeIntervalSince1970: 1_795_000_000)
}

/// The request id every request gets (and its audit event carries).
func requestIdBenchmarks() {
    Benchmark("Request id (random version-4 UUID text)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(randomUUIDString())
        }
    }
}

/// SigV4: a GetSecretValue request signed the way botocore signs it, verified as the server does.
func sigV4Benchmarks() {
    let secret = Array("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".utf8)
    let body = Array(#"{"SecretId": "bench/secret-000042"}"#.utf8)
    var request = SigV4Request(method: "POST", path: "/", headers: [
        ("Host", "127.0.0.1:8780"), ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "secretsmanager.GetSecretValue"), ("User-Agent", "Boto3/1.43.11"),
    ], body: body)
    for header in SigV4Signer.sign(request: request, accessKeyId: "AKIABENCHMARK0000000", secretKey: secret,
                                   region: "dev", service: "secretsmanager", date: Fixture.date) {
        request.setHeader(header.name, header.value)
    }
    let signed = request
    Benchmark("SigV4 verify (GetSecretValue request)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SigV4Verifier.verify(request: signed, now: Fixture.date, expectedService: "secretsmanager") { _ in secret })
        }
    }
    // The server keeps each access key's signing key per day, region and service: this is its cost.
    let signingKeys = SigV4SigningKeyCache()
    Benchmark("SigV4 verify (signing key cached, as the server does)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SigV4Verifier.verify(request: signed, now: Fixture.date, expectedService: "secretsmanager") { scope in
                try signingKeys.signingKey(for: scope) { scope in
                    SecureBytes(copying: SigV4.signingKey(secretKey: secret, date: scope.date, region: scope.region, service: scope.service))
                }
            })
        }
    }
}

/// Envelope: a ~100-byte version sealed under an environment key made by the key ring, opened.
func envelopeBenchmarks() {
    let directory = DataDirectory(path: NSTemporaryDirectory() + "sejf-micro-\(getpid())")
    defer { try? FileManager.default.removeItem(atPath: directory.path) }
    let kek: KeyEncryptionKey
    do {
        try directory.create()
        kek = try KeyRing(directory: directory, variables: [:])
            .createKey(for: Fixture.environment, kdf: .interactive, now: 0).0
    } catch {
        fatalError("cannot make an environment key for the envelope benchmarks: \(error)")
    }
    let binding = Envelope.Binding(environment: Fixture.environment, arn: Fixture.arn.description, versionId: Fixture.versionId)
    let sealed = try! Envelope.seal(Fixture.value, binding: binding, kek: kek)
    Benchmark("Envelope open (100-byte value)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Envelope.open(sealed, binding: binding, kek: kek))
        }
    }
    Benchmark("Envelope seal (100-byte value)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Envelope.seal(Fixture.value, binding: binding, kek: kek))
        }
    }
}

/// Access control: 200 reader bindings (one per service principal), as `sejf init` plus a
/// realistic installation has them; the decision for one of them reading a tagged secret.
func accessControlBenchmarks() {
    let bindings = (0..<200).map {
        AccessBinding(name: "app-\($0)", role: "reader", principals: ["app-\($0)"], environments: ["dev"])
    } + [AccessBinding(name: "admin", role: "admin", principals: ["admin"], environments: ["*"])]
    let access = AccessControl(bindings: bindings)
    let facts = SecretFacts(arn: Fixture.arn, tags: [Tag(key: "team", value: "team-07"), Tag(key: "tier", value: "web")])
    let request = AccessRequest(principal: "app-150", account: Fixture.account, environment: Fixture.environment,
                                operation: "GetSecretValue", secret: facts, sourceIp: "10.1.150.7",
                                now: Fixture.date.timeIntervalSince1970)
    Benchmark("AccessControl.decide (GetSecretValue, 201 bindings)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(access.decide(request))
        }
    }
}

/// Audit: the event a GetSecretValue records, chained (canonical encoding + keyed BLAKE2b, as the
/// audit writer does per event) and encoded as an export line.
func auditBenchmarks() {
    let key = SecureBytes.random(count: 32)
    let hash: @Sendable ([UInt8]) -> [UInt8] = { Hash.blake2b($0, key: key) }
    let event = AuditEvent(
        time: AuditTime(secondsSince1970: Fixture.date.timeIntervalSince1970), environment: "dev", principal: "app-150",
        accessKeyId: "AKIABENCHMARK0000000", action: AuditAction.getSecretValue, secretArn: Fixture.arn.description,
        versionId: Fixture.versionId, versionStages: [StagingLabels.current], outcome: .allowed,
        sourceAddress: "10.1.150.7", userAgent: "Boto3/1.43.11 md/Botocore#1.43.11", requestId: "5f0e1d2c-3b4a-4968-8776-655443322110")
    let head = AuditCheckpoint(sequence: 9_999_999, hash: [UInt8](repeating: 7, count: AuditChain.hashLength), time: event.time)
    Benchmark("Audit event chain link (canonical encoding + keyed BLAKE2b)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(AuditChain.append(event, after: head, hash: hash))
        }
    }
    let encoder = JSONEncoder()
    Benchmark("Audit event JSON encode (export line)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(event))
        }
    }
}
