import ArgumentParser
import Foundation
import Logging
import SejfAWS
import SejfServer
import SejfService

/// `sejf server`: the AWS Secrets Manager API over HTTP, on the embedded SQLite store.
struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the AWS Secrets Manager API (JSON 1.1, SigV4) on the data directory.",
        discussion: """
            Point any AWS client at it: aws --endpoint-url http://127.0.0.1:8780 --region dev \
            secretsmanager list-secrets. The region names the environment. Requests are signed \
            with the access keys of `sejf key create`. SIGTERM or SIGINT stops it gracefully.
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Address and port to listen on (port 0 picks a free one).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8780"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("max-body"), help: "Largest request body accepted, in bytes.")
    var maxBody: Int = 1 << 20

    @Option(name: .customLong("rotation-check"), help: ArgumentHelp("Seconds between the scheduler's checks for due rotations (0 turns scheduled rotation off).", valueName: "seconds"))
    var rotationCheck: Double = 60

    @OptionGroup var definitions: DefinitionsOption

    func validate() throws {
        guard rotationCheck == 0 || (1...86_400).contains(rotationCheck) else {
            throw ValidationError("--rotation-check must be 0 (off) or between 1 and 86400 seconds")
        }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw CommandLineFailure("unknown --log-level \(logLevel)") }
        let (host, port): (String, Int)
        do {
            (host, port) = try ServerConfiguration.parseListen(listen)
        } catch {
            throw CommandLineFailure("\(error)")
        }
        let service = try store.openService(definitions: definitions.directory)
        var logger = Logger(label: "sejf")
        logger.logLevel = level
        let handler = AWSProtocolHandler(service: service, authenticator: try SigV4Authenticator(service: service))
        let application = SejfHTTPServer.application(
            handler: handler, configuration: ServerConfiguration(host: host, port: port, maxBodyBytes: maxBody), logger: logger,
            services: rotationCheck > 0 ? [RotationSchedulerService(service: service, interval: rotationCheck, logger: logger)] : [],
            onListening: { bound in
                Output.line("sejf server listening on http://\(host.contains(":") ? "[\(host)]" : host):\(bound) (data \(store.directory.path))")
            })
        try await application.runService()
    }
}
