import KubeAPI

/// Reads basic-auth users from an ingress-nginx style Secret.
public enum HTPasswd {
    public struct Failure: Error, Equatable {
        public var message: String
    }

    /// `auth-file`: htpasswd text in key `auth` (`user:hash` lines; blank and `#` lines skipped).
    /// `auth-map`: each data key is a user, its value the hash. Throws when the key is missing, a line is malformed,
    /// or no user is defined — an auth route without users must not be served.
    public static func users(in secret: Secret, format: BasicAuthReference.SecretFormat) throws(Failure) -> [String:
        String]
    {
        var users: [String: String] = [:]
        switch format {
        case .authFile:
            guard let bytes = secret.data["auth"] else { throw Failure(message: "missing data key \"auth\"") }
            let text = String(decoding: bytes, as: UTF8.self)
            for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                .enumerated()
            {
                let line = raw.trimmingASCIISpaces()
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                    line.index(after: colon) != line.endIndex
                else {
                    throw Failure(message: "line \(i + 1) is not user:hash")
                }
                let user = String(line[..<colon])
                if users[user] == nil { users[user] = String(line[line.index(after: colon)...]) }
            }
        case .authMap:
            for (user, hash) in secret.data {
                let h = String(decoding: hash, as: UTF8.self).trimmingCharactersNewline()
                guard !user.isEmpty, !h.isEmpty else {
                    throw Failure(message: "empty user or hash for key \"\(user)\"")
                }
                users[user] = h
            }
        }
        guard !users.isEmpty else { throw Failure(message: "no users defined") }
        return users
    }
}

extension String {
    fileprivate func trimmingCharactersNewline() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == "\r\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
