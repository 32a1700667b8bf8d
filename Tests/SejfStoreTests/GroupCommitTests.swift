import Foundation
import Synchronization
import Testing
@testable import SejfStore

struct GroupCommitTests {
    @Test func aLoneCallerCommitsItsOwnItem() throws {
        let committer = GroupCommitter<Int, Int> { $0.map { $0 * 2 } }
        #expect(try committer.submit(21) == 42)
        #expect(committer.batches == 1)
    }

    @Test func concurrentCallersShareCommitsAndGetTheirOwnResults() throws {
        let committed = Mutex<[Int]>([])
        let committer = GroupCommitter<Int, Int> { batch in
            Thread.sleep(forTimeInterval: 0.005)  // a slow fsync, so callers pile up
            committed.withLock { $0 += batch }
            return batch.map { $0 + 1000 }
        }
        let results = Mutex<[Int: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let output = try! committer.submit(i)
            results.withLock { $0[i] = output }
        }
        #expect(results.withLock { $0 }.count == 200)
        #expect(results.withLock { $0 }.allSatisfy { $0.value == $0.key + 1000 })
        #expect(committed.withLock { $0 }.sorted() == Array(0..<200))
        #expect(committer.items == 200)
        #expect(committer.batches < 200, "items were batched")
    }

    @Test func aFailedBatchFailsItsCallersAndTheNextBatchWorks() throws {
        struct DiskFull: Error {}
        let failing = Mutex(true)
        let committer = GroupCommitter<Int, Int> { batch in
            if failing.withLock({ $0 }) { throw DiskFull() }
            return batch
        }
        #expect(throws: DiskFull.self) { try committer.submit(1) }
        failing.withLock { $0 = false }
        #expect(try committer.submit(2) == 2)
    }

    @Test func suspendedAndBlockedCallersShareCommitsAndGetTheirOwnResults() async throws {
        let committed = Mutex<[Int]>([])
        let committer = GroupCommitter<Int, Int> { batch in
            Thread.sleep(forTimeInterval: 0.002)
            committed.withLock { $0 += batch }
            return batch.map { -$0 }
        }
        let blocked = (0..<8).map { t in
            Thread { for i in stride(from: 1000 + t, to: 1200, by: 8) { precondition((try? committer.submit(i)) == -i) } }
        }
        blocked.forEach { $0.start() }
        let suspended = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 0..<300 { group.addTask { (i, try await committer.submit(i)) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        while committed.withLock({ $0.count }) < 500 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(suspended.count == 300)
        #expect(suspended.allSatisfy { $0.value == -$0.key })
        #expect(committed.withLock { $0 }.sorted() == Array(0..<300) + Array(1000..<1200))
        #expect(committer.batches < 500, "items were batched")
    }

    @Test func aFailedBatchFailsItsSuspendedCallers() async throws {
        struct DiskFull: Error {}
        let failing = Mutex(true)
        let committer = GroupCommitter<Int, Int> { batch in
            if failing.withLock({ $0 }) { throw DiskFull() }
            return batch
        }
        await #expect(throws: DiskFull.self) { try await committer.submit(1) }
        failing.withLock { $0 = false }
        #expect(try await committer.submit(2) == 2)
    }
}

/// Concurrent writes to the SQLite store share transactions, yet each is atomic on its own.
struct GroupedWriteTests {
    struct Refused: Error {}

    @Test func aWriteThatThrowsUndoesOnlyItselfAndOthersLand() throws {
        let f = try StoreFixture()
        let outcomes = Mutex<[Int: Bool]>([:])
        // 16 threads (concurrentPerform would use one per core), so writes queue behind each other.
        let threads = (0..<16).map { t in
            Thread {
                for i in stride(from: t, to: 480, by: 16) {
                    let landed: Bool
                    do {
                        let name = try f.store.write { w -> String in
                            try w.insertPrincipal(PrincipalRecord(name: "p\(i)", description: "", createdAt: 1))
                            if i % 3 == 0 { throw Refused() }
                            return "p\(i)"
                        }
                        landed = name == "p\(i)"
                    } catch {
                        landed = false
                        #expect(error is Refused)
                    }
                    outcomes.withLock { $0[i] = landed }
                }
            }
        }
        threads.forEach { $0.start() }
        while outcomes.withLock({ $0.count }) < 480 { Thread.sleep(forTimeInterval: 0.01) }
        let names = Set(try f.store.read { try $0.principals().map(\.name) }.filter { $0.hasPrefix("p") })
        #expect(names == Set((0..<480).filter { $0 % 3 != 0 }.map { "p\($0)" }))
        #expect(outcomes.withLock { $0 }.filter(\.value).count == 320)
    }
}
