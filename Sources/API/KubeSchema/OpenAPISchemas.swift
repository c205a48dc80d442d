import KubeAPI

/// The OpenAPI v3 component schemas of the served kinds, derived from the KubeAPI types' own `init(from:)`
/// rather than written by hand, named as upstream names them.
///
/// The API server builds each `/openapi/v3/<group-version>` document's `components.schemas` from the kinds of
/// that group-version and points its operations at them by name:
///
/// ```swift
/// let kinds = KubeKinds.all.filter { $0.resource.groupVersion == "apps/v1" }
/// let schemas = try OpenAPISchemas.components(for: kinds)   // once, at start-up: it does not change
/// let body = OpenAPISchemas.reference(to: OpenAPISchemas.schemaName(of: Deployment.self))
/// let list = OpenAPISchemas.reference(to: OpenAPISchemas.listSchemaName(of: Deployment.self))
/// ```
///
/// The result holds, for every kind, its schema (with `x-kubernetes-group-version-kind`) and its list's
/// (`…PodList`), plus every type they reach: `io.k8s.api.core.v1.PodSpec`,
/// `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`, `io.k8s.apimachinery.pkg.api.resource.Quantity`, ….
/// Structs become components referenced with `$ref`; required fields, `[T]` (array), `[String: T]` (object with
/// `additionalProperties`), list-merge extensions and short descriptions follow upstream's conventions.
public enum OpenAPISchemas {
    /// The component schemas of `kinds`, their lists and everything they reference, by schema name.
    ///
    /// Throws a ``SchemaError`` only for a type whose decoding the recorder cannot follow, which the tests
    /// rule out for `KubeKinds.all`.
    public static func components(for kinds: [any KubeObject.Type]) throws -> [String: JSONValue] {
        let recorder = SchemaRecorder(packageOverrides: SchemaNames.packageOverrides(for: kinds))
        for kind in kinds {
            _ = try recorder.schema(of: kind, codingPath: [])
            _ = try recorder.schema(of: listType(of: kind), codingPath: [])
        }
        return recorder.components
    }

    /// The component name of a type: `io.k8s.api.core.v1.Pod`, `io.k8s.api.apps.v1.DeploymentSpec`,
    /// `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`, `io.k8s.api.core.v1.PodList` for `ObjectList<Pod>`.
    public static func schemaName(of type: Any.Type) -> String {
        schemaName(of: type, packageOverrides: [:])
    }

    /// The component name of a type in a document whose `SchemaNames.declaredPerVersion` types take the packages in
    /// `packageOverrides` (by Swift name).
    static func schemaName(of type: Any.Type, packageOverrides: [String: String]) -> String {
        if let list = type as? any KindList.Type {
            return listSchemaName(of: list.itemKind)
        }
        let swiftName = String(describing: type)
        let name = SchemaNames.upstreamNames[swiftName] ?? swiftName
        if let kind = type as? any KubeObject.Type {
            return SchemaNames.package(group: kind.resource.group, version: kind.resource.version) + "." + name
        }
        return (packageOverrides[swiftName] ?? SchemaNames.packages[swiftName] ?? SchemaNames.corePackage) + "." + name
    }

    /// The component name of the list of `kind`: `io.k8s.api.apps.v1.DeploymentList`.
    public static func listSchemaName(of kind: any KubeObject.Type) -> String {
        schemaName(of: kind) + "List"
    }

    /// A JSON reference to the component `name`: `{"$ref": "#/components/schemas/<name>"}`.
    public static func reference(to name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/" + name)]
    }

    private static func listType<Kind: KubeObject>(of kind: Kind.Type) -> any Decodable.Type {
        ObjectList<Kind>.self
    }
}
