import Foundation
import Testing

@testable import KubeAPI

/// One strict-decoding case: a body (JSON text) for a kind and the exact unknown-field paths
/// kube-apiserver 1.32 reports for it.
struct UnknownFieldCase: Sendable, CustomTestStringConvertible {
    let label: String
    let resource: ResourceType
    let json: String
    let expected: [String]
    init(_ label: String, _ resource: ResourceType, _ json: String, _ expected: [String]) {
        self.label = label
        self.resource = resource
        self.json = json
        self.expected = expected
    }
    var testDescription: String { label }
}

// MARK: - Realistic objects, as `kubectl get -o json` prints them from a 1.32 cluster

private let managedFields = #"""
[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2025-01-10T09:00:00Z",
  "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},
  "f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{}}}}}},
 {"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2025-01-10T09:00:01Z",
  "fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{}}},"subresource":"status"}]
"""#

private let namespaceJSON = #"""
{"apiVersion":"v1","kind":"Namespace","metadata":{"creationTimestamp":"2025-01-10T09:00:00Z",
 "labels":{"kubernetes.io/metadata.name":"demo"},"name":"demo","resourceVersion":"12","uid":"0b7c1c7e-1111-4c1e-9a55-2f4a5a0c0001",
 "managedFields":\#(managedFields)},
 "spec":{"finalizers":["kubernetes"]},
 "status":{"phase":"Active","conditions":[{"type":"NamespaceDeletionDiscoveryFailure","status":"False",
   "lastTransitionTime":"2025-01-10T09:00:00Z","reason":"ResourcesDiscovered","message":"All resources successfully discovered"}]}}
"""#

private let serviceJSON = #"""
{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"},
 "creationTimestamp":"2025-01-10T09:00:00Z","labels":{"app":"nginx"},"name":"nginx","namespace":"default",
 "resourceVersion":"501","uid":"5e0c3d2a-2222-4f0b-8d1e-6b7c8d9e0002","generation":1,"finalizers":["service.kubernetes.io/load-balancer-cleanup"],
 "managedFields":\#(managedFields)},
 "spec":{"allocateLoadBalancerNodePorts":true,"clusterIP":"10.43.12.34","clusterIPs":["10.43.12.34"],
  "externalTrafficPolicy":"Cluster","internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",
  "ports":[{"name":"http","nodePort":31080,"port":80,"protocol":"TCP","targetPort":8080,"appProtocol":"http"},
           {"name":"metrics","nodePort":31090,"port":9090,"protocol":"TCP","targetPort":"metrics"}],
  "selector":{"app":"nginx"},"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":10800}},
  "type":"LoadBalancer","loadBalancerSourceRanges":["0.0.0.0/0"],"healthCheckNodePort":0,"publishNotReadyAddresses":false,
  "trafficDistribution":"PreferClose","externalIPs":["192.0.2.10"]},
 "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP","ports":[{"port":80,"protocol":"TCP"}]}]},
  "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2025-01-10T09:00:00Z","reason":"Ok","message":"",
   "observedGeneration":1}]}}
"""#

private let endpointsJSON = #"""
{"apiVersion":"v1","kind":"Endpoints","metadata":{"annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"2025-01-10T09:00:00Z"},
 "creationTimestamp":"2025-01-10T09:00:00Z","labels":{"app":"nginx"},"name":"nginx","namespace":"default","resourceVersion":"502",
 "uid":"7d1e2f3a-3333-4a5b-9c8d-0e1f2a3b0003"},
 "subsets":[{"addresses":[{"ip":"10.42.0.7","nodeName":"node-1","targetRef":{"kind":"Pod","name":"nginx-5b7c9d-abcde",
   "namespace":"default","uid":"9a8b7c6d-4444-4e5f-8a9b-1c2d3e4f0004"}}],
  "notReadyAddresses":[{"ip":"10.42.0.8","hostname":"nginx-1"}],
  "ports":[{"name":"http","port":8080,"protocol":"TCP","appProtocol":"http"}]}]}
