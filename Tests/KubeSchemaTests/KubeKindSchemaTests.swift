import KubeAPI
import KubeSchema
import Testing

/// The schemas derived from the KubeAPI kinds have upstream's shape where kubectl looks.
struct KubeKindSchemaTests {
    let core: [String: JSONValue]
    let apps: [String: JSONValue]

    init() throws {
        core = try OpenAPISchemas.components(for: [Pod.self, ConfigMap.self])
        apps = try OpenAPISchemas.components(for: [Deployment.self])
    }

    @Test func podSpecContainersIsAKeyedArrayOfContainer() throws {
        let pod = try #require(core["io.k8s.api.core.v1.Pod"])
        #expect(pod[path: ["properties", "spec", "allOf"]] == [ref("io.k8s.api.core.v1.PodSpec")])

        let containers = try #require(core["io.k8s.api.core.v1.PodSpec"]?[path: ["properties", "containers"]])
        #expect(containers["type"] == "array")
        #expect(containers["items"] == ref("io.k8s.api.core.v1.Container"))
        #expect(containers["x-kubernetes-list-type"] == "map")
        #expect(containers["x-kubernetes-list-map-keys"] == ["name"])
        #expect(containers["x-kubernetes-patch-merge-key"] == "name")
        #expect(containers["x-kubernetes-patch-strategy"] == "merge")
        #expect(core["io.k8s.api.core.v1.PodSpec"]?["required"] == ["containers"])
    }

    @Test func containerNameIsRequiredAndImageOptional() throws {
        let container = try #require(core["io.k8s.api.core.v1.Container"])
        let required = container["required"]?.arrayValue ?? []
        #expect(required.contains("name"))
        #expect(!required.contains("image"))
        #expect(container[path: ["properties", "image", "type"]] == "string")
        #expect(container[path: ["properties", "command", "items"]] == ["type": "string"])
    }

    @Test func objectMetaLabelsIsAStringMap() throws {
        let meta = try #require(core["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"])
        #expect(meta[path: ["properties", "labels", "type"]] == "object")
        #expect(meta[path: ["properties", "labels", "additionalProperties"]] == ["type": "string"])
        #expect(meta[path: ["properties", "creationTimestamp", "allOf"]] == [ref("io.k8s.apimachinery.pkg.apis.meta.v1.Time")])
        #expect(core["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]?["format"] == "date-time")
        #expect(core["io.k8s.api.core.v1.Pod"]?["required"] == nil, "no kind requires metadata")
    }

    @Test func quantitiesAreIntOrString() throws {
        let limits = try #require(core["io.k8s.api.core.v1.ResourceRequirements"]?[path: ["properties", "limits"]])
        #expect(limits["additionalProperties"] == ref("io.k8s.apimachinery.pkg.api.resource.Quantity"))
        let quantity = try #require(core["io.k8s.apimachinery.pkg.api.resource.Quantity"])
        #expect(quantity["x-kubernetes-int-or-string"] == true)
        #expect(quantity["oneOf"] == [["type": "string"], ["type": "number"]])
    }

    @Test func deploymentCarriesItsGroupVersionKind() throws {
        let deployment = try #require(apps["io.k8s.api.apps.v1.Deployment"])
        #expect(deployment["x-kubernetes-group-version-kind"] == [["group": "apps", "version": "v1", "kind": "Deployment"]])
        #expect(deployment["description"] != nil)
        #expect(apps["io.k8s.api.apps.v1.DeploymentList"]?["x-kubernetes-group-version-kind"]
            == [["group": "apps", "version": "v1", "kind": "DeploymentList"]])

