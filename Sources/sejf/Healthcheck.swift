import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sejf healthcheck`: exits 0 when a URL answers 200 — for the container's `HEALTHCHECK`, where
/// the slim image has no curl.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the server's health URL answers 200 (for Docker's HEALTHCHECK).")

    @Option(name: .long, help: "The URL to fetch.")
    var url: String = "http://127.0.0.1:8780/healthz"

    @Option(name: .long, help: "Seconds to wait for the answer.")
    var timeout: Double = 2

    func run() throws {
        guard let target = URL(string: url), ["http", "https"].contains(target.scheme ?? "") else {
            throw CommandLineFailure("--url must be an http(s) URL, not '\(url)'")
        }
        final class Outcome: @unchecked Sendable { var status: Int?; var problem: String? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "GET"
        URLSession.shared.dataTask(with: request) { _, response, error in
            outcome.status = (response as? HTTPURLResponse)?.statusCode
            outcome.problem = error?.localizedDescription
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 1) == .success else { throw CommandLineFailure("\(url): no answer within \(timeout) s") }
        guard outcome.status == 200 else {
            throw CommandLineFailure("\(url): \(outcome.status.map { "HTTP \($0)" } ?? outcome.problem ?? "no answer")")
        }
        Output.line("ok")
    }
}
