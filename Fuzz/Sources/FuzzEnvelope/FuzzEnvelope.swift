import FuzzSupport
import SejfCore
import SejfCrypto
@testable import SejfStore

/// Stored ciphertext envelopes: a value sealed under a real key, then its row corrupted as the
/// input says (bytes changed, cut or added, the row moved to another version). Opening the
/// untouched row returns the value; opening a changed row throws. Arbitrary bytes as a row must
/// throw too. Never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let plaintext = input.piece()
    let original = try! Envelope.seal(plaintext, binding: binding, kek: kek)
    var row = original
    var rowBinding = binding
    while !input.isEmpty {
        corrupt(&row, &rowBinding, operation: input.byte(), position: Int(input.byte()), value: input.byte())
    }
    let opened = try? Envelope.open(row, binding: rowBinding, kek: kek)
    let untouched = row.wrappedKey == original.wrappedKey && row.ciphertext == original.ciphertext
        && rowBinding.versionId == binding.versionId
    precondition(untouched ? opened == plaintext : opened == nil, "a corrupted envelope opened, or an intact one did not")
    _ = Envelope.keyId(ofWrappedKey: row.wrappedKey)
    _ = try? Envelope.open(Envelope.Sealed(wrappedKey: row.ciphertext, ciphertext: row.wrappedKey), binding: binding, kek: kek)
    return 0
}

/// One change to a stored row: a byte replaced, the field cut at a position, a byte appended,
/// or the row moved to another version id.
private func corrupt(_ row: inout Envelope.Sealed, _ binding: inout Envelope.Binding, operation: UInt8, position: Int, value: UInt8) {
    func change(_ bytes: inout [UInt8]) {
        switch operation % 3 {
        case 0 where !bytes.isEmpty: bytes[position % bytes.count] = value
        case 1: bytes = Array(bytes.prefix(position))
        default: bytes.append(value)
        }
    }
    switch operation % 7 {
    case 0...2: change(&row.wrappedKey)
    case 3...5: change(&row.ciphertext)
    default: binding.versionId += String(value)
    }
}

private let kek = KeyEncryptionKey(bytes: SecureBytes(copying: [UInt8](repeating: 7, count: AEAD.keyLength)))
private let binding = Envelope.Binding(environment: try! EnvironmentName("dev"), arn: "arn:aws:secretsmanager:dev:000000000000:secret:db-AbC123",
                                       versionId: "00000000-0000-4000-8000-000000000000")
