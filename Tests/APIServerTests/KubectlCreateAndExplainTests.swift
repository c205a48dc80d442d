import Foundation
import Testing
import TestSupport

/// `kubectl create <kind>` (protobuf request bodies), `kubectl explain` (OpenAPI v3), namespace termination.
@Suite struct KubectlCreateAndExplainTests {
    @Test func createSubcommandsSendProtobufAndWork() async throws {
        let k = try await KubectlHarness()
        #expect(try await k.ok("create", "configmap", "cm", "--from-literal=a=1").contains("configmap/cm created"))
        #expect(try await k.ok("create", "secret", "generic", "sec", "--from-literal=p=q").contains("secret/sec created"))
        #expect(try await k.ok("create", "deployment", "web", "--image=nginx:1.25", "--replicas=2").contains("deployment.apps/web created"))
        #expect(try await k.ok("create", "service", "nodeport", "np", "--tcp=80:8080").contains("service/np created"))
        #expect(try await k.ok("create", "job", "once", "--image=busybox:1.36", "--", "true").contains("job.batch/once created"))
        #expect(try await k.ok("create", "namespace", "team").contains("namespace/team created"))
        #expect(try await k.ok("create", "serviceaccount", "robot", "-n", "team").contains("serviceaccount/robot created"))
        #expect(try await k.ok("get", "cm", "cm", "-o", "jsonpath={.data.a}") == "1")
        #expect(try await k.ok("get", "secret", "sec", "-o", "jsonpath={.data.p}") == "cQ==")
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.spec.strategy.type}") == "2 RollingUpdate")
        #expect(try await k.ok("get", "svc", "np", "-o", "jsonpath={.spec.type} {.spec.ports[0].targetPort}") == "NodePort 8080")
        #expect(try await k.ok("get", "job", "once", "-o", "jsonpath={.spec.template.spec.restartPolicy}") == "Never")
        let secrets = try await k.ok("get", "secrets")
        #expect(secrets.contains("TYPE") && secrets.contains("Opaque"))
        let duplicate = try await k.kubectl("create", "configmap", "cm")
        #expect(duplicate.status != 0 && duplicate.stderr.contains("configmaps \"cm\" already exists"), "\(duplicate)")
    }

    @Test func explainReadsTheOpenAPISchemas() async throws {
        let k = try await KubectlHarness()
        let spec = try await k.ok("explain", "pod.spec")
        #expect(spec.contains("KIND:       Pod") && spec.contains("FIELD: spec <PodSpec>"), "\(spec)")
        #expect(spec.contains("containers\t<[]Container> -required-"), "\(spec)")
        let strategy = try await k.ok("explain", "deployment.spec.strategy", "--recursive")
        #expect(strategy.contains("GROUP:      apps") && strategy.contains("rollingUpdate") && strategy.contains("maxSurge"), "\(strategy)")
        let unknown = try await k.kubectl("explain", "pod.spec.nonsense")
        #expect(unknown.status != 0 && unknown.stderr.contains("field \"nonsense\" does not exist"), "\(unknown)")
    }

    /// A manifest with a wrongly typed field is refused in Go's `encoding/json` words, as upstream's API server says
    /// it: the Go struct, the field's JSON path without list indices, the field's Go type. Nothing is created.
    @Test func wronglyTypedFieldsAreRefusedInUpstreamsWords() async throws {
        let k = try await KubectlHarness(controllers: false)
        let cases: [(String, String)] = [
            ("containers: [{name: c, image: true}]",
             "json: cannot unmarshal bool into Go struct field Container.spec.containers.image of type string"),
            ("containers: [{name: c, image: b, ports: [{containerPort: \"80\"}]}]",
             "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"),
            ("containers: nope",
             "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container"),
            ("containers: [{name: c, image: b}]\n  nodeSelector: {disk: 1}",
             "json: cannot unmarshal number into Go struct field PodSpec.spec.nodeSelector of type string"),
        ]
        for (spec, message) in cases {
            let result = try await k.kubectl("apply", "-f", "-", stdin: "apiVersion: v1\nkind: Pod\nmetadata: {name: typed}\nspec:\n  \(spec)\n")
            #expect(result.status != 0 && result.stderr.contains("Pod in version \"v1\" cannot be handled as a Pod: \(message)"), "\(result)")
        }
        let replicas = try await k.kubectl("create", "-f", "-", stdin: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: \"3\"}\n")
        #expect(replicas.stderr.contains("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"), "\(replicas)")
        #expect(try await k.ok("get", "pods,deployments", "-o", "name").isEmpty)
    }

    @Test func deletedNamespaceTerminatesUntilFinalized() async throws {
        // Without the namespace controller the namespace stays Terminating until finalized by hand.
        let k = try await KubectlHarness(controllers: false)
        _ = try await k.ok("create", "namespace", "gone")
        // A create before the delete: the server has seen the namespace live, and must notice the change.
        _ = try await k.ok("create", "configmap", "early", "-n", "gone")
        _ = try await k.ok("delete", "namespace", "gone", "--wait=false")
        #expect(try await k.ok("get", "namespace", "gone", "-o", "jsonpath={.status.phase}") == "Terminating")
        let blocked = try await k.kubectl("create", "configmap", "late", "-n", "gone")
        #expect(blocked.status != 0 && blocked.stderr.contains("because it is being terminated"), "\(blocked)")
        let finalize = try await k.curl("PUT", "/api/v1/namespaces/gone/finalize",
                                        body: #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"gone"},"spec":{"finalizers":[]}}"#)
        #expect(finalize.code == 200, "\(finalize)")
        #expect(try await k.kubectl("get", "namespace", "gone").status != 0)
        let missing = try await k.kubectl("create", "configmap", "later", "-n", "gone")
        #expect(missing.status != 0 && missing.stderr.contains(#"namespaces "gone" not found"#), "\(missing)")
        // Made again under the same name: live again.
        _ = try await k.ok("create", "namespace", "gone")
        _ = try await k.ok("create", "configmap", "again", "-n", "gone")
    }
}
