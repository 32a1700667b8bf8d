import Synchronization
import SejfCrypto

/// The credential scope of a signature: which access key, day, region and service it is for.
public struct SigV4Scope: Hashable, Sendable {
    public let accessKeyId: String
    /// `YYYYMMDD`.
    public let date: String
    public let region: String
    public let service: String

    public init(accessKeyId: String, date: String, region: String, service: String) {
        self.accessKeyId = accessKeyId
        self.date = date
        self.region = region
        self.service = service
    }
}

extension SecureBytes {
    /// The SigV4 signing key of `secretKey` for `scope`, in secure memory.
    convenience init(signingKeyOf secretKey: [UInt8], _ scope: SigV4Scope) {
        var key = SigV4.signingKey(secretKey: secretKey, date: scope.date, region: scope.region, service: scope.service)
        defer { SecureBytes.wipe(&key) }
        self.init(copying: key)
    }

    /// The SigV4 signing key of the secret `secretKey` holds, for `scope`.
    convenience init(signingKeyOf secretKey: SecureBytes, _ scope: SigV4Scope) {
        var secret = secretKey.withUnsafeBytes { Array($0) }
        defer { SecureBytes.wipe(&secret) }
        self.init(signingKeyOf: secret, scope)
    }
}

/// Derived SigV4 signing keys by credential scope, as AWS's SDKs keep them: a request then costs
/// the two HMACs of its own signature rather than six, and the access key's secret is decrypted
/// once per scope rather than on every request.
///
/// A signing key is good for one access key, day, region and service only. Keys live in
/// ``SecureBytes`` (guarded, locked, wiped when dropped). The cache says nothing about whether a
/// key may still be used: the caller checks that the access key is active on every request, and
/// access key secrets never change. At most `capacity` keys are kept; a full cache starts afresh.
public final class SigV4SigningKeyCache: Sendable {
    private let keys = Mutex<[SigV4Scope: SecureBytes]>([:])
    private let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The signing key of `scope`: the cached one, or `derive`'s, which is then cached. Nil when
    /// `derive` returns nil (an unknown access key), which is not cached.
    public func signingKey(for scope: SigV4Scope, derive: (SigV4Scope) throws -> SecureBytes?) rethrows -> SecureBytes? {
        if let cached = keys.withLock({ $0[scope] }) { return cached }
        guard let derived = try derive(scope) else { return nil }
        keys.withLock { keys in
            if keys.count >= capacity { keys.removeAll() }
            keys[scope] = derived
        }
        return derived
    }
}
