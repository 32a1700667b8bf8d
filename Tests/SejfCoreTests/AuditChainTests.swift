import Testing
@testable import SejfCore

struct AuditChainBuildTests {
    let hash = standInHash()

    @Test func numbersFromOneAndLinksEachHashToThePrevious() {
        let events = AuditSamples.events(4)
        let chain = AuditChain.build(events, hash: hash)
        #expect(chain.map(\.sequence) == [1, 2, 3, 4])
        #expect(chain.map(\.event) == events)
        #expect(chain[0].hash == hash(AuditChain.genesisHash + events[0].canonicalEncoding(sequence: 1)))
        for i in 1..<chain.count {
            #expect(chain[i].hash == hash(chain[i - 1].hash + events[i].canonicalEncoding(sequence: Int64(i + 1))))
        }
        #expect(chain.allSatisfy { $0.hash.count == AuditChain.hashLength })
    }

    @Test func appendContinuesFromTheHead() {
        let chain = AuditChain.build(AuditSamples.events(3), hash: hash)
        let next = AuditChain.append(AuditSamples.read(10), after: chain[2].checkpoint, hash: hash)
        #expect(next == AuditChain.build(AuditSamples.events(3) + [AuditSamples.read(10)], hash: hash)[3])
        #expect(AuditChain.append(AuditSamples.read(), after: .genesis, hash: hash) == AuditChain.build([AuditSamples.read()], hash: hash)[0])
    }

    @Test func hashErrorsPropagate() {
        struct KeyUnavailable: Error {}
        #expect(throws: KeyUnavailable.self) {
            try AuditChain.verify(events: AuditChain.build(AuditSamples.events(2), hash: hash)) { _ in throw KeyUnavailable() }
        }
    }
}

struct AuditChainVerifyTests {
    let hash = standInHash()
    let chain = AuditChain.build(AuditSamples.events(8), hash: standInHash())

    func verify(_ events: [StoredAuditEvent], after checkpoint: AuditCheckpoint? = nil) -> AuditVerification {
        AuditChain.verify(events: events, startingAfter: checkpoint, hash: hash)
    }

    @Test func intactChainVerifies() {
        let result = verify(chain)
        #expect(result.isIntact)
        #expect(result.verifiedCount == 8)
        #expect(result.head == chain[7].checkpoint)
        #expect(result.message == "The audit log is intact: events 1 to 8 verified.")
    }

    @Test func emptyAndSingleEventLogsVerify() {
        #expect(verify([]).isIntact)
        #expect(verify([]).head == .genesis)
        #expect(verify([]).message == "The audit log is intact: it holds no events.")
        #expect(verify([chain[0]]).message == "The audit log is intact: event 1 verified.")
    }

    @Test func anotherKeyDoesNotVerify() {
        let result = AuditChain.verify(events: chain, hash: standInHash(key: "not-the-audit-key"))
        #expect(result.firstBreak == AuditChainBreak(sequence: 1, kind: .edited))
        #expect(result.verifiedCount == 0)
    }

    @Test(arguments: AuditSamples.fieldChanges.map(\.field))
    func editedFieldIsReportedAtThatEvent(field: String) throws {
        var tampered = chain
        try #require(AuditSamples.fieldChanges.first { $0.field == field }).change(&tampered[4].event)
        let result = verify(tampered)
        #expect(result.firstBreak == AuditChainBreak(sequence: 5, kind: .edited))
        #expect(result.head == chain[3].checkpoint)
        #expect(result.verifiedCount == 4)
    }

