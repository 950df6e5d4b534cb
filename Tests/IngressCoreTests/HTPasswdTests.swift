import Testing

@testable import IngressCore

@Suite struct HTPasswdTests {
    /// (auth-file text, users or nil for failure message)
    static let files: [(String, [String: String]?, String?)] = [
        ("alice:hash1\n", ["alice": "hash1"], nil),
        ("alice:hash1\r\nbob:hash2\r\n", ["alice": "hash1", "bob": "hash2"], nil),
        ("# header\n\n  alice:h:with:colons  \n", ["alice": "h:with:colons"], nil),
        ("alice:first\nalice:second\n", ["alice": "first"], nil),
        ("", nil, "no users defined"),
        ("# only a comment\n", nil, "no users defined"),
        ("alice\n", nil, "line 1 is not user:hash"),
        ("ok:h\n:nohashuser\n", nil, "line 2 is not user:hash"),
        ("ok:h\nempty:\n", nil, "line 2 is not user:hash"),
    ]

    @Test(arguments: files)
    func authFile(text: String, users: [String: String]?, failure: String?) {
        let secret = Fx.secret("s", type: "Opaque", data: ["auth": text])
        do {
            let got = try HTPasswd.users(in: secret, format: .authFile)
            #expect(got == users)
            #expect(failure == nil)
        } catch {
            #expect(users == nil)
            #expect(error.message == failure)
        }
    }

    @Test func authMap() throws {
        #expect(
            try HTPasswd.users(in: Fx.secret("s", data: ["u1": "h1\n", "u2": "h2"]), format: .authMap) == [
                "u1": "h1", "u2": "h2",
            ])
        #expect(throws: HTPasswd.Failure(message: "no users defined")) {
            try HTPasswd.users(in: Fx.secret("s", data: [:]), format: .authMap)
        }
        #expect(throws: HTPasswd.Failure(message: "empty user or hash for key \"u\"")) {
            try HTPasswd.users(in: Fx.secret("s", data: ["u": ""]), format: .authMap)
        }
    }
}
