import FuzzSupport
import SejfCore
import SejfCrypto
@testable import SejfStore

/// Stored ciphertext envelopes: a value sealed under a real key (as a secret version and as an
/// access key's secret), then its rows corrupted as the input says (bytes changed, cut or added,
/// the version row moved to another version id). An untouched row opens to the value; a changed
/// row throws `DecryptionFailure`. Never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let plaintext = input.piece()
    let original = StoredRows(plaintext)
    var rows = original
    while !input.isEmpty {
        rows.corrupt(operation: input.byte(), position: Int(input.byte()), value: input.byte())
    }
    let opened = try? Envelope.open(rows.version, binding: rows.binding, kek: kek)
    let versionIntact = rows.version.wrappedKey == original.version.wrappedKey && rows.version.ciphertext == original.version.ciphertext
        && rows.binding.versionId == original.binding.versionId
    precondition(versionIntact ? opened == plaintext : opened == nil, "a corrupted version opened, or an intact one did not")

    let secret = try? Envelope.openAccessKeySecret(rows.accessKeySecret, id: accessKeyId, principal: "api", key: kek)
    let secretBytes = secret.map { $0.withUnsafeBytes { Array($0) } }
    precondition(rows.accessKeySecret == original.accessKeySecret && !plaintext.isEmpty ? secretBytes == plaintext : secret == nil,
                 "a corrupted access key secret opened, or an intact one did not")
    _ = Envelope.keyId(ofWrappedKey: rows.version.wrappedKey)
    return 0
}

/// What the store keeps for one value: a version's envelope and where it belongs, and the same
/// value sealed as an access key's secret.
private struct StoredRows {
    var version: Envelope.Sealed
    var binding = Envelope.Binding(environment: try! EnvironmentName("dev"), arn: "arn:aws:secretsmanager:dev:000000000000:secret:db-AbC123",
                                   versionId: "00000000-0000-4000-8000-000000000000")
    var accessKeySecret: [UInt8]

    init(_ plaintext: [UInt8]) {
        version = try! Envelope.seal(plaintext, binding: binding, kek: kek)
        // Secure memory is never empty: an empty value is sealed as the raw AEAD of nothing.
        accessKeySecret = plaintext.isEmpty
            ? [Envelope.formatVersion] + (try! AEAD.seal([], associatedData: Envelope.accessKeyBinding(accessKeyId, "api"), key: kek.bytes))
            : try! Envelope.sealAccessKeySecret(SecureBytes(copying: plaintext), id: accessKeyId, principal: "api", key: kek)
    }

    /// One change: a byte replaced, a field cut at a position or a byte appended (to the wrapped
    /// key, the ciphertext or the access key's sealed secret), or the version moved to another id.
    mutating func corrupt(operation: UInt8, position: Int, value: UInt8) {
        func change(_ bytes: inout [UInt8]) {
            switch operation % 3 {
            case 0 where !bytes.isEmpty: bytes[position % bytes.count] = value
            case 1: bytes = Array(bytes.prefix(position))
            default: bytes.append(value)
            }
        }
        switch operation % 10 {
        case 0...2: change(&version.wrappedKey)
        case 3...5: change(&version.ciphertext)
        case 6...8: change(&accessKeySecret)
        default: binding.versionId += String(value)
        }
    }
}

private let kek = KeyEncryptionKey(bytes: SecureBytes(copying: [UInt8](repeating: 7, count: AEAD.keyLength)))
private let accessKeyId = "AKIAFUZZ000000000000"
