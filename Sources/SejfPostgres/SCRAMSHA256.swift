import Foundation
import SejfCrypto

/// SCRAM-SHA-256 secrets (RFC 5802, RFC 7677) in PostgreSQL's `rolpassword` format, so a new
/// password can be set without its plaintext appearing in a statement the server could log.
enum SCRAMSHA256 {
    /// PostgreSQL's default iteration count (`scram_iterations`).
    static let iterations = 4096

    /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64, as PostgreSQL stores
    /// and accepts it in `ALTER ROLE … PASSWORD`.
    ///
    /// - Warning: SCRAM hashes the SASLprep-normalised password; the bytes are used as they are,
    ///   which is only equivalent for printable ASCII (see ``canHash(_:)``).
    static func verifier(password: String, salt: [UInt8] = randomBytes(count: 16), iterations: Int = iterations) -> String {
        var salted = pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations)
        defer { SecureBytes.wipe(&salted) }
        let storedKey = Hash.sha256(Hash.hmacSHA256(key: salted, Array("Client Key".utf8)))
        let serverKey = Hash.hmacSHA256(key: salted, Array("Server Key".utf8))
        return "SCRAM-SHA-256$\(iterations):\(base64(salt))$\(base64(storedKey)):\(base64(serverKey))"
    }

    /// Whether SASLprep leaves `password` unchanged, which holds for printable ASCII.
    static func canHash(_ password: String) -> Bool {
        !password.isEmpty && password.utf8.allSatisfy { (0x20...0x7e).contains($0) }
    }

    /// PBKDF2-HMAC-SHA-256 with a 32-byte output: SCRAM's `Hi(password, salt, i)`.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var block = Hash.hmacSHA256(key: password, salt + [0, 0, 0, 1])
        var result = block
        for _ in 1..<iterations {
            block = Hash.hmacSHA256(key: password, block)
            for i in result.indices { result[i] ^= block[i] }
        }
        SecureBytes.wipe(&block)
        return result
    }

    private static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
