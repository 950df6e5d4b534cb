/// A DNS message (RFC 1035 §4.1) with the EDNS(0) OPT pseudo-record split out of the additional
/// section. `rcode` is the full 12-bit response code; its upper bits travel in the OPT record.
public struct DNSMessage: Sendable, Hashable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    /// Additional records other than OPT.
    public var additionals: [ResourceRecord]
    /// The OPT pseudo-record, when the message carries one (RFC 6891).
    public var edns: EDNS?

    public init(
        header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [ResourceRecord] = [],
        authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A standard query (RD set) for one name and type.
    public static func query(id: UInt16, name: DNSName, type: RRType, edns: EDNS? = nil) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: id, recursionDesired: true), questions: [DNSQuestion(name: name, type: type)], edns: edns)
    }

    /// The response code, combining the header's 4 bits and the OPT record's extended bits.
    public var rcode: DNSRCode {
        get { header.rcode }
        set { header.rcode = newValue }
    }
}

/// The fixed 12-byte header without the section counts (those come from the arrays).
public struct DNSHeader: Sendable, Hashable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: DNSOpcode
    public var isAuthoritative: Bool
    public var isTruncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// The reserved Z bit; kept so messages round-trip byte for byte.
    public var zero: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    /// Full 12-bit response code (values above 15 need an OPT record on the wire).
    public var rcode: DNSRCode

    public init(
        id: UInt16 = 0, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false, zero: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, rcode: DNSRCode = .noError
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.zero = zero
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcode = rcode
    }
}

public struct DNSQuestion: Sendable, Hashable {
    public var name: DNSName
    public var type: RRType
    public var qclass: DNSClass

    public init(name: DNSName, type: RRType, qclass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }
}

/// A resource record. `rclass` is the raw class field.
public struct ResourceRecord: Sendable, Hashable {
    public var name: DNSName
    public var rclass: DNSClass
    public var ttl: UInt32
    public var data: RData

    public init(name: DNSName, rclass: DNSClass = .in, ttl: UInt32, data: RData) {
        self.name = name
        self.rclass = rclass
        self.ttl = ttl
        self.data = data
    }

    public var type: RRType { data.type }
}

/// Record data. Types the server reads or writes are decoded; everything else (and A/AAAA outside
/// class IN) stays raw bytes so forwarded answers pass through unchanged.
public enum RData: Sendable, Hashable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    case txt([[UInt8]])
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    case soa(SOAData)
    case unknown(type: RRType, data: [UInt8])

    public var type: RRType {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .ns: return .ns
        case .cname: return .cname
        case .ptr: return .ptr
        case .mx: return .mx
        case .txt: return .txt
        case .srv: return .srv
        case .soa: return .soa
        case .unknown(let t, _): return t
        }
    }
}

public struct SOAData: Sendable, Hashable {
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The EDNS(0) OPT pseudo-record's fields (RFC 6891 §6.1.3). The extended rcode lives in
/// `DNSMessage.rcode`.
public struct EDNS: Sendable, Hashable {
    /// Requestor's UDP payload size; values below 512 are treated as 512.
    public var udpPayloadSize: UInt16
    public var version: UInt8
    /// DNSSEC OK.
    public var dnssecOK: Bool
    /// The other 15 flag bits, kept for round trips.
    public var otherFlags: UInt16
    public var options: [EDNSOption]

    public init(udpPayloadSize: UInt16 = 1232, version: UInt8 = 0, dnssecOK: Bool = false, otherFlags: UInt16 = 0, options: [EDNSOption] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags
        self.options = options
    }
}

public struct EDNSOption: Sendable, Hashable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

/// An RR TYPE / QTYPE value.
public struct RRType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ v: UInt16) { rawValue = v }

    public static let a = RRType(1)
    public static let ns = RRType(2)
    public static let cname = RRType(5)
    public static let soa = RRType(6)
    public static let ptr = RRType(12)
    public static let hinfo = RRType(13)
    public static let mx = RRType(15)
    public static let txt = RRType(16)
    public static let aaaa = RRType(28)
    public static let srv = RRType(33)
    public static let opt = RRType(41)
    public static let ds = RRType(43)
    public static let https = RRType(65)
    public static let ixfr = RRType(251)
    public static let axfr = RRType(252)
    public static let any = RRType(255)

    static let names: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV",
        41: "OPT", 43: "DS", 65: "HTTPS", 251: "IXFR", 252: "AXFR", 255: "ANY",
    ]
    public var description: String { Self.names[rawValue] ?? "TYPE\(rawValue)" }
}

public struct DNSClass: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let `in` = DNSClass(rawValue: 1)
    public static let chaos = DNSClass(rawValue: 3)
    public static let any = DNSClass(rawValue: 255)
}

public struct DNSOpcode: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0xF }
    public static let query = DNSOpcode(rawValue: 0)
    public static let notify = DNSOpcode(rawValue: 4)
    public static let update = DNSOpcode(rawValue: 5)
}

/// A response code; 12 bits with EDNS.
public struct DNSRCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0xFFF }
    public static let noError = DNSRCode(rawValue: 0)
    public static let formErr = DNSRCode(rawValue: 1)
    public static let servFail = DNSRCode(rawValue: 2)
    public static let nxDomain = DNSRCode(rawValue: 3)
    public static let notImp = DNSRCode(rawValue: 4)
    public static let refused = DNSRCode(rawValue: 5)
    public static let badVers = DNSRCode(rawValue: 16)

    public var description: String {
        switch rawValue {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 16: return "BADVERS"
        default: return "RCODE\(rawValue)"
        }
    }
}
