import Synchronization
import SejfCore

/// Decoded secret records — the row, its tags, and its versions and staging labels — kept
/// between read transactions, so a read of an unchanged secret costs one small indexed query
/// (its id and revision) instead of four.
///
/// An entry is used only while the secret's `revision` in the reading transaction's snapshot is
/// the one it was decoded at. Triggers (migration v9) give a secret a fresh random revision on
/// any change to its row, tags, versions or labels, from any process or connection; so an entry
/// can never be stale, only unused. It holds no secret value: values are read, and decrypted, per
/// request.
final class SecretRecordCache: Sendable {
    struct Entry: Sendable {
        let revision: Int64
        let record: SecretRecord
        var versions: StagingLabels?
    }

    /// At most this many secrets; a full cache starts over (secrets read often come back first).
    static let capacity = 10_000

    private let entries = Mutex<[Int64: Entry]>([:])

    /// The entry for row `id`, if it was decoded at `revision`.
    func entry(_ id: Int64, revision: Int64) -> Entry? {
        entries.withLock { entries in entries[id].flatMap { $0.revision == revision ? $0 : nil } }
    }

    /// Keeps `record`, decoded at `revision`.
    func store(_ record: SecretRecord, revision: Int64) {
        entries.withLock { entries in
            if entries.count >= Self.capacity && entries[record.rowId] == nil { entries.removeAll(keepingCapacity: true) }
            entries[record.rowId] = Entry(revision: revision, record: record)
        }
    }

    /// Adds the versions of row `id` to its entry, if that entry is still at `revision`.
    func store(_ versions: StagingLabels, of id: Int64, revision: Int64) {
        entries.withLock { entries in
            guard entries[id]?.revision == revision else { return }
            entries[id]?.versions = versions
        }
    }
}
