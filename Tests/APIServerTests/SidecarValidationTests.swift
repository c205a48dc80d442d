import Foundation
import KubeAPI
import TestSupport
import Testing

/// A container's `restartPolicy` as upstream 1.32 validates it, with its field paths and messages.
@Suite struct SidecarValidationTests {
    @Test func restartPolicyOnlyOnInitContainersAndOnlyAlways() async throws {
        let k = try await KubectlHarness(controllers: false)
        func create(_ spec: String) async throws -> (code: Int, message: String) {
            let response = try await k.curl("POST", "/api/v1/namespaces/default/pods",
                                            body: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":"# + spec + "}")
            let value = try JSONValue(parsing: Data(response.body.utf8))
            return (response.code, value["message"]?.stringValue ?? response.body)
        }
        let app = try await create(#"{"containers":[{"name":"c","image":"x","restartPolicy":"Always"}]}"#)
        #expect(app.code == 422 && app.message == #"Pod "p" is invalid: spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"#, "\(app)")
        let never = try await create(#"{"initContainers":[{"name":"i","image":"x","restartPolicy":"Never"}],"containers":[{"name":"c","image":"x"}]}"#)
        #expect(never.code == 422 && never.message == #"Pod "p" is invalid: spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always""#, "\(never)")
        let probed = try await create(#"{"initContainers":[{"name":"i","image":"x","readinessProbe":{"exec":{"command":["true"]}}}],"containers":[{"name":"c","image":"x"}]}"#)
        #expect(probed.code == 422 && probed.message == #"Pod "p" is invalid: spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"#, "\(probed)")
        // A sidecar with probes and hooks is accepted.
        let sidecar = try await create(#"{"initContainers":[{"name":"s","image":"x","restartPolicy":"Always","readinessProbe":{"exec":{"command":["true"]}},"lifecycle":{"preStop":{"exec":{"command":["true"]}}}}],"containers":[{"name":"c","image":"x"}]}"#)
        #expect(sidecar.code == 201, "\(sidecar)")
    }
}
