import Foundation
import KubeAPI
import KubePatch
import Testing

@Suite struct JSONPatchTests {
    /// RFC 6902 Appendix A: document, patch, expected result (nil: the patch must fail).
    static let rfcExamples: [(String, String, String?)] = [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
         #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
         #"{"foo":["all","cows","eat","grass"]}"#),
        (#"{"baz":"qux","foo":["a",2,"c"]}"#,
         #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, nil),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
         #"{"child":{"grandchild":{}},"foo":"bar"}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, nil),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#, nil),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
        (#"{"foo":{"bar":1}}"#, #"[{"op":"copy","from":"/foo","path":"/baz"}]"#, #"{"baz":{"bar":1},"foo":{"bar":1}}"#),
    ]

    @Test(arguments: rfcExamples.indices)
    func rfc6902Examples(index: Int) async throws {
        let (doc, patchText, expected) = Self.rfcExamples[index]
        let patch = try JSONPatch(decoding: .init(patchText.utf8))
        if let expected {
            #expect(try patch.apply(to: j(doc)) == j(expected))
        } else {
            #expect(throws: PatchError.self) { try patch.apply(to: j(doc)) }
        }
    }

    @Test func missingPathMessageMatchesUpstream() async throws {
        let patch = try JSONPatch(decoding: .init(#"[{"op":"add","path":"/spec/foo/bar","value":1}]"#.utf8))
        #expect(throws: PatchError(.invalid, #"add operation does not apply: doc is missing path: "/spec/foo/bar": missing value"#)) {
            try patch.apply(to: j(#"{"spec":{}}"#))
        }
    }

    @Test func testFailureMessageMatchesUpstream() async throws {
        let patch = try JSONPatch(decoding: .init(#"[{"op":"test","path":"/x","value":2}]"#.utf8))
        #expect(throws: PatchError(.invalid, "testing value /x failed: test failed")) { try patch.apply(to: j(#"{"x":1}"#)) }
    }

    @Test func removeMissingKeyAndBadIndex() async throws {
        let remove = try JSONPatch(decoding: .init(#"[{"op":"remove","path":"/a/b"}]"#.utf8))
        #expect(throws: PatchError(.invalid, "error in remove for path: '/a/b': Unable to remove nonexistent key: b: missing value")) {
            try remove.apply(to: j(#"{"a":{}}"#))
        }
        let add = try JSONPatch(decoding: .init(#"[{"op":"add","path":"/a/5","value":1}]"#.utf8))
        #expect(throws: PatchError(.invalid, "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced")) {
            try add.apply(to: j(#"{"a":[1]}"#))
        }
    }

    @Test func replaceOfMissingMemberAddsItLikeUpstream() async throws {
        let patch = try JSONPatch(decoding: .init(#"[{"op":"replace","path":"/spec/replicas","value":3}]"#.utf8))
        #expect(try patch.apply(to: j(#"{"spec":{}}"#)) == j(#"{"spec":{"replicas":3}}"#))
    }

    @Test func negativeIndexCountsFromEnd() async throws {
        let patch = try JSONPatch(decoding: .init(#"[{"op":"remove","path":"/a/-1"}]"#.utf8))
        #expect(try patch.apply(to: j(#"{"a":[1,2,3]}"#)) == j(#"{"a":[1,2]}"#))
    }

    @Test func escapedPointerTokens() async throws {
        let patch = try JSONPatch(decoding: .init(
            #"[{"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"web"}]"#.utf8))
        #expect(try patch.apply(to: j(#"{"metadata":{"labels":{}}}"#))
            == j(#"{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}"#))
        #expect(JSONPointer("/a~1b/c~0d")?.tokens == ["a/b", "c~d"])
        #expect(JSONPointer(tokens: ["a/b", "c~d"]).description == "/a~1b/c~0d")
    }

    @Test func nonArrayPatchIsBadRequest() async {
        #expect(throws: PatchError(.badRequest, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")) {
            try JSONPatch(decoding: .init(#"{"op":"add"}"#.utf8))
        }
    }
}