    @Test func editedSequenceNumberOrHashIsReported() {
        var tampered = chain
        tampered[2].hash[0] ^= 1
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 3, kind: .edited))
        tampered = chain
        tampered[2].hash = []
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 3, kind: .edited))
    }

    @Test func editWithRecomputedHashBreaksTheNextLink() {
        // Someone with the key edits event 3 and recomputes its hash; event 4's link then fails.
        var tampered = chain
        tampered[2].event.principal = "mallory"
        tampered[2].hash = AuditChain.link(tampered[2].event, sequence: 3, after: chain[1].hash, hash: hash)
        let result = verify(tampered)
        let failure = result.firstBreak
        #expect(failure == AuditChainBreak(sequence: 4, kind: .edited))
        #expect(result.head == tampered[2].checkpoint)
        #expect(failure?.message == "The audit log was tampered with at event 4: it does not match its hash. "
            + "Event 4 was edited, or event 3 before it was replaced together with its hash.")
    }

    @Test func editOfTheLastEventWithRecomputedHashNeedsACheckpoint() {
        var tampered = chain
        tampered[7].event.sourceAddress = "203.0.113.9"
        tampered[7].hash = AuditChain.link(tampered[7].event, sequence: 8, after: chain[6].hash, hash: hash)
        #expect(verify(tampered).isIntact)  // only the holder of the key could do this…
        #expect(AuditChain.compare(exported: chain[7].checkpoint, with: tampered) == .diverged(checkpoint: 8))  // …and a checkpoint catches it
    }

    @Test func deletionInTheMiddle() {
        var tampered = chain
        tampered.remove(at: 3)
        let result = verify(tampered)
        #expect(result.firstBreak == AuditChainBreak(sequence: 4, kind: .deleted(through: 4)))
        #expect(result.head == chain[2].checkpoint)
        #expect(result.message == "The audit log was tampered with at event 4: event 4 is missing (deleted).")
    }

    @Test func deletionOfSeveralEvents() {
        var tampered = chain
        tampered.removeSubrange(2..<5)
        let failure = verify(tampered).firstBreak
        #expect(failure == AuditChainBreak(sequence: 3, kind: .deleted(through: 5)))
        #expect(failure?.message == "The audit log was tampered with at event 3: events 3 to 5 are missing (deleted).")
    }

    @Test func deletionOfTheFirstEvent() {
        let result = verify(Array(chain.dropFirst()))
        #expect(result.firstBreak == AuditChainBreak(sequence: 1, kind: .deleted(through: 1)))
        #expect(result.verifiedCount == 0)
    }

    @Test func deletionAndRenumberingBreaksTheHash() {
        // Delete event 4 and renumber the rest: the hashes cover the sequence numbers.
        var tampered = chain
        tampered.remove(at: 3)
        for i in 3..<tampered.count { tampered[i].sequence -= 1 }
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 4, kind: .edited))
    }

    @Test func insertedCopyOfAnEvent() {
        var tampered = chain
        tampered.insert(chain[2], at: 5)  // 1 2 3 4 5 3 6 7 8
        let failure = verify(tampered).firstBreak
        #expect(failure == AuditChainBreak(sequence: 3, kind: .inserted(after: 5)))
        #expect(failure?.message == "The audit log was tampered with at event 3: a second event 3 appears after event 5 (inserted).")
    }

    @Test func insertedForgedEvent() {
        // A forged event slipped in as number 4 with a made-up hash, the real 4 following it.
        var tampered = chain
        var forged = chain[3]
        forged.event.principal = "auditor"
        forged.hash = [UInt8](repeating: 7, count: 32)
        tampered.insert(forged, at: 3)
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 4, kind: .edited))
        // With the real one first, the forged copy is the insertion.
        tampered = chain
        tampered.insert(forged, at: 4)
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 4, kind: .inserted(after: 4)))
    }

    @Test func insertedEventAtTheStart() {
        var tampered = chain
        var forged = chain[0]
        forged.sequence = 0
        tampered.insert(forged, at: 0)
        let failure = verify(tampered).firstBreak
        #expect(failure == AuditChainBreak(sequence: 0, kind: .inserted(after: 0)))
        #expect(failure?.message == "The audit log was tampered with at event 0: a second event 0 appears at the start (inserted).")
    }

    @Test func reorderedRows() {
        var tampered = chain
        tampered.swapAt(2, 5)  // 1 2 6 4 5 3 7 8
        let failure = verify(tampered).firstBreak
        #expect(failure == AuditChainBreak(sequence: 3, kind: .reordered(foundInstead: 6)))
        #expect(failure?.message == "The audit log was tampered with at event 3: event 6 stands where event 3 belongs, "
            + "and event 3 comes later (reordered).")
        tampered = chain
        tampered.swapAt(6, 7)  // adjacent, at the end
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 7, kind: .reordered(foundInstead: 8)))
    }

    @Test func reorderedContentKeepingTheNumbers() {
        // Swap what events 3 and 6 say (with their hashes) but keep the numbering in place.
        var tampered = chain
        tampered.swapAt(2, 5)
        tampered[2].sequence = 3
        tampered[5].sequence = 6
        #expect(verify(tampered).firstBreak == AuditChainBreak(sequence: 3, kind: .edited))
    }

    @Test func truncatedTailStillVerifiesButNotAgainstACheckpoint() {
        let exported = chain[7].checkpoint
        let truncated = Array(chain.prefix(5))
        #expect(verify(truncated).isIntact)
        let comparison = AuditChain.compare(exported: exported, with: truncated)
        #expect(comparison == .truncated(newest: 5, checkpoint: 8))
        #expect(!comparison.isConsistent)
        #expect(comparison.message == "The audit log was truncated: it ends at event 5, but the checkpoint vouches for events up to 8.")
        #expect(AuditChain.compare(exported: exported, with: []) == .truncated(newest: 0, checkpoint: 8))
    }

    @Test func pruneCheckpointAndVerificationAfterIt() throws {
        let cutoff = chain[3].event.time  // prune events 1–3, keep 4…
        let checkpoint = try #require(AuditChain.pruneCheckpoint(events: chain, before: cutoff))
        #expect(checkpoint == chain[2].checkpoint)
        let rest = Array(chain.dropFirst(3))
        let result = verify(rest, after: checkpoint)
        #expect(result.isIntact)
        #expect(result.start == checkpoint)
        #expect(result.verifiedCount == 5)
        #expect(result.message == "The audit log is intact: events 4 to 8 verified (after the checkpoint at event 3).")
        // Without the checkpoint the pruned log looks like a deletion.
        #expect(verify(rest).firstBreak == AuditChainBreak(sequence: 1, kind: .deleted(through: 3)))
        // A checkpoint with another hash does not fit the rest.
        var wrong = checkpoint
        wrong.hash[5] ^= 0x80
        #expect(verify(rest, after: wrong).firstBreak == AuditChainBreak(sequence: 4, kind: .edited))
        // And the stored events after it are still checked.
        var tampered = rest
        tampered.remove(at: 1)
        #expect(verify(tampered, after: checkpoint).firstBreak == AuditChainBreak(sequence: 5, kind: .deleted(through: 5)))
        // Appending continues after the pruned log as after any other.
        let next = AuditChain.append(AuditSamples.read(99), after: rest.last!.checkpoint, hash: hash)
        #expect(verify(rest + [next], after: checkpoint).isIntact)
        #expect(verify([], after: checkpoint).message == "The audit log is intact: it holds no events (after the checkpoint at event 3).")
    }

    @Test func pruneCheckpointStopsAtTheFirstEventNotBeforeTheCutoff() {
        var events = AuditSamples.events(5)
        events[2].time = AuditTime(milliseconds: events[4].time.milliseconds + 1000)  // a clock that stepped back after event 3
        let chain = AuditChain.build(events, hash: hash)
        #expect(AuditChain.pruneCheckpoint(events: chain, before: events[4].time) == chain[1].checkpoint)
        #expect(AuditChain.pruneCheckpoint(events: chain, before: events[0].time) == nil)
        #expect(AuditChain.pruneCheckpoint(events: [StoredAuditEvent](), before: events[0].time) == nil)
    }
}

