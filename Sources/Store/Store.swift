import Foundation
import GRDB
import KubeAPI
import Synchronization

/// One stored object at the revision of its last write.
public struct StoredObject: Sendable {
    public let key: String
    public let revision: Int64
    /// The object, with `metadata.resourceVersion` set to `revision`.
    public let value: JSON
    /// `value.serializedBytes()`, computed once when written, reused by lists and watches.
    public let bytes: [UInt8]

    public init(key: String, revision: Int64, value: JSON, bytes: [UInt8]) {
        self.key = key
        self.revision = revision
        self.value = value
        self.bytes = bytes
    }
}

/// What a write closure decides, given the current object.
public enum WriteAction: Sendable {
    /// Store this object (its `metadata.resourceVersion` is set by the store).
    case put(JSON)
    case delete
    /// Change nothing: the caller gets the current object back and no revision is spent.
    case none
}

/// The outcome of `Store.write`.
public struct WriteResult: Sendable {
    public let previous: StoredObject?
    /// The current object after the write; nil when deleted or absent.
    public let current: StoredObject?
    /// The deleted object (with the deletion revision) when the action was `.delete`.
    public let deleted: StoredObject?
    /// Whether a new revision was written.
    public let changed: Bool
}

public enum StoreEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// A committed change, as delivered to watchers.
public struct StoreEvent: Sendable {
    public let type: StoreEventType
    public let key: String
    public let revision: Int64
    /// New state; for DELETED the last state with `resourceVersion` = deletion revision.
    public let object: JSON
    /// State before this event (nil for ADDED); needed for selector transitions.
    public let previous: JSON?
    /// `object.serializedBytes()`, computed once when written.
    public let bytes: [UInt8]
}

public enum StoreError: Error, Equatable {
    /// The requested revision has been compacted out of the history window.
    case expired(requested: Int64, oldest: Int64)
    case database(String)
}

/// SQLite-backed, log-structured object store (kine-style): every write appends a row whose id is
/// the new global revision. The current state and a recent-event window are kept in memory; all
/// writes are serialized on GRDB's writer queue and acknowledged only after a durable commit
/// (WAL, `synchronous=FULL`).
public final class Store: Sendable {
    private let pool: DatabasePool
    private let state: Mutex<State>
    private let queue = Mutex(WriteQueue())
    /// A second connection, used only to checkpoint the WAL outside the commit path.
    private let checkpointer: DatabaseQueue
    private let checkpointQueue = DispatchQueue(label: "ferry-store-checkpoint", qos: .utility)
    /// Where batches are committed, one at a time (GRDB's writer is serialized as well).
    private let writerQueue = DispatchQueue(label: "ferry-store-commit")
    /// Number of recent events kept for watch replay.
    public let historyLimit: Int

    struct Watcher {
        let prefix: String
        let continuation: AsyncStream<StoreEvent>.Continuation
    }

    struct State {
        var objects: [String: StoredObject] = [:]
        var revision: Int64 = 0
        var history: [StoreEvent] = []  // ring, oldest first
        var historyStart = 0
        /// Oldest revision a watch may start *after* (events with revision > this are replayable).
        var compactedThrough: Int64 = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0

        mutating func appendHistory(_ e: StoreEvent, limit: Int) {
            if history.count < limit {
                history.append(e)
            } else {
                history[historyStart] = e
                historyStart = (historyStart + 1) % limit
                compactedThrough = history[historyStart].revision - 1
            }
        }

        func events(after rev: Int64) -> [StoreEvent] {
            var out: [StoreEvent] = []
            for i in 0..<history.count {
                let e = history[(historyStart + i) % history.count]
                if e.revision > rev { out.append(e) }
            }
            return out
        }
    }

