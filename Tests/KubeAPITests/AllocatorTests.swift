import Testing

@testable import KubeAPI

@Suite struct ServiceCIDRTests {
    @Test(arguments: [
        ("10.96.0.0/12", "10.96.0.0/12", "IPv4", 1_048_574),
        ("10.43.7.9/16", "10.43.0.0/16", "IPv4", 65534),
        ("10.0.0.0/30", "10.0.0.0/30", "IPv4", 2),
        ("10.0.0.0/32", "10.0.0.0/32", "IPv4", 0),
        ("fd00:10:96::/112", "fd00:10:96::/112", "IPv6", 65535),
        ("fd00::/64", "fd00::/64", "IPv6", 65535),
        ("fd00::/120", "fd00::/120", "IPv6", 255),
    ])
    func parses(text: String, normalised: String, family: String, usable: Int) throws {
        let cidr = try ServiceCIDR(text)
        #expect(cidr.text == normalised)
        #expect(cidr.family == family)
        #expect(cidr.usableCount == usable)
    }

    @Test(arguments: [
        "", "10.0.0.0", "10.0.0.0/33", "10.0.0.256/24", "fd00::/129", "10.0.0.0/-1", "abc/8", "10.0.0.0/1a",
    ])
    func rejects(text: String) {
        #expect(throws: AllocationError.invalid) { try ServiceCIDR(text) }
    }

    @Test(arguments: [
        ("10.43.0.0/16", 1, "10.43.0.1"), ("10.43.0.0/16", 10, "10.43.0.10"), ("10.43.0.0/16", 65534, "10.43.255.254"),
        ("10.96.0.0/12", 10, "10.96.0.10"), ("fd00:10:96::/112", 1, "fd00:10:96::1"),
        ("fd00:10:96::/112", 10, "fd00:10:96::a"),
    ])
    func addresses(cidr: String, offset: Int, expected: String) throws {
        #expect(try ServiceCIDR(cidr).address(offset: offset) == expected)
    }

    @Test(arguments: [("10.43.0.0/16", 0), ("10.43.0.0/16", 65535), ("10.43.0.0/16", -1), ("fd00::/64", 65536)])
    func addressOutsideUsableRange(cidr: String, offset: Int) throws {
        #expect(try ServiceCIDR(cidr).address(offset: offset) == nil)
    }

    @Test func contains() throws {
        let cidr = try ServiceCIDR("10.96.0.0/12")
        #expect(cidr.contains("10.96.0.0"))
        #expect(cidr.contains("10.111.255.255"))
        #expect(!cidr.contains("10.112.0.0"))
        #expect(!cidr.contains("fd00::1"))
        #expect(!cidr.contains("nonsense"))
    }
}

@Suite struct ClusterIPAllocatorTests {
    @Test func staticAllocationAndRelease() throws {
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.43.0.0/16"), seed: 1)
        try a.allocate("10.43.0.10")
        #expect(a.isAllocated("10.43.0.10"))
        #expect(throws: AllocationError.alreadyAllocated) { try a.allocate("10.43.0.10") }
        a.release("10.43.0.10")
        #expect(!a.isAllocated("10.43.0.10"))
        try a.allocate("10.43.0.10")
    }

    @Test(arguments: ["10.43.0.0", "10.43.255.255", "10.0.0.5", "fd00::1"])
    func rejectsOutsideUsableRange(ip: String) throws {
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.43.0.0/16"), seed: 1)
        #expect(throws: AllocationError.ipNotInRange(ip: ip, validRange: "10.43.0.0/16")) { try a.allocate(ip) }
    }

