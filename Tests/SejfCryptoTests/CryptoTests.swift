import Foundation
import Testing
@testable import SejfCrypto

struct AEADTests {
    let key = SecureBytes.random(count: AEAD.keyLength)
    let ad = Array("env\u{0}arn\u{0}version".utf8)

    @Test func roundTrip() throws {
        let sealed = try AEAD.seal(Array("s3cr3t".utf8), associatedData: ad, key: key)
        #expect(sealed.count == AEAD.nonceLength + 6 + AEAD.tagLength)
        #expect(try AEAD.open(sealed, associatedData: ad, key: key) == Array("s3cr3t".utf8))
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let sealed = try AEAD.seal([], associatedData: ad, key: key)
        #expect(try AEAD.open(sealed, associatedData: ad, key: key) == [])
    }

    @Test func freshNonceEachTime() throws {
        let a = try AEAD.seal([1, 2, 3], associatedData: ad, key: key)
        let b = try AEAD.seal([1, 2, 3], associatedData: ad, key: key)
        #expect(a != b)
        #expect(Array(a.prefix(AEAD.nonceLength)) != Array(b.prefix(AEAD.nonceLength)))
    }

    @Test func wrongKeyFails() throws {
        let sealed = try AEAD.seal([1, 2, 3], associatedData: ad, key: key)
        #expect(throws: CryptoError.authenticationFailed) {
            try AEAD.open(sealed, associatedData: ad, key: SecureBytes.random(count: AEAD.keyLength))
        }
    }

    @Test(arguments: [0, 5, 24, 30])
    func everyFlippedBitFails(position: Int) throws {
        var sealed = try AEAD.seal(Array("payload".utf8), associatedData: ad, key: key)
        sealed[min(position, sealed.count - 1)] ^= 0x01
        #expect(throws: CryptoError.authenticationFailed) { try AEAD.open(sealed, associatedData: ad, key: key) }
    }

    @Test func swappedAssociatedDataFails() throws {
        let sealed = try AEAD.seal([9, 9], associatedData: ad, key: key)
        #expect(throws: CryptoError.authenticationFailed) {
            try AEAD.open(sealed, associatedData: Array("env\u{0}arn\u{0}other".utf8), key: key)
        }
    }

    @Test func truncatedNonceIsMalformedNotACrash() throws {
        let sealed = try AEAD.seal([1], associatedData: ad, key: key)
        #expect(throws: CryptoError.self) { try AEAD.open(Array(sealed.prefix(20)), associatedData: ad, key: key) }
        #expect(throws: CryptoError.self) { try AEAD.open([], associatedData: ad, key: key) }
        #expect(throws: CryptoError.authenticationFailed) { try AEAD.open(Array(sealed.dropLast()), associatedData: ad, key: key) }
    }

    @Test func wrongKeySizeIsRejected() {
        #expect(throws: CryptoError.invalidKeyLength(16)) { try AEAD.seal([1], associatedData: [], key: SecureBytes.random(count: 16)) }
    }

    @Test func openSecureMatchesOpen() throws {
        let sealed = try AEAD.seal([7, 8, 9], associatedData: ad, key: key)
        let secure = try AEAD.openSecure(sealed, associatedData: ad, key: key)
        #expect(secure.withUnsafeBytes { Array($0) } == [7, 8, 9])
    }

    /// Found by Fuzz/FuzzEnvelope: an authenticated empty plaintext (an empty wrapped data key or
    /// access key secret) stopped the process in `SecureBytes`; it is an error now.
    @Test func openSecureOfAnEmptyPlaintextIsAnErrorNotACrash() throws {
        let sealed = try AEAD.seal([], associatedData: ad, key: key)
        #expect(throws: CryptoError.malformed("plaintext (empty, not a key)")) {
            try AEAD.openSecure(sealed, associatedData: ad, key: key)
        }
    }
}

struct SecureBytesTests {
    @Test func base64RoundTrip() throws {
        let key = SecureBytes.random(count: 32)
        let text = key.base64()
        #expect(text.count == 44)
        let back = try SecureBytes.fromBase64(text + "\n", expectedCount: 32)
        #expect(back.constantTimeEquals(key))
    }

