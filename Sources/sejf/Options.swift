import ArgumentParser
import Foundation
import SejfAWS
import SejfCore
import SejfPostgres
import SejfService
import SejfStore

/// Options every data command takes: where the data lives and how to print.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data directory (default: $SEJF_DATA, else $XDG_DATA_HOME/sejf or ~/.local/share/sejf).", valueName: "dir"))
    var data: String?

    @Option(name: .customLong("key-dir"), help: ArgumentHelp("Directory of the key files (default: $SEJF_KEY_DIR, else <data>/keys).", valueName: "dir"))
    var keyDirectory: String?

    @Option(name: .long, help: "Output format: text, or json (the AWS response shape).")
    var output: OutputFormat = .text

    @Option(name: .long, help: ArgumentHelp("A sejf server (or any AWS Secrets Manager endpoint) to use instead of the data directory (default: $SEJF_ENDPOINT); signed with the standard AWS credentials.", valueName: "url"))
    var endpoint: String?

    var directory: DataDirectory {
        let variables = ProcessInfo.processInfo.environment
        return DataDirectory(path: data ?? DataDirectory.defaultPath(environment: variables),
                             keyDirectory: keyDirectory ?? variables["SEJF_KEY_DIR"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The embedded service, with the rotators: `sejf:random`, PostgreSQL's, and the hooks
    /// declared in the environment definitions of `definitions`.
    func openService(definitions: String = DefinitionsOption.directory()) throws -> SecretsService {
        try Self.openService(directory, definitions: definitions)
    }

    static func openService(_ directory: DataDirectory, definitions: String) throws -> SecretsService {
        try DataStoreSetup.open(directory, rotators: RotatorCatalog(named: PostgresRotators.all) { environment, name in
            do {
                return try EnvironmentDefinition.load(environment: environment, directory: definitions).rotationHooks[name]
            } catch let error as SejfError where error.code == .resourceNotFound {
                return nil  // no definition file: no hooks
            }
        })
    }

    /// The secrets API for one environment: remote when an endpoint is set, else embedded.
    func api(_ environment: EnvironmentOption) throws -> any SecretsAPI {
        try api(context: try environment.context())
    }

    /// The secrets API acting as the local operator (embedded) or with AWS credentials (remote).
    func api(context: RequestContext) throws -> any SecretsAPI {
        let endpoint = endpoint ?? ProcessInfo.processInfo.environment["SEJF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
        if let endpoint {
            return try RemoteSecretsAPI(endpoint: endpoint, region: context.environment.rawValue, credentials: AWSCredentials.resolve())
        }
        return EmbeddedSecretsAPI(service: try openService(), context: context)
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--env`, required unless `SEJF_ENV` is set.
struct EnvironmentOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Environment (default: $SEJF_ENV).", valueName: "env"))
    var env: String?

    func context() throws -> RequestContext {
        guard let name = env ?? ProcessInfo.processInfo.environment["SEJF_ENV"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CommandLineFailure("--env is required (or set SEJF_ENV)")
        }
        return RequestContext.localOperator(environment: try EnvironmentName(name))
    }
}

/// Where a value comes from: `--value`, `--value-file FILE|-` or `--binary-file FILE|-`.
struct ValueOptions: ParsableArguments {
    @Option(name: .long, help: "The value, as a string.")
    var value: String?

    @Option(name: .customLong("value-file"), help: ArgumentHelp("Read the value (UTF-8 text) from a file, or - for stdin.", valueName: "file"))
    var valueFile: String?

    @Option(name: .customLong("binary-file"), help: ArgumentHelp("Read a binary value from a file, or - for stdin.", valueName: "file"))
    var binaryFile: String?

    /// `(SecretString, SecretBinary)`, or nil when no value was given.
    func read() throws -> (String?, Data?)? {
        try readValue(value: value, valueFile: valueFile, binaryFile: binaryFile)
    }
}

/// Reads a value given as text, as a UTF-8 text file, or as a binary file (`-` is stdin).
func readValue(value: String?, valueFile: String?, binaryFile: String? = nil) throws -> (String?, Data?)? {
    let given = [value != nil, valueFile != nil, binaryFile != nil].filter { $0 }.count
    guard given <= 1 else { throw CommandLineFailure("give only one of --value, --value-file and --binary-file") }
    if let value { return (value, nil) }
    if let valueFile {
        let data = try fileContents(valueFile)
        guard let text = String(data: data, encoding: .utf8) else {
            throw CommandLineFailure("\(valueFile == "-" ? "stdin" : valueFile) is not valid UTF-8 text; use --binary-file for binary values")
        }
        return (text, nil)
    }
    if let binaryFile { return (nil, try fileContents(binaryFile)) }
    return nil
}

private func fileContents(_ path: String) throws -> Data {
    if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandLineFailure("cannot read \(path)")
    }
    return data
}

/// Parses `key=value` tag arguments.
func parseTags(_ pairs: [String]) throws -> [Tag] {
    try pairs.map { pair in
        guard let eq = pair.firstIndex(of: "=") else { throw CommandLineFailure("tag '\(pair)' must be key=value") }
        return Tag(key: String(pair[..<eq]), value: String(pair[pair.index(after: eq)...]))
    }
}