struct AuditCheckpointCompareTests {
    let hash = standInHash()
    let chain = AuditChain.build(AuditSamples.events(6), hash: standInHash())

    @Test func matchesWhileTheLogHoldsTheCheckpoint() {
        #expect(AuditChain.compare(exported: chain[3].checkpoint, with: chain) == .matches(newest: 6))
        #expect(AuditChain.compare(exported: chain[5].checkpoint, with: chain) == .matches(newest: 6))
        #expect(AuditChain.compare(exported: chain[3].checkpoint, with: chain).isConsistent)
        // The store may pass just the checkpoint's event and the newest.
        #expect(AuditChain.compare(exported: chain[3].checkpoint, with: [chain[3], chain[5]]) == .matches(newest: 6))
        #expect(AuditChain.compare(exported: .genesis, with: chain) == .matches(newest: 6))
        #expect(AuditChain.compare(exported: .genesis, with: []) == .matches(newest: 0))
    }

    @Test func divergedWhenHistoryWasRewritten() {
        // Truncated to 3, then three new events appended: the tail is as long as before, but not the same.
        let rewritten = AuditChain.build(Array(AuditSamples.events(3)) + [AuditSamples.read(50), AuditSamples.read(51), AuditSamples.read(52)], hash: hash)
        #expect(AuditChain.verify(events: rewritten, hash: hash).isIntact)
        #expect(AuditChain.compare(exported: chain[5].checkpoint, with: rewritten) == .diverged(checkpoint: 6))
        #expect(AuditChain.compare(exported: chain[2].checkpoint, with: rewritten) == .matches(newest: 6))
        var other = chain[3].checkpoint
        other.hash = AuditChain.genesisHash
        #expect(AuditChain.compare(exported: other, with: chain).message
            == "The audit log diverged from the checkpoint: event 4 has another hash, so the log up to it was rewritten, or the checkpoint is from another log.")
    }

    @Test func missingWhenTheCheckpointEventAloneWasDeleted() {
        var tampered = chain
        tampered.remove(at: 3)
        #expect(AuditChain.compare(exported: chain[3].checkpoint, with: tampered) == .missing(checkpoint: 4))
    }

    @Test func afterPruning() throws {
        let checkpoint = chain[2].checkpoint
        let rest = Array(chain.dropFirst(3))
        #expect(AuditChain.compare(exported: chain[4].checkpoint, with: rest, startingAfter: checkpoint) == .matches(newest: 6))
        #expect(AuditChain.compare(exported: chain[2].checkpoint, with: rest, startingAfter: checkpoint) == .matches(newest: 6))
        #expect(AuditChain.compare(exported: chain[1].checkpoint, with: rest, startingAfter: checkpoint)
            == .pruned(checkpoint: 2, prunedThrough: 3))
        // Everything pruned: the prune checkpoint is the newest thing the log knows.
        #expect(AuditChain.compare(exported: chain[2].checkpoint, with: [], startingAfter: checkpoint) == .matches(newest: 3))
        #expect(AuditChain.compare(exported: chain[4].checkpoint, with: [], startingAfter: checkpoint)
            == .truncated(newest: 3, checkpoint: 5))
    }
}

