import Foundation
import Logging
import SejfAWS
import SejfService
import ServiceLifecycle
import UnixSignals

/// Runs `sejf server`: the API application, the admin application when it has its own address,
/// the rotation scheduler, and the TLS reloader, as one service group.
///
/// SIGTERM or SIGINT starts a graceful shutdown: the listeners stop accepting, requests in flight
/// finish within ``gracefulShutdownSeconds`` (each read's audit event is committed before its
/// answer, and each write commits with its event, so nothing acknowledged is lost), the
/// scheduler stops after the rotation in hand, and the process exits 0. SIGHUP re-reads the TLS
/// certificate and key.
public enum SejfServerRuntime {
    /// How long a graceful shutdown may take before what remains is cancelled.
    public static let gracefulShutdownSeconds = 20

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
        var group = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Bounded: requests in flight get this long to finish after SIGTERM, then are cancelled
        // (Kubernetes kills the pod 30 s after SIGTERM by default).
        group.maximumGracefulShutdownDuration = .seconds(gracefulShutdownSeconds)
        try await ServiceGroup(configuration: group).run()
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

/// Re-reads the TLS certificate and key on SIGHUP, and when either file changes (checked every
/// `tls.checkSeconds`: Kubernetes replaces a mounted Secret's files on renewal without a signal).
struct TLSReloadService: Service {
    let tls: ReloadableTLS
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { reload(because: "SIGHUP") }
                }
                group.addTask {
                    var loaded = fingerprint()
                    while (try? await Task.sleep(for: .seconds(tls.checkSeconds))) != nil {
                        let now = fingerprint()
                        // Only a successful reload moves `loaded`: files caught half-replaced
                        // (the key new, the certificate not yet) are tried again next time.
                        if now != loaded, reload(because: "the files changed") { loaded = now }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Both files' contents (small): modification times can repeat within a second, and a
    /// replaced certificate can have the same size.
    private func fingerprint() -> [Data?] {
        [tls.certificatePath, tls.keyPath].map { FileManager.default.contents(atPath: $0) }
    }

    @discardableResult
    private func reload(because reason: String) -> Bool {
        do {
            try tls.reload()
            logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)", "reason": "\(reason)"])
            return true
        } catch {
            logger.error("TLS reload failed; the previous certificate stays in use", metadata: ["error": "\(error)"])
            return false
        }
    }
}
