import Testing

@testable import ServiceProxy

private let a = BackendEndpoint(ip: "10.0.0.1", port: 80)
private let b = BackendEndpoint(ip: "10.0.0.2", port: 80)
private let c = BackendEndpoint(ip: "10.0.0.3", port: 80)

@Suite struct BalancerTests {
    let t0 = ContinuousClock.now

    @Test func roundRobin() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b, c]), maxAffinityEntries: 10)
        let picks = (0..<6).map { _ in s.pick(client: "1.1.1.1", localOnly: false, now: t0) }
        #expect(picks == [a, b, c, a, b, c])
    }

    @Test func excludedEndpointsAreSkipped() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b, c]), maxAffinityEntries: 10)
        #expect(s.pick(client: nil, localOnly: false, excluding: [a], now: t0) == b)
        #expect(s.pick(client: nil, localOnly: false, excluding: [a, b, c], now: t0) == nil)
    }

    @Test(arguments: [
        (PoolSpec(), false),
        (PoolSpec(cluster: [a]), true),
        (PoolSpec(cluster: [a], local: []), true),
    ])
    func emptyPoolsPickNothing(spec: PoolSpec, localOnly: Bool) {
        var s = BalancerState(spec: spec, maxAffinityEntries: 10)
        #expect(s.pick(client: "1.1.1.1", localOnly: localOnly, now: t0) == nil)
    }

    @Test func localOnlyUsesTheLocalList() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b], local: [b]), maxAffinityEntries: 10)
        #expect((0..<3).map { _ in s.pick(client: nil, localOnly: true, now: t0) } == [b, b, b])
    }

    @Test func affinitySticksUntilTimeout() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b, c], affinityTimeout: .seconds(10)), maxAffinityEntries: 10)
        let first = s.pick(client: "1.1.1.1", localOnly: false, now: t0)
        #expect(first == a)
        s.connected(client: "1.1.1.1", endpoint: a, now: t0)
        #expect(s.pick(client: "1.1.1.1", localOnly: false, now: t0 + .seconds(5)) == a)
        // Another client still round-robins.
        #expect(s.pick(client: "2.2.2.2", localOnly: false, now: t0) == b)
        // Expired: back to round robin.
        #expect(s.pick(client: "1.1.1.1", localOnly: false, now: t0 + .seconds(11)) == c)
    }

    @Test func affinityWithoutTimeoutIsOff() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b]), maxAffinityEntries: 10)
        s.connected(client: "1.1.1.1", endpoint: a, now: t0)
        #expect(s.affinityCount == 0)
        #expect(s.pick(client: "1.1.1.1", localOnly: false, now: t0) == a)
        #expect(s.pick(client: "1.1.1.1", localOnly: false, now: t0) == b)
    }

    @Test func stickyEndpointThatFailedIsAvoided() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b], affinityTimeout: .seconds(10)), maxAffinityEntries: 10)
        s.connected(client: "1.1.1.1", endpoint: a, now: t0)
        #expect(s.pick(client: "1.1.1.1", localOnly: false, excluding: [a], now: t0) == b)
    }

    @Test func updateKeepsStickinessOnlyForSurvivingEndpoints() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b], affinityTimeout: .seconds(10)), maxAffinityEntries: 10)
        s.connected(client: "1.1.1.1", endpoint: a, now: t0)
        s.connected(client: "2.2.2.2", endpoint: b, now: t0)
        s.update(PoolSpec(cluster: [b, c], affinityTimeout: .seconds(10)))
        #expect(s.affinityCount == 1)
        #expect(s.pick(client: "2.2.2.2", localOnly: false, now: t0) == b)
        // Changing the timeout forgets everyone.
        s.update(PoolSpec(cluster: [b, c], affinityTimeout: .seconds(20)))
        #expect(s.affinityCount == 0)
    }

    @Test func affinityTableIsBounded() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b], affinityTimeout: .seconds(10)), maxAffinityEntries: 2)
        s.connected(client: "1", endpoint: a, now: t0)
        s.connected(client: "2", endpoint: a, now: t0 + .seconds(1))
        s.connected(client: "3", endpoint: b, now: t0 + .seconds(2))
        #expect(s.affinityCount == 2)
        // The entry closest to expiry ("1") was evicted.
        #expect(s.pick(client: "2", localOnly: false, now: t0 + .seconds(3)) == a)
        #expect(s.pick(client: "3", localOnly: false, now: t0 + .seconds(3)) == b)
    }

    @Test func roundRobinPositionSurvivesUpdates() {
        var s = BalancerState(spec: PoolSpec(cluster: [a, b, c]), maxAffinityEntries: 10)
        _ = s.pick(client: nil, localOnly: false, now: t0)
        _ = s.pick(client: nil, localOnly: false, now: t0)
        s.update(PoolSpec(cluster: [a, b]))
        #expect(s.pick(client: nil, localOnly: false, now: t0) == a)
    }
}
