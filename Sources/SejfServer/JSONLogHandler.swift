import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to stderr: `timestamp` (ISO 8601,
/// milliseconds, UTC), `level`, `label`, `message`, then the metadata as string fields
/// (`request_id`, `principal`, `operation`, `status`, `duration_ms`, …). Callers never put a
/// value, a key or a signature in metadata; this handler does not try to guess.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        fields["timestamp"] = Self.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(timestampStyle)
    }

    /// ISO 8601 with milliseconds, UTC (a value type: made once, shared by every thread).
    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
