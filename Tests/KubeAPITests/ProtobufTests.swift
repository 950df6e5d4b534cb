import Foundation
import TestSupport
import Testing

@testable import KubeAPI

// MARK: - Test helpers

/// A minimal protobuf writer for hand-built bodies (the production code only reads).
private enum PB {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    static func tag(_ field: Int, _ wireType: UInt8) -> [UInt8] { varint(UInt64(field) << 3 | UInt64(wireType)) }
    static func int(_ field: Int, _ value: Int64) -> [UInt8] { tag(field, 0) + varint(UInt64(bitPattern: value)) }
    static func bool(_ field: Int, _ value: Bool) -> [UInt8] { int(field, value ? 1 : 0) }
    static func bytes(_ field: Int, _ value: [UInt8]) -> [UInt8] { tag(field, 2) + varint(UInt64(value.count)) + value }
    static func string(_ field: Int, _ value: String) -> [UInt8] { bytes(field, Array(value.utf8)) }
    static func message(_ field: Int, _ parts: [UInt8]...) -> [UInt8] { bytes(field, parts.flatMap { $0 }) }
    static func entry(_ field: Int, _ key: String, _ value: String) -> [UInt8] {
        message(field, string(1, key), string(2, value))
    }
    static func time(_ field: Int, _ seconds: Int64, nanos: Int64? = nil) -> [UInt8] {
        message(field, int(1, seconds), nanos.map { int(2, $0) } ?? [])
    }

    /// `k8s\0` + runtime.Unknown{typeMeta, raw}.
    static func envelope(_ apiVersion: String, _ kind: String, _ raw: [UInt8]...) -> [UInt8] {
        magic + message(1, string(1, apiVersion), string(2, kind)) + message(2, raw.flatMap { $0 })
    }
}

/// Decodes and renders with sorted keys, so failures show a readable diff.
private func decoded(_ body: [UInt8]) throws -> String { try KubeProtobuf.decode(body).serialized() }
private func canonical(_ json: String) throws -> String { try JSON.parse(json).serialized() }

private typealias SeededGenerator = SplitMix64

// MARK: - Bodies captured from kubectl v1.32.4

struct KubectlFixture: CustomTestStringConvertible, Sendable {
    let name: String
    /// Base64 of the exact POST body kubectl sent (line breaks ignored).
    let body: String
    /// `kubectl <same command> --dry-run=client -o json`: Go's JSON for the same object (line breaks ignored).
    let expected: String
    var testDescription: String { name }
    var bytes: [UInt8] { Array(Data(base64Encoded: body, options: .ignoreUnknownCharacters) ?? Data()) }
    var expectedJSON: String { expected.replacingOccurrences(of: "\n", with: "") }
}

