import Foundation
import NFTNetlink
import TestSupport
import Testing

@testable import ProxyRules

private typealias F = Fixtures

/// `nft --debug=netlink -c -f`: the expressions nft generates for each rule (check only, nothing is
/// committed), as `ip ferry <chain>` blocks of `  [ ... ]` lines.
private func nftRuleDumps(_ script: String) throws -> [String] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("netlink-\(UUID().uuidString).nft")
    try script.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: NFT.path!)
    p.arguments = ["--debug=netlink", "-c", "-f", file.path]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(finish(p) == 0, "\(out.prefix(2000))")
    // A rule is `ip|ip6 <table> <chain>` followed by `  [ ... ]` lines; other lines (chains, sets,
    // elements) are skipped.
    var blocks: [String] = []
    var current: [String]?
    for line in out.split(separator: "\n").map(String.init) {
        if line.hasPrefix("  [") {
            current?.append(line)
            continue
        }
        if line.hasPrefix("  userdata") { continue }
        if let c = current, c.count > 1 { blocks.append(c.joined(separator: "\n")) }
        let words = line.split(separator: " ")
        current = words.count == 3 && (words[0] == "ip" || words[0] == "ip6") && words[1] != "(null)" ? [line] : nil
    }
    if let c = current, c.count > 1 { blocks.append(c.joined(separator: "\n")) }
    return blocks
}

@Suite struct NetlinkTranslationUnitTests {
    @Test func everyCommandOfTheFullRulesetIsTranslatedButMultiRangeSets() throws {
        let script = render(everything()).fullSyncScript
        let commands = script.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        var refused: [String] = []
        for c in commands {
            do {
                let batch = try translate(script: c + "\n")
                #expect(batch.messages.map(\.origin) == [c])
            } catch {
                refused.append(c)
            }
        }
        // Only loadBalancerSourceRanges with several ranges need an anonymous set (the CLI applies those).
        #expect(refused.count == 2 && refused.allSatisfy { $0.contains("saddr != { ") && $0.contains(", ") }, "\(refused)")
        #expect(throws: NFTTranslateError.self) { try translate(script: script) }
    }

    @Test func unknownStatementsAreRefusedNotGuessed() {
        for line in [
            "add rule ip ferry c numgen random mod 2 vmap { 0 : goto a , 1 : goto b }",
            "add rule ip ferry c ip saddr != { 10.0.0.0/8, 192.168.0.0/16 } drop",
            "add rule ip ferry c counter",
            "add rule ip6 ferry c ip saddr 10.0.0.1 drop",
            "add set ip ferry s { type ether_addr ; }",
            "replace rule ip ferry c handle 4 drop",
        ] {
            #expect(throws: NFTTranslateError.self, "\(line)") { try translate(script: line + "\n") }
        }
    }

    @Test func batchFramesEveryMessageAndAcksOnlyTheLast() throws {
        let batch = try translate(script: "add table ip ferry\nadd chain ip ferry c\nflush chain ip ferry c\n")
        let bytes = batch.encode(firstSeq: 100)
        var off = 0
        var seen: [(type: UInt16, flags: UInt16, seq: UInt32)] = []
        while off + 16 <= bytes.count {
            let len = Int(bytes[off]) | Int(bytes[off + 1]) << 8 | Int(bytes[off + 2]) << 16 | Int(bytes[off + 3]) << 24
            let type = UInt16(bytes[off + 4]) | UInt16(bytes[off + 5]) << 8
            let flags = UInt16(bytes[off + 6]) | UInt16(bytes[off + 7]) << 8
            let seq = UInt32(bytes[off + 8]) | UInt32(bytes[off + 9]) << 8
            #expect(len % 4 == 0 && len >= 20)
            seen.append((type, flags, seq))
            off += len
        }
        #expect(off == bytes.count)
        #expect(seen.map(\.type) == [0x10, 0x0A00, 0x0A03, 0x0A08, 0x11])
        #expect(seen.map(\.seq) == [100, 101, 102, 103, 104])
        #expect(seen.map { $0.flags & 0x4 != 0 } == [false, false, false, true, false])
    }
}

@Suite(.enabled(if: NFT.canCheck, "nft is missing or cannot talk to the kernel (needs CAP_NET_ADMIN)"))
struct NetlinkTranslationGoldenTests {
    /// Every rule of a ruleset with every shape, in both families: our expressions are the ones nft
    /// itself generates for the same text.
    @Test func rulesMatchWhatNftGenerates() throws {
        let script = render(everything()).fullSyncScript
        let rules = script.split(separator: "\n").map(String.init).filter { $0.hasPrefix("add rule ") }
        let ours = rules.map { try? translate(script: $0 + "\n").messages.first?.ruleDump }
        let theirs = try nftRuleDumps(script)
        #expect(ours.count == theirs.count && ours.compactMap { $0 }.count > 50, "\(ours.count) rules, nft printed \(theirs.count)")
        for (a, b) in zip(ours, theirs) {
            guard let a else { continue }
            if a != b { Issue.record("ours:\n\(a)\nnft:\n\(b)") }
        }
    }
}
