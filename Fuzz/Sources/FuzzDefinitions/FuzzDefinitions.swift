import FuzzSupport
import SejfService

/// The YAML files Sejf reads: `environments/<env>.yaml` (first byte even), with every app
/// variable of a parsed definition resolved, and access files of `sejf apply` (first byte odd),
/// parsed and checked as the command does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let isAccessFile = input.byte() & 1 == 1
    let text = input.restString()
    if isAccessFile {
        _ = try? AccessFile.parse(text, file: "access.yaml", existing: existing)
    } else if let definition = try? EnvironmentDefinition.parse(yaml: text, file: "dev.yaml") {
        for app in definition.apps {
            for variable in app.variables {
                _ = try? variable.resolve { secret, key in key ?? secret }
            }
        }
    }
    return 0
}

/// What the data directory has, for bindings that name roles, principals and environments.
private let existing = AccessFile.Existing(roles: ["reader"], principals: ["api-prod"], environments: ["dev", "prod"])