"""#

private let podJSON = #"""
{"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"2025-01-10T09:00:00Z","generateName":"nginx-5b7c9d-",
 "labels":{"app":"nginx","pod-template-hash":"5b7c9d"},"name":"nginx-5b7c9d-abcde","namespace":"default",
 "ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,"kind":"ReplicaSet",
   "name":"nginx-5b7c9d","uid":"1f2e3d4c-5555-4b6a-9d8c-7e6f5a4b0005"}],
 "resourceVersion":"610","uid":"9a8b7c6d-4444-4e5f-8a9b-1c2d3e4f0004"},
 "spec":{"containers":[{"name":"nginx","image":"nginx:1.27","imagePullPolicy":"IfNotPresent",
   "args":["-g","daemon off;"],"command":["nginx"],
   "env":[{"name":"MODE","value":"prod"},
          {"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}},
          {"name":"TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"creds","optional":true}}},
          {"name":"LEVEL","valueFrom":{"configMapKeyRef":{"key":"level","name":"cfg"}}},
          {"name":"MEM","valueFrom":{"resourceFieldRef":{"containerName":"nginx","divisor":"1Mi","resource":"limits.memory"}}}],
   "envFrom":[{"configMapRef":{"name":"cfg"},"prefix":"CFG_"},{"secretRef":{"name":"creds","optional":false}}],
   "ports":[{"containerPort":8080,"name":"http","protocol":"TCP"},{"containerPort":9090,"name":"metrics","protocol":"TCP","hostPort":0}],
   "livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP","httpHeaders":[{"name":"X-Probe","value":"1"}]},
     "initialDelaySeconds":5,"periodSeconds":10,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
   "readinessProbe":{"tcpSocket":{"port":8080},"periodSeconds":5},
   "startupProbe":{"exec":{"command":["cat","/tmp/ready"]},"failureThreshold":30},
   "lifecycle":{"preStop":{"sleep":{"seconds":5}},"postStart":{"exec":{"command":["true"]}}},
   "resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},
   "resizePolicy":[{"resourceName":"cpu","restartPolicy":"NotRequired"}],
   "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]},
     "readOnlyRootFilesystem":true,"runAsNonRoot":true,"runAsUser":101,"seccompProfile":{"type":"RuntimeDefault"}},
   "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
   "volumeMounts":[{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access-x7k2p","readOnly":true},
                   {"mountPath":"/cache","name":"cache","subPath":"nginx","mountPropagation":"None"}]}],
  "initContainers":[{"name":"init","image":"busybox:1.36","command":["sh","-c","true"],"restartPolicy":"Always",
   "resources":{}}],
  "dnsPolicy":"ClusterFirst","dnsConfig":{"nameservers":["10.43.0.10"],"options":[{"name":"ndots","value":"2"}],"searches":["svc.cluster.local"]},
  "enableServiceLinks":true,"hostAliases":[{"hostnames":["db.local"],"ip":"10.0.0.5"}],
  "nodeName":"node-1","nodeSelector":{"kubernetes.io/os":"linux"},"preemptionPolicy":"PreemptLowerPriority","priority":0,
  "restartPolicy":"Always","schedulerName":"default-scheduler",
  "securityContext":{"fsGroup":101,"runAsGroup":101,"supplementalGroups":[4000],"sysctls":[{"name":"net.core.somaxconn","value":"1024"}]},
  "serviceAccount":"default","serviceAccountName":"default","terminationGracePeriodSeconds":30,
  "affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{
     "labelSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["nginx"]}]},"topologyKey":"kubernetes.io/hostname"}}]},
   "nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[
     {"key":"kubernetes.io/arch","operator":"In","values":["amd64","arm64"]}]}]}}},
  "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway",
     "labelSelector":{"matchLabels":{"app":"nginx"}},"matchLabelKeys":["pod-template-hash"]}],
  "tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},
                 {"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}],
  "volumes":[{"name":"kube-api-access-x7k2p","projected":{"defaultMode":420,"sources":[
      {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
      {"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],"name":"kube-root-ca.crt"}},
      {"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"},"path":"namespace"}]}}]}},
     {"name":"cache","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"}},
     {"name":"conf","configMap":{"name":"cfg","defaultMode":420,"optional":true}},
     {"name":"tls","secret":{"secretName":"tls","items":[{"key":"tls.crt","path":"tls.crt","mode":256}]}},
     {"name":"data","persistentVolumeClaim":{"claimName":"data","readOnly":false}},
     {"name":"host","hostPath":{"path":"/var/log","type":"Directory"}}]},
 "status":{"phase":"Running","qosClass":"Burstable","startTime":"2025-01-10T09:00:00Z",
  "hostIP":"192.168.1.10","hostIPs":[{"ip":"192.168.1.10"}],"podIP":"10.42.0.7","podIPs":[{"ip":"10.42.0.7"}],
  "conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2025-01-10T09:00:02Z"},
                {"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2025-01-10T09:00:05Z"}],
  "containerStatuses":[{"name":"nginx","image":"docker.io/library/nginx:1.27","imageID":"docker.io/library/nginx@sha256:0123",
    "containerID":"containerd://abc","ready":true,"restartCount":1,"started":true,
    "state":{"running":{"startedAt":"2025-01-10T09:00:03Z"}},
    "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled","startedAt":"2025-01-10T08:00:00Z",
      "finishedAt":"2025-01-10T08:59:59Z","containerID":"containerd://old","signal":9}},
    "volumeMounts":[{"mountPath":"/cache","name":"cache","readOnly":false,"recursiveReadOnly":"Disabled"}],
    "resources":{"limits":{"memory":"256Mi"}},"allocatedResources":{"cpu":"100m"},
    "user":{"linux":{"uid":101,"gid":101,"supplementalGroups":[101,4000]}}}],
  "initContainerStatuses":[{"name":"init","image":"docker.io/library/busybox:1.36","imageID":"","ready":false,"restartCount":0,
    "state":{"waiting":{"reason":"PodInitializing","message":""}},"lastState":{}}]}}