/// Captured against a stub server on 127.0.0.1 (`kubectl create ...`, and `kubectl debug web
/// --copy-to=web-debug --image=busybox --container=dbg --env=X=1 -- sleep 100` for the Pod). Expected JSON
/// is kubectl's own `--dry-run=client -o json` rendering of the same command, except for the Pod, which
/// `kubectl debug` cannot dry-run; its expectation was checked by hand against the bytes.
private let kubectlFixtures: [KubectlFixture] = [
    // kubectl create secret generic s --from-literal=a=b
    KubectlFixture(
        name: "secretGeneric",
        body: "azhzAAoMCgJ2MRIGU2VjcmV0Eh0KEQoBcxIAGgAiACoAMgA4AEIAEgYKAWESAWIaABoAIgA=",
        expected: #"""
            {"apiVersion":"v1","data":{"a":"Yg=="},"kind":"Secret","metadata":{"creationTimestamp":null
            ,"name":"s"}}
            """#
    ),
    // kubectl create secret tls t --cert=tls.crt --key=tls.key
    KubectlFixture(
        name: "secretTLS",
        body: """
            azhzAAoMCgJ2MRIGU2VjcmV0Et8GChEKAXQSABoAIgAqADIAOABCABK2BAoHdGxzLmNydBKqBC0tLS0tQkVHSU4gQ0VSVElGSUNB
            VEUtLS0tLQpNSUlCYlRDQ0FST2dBd0lCQWdJVVBBck1yUGNwRlg4SVh6WnVaclh6NmwveTF3Y3dDZ1lJS29aSXpqMEVBd0l3CkRE
            RUtNQWdHQTFVRUF3d0JkREFlRncweU5qRXhNalV3TmpNNU1qWmFGdzB5TmpFeE1qWXdOak01TWpaYU1Bd3gKQ2pBSUJnTlZCQU1N
            QVhRd1dUQVRCZ2NxaGtqT1BRSUJCZ2dxaGtqT1BRTUJCd05DQUFSNlR2RjBKSURkcTFWbgppL0huQnl4V0duMUFvaU9PeU1mb216
            V1FydC9vbjNWMXhHelZERHpLOGdXdjJ3V3VyK2w1T1dsem5ndWExZ2RzCnhNRzgrTEowbzFNd1VUQWRCZ05WSFE0RUZnUVVMenBs
            a3B6WS9uUEU4cUZiNGVUdGZGRWZNeWN3SHdZRFZSMGoKQkJnd0ZvQVVMenBsa3B6WS9uUEU4cUZiNGVUdGZGRWZNeWN3RHdZRFZS
            MFRBUUgvQkFVd0F3RUIvekFLQmdncQpoa2pPUFFRREFnTklBREJGQWlFQS9SUFBBelhkVEx5SW10SDlnSlNHNUhFa1lVL3VXQzRh
            bmNXTGNyS1JnYUlDCklCaW53OWxhdyt2REpPTENzMXgxNTBLYkM2NzNJS1hsOFdMRnlpbHVzbjBHCi0tLS0tRU5EIENFUlRJRklD
            QVRFLS0tLS0KEv0BCgd0bHMua2V5EvEBLS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdF
            R0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ0JRbnN1VS9tQ0NqLzJaWjAKS0RNWW9TWkk0ZExHMFZFT01lTDd4NTVkMEkraFJBTkNB
            QVI2VHZGMEpJRGRxMVZuaS9IbkJ5eFdHbjFBb2lPTwp5TWZvbXpXUXJ0L29uM1YxeEd6VkREeks4Z1d2MndXdXIrbDVPV2x6bmd1
            YTFnZHN4TUc4K0xKMAotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tChoRa3ViZXJuZXRlcy5pby90bHMaACIA
            """,
        expected: #"""
            {"apiVersion":"v1"
            ,"data":{"tls.crt":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJiVENDQVJPZ0F3SUJBZ0lVUEFyTXJQY3BGWDhJ
            WHpadVpyWHo2bC95MXdjd0NnWUlLb1pJemowRUF3SXcKRERFS01BZ0dBMVVFQXd3QmREQWVGdzB5TmpFeE1qVXdOak01TWpaYUZ3
            MHlOakV4TWpZd05qTTVNalphTUF3eApDakFJQmdOVkJBTU1BWFF3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNBQVI2
            VHZGMEpJRGRxMVZuCmkvSG5CeXhXR24xQW9pT095TWZvbXpXUXJ0L29uM1YxeEd6VkREeks4Z1d2MndXdXIrbDVPV2x6bmd1YTFn
            ZHMKeE1HOCtMSjBvMU13VVRBZEJnTlZIUTRFRmdRVUx6cGxrcHpZL25QRThxRmI0ZVR0ZkZFZk15Y3dId1lEVlIwagpCQmd3Rm9B
            VUx6cGxrcHpZL25QRThxRmI0ZVR0ZkZFZk15Y3dEd1lEVlIwVEFRSC9CQVV3QXdFQi96QUtCZ2dxCmhrak9QUVFEQWdOSUFEQkZB
            aUVBL1JQUEF6WGRUTHlJbXRIOWdKU0c1SEVrWVUvdVdDNGFuY1dMY3JLUmdhSUMKSUJpbnc5bGF3K3ZESk9MQ3MxeDE1MEtiQzY3
            M0lLWGw4V0xGeWlsdXNuMEcKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
            ,"tls.key":"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJH
            MHdhd0lCQVFRZ0JRbnN1VS9tQ0NqLzJaWjAKS0RNWW9TWkk0ZExHMFZFT01lTDd4NTVkMEkraFJBTkNBQVI2VHZGMEpJRGRxMVZu
            aS9IbkJ5eFdHbjFBb2lPTwp5TWZvbXpXUXJ0L29uM1YxeEd6VkREeks4Z1d2MndXdXIrbDVPV2x6bmd1YTFnZHN4TUc4K0xKMAot
            LS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg=="}
            ,"kind":"Secret","metadata":{"creationTimestamp":null,"name":"t"},"type":"kubernetes.io/tls"}
            """#
    ),
    // kubectl create configmap c --from-literal=k=v
    KubectlFixture(
        name: "configMap",
        body: "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEhsKEQoBYxIAGgAiACoAMgA4AEIAEgYKAWsSAXYaACIA",
        expected: #"""
            {"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"creationTimestamp":null
            ,"name":"c"}}
            """#
    ),
    // kubectl create namespace n
    KubectlFixture(
        name: "namespace",
        body: "azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBbhIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==",
        expected: #"""
            {"apiVersion":"v1","kind":"Namespace","metadata":{"creationTimestamp":null,"name":"n"},"spec":{}
            ,"status":{}}
            """#
    ),
    // kubectl create service clusterip s --tcp=80:8080
    KubectlFixture(
        name: "serviceClusterIP",
        body: """
            azhzAAoNCgJ2MRIHU2VydmljZRJjChsKAXMSABoAIgAqADIAOABCAFoICgNhcHASAXMSQAobCgc4MC04MDgwEgNUQ1AYUCIHCAAQ
            kD8aACgAEggKA2FwcBIBcxoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==
            """,
        expected: #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"s"}
            ,"name":"s"},"spec":{"ports":[{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080}]
            ,"selector":{"app":"s"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}
            """#
    ),
    // kubectl create service nodeport np --tcp=80:8080 --node-port=30080
    KubectlFixture(
        name: "serviceNodePort",
        body: """
            azhzAAoNCgJ2MRIHU2VydmljZRJnCh0KAm5wEgAaACIAKgAyADgAQgBaCQoDYXBwEgJucBJCCh0KBzgwLTgwODASA1RDUBhQIgcI
            ABCQPxoAKIDrARIJCgNhcHASAm5wGgAiCE5vZGVQb3J0OgBCAFIAWgBgAGgAGgIKABoAIgA=
            """,
        expected: #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"np"}
            ,"name":"np"},"spec":{"ports":[{"name":"80-8080","nodePort":30080,"port":80,"protocol":"TCP"
            ,"targetPort":8080}],"selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}}
            """#
    ),
    // kubectl create ingress i --rule="foo.com/bar=svc1:8080,tls=my-cert" --class=nginx
    KubectlFixture(
        name: "ingress",
        body: """
            azhzAAofChRuZXR3b3JraW5nLms4cy5pby92MRIHSW5ncmVzcxJjChEKAWkSABoAIgAqADIAOABCABJKEhIKB2Zvby5jb20SB215
            LWNlcnQaLQoHZm9vLmNvbRIiCiAKHgoEL2JhchIPIg0KBHN2YzESBQoAEJA/GgVFeGFjdCIFbmdpbngaAgoAGgAiAA==
            """,
        expected: #"""
            {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"creationTimestamp":null
            ,"name":"i"},"spec":{"ingressClassName":"nginx","rules":[{"host":"foo.com"
            ,"http":{"paths":[{"backend":{"service":{"name":"svc1","port":{"number":8080}}},"path":"/bar"
            ,"pathType":"Exact"}]}}],"tls":[{"hosts":["foo.com"],"secretName":"my-cert"}]}
            ,"status":{"loadBalancer":{}}}
            """#
    ),
    // kubectl create secret generic s2 --from-literal=a=b --from-literal=empty= --type=example.com/x --save-config
    KubectlFixture(
        name: "secretSaveConfig",
        body: """
            azhzAAoMCgJ2MRIGU2VjcmV0EvsBCtYBCgJzMhIAGgAiACoAMgA4AEIAYsEBCjBrdWJlY3RsLmt1YmVybmV0ZXMuaW8vbGFzdC1h
            cHBsaWVkLWNvbmZpZ3VyYXRpb24SjAF7ImtpbmQiOiJTZWNyZXQiLCJhcGlWZXJzaW9uIjoidjEiLCJtZXRhZGF0YSI6eyJuYW1l
            IjoiczIiLCJjcmVhdGlvblRpbWVzdGFtcCI6bnVsbH0sImRhdGEiOnsiYSI6IllnPT0iLCJlbXB0eSI6IiJ9LCJ0eXBlIjoiZXhh
            bXBsZS5jb20veCJ9ChIGCgFhEgFiEgkKBWVtcHR5EgAaDWV4YW1wbGUuY29tL3gaACIA
            """,
        expected: #"""
            {"apiVersion":"v1","data":{"a":"Yg==","empty":""},"kind":"Secret"
            ,"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Secret\"
            ,\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s2\",\"creationTimestamp\":null}
            ,\"data\":{\"a\":\"Yg==\",\"empty\":\"\"},\"type\":\"example.com/x\"}\n"}
            ,"creationTimestamp":null,"name":"s2"},"type":"example.com/x"}
            """#
    ),
    // kubectl create secret docker-registry d --docker-server=r.io --docker-username=u --docker-password=p
    KubectlFixture(
        name: "secretDockerRegistry",
        body: """
            azhzAAoMCgJ2MRIGU2VjcmV0EooBChEKAWQSABoAIgAqADIAOABCABJVChEuZG9ja2VyY29uZmlnanNvbhJAeyJhdXRocyI6eyJy
            LmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkVHB3In19fRoea3ViZXJuZXRlcy5pby9kb2NrZXJj
            b25maWdqc29uGgAiAA==
            """,
        expected: #"""
            {"apiVersion":"v1"
            ,"data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dG
            giOiJkVHB3In19fQ=="}
            ,"kind":"Secret","metadata":{"creationTimestamp":null,"name":"d"}
            ,"type":"kubernetes.io/dockerconfigjson"}
            """#
    ),
    // kubectl create configmap c2 --from-file=bin.dat --from-file=hello.txt --from-literal=z=
    KubectlFixture(
        name: "configMapFromFiles",
        body: """
            azhzAAoPCgJ2MRIJQ29uZmlnTWFwEkMKEgoCYzISABoAIgAqADIAOABCABITCgloZWxsby50eHQSBmhlbGxvChIFCgF6EgAaEQoH
            YmluLmRhdBIG/wABYmluGgAiAA==
            """,
        expected: #"""
            {"apiVersion":"v1","binaryData":{"bin.dat":"/wABYmlu"},"data":{"hello.txt":"hello\n","z":""}
            ,"kind":"ConfigMap","metadata":{"creationTimestamp":null,"name":"c2"}}
            """#
    ),
    // kubectl create service loadbalancer lb --tcp=443:https,80
    KubectlFixture(
        name: "serviceLoadBalancer",
        body: """
            azhzAAoNCgJ2MRIHU2VydmljZRKHAQodCgJsYhIAGgAiACoAMgA4AEIAWgkKA2FwcBICbGISYgoiCgk0NDMtaHR0cHMSA1RDUBi7
            AyILCAEQABoFaHR0cHMoAAoVCgI4MBIDVENQGFAiBggAEFAaACgAEgkKA2FwcBICbGIaACIMTG9hZEJhbGFuY2VyOgBCAFIAWgBg
            AGgAGgIKABoAIgA=
            """,
        expected: #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"lb"}
            ,"name":"lb"},"spec":{"ports":[{"name":"443-https","port":443,"protocol":"TCP"
            ,"targetPort":"https"},{"name":"80","port":80,"protocol":"TCP","targetPort":80}]
            ,"selector":{"app":"lb"},"type":"LoadBalancer"},"status":{"loadBalancer":{}}}
            """#
    ),
    // kubectl create service externalname en --external-name=example.com --tcp=80
    KubectlFixture(
        name: "serviceExternalName",
        body: """
            azhzAAoNCgJ2MRIHU2VydmljZRJuCh0KAmVuEgAaACIAKgAyADgAQgBaCQoDYXBwEgJlbhJJChUKAjgwEgNUQ1AYUCIGCAAQUBoA
            KAASCQoDYXBwEgJlbhoAIgxFeHRlcm5hbE5hbWU6AEIAUgtleGFtcGxlLmNvbVoAYABoABoCCgAaACIA
            """,
        expected: #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"en"}
            ,"name":"en"},"spec":{"externalName":"example.com","ports":[{"name":"80","port":80
            ,"protocol":"TCP","targetPort":80}],"selector":{"app":"en"},"type":"ExternalName"}
            ,"status":{"loadBalancer":{}}}
            """#
    ),
    // kubectl create ingress i2 --default-backend=defsvc:http --rule="*.bar.com/exact=svc2:http"
    //   --rule="foo.com/p*=svc3:80" --annotation=a.io/x=y --rule="/=svc4:81,tls"
    KubectlFixture(
        name: "ingressDefaultBackend",
        body: """
            azhzAAofChRuZXR3b3JraW5nLms4cy5pby92MRIHSW5ncmVzcxLFAQofCgJpMhIAGgAiACoAMgA4AEIAYgsKBmEuaW8veBIBeRKd
            AQoUIhIKBmRlZnN2YxIICgRodHRwEAAaNAoJKi5iYXIuY29tEicKJQojCgYvZXhhY3QSEiIQCgRzdmMyEggKBGh0dHAQABoFRXhh
            Y3QaKwoHZm9vLmNvbRIgCh4KHAoCL3ASDiIMCgRzdmMzEgQKABBQGgZQcmVmaXgaIgoAEh4KHAoaCgEvEg4iDAoEc3ZjNBIECgAQ
            URoFRXhhY3QaAgoAGgAiAA==
            """,
        expected: #"""
            {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"annotations":{"a.io/x":"y"}
            ,"creationTimestamp":null,"name":"i2"},"spec":{"defaultBackend":{"service":{"name":"defsvc"
            ,"port":{"name":"http"}}},"rules":[{"host":"*.bar.com"
            ,"http":{"paths":[{"backend":{"service":{"name":"svc2","port":{"name":"http"}}},"path":"/exact"
            ,"pathType":"Exact"}]}},{"host":"foo.com","http":{"paths":[{"backend":{"service":{"name":"svc3"
            ,"port":{"number":80}}},"path":"/p","pathType":"Prefix"}]}}
            ,{"http":{"paths":[{"backend":{"service":{"name":"svc4","port":{"number":81}}},"path":"/"
            ,"pathType":"Exact"}]}}]},"status":{"loadBalancer":{}}}
            """#
    ),
    // kubectl debug web --copy-to=web-debug --image=busybox --container=dbg --env=X=1 -- sleep 100
    KubectlFixture(
        name: "podDebugCopy",
        body: """
            azhzAAoJCgJ2MRIDUG9kErsBCiAKCXdlYi1kZWJ1ZxIAGgdkZWZhdWx0IgAqADIAOABCABKEARIqCgFjEgVuZ2lueCoAMgoKABAA
            GFAiACoAQgBqAHIAgAEAiAEAkAEAogEAEjoKA2RiZxIHYnVzeWJveBoFc2xlZXAaAzEwMCoAOgYKAVgSATFCAGoAcgCAAQCIAQCQ
            AQCiAQRGaWxlGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBABoQCgAaACIAKgAyAEoAWgByABoAIgA=
            """,
        expected: #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":null,"name":"web-debug"
            ,"namespace":"default"},"spec":{"containers":[{"image":"nginx","name":"c"
            ,"ports":[{"containerPort":80}],"resources":{}},{"command":["sleep","100"],"env":[{"name":"X"
            ,"value":"1"}],"image":"busybox","name":"dbg","resources":{}
            ,"terminationMessagePolicy":"File"}]},"status":{}}
            """#
    ),
]

