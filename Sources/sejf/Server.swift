import ArgumentParser
import Foundation
import Logging
import SejfAWS
import SejfServer
import SejfService
import SejfStore

/// `sejf server`: the AWS Secrets Manager API over HTTP(S), on the embedded SQLite store.
struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve the AWS Secrets Manager API (JSON 1.1, SigV4) on the data directory.",
        discussion: """
            Point any AWS client at it: aws --endpoint-url http://127.0.0.1:8780 --region dev \
            secretsmanager list-secrets. The region names the environment. Requests are signed \
            with the access keys of `sejf key create`. Every setting also comes from SEJF_<NAME> \
            (e.g. SEJF_ADMIN_LISTEN) or the YAML file of --config. SIGTERM or SIGINT stops it \
            gracefully; SIGHUP reloads the TLS certificate.
            """)

    @Option(name: .long, help: ArgumentHelp("Data directory (default: $SEJF_DATA, else $XDG_DATA_HOME/sejf or ~/.local/share/sejf).", valueName: "dir"))
    var data: String?
    @Option(name: .customLong("key-dir"), help: ArgumentHelp("Directory of the key files (default: <data>/keys).", valueName: "dir"))
    var keyDirectory: String?
    @Option(name: .long, help: ArgumentHelp("Directory of environments/*.yaml, for rotation hooks (default: ./environments).", valueName: "dir"))
    var definitions: String?
    @Option(name: .long, help: ArgumentHelp("Address and port of the API (default 127.0.0.1:8780; port 0 picks a free one).", valueName: "host:port"))
    var listen: String?
    @Option(name: .customLong("admin-listen"), help: ArgumentHelp("Serve /healthz, /readyz and /metrics here instead of on the API listener.", valueName: "host:port"))
    var adminListen: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info (default), notice, warning, error or critical.")
    var logLevel: String?
    @Option(name: .customLong("log-format"), help: "text (default) or json (one object per line, on stderr).")
    var logFormat: String?
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain: serve the API over TLS 1.2+.", valueName: "file"))
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?
    @Option(name: .customLong("tls-reload-check"), help: ArgumentHelp("Seconds between checks of the TLS files for a change (default 30).", valueName: "seconds"))
    var tlsReloadCheck: String?
    @Option(name: .customLong("max-body"), help: "Largest request body accepted, in bytes (default 1048576).")
    var maxBody: String?
    @Option(name: .customLong("rotation-check"), help: ArgumentHelp("Seconds between checks for due rotations (default 60; 0 turns scheduled rotation off).", valueName: "seconds"))
    var rotationCheck: String?
    @Option(name: .long, help: ArgumentHelp("YAML file of settings named like these flags (default: $SEJF_CONFIG).", valueName: "file"))
    var config: String?

    func run() async throws {
        let settings = try ServerSettings(flags: [
            "data": data, "key-dir": keyDirectory, "definitions": definitions, "listen": listen, "admin-listen": adminListen,
            "log-level": logLevel, "log-format": logFormat, "tls-cert": tlsCert, "tls-key": tlsKey, "max-body": maxBody,
            "rotation-check": rotationCheck, "tls-reload-check": tlsReloadCheck,
        ], configPath: config)
        let logger = try Self.logger(settings)
        let configuration = try Self.configuration(settings)
        let rotationCheck = try settings.number("rotation-check", default: 60)
        guard rotationCheck == 0 || (1...86_400).contains(rotationCheck) else {
            throw CommandLineFailure("rotation-check must be 0 (off) or between 1 and 86400 seconds")
        }
        let metrics = ServerMetrics()  // before anything creates a metric: they bind to the backend when made
        let directory = DataDirectory(path: settings.value("data") ?? DataDirectory.defaultPath(environment: ProcessInfo.processInfo.environment),
                                      keyDirectory: settings.value("key-dir"))
        // Held while serving: `sejf restore` refuses to replace the database under a running server.
        let lock = try directory.lockExclusively()
        defer { lock.release() }
        let service = try StoreOptions.openService(directory, definitions: settings.value("definitions", default: DefinitionsOption.directory()))
        let handler = AWSProtocolHandler(service: service, authenticator: try SigV4Authenticator(service: service))
        let probes = SejfHTTPServer.Probes(service: service, metrics: metrics,
                                           databaseFiles: ["", "-wal"].map { directory.databasePath + $0 })
        let scheme = configuration.tls == nil ? "http" : "https"
        try await SejfServerRuntime.run(
            service: service, handler: handler, probes: probes, configuration: configuration, rotationCheck: rotationCheck, logger: logger,
            onListening: { api, admin in
                let adminNote = admin.map { " (admin on http://\(Self.address(configuration.admin!.host, $0)))" } ?? ""
                Output.line("sejf server listening on \(scheme)://\(Self.address(configuration.host, api))\(adminNote) (data \(directory.path))")
            })
    }

    static func address(_ host: String, _ port: Int) -> String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    static func logger(_ settings: ServerSettings) throws -> Logger {
        let levelText = settings.value("log-level", default: "info")
        guard let level = Logger.Level(rawValue: levelText) else { throw CommandLineFailure("unknown log-level \(levelText)") }
        switch settings.value("log-format", default: "text") {
        case "json": LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        case "text": LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case let other: throw CommandLineFailure("unknown log-format \(other): use text or json")
        }
        var logger = Logger(label: "sejf")
        logger.logLevel = level
        return logger
    }

    static func configuration(_ settings: ServerSettings) throws -> ServerConfiguration {
        func listen(_ name: String, _ text: String) throws -> (host: String, port: Int) {
            do {
                return try ServerConfiguration.parseListen(text)
            } catch {
                throw CommandLineFailure("\(name): \(error)")
            }
        }
        let (host, port) = try listen("listen", settings.value("listen", default: "127.0.0.1:8780"))
        let admin = try settings.value("admin-listen").map { try listen("admin-listen", $0) }
        let maxBody = try settings.number("max-body", default: Double(1 << 20))
        guard maxBody >= 1024, maxBody <= Double(64 << 20), maxBody == maxBody.rounded() else {
            throw CommandLineFailure("max-body must be a whole number of bytes between 1024 and 67108864")
        }
        var tls: ReloadableTLS?
        switch (settings.value("tls-cert"), settings.value("tls-key")) {
        case (nil, nil): tls = nil
        case (let cert?, let key?):
            let check = try settings.number("tls-reload-check", default: 30)
            guard (1...86_400).contains(check) else { throw CommandLineFailure("tls-reload-check must be between 1 and 86400 seconds") }
            do {
                tls = try ReloadableTLS(certificatePath: cert, keyPath: key, checkSeconds: check)
            } catch {
                throw CommandLineFailure("\(error)")
            }
        default: throw CommandLineFailure("give both tls-cert and tls-key, or neither")
        }
        return ServerConfiguration(host: host, port: port, maxBodyBytes: Int(maxBody), tls: tls, admin: admin)
    }
}