"""#

private let secretJSON = #"""
{"apiVersion":"v1","kind":"Secret","metadata":{"creationTimestamp":"2025-01-10T09:00:00Z","name":"mytls","namespace":"default",
 "resourceVersion":"700","uid":"2a3b4c5d-6666-4e7f-8a9b-0c1d2e3f0006"},
 "data":{"tls.crt":"LS0tLS1CRUdJTg==","tls.key":"LS0tLS1CRUdJTg=="},"stringData":{"extra":"x"},"immutable":false,
 "type":"kubernetes.io/tls"}
"""#

private let configMapJSON = #"""
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"creationTimestamp":"2025-01-10T09:00:00Z","name":"cfg","namespace":"default",
 "resourceVersion":"701","uid":"3b4c5d6e-7777-4f8a-9b0c-1d2e3f4a0007","deletionGracePeriodSeconds":0,"generation":1},
 "data":{"level":"info","nginx.conf":"events {}\n"},"binaryData":{"blob":"AAEC"},"immutable":true}
"""#

private let eventJSON = #"""
{"apiVersion":"v1","kind":"Event","metadata":{"creationTimestamp":"2025-01-10T09:00:00Z","name":"nginx.181a2b3c4d5e6f70",
 "namespace":"default","resourceVersion":"800","uid":"4c5d6e7f-8888-4a9b-8c0d-2e3f4a5b0008"},
 "action":"Binding","count":3,"eventTime":"2025-01-10T09:00:00.123456Z","firstTimestamp":"2025-01-10T09:00:00Z",
 "lastTimestamp":"2025-01-10T09:05:00Z","message":"Successfully assigned default/nginx to node-1","reason":"Scheduled",
 "involvedObject":{"apiVersion":"v1","kind":"Pod","name":"nginx","namespace":"default","resourceVersion":"610",
   "uid":"9a8b7c6d-4444-4e5f-8a9b-1c2d3e4f0004","fieldPath":"spec.containers{nginx}"},
 "related":{"kind":"Node","name":"node-1"},"reportingComponent":"default-scheduler","reportingInstance":"default-scheduler-node-1",
 "series":{"count":2,"lastObservedTime":"2025-01-10T09:05:00.000001Z"},"source":{"component":"kubelet","host":"node-1"},
 "type":"Normal"}
