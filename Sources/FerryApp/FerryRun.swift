import ClusterClient
import Foundation
import KubeAPI
import Logging

/// Options of `ferry run NAME ... -- COMMAND...`.
public struct RunOptions: Sendable {
    public var name: String
    public var namespace = "default"
    public var labels: [String: String] = [:]
    /// (name, port) pairs from `--port NAME:PORT`.
    public var ports: [(name: String, port: Int)] = []
    public var podCIDR = "127.1.0.0/16"
    public var kubeconfig: String? = nil
    public var command: [String] = []

    public init(name: String) { self.name = name }
}

/// Resolves the kubeconfig: `--kubeconfig`, then `$KUBECONFIG`, then `./.ferry/kubeconfig.yaml`.
public func resolveKubeconfig(_ flag: String?) -> String {
    if let flag, !flag.isEmpty { return flag }
    if let env = ProcessInfo.processInfo.environment["KUBECONFIG"], !env.isEmpty {
        return String(env.split(separator: ":").first ?? Substring(env))
    }
    return "./.ferry/kubeconfig.yaml"
}

/// `ferry run`: registers a local process as a Pod with a loopback pod IP, reports it Ready only
/// while its port accepts connections, and deletes the Pod when the process ends or on Ctrl-C.
public enum FerryRun {
    public static func run(_ opts: RunOptions) async throws -> Int32 {
        let logger = Logger(label: "ferry-run")
        let path = resolveKubeconfig(opts.kubeconfig)
        let config: KubeConfig
        do { config = try KubeConfig.load(path: path) } catch { throw StartupError(error.description) }
        guard !opts.command.isEmpty else { throw StartupError("ferry run needs a command after --") }
        let (base, bits) = try parseIPv4CIDR(opts.podCIDR)
        let client = try KubeClient(config: config, logger: logger)
        let result = await Result(catching: { try await supervise(opts, client: client, base: base, bits: bits, logger: logger) })
        await client.shutdown()
        return try result.get()
    }

    static func supervise(_ opts: RunOptions, client: KubeClient, base: UInt32, bits: Int, logger: Logger) async throws -> Int32 {
        let config = client.config

        // Pick a free pod IP (random, skipping ones in use) and register the Pod.
        let used: Set<String>
        do {
            used = Set(try await client.list(.pod).items.compactMap { $0.at("status", "podIP")?.stringValue })
        } catch { throw StartupError("cannot reach the API server at \(config.server): \(error)") }
        let size = UInt32(1) << UInt32(32 - bits)
        var ip: String? = nil
        for _ in 0..<1000 {
            let off = UInt32.random(in: 1..<max(2, size - 1))
            let cand = ipv4String(base + off)
            if !used.contains(cand) { ip = cand; break }
        }
        guard let podIP = ip else { throw StartupError("no free pod IP in \(opts.podCIDR)") }
        let host = ProcessInfo.processInfo.hostName
        let pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(opts.name), "namespace": .string(opts.namespace),
                "labels": .object(opts.labels.mapValues { .string($0) }),
                "annotations": ["ferry.dev/local-process": "true"],
            ],
            "spec": [
                "nodeName": .string(host), "restartPolicy": "Never",
                "containers": [[
                    "name": .string(opts.name), "image": "ferry.dev/local-process",
                    "command": .array(opts.command.map { .string($0) }),
                    "ports": .array(opts.ports.map { ["name": .string($0.name), "containerPort": .int(Int64($0.port)), "protocol": "TCP"] }),
                ]],
            ],
        ]
        let created: JSON
        do { created = try await client.create(.pod, namespace: opts.namespace, pod) } catch {
            throw StartupError("cannot create pod \(opts.namespace)/\(opts.name): \(error)")
        }
        let reporter = PodStatusReporter(client: client, pod: created, podIP: podIP, logger: logger)
        let setStatus: @Sendable (Bool) async -> Void = { ready in await reporter.set(ready: ready) }
        await setStatus(false)
        logger.info("pod registered", metadata: ["pod": "\(opts.namespace)/\(opts.name)", "ip": "\(podIP)"])

        // Start the command.
        var env = ProcessInfo.processInfo.environment
        env["POD_IP"] = podIP
        env["POD_NAME"] = opts.name
        env["POD_NAMESPACE"] = opts.namespace
        if let p = opts.ports.first { env["PORT"] = String(p.port) }
        let proc: SpawnedProcess
        do { proc = try SpawnedProcess.spawn(opts.command, environment: env) } catch {
            try? await client.delete(.pod, namespace: opts.namespace, name: opts.name)
            throw error
        }
        // Installed only after the child started: ignored signals would be inherited across exec.
        let signals = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { signals.continuation.yield(sig) }
            s.resume()
            return s
        }

        defer { sources.forEach { $0.cancel() } }

        let probePort = opts.ports.first?.port
        let outcome: Int32 = await withTaskGroup(of: Int32?.self) { g in
            g.addTask { await proc.wait() }
            g.addTask {
                for await sig in signals.stream {
                    logger.info("stopping", metadata: ["signal": "\(sig)"])
                    proc.signal(SIGTERM)
                    // The exit task reports the child's end; escalate if it ignores SIGTERM.
                    try? await Task.sleep(for: .seconds(10))
                    if !Task.isCancelled { proc.signal(SIGKILL) }
                    return nil
                }
                return nil
            }
            g.addTask {
                // Readiness: Ready only while the port accepts connections (or at once without a port).
                guard let probePort else {
                    await setStatus(true)
                    return nil
                }
                var ready = false
                while !Task.isCancelled {
                    let ok = tcpAccepts(host: podIP, port: probePort)
                    if ok != ready {
                        ready = ok
                        await setStatus(ok)
                        logger.info(ok ? "pod ready" : "pod not ready", metadata: ["pod": "\(opts.name)"])
                    }
                    try? await Task.sleep(for: .milliseconds(ready ? 1000 : 100))
                }
                return nil
            }
            var result: Int32 = 0
            for await r in g {
                if let r { result = r; break }
            }
            g.cancelAll()
            return result
        }
        do { try await client.delete(.pod, namespace: opts.namespace, name: opts.name) } catch {
            logger.warning("pod delete failed", metadata: ["error": "\(error)"])
        }
        return outcome
    }

    /// Whether a TCP connect to host:port succeeds right now.
    static func tcpAccepts(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { return false }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return r == 0
    }
}

