import Crypto
import Foundation
import SwiftASN1
import X509

/// The API server's TLS material and admin credential, generated into the data dir on first start
/// and reused afterwards: `ca.crt`/`ca.key`, `serving.crt`/`serving.key`, `admin.token`.
public struct PKI: Sendable {
    public let caPEM: String
    public let servingCertPEM: String
    public let servingKeyPEM: String
    public let adminToken: String

    public enum PKIError: Error, Equatable, CustomStringConvertible {
        case io(String)
        public var description: String {
            switch self { case .io(let s): return s }
        }
    }

    /// Loads the material from `dir`, generating what is missing. The serving certificate is
    /// regenerated when a needed SAN (`hosts`, `ips`) is not in it.
    public static func loadOrCreate(dir: String, hosts: [String], ips: [String]) throws -> PKI {
        let fm = FileManager.default
        func path(_ n: String) -> String { (dir as NSString).appendingPathComponent(n) }
        func read(_ n: String) -> String? { try? String(contentsOfFile: path(n), encoding: .utf8) }
        func write(_ n: String, _ s: String, mode: Int) throws {
            do {
                try s.write(toFile: path(n), atomically: true, encoding: .utf8)
                try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: path(n))
            } catch {
                throw PKIError.io("cannot write \(path(n)): \(error.localizedDescription)")
            }
        }

        let caKey: P256.Signing.PrivateKey
        let caCert: Certificate
        if let keyPEM = read("ca.key"), let certPEM = read("ca.crt"),
            let k = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
            let c = try? Certificate(pemEncoded: certPEM)
        {
            caKey = k
            caCert = c
        } else {
            caKey = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName("ferry-ca") }
            let pk = Certificate.PrivateKey(caKey)
            caCert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: pk.publicKey,
                notValidBefore: Date().addingTimeInterval(-3600),
                notValidAfter: Date().addingTimeInterval(10 * 365 * 86400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: pk)
            try write("ca.key", caKey.pemRepresentation, mode: 0o600)
            try write("ca.crt", try caCert.serializeAsPEM().pemString, mode: 0o644)
            // A new CA invalidates any old serving cert.
            try? fm.removeItem(atPath: path("serving.crt"))
        }

        var servingCertPEM = read("serving.crt")
        var servingKeyPEM = read("serving.key")
        if let pem = servingCertPEM, let cert = try? Certificate(pemEncoded: pem),
            !PKI.covers(cert, hosts: hosts, ips: ips)
        {
            servingCertPEM = nil
        }
        if servingCertPEM == nil || servingKeyPEM == nil {
            let key = P256.Signing.PrivateKey()
            let pk = Certificate.PrivateKey(key)
            var names: [GeneralName] = hosts.map { .dnsName($0) }
            for ip in ips {
                if let bytes = ipBytes(ip) { names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...]))) }
            }
            let sanNames = names
            let cert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: pk.publicKey,
                notValidBefore: Date().addingTimeInterval(-3600),
                notValidAfter: Date().addingTimeInterval(2 * 365 * 86400),
                issuer: caCert.subject,
                subject: try DistinguishedName { CommonName("kube-apiserver") },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(sanNames)
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey))
            servingCertPEM = try cert.serializeAsPEM().pemString
            servingKeyPEM = key.pemRepresentation
            try write("serving.key", servingKeyPEM!, mode: 0o600)
            try write("serving.crt", servingCertPEM!, mode: 0o644)
        }

        var token = read("admin.token")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if token.isEmpty {
            var rng = SystemRandomNumberGenerator()
            token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
            try write("admin.token", token + "\n", mode: 0o600)
        }
        return PKI(
            caPEM: try caCert.serializeAsPEM().pemString, servingCertPEM: servingCertPEM!,
            servingKeyPEM: servingKeyPEM!, adminToken: token)
    }

    static func covers(_ cert: Certificate, hosts: [String], ips: [String]) -> Bool {
        guard let san = try? cert.extensions.subjectAlternativeNames else { return false }
        var have = Set<String>()
        for n in san {
            switch n {
            case .dnsName(let d): have.insert(d)
            case .ipAddress(let o): have.insert(Data(o.bytes).base64EncodedString())
            default: break
            }
        }
        for h in hosts where !have.contains(h) { return false }
        for ip in ips {
            guard let b = ipBytes(ip) else { continue }
            if !have.contains(Data(b).base64EncodedString()) { return false }
        }
        return true
    }

    /// Network-order bytes of an IPv4 or IPv6 literal.
    static func ipBytes(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// A self-signed certificate and key (PEM) for `commonName`, e.g. the ingress default certificate
    /// served for unknown SNI names (what ingress-nginx calls the "fake certificate").
    public static func selfSigned(commonName: String) throws -> (certPEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let pk = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(commonName) }
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: pk.publicKey,
            notValidBefore: Date().addingTimeInterval(-3600), notValidAfter: Date().addingTimeInterval(365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                SubjectAlternativeNames([.dnsName(commonName)])
            },
            issuerPrivateKey: pk)
        return (try cert.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// The admin kubeconfig (CA embedded, bearer token), as written to `<data-dir>/kubeconfig.yaml`.
    public func kubeconfig(server: String) -> String {
        let ca = Data(caPEM.utf8).base64EncodedString()
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: ferry
              cluster:
                server: \(server)
                certificate-authority-data: \(ca)
            users:
            - name: admin
              user:
                token: \(adminToken)
            contexts:
            - name: ferry
              context:
                cluster: ferry
                user: admin
                namespace: default
            current-context: ferry
            preferences: {}

            """
    }
}
