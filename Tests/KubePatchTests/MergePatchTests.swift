import Foundation
import KubeAPI
import KubePatch
import Testing

@Suite struct MergePatchTests {
    /// RFC 7386 Appendix A (the two with non-object patches of `null`/a string are errors upstream).
    static let rfcExamples: [(String, String, String)] = [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test(arguments: rfcExamples.indices)
    func rfc7386Examples(index: Int) async throws {
        let (doc, patch, expected) = Self.rfcExamples[index]
        #expect(try MergePatch.apply(j(patch), to: j(doc)) == j(expected))
    }

    @Test func nullOrScalarPatchIsRejected() async {
        #expect(throws: PatchError(.badRequest, "Invalid JSON Patch")) { try MergePatch.apply(.null, to: j(#"{"a":"foo"}"#)) }
        #expect(throws: PatchError.self) { try MergePatch.apply("bar", to: j(#"{"a":"foo"}"#)) }
    }

    @Test func createMergePatchIsMinimalAndRoundTrips() async throws {
        let original = j(#"{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"replicas":1,"ports":[80]}}"#)
        let modified = j(#"{"metadata":{"labels":{"a":"1","c":"3"}},"spec":{"replicas":1,"ports":[80,443]}}"#)
        let patch = MergePatch.createMergePatch(original: original, modified: modified)
        #expect(patch == j(#"{"metadata":{"labels":{"b":null,"c":"3"}},"spec":{"ports":[80,443]}}"#))
        #expect(try MergePatch.apply(patch, to: original) == modified)
        #expect(MergePatch.createMergePatch(original: original, modified: original) == j("{}"))
    }
}