@Test(arguments: kubectlFixtures)
func decodesBodiesCapturedFromKubectl(_ fixture: KubectlFixture) throws {
    #expect(!fixture.bytes.isEmpty)
    #expect(try decoded(fixture.bytes) == canonical(fixture.expectedJSON))
}

// MARK: - Hand-built objects covering every field of the kinds kubectl creates

private let objectMeta: [UInt8] = PB.message(
    1,
    PB.string(1, "cm"), PB.string(2, "cm-"), PB.string(3, "ns"), PB.string(4, ""), PB.string(5, "u-1"),
    PB.string(6, "42"), PB.int(7, 3), PB.time(8, 1_700_000_000, nanos: 999), PB.time(9, 1_700_000_060),
    PB.int(10, 0), PB.entry(11, "a", "1"), PB.entry(11, "b", ""), PB.entry(12, "x", "y"),
    PB.message(
        13, PB.string(1, "ReplicaSet"), PB.string(3, "rs"), PB.string(4, "u-2"), PB.string(5, "apps/v1"),
        PB.bool(6, true), PB.bool(7, false)),
    PB.string(14, "f1"), PB.string(14, "f2"),
    PB.message(
        17, PB.string(1, "kubectl"), PB.string(2, "Update"), PB.string(3, "v1"), PB.time(4, 0),
        PB.string(6, "FieldsV1"), PB.message(7, PB.string(1, #"{"f:data":{"f:k":{}}}"#)), PB.string(8, "")))

private let serviceSpec: [UInt8] = PB.message(
    2,
    PB.message(
        1, PB.string(1, "http"), PB.string(2, "TCP"), PB.int(3, 80), PB.message(4, PB.int(1, 1), PB.string(3, "web")),
        PB.int(5, 30080), PB.string(6, "http")),
    PB.message(
        1, PB.string(1, ""), PB.string(2, "UDP"), PB.int(3, 53), PB.message(4, PB.int(1, 0), PB.int(2, 5353)),
        PB.int(5, 0)),
    PB.entry(2, "app", "web"), PB.string(3, "10.0.0.1"), PB.string(18, "10.0.0.1"), PB.string(18, "fd00::1"),
    PB.string(4, "LoadBalancer"), PB.string(5, "1.2.3.4"), PB.string(7, "ClientIP"), PB.string(8, "5.6.7.8"),
    PB.string(9, "10.0.0.0/8"), PB.string(10, ""), PB.string(11, "Local"), PB.int(12, 31000), PB.bool(13, true),
    PB.message(14, PB.message(1, PB.int(1, 10800))), PB.string(17, "PreferDualStack"), PB.string(19, "IPv4"),
    PB.string(19, "IPv6"), PB.bool(20, false), PB.string(21, "example.com/lb"), PB.string(22, "Cluster"),
    PB.string(23, "PreferClose"))

private let serviceStatus: [UInt8] = PB.message(
    3,
    PB.message(
        1,
        PB.message(
            1, PB.string(1, "5.6.7.8"), PB.string(2, "lb.example.com"), PB.string(3, "VIP"),
            PB.message(4, PB.int(1, 80), PB.string(2, "TCP"), PB.string(3, "e")))),
    PB.message(
        2, PB.string(1, "Ready"), PB.string(2, "True"), PB.int(3, 2), PB.time(4, 1_700_000_000), PB.string(5, "Ok"),
        PB.string(6, "")))

private let ingressSpec: [UInt8] = PB.message(
    2,
    PB.string(4, "nginx"),
    PB.message(
        1, PB.message(3, PB.string(1, "k8s.example.com"), PB.string(2, "StorageBucket"), PB.string(3, "static"))),
    PB.message(2, PB.string(1, "a.com"), PB.string(1, "b.com"), PB.string(2, "tls-ab")),
    PB.message(2),
    PB.message(
        3, PB.string(1, "a.com"),
        PB.message(
            2,
            PB.message(
                1,
                PB.message(
                    1, PB.string(1, "/api"), PB.string(3, "Prefix"),
                    PB.message(2, PB.message(4, PB.string(1, "api"), PB.message(2, PB.int(2, 8080))))),
                PB.message(
                    1, PB.message(2, PB.message(4, PB.string(1, "web"), PB.message(2, PB.string(1, "http"))))))
            )),
    PB.message(3, PB.string(1, "b.com")))

private let podSpec: [UInt8] = PB.message(
    2,
    PB.message(
        1, PB.string(1, "data"),
        PB.message(2, PB.message(2, PB.string(1, "Memory"), PB.message(2, PB.string(1, "1Gi"))))),
    PB.message(
        2, PB.string(1, "web"), PB.string(2, "nginx:1.27"), PB.string(3, "nginx"), PB.string(4, "-g"),
        PB.string(4, "daemon off;"),
        PB.message(6, PB.string(1, "http"), PB.int(3, 80), PB.string(4, "TCP")),
        PB.message(7, PB.string(1, "A"), PB.string(2, "1")), PB.message(7, PB.string(1, "B"), PB.string(2, "")),
        PB.message(
            8, PB.message(1, PB.string(1, "cpu"), PB.message(2, PB.string(1, "500m"))),
            PB.message(2, PB.string(1, "memory"), PB.message(2, PB.string(1, "64Mi")))),
        PB.bool(16, false)),
    PB.string(3, "Always"), PB.int(4, 30), PB.string(10, "node1"), PB.string(16, "web-0"), PB.string(17, "web"),
    // supplementalGroups: one packed run [1, 2] followed by an unpacked 3; both encodings are legal.
    PB.message(14, PB.int(2, 1000), PB.bytes(4, [1, 2]), PB.int(4, 3)))

private let podStatus: [UInt8] = PB.message(
    3,
    PB.string(1, "Running"), PB.string(6, "10.1.0.5"), PB.message(12, PB.string(1, "10.1.0.5")),
    PB.message(12, PB.string(1, "fd00::5")),
    PB.message(2, PB.string(1, "Ready"), PB.string(2, "True"), PB.time(4, 1_700_000_000)), PB.time(7, 1_700_000_000))

struct ObjectCase: CustomTestStringConvertible, Sendable {
    let name: String
    let body: [UInt8]
    let expected: String
    var testDescription: String { name }
}

private let fullObjects: [ObjectCase] = [
    ObjectCase(
        name: "ConfigMap with every ObjectMeta field",
        body: PB.envelope(
            "v1", "ConfigMap", objectMeta, PB.entry(2, "k", "v"),
            PB.message(3, PB.string(1, "bin"), PB.bytes(2, [0xFF, 0x00])), PB.bool(4, true)),
        expected: """
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","generateName":"cm-","namespace":"ns",
            "uid":"u-1","resourceVersion":"42","generation":3,"creationTimestamp":"2023-11-14T22:13:20Z",
            "deletionTimestamp":"2023-11-14T22:14:20Z","deletionGracePeriodSeconds":0,"labels":{"a":"1","b":""},
            "annotations":{"x":"y"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs",
            "uid":"u-2","controller":true,"blockOwnerDeletion":false}],"finalizers":["f1","f2"],
            "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1",
            "time":"1970-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:k":{}}}}]},
            "data":{"k":"v"},"binaryData":{"bin":"/wA="},"immutable":true}
            """),
    ObjectCase(
        name: "Secret with stringData and immutable=false",
        body: PB.envelope(
            "v1", "Secret", PB.message(1, PB.string(1, "s")),
            PB.message(2, PB.string(1, "k"), PB.bytes(2, [0x68, 0x69])),
            PB.string(3, "Opaque"), PB.entry(4, "plain", "text"), PB.bool(5, false)),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","creationTimestamp":null},"data":{"k":"aGk="},
            "type":"Opaque","stringData":{"plain":"text"},"immutable":false}
            """),
    ObjectCase(
        name: "Namespace with finalizers and conditions",
        body: PB.envelope(
            "v1", "Namespace", PB.message(1, PB.string(1, "n")), PB.message(2, PB.string(1, "kubernetes")),
            PB.message(
                3, PB.string(1, "Terminating"),
                PB.message(
                    2, PB.string(1, "NamespaceDeletionContentFailure"), PB.string(2, "False"), PB.string(5, "r"),
                    PB.string(6, "")))),
        expected: """
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n","creationTimestamp":null},
            "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Terminating","conditions":[
            {"type":"NamespaceDeletionContentFailure","status":"False","lastTransitionTime":null,"reason":"r"}]}}
            """),
    ObjectCase(
        name: "Service with every spec and status field",
        body: PB.envelope("v1", "Service", PB.message(1, PB.string(1, "svc")), serviceSpec, serviceStatus),
        expected: """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","creationTimestamp":null},"spec":{"ports":[
            {"name":"http","protocol":"TCP","appProtocol":"http","port":80,"targetPort":"web","nodePort":30080},
            {"protocol":"UDP","port":53,"targetPort":5353}],"selector":{"app":"web"},"clusterIP":"10.0.0.1",
            "clusterIPs":["10.0.0.1","fd00::1"],"type":"LoadBalancer","externalIPs":["1.2.3.4"],
            "sessionAffinity":"ClientIP","loadBalancerIP":"5.6.7.8","loadBalancerSourceRanges":["10.0.0.0/8"],
            "externalTrafficPolicy":"Local","healthCheckNodePort":31000,"publishNotReadyAddresses":true,
            "sessionAffinityConfig":{"clientIP":{"timeoutSeconds":10800}},"ipFamilyPolicy":"PreferDualStack",
            "ipFamilies":["IPv4","IPv6"],"allocateLoadBalancerNodePorts":false,"loadBalancerClass":"example.com/lb",
            "internalTrafficPolicy":"Cluster","trafficDistribution":"PreferClose"},
            "status":{"loadBalancer":{"ingress":[{"ip":"5.6.7.8","hostname":"lb.example.com","ipMode":"VIP",
            "ports":[{"port":80,"protocol":"TCP","error":"e"}]}]},"conditions":[{"type":"Ready","status":"True",
            "observedGeneration":2,"lastTransitionTime":"2023-11-14T22:13:20Z","reason":"Ok","message":""}]}}
            """),
    ObjectCase(
        name: "Ingress with resource backend, tls, named and numbered ports, status",
        body: PB.envelope(
            "networking.k8s.io/v1", "Ingress", PB.message(1, PB.string(1, "ing")), ingressSpec,
            PB.message(
                3,
                PB.message(
                    1, PB.message(1, PB.string(1, "1.1.1.1"), PB.message(4, PB.int(1, 443), PB.string(2, "TCP")))))),
        expected: """
            {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"ing","creationTimestamp":null},
            "spec":{"ingressClassName":"nginx","defaultBackend":{"resource":{"apiGroup":"k8s.example.com",
            "kind":"StorageBucket","name":"static"}},"tls":[{"hosts":["a.com","b.com"],"secretName":"tls-ab"},{}],
            "rules":[{"host":"a.com","http":{"paths":[{"path":"/api","pathType":"Prefix","backend":{"service":{
            "name":"api","port":{"number":8080}}}},{"pathType":null,"backend":{"service":{"name":"web",
            "port":{"name":"http"}}}}]}},{"host":"b.com"}]},
            "status":{"loadBalancer":{"ingress":[{"ip":"1.1.1.1","ports":[{"port":443,"protocol":"TCP"}]}]}}}
            """),
    ObjectCase(
        name: "IngressClass with parameters",
        body: PB.envelope(
            "networking.k8s.io/v1", "IngressClass", PB.message(1, PB.string(1, "nginx")),
            PB.message(
                2, PB.string(1, "k8s.io/ingress-nginx"),
                PB.message(2, PB.string(2, "Params"), PB.string(3, "p"), PB.string(4, "Namespace"), PB.string(5, "ns")))
        ),
        expected: """
            {"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"nginx",
            "creationTimestamp":null},"spec":{"controller":"k8s.io/ingress-nginx","parameters":{"kind":"Params",
            "name":"p","scope":"Namespace","namespace":"ns"}}}
            """),
    ObjectCase(
        name: "Pod with volumes, containers, resources, security context and status",
        body: PB.envelope(
            "v1", "Pod",
            PB.message(1, PB.string(1, "web"), PB.string(3, "default"), PB.entry(11, "app", "web")), podSpec,
            podStatus),
        expected: """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","labels":{"app":"web"},
            "creationTimestamp":null},"spec":{"volumes":[{"name":"data","emptyDir":{"medium":"Memory",
            "sizeLimit":"1Gi"}}],"containers":[{"name":"web","image":"nginx:1.27","command":["nginx"],
            "args":["-g","daemon off;"],"ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],
            "env":[{"name":"A","value":"1"},{"name":"B"}],"resources":{"limits":{"cpu":"500m"},
            "requests":{"memory":"64Mi"}}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,
            "nodeName":"node1","hostname":"web-0","subdomain":"web","securityContext":{"runAsUser":1000,
            "supplementalGroups":[1,2,3]}},"status":{"phase":"Running","podIP":"10.1.0.5","podIPs":[
            {"ip":"10.1.0.5"},{"ip":"fd00::5"}],"conditions":[{"type":"Ready","status":"True","lastProbeTime":null,
            "lastTransitionTime":"2023-11-14T22:13:20Z"}],"startTime":"2023-11-14T22:13:20Z"}}
            """),
    ObjectCase(
        name: "EndpointSlice with conditions, hints and a zero endpoint",
        body: PB.envelope(
            "discovery.k8s.io/v1", "EndpointSlice",
            PB.message(1, PB.string(1, "web-abc"), PB.entry(11, "kubernetes.io/service-name", "web")),
            PB.string(4, "IPv4"),
            PB.message(
                2, PB.string(1, "10.1.0.5"), PB.message(2, PB.bool(1, true), PB.bool(2, true), PB.bool(3, false)),
                PB.string(3, "pod-a"),
                PB.message(4, PB.string(1, "Pod"), PB.string(2, "default"), PB.string(3, "pod-a"), PB.string(4, "u")),
                PB.string(6, "node1"), PB.string(7, "z1"),
                PB.message(8, PB.message(1, PB.string(1, "z1")), PB.message(2, PB.string(1, "node1")))),
            PB.message(2, PB.string(1, "10.1.0.6")),
            PB.message(3, PB.string(1, "http"), PB.string(2, "TCP"), PB.int(3, 8080), PB.string(4, "http")),
            PB.message(3, PB.string(1, ""))),
        expected: """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-abc",
            "labels":{"kubernetes.io/service-name":"web"},"creationTimestamp":null},"addressType":"IPv4",
            "endpoints":[{"addresses":["10.1.0.5"],"conditions":{"ready":true,"serving":true,"terminating":false},
            "hostname":"pod-a","targetRef":{"kind":"Pod","namespace":"default","name":"pod-a","uid":"u"},
            "nodeName":"node1","zone":"z1","hints":{"forZones":[{"name":"z1"}],"forNodes":[{"name":"node1"}]}},
            {"addresses":["10.1.0.6"],"conditions":{}}],"ports":[{"name":"http","protocol":"TCP","port":8080,
            "appProtocol":"http"},{"name":""}]}
            """),
    ObjectCase(
        name: "Event with MicroTime eventTime and series",
        body: PB.envelope(
            "v1", "Event", PB.message(1, PB.string(1, "ev1"), PB.string(3, "default")),
            PB.message(
                2, PB.string(1, "Pod"), PB.string(3, "p"), PB.string(5, "v1"), PB.string(7, "spec.containers{c}")),
            PB.string(3, "Started"), PB.string(4, "Started container"),
            PB.message(5, PB.string(1, "kubelet"), PB.string(2, "node1")), PB.time(6, 1_700_000_000), PB.message(7),
            PB.int(8, 2), PB.string(9, "Normal"), PB.time(10, 1_700_000_000, nanos: 123_456_789),
            PB.message(11, PB.int(1, 3), PB.time(2, 1_700_000_001, nanos: 999)), PB.string(12, ""),
            PB.string(14, "kubelet")),
        expected: """
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"ev1","namespace":"default","creationTimestamp":null},
            "involvedObject":{"kind":"Pod","name":"p","apiVersion":"v1","fieldPath":"spec.containers{c}"},
            "reason":"Started","message":"Started container","source":{"component":"kubelet","host":"node1"},
            "firstTimestamp":"2023-11-14T22:13:20Z","lastTimestamp":null,"count":2,"type":"Normal",
            "eventTime":"2023-11-14T22:13:20.123456Z","series":{"count":3,
            "lastObservedTime":"2023-11-14T22:13:21.000000Z"},"reportingComponent":"kubelet","reportingInstance":""}
            """),
    ObjectCase(
        name: "Endpoints with subsets",
        body: PB.envelope(
            "v1", "Endpoints", PB.message(1, PB.string(1, "web")),
            PB.message(
                2, PB.message(1, PB.string(1, "10.1.0.5"), PB.string(4, "node1")),
                PB.message(2, PB.string(1, "10.1.0.6")),
                PB.message(3, PB.string(1, "http"), PB.int(2, 8080), PB.string(3, "TCP")))),
        expected: """
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web","creationTimestamp":null},
            "subsets":[{"addresses":[{"ip":"10.1.0.5","nodeName":"node1"}],"notReadyAddresses":[{"ip":"10.1.0.6"}],
            "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]}
            """),
]

@Test(arguments: fullObjects)
func decodesEveryField(_ object: ObjectCase) throws {
    #expect(try decoded(object.body) == canonical(object.expected.replacingOccurrences(of: "\n", with: "")))
}

// MARK: - Go JSON rules: omitempty, zero values, merging, encodings

private func service(_ spec: [UInt8]...) -> [UInt8] {
    PB.envelope("v1", "Service", PB.message(1, PB.string(1, "s")), PB.message(2, spec.flatMap { $0 }))
}

private func secretMeta(_ meta: [UInt8]...) -> [UInt8] {
    PB.envelope("v1", "Secret", PB.message(1, meta.flatMap { $0 }))
}

private let semanticCases: [ObjectCase] = [
    ObjectCase(
        name: "omitempty drops present zero values, non-omitempty keeps them, pointers keep zero",
        body: service(
            PB.message(1, PB.string(1, ""), PB.int(5, 0), PB.string(6, "")), PB.string(3, ""), PB.bool(13, false),
            PB.bool(20, false)),
        expected: """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"s","creationTimestamp":null},"spec":{"ports":[
            {"port":0,"targetPort":0,"appProtocol":""}],"allocateLoadBalancerNodePorts":false},
            "status":{"loadBalancer":{}}}
            """),
    ObjectCase(
        name: "IntOrString: empty is int 0, negative int, empty string, string",
        body: service(
            PB.message(1, PB.int(3, 1), PB.message(4)), PB.message(1, PB.int(3, 2), PB.message(4, PB.int(2, -5))),
            PB.message(1, PB.int(3, 3), PB.message(4, PB.int(1, 1))),
            PB.message(1, PB.int(3, 4), PB.message(4, PB.int(1, 1), PB.string(3, "x")))),
        expected: """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"s","creationTimestamp":null},"spec":{"ports":[
            {"port":1,"targetPort":0},{"port":2,"targetPort":-5},{"port":3,"targetPort":""},
            {"port":4,"targetPort":"x"}]},"status":{"loadBalancer":{}}}
            """),
    ObjectCase(
        name: "int32 from a ten-byte negative varint and an over-long varint truncated to 32 bits",
        body: service(PB.message(1, PB.int(3, -1)), PB.message(1, PB.tag(3, 0) + PB.varint(1 << 32 | 80))),
        expected: """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"s","creationTimestamp":null},"spec":{"ports":[
            {"port":-1,"targetPort":0},{"port":80,"targetPort":0}]},"status":{"loadBalancer":{}}}
            """),
    ObjectCase(
        name: "int64 keeps all 64 bits",
        body: secretMeta(PB.int(7, 1 << 40), PB.int(10, -30)),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"generation":1099511627776,
            "deletionGracePeriodSeconds":-30,"creationTimestamp":null}}
            """),
    ObjectCase(
        name: "a repeated scalar field keeps the last value",
        body: secretMeta(PB.string(1, "first"), PB.string(1, "second")),
        expected: #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"second","creationTimestamp":null}}"#),
    ObjectCase(
        name: "a repeated singular message merges",
        body: PB.envelope(
            "v1", "Secret", PB.message(1, PB.string(1, "n"), PB.entry(11, "a", "1")),
            PB.message(1, PB.string(3, "ns"), PB.entry(11, "b", "2"))),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"n","namespace":"ns","labels":{"a":"1","b":"2"},
            "creationTimestamp":null}}
            """),
    ObjectCase(
        name: "map entries: duplicate key keeps last, missing value is empty, missing key is empty",
        body: PB.envelope(
            "v1", "Secret",
            PB.message(
                1, PB.entry(11, "k", "1"), PB.entry(11, "k", "2"), PB.message(11, PB.string(1, "novalue")),
                PB.message(11, PB.string(2, "nokey"))),
            PB.message(2, PB.string(1, "empty"))),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"labels":{"k":"2","novalue":"","":"nokey"},
            "creationTimestamp":null},"data":{"empty":""}}
            """),
    ObjectCase(
        name: "unknown fields of every wire type are skipped at every level",
        body: PB.magic + PB.int(9, 7) + PB.message(1, PB.string(1, "v1"), PB.string(2, "Secret"), PB.int(3, 1))
            + PB.tag(10, 1) + Array(repeating: 0xAB, count: 8) + PB.tag(11, 5) + Array(repeating: 0xCD, count: 4)
            + PB.message(
                2, PB.message(1, PB.string(1, "s"), PB.string(99, "future"), PB.tag(100, 5) + [1, 2, 3, 4]),
                PB.int(50, 1), PB.tag(51, 1) + Array(repeating: 0, count: 8), PB.string(3, "Opaque"))
            + PB.string(12, "trailing"),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","creationTimestamp":null},"type":"Opaque"}
            """),
    ObjectCase(
        name: "contentType is read and ignored",
        body: PB.envelope("v1", "Secret") + PB.string(4, "application/vnd.kubernetes.protobuf") + PB.string(3, ""),
        expected: #"{"apiVersion":"v1","kind":"Secret","metadata":{"creationTimestamp":null}}"#),
    ObjectCase(
        name: "invalid UTF-8 becomes U+FFFD like Go's JSON encoder",
        body: secretMeta(PB.bytes(1, [0x61, 0xFF, 0x62])),
        expected: #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a\ufffdb","creationTimestamp":null}}"#),
    ObjectCase(
        name: "Time ignores nanos; an empty Time is null; Go's zero instant is null",
        body: secretMeta(PB.time(8, -1, nanos: 999_999_999), PB.time(9, -62_135_596_800)),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"creationTimestamp":"1969-12-31T23:59:59Z",
            "deletionTimestamp":null}}
            """),
    ObjectCase(
        name: "a repeated Time replaces instead of merging",
        body: secretMeta(PB.time(8, 1_700_000_000), PB.message(8, PB.int(2, 5))),
        expected: #"{"apiVersion":"v1","kind":"Secret","metadata":{"creationTimestamp":"1970-01-01T00:00:00Z"}}"#),
    ObjectCase(
        name: "FieldsV1 absent Raw prints null",
        body: secretMeta(PB.message(17, PB.string(1, "m"), PB.message(7))),
        expected: """
            {"apiVersion":"v1","kind":"Secret","metadata":{"managedFields":[{"manager":"m","fieldsV1":null}],
            "creationTimestamp":null}}
            """),
    ObjectCase(
        name: "non-omitempty lists absent from the wire print null",
        body: PB.envelope("discovery.k8s.io/v1", "EndpointSlice", PB.message(2)),
        expected: """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"creationTimestamp":null},
            "addressType":"","endpoints":[{"addresses":null,"conditions":{}}],"ports":null}
            """),
    ObjectCase(
        name: "inlined VolumeSource and IngressRuleValue",
        body: PB.envelope(
            "v1", "Pod",
            PB.message(
                2,
                PB.message(
                    1, PB.string(1, "cfg"),
                    // ConfigMapVolumeSource embeds LocalObjectReference, so `name` is one message deeper.
                    PB.message(
                        2,
                        PB.message(
                            19, PB.message(1, PB.string(1, "cm")), PB.message(2, PB.string(1, "k"), PB.string(2, "p"))))
                )
            )),
        expected: """
            {"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":null},"spec":{"volumes":[{"name":"cfg",
            "configMap":{"name":"cm","items":[{"key":"k","path":"p"}]}}],"containers":null},"status":{}}
            """),
]

