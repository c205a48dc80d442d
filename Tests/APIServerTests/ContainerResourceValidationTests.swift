import Foundation
import KubeAPI
import TestSupport
import Testing

/// A container's `resources` as upstream 1.32 validates them (ValidateContainerResourceRequirements), with its field
/// paths and messages, for pods (whose requests default to their limits first) and for workloads' pod templates.
@Suite struct ContainerResourceValidationTests {
    @Test func podsGetUpstreamsResourceMessages() async throws {
        let k = try await KubectlHarness(controllers: false)
        func create(_ resources: String, initContainer: Bool = false) async throws -> (code: Int, message: String) {
            let container = #"{"name":"c","image":"x","resources":"# + resources + "}"
            let spec = initContainer ? #"{"initContainers":["# + container + #"],"containers":[{"name":"main","image":"x"}]}"# : #"{"containers":["# + container + "]}"
            let response = try await k.curl("POST", "/api/v1/namespaces/default/pods",
                                            body: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":"# + spec + "}")
            let value = try JSONValue(parsing: Data(response.body.utf8))
            return (response.code, value["message"]?.stringValue ?? response.body)
        }
        let cases: [(resources: String, initContainer: Bool, message: String)] = [
            (#"{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}"#, false,
             #"Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1"#),
            (#"{"requests":{"memory":"-1Gi"}}"#, false,
             #"Pod "p" is invalid: spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0"#),
            (#"{"requests":{"gpu":"1"}}"#, false,
             #"Pod "p" is invalid: [spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified, spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers]"#),
            (#"{"requests":{"example.com/gpu":"500m"}}"#, false,
             #"Pod "p" is invalid: [spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer, spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources]"#),
            (#"{"requests":{"example.com/gpu":"1"},"limits":{"example.com/gpu":"2"}}"#, false,
             #"Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2"#),
            // A domain outside kubernetes.io, yet not an extended resource name (it says `requests.`).
            (#"{"limits":{"requests.example.com/gpu":"1"}}"#, false,
             #"Pod "p" is invalid: [spec.containers[0].resources.limits[requests.example.com/gpu]: Invalid value: "requests.example.com/gpu": doesn't follow extended resource name standard, spec.containers[0].resources.requests[requests.example.com/gpu]: Invalid value: "requests.example.com/gpu": doesn't follow extended resource name standard]"#),
            // Limits alone: the requests default to them, so hugepages that are not whole pages are refused twice.
            (#"{"limits":{"hugepages-2Mi":"3Mi"}}"#, true,
             #"Pod "p" is invalid: [spec.initContainers[0].resources.limits[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi, spec.initContainers[0].resources.requests[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi, spec.initContainers[0].resources: Forbidden: HugePages require cpu or memory]"#),
        ]
        for (resources, initContainer, message) in cases {
            let refused = try await create(resources, initContainer: initContainer)
            #expect(refused.code == 422 && refused.message == message, "\(resources): \(refused)")
        }
        // What upstream accepts: requests up to the limits, whole pages beside memory, an extended resource requested as
        // limited; nothing refused is stored.
        #expect(try await create(#"{"requests":{"cpu":"250m","memory":"64Mi"},"limits":{"cpu":"1","memory":"64Mi","hugepages-2Mi":"4Mi","example.com/gpu":"1"}}"#).code == 201)
        #expect(try await k.ok("get", "pods", "-o", "name") == "pod/p\n")
    }

    @Test func templatesAreCheckedAsPods() async throws {
        let k = try await KubectlHarness(controllers: false)
        let result = try await k.kubectl("create", "-f", "-", stdin: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - {name: c, image: x, resources: {requests: {cpu: "2"}, limits: {cpu: 500m}}}
            """)
        #expect(result.status != 0 && result.stderr.contains(
            #"The Deployment "web" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 500m"#), "\(result)")
        #expect(try await k.ok("get", "deployments", "-o", "name").isEmpty)
    }
}
