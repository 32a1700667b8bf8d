import CSodium

/// Initialises libsodium once per process; every entry point of this module goes through it.
enum Sodium {
    /// `sodium_init()` is thread-safe and idempotent; a static `let` runs it once.
    private static let initialised: Bool = sodium_init() >= 0

    static func ensureInitialised() {
        precondition(initialised, "libsodium failed to initialise")
    }
}

/// An error from a cryptographic operation. The message never contains key or plaintext bytes.
public struct CryptoError: Error, Equatable, CustomStringConvertible {
    private enum Kind: Equatable {
        case authenticationFailed
        case malformed(String)
        case keyDerivationFailed
        case invalidKeyLength(Int)
    }

    private let kind: Kind

    /// The ciphertext did not authenticate: wrong key, tampering, or wrong associated data.
    public static let authenticationFailed = CryptoError(kind: .authenticationFailed)
    /// Argon2id could not derive a key (usually: not enough memory for the parameters).
    public static let keyDerivationFailed = CryptoError(kind: .keyDerivationFailed)
    /// The input is not a well-formed ciphertext or key.
    public static func malformed(_ what: String) -> CryptoError { CryptoError(kind: .malformed(what)) }
    /// A key of the wrong size was supplied.
    public static func invalidKeyLength(_ length: Int) -> CryptoError { CryptoError(kind: .invalidKeyLength(length)) }

    public var description: String {
        switch kind {
        case .authenticationFailed: "ciphertext failed authentication (wrong key or tampered data)"
        case .malformed(let what): "malformed \(what)"
        case .keyDerivationFailed: "key derivation failed"
        case .invalidKeyLength(let n): "a key must be 32 bytes, got \(n)"
        }
    }
}