@Test(arguments: semanticCases)
func followsGoJSONRules(_ object: ObjectCase) throws {
    #expect(try decoded(object.body) == canonical(object.expected.replacingOccurrences(of: "\n", with: "")))
}

/// What Go prints for each kind after decoding an envelope with no `raw`: the zero object.
@Test(arguments: [
    ("v1", "Namespace", #"{"metadata":{"creationTimestamp":null},"spec":{},"status":{}}"#),
    ("v1", "Service", #"{"metadata":{"creationTimestamp":null},"spec":{},"status":{"loadBalancer":{}}}"#),
    ("v1", "Endpoints", #"{"metadata":{"creationTimestamp":null}}"#),
    ("v1", "Pod", #"{"metadata":{"creationTimestamp":null},"spec":{"containers":null},"status":{}}"#),
    ("v1", "Secret", #"{"metadata":{"creationTimestamp":null}}"#),
    ("v1", "ConfigMap", #"{"metadata":{"creationTimestamp":null}}"#),
    (
        "v1", "Event",
        #"{"metadata":{"creationTimestamp":null},"involvedObject":{},"source":{},"firstTimestamp":null,"#
            + #""lastTimestamp":null,"eventTime":null,"reportingComponent":"","reportingInstance":""}"#
    ),
    (
        "discovery.k8s.io/v1", "EndpointSlice",
        #"{"metadata":{"creationTimestamp":null},"addressType":"","endpoints":null,"ports":null}"#
    ),
    (
        "networking.k8s.io/v1", "Ingress",
        #"{"metadata":{"creationTimestamp":null},"spec":{},"status":{"loadBalancer":{}}}"#
    ),
    ("networking.k8s.io/v1", "IngressClass", #"{"metadata":{"creationTimestamp":null},"spec":{}}"#),
])
func decodesZeroObjects(apiVersion: String, kind: String, expected: String) throws {
    var object = try JSON.parse(expected)
    object["apiVersion"] = .string(apiVersion)
    object["kind"] = .string(kind)
    let body = PB.magic + PB.message(1, PB.string(1, apiVersion), PB.string(2, kind))
    #expect(try decoded(body) == object.serialized())
}

@Test func everyServedKindHasASchema() {
    for resource in ResourceType.all {
        #expect(KubeProtobuf.roots[resource.apiVersion + "/" + resource.kind] != nil, "\(resource.kind)")
    }
    #expect(KubeProtobuf.roots.count == ResourceType.all.count)
}

/// Field numbers the brief's notes got wrong or that matter most, pinned against upstream generated.proto.
@Test(arguments: [
    ("ServiceSpec", "ipFamilyPolicy", 17), ("ServiceSpec", "clusterIPs", 18), ("ServiceSpec", "ipFamilies", 19),
    ("ServiceSpec", "internalTrafficPolicy", 22), ("ServiceSpec", "trafficDistribution", 23),
    ("ServicePort", "appProtocol", 6), ("ObjectMeta", "managedFields", 17), ("ObjectMeta", "finalizers", 14),
    ("Secret", "immutable", 5), ("ConfigMap", "binaryData", 3), ("IngressSpec", "ingressClassName", 4),
    ("IngressBackend", "service", 4), ("IngressBackend", "resource", 3), ("HTTPIngressPath", "pathType", 3),
    ("ServiceBackendPort", "number", 2), ("EndpointSlice", "addressType", 4), ("Container", "env", 7),
    ("PodSpec", "hostname", 16), ("PodSpec", "subdomain", 17), ("PodStatus", "podIPs", 12),
    ("Event", "reportingComponent", 14), ("ManagedFieldsEntry", "fieldsV1", 7),
])
func schemaFieldNumbers(message: String, field: String, number: Int) {
    let schema = KubeProtobuf.schemas[message]
    #expect(schema?.fields.first { $0.name == field }?.number == number)
}

@Test func schemaTableIsClosed() {
    #expect(KubeProtobuf.schemas.count == 186)
    for message in KubeProtobuf.schemas.values {
        for field in message.fields {
            if case .message(let target) = field.kind { #expect(KubeProtobuf.schemas[target] != nil, "\(target)") }
        }
    }
}

// MARK: - Time formatting

@Test(arguments: [
    (Int64(0), "1970-01-01T00:00:00Z"), (1_700_000_000, "2023-11-14T22:13:20Z"), (-1, "1969-12-31T23:59:59Z"),
    (951_782_400, "2000-02-29T00:00:00Z"), (253_402_300_799, "9999-12-31T23:59:59Z"),
    (253_402_300_800, "10000-01-01T00:00:00Z"), (-62_135_596_801, "0000-12-31T23:59:59Z"),
    (-62_167_219_201, "-0001-12-31T23:59:59Z"),
])
func formatsTime(seconds: Int64, expected: String) {
    #expect(KubeProtobuf.formatTime(seconds: seconds) == .string(expected))
}

@Test func zeroTimeIsNull() {
    #expect(KubeProtobuf.formatTime(seconds: -62_135_596_800) == .null)
    #expect(KubeProtobuf.formatMicroTime(seconds: -62_135_596_800, nanos: 0) == .null)
    #expect(KubeProtobuf.formatMicroTime(seconds: -62_135_596_800, nanos: 999) == .null)
}

@Test(arguments: [
    (Int64(1_700_000_000), Int64(123_456_789), "2023-11-14T22:13:20.123456Z"),
    (0, 999, "1970-01-01T00:00:00.000000Z"),
    (0, -1500, "1969-12-31T23:59:59.999999Z"),
    (0, 2_000_000_001, "1970-01-01T00:00:02.000000Z"),
    (Int64.max, 0, nil), (Int64.min, -999_999_999, nil),
])
func formatsMicroTime(seconds: Int64, nanos: Int64, expected: String?) {
    let formatted = KubeProtobuf.formatMicroTime(seconds: seconds, nanos: nanos)
    if let expected {
        #expect(formatted == .string(expected))
    } else {
        // Extreme values only have to format without trapping, as a UTC timestamp string.
        #expect(formatted.stringValue?.hasSuffix("Z") == true)
    }
}

// MARK: - Reader

private let varintCases: [([UInt8], UInt64)] = [
    ([0x00], 0), ([0x01], 1), ([0xAC, 0x02], 300), ([0x80, 0x01], 128),
    ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], UInt64.max),
    // Bits past 64 in the tenth byte are dropped, as gogo does.
    ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], UInt64.max),
]

@Test(arguments: varintCases)
func readsVarints(bytes: [UInt8], expected: UInt64) throws {
    var reader = ProtobufReader(bytes)
    #expect(try reader.readVarint() == expected)
    #expect(reader.isAtEnd)
}

@Test func readsFixedWidthAndSkips() throws {
    var reader = ProtobufReader([0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8, 0x0D, 0, 0, 0, 0])
    #expect(try reader.readFixed32() == 0x1234_5678)
    #expect(try reader.readFixed64() == 0x0807_0605_0403_0201)
    let (field, wireType) = try reader.readTag()
    #expect(field == 1 && wireType == .fixed32)
    try reader.skip(wireType)
    #expect(reader.isAtEnd)
    #expect(throws: ProtobufError.truncated(offset: 17)) { try reader.readFixed32() }
    var short = ProtobufReader([1, 2, 3])
    #expect(throws: ProtobufError.truncated(offset: 0)) { try short.readFixed64() }
}

// MARK: - Malformed input

struct ErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    let body: [UInt8]
    let error: ProtobufError
    var testDescription: String { name }
}

private let truncatedRaw: [UInt8] = PB.envelope("v1", "Secret", [0x0A, 0x05, 0x0A])
private let truncatedPacked: [UInt8] = PB.envelope(
    "v1", "Pod", PB.message(2, PB.message(14, PB.bytes(4, [0x01, 0x80]))))

private let errorCases: [ErrorCase] = [
    ErrorCase(name: "empty body", body: [], error: .emptyBody),
    ErrorCase(name: "only the magic", body: PB.magic, error: .emptyBody),
    ErrorCase(name: "short prefix", body: [0x6B, 0x38], error: .missingMagic),
    ErrorCase(name: "JSON body", body: Array(#"{"kind":"Secret"}"#.utf8), error: .missingMagic),
    ErrorCase(name: "wrong magic byte", body: [0x6B, 0x38, 0x73, 0x01, 0x0A, 0x00], error: .missingMagic),
    ErrorCase(name: "truncated tag varint", body: PB.magic + [0x80], error: .truncated(offset: 4)),
    ErrorCase(name: "missing length", body: PB.magic + [0x0A], error: .truncated(offset: 5)),
    ErrorCase(
        name: "varint longer than ten bytes", body: PB.magic + Array(repeating: 0xFF, count: 11),
        error: .varintOverflow(offset: 4)),
    ErrorCase(
        name: "length past end", body: PB.magic + [0x12, 0x05, 0x01], error: .lengthPastEnd(offset: 5, length: 5)),
    ErrorCase(
        name: "huge length", body: PB.magic + [0x12] + PB.varint(UInt64.max),
        error: .lengthPastEnd(offset: 5, length: UInt64.max)),
    ErrorCase(
        name: "field number zero", body: PB.magic + [0x02, 0x00],
        error: .invalidFieldNumber(offset: 4, fieldNumber: 0)),
    ErrorCase(
        name: "field number above 2^29-1", body: PB.magic + PB.varint(UInt64(1 << 29) << 3),
        error: .invalidFieldNumber(offset: 4, fieldNumber: 1 << 29)),
    ErrorCase(name: "start group wire type", body: PB.magic + [0x0B], error: .invalidWireType(offset: 4, wireType: 3)),
    ErrorCase(name: "end group wire type", body: PB.magic + [0x0C], error: .invalidWireType(offset: 4, wireType: 4)),
    ErrorCase(name: "wire type 6", body: PB.magic + [0x0E], error: .invalidWireType(offset: 4, wireType: 6)),
    ErrorCase(
        name: "wire type 7 inside the object", body: PB.envelope("v1", "Secret", [0x0F]),
        error: .invalidWireType(offset: 20, wireType: 7)),
    ErrorCase(
        name: "typeMeta as varint", body: PB.magic + [0x08, 0x01], error: .wrongWireType(field: "typeMeta", wireType: 0)
    ),
    ErrorCase(
        name: "kind as varint", body: PB.magic + PB.message(1, PB.int(2, 1)),
        error: .wrongWireType(field: "typeMeta.kind", wireType: 0)),
    ErrorCase(
        name: "raw as fixed32", body: PB.magic + PB.tag(2, 5) + [0, 0, 0, 0],
        error: .wrongWireType(field: "raw", wireType: 5)),
    ErrorCase(
        name: "metadata.name as varint", body: PB.envelope("v1", "Secret", PB.message(1, PB.int(1, 1))),
        error: .wrongWireType(field: "metadata.name", wireType: 0)),
    ErrorCase(
        name: "metadata as varint", body: PB.envelope("v1", "Secret", PB.int(1, 1)),
        error: .wrongWireType(field: "metadata", wireType: 0)),
    ErrorCase(
        name: "port as string in the second port",
        body: service(PB.message(1, PB.int(3, 80)), PB.message(1, PB.string(3, "80"))),
        error: .wrongWireType(field: "spec.ports[1].port", wireType: 2)),
    ErrorCase(
        name: "label value as varint",
        body: secretMeta(PB.message(11, PB.string(1, "k"), PB.int(2, 1))),
        error: .wrongWireType(field: "metadata.labels", wireType: 0)),
    ErrorCase(
        name: "quantity map value as varint",
        body: PB.envelope(
            "v1", "Pod",
            PB.message(2, PB.message(2, PB.message(8, PB.message(1, PB.string(1, "cpu"), PB.int(2, 1)))))),
        error: .wrongWireType(field: "spec.containers[0].resources.limits", wireType: 0)),
    ErrorCase(
        name: "time seconds as bytes", body: secretMeta(PB.message(8, PB.string(1, "x"))),
        error: .wrongWireType(field: "metadata.creationTimestamp.seconds", wireType: 2)),
    ErrorCase(
        name: "immutable as bytes", body: PB.envelope("v1", "Secret", PB.string(5, "true")),
        error: .wrongWireType(field: "immutable", wireType: 2)),
    ErrorCase(
        name: "packed run ends inside a varint", body: truncatedPacked,
        error: .truncated(offset: truncatedPacked.count - 1)),
    ErrorCase(
        name: "truncated object inside raw", body: truncatedRaw,
        error: .lengthPastEnd(offset: truncatedRaw.count - 2, length: 5)),
    ErrorCase(name: "no typeMeta", body: PB.magic + PB.message(2), error: .missingKind),
    ErrorCase(name: "missing kind", body: PB.magic + PB.message(1, PB.string(1, "v1")), error: .missingKind),
    ErrorCase(
        name: "missing apiVersion", body: PB.magic + PB.message(1, PB.string(2, "Secret")), error: .missingAPIVersion),
    ErrorCase(
        name: "unknown kind", body: PB.envelope("apps/v1", "Deployment"),
        error: .unknownKind(apiVersion: "apps/v1", kind: "Deployment")),
    ErrorCase(
        name: "kind in the wrong group", body: PB.envelope("v1", "Ingress"),
        error: .unknownKind(apiVersion: "v1", kind: "Ingress")),
    ErrorCase(
        name: "inner message name is not a kind", body: PB.envelope("v1", "ObjectMeta"),
        error: .unknownKind(apiVersion: "v1", kind: "ObjectMeta")),
    ErrorCase(
        name: "compressed content", body: PB.envelope("v1", "Secret") + PB.string(3, "gzip"),
        error: .unsupportedContentEncoding("gzip")),
    ErrorCase(
        name: "IntOrString type 2", body: service(PB.message(1, PB.message(4, PB.int(1, 2)))),
        error: .invalidIntOrString(field: "spec.ports[0].targetPort", type: 2)),
    ErrorCase(
        name: "FieldsV1 not JSON", body: secretMeta(PB.message(17, PB.message(7, PB.string(1, "{not json")))),
        error: .invalidFieldsV1(field: "metadata.managedFields[0].fieldsV1")),
    ErrorCase(
        name: "FieldsV1 empty", body: secretMeta(PB.message(17), PB.message(17, PB.message(7, PB.string(1, "")))),
        error: .invalidFieldsV1(field: "metadata.managedFields[1].fieldsV1")),
    ErrorCase(
        name: "IntOrString intVal as bytes", body: service(PB.message(1, PB.message(4, PB.string(2, "8080")))),
        error: .wrongWireType(field: "spec.ports[0].targetPort.intVal", wireType: 2)),
]

@Test(arguments: errorCases)
func rejectsMalformedBodies(_ testCase: ErrorCase) {
    #expect(throws: testCase.error) { try KubeProtobuf.decode(testCase.body) }
}

@Test(arguments: [
    (ProtobufError.emptyBody, "empty body"),
    (.missingMagic, "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"),
    (.truncated(offset: 9), "proto: unexpected EOF at offset 9"),
    (.varintOverflow(offset: 4), "proto: integer overflow at offset 4"),
    (.lengthPastEnd(offset: 5, length: 7), "proto: length 7 at offset 5 runs past the end of the message"),
    (.invalidFieldNumber(offset: 4, fieldNumber: 0), "proto: illegal field number 0 at offset 4"),
    (.invalidWireType(offset: 4, wireType: 6), "proto: illegal wireType 6 at offset 4"),
    (
        .wrongWireType(field: "spec.ports[0].port", wireType: 2),
        "proto: wrong wireType = 2 for field spec.ports[0].port"
    ),
    (.missingKind, "Object 'Kind' is missing in protobuf envelope"),
    (.missingAPIVersion, "Object 'apiVersion' is missing in protobuf envelope"),
    (
        .unknownKind(apiVersion: "apps/v1", kind: "Deployment"),
        #"no kind "Deployment" is registered for version "apps/v1""#
    ),
    (.unsupportedContentEncoding("gzip"), #"unsupported protobuf content encoding "gzip""#),
    (
        .invalidIntOrString(field: "spec.ports[0].targetPort", type: 2),
        "invalid IntOrString type 2 for field spec.ports[0].targetPort"
    ),
    (
        .invalidFieldsV1(field: "metadata.managedFields[0].fieldsV1"),
        "invalid JSON in FieldsV1 for field metadata.managedFields[0].fieldsV1"
    ),
])
func errorMessages(error: ProtobufError, message: String) {
    #expect(error.message == message)
}

// MARK: - Fuzz

/// Random bodies and random mutations of real kubectl bodies must decode or throw, never trap. Mutated
/// bodies that still decode must keep the envelope's kind; both outcomes must actually occur.
@Test func survivesRandomAndMutatedBodies() {
    var generator = SeededGenerator(state: 0x6B38_7300)
    let seeds = kubectlFixtures.map(\.bytes) + fullObjects.map(\.body) + semanticCases.map(\.body)
    var decodedCount = 0
    var rejectedCount = 0
    for iteration in 0..<20_000 {
        var body: [UInt8]
        if iteration % 4 == 0 {
            let length = Int.random(in: 0..<64, using: &generator)
            body = PB.magic + (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        } else {
            body = seeds[Int.random(in: 0..<seeds.count, using: &generator)]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 4..<max(body.count, 5), using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0 where position < body.count: body[position] = UInt8.random(in: 0...255, using: &generator)
                case 1 where position < body.count: body[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: body.removeLast(min(body.count - 4, Int.random(in: 0...8, using: &generator)))
                default: body.insert(UInt8.random(in: 0...255, using: &generator), at: min(position, body.count))
                }
            }
        }
        do {
            let object = try KubeProtobuf.decode(body)
            decodedCount += 1
            #expect(object["kind"]?.stringValue.map { !$0.isEmpty } == true)
        } catch {
            rejectedCount += 1
            #expect(!error.message.isEmpty)
        }
    }
    #expect(decodedCount > 500)
    #expect(rejectedCount > 1000)
}
