import KubeAPI
@testable import KubeSchema
import Testing

/// The hand-written tables name fields that exist, so a renamed KubeAPI field cannot leave an entry behind.
struct SchemaTablesTests {
    @Test func everyTableEntryNamesARecordedField() throws {
        let schemas = try OpenAPISchemas.components(for: KubeKinds.all + KubeKinds.views)
        // Short names are shared across groups (core/v1 and events.k8s.io/v1 `Event`): an entry names a field of one of them.
        var byShortName: [String: [JSONValue]] = [:]
        for (name, schema) in schemas { byShortName[String(name.split(separator: ".").last!), default: []].append(schema) }

        let entries = Set(ListSemantics.byField.keys).union(ListSemantics.retainKeysFields).union(SchemaDescriptions.fields.keys)
        for entry in entries.sorted() {
            let parts = entry.split(separator: ".").map(String.init)
            #expect(byShortName[parts[0]]?.contains { $0[path: ["properties", parts[1]]] != nil } == true, "\(entry) names no recorded field")
        }
        for type in SchemaDescriptions.types.keys.sorted() {
            #expect(byShortName[type] != nil, "\(type) is described but never recorded")
        }
    }
}