    @Test func base64RejectsWrongLengthAndGarbage() {
        #expect(throws: CryptoError.invalidKeyLength(16)) { try SecureBytes.fromBase64(SecureBytes.random(count: 16).base64(), expectedCount: 32) }
        #expect(throws: CryptoError.self) { try SecureBytes.fromBase64("not base64 at all!!", expectedCount: 32) }
        #expect(throws: CryptoError.self) { try SecureBytes.fromBase64("", expectedCount: 32) }
    }

    @Test func constantTimeEquality() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([], []))
    }

    @Test func wipeZeroesAndEmpties() {
        var bytes: [UInt8] = [1, 2, 3]
        SecureBytes.wipe(&bytes)
        #expect(bytes.isEmpty)
    }

    @Test func randomIsNotConstant() {
        #expect(randomBytes(count: 32) != randomBytes(count: 32))
        #expect(!SecureBytes.random(count: 32).constantTimeEquals(SecureBytes.random(count: 32)))
    }

    @Test func randomUUIDsAreVersion4InTheirTextForm() throws {
        let form = try Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        let uuids = (0..<200).map { _ in randomUUIDString() }
        for uuid in uuids {
            #expect(uuid.wholeMatch(of: form) != nil, "\(uuid)")
            #expect(UUID(uuidString: uuid)?.uuidString.lowercased() == uuid)
        }
        #expect(Set(uuids).count == uuids.count)
    }
}

struct HashTests {
    // FIPS 180-2 and RFC 4231 test vectors.
    @Test func hexWithDashes() {
        let bytes: [UInt8] = Array(0...15)
        #expect(Hash.hex(bytes) == "000102030405060708090a0b0c0d0e0f")
        #expect(Hash.hex(bytes, dashAfter: [4, 6, 8, 10]) == "00010203-0405-0607-0809-0a0b0c0d0e0f")
        #expect(Hash.hex([0xAB, 0xCD], dashAfter: [1]) == "ab-cd")
        #expect(Hash.hex([], dashAfter: []) == "")
    }

    @Test func sha256KnownAnswer() {
        #expect(Hash.hex(Hash.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hash.hex(Hash.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacSHA256KnownAnswer() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        #expect(Hash.hex(Hash.hmacSHA256(key: key, Array("Hi There".utf8)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Hash.hex(Hash.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func blake2bKeyedDiffersFromUnkeyed() {
        let key = SecureBytes.random(count: 32)
        let data = Array("event".utf8)
        #expect(Hash.blake2b(data, key: key) != Hash.blake2b(data))
        #expect(Hash.blake2b(data, key: key) == Hash.blake2b(data, key: key))
        #expect(Hash.blake2b(data, length: 16).count == 16)
        // BLAKE2b-512 of "abc" (RFC 7693 appendix A).
        #expect(Hash.hex(Hash.blake2b(Array("abc".utf8), length: 64)).hasPrefix("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"))
    }
}

struct PasswordKDFTests {
    @Test func deterministicForSameSaltAndParameters() throws {
        let salt = randomBytes(count: Argon2idParameters.saltLength)
        let a = try PasswordKDF.deriveKey(passphrase: Array("correct horse".utf8), salt: salt, parameters: .interactive)
        let b = try PasswordKDF.deriveKey(passphrase: Array("correct horse".utf8), salt: salt, parameters: .interactive)
        let c = try PasswordKDF.deriveKey(passphrase: Array("correct horsf".utf8), salt: salt, parameters: .interactive)
        #expect(a.constantTimeEquals(b))
        #expect(!a.constantTimeEquals(c))
        #expect(a.count == 32)
    }

    @Test func rejectsBadInput() {
        #expect(throws: CryptoError.self) { try PasswordKDF.deriveKey(passphrase: [1], salt: [1, 2], parameters: .interactive) }
        #expect(throws: CryptoError.self) {
            try PasswordKDF.deriveKey(passphrase: [], salt: randomBytes(count: 16), parameters: .interactive)
        }
        #expect(throws: CryptoError.self) {
            try PasswordKDF.deriveKey(passphrase: [1], salt: randomBytes(count: 16), parameters: Argon2idParameters(opsLimit: 0, memLimit: 1))
        }
    }
}
