import FuzzSupport
import SejfCore

/// Secret names, `SecretId` values (names, full and partial ARNs), environment names and
/// ListSecrets `NextToken`s: each validates or throws. A full ARN whose name and environment are
/// valid must match the secret its candidate names point to; a token that decodes names a
/// position that encodes back to the same position.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let text = input.restString()
    _ = try? SecretName.validate(text)
    _ = try? EnvironmentName(text)
    for sortOrder in ["asc", "desc"] {
        let order = try! SecretListOrder(sortBy: "name", sortOrder: sortOrder)
        if let position = try? order.position(after: text) {
            precondition(try! order.position(after: order.token(after: position)) == position, "\(text) does not round-trip")
        }
    }
    guard let identifier = try? SecretIdentifier(text) else { return 0 }
    guard case .arn(let environment, let account, let tail) = identifier,
          let environmentName = try? EnvironmentName(environment) else { return 0 }
    for name in identifier.candidateNames where (try? SecretName.validate(name)) != nil && name != tail {
        let arn = SecretARN(environment: environmentName, account: account, name: name, suffix: String(tail.suffix(6)))
        precondition(identifier.matches(arn), "\(text) does not match \(arn)")
    }
    return 0
}
