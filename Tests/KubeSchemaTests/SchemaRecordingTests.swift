import KubeAPI
import KubeSchema
import Testing

/// The recording decoder on hand-made types: what it derives from `decode` / `decodeIfPresent`, how it
/// breaks recursion, and how it reports what it cannot follow.
struct SchemaRecordingTests {
    /// A tree whose nodes refer to nodes: recursion through an array and through an optional.
    final class TreeNode: KubeObject, @unchecked Sendable {
        static let resource = ResourceInfo(group: "example.com", version: "v1", plural: "trees", singular: "tree",
                                           kind: "TreeNode", namespaced: false)
        var apiVersion: String?
        var kind: String?
        var metadata = ObjectMeta()
        var label: String
        var children: [TreeNode]?
        var parent: TreeNode?
        var weights: [String: [Int32]]?

        static func == (a: TreeNode, b: TreeNode) -> Bool { a === b }
    }

    @Test func recursiveTypeBecomesASelfReference() throws {
        let schemas = try OpenAPISchemas.components(for: [TreeNode.self])
        let name = "io.k8s.api.example.v1.TreeNode"
        let tree = try #require(schemas[name])
        #expect(tree[path: ["properties", "children"]] == ["type": "array", "items": ref(name)])
        #expect(tree[path: ["properties", "parent", "allOf"]] == [ref(name)])
        #expect(tree[path: ["properties", "weights", "additionalProperties"]]
            == ["type": "array", "items": ["type": "integer", "format": "int32"]])
        #expect(tree["required"] == ["label"], "synthesized decode of a non-optional property is required")
        #expect(schemas["io.k8s.api.example.v1.TreeNodeList"]?[path: ["properties", "items", "items"]] == ref(name))
    }

    /// Requires a value of its own type: no finite placeholder exists.
    final class Chain: KubeObject, @unchecked Sendable {
        static let resource = ResourceInfo(group: "example.com", version: "v1", plural: "chains", singular: "chain",
                                           kind: "Chain", namespaced: false)
        var apiVersion: String?
        var kind: String?
        var metadata = ObjectMeta()
        var next: Chain

        static func == (a: Chain, b: Chain) -> Bool { a === b }
    }

    @Test func requiredSelfReferenceIsReported() {
        #expect { try OpenAPISchemas.components(for: [Chain.self]) } throws: { error in
            (error as? SchemaError)?.code == .recursiveRequiredField && (error as? SchemaError)?.path == "next"
        }
    }

    /// A leaf that rejects input a decoder without data could give it, so it describes itself.
    struct Port: SchemaDescribed, Sendable, Hashable {
        var number: Int32
        init(from decoder: any Decoder) throws {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "never decoded"))
        }
        init(_ number: Int32) { self.number = number }
        static var openAPISchema: JSONValue { ["type": "integer", "minimum": 1, "maximum": 65535] }
        static var schemaPlaceholder: Port { Port(80) }
    }

    /// Decodes by hand, as most KubeAPI types do: lenient required fields and a probed key.
    struct Listener: KubeObject {
        static let resource = ResourceInfo(group: "", version: "v1", plural: "listeners", singular: "listener",
                                           kind: "Listener", namespaced: true)
        var apiVersion: String?
        var kind: String?
        var metadata: ObjectMeta
        var host: String
        var port: Port
        var backlog: Int64?
        var tags: [String]

        enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, host, port, backlog, tags }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
            kind = try c.decodeIfPresent(String.self, forKey: .kind)
            metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
            host = try c.decodeIfPresent(String.self, forKey: .host) ?? ""
            port = try c.decode(Port.self, forKey: .port)
            backlog = try c.decodeIfPresent(Int64.self, forKey: .backlog)
            tags = c.contains(.tags) ? try c.decode([String].self, forKey: .tags) : []
        }

        func encode(to encoder: any Encoder) throws {}
    }

    @Test func requirednessComesFromDecodeCallsAndPropertyTypes() throws {
        let listener = try #require(try OpenAPISchemas.components(for: [Listener.self])["io.k8s.api.core.v1.Listener"])
        #expect(listener["required"] == ["host", "port"])
        #expect(listener[path: ["properties", "port"]] == Port.openAPISchema, "described leaves are inlined")
        #expect(listener[path: ["properties", "backlog"]] == ["type": "integer", "format": "int64"])
        #expect(listener[path: ["properties", "tags", "items"]] == ["type": "string"])
    }

    /// Reads an unkeyed container itself, which the recorder does not model.
    struct Pair: KubeObject {
        static let resource = ResourceInfo(group: "", version: "v1", plural: "pairs", singular: "pair",
                                           kind: "Pair", namespaced: true)
        var apiVersion: String?
        var kind: String?
        var metadata = ObjectMeta()

        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            apiVersion = try c.decode(String.self)
        }

        func encode(to encoder: any Encoder) throws {}
    }

    @Test func unsupportedDecodingIsReported() {
        #expect { try OpenAPISchemas.components(for: [Pair.self]) } throws: { error in
            (error as? SchemaError)?.code == .unsupportedDecoding
        }
    }
}
