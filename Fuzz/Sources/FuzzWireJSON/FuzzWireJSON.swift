import FuzzSupport
@testable import SejfAWS
import SejfService

/// Every operation's request shape (`SecretsManager.all` and `SejfOperations.all`) decoded from a
/// JSON body by `WireJSON.decode`, as the server decodes it: the first byte picks the operation,
/// the rest is the body. Decoding either succeeds or throws.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let operation = operations[Int(input.byte()) % operations.count]
    decode(operation, input.rest())
    return 0
}

private let operations = SecretsManager.all + SejfOperations.all

private func decode<Operation: SecretsOperation>(_ operation: Operation.Type, _ body: [UInt8]) {
    _ = try? WireJSON.decode(Operation.Request.self, from: body)
}
