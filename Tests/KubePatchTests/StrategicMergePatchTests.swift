import KubeAPI
import KubePatch
import Testing

@Suite struct StrategicMergePatchTests {
    static let pod = j("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","finalizers":["a","b"],"labels":{"app":"web","tier":"fe"}},
         "spec":{"containers":[
            {"name":"app","image":"nginx:1.25","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
            {"name":"sidecar","image":"envoy:1"}],
          "tolerations":[{"key":"k1","operator":"Exists"}]}}
        """)

    func patch(_ patch: String, _ doc: JSONValue = pod, kind: String = "Pod") throws -> JSONValue {
        try StrategicMergePatch.apply(j(patch), to: doc, kind: kind)
    }

    @Test func containersMergeByName() throws {
        let out = try patch(#"{"spec":{"containers":[{"name":"sidecar","image":"envoy:2"},{"name":"debug","image":"busybox"}]}}"#)
        #expect(out[path: ["spec", "containers"]] == j("""
            [{"name":"app","image":"nginx:1.25","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
             {"name":"sidecar","image":"envoy:2"},{"name":"debug","image":"busybox"}]
            """))
    }

    @Test func newItemGoesBeforeServerOnlyItemsLikeUpstream() throws {
        let out = try patch(#"{"spec":{"containers":[{"name":"debug","image":"busybox"}]}}"#)
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["debug", "app", "sidecar"])
    }

    @Test func envMergesByNameInsideContainer() throws {
        let out = try patch(#"{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"two"},{"name":"C","value":"3"}]}]}}"#)
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.first?["env"] == j("""
            [{"name":"A","value":"1"},{"name":"B","value":"two"},{"name":"C","value":"3"}]
            """))
    }

    @Test func listsWithoutMergeKeyAreReplaced() throws {
        let out = try patch(#"{"spec":{"tolerations":[{"key":"k2","operator":"Exists"}]}}"#)
        #expect(out[path: ["spec", "tolerations"]] == j(#"[{"key":"k2","operator":"Exists"}]"#))
    }

    @Test func patchDeleteDirectiveRemovesListItem() throws {
        let out = try patch(#"{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}"#)
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.count == 1)
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.first?["name"] == "app")
    }

    @Test func patchReplaceDirectiveReplacesList() throws {
        let out = try patch(#"{"spec":{"containers":[{"name":"only","image":"x"},{"$patch":"replace"}]}}"#)
        #expect(out[path: ["spec", "containers"]] == j(#"[{"name":"only","image":"x"}]"#))
    }

    @Test func patchDirectivesOnMaps() throws {
        let replaced = try patch(#"{"metadata":{"labels":{"$patch":"replace","new":"1"}}}"#)
        #expect(replaced[path: ["metadata", "labels"]] == j(#"{"new":"1"}"#))
        let deleted = try patch(#"{"metadata":{"labels":{"$patch":"delete"}}}"#)
        #expect(deleted[path: ["metadata", "labels"]] == j("{}"))
        #expect(throws: PatchError(.internalError, "unknown patch type: bogus in map: map[$patch:bogus]")) {
            try patch(#"{"metadata":{"labels":{"$patch":"bogus"}}}"#)
        }
    }

    @Test func nullDeletesMember() throws {
        let out = try patch(#"{"metadata":{"labels":{"tier":null,"missing":null}}}"#)
        #expect(out[path: ["metadata", "labels"]] == j(#"{"app":"web"}"#))
    }

    @Test func finalizersMergeAsSet() throws {
        let out = try patch(#"{"metadata":{"finalizers":["b","c"]}}"#)
        #expect(out[path: ["metadata", "finalizers"]] == j(#"["a","b","c"]"#))
    }

    @Test func deleteFromPrimitiveList() throws {
        let out = try patch(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zzz"]}}"#)
        #expect(out[path: ["metadata", "finalizers"]] == j(#"["b"]"#))
        let untouched = try patch(#"{"metadata":{"$deleteFromPrimitiveList/missing":["a"]}}"#)
        #expect(untouched[path: ["metadata", "missing"]] == nil)
    }

    @Test func setElementOrderReordersContainers() throws {
        let out = try patch("""
            {"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"}],
                     "containers":[{"name":"sidecar","image":"envoy:3"}]}}
            """)
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sidecar", "app"])
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "envoy:3")
    }

    /// Upstream patch_test.go "set elements order in a list with server-only items 2" (three-way patch on current).
    @Test func setElementOrderWithServerOnlyItemsUpstreamVector() throws {
        let rules = MergeKeys(rules: ["mergingList": .keyed("name")])
        let current = j(#"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2},{"name":9},{"name":3,"value":3},{"name":4,"value":4}]}"#)
        let threeWay = j(#"{"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3}]}"#)
        #expect(try StrategicMergePatch.apply(threeWay, to: current, rules: rules)
            == j(#"{"mergingList":[{"name":2,"value":2},{"name":1,"other":"a"},{"name":9},{"name":4,"value":4},{"name":3,"value":3}]}"#))
    }

    /// Upstream patch_test.go "add an item in a int list and preserve order".
    @Test func primitiveSetElementOrderUpstreamVector() throws {
        let rules = MergeKeys(rules: ["mergingIntList": .mergedSet])
        let current = j(#"{"mergingIntList":[1,2]}"#)
        let patch = j(#"{"$setElementOrder/mergingIntList":[1,3,2],"mergingIntList":[3]}"#)
        #expect(try StrategicMergePatch.apply(patch, to: current, rules: rules) == j(#"{"mergingIntList":[1,3,2]}"#))
    }

    @Test func retainKeysClearsOtherMembers() throws {
        let deployment = j(#"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#)
        let out = try patch(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#, deployment, kind: "Deployment")
        #expect(out == j(#"{"spec":{"strategy":{"type":"Recreate"}}}"#))
        #expect(throws: PatchError(.badRequest, "invalid patch format of retainKeys")) {
            try patch(#"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}}"#, deployment, kind: "Deployment")
        }
    }

    @Test func deploymentReusesPodSpecRulesUnderTemplate() throws {
        let deployment = j(#"{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}}}}"#)
        let out = try patch(#"{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"2"}]}}}}"#, deployment, kind: "Deployment")
        #expect(out == j(#"{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}}}}"#))
    }

    @Test func unknownKindReplacesLists() throws {
        let doc = j(#"{"spec":{"items":[{"name":"a"}]},"metadata":{"finalizers":["x"]}}"#)
        let out = try patch(#"{"spec":{"items":[{"name":"b"}]},"metadata":{"finalizers":["y"]}}"#, doc, kind: "Widget")
        // ObjectMeta rules hold for every kind; a new set item goes first, as upstream orders it.
        #expect(out[path: ["metadata", "finalizers"]] == j(#"["y","x"]"#))
        #expect(out[path: ["spec", "items"]] == j(#"[{"name":"b"}]"#))
    }

    @Test func missingMergeKeyIsUpstreamError() {
        #expect(throws: PatchError(.internalError, "map: map[image:x] does not contain declared merge key: name")) {
            try patch(#"{"spec":{"containers":[{"image":"x"}]}}"#)
        }
    }

    @Test func nonObjectPatchIsBadRequest() {
        #expect(throws: PatchError.self) { try patch("[1]") }
    }
}
