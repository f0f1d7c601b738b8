/// One change the ledger writer commits: an item's outcome, or a remote job begun or ended.
package enum LedgerWrite: Sendable {
    case entry(LedgerEntry)
    case jobSubmitted(Job)
    case jobEnded(stage: String, item: String, fingerprint: String)
    /// A batch about to be created under `chunk`, with its items.
    case batchIntent(chunk: String, provider: String, stage: String, items: BatchItems)
    case batchCreated(chunk: String, batchID: String)
    /// The item's line of a batch ended (failed, to be sent again): nothing to re-attach to.
    case batchItemEnded(stage: String, item: String, fingerprint: String)
    /// A batch never created (the create call failed): its intent and items go.
    case batchAbandoned(chunk: String)
    /// A worker finished a claimed item of the shared work queue (PostgreSQL only).
    case workDone(seq: Int64, worker: Int64)
    /// A stage of an item to be claimed in turn, by any worker (PostgreSQL only).
    case workQueued(run: Int64, source: String, row: Int, key: String, stage: String)

    package struct BatchItem: Sendable {
        var stage: String
        var item: String
        var fingerprint: String
        var key: String
        var customID: String
    }

    /// A batch's items, read one at a time where they are kept (up to 50,000 of them: never
    /// gathered into one array for the write).
    package struct BatchItems: Sendable {
        package let forEach: @Sendable (_ body: (BatchItem) throws -> Void) throws -> Void

        /// Where the items could not be read (a members file): the batch's fault, not the ledger's.
        package struct Unreadable: Error, CustomStringConvertible {
            package var underlying: any Error
            package var description: String { "\(underlying)" }
        }

        /// `forEach` reads the items and hands each to `body` (the ledger's write); what it throws
        /// on its own comes out as `Unreadable`, what `body` throws as it was.
        package init(_ forEach: @escaping @Sendable (_ body: (BatchItem) throws -> Void) throws -> Void) {
            self.forEach = { body in
                var written: (any Error)?
                do {
                    try forEach { item in
                        do { try body(item) } catch {
                            written = error
                            throw error
                        }
                    }
                } catch {
                    if let written { throw written }
                    throw Unreadable(underlying: error)
                }
            }
        }

        package init(_ items: [BatchItem]) { forEach = { body in for item in items { try body(item) } } }
    }

    /// A job a queued provider accepted for one unit.
    package struct Job: Sendable {
        var stage: String
        var item: String
        var fingerprint: String
        var key: String
        var provider: String
        var job: RemoteJob
    }
}
