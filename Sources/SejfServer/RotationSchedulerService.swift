import Dispatch
import Logging
import SejfService
import ServiceLifecycle

/// The rotation scheduler of `sejf server`: every `interval` seconds it rotates the secrets that
/// are due (``SecretsService/rotateDueSecrets()``), one at a time, off the server's event loops.
/// On graceful shutdown it stops after the rotation in hand (its steps are bounded by the
/// rotators' timeouts, and an interrupted one resumes at its step on the next start).
public struct RotationSchedulerService: Service {
    let service: SecretsService
    let interval: Double
    let logger: Logger

    public init(service: SecretsService, interval: Double, logger: Logger) {
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                log(await rotateDueSecrets())
                do {
                    try await Task.sleep(for: .seconds(interval))
                } catch {
                    return  // shutting down
                }
            }
        }
    }

    private func rotateDueSecrets() async -> [ScheduledRotation] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: service.rotateDueSecrets()) }
        }
    }

    private func log(_ results: [ScheduledRotation]) {
        for result in results {
            switch result.outcome {
            case .success(let rotation):
                logger.info("rotated", metadata: [
                    "environment": "\(result.environment)", "secret": "\(rotation.ARN)", "version": "\(rotation.VersionId)",
                    "steps": "\(rotation.Steps.joined(separator: ","))"])
            case .failure(let error):
                logger.warning("rotation failed", metadata: [
                    "environment": "\(result.environment)", "secret": "\(result.secretARN)", "error": "\(error.code.rawValue): \(error.message)"])
            }
        }
    }
}