"""#

private let endpointSliceJSON = #"""
{"addressType":"IPv4","apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
 "metadata":{"annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"2025-01-10T09:00:00Z"},
  "creationTimestamp":"2025-01-10T09:00:00Z","generateName":"nginx-","generation":2,
  "labels":{"endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io","kubernetes.io/service-name":"nginx"},
  "name":"nginx-x9z8y","namespace":"default","ownerReferences":[{"apiVersion":"v1","blockOwnerDeletion":true,"controller":true,
   "kind":"Service","name":"nginx","uid":"5e0c3d2a-2222-4f0b-8d1e-6b7c8d9e0002"}],
  "resourceVersion":"503","uid":"6e7f8a9b-9999-4c0d-8e1f-3a4b5c6d0009"},
 "endpoints":[{"addresses":["10.42.0.7"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"node-1",
   "hostname":"nginx-0","zone":"zone-a","hints":{"forZones":[{"name":"zone-a"}]},"deprecatedTopology":{"kubernetes.io/hostname":"node-1"},
   "targetRef":{"kind":"Pod","name":"nginx-5b7c9d-abcde","namespace":"default","uid":"9a8b7c6d-4444-4e5f-8a9b-1c2d3e4f0004"}}],
 "ports":[{"name":"http","port":8080,"protocol":"TCP","appProtocol":"http"}]}
"""#

private let ingressJSON = #"""
{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"annotations":{"nginx.ingress.kubernetes.io/rewrite-target":"/"},
 "creationTimestamp":"2025-01-10T09:00:00Z","generation":1,"name":"web","namespace":"default","resourceVersion":"900",
 "uid":"7f8a9b0c-aaaa-4d1e-8f2a-4b5c6d7e000a"},
 "spec":{"ingressClassName":"ferry","defaultBackend":{"resource":{"apiGroup":"k8s.example.com","kind":"StorageBucket","name":"static"}},
  "rules":[{"host":"example.com","http":{"paths":[
     {"path":"/","pathType":"Prefix","backend":{"service":{"name":"nginx","port":{"number":80}}}},
     {"path":"/api","pathType":"ImplementationSpecific","backend":{"service":{"name":"api","port":{"name":"http"}}}}]}}],
  "tls":[{"hosts":["example.com"],"secretName":"mytls"}]},
 "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.20","hostname":"lb.example.com",
   "ports":[{"port":443,"protocol":"TCP","error":"Pending"}]}]}}}
"""#

private let ingressClassJSON = #"""
{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"annotations":{"ingressclass.kubernetes.io/is-default-class":"true"},
 "creationTimestamp":"2025-01-10T09:00:00Z","name":"ferry","resourceVersion":"901","uid":"8a9b0c1d-bbbb-4e2f-8a3b-5c6d7e8f000b"},
 "spec":{"controller":"ferry.dev/ingress","parameters":{"apiGroup":"k8s.example.com","kind":"IngressParameters","name":"external-lb",
   "namespace":"default","scope":"Namespace"}}}
