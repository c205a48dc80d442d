import CRI
import KubeAPI
@testable import Kubelet
import Testing

/// The pod status the kubelet computes with sidecars, from runtime states: upstream's getPhase, the Initialized
/// condition and readiness.
@Suite struct SidecarStatusTests {
    static let pod = Pod(metadata: ObjectMeta(name: "p", uid: "u"),
                         spec: PodSpec(initContainers: [Container(name: "side", restartPolicy: "Always", startupProbe: Probe()), Container(name: "setup")],
                                       containers: [Container(name: "app"), Container(name: "second")], restartPolicy: "Never"))

    static func runtime(_ name: String, running: Bool = false, exitCode: Int32 = 0) -> Runtime_V1_ContainerStatus {
        var status = Runtime_V1_ContainerStatus()
        status.id = name + "-id"
        status.metadata.name = name
        status.state = running ? .containerRunning : .containerExited
        status.exitCode = exitCode
        status.startedAt = 1_000_000_000
        if !running { status.finishedAt = 2_000_000_000 }
        return status
    }

    static func build(_ latest: [Runtime_V1_ContainerStatus], probes: [String: ProbeState] = [:]) -> PodStatus {
        PodStatusBuilder(pod: pod, sandboxReady: true, podIP: "10.0.0.2", hostIP: "10.0.0.1", runtimeName: "cri",
                         latest: Dictionary(uniqueKeysWithValues: latest.map { ($0.metadata.name, $0) }), previous: [:], waiting: [:],
                         probes: probes).build()
    }

    static func condition(_ status: PodStatus, _ type: String) -> String? { status.conditions?.first { $0.type == type }?.status }

    @Test func sidecarNotStartedHoldsInitialization() {
        let status = Self.build([Self.runtime("side", running: true)], probes: ["side": ProbeState(ready: true, started: false)])
        #expect(status.phase == "Pending")
        #expect(Self.condition(status, "Initialized") == "False")
        // Upstream's messages name what holds each condition back.
        #expect(status.conditions?.first { $0.type == "Initialized" }?.message == "containers with incomplete status: [side setup]")
        #expect(status.conditions?.first { $0.type == "ContainersReady" }?.message == "containers with unready status: [side app second]")
        let side = status.initContainerStatuses?.first
        #expect(side?.started == false && side?.ready == false && side?.state?.running != nil)
    }

    @Test func sidecarStartedAndRegularInitCompleted() {
        let status = Self.build([Self.runtime("side", running: true), Self.runtime("setup")], probes: ["side": ProbeState(ready: true, started: true)])
        #expect(Self.condition(status, "Initialized") == "True")
        #expect(status.initContainerStatuses?.map(\.ready) == [true, true])
        // App containers not yet started: Pending.
        #expect(status.phase == "Pending")
    }

    @Test func sidecarReadinessCountsForContainersReady() {
        let latest = [Self.runtime("side", running: true), Self.runtime("setup"), Self.runtime("app", running: true), Self.runtime("second", running: true)]
        let unready = Self.build(latest, probes: ["side": ProbeState(ready: false, started: true)])
        #expect(unready.phase == "Running")
        #expect(Self.condition(unready, "ContainersReady") == "False" && Self.condition(unready, "Ready") == "False")
        #expect(unready.conditions?.first { $0.type == "Ready" }?.message == "containers with unready status: [side]")
        let ready = Self.build(latest, probes: ["side": ProbeState(ready: true, started: true)])
        #expect(Self.condition(ready, "ContainersReady") == "True")
    }

    @Test func phaseFromRegularContainersOnly() {
        // App containers done under Never while the sidecar still runs: Running until the kubelet stops it.
        let done = [Self.runtime("setup"), Self.runtime("app"), Self.runtime("second")]
        #expect(Self.build(done + [Self.runtime("side", running: true)], probes: ["side": ProbeState(ready: true, started: true)]).phase == "Running")
        // Stopped (killed, 137): Succeeded; its exit does not count.
        let succeeded = Self.build(done + [Self.runtime("side", exitCode: 137)])
        #expect(succeeded.phase == "Succeeded" && Self.condition(succeeded, "Initialized") == "True")
        #expect(Self.build([Self.runtime("setup"), Self.runtime("app", exitCode: 1), Self.runtime("second"), Self.runtime("side", exitCode: 0)]).phase == "Failed")
        // A regular init container failed under Never: Failed, whatever the sidecar does.
        #expect(Self.build([Self.runtime("side", running: true), Self.runtime("setup", exitCode: 2)], probes: ["side": ProbeState(ready: true, started: true)]).phase == "Failed")
        // One app container running, the other not yet started: Pending, as upstream.
        #expect(Self.build([Self.runtime("side", running: true), Self.runtime("setup"), Self.runtime("app", running: true)],
                           probes: ["side": ProbeState(ready: true, started: true)]).phase == "Pending")
    }
}
