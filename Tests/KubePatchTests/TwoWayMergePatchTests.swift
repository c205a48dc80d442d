import KubeAPI
import KubePatch
import Testing

/// Vectors from apimachinery's strategicpatch patch_test.go (original, modified → two-way patch).
@Suite struct TwoWayMergePatchTests {
    let rules = MergeKeys(rules: [
        "mergingList": .keyed("name"),
        "mergingIntList": .mergedSet,
        "retainKeysMap": FieldRule(retainKeys: true),
    ])

    func diff(_ original: String, _ modified: String) throws -> JSONValue {
        try StrategicMergePatch.createTwoWayMergePatch(original: j(original), modified: j(modified), rules: rules)
    }

    @Test func mergeListsOfMaps() throws {
        #expect(try diff(
            #"{"mergingList":[{"name":1},{"name":2,"value":2}]}"#,
            #"{"mergingList":[{"name":4,"value":4},{"name":1},{"name":2,"value":2},{"name":3,"value":3}]}"#
        ) == j("""
            {"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],
             "mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}
            """))
    }

    @Test func deleteItemsInListsOfScalars() throws {
        #expect(try diff(#"{"mergingIntList":[1,2,3]}"#, #"{"mergingIntList":[1,2]}"#)
            == j(#"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#))
    }

    @Test func retainKeysMapAddsAField() throws {
        #expect(try diff(#"{"retainKeysMap":{"name":"foo"}}"#, #"{"retainKeysMap":{"name":"foo","value":"bar"}}"#)
            == j(#"{"retainKeysMap":{"$retainKeys":["name","value"],"value":"bar"}}"#))
    }

    @Test func deletedMapItemAndRemovedFieldRoundTrip() throws {
        let original = j("""
            {"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"x","image":"1"},{"name":"y","image":"1"}]}}
            """)
        let modified = j(#"{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"y","image":"2"}]}}"#)
        let patch = try StrategicMergePatch.createTwoWayMergePatch(original: original, modified: modified, kind: "Pod")
        #expect(patch == j("""
            {"metadata":{"labels":{"b":null}},"spec":{"$setElementOrder/containers":[{"name":"y"}],
             "containers":[{"image":"2","name":"y"},{"$patch":"delete","name":"x"}]}}
            """))
        #expect(try StrategicMergePatch.apply(patch, to: original, kind: "Pod") == modified)
    }

    @Test func identicalDocumentsGiveEmptyPatch() throws {
        let pod = j(#"{"spec":{"containers":[{"name":"x","ports":[{"containerPort":80}]}]}}"#)
        #expect(try StrategicMergePatch.createTwoWayMergePatch(original: pod, modified: pod, kind: "Pod") == j("{}"))
    }
}
