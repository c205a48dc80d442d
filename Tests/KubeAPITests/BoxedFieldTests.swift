import Foundation
import Testing
@testable import KubeAPI

/// `@Boxed` fields: rarely set optionals stored behind one pointer, with the value semantics of a plain optional.
@Suite struct BoxedFieldTests {
    /// A nil boxed field costs one pointer, so the cached types stay small: before boxing a `Container` was 1,395
    /// bytes inline, a `Volume` 840, an `EnvVar` 265, a `ContainerStatus` 456.
    @Test func boxedFieldsKeepTheCachedTypesSmall() {
        #expect(MemoryLayout<Boxed<Probe>>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<Boxed<JSONValue>>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<Container>.size <= 256)
        #expect(MemoryLayout<EphemeralContainer>.size <= 280)
        #expect(MemoryLayout<Volume>.size <= 320)
        #expect(MemoryLayout<VolumeProjection>.size <= 136)
        #expect(MemoryLayout<EnvVar>.size <= 40)
        #expect(MemoryLayout<ContainerState>.size <= 56)
        #expect(MemoryLayout<ContainerStatus>.size <= 280)
        #expect(MemoryLayout<PodSecurityContext>.size <= 168)
        #expect(MemoryLayout<PodSpec>.size <= 600)
    }

    @Test func changingACopyLeavesTheOriginalAlone() {
        let original = Container(name: "app", livenessProbe: Probe(periodSeconds: 10),
                                 securityContext: SecurityContext(runAsUser: 1000))
        var copy = original
        copy.livenessProbe?.periodSeconds = 20
        copy.securityContext?.seLinuxOptions = SELinuxOptions(level: "s0:c1")
        copy.readinessProbe = Probe(failureThreshold: 3)
        #expect(original.livenessProbe?.periodSeconds == 10)
        #expect(original.securityContext?.seLinuxOptions == nil)
        #expect(original.readinessProbe == nil)
        #expect(copy.livenessProbe?.periodSeconds == 20)
        #expect(copy.securityContext?.seLinuxOptions?.level == "s0:c1")
        #expect(copy.readinessProbe?.failureThreshold == 3)
        #expect(copy != original)

        copy.livenessProbe?.periodSeconds = 10
        copy.securityContext?.seLinuxOptions = nil
        copy.readinessProbe = nil
        #expect(copy == original)
        #expect(Set([copy, original]).count == 1)

        var volume = Volume(name: "cfg", configMap: ConfigMapVolumeSource(name: "web"))
        let before = volume
        volume.configMap?.name = "api"
        volume.gitRepo = ["repository": "https://example.com/r.git"]
        #expect(before.configMap?.name == "web")
        #expect(before.gitRepo == nil)
        #expect(volume.configMap?.name == "api")
    }

    /// Equal values hash alike whether they share a box or not, and a set field differs from an unset one.
    @Test func equalityAndHashingFollowTheValues() {
        let a = Container(name: "app", startupProbe: Probe(exec: ExecAction(command: ["true"])))
        let b = Container(name: "app", startupProbe: Probe(exec: ExecAction(command: ["true"])))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != Container(name: "app"))
        #expect(Container(name: "app") == Container(name: "app", startupProbe: nil))
    }

    @Test func absentAndNullFieldsDecodeAsNilAndNilIsNotWritten() throws {
        let state = try KubeJSON.decode(ContainerState.self, from: Data(#"{"running":{},"terminated":null}"#.utf8))
        #expect(state.terminated == nil)
        #expect(String(decoding: try KubeJSON.encode(state), as: UTF8.self) == #"{"running":{}}"#)
        let projection = try KubeJSON.decode(VolumeProjection.self, from: Data(#"{"podCertificate":{"signerName":"s"}}"#.utf8))
        #expect(projection.podCertificate == ["signerName": "s"])
        #expect(projection.clusterTrustBundle == nil)
        #expect(String(decoding: try KubeJSON.encode(projection), as: UTF8.self) == #"{"podCertificate":{"signerName":"s"}}"#)
    }
}
