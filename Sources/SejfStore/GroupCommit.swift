import Foundation
import Synchronization

/// Batches work items from concurrent callers into one commit (group commit).
///
/// A caller hands in its item and waits. Whoever finds no commit running starts one: it takes
/// every item queued so far — its own and those of callers that arrived meanwhile — commits them
/// in one go (one transaction, one fsync), and wakes the callers of that batch with their
/// results. If more callers queued up during the commit, the next batch is led by the first of
/// them. So under load one durable commit serves many callers, each caller is woken once (not at
/// every commit), and alone a caller commits just its own item with no added wait.
///
/// Two kinds of callers share the queue: ``submit(_:)-swift.method`` blocks its thread, which
/// leads the batches it is asked to; `await` ``submit(_:)-(Item)`` suspends its task without
/// holding a thread, and its batches are led on a Dispatch thread, since a commit blocks.
///
/// If the commit throws, every item of that batch fails with the error, and the next batch
/// starts afresh: nothing is retried silently, and service resumes when the cause is gone.
public final class GroupCommitter<Item: Sendable, Output: Sendable>: Sendable {
    /// One caller: its item, and how it is woken — with its result, or to lead a batch.
    private final class Waiter: @unchecked Sendable {
        enum Wake {
            /// A blocked thread: woken with `result` set, or with nil to lead.
            case thread(DispatchSemaphore)
            /// A suspended task: resumed with its result; its batches are led on `leaders`.
            case task(CheckedContinuation<Output, any Error>)
        }

        let item: Item
        let wake: Wake
        /// Written by the leader before a blocked thread is signalled, read by it after.
        var result: Result<Output, any Error>?

        init(_ item: Item, _ wake: Wake) {
            self.item = item
            self.wake = wake
        }
    }

    private struct State {
        var queue: [Waiter] = []
        var committing = false
        var batches = 0
        var items = 0
    }

    private let state = Mutex(State())
    private let commit: @Sendable ([Item]) throws -> [Output]
    /// Where batches of suspended callers are committed.
    private let leaders = DispatchQueue(label: "sejf.group-commit", qos: .userInitiated)

    /// Batches committed so far and items in them (for tests and metrics).
    public var batches: Int { state.withLock { $0.batches } }
    public var items: Int { state.withLock { $0.items } }

    /// - Parameter commit: commits a batch, returning one output per item, in order.
    public init(commit: @escaping @Sendable ([Item]) throws -> [Output]) {
        self.commit = commit
    }

    /// Submits `item` and returns once it is committed, blocking this thread meanwhile.
    /// - Throws: the commit's error, when the batch holding `item` failed.
    public func submit(_ item: Item) throws -> Output {
        let semaphore = DispatchSemaphore(value: 0)
        let waiter = Waiter(item, .thread(semaphore))
        if !enqueue(waiter) { semaphore.wait() }
        if waiter.result == nil { lead(as: waiter) }
        return try waiter.result!.get()
    }

    /// Submits `item` and returns once it is committed, without blocking a thread.
    /// - Throws: the commit's error, when the batch holding `item` failed.
    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            if enqueue(Waiter(item, .task(continuation))) { leaders.async { self.lead(as: nil) } }
        }
    }

    /// Queues `waiter`; true when no commit is running, so the caller must start one.
    private func enqueue(_ waiter: Waiter) -> Bool {
        state.withLock { state in
            state.queue.append(waiter)
            guard !state.committing else { return false }
            state.committing = true
            return true
        }
    }

    /// Commits everything queued, wakes its callers, and passes the lead on to the next caller
    /// that queued meanwhile (or ends the leadership when nobody did). `leader` is the blocked
    /// caller leading on its own thread, which needs no waking.
    private func lead(as leader: Waiter?) {
        let batch = state.withLock { state in
            defer { state.queue.removeAll() }
            return state.queue
        }
        let outcome = Result { try commit(batch.map(\.item)) }
        let next = state.withLock { state in
            state.batches += 1
            state.items += batch.count
            if state.queue.isEmpty { state.committing = false }
            return state.queue.first
        }
        for (index, waiter) in batch.enumerated() {
            let result = outcome.flatMap { outputs in
                index < outputs.count ? .success(outputs[index]) : .failure(GroupCommitError.missingOutput)
            }
            switch waiter.wake {
            case .thread(let semaphore):
                waiter.result = result
                if waiter !== leader { semaphore.signal() }
            case .task(let continuation):
                continuation.resume(with: result)
            }
        }
        switch next?.wake {
        case .thread(let semaphore): semaphore.signal()
        case .task: leaders.async { self.lead(as: nil) }
        case nil: break
        }
    }
}

enum GroupCommitError: Error {
    /// The commit returned fewer outputs than it was given items.
    case missingOutput
}
