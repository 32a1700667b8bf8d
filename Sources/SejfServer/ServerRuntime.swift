import Logging
import SejfAWS
import SejfService
import ServiceLifecycle
import UnixSignals

/// Runs `sejf server`: the API application, the admin application when it has its own address,
/// the rotation scheduler, and the TLS reloader, as one service group.
///
/// SIGTERM or SIGINT starts a graceful shutdown: the listeners stop accepting, requests in flight
/// finish (each read's audit event is committed before its answer, so none is lost), the
/// scheduler stops after the rotation in hand, and the process exits 0. SIGHUP re-reads the TLS
/// certificate and key.
public enum SejfServerRuntime {
    public static func run(
        service: SecretsService, handler: AWSProtocolHandler, probes: SejfHTTPServer.Probes, configuration: ServerConfiguration,
        rotationCheck: Double, logger: Logger, onListening: @escaping @Sendable (_ api: Int, _ admin: Int?) async -> Void
    ) async throws {
        let ports = PortsReporter(expectsAdmin: configuration.admin != nil, report: onListening)
        var services: [any Service] = [
            try SejfHTTPServer.application(handler: handler, probes: probes, configuration: configuration, logger: logger,
                                           onListening: { await ports.api($0) }),
        ]
        if let admin = configuration.admin {
            services.append(SejfHTTPServer.adminApplication(probes: probes, host: admin.host, port: admin.port, logger: logger,
                                                            onListening: { await ports.admin($0) }))
        }
        if rotationCheck > 0 { services.append(RotationSchedulerService(service: service, interval: rotationCheck, logger: logger)) }
        if let tls = configuration.tls { services.append(TLSReloadService(tls: tls, logger: logger)) }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Reports the bound ports once every listener is up.
actor PortsReporter {
    let expectsAdmin: Bool
    let report: @Sendable (Int, Int?) async -> Void
    var apiPort: Int?
    var adminPort: Int?

    init(expectsAdmin: Bool, report: @escaping @Sendable (Int, Int?) async -> Void) {
        self.expectsAdmin = expectsAdmin
        self.report = report
    }

    func api(_ port: Int) async {
        apiPort = port
        await reportIfReady()
    }

    func admin(_ port: Int) async {
        adminPort = port
        await reportIfReady()
    }

    private func reportIfReady() async {
        guard let apiPort, !expectsAdmin || adminPort != nil else { return }
        await report(apiPort, adminPort)
    }
}

/// Re-reads the TLS certificate and key on SIGHUP.
struct TLSReloadService: Service {
    let tls: ReloadableTLS
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try tls.reload()
                    logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
                } catch {
                    logger.error("TLS reload failed; the previous certificate stays in use", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