    public init(path: String, historyLimit: Int = 10_000) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Checkpoints run beside the writer (`checkpointInBackground`), not inside a commit,
            // where copying the WAL back and fsyncing the database stalled a write for ~25 ms.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        config.label = "ferry-store"
        do {
            pool = try DatabasePool(path: path, configuration: config)
            var cpConfig = Configuration()
            cpConfig.label = "ferry-store-checkpoint"
            checkpointer = try DatabaseQueue(path: path, configuration: cpConfig)
            try pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS log (
                          id INTEGER PRIMARY KEY AUTOINCREMENT,
                          key TEXT NOT NULL,
                          created INTEGER NOT NULL,
                          deleted INTEGER NOT NULL,
                          prev_revision INTEGER NOT NULL,
                          value BLOB NOT NULL);
                        CREATE INDEX IF NOT EXISTS log_key ON log(key, id);
                        CREATE TABLE IF NOT EXISTS current (
                          key TEXT PRIMARY KEY,
                          revision INTEGER NOT NULL,
                          value BLOB NOT NULL) WITHOUT ROWID;
                        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                        """)
            }
        } catch {
            throw StoreError.database("\(error)")
        }
        self.historyLimit = historyLimit
        var st = State()
        do {
            try pool.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT key, revision, value FROM current")
                while let row = try rows.next() {
                    let key: String = row[0]
                    let rev: Int64 = row[1]
                    let data: Data = row[2]
                    let v = try JSON.parse(data)
                    st.objects[key] = StoredObject(key: key, revision: rev, value: v, bytes: Array(data))
                }
                st.revision = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM log") ?? 0
                // Rebuild the watch window from the log so watches resume across restarts.
                let recent = try Row.fetchAll(
                    db,
                    sql: "SELECT id, key, created, deleted, prev_revision, value FROM log ORDER BY id DESC LIMIT ?",
                    arguments: [historyLimit])
                var prevCache: [Int64: JSON] = [:]
                for row in recent.reversed() {
                    let id: Int64 = row[0]
                    let key: String = row[1]
                    let created: Bool = row[2]
                    let deleted: Bool = row[3]
                    let prevRev: Int64 = row[4]
                    let data: Data = row[5]
                    let obj = try JSON.parse(data)
                    var prev: JSON? = nil
                    if prevRev > 0 {
                        if let p = prevCache[prevRev] { prev = p }
                        else if let d = try Data.fetchOne(db, sql: "SELECT value FROM log WHERE id = ?", arguments: [prevRev]) {
                            prev = try JSON.parse(d)
                        }
                    }
                    prevCache[id] = obj
                    let type: StoreEventType = deleted ? .deleted : (created ? .added : .modified)
                    st.history.append(StoreEvent(type: type, key: key, revision: id, object: obj, previous: prev, bytes: Array(data)))
                }
                let oldest = st.history.first?.revision ?? (st.revision + 1)
                st.compactedThrough = oldest - 1
            }
        } catch {
            throw StoreError.database("\(error)")
        }
        if st.history.count > historyLimit { st.history.removeFirst(st.history.count - historyLimit) }
        state = Mutex(st)
        scheduleCheckpoint()
    }

    /// WAL frames beyond which the writer itself checkpoints (blocking), should the background
    /// checkpoints never catch up with a steady stream of commits: 16k pages, 64 MiB.
    static let walLimitFrames = 16_384

    private func scheduleCheckpoint() {
        checkpointQueue.asyncAfter(deadline: .now() + .milliseconds(200)) { [weak self] in
            guard let self else { return }
            self.checkpointInBackground()
            self.scheduleCheckpoint()
        }
    }

    /// A PASSIVE checkpoint on a connection of its own: copies committed WAL frames into the
    /// database without taking the write lock, so commits go on meanwhile. SQLite restarts the
    /// WAL at the next write once everything in it has been copied.
    func checkpointInBackground() {
        do {
            let row = try checkpointer.writeWithoutTransaction { db in
                try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
            }
            let log: Int = row?[1] ?? 0
            if log >= Self.walLimitFrames {
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.restart) }
            }
        } catch {
            // SQLITE_BUSY and the like: the next round tries again.
        }
    }

    /// The newest committed revision.
    public var revision: Int64 { state.withLock { $0.revision } }

    public func get(_ key: String) -> StoredObject? { state.withLock { $0.objects[key] } }

    /// All objects whose key starts with `prefix`, sorted by key, and the revision they reflect.
    public func list(prefix: String) -> (items: [StoredObject], revision: Int64) {
        let (items, rev) = state.withLock { st in
            (st.objects.values.filter { $0.key.hasPrefix(prefix) }, st.revision)
        }
        return (items.sorted { $0.key < $1.key }, rev)
    }

    /// Atomically reads the current object at `key`, lets `body` decide, and durably commits.
    /// `body` runs on the store's single writer queue, so it may read/modify state guarded only by
    /// that serialization (e.g. allocators); it must be fast and must not block.
    ///
    /// Group commit: writes that arrive while a commit is in progress are queued and committed
    /// together in the next transaction (one fsync for all of them). Each body still sees the
    /// effect of every write queued before it, and each caller is answered only after the
    /// transaction holding its write is durable.
    public func write(
        key: String, _ body: @escaping @Sendable (StoredObject?) throws -> WriteAction
    ) async throws -> WriteResult {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<WriteResult, any Error>) in
            let start = queue.withLock { q in
                q.pending.append(PendingWrite(key: key, body: body, continuation: cont))
                if q.draining { return false }
                q.draining = true
                return true
            }
            if start { writerQueue.async { self.drain() } }
        }
    }

    struct PendingWrite {
        let key: String
        let body: @Sendable (StoredObject?) throws -> WriteAction
        let continuation: CheckedContinuation<WriteResult, any Error>
    }

    struct WriteQueue {
        var pending: [PendingWrite] = []
        var draining = false
    }

    /// Most writes committed in one transaction; bounds how long the first of a batch waits.
    static let maxBatch = 512

    /// Runs on `writerQueue` until no write is pending.
    private func drain() {
        while true {
            let batch: [PendingWrite] = queue.withLock { q in
                let n = min(q.pending.count, Self.maxBatch)
                let b = Array(q.pending.prefix(n))
                q.pending.removeFirst(n)
                if b.isEmpty { q.draining = false }
                return b
            }
            if batch.isEmpty { return }
            let outcomes: [Result<WriteResult, any Error>]
            do {
                outcomes = try pool.writeWithoutTransaction { db in try self.commit(batch, db: db) }
            } catch {
                let failure = StoreError.database("\(error)")
                outcomes = batch.map { _ in .failure(failure) }
            }
            for (w, o) in zip(batch, outcomes) { w.continuation.resume(with: o) }
        }
    }

    /// One transaction for `batch`; publishes its events after the commit.
    private func commit(_ batch: [PendingWrite], db: Database) throws -> [Result<WriteResult, any Error>] {
        var outcomes: [Result<WriteResult, any Error>] = []
        outcomes.reserveCapacity(batch.count)
        var staged: [String: StoredObject?] = [:]  // writes of this batch, by key (nil: deleted)
        var events: [StoreEvent] = []
        var revision = state.withLock { $0.revision }
        try db.inTransaction {
            for w in batch {
                let current = staged[w.key] ?? state.withLock { $0.objects[w.key] }
                let action: WriteAction
                do { action = try w.body(current) } catch {
                    outcomes.append(.failure(error))
                    continue
                }
                switch action {
                case .none:
                    outcomes.append(.success(WriteResult(previous: current, current: current, deleted: nil, changed: false)))
                case .put(var obj):
                    revision += 1
                    obj.set(["metadata", "resourceVersion"], .string(String(revision)))
                    let bytes = obj.serializedBytes()
                    try Self.appendLog(db, revision, w.key, created: current == nil, deleted: false, previous: current?.revision, bytes)
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO current (key, revision, value) VALUES (?, ?, ?)")
                        .execute(arguments: [w.key, revision, Data(bytes)])
                    let stored = StoredObject(key: w.key, revision: revision, value: obj, bytes: bytes)
                    staged[w.key] = .some(stored)
                    events.append(StoreEvent(
                        type: current == nil ? .added : .modified, key: w.key, revision: revision, object: obj,
                        previous: current?.value, bytes: bytes))
                    outcomes.append(.success(WriteResult(previous: current, current: stored, deleted: nil, changed: true)))
                case .delete:
                    guard let current else {
                        outcomes.append(.success(WriteResult(previous: nil, current: nil, deleted: nil, changed: false)))
                        continue
                    }
                    revision += 1
                    var obj = current.value
                    obj.set(["metadata", "resourceVersion"], .string(String(revision)))
                    let bytes = obj.serializedBytes()
                    try Self.appendLog(db, revision, w.key, created: false, deleted: true, previous: current.revision, bytes)
                    try db.cachedStatement(sql: "DELETE FROM current WHERE key = ?").execute(arguments: [w.key])
                    let deleted = StoredObject(key: w.key, revision: revision, value: obj, bytes: bytes)
                    staged[w.key] = .some(nil)
                    events.append(StoreEvent(type: .deleted, key: w.key, revision: revision, object: obj, previous: current.value, bytes: bytes))
                    outcomes.append(.success(WriteResult(previous: current, current: nil, deleted: deleted, changed: true)))
                }
            }
            return .commit
        }
        if !events.isEmpty { publish(events) }
        return outcomes
    }

    /// One row of the log (the row id is the revision). Statements are cached: compiling the SQL
    /// per write cost ~4% of a create.
    private static func appendLog(
        _ db: Database, _ revision: Int64, _ key: String, created: Bool, deleted: Bool, previous: Int64?, _ bytes: [UInt8]
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO log (id, key, created, deleted, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [revision, key, created, deleted, previous ?? 0, Data(bytes)])
    }

    /// Makes committed events visible: current state, revision, history window, live watchers.
    private func publish(_ events: [StoreEvent]) {
        let limit = historyLimit
        state.withLock { st in
            for event in events {
                if event.type == .deleted {
                    st.objects[event.key] = nil
                } else {
                    st.objects[event.key] = StoredObject(key: event.key, revision: event.revision, value: event.object, bytes: event.bytes)
                }
                st.revision = event.revision
                st.appendHistory(event, limit: limit)
                for w in st.watchers.values where event.key.hasPrefix(w.prefix) {
                    w.continuation.yield(event)
                }
            }
        }
    }

    /// Events for keys under `prefix` with revision > `revision`, replayed from the history window
    /// and then live. Throws `.expired` when that history has been compacted away.
    public func watch(prefix: String, after revision: Int64) throws(StoreError) -> AsyncStream<StoreEvent> {
        let (stream, continuation) = AsyncStream<StoreEvent>.makeStream(bufferingPolicy: .unbounded)
        let result: Result<Int, StoreError> = state.withLock { st in
            if revision < st.compactedThrough {
                return .failure(.expired(requested: revision, oldest: st.compactedThrough + 1))
            }
            for e in st.events(after: revision) where e.key.hasPrefix(prefix) { continuation.yield(e) }
            let id = st.nextWatcherID
            st.nextWatcherID += 1
            st.watchers[id] = Watcher(prefix: prefix, continuation: continuation)
            return .success(id)
        }
        let id = try result.get()
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Number of live watchers (for metrics and tests).
    public var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Drops log rows that are superseded and older than the history window, keeping the DB small.
    public func compact() async throws {
        let keepAfter = state.withLock { $0.compactedThrough }
        guard keepAfter > 0 else { return }
        try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM log WHERE id <= ? AND (deleted = 1 OR id NOT IN (SELECT revision FROM current))
                    """, arguments: [keepAfter])
        }
    }
}
