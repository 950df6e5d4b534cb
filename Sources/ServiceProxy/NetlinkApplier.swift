#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NFTNetlink
import Synchronization

/// Applies nft scripts as one nf_tables netlink batch on a socket kept open, so a sync costs what it
/// changes: the `nft` CLI (and libnftables) first dump every chain of the table into a cache, which at
/// 1,000 Services x 10 endpoints took 80-90 ms per run before sending a single element. Scripts with a
/// statement the translator does not know (anonymous sets with several elements, the vmap of a
/// Service with more than 32 endpoints) go to `fallback` whole, so a transaction is never split.
public final class NetlinkApplier: RuleApplier, Sendable {
    private let socket: Mutex<NetlinkSocket>
    private let fallback: any RuleApplier

    /// Opens the netlink socket; throws when the kernel refuses (no CAP_NET_ADMIN, no nf_tables).
    public init(fallback: any RuleApplier) throws {
        socket = Mutex(try NetlinkSocket())
        self.fallback = fallback
    }

    public func apply(script: String) async throws {
        let batch: NFTBatch
        do {
            batch = try translate(script: script)
        } catch {
            try await fallback.apply(script: script)
            return
        }
        guard !batch.messages.isEmpty else { return }
        try socket.withLock { try $0.send(batch) }
    }
}

/// A NETLINK_NETFILTER socket that sends one batch and waits for the kernel's verdict on it.
struct NetlinkSocket: ~Copyable {
    let fd: Int32
    var seq: UInt32

    init() throws {
        seq = UInt32(truncatingIfNeeded: time(nil))
        fd = Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 12)  // NETLINK_NETFILTER
        guard fd >= 0 else { throw ServiceProxyError.netlink("socket: \(String(cString: strerror(errno)))") }
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; u32 nl_pid; u32 nl_groups; }:
        // pid 0 lets the kernel pick our port id. (Glibc's module does not export linux/netlink.h.)
        var addr = [UInt8](repeating: 0, count: 12)
        addr[0] = UInt8(AF_NETLINK)
        let sock = fd
        let rc = addr.withUnsafeBytes { bind(sock, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 12) }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw ServiceProxyError.netlink("bind: \(String(cString: strerror(e)))")
        }
        // Room for error reports of big transactions; the kernel caps it at rmem_max unless forced.
        var size: Int32 = 8 << 20
        _ = setsockopt(fd, SOL_SOCKET, 33 /* SO_RCVBUFFORCE */, &size, socklen_t(MemoryLayout<Int32>.size))
        // A verdict that never comes must not hang the sync loop.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `batch` as one transaction. Throws with the kernel's errno and the script line of the
    /// first message it rejected; nothing of the batch took effect then.
    mutating func send(_ batch: NFTBatch) throws {
        let first = seq
        let bytes = batch.encode(firstSeq: first)
        seq &+= UInt32(batch.messages.count + 2)
        // The whole batch travels in one skb: make the send buffer fit it.
        var size = Int32(clamping: bytes.count + 65536)
        _ = setsockopt(fd, SOL_SOCKET, 32 /* SO_SNDBUFFORCE */, &size, socklen_t(MemoryLayout<Int32>.size))
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw ServiceProxyError.netlink("send: \(String(cString: strerror(errno)))") }

        // The kernel answers after the commit (or abort): an error on the batch-begin header if the
        // commit itself failed, an error for every rejected message, and last the ack we asked for
        // on the final message. Reports of earlier batches carry other sequence numbers; a late ack
        // (code 0) of one is harmless.
        let lastSeq = first &+ UInt32(batch.messages.count)
        var firstError: (seq: UInt32, errno: Int32)?
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                if n < 0 && errno == EINTR { continue }
                throw ServiceProxyError.netlink("recv: \(String(cString: strerror(errno)))")
            }
            var off = 0
            var done = false
            while off + 16 <= n {
                let len = Int(Self.host32(buffer, off))
                let type = UInt16(buffer[off + 4]) | UInt16(buffer[off + 5]) << 8
                let mseq = Self.host32(buffer, off + 8)
                guard len >= 16, off + len <= n else { break }
                if type == 2 /* NLMSG_ERROR */, len >= 20, mseq &- first <= UInt32(batch.messages.count) {
                    let code = Int32(bitPattern: Self.host32(buffer, off + 16))
                    if code != 0, firstError == nil { firstError = (mseq, -code) }
                    // Our ack, or an error on the batch header (commit failed, or the kernel ran out of
                    // memory for reports): either way the kernel is done with this batch.
                    if mseq == lastSeq || (mseq == first && code != 0) { done = true }
                }
                off += (len + 3) & ~3
            }
            if done { break }
        }
        if let (mseq, code) = firstError {
            let index = Int(mseq &- first) - 1
            let origin = index >= 0 && index < batch.messages.count ? batch.messages[index].origin : "(commit)"
            throw ServiceProxyError.netlink("\(String(cString: strerror(code))): \(origin)")
        }
    }

    static func host32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
