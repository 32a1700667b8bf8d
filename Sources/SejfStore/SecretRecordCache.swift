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

        /// What the entry weighs against ``SecretRecordCache/capacity``: one per secret and one
        /// per version (a secret keeps up to 100).
        var cost: Int { 1 + (versions?.versions.count ?? 0) }
    }

    /// The most the cache holds, counted in ``Entry/cost``: 10,000 secrets with a few versions
    /// each, or fewer with many (about 15 MB either way). A full cache starts over.
    static let capacity = 40_000

    private struct Contents {
        var entries: [Int64: Entry] = [:]
        var cost = 0

        mutating func replace(_ id: Int64, with entry: Entry) {
            cost += entry.cost - (entries[id]?.cost ?? 0)
            entries[id] = entry
            if cost > SecretRecordCache.capacity {
                entries = [id: entry]
                cost = entry.cost
            }
        }
    }

    private let contents = Mutex(Contents())

    /// The entry for row `id`, if it was decoded at `revision`.
    func entry(_ id: Int64, revision: Int64) -> Entry? {
        contents.withLock { contents in contents.entries[id].flatMap { $0.revision == revision ? $0 : nil } }
    }

    /// Keeps `record`, decoded at `revision`.
    func store(_ record: SecretRecord, revision: Int64) {
        contents.withLock { $0.replace(record.rowId, with: Entry(revision: revision, record: record)) }
    }

    /// Adds the versions of row `id` to its entry, if that entry is still at `revision`.
    func store(_ versions: StagingLabels, of id: Int64, revision: Int64) {
        contents.withLock { contents in
            guard var entry = contents.entries[id], entry.revision == revision else { return }
            entry.versions = versions
            contents.replace(id, with: entry)
        }
    }

    /// The secrets held, and their total ``Entry/cost`` (for tests).
    var size: (secrets: Int, cost: Int) {
        contents.withLock { ($0.entries.count, $0.cost) }
    }
}