        let strategy = try #require(apps["io.k8s.api.apps.v1.DeploymentStrategy"])
        #expect(strategy[path: ["properties", "rollingUpdate", "allOf"]] == [ref("io.k8s.api.apps.v1.RollingUpdateDeployment")])
        let maxSurge = apps["io.k8s.api.apps.v1.RollingUpdateDeployment"]?[path: ["properties", "maxSurge", "allOf"]]
        #expect(maxSurge == [ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString")])
        #expect(apps["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]?["x-kubernetes-int-or-string"] == true)
        #expect(apps["io.k8s.api.apps.v1.DeploymentSpec"]?["required"] == ["template"])
        #expect(apps["io.k8s.api.core.v1.PodTemplateSpec"] != nil, "the pod template stays in core/v1")
    }

    @Test func secretDataStaysAStringMap() throws {
        let secret = try OpenAPISchemas.components(for: [Secret.self])
        #expect(secret["io.k8s.api.core.v1.Secret"]?[path: ["properties", "data", "additionalProperties"]] == ["type": "string"])
    }

    @Test func schemaNamesFollowUpstreamPackages() {
        #expect(OpenAPISchemas.schemaName(of: Pod.self) == "io.k8s.api.core.v1.Pod")
        #expect(OpenAPISchemas.schemaName(of: DeploymentSpec.self) == "io.k8s.api.apps.v1.DeploymentSpec")
        #expect(OpenAPISchemas.schemaName(of: EndpointSlice.self) == "io.k8s.api.discovery.v1.EndpointSlice")
        #expect(OpenAPISchemas.schemaName(of: EndpointSlicePort.self) == "io.k8s.api.discovery.v1.EndpointPort")
        #expect(OpenAPISchemas.schemaName(of: Lease.self) == "io.k8s.api.coordination.v1.Lease")
        #expect(OpenAPISchemas.schemaName(of: ObjectMeta.self) == "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        #expect(OpenAPISchemas.schemaName(of: ObjectList<Job>.self) == "io.k8s.api.batch.v1.JobList")
        #expect(OpenAPISchemas.listSchemaName(of: Job.self) == "io.k8s.api.batch.v1.JobList")
        #expect(OpenAPISchemas.schemaName(of: EventsV1Event.self) == "io.k8s.api.events.v1.Event")
        #expect(OpenAPISchemas.listSchemaName(of: EventsV1Event.self) == "io.k8s.api.events.v1.EventList")
        #expect(OpenAPISchemas.schemaName(of: EventsV1EventSeries.self) == "io.k8s.api.events.v1.EventSeries")
        #expect(OpenAPISchemas.schemaName(of: Event.self) == "io.k8s.api.core.v1.Event")
    }

    @Test(arguments: (KubeKinds.all + KubeKinds.views).map { KindCase($0) })
    func everyKindHasASelfContainedSchema(_ kind: KindCase) throws {
        let schemas = try OpenAPISchemas.components(for: [kind.type])
        let resource = kind.type.resource
        let gvk: JSONValue = ["group": .string(resource.group), "version": .string(resource.version), "kind": .string(resource.kind)]
        #expect(schemas[OpenAPISchemas.schemaName(of: kind.type)]?["x-kubernetes-group-version-kind"] == [gvk])
        #expect(schemas[OpenAPISchemas.listSchemaName(of: kind.type)] != nil)
        for name in references(in: .object(schemas)) {
            #expect(schemas[name] != nil, "\(name) is referenced but missing")
        }
    }

    @Test func outputIsDeterministic() throws {
        let forward = try OpenAPISchemas.components(for: KubeKinds.all)
        let backward = try OpenAPISchemas.components(for: KubeKinds.all.reversed())
        #expect(JSONValue.object(forward).serialized() == JSONValue.object(backward).serialized())
    }
}

/// A kind as a test argument with a readable name.
struct KindCase: CustomTestStringConvertible, Sendable {
    let type: any KubeObject.Type
    init(_ type: any KubeObject.Type) { self.type = type }
    var testDescription: String { type.resource.kind }
}

func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

/// The component names every `$ref` in `value` points at.
func references(in value: JSONValue) -> Set<String> {
    switch value {
    case .object(let members):
        var names = Set(members.values.flatMap { references(in: $0) })
        if let target = members["$ref"]?.stringValue { names.insert(String(target.dropFirst("#/components/schemas/".count))) }
        return names
    case .array(let elements):
        return Set(elements.flatMap { references(in: $0) })
    default:
        return []
    }
}
