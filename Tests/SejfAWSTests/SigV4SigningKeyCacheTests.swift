import Foundation
import Testing
import SejfCrypto
@testable import SejfAWS

/// Derived signing keys are kept per scope, give the same verdicts as deriving per request, and
/// an unknown key is never cached.
@Suite("SigV4 signing key cache")
struct SigV4SigningKeyCacheTests {
    let scope = SigV4Scope(accessKeyId: SigV4Fixture.accessKeyId, date: "20150830", region: "prod", service: "secretsmanager")

    private func derive(_ scope: SigV4Scope) -> SecureBytes {
        SecureBytes(signingKeyOf: Array(SigV4Fixture.secretKey.utf8), scope)
    }

    @Test func aScopesKeyIsDerivedOnceThenServedFromTheCache() {
        let cache = SigV4SigningKeyCache()
        var derivations = 0
        for _ in 0..<3 {
            _ = cache.signingKey(for: scope) { derivations += 1; return derive($0) }
        }
        #expect(derivations == 1)
        let otherDay = SigV4Scope(accessKeyId: scope.accessKeyId, date: "20150831", region: "prod", service: "secretsmanager")
        _ = cache.signingKey(for: otherDay) { derivations += 1; return derive($0) }
        #expect(derivations == 2)
    }

    @Test func anUnknownKeyIsNotCached() {
        let cache = SigV4SigningKeyCache()
        var asked = 0
        for _ in 0..<2 {
            #expect(cache.signingKey(for: scope) { _ in asked += 1; return nil } == nil)
        }
        #expect(asked == 2)
    }

    @Test func aFullCacheStartsAfresh() {
        let cache = SigV4SigningKeyCache(capacity: 2)
        var derivations = 0
        for day in ["01", "02", "03", "01"] {
            let scope = SigV4Scope(accessKeyId: "AKIA", date: "201508\(day)", region: "prod", service: "secretsmanager")
            _ = cache.signingKey(for: scope) { derivations += 1; return derive($0) }
        }
        #expect(derivations == 4)
    }

    @Test func cachedKeysVerifyLikeDerivedOnes() throws {
        let cache = SigV4SigningKeyCache()
        let request = SigV4Fixture.signed()
        for _ in 0..<2 {
            let identity = try SigV4Verifier.verify(request: request, now: SigV4Fixture.date, expectedService: "secretsmanager") { scope in
                cache.signingKey(for: scope, derive: derive)
            }
            #expect(identity.accessKeyId == SigV4Fixture.accessKeyId)
        }
        let tampered = SigV4Request(method: request.method, path: request.path, headers: request.headers, body: Array("{}".utf8))
        #expect(throws: SigV4Error.self) {
            try SigV4Verifier.verify(request: tampered, now: SigV4Fixture.date, expectedService: "secretsmanager") { scope in
                cache.signingKey(for: scope, derive: derive)
            }
        }
    }
}