func parseIPv4CIDR(_ s: String) throws -> (UInt32, Int) {
    let parts = s.split(separator: "/")
    let o = parts.first?.split(separator: ".").compactMap { UInt32($0) } ?? []
    guard parts.count == 2, o.count == 4, o.allSatisfy({ $0 < 256 }), let bits = Int(parts[1]), (8...30).contains(bits) else {
        throw StartupError("invalid --pod-cidr \(s): expected an IPv4 CIDR like 127.1.0.0/16")
    }
    let base = (o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]) & ~((UInt32(1) << UInt32(32 - bits)) - 1)
    return (base, bits)
}

func ipv4String(_ a: UInt32) -> String { "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255)" }

/// Owns the Pod object of `ferry run` and writes its status like a kubelet would.
actor PodStatusReporter {
    let client: KubeClient
    var pod: JSON
    let podIP: String
    let logger: Logger
    let started = ISO8601DateFormatter().string(from: Date())

    init(client: KubeClient, pod: JSON, podIP: String, logger: Logger) {
        self.client = client
        self.pod = pod
        self.podIP = podIP
        self.logger = logger
    }

    func status(ready: Bool) -> JSON {
        let cond: JSON = ready ? "True" : "False"
        let name = pod.at("metadata", "name") ?? ""
        return [
            "phase": "Running", "podIP": .string(podIP), "podIPs": [["ip": .string(podIP)]], "hostIP": "127.0.0.1",
            "startTime": .string(started),
            "conditions": [
                ["type": "Initialized", "status": "True"],
                ["type": "PodScheduled", "status": "True"],
                ["type": "ContainersReady", "status": cond],
                ["type": "Ready", "status": cond],
            ],
            "containerStatuses": [[
                "name": name, "ready": .bool(ready), "restartCount": 0, "started": true,
                "image": "ferry.dev/local-process", "imageID": "",
                "state": ["running": ["startedAt": .string(started)]],
            ]],
        ]
    }

    func set(ready: Bool) async {
        let ns = pod.at("metadata", "namespace")?.stringValue
        let name = pod.at("metadata", "name")?.stringValue ?? ""
        for _ in 0..<5 {
            var obj = pod
            obj["status"] = status(ready: ready)
            do {
                pod = try await client.update(.pod, namespace: ns, name: name, subresource: "status", obj)
                return
            } catch let e as KubeClientError where e.isConflict {
                if let fresh = try? await client.send(.GET, KubeClient.path(.pod, namespace: ns, name: name)) { pod = fresh }
            } catch {
                logger.warning("pod status update failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
