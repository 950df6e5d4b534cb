/// Why bytes are not a well-formed DNS message (or a string not a valid name). A server answers
/// FORMERR when at least the 12-byte header parsed (see `DNSMessage.formatErrorResponse(to:)`),
/// and drops the packet otherwise.
public enum DNSWireError: Error, Equatable, Sendable {
    /// The packet ends inside a header, name, fixed field or RDATA.
    case truncated
    /// The section counts promise more questions/records than the packet can possibly hold.
    case countsExceedPacket
    /// A label length byte uses the reserved 0b01/0b10 prefixes (RFC 6891 §5).
    case badLabelType
    /// A compression pointer that does not point strictly backwards (this is what rules out loops).
    case badCompressionPointer
    /// A name longer than 255 bytes once decompressed.
    case nameTooLong
    /// Presentation-form name with an empty or over-long label.
    case invalidName
    /// RDATA whose length does not match its type's layout.
    case badRData(RRType)
    /// OPT outside the additional section, with a non-root owner, or more than one.
    case badOPT
    /// Bytes left over after the last counted record.
    case trailingBytes
}
