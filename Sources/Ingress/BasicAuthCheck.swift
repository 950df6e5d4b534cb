import IngressCore
import KubeAPI

/// Verifies `Authorization: Basic` credentials against htpasswd hashes from `auth-secret`. Supported hash formats:
/// `$apr1$` (Apache MD5, `htpasswd`'s default) and `{SHA}`. Other formats (bcrypt, crypt) never verify, so such a
/// route fails closed with 401 rather than letting anyone in.
enum BasicAuthCheck {
    static func verify(authorization: String?, _ auth: BasicAuth) -> Bool {
        guard let authorization, let (user, password) = credentials(authorization), let hash = auth.users[user]
        else { return false }
        return matches(password: password, hash: hash)
    }

    /// `user:password` from a `Basic <base64>` header value.
    static func credentials(_ header: String) -> (String, [UInt8])? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let raw = Base64Text.decode(String(parts[1].trimmingSpaces()))
        else { return nil }
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (String(decoding: raw[..<colon], as: UTF8.self), Array(raw[(colon + 1)...]))
    }

    static func matches(password: [UInt8], hash: String) -> Bool {
        if hash.hasPrefix("{SHA}") {
            return constantTimeEqual(Array(hash.utf8.dropFirst(5)), Array(Base64Text.encode(SHA1.hash(password)).utf8))
        }
        if hash.hasPrefix("$apr1$") {
            let rest = hash.utf8.dropFirst(6)
            let salt = Array(rest.prefix { $0 != UInt8(ascii: "$") }.prefix(8))
            return constantTimeEqual(Array(hash.utf8), Array(APR1.crypt(password: password, salt: salt).utf8))
        }
        return false
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in 0..<a.count { d |= a[i] ^ b[i] }
        return d == 0
    }
}

/// Apache's MD5-crypt variant (`$apr1$`), as in apr_md5.c.
enum APR1 {
    private static let itoa64 = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func crypt(password pw: [UInt8], salt: [UInt8]) -> String {
        let magic = Array("$apr1$".utf8)
        var alt = MD5.hash(pw + salt + pw)
        var ctx = pw + magic + salt
        var pl = pw.count
        while pl > 0 {
            ctx += alt.prefix(min(pl, 16))
            pl -= 16
        }
        var i = pw.count
        while i != 0 {
            ctx.append((i & 1) != 0 ? 0 : (pw.first ?? 0))
            i >>= 1
        }
        alt = MD5.hash(ctx)
        for r in 0..<1000 {
            var c: [UInt8] = []
            c += (r & 1) != 0 ? pw : alt
            if r % 3 != 0 { c += salt }
            if r % 7 != 0 { c += pw }
            c += (r & 1) != 0 ? alt : pw
            alt = MD5.hash(c)
        }
        var out = magic + salt + [UInt8(ascii: "$")]
        func to64(_ v: UInt32, _ n: Int) {
            var v = v
            for _ in 0..<n {
                out.append(itoa64[Int(v & 0x3f)])
                v >>= 6
            }
        }
        let f = alt.map(UInt32.init)
        to64(f[0] << 16 | f[6] << 8 | f[12], 4)
        to64(f[1] << 16 | f[7] << 8 | f[13], 4)
        to64(f[2] << 16 | f[8] << 8 | f[14], 4)
        to64(f[3] << 16 | f[9] << 8 | f[15], 4)
        to64(f[4] << 16 | f[10] << 8 | f[5], 4)
        to64(f[11], 2)
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 1321 MD5 (only for `$apr1$` htpasswd verification).
enum MD5 {
    private static let s: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
        20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6,
        10, 15, 21,
    ]
    private static let k: [UInt32] = [
        0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee, 0xf57c_0faf, 0x4787_c62a,
        0xa830_4613, 0xfd46_9501, 0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be,
        0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821, 0xf61e_2562, 0xc040_b340,
        0x265e_5a51, 0xe9b6_c7aa, 0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
        0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed, 0xa9e3_e905, 0xfcef_a3f8,
        0x676f_02d9, 0x8d2a_4c8a, 0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c,
        0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70, 0x289b_7ec6, 0xeaa1_27fa,
        0xd4ef_3085, 0x0488_1d05, 0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
        0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039, 0x655b_59c3, 0x8f0c_cc92,
        0xffef_f47d, 0x8584_5dd1, 0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1,
        0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
    ]

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var a0: UInt32 = 0x6745_2301
        var b0: UInt32 = 0xefcd_ab89
        var c0: UInt32 = 0x98ba_dcfe
        var d0: UInt32 = 0x1032_5476
        var m = message
        let bitLength = UInt64(message.count) &* 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for i in 0..<8 { m.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        for chunk in stride(from: 0, to: m.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 16)
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(m[b]) | UInt32(m[b + 1]) << 8 | UInt32(m[b + 2]) << 16 | UInt32(m[b + 3]) << 24
            }
            var a = a0
            var b = b0
            var c = c0
            var d = d0
            for i in 0..<64 {
                var f: UInt32
                let g: Int
                switch i {
                case 0..<16:
                    f = (b & c) | (~b & d)
                    g = i
                case 16..<32:
                    f = (d & b) | (~d & c)
                    g = (5 * i + 1) % 16
                case 32..<48:
                    f = b ^ c ^ d
                    g = (3 * i + 5) % 16
                default:
                    f = c ^ (b | ~d)
                    g = (7 * i) % 16
                }
                f = f &+ a &+ k[i] &+ w[g]
                a = d
                d = c
                c = b
                b = b &+ (f << s[i] | f >> (32 - s[i]))
            }
            a0 = a0 &+ a
            b0 = b0 &+ b
            c0 = c0 &+ c
            d0 = d0 &+ d
        }
        return [a0, b0, c0, d0].flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    }
}

/// FIPS 180-4 SHA-1 (only for `{SHA}` htpasswd verification).
enum SHA1 {
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var m = message
        let bitLength = UInt64(message.count) &* 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(m[b]) << 24 | UInt32(m[b + 1]) << 16 | UInt32(m[b + 2]) << 8 | UInt32(m[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var a = h[0]
            var b = h[1]
            var c = h[2]
            var d = h[3]
            var e = h[4]
            for i in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch i {
                case 0..<20:
                    f = (b & c) | (~b & d)
                    k = 0x5A82_7999
                case 20..<40:
                    f = b ^ c ^ d
                    k = 0x6ED9_EBA1
                case 40..<60:
                    f = (b & c) | (b & d) | (c & d)
                    k = 0x8F1B_BCDC
                default:
                    f = b ^ c ^ d
                    k = 0xCA62_C1D6
                }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                e = d
                d = c
                c = b << 30 | b >> 2
                b = a
                a = t
            }
            h[0] = h[0] &+ a
            h[1] = h[1] &+ b
            h[2] = h[2] &+ c
            h[3] = h[3] &+ d
            h[4] = h[4] &+ e
        }
        return h.flatMap { v in (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    }
}

/// Standard base64 with padding, for Basic credentials and `{SHA}` hashes.
enum Base64Text {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var v = UInt32(bytes[i]) << 16
            if n > 1 { v |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { v |= UInt32(bytes[i + 2]) }
            for j in 0..<4 {
                out.append(j <= n ? alphabet[Int((v >> (18 - 6 * UInt32(j))) & 0x3f)] : UInt8(ascii: "="))
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decoding (KubeAPI's `Base64.decode`, which tolerates newlines, is for Secret data).
    static func decode(_ s: String) -> [UInt8]? {
        guard s.utf8.count % 4 == 0, s.utf8.count <= 4096 else { return nil }
        return Base64.decode(s)
    }
}
