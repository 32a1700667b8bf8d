import Testing
import SejfCore
import SejfCrypto
@testable import SejfStore

struct EnvelopeTests {
    /// Data keys come from a pool of reused secure buffers: every seal must still draw a fresh
    /// random key, and leave none of it behind for the next.
    @Test func eachSealHasAFreshDataKeyAndOpens() throws {
        let kek = KeyEncryptionKey(bytes: SecureBytes.random(count: AEAD.keyLength))
        let binding = Envelope.Binding(environment: try EnvironmentName("dev"), arn: "arn:aws:secretsmanager:dev:1:secret:s-AbCdEf", versionId: "v1")
        let plaintext = Array("the same value".utf8)
        let sealed = try (0..<50).map { _ in try Envelope.seal(plaintext, binding: binding, kek: kek) }
        #expect(Set(sealed.map(\.ciphertext)).count == 50)
        #expect(Set(sealed.map(\.wrappedKey)).count == 50)
        for envelope in sealed { #expect(try Envelope.open(envelope, binding: binding, kek: kek) == plaintext) }
        try SecureBytes.withTemporary(count: AEAD.keyLength) { buffer in
            #expect(buffer.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }, "a pooled buffer comes back wiped")
        }
    }
}