    @Test func notInRangeMessage() throws {
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.96.0.0/12"), seed: 1)
        do {
            try a.allocate("10.0.0.5")
            Issue.record("expected failure")
        } catch {
            #expect(
                error.message
                    == "the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12")
        }
    }

    @Test func invalidIP() throws {
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.43.0.0/16"), seed: 1)
        #expect(throws: AllocationError.invalid) { try a.allocate("10.43.0.x") }
    }

    @Test func dynamicAllocationPrefersUpperRange() throws {
        // /16: the lowest 256 usable addresses (10.43.0.1 - 10.43.1.0) are kept for static requests.
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.43.0.0/16"), seed: 42)
        for _ in 0..<200 {
            let bytes = ParsedIP(try a.allocateNext())?.bytes ?? []
            #expect(bytes.count == 4 && bytes[0] == 10 && bytes[1] == 43)
            let offset = bytes.count == 4 ? Int(bytes[2]) << 8 | Int(bytes[3]) : 0
            #expect(offset > 256 && offset < 65535)
        }
    }

    @Test func fillsSmallRangeThenReportsFull() throws {
        // A /28 has 14 usable addresses and no static sub-range (16 addresses or fewer).
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.0.0.0/28"), seed: 7)
        var seen = Set<String>()
        for _ in 0..<14 { seen.insert(try a.allocateNext()) }
        #expect(seen.count == 14)
        #expect(!seen.contains("10.0.0.0"))
        #expect(!seen.contains("10.0.0.15"))
        #expect(throws: AllocationError.full) { try a.allocateNext() }
        a.release("10.0.0.5")
        #expect(try a.allocateNext() == "10.0.0.5")
    }

    @Test func staticSubrangeUsedWhenUpperIsFull() throws {
        // /27: 32 addresses, split = max(16, 32/16) = 16, so 30 usable = 16 static + 14 dynamic.
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("10.0.0.0/27"), seed: 3)
        var got: [String] = []
        for _ in 0..<14 { got.append(try a.allocateNext()) }
        let cidr = try ServiceCIDR("10.0.0.0/27")
        #expect(Set(got) == Set((17...30).compactMap { cidr.address(offset: $0) }))
        let next = try a.allocateNext()
        #expect(Set((1...16).compactMap { cidr.address(offset: $0) }).contains(next))
    }

    @Test func ipv6LargeRangeIsCapped() throws {
        var a = ClusterIPAllocator(cidr: try ServiceCIDR("fd00::/64"), seed: 9)
        try a.allocate("fd00::a")
        #expect(a.isAllocated("fd00::a"))
        #expect(throws: AllocationError.ipNotInRange(ip: "fd00::1:0", validRange: "fd00::/64")) {
            try a.allocate("fd00::1:0")
        }
        let ip = try a.allocateNext()
        #expect(try ServiceCIDR("fd00::/64").contains(ip))
    }

    @Test func fieldErrorForAllocation() {
        let e = Validation.clusterIPAllocationError(
            clusterIPs: ["10.43.0.10"], ip: "10.43.0.10", error: .alreadyAllocated)
        #expect(
            e.fullMessage
                == "spec.clusterIPs: Invalid value: []string{\"10.43.0.10\"}: failed to allocate IP 10.43.0.10: provided IP is already allocated"
        )
    }
}

@Suite struct NodePortAllocatorTests {
    @Test func staticAllocation() throws {
        var a = NodePortAllocator(range: 30000...32767, seed: 1)
        try a.allocate(30080)
        #expect(a.isAllocated(30080))
        #expect(throws: AllocationError.portAlreadyAllocated) { try a.allocate(30080) }
        a.release(30080)
        #expect(!a.isAllocated(30080))
    }

    @Test(arguments: [80, 29999, 32768, 0, -1])
    func rejectsOutOfRange(port: Int) {
        var a = NodePortAllocator(range: 30000...32767, seed: 1)
        #expect(throws: AllocationError.notInRange(validRange: "30000-32767")) { try a.allocate(port) }
    }

    @Test func messages() {
        #expect(
            AllocationError.notInRange(validRange: "30000-32767").message
                == "provided port is not in the valid range. The range of valid ports is 30000-32767")
        #expect(AllocationError.portAlreadyAllocated.message == "provided port is already allocated")
        #expect(AllocationError.alreadyAllocated.message == "provided IP is already allocated")
        #expect(AllocationError.full.message == "range is full")
        let e = Validation.nodePortAllocationError(
            portIndex: 0, nodePort: 80, error: .notInRange(validRange: "30000-32767"))
        #expect(
            e.fullMessage
                == "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
        )
    }

    @Test func dynamicPrefersAboveStaticBand() throws {
        // 2768 ports / 32 = 86: ports 30000-30085 are left for explicit requests.
        var a = NodePortAllocator(range: 30000...32767, seed: 5)
        for _ in 0..<500 { #expect(try a.allocateNext() >= 30086) }
    }

    @Test func exhaustsAndFallsBack() throws {
        var a = NodePortAllocator(range: 100...131, seed: 11)  // 32 ports, split 16
        var got = Set<Int>()
        for _ in 0..<16 { got.insert(try a.allocateNext()) }
        #expect(got == Set(116...131))
        for _ in 0..<16 { got.insert(try a.allocateNext()) }
        #expect(got == Set(100...131))
        #expect(throws: AllocationError.full) { try a.allocateNext() }
        #expect(a.allocatedCount == 32)
    }
}
