import KubeAPI
import Testing
@testable import KubeProtobuf

/// The hand-transcribed tables are consistent: references resolve and JSON names do not collide.
struct SchemaTableTests {
    @Test func everyMessageReferenceResolves() {
        for schema in Schemas.messages.values {
            for field in schema.fields {
                var type = field.type
                if case .map(let value) = type { type = value }
                if case .message(let name) = type {
                    #expect(Schemas.messages[name] != nil, "\(schema.name).\(field.name) names \(name)")
                }
                if field.options.contains(.inline) {
                    guard case .message = field.type else { Issue.record("\(schema.name).\(field.name) inline"); continue }
                }
            }
        }
    }

    @Test func jsonNamesAreUniqueIncludingInlineMembers() {
        func names(_ schema: MessageSchema) -> [String] {
            schema.fields.flatMap { field -> [String] in
                if field.options.contains(.inline), case .message(let name) = field.type {
                    return names(Schemas.message(name))
                }
                return [field.name]
            }
        }
        for schema in Schemas.messages.values {
            let all = names(schema)
            #expect(Set(all).count == all.count, "\(schema.name)")
        }
    }

    @Test func everyStoredKindAndSubresourceBodyHasASchema() throws {
        for kind in KubeKinds.all + KubeKinds.views + [Binding.self, Scale.self] {
            _ = try Schemas.schema(apiVersion: kind.resource.groupVersion, kind: kind.resource.kind)
        }
    }
}
