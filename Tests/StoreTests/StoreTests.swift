import Foundation
import KubeAPI
import Testing

@testable import Store

func tempDB() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("state.db").path
}

func obj(_ name: String, _ v: Int64 = 0) -> JSON {
    ["metadata": ["name": .string(name)], "spec": ["v": .int(v)]]
}

@Suite struct StoreTests {
    @Test func revisionsIncreaseAndResourceVersionIsSet() async throws {
        let s = try Store(path: tempDB())
        let a = try await s.write(key: "/r/a") { _ in .put(obj("a")) }
        let b = try await s.write(key: "/r/b") { _ in .put(obj("b")) }
        #expect(a.current?.revision == 1)
        #expect(b.current?.revision == 2)
        #expect(s.get("/r/a")?.value.at("metadata", "resourceVersion") == "1")
        #expect(s.revision == 2)
    }

    /// Group commit: 400 concurrent read-modify-writes of one counter and 400 creates, batched into
    /// shared transactions. Every body sees the writes queued before it, revisions are unique and
    /// gapless, watchers get every event in order, and everything acknowledged is there after reopen.
    @Test func concurrentWritesAreBatchedWithoutLosingAny() async throws {
        let path = tempDB()
        var revisions: [Int64] = []
        do {
            let s = try Store(path: path)
            let events = try s.watch(prefix: "/", after: 0)
            revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<400 {
                    group.addTask {
                        try await s.write(key: "/c/counter") { cur in
                            let n = cur?.value.at("spec", "v")?.intValue ?? 0
                            return .put(obj("counter", n + 1))
                        }.current!.revision
                    }
                    group.addTask {
                        try await s.write(key: "/o/\(i)") { cur in cur == nil ? .put(obj("o\(i)")) : .none }.current!.revision
                    }
                }
                var out: [Int64] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(s.get("/c/counter")?.value.at("spec", "v")?.intValue == 400)
            var seen: [Int64] = []
            for await e in events {
                seen.append(e.revision)
                if seen.count == 800 { break }
            }
            #expect(seen == Array(1...800))
        }
        #expect(revisions.sorted() == Array(1...800))
        let reopened = try Store(path: path)
        #expect(reopened.revision == 800)
        #expect(reopened.get("/c/counter")?.value.at("spec", "v")?.intValue == 400)
        #expect(reopened.list(prefix: "/o/").items.count == 400)
    }

    @Test func noopKeepsRevision() async throws {
        let s = try Store(path: tempDB())
        _ = try await s.write(key: "/r/a") { _ in .put(obj("a")) }
        let r = try await s.write(key: "/r/a") { _ in .none }
        #expect(r.changed == false)
        #expect(s.revision == 1)
    }

    @Test func deleteOfMissingChangesNothing() async throws {
        let s = try Store(path: tempDB())
        let r = try await s.write(key: "/r/x") { _ in .delete }
        #expect(r.changed == false)
        #expect(r.deleted == nil)
        #expect(s.revision == 0)
    }

    @Test func listIsSortedAndPrefixed() async throws {
        let s = try Store(path: tempDB())
        for k in ["/r/ns1/c", "/r/ns1/a", "/r/ns2/b", "/q/z"] {
            _ = try await s.write(key: k) { _ in .put(obj(k)) }
        }
        #expect(s.list(prefix: "/r/").items.map(\.key) == ["/r/ns1/a", "/r/ns1/c", "/r/ns2/b"])
        #expect(s.list(prefix: "/r/ns1/").items.count == 2)
        #expect(s.list(prefix: "/none/").items.isEmpty)
    }

    @Test func writesSurviveReopen() async throws {
        let path = tempDB()
        do {
            let s = try Store(path: path)
            _ = try await s.write(key: "/r/a") { _ in .put(obj("a", 1)) }
            _ = try await s.write(key: "/r/a") { _ in .put(obj("a", 2)) }
            _ = try await s.write(key: "/r/b") { _ in .put(obj("b")) }
            _ = try await s.write(key: "/r/b") { _ in .delete }
        }
        let s = try Store(path: path)
        #expect(s.revision == 4)
        #expect(s.get("/r/a")?.value.at("spec", "v") == 2)
        #expect(s.get("/r/a")?.revision == 2)
        #expect(s.get("/r/b") == nil)
        // History survives too: a watch from revision 1 replays 2..4.
        let events = try s.watch(prefix: "/r/", after: 1)
        var got: [String] = []
        for await e in events {
            got.append("\(e.type.rawValue) \(e.key) \(e.revision)")
            if got.count == 3 { break }
        }
        #expect(got == ["MODIFIED /r/a 2", "ADDED /r/b 3", "DELETED /r/b 4"])
    }

    @Test func watchReplaysThenStreamsLive() async throws {
        let s = try Store(path: tempDB())
        _ = try await s.write(key: "/r/a") { _ in .put(obj("a")) }
        let events = try s.watch(prefix: "/r/", after: 0)
        _ = try await s.write(key: "/q/ignored") { _ in .put(obj("q")) }
        _ = try await s.write(key: "/r/a") { _ in .put(obj("a", 5)) }
        var it = events.makeAsyncIterator()
        let e1 = await it.next()
        let e2 = await it.next()
        #expect(e1?.type == .added && e1?.revision == 1)
        #expect(e2?.type == .modified && e2?.revision == 3)
        #expect(e2?.previous?.at("spec", "v") == 0)
    }

    @Test func watchBeyondHistoryIsExpired() async throws {
        let s = try Store(path: tempDB(), historyLimit: 3)
        for i in 0..<6 { _ = try await s.write(key: "/r/a") { _ in .put(obj("a", Int64(i))) } }
        #expect(throws: StoreError.expired(requested: 1, oldest: 4)) { _ = try s.watch(prefix: "/r/", after: 1) }
        _ = try s.watch(prefix: "/r/", after: 3)
    }

    @Test func throwingClosureWritesNothing() async throws {
        struct Boom: Error {}
        let s = try Store(path: tempDB())
        await #expect(throws: Boom.self) { _ = try await s.write(key: "/r/a") { _ in throw Boom() } }
        #expect(s.revision == 0)
        #expect(s.get("/r/a") == nil)
    }
}