"""#

@Suite struct SchemaTests {
    // MARK: Known fields report nothing

    static let knownCases: [UnknownFieldCase] = [
        UnknownFieldCase("full Namespace", .namespace, namespaceJSON, []),
        UnknownFieldCase("full Service (LoadBalancer, IntOrString targetPorts)", .service, serviceJSON, []),
        UnknownFieldCase("full Endpoints", .endpoints, endpointsJSON, []),
        UnknownFieldCase("full Pod (probes, volumes, affinity, status)", .pod, podJSON, []),
        UnknownFieldCase("full Secret", .secret, secretJSON, []),
        UnknownFieldCase("full ConfigMap", .configMap, configMapJSON, []),
        UnknownFieldCase("full Event", .event, eventJSON, []),
        UnknownFieldCase("full EndpointSlice", .endpointSlice, endpointSliceJSON, []),
        UnknownFieldCase("full Ingress", .ingress, ingressJSON, []),
        UnknownFieldCase("full IngressClass", .ingressClass, ingressClassJSON, []),
        UnknownFieldCase("kubectl apply body", .service, #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},
             "labels":{"app":"nginx"},"name":"nginx","namespace":"default"},
             "spec":{"ports":[{"name":"http","port":80,"targetPort":8080}],"selector":{"app":"nginx"}}}
            """#, []),
        // Free-form and map subtrees: any key is data, not a field.
        UnknownFieldCase("fieldsV1 is free-form", .configMap, #"""
            {"metadata":{"managedFields":[{"fieldsV1":{"f:data":{"f:anything":{"nested":{"deep":1}}}}}]}}
            """#, []),
        UnknownFieldCase("IntOrString holding an object", .service, #"{"spec":{"ports":[{"targetPort":{"foo":1}}]}}"#, []),
        UnknownFieldCase("label and annotation keys", .pod, #"""
            {"metadata":{"labels":{"spec":"x","foo.bar/baz":"y"},"annotations":{"metadata.labelz":"z"}}}
            """#, []),
        UnknownFieldCase("ConfigMap data keys", .configMap, #"{"data":{"foo":"1","spec.bar":"2"},"binaryData":{"x":"AA=="}}"#, []),
        UnknownFieldCase("resource quantities", .pod, #"""
            {"spec":{"containers":[{"resources":{"limits":{"nvidia.com/gpu":"1","hugepages-2Mi":"64Mi"}}}],
              "overhead":{"cpu":"250m"}}}
            """#, []),
        // Nothing to compare: an empty object, nulls where structs and lists belong.
        UnknownFieldCase("empty object", .service, "{}", []),
        UnknownFieldCase("null struct and list", .service, #"{"metadata":null,"spec":{"ports":null,"selector":null}}"#, []),
        UnknownFieldCase("null list element", .service, #"{"spec":{"ports":[null,{"port":80}]}}"#, []),
        // Wrong JSON kinds are type errors upstream, never unknown fields.
        UnknownFieldCase("string where a struct belongs", .service, #"{"spec":"oops"}"#, []),
        UnknownFieldCase("object where a list belongs", .service, #"{"spec":{"ports":{"bar":1}}}"#, []),
        UnknownFieldCase("array where a struct belongs", .service, #"{"spec":[{"foo":1}]}"#, []),
        UnknownFieldCase("object where a scalar belongs", .service, #"{"spec":{"clusterIP":{"foo":1}}}"#, []),
        UnknownFieldCase("objects in a list of scalars", .service, #"{"spec":{"clusterIPs":[{"foo":1}]}}"#, []),
        UnknownFieldCase("object in a map of scalars", .service, #"{"spec":{"selector":{"app":{"foo":1}}}}"#, []),
    ]

    @Test(arguments: knownCases)
    func knownFieldsReportNothing(_ c: UnknownFieldCase) throws {
        #expect(Schema.unknownFields(in: try JSON.parse(c.json), resource: c.resource) == c.expected)
    }

    // MARK: Unknown fields are reported with upstream's paths

    static let unknownCases: [UnknownFieldCase] = [
        UnknownFieldCase("top level", .service, #"{"apiVersion":"v1","kind":"Service","foo":1}"#, ["foo"]),
        UnknownFieldCase("top level object", .configMap, #"{"spec":{"a":1}}"#, ["spec"]),
        UnknownFieldCase("in spec", .service, #"{"spec":{"foo":"x","type":"ClusterIP"}}"#, ["spec.foo"]),
        UnknownFieldCase("in metadata", .service, #"{"metadata":{"name":"x","labelz":{"a":"b"}}}"#, ["metadata.labelz"]),
        UnknownFieldCase("in a list element", .service, #"""
            {"spec":{"ports":[{"port":80},{"port":81,"bar":true}]}}
            """#, ["spec.ports[1].bar"]),
        UnknownFieldCase("in every list element", .service, #"""
            {"spec":{"ports":[{"bar":1},{"bar":2}]}}
            """#, ["spec.ports[0].bar", "spec.ports[1].bar"]),
        UnknownFieldCase("status", .service, #"{"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4","ipp":"x"}]}}}"#,
            ["status.loadBalancer.ingress[0].ipp"]),
        UnknownFieldCase("managedFields entry, beside free-form fieldsV1", .pod, #"""
            {"metadata":{"managedFields":[{"fieldsV1":{"f:x":{}},"fieldsV2":{}}]}}
            """#, ["metadata.managedFields[0].fieldsV2"]),
        UnknownFieldCase("deep in a Pod", .pod, #"""
            {"spec":{"containers":[{"name":"a"},{"name":"b","ports":[{"containerPortt":80}],
              "env":[{"name":"X","valueFrom":{"secretKeyRef":{"key":"k","nam":"s"}}}]}]}}
            """#, ["spec.containers[1].env[0].valueFrom.secretKeyRef.nam", "spec.containers[1].ports[0].containerPortt"]),
        UnknownFieldCase("Pod volumes", .pod, #"""
            {"spec":{"volumes":[{"name":"v","projected":{"sources":[{"serviceAccountToken":{"path":"t","audiences":["x"]}}]}}]}}
            """#, ["spec.volumes[0].projected.sources[0].serviceAccountToken.audiences"]),
        UnknownFieldCase("Ingress backend port", .ingress, #"""
            {"spec":{"rules":[{"http":{"paths":[{"backend":{"service":{"name":"s","port":{"nubmer":80}}}}]}}]}}
            """#, ["spec.rules[0].http.paths[0].backend.service.port.nubmer"]),
        UnknownFieldCase("EndpointSlice conditions", .endpointSlice, #"""
            {"endpoints":[{"addresses":["10.0.0.1"],"conditions":{"readyy":true}}],"ports":[{"port":80,"targetPort":80}]}
            """#, ["endpoints[0].conditions.readyy", "ports[0].targetPort"]),
        UnknownFieldCase("Event series and involvedObject", .event, #"""
            {"involvedObject":{"kind":"Pod","podName":"x"},"series":{"countt":1}}
            """#, ["involvedObject.podName", "series.countt"]),
        UnknownFieldCase("Endpoints subsets", .endpoints, #"{"subsets":[{"addresses":[{"ip":"1.1.1.1","zone":"a"}]}]}"#,
            ["subsets[0].addresses[0].zone"]),
        UnknownFieldCase("Namespace spec", .namespace, #"{"spec":{"finalizers":[],"foo":1}}"#, ["spec.foo"]),
        UnknownFieldCase("Secret", .secret, #"{"data":{},"strinData":{"a":"b"}}"#, ["strinData"]),
        UnknownFieldCase("IngressClass parameters", .ingressClass, #"{"spec":{"parameters":{"name":"x","group":"g"}}}"#,
            ["spec.parameters.group"]),
        // Matching is exact, as sigs.k8s.io/json's strict mode is case-sensitive.
        UnknownFieldCase("wrong case", .service, #"{"Spec":{},"metadata":{"Name":"x"}}"#, ["Spec", "metadata.Name"]),
        // U+212A KELVIN SIGN is canonically equivalent to "K" in Swift, but not the same bytes.
        UnknownFieldCase("canonically equivalent name", .pod, #"""
            {"spec":{"containers":[{"env":[{"valueFrom":{"secret\u212AeyRef":{}}}]}]}}
            """#, ["spec.containers[0].env[0].valueFrom.secret\u{212A}eyRef"]),
        // Nothing below an unknown field is inspected: upstream skips its value.
        UnknownFieldCase("not below an unknown field", .service, #"{"spec":{"foo":{"bar":{"baz":1}}}}"#, ["spec.foo"]),
        // Depth-first in byte order: kubectl's (Go-encoded) bodies have sorted keys, and upstream reports
        // fields in document order. "spec" sorts before "spec-x", so spec's children come before it, unlike
        // a plain sort of the paths ("spec-x" < "spec.aa").
        UnknownFieldCase("document order of sorted keys", .service, #"""
            {"zzz":1,"spec":{"zz":1,"ports":[{"y":1,"x":2}],"aa":1},"spec-x":1,"B":1}
            """#, ["B", "spec.aa", "spec.ports[0].x", "spec.ports[0].y", "spec.zz", "spec-x", "zzz"]),
        // Byte order, not Swift's `<`: a decomposed "é" (65 CC 81) sorts before "f", a precomposed one after.
        UnknownFieldCase("byte order of non-ASCII keys", .service, #"{"g":1,"\u00e9":1,"f":1,"e\u0301x":1}"#,
            ["e\u{301}x", "f", "g", "\u{e9}"]),
    ]

    @Test(arguments: unknownCases)
    func unknownFieldsAreReported(_ c: UnknownFieldCase) throws {
        #expect(Schema.unknownFields(in: try JSON.parse(c.json), resource: c.resource) == c.expected)
    }

    @Test func reportsAtMostOneHundred() {
        var object: [String: JSON] = [:]
        for i in 0..<150 { object[String(format: "f%03d", i)] = .int(Int64(i)) }
        let found = Schema.unknownFields(in: .object(object), resource: .configMap)
        #expect(found == (0..<100).map { String(format: "f%03d", $0) })
    }

    @Test func limitAppliesAcrossListElements() {
        let items = (0..<120).map { _ in JSON.object(["bar": 1]) }
        let found = Schema.unknownFields(in: ["spec": ["ports": .array(items)]], resource: .service)
        #expect(found.count == 100)
        #expect(found.last == "spec.ports[99].bar")
    }

    static let unschematized: [(String, JSON, ResourceType)] = [
        ("custom resource", ["foo": 1], ResourceType(
            group: "example.com", version: "v1", kind: "Widget", plural: "widgets", singular: "widget",
            namespaced: true, shortNames: [], categories: [], hasStatus: false, fieldLabels: [])),
        ("other version", ["foo": 1], ResourceType(
            group: "networking.k8s.io", version: "v1beta1", kind: "Ingress", plural: "ingresses", singular: "ingress",
            namespaced: true, shortNames: [], categories: [], hasStatus: true, fieldLabels: [])),
        ("array body", [["foo": 1]], .service),
        ("string body", "foo", .service),
        ("null body", nil, .service),
    ]

    @Test(arguments: unschematized)
    func nothingToCheck(_ label: String, body: JSON, resource: ResourceType) {
        #expect(Schema.unknownFields(in: body, resource: resource) == [], "\(label)")
    }

    // MARK: Shapes the served kinds lack (maps of structs, nested lists), on a hand-written table

    static let tinyTable = """
        @ v1 Thing Thing
        Thing items:{Item grid:[[Item names:[ free:* inner:Item
        Item name value
        """

    static let tinyCases: [(String, String, [String])] = [
        ("map values are structs", #"{"items":{"b":{"name":"x","bad":1},"a.b":{"oops":1}}}"#,
            ["items.a.b.oops", "items.b.bad"]),
        ("nested lists", #"{"grid":[[{"name":"a"}],[{"value":1},{"nope":1}]]}"#, ["grid[1][1].nope"]),
        ("scalars and free-form", #"{"names":["a"],"free":{"x":{"y":1}},"inner":{"name":"n"}}"#, []),
        ("struct field", #"{"inner":{"zzz":1}}"#, ["inner.zzz"]),
    ]

    @Test(arguments: tinyCases)
    func walksEveryShape(_ label: String, json: String, expected: [String]) throws {
        let table = try Schema.Table(parsing: Self.tinyTable)
        #expect(table.unknownFields(in: try JSON.parse(json), type: "Thing") == expected, "\(label)")
    }

    // MARK: The generated table

    @Test func generatedTableParsesAndCoversEveryServedKind() throws {
        let table = try Schema.Table(parsing: Schema.generatedTable)
        for resource in ResourceType.all {
            #expect(table.roots[Schema.Table.rootKey(apiVersion: resource.apiVersion, kind: resource.kind)] != nil,
                "\(resource.kind)")
        }
        #expect(table.roots.count == ResourceType.all.count)
    }

    // Spot checks against k8s.io/api v0.32 (core/v1 ServicePort, meta/v1 ManagedFieldsEntry, core/v1 PodIP).
    static let spotChecks: [(String, [String: Schema.Shape])] = [
        ("V1ServicePort", [
            "appProtocol": .scalar, "name": .scalar, "nodePort": .scalar, "port": .scalar, "protocol": .scalar,
            "targetPort": .freeForm,
        ]),
        ("V1ManagedFieldsEntry", [
            "apiVersion": .scalar, "fieldsType": .scalar, "fieldsV1": .freeForm, "manager": .scalar,
            "operation": .scalar, "subresource": .scalar, "time": .scalar,
        ]),
        ("V1Service", [
            "apiVersion": .scalar, "kind": .scalar, "metadata": .object("V1ObjectMeta"),
            "spec": .object("V1ServiceSpec"), "status": .object("V1ServiceStatus"),
        ]),
        ("V1PodIP", ["ip": .scalar]),
    ]

    @Test(arguments: spotChecks)
    func generatedTypesMatchUpstream(_ type: String, fields: [String: Schema.Shape]) {
        #expect(Schema.table.types[type]?.shapes == fields)
    }

    @Test func generatedShapesOfCollections() {
        let meta = Schema.table.types["V1ObjectMeta"]?.shapes
        #expect(meta?["labels"] == .map(.scalar))
        #expect(meta?["finalizers"] == .list(.scalar))
        #expect(meta?["ownerReferences"] == .list(.object("V1OwnerReference")))
        #expect(meta?["labelz"] == nil)
    }

    // MARK: Table parsing rejects malformed text

    static let malformedTables: [(String, Schema.TableError)] = [
        ("@ v1 Thing", .malformedLine(1)),
        ("@ v1 Thing T\n@ v1 Thing T\nT a", .duplicate("v1 Thing")),
        ("T a\nT b", .duplicate("T")),
        ("T a a", .badShape(line: 1, field: "a")),
        ("T a\n\n \nU b", .malformedLine(3)),
        ("T :U", .badShape(line: 1, field: "")),
        ("T a:*x", .badShape(line: 1, field: "a")),
        ("T a:U-1", .badShape(line: 1, field: "a")),
        ("T a:U", .undefinedType("U")),
        ("T a:[{U", .undefinedType("U")),
        ("@ v1 Thing Missing\nT a", .undefinedType("Missing")),
    ]

    @Test(arguments: malformedTables)
    func malformedTablesAreRejected(_ text: String, expected: Schema.TableError) {
        #expect(throws: expected) { try Schema.Table(parsing: text) }
    }
}
