import Foundation
import Testing
import TestSupport

/// The kinds kubectl's defaults expect a server to have: core/v1 ReplicationController and networking.k8s.io/v1
/// Ingress (in `kubectl apply --prune`'s default list), IngressClass and NetworkPolicy, with the real kubectl 1.32.
@Suite(.serialized) struct KubectlDefaultKindsTests {
    /// Objects labelled `app=shop`: the manifest directory `apply --prune -l app=shop` is run over.
    static let shop = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, labels: {app: shop}}
        data: {mode: fast}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: legacy, labels: {app: shop}}
        data: {mode: slow}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: shop, labels: {app: shop}}
        spec:
          rules:
          - host: shop.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
        """

    @Test func applyPruneWithTheDefaultListPrunesWhatLeftTheManifest() async throws {
        let k = try await KubectlHarness()
        let directory = k.workDirectory + "/shop"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.shop.write(toFile: directory + "/shop.yaml", atomically: true, encoding: .utf8)
        let first = try await k.ok("apply", "--prune", "-l", "app=shop", "-f", directory)
        #expect(first.contains("configmap/legacy created") && first.contains("ingress.networking.k8s.io/shop created"), "\(first)")
        // The legacy ConfigMap and the Ingress leave the manifest: the default prune list (which names
        // replicationcontrollers and networking.k8s.io ingresses) must resolve, and both go.
        let kept = Self.shop.components(separatedBy: "---\n")[0]
        try kept.write(toFile: directory + "/shop.yaml", atomically: true, encoding: .utf8)
        let second = try await k.kubectl("apply", "--prune", "-l", "app=shop", "-f", directory)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("configmap/settings unchanged"), "\(second)")
        #expect(second.stdout.contains("configmap/legacy pruned") && second.stdout.contains("ingress.networking.k8s.io/shop pruned"), "\(second)")
        #expect(try await k.ok("get", "configmaps,ingresses", "-l", "app=shop", "-o", "name") == "configmap/settings\n")
    }

    @Test func replicationControllerCreatesScalesAndDeletesPods() async throws {
        let k = try await KubectlHarness()
        let rc = """
            apiVersion: v1
            kind: ReplicationController
            metadata: {name: web}
            spec:
              replicas: 2
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: nginx, image: nginx:1.25}]
            """
        #expect(try await k.ok("apply", "-f", try k.file("rc.yaml", rc)).contains("replicationcontroller/web created"))
        // Upstream's defaults: the selector and the object's labels come from the template.
        #expect(try await k.ok("get", "rc", "web", "-o", "jsonpath={.spec.selector.app} {.metadata.labels.app}") == "web web")
        func pods() async -> [String] {
            let out = (try? await k.ok("get", "pods", "-l", "app=web", "-o",
                                      "jsonpath={range .items[?(@.metadata.deletionTimestamp)]}x{end}{range .items[*]}{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {end}")) ?? ""
            return out.split(separator: " ").map(String.init).filter { !$0.hasPrefix("x") }
        }
        try await waitFor("two pods owned by the ReplicationController") { await pods() == ["ReplicationController/web", "ReplicationController/web"] }
        try await waitFor("status.replicas 2") { (try? await k.ok("get", "rc", "web", "-o", "jsonpath={.status.replicas}")) == "2" }
        let table = try await k.ok("get", "rc")
        let header = table.split(separator: "\n").first.map { $0.split(separator: " ").joined(separator: " ") }
        #expect(header == "NAME DESIRED CURRENT READY AGE", "\(table)")
        #expect(table.contains("web    2         2         0"), "\(table)")
        #expect(try await k.ok("get", "rc", "--field-selector", "status.replicas=2", "-o", "name") == "replicationcontroller/web\n")
        let wide = try await k.ok("get", "rc", "web", "-o", "wide")
        #expect(wide.contains("SELECTOR") && wide.contains("nginx:1.25") && wide.contains("app=web"), "\(wide)")

        // The scale subresource: kubectl scale, and the Scale's selector is the label map.
        #expect(try await k.ok("scale", "rc", "web", "--replicas=3").contains("replicationcontroller/web scaled"))
        try await waitFor("three pods") { await pods().count == 3 }
        let scale = try await k.ok("get", "--raw", "/api/v1/namespaces/default/replicationcontrollers/web/scale")
        #expect(scale.contains(#""kind":"Scale""#) && scale.contains(#""selector":"app=web""#) && scale.contains(#""spec":{"replicas":3}"#), "\(scale)")
        _ = try await k.ok("scale", "rc", "web", "--replicas=1")
        try await waitFor("one pod") { await pods().count == 1 }
        let events = try await k.ok("get", "events", "--field-selector", "involvedObject.kind=ReplicationController", "-o",
                                    "jsonpath={range .items[*]}{.source.component}/{.reason} {end}")
        #expect(events.contains("replication-controller/SuccessfulCreate") && events.contains("replication-controller/SuccessfulDelete"), "\(events)")

        // Upstream's validation: the selector must match the template's labels, replicas ≥ 0, restartPolicy Always.
        let invalid = try await k.kubectl("create", "-f", "-", stdin: """
            apiVersion: v1
            kind: ReplicationController
            metadata: {name: bad}
            spec:
              replicas: -1
              selector: {app: other}
              template:
                metadata: {labels: {app: web}}
                spec:
                  restartPolicy: Never
                  containers: [{name: nginx, image: nginx:1.25}]
            """)
        Self.expectInvalid(invalid, #"The ReplicationController "bad" is invalid:"#, [
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            #"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#,
            #"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
        ])

        // Deleting it deletes its pods (ownerReferences and the garbage collector).
        _ = try await k.ok("delete", "rc", "web")
        try await waitFor("the pods gone") { await pods().isEmpty }
    }

    @Test func createIngressAndPrintTheColumnsOfTheNetworkingKinds() async throws {
        let k = try await KubectlHarness()
        let created = try await k.ok("create", "ingress", "web", "--class=nginx", "--rule=foo.com/bar=svc1:8080,tls=foo-cert", "--rule=bar.com/*=svc2:http")
        #expect(created.contains("ingress.networking.k8s.io/web created"), "\(created)")
        #expect(try await k.ok("get", "ingress", "web", "-o", "jsonpath={.spec.rules[0].http.paths[0].pathType} {.spec.rules[1].http.paths[0].pathType} {.spec.rules[1].http.paths[0].backend.service.port.name}")
                == "Exact Prefix http")
        let ingresses = try await k.ok("get", "ing")
        let lines = ingresses.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.first == "NAME CLASS HOSTS ADDRESS PORTS AGE", "\(ingresses)")
        #expect(lines.last?.hasPrefix("web nginx foo.com,bar.com 80, 443 ") == true, "\(ingresses)")
        // The status subresource belongs to the ingress controller: an address it reports shows in ADDRESS.
        _ = try await k.ok("patch", "ingress", "web", "--subresource=status", "--type=merge", "-p",
                           #"{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}"#)
        #expect(try await k.ok("get", "ing", "web").contains("192.0.2.10"))

        let ingressClass = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\nspec:\n  controller: k8s.io/ingress-nginx\n  parameters: {apiGroup: k8s.example.com, kind: Config, name: external}\n"
        _ = try await k.ok("apply", "-f", try k.file("class.yaml", ingressClass))
        let classes = try await k.ok("get", "ingressclass").split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(classes.first == "NAME CONTROLLER PARAMETERS AGE" && classes.last?.hasPrefix("nginx k8s.io/ingress-nginx Config.k8s.example.com/external ") == true, "\(classes)")
        #expect(try await k.ok("get", "ingressclass", "nginx", "-o", "jsonpath={.spec.parameters.scope}") == "Cluster")
        // The DefaultIngressClass admission plugin: an Ingress naming no class gets the default one.
        _ = try await k.ok("create", "ingress", "plain", "--rule=/=svc3:80")
        #expect(try await k.ok("get", "ingress", "plain", "-o", "jsonpath={.spec.ingressClassName}") == "nginx")

        let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 5432}]\n"
        #expect(try await k.ok("apply", "-f", try k.file("policy.yaml", policy)).contains("networkpolicy.networking.k8s.io/db created"))
        let policies = try await k.ok("get", "netpol").split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(policies.first == "NAME POD-SELECTOR AGE" && policies.last?.hasPrefix("db app=db ") == true, "\(policies)")
        // Upstream's defaults: policyTypes from the rules, TCP for ports.
        #expect(try await k.ok("get", "netpol", "db", "-o", "jsonpath={.spec.policyTypes} {.spec.ingress[0].ports[0].protocol}") == #"["Ingress"] TCP"#)
        let resources = try await k.ok("api-resources", "--api-group=networking.k8s.io", "-o", "name")
        #expect(resources == "ingressclasses.networking.k8s.io\ningresses.networking.k8s.io\nnetworkpolicies.networking.k8s.io\n", "\(resources)")
    }

    @Test func invalidIngressAndNetworkPolicyGetUpstreamsStatus() async throws {
        let k = try await KubectlHarness(controllers: false)
        let ingress = try await k.kubectl("apply", "-f", "-", stdin: """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: bad}
            spec:
              rules:
              - host: 10.0.0.1
                http:
                  paths:
                  - path: /a
                    backend: {service: {name: svc}}
                  - path: b
                    pathType: Exact
                    backend: {service: {name: svc}}
                  - path: /c
                    pathType: Fuzzy
                    backend: {service: {name: svc, port: {number: 80}}}
            """)
        Self.expectInvalid(ingress, #"The Ingress "bad" is invalid:"#, [
            #"spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address"#,
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
            #"spec.rules[0].http.paths[1].path: Invalid value: "b": must be an absolute path"#,
            "spec.rules[0].http.paths[1].backend: Required value: port name or number is required",
            #"spec.rules[0].http.paths[2].pathType: Unsupported value: "Fuzzy": supported values: "Exact", "ImplementationSpecific", "Prefix""#,
        ])

        let policy = try await k.kubectl("apply", "-f", "-", stdin: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: bad}
            spec:
              podSelector: {}
              policyTypes: [Ingress, Sideways]
              egress:
              - ports: [{port: 9000, endPort: 8000}, {protocol: ICMP, port: http, endPort: 90}]
                to: [{}, {ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}, podSelector: {}}]
            """)
        Self.expectInvalid(policy, #"The NetworkPolicy "bad" is invalid:"#, [
            "spec.egress[0].ports[0].endPort: Invalid value: 8000: must be greater than or equal to `port`",
            #"spec.egress[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP""#,
            "spec.egress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
            "spec.egress[0].to[0]: Required value: must specify a peer",
            #"spec.egress[0].to[1].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`"#,
            "spec.egress[0].to[1]: Forbidden: may not specify both ipBlock and another peer",
            #"spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress""#,
        ])

        // The Status itself: 422 Invalid with the field paths as causes.
        let raw = try await k.curl("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
                                   body: #"{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"empty"},"spec":{}}"#)
        #expect(raw.code == 422, "\(raw)")
        #expect(raw.body.contains(#""reason":"Invalid""#) && raw.body.contains(#""field":"spec""#)
                && raw.body.contains("either `defaultBackend` or `rules` must be specified"), "\(raw.body)")
        let ingressClass = try await k.kubectl("apply", "-f", "-", stdin: "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c}\nspec: {controller: nginx}\n")
        #expect(ingressClass.stderr.contains(#"The IngressClass "c" is invalid: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")"#), "\(ingressClass)")
    }

    /// kubectl prints a 422 with several causes as `The <Kind> "<name>" is invalid:` and one `* field: message` line
    /// each, in the server's order.
    static func expectInvalid(_ result: CommandResult, _ heading: String, _ causes: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let expected = heading + " \n" + causes.map { "* " + $0 }.joined(separator: "\n") + "\n"
        #expect(result.stderr.contains(expected), "\(result)", sourceLocation: sourceLocation)
    }

    @Test func explainIngressSpecRules() async throws {
        let k = try await KubectlHarness(controllers: false)
        let rules = try await k.ok("explain", "ingress.spec.rules")
        #expect(rules.contains("GROUP:      networking.k8s.io") && rules.contains("KIND:       Ingress") && rules.contains("FIELD: rules <[]IngressRule>"), "\(rules)")
        #expect(rules.contains("host\t<string>") && rules.contains("http\t<HTTPIngressRuleValue>"), "\(rules)")
        let recursive = try await k.ok("explain", "ingress.spec.rules.http.paths", "--recursive")
        #expect(recursive.contains("pathType") && recursive.contains("backend") && recursive.contains("service") && recursive.contains("number"), "\(recursive)")
        let rc = try await k.ok("explain", "rc.spec")
        #expect(rc.contains("KIND:       ReplicationController") && rc.contains("selector\t<map[string]string>"), "\(rc)")
        let policy = try await k.ok("explain", "netpol.spec.egress.ports")
        #expect(policy.contains("endPort\t<integer>") && policy.contains("port\t<IntOrString>"), "\(policy)")
    }
}