struct AuditChainVerifierTests {
    let hash = standInHash()
    let chain = AuditChain.build(AuditSamples.events(5), hash: standInHash())

    /// Feeds `events` in order; returns what `consume` answered for each.
    func feed(_ verifier: inout AuditChainVerifier, _ events: [StoredAuditEvent]) -> [Bool] {
        events.map { verifier.consume($0, hash: hash) }
    }

    @Test func stopsAtTheFirstBreak() {
        var tampered = chain
        tampered[1].event.requestId = "changed"
        var verifier = AuditChainVerifier()
        // Settled at event 2: later events change nothing.
        #expect(feed(&verifier, Array(tampered.prefix(3))) == [true, false, false])
        #expect(verifier.result.firstBreak == AuditChainBreak(sequence: 2, kind: .edited))
        #expect(verifier.result.head == chain[0].checkpoint)
    }

    @Test func keepsReadingAfterAGapToTellReorderingFromDeletion() {
        var verifier = AuditChainVerifier()
        #expect(feed(&verifier, [chain[0], chain[2]]) == [true, true])
        #expect(verifier.result.firstBreak == AuditChainBreak(sequence: 2, kind: .deleted(through: 2)))  // so far…
        #expect(feed(&verifier, [chain[3], chain[1]]) == [true, false])
        #expect(verifier.result.firstBreak == AuditChainBreak(sequence: 2, kind: .reordered(foundInstead: 3)))  // …it came later
    }

    @Test func givesTheSameAnswerAsVerify() {
        var verifier = AuditChainVerifier(startingAfter: chain[1].checkpoint)
        #expect(feed(&verifier, Array(chain.dropFirst(2))) == [true, true, true])
        #expect(verifier.result == AuditChain.verify(events: chain.dropFirst(2), startingAfter: chain[1].checkpoint, hash: hash))
        #expect(verifier.result.isIntact)
    }
}
