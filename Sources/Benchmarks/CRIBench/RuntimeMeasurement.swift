import CRI
import Foundation
import GRPCCore
import LinuxSystem
import Synchronization
import TestSupport

/// What one runtime did in the benchmark.
struct RuntimeMeasurement: Sendable {
    /// One pass over the pods: all started (`concurrency` at a time), memory sampled, all stopped.
    struct Phase: Sendable {
        var concurrency: Int
        var starts: [PodWorkload.Started] = []
        var stops: [PodWorkload.Stopped] = []
        var startWall: Duration = .zero
        var stopWall: Duration = .zero
        var failures: [String] = []
        /// Daemon VmRSS with every started pod running, KiB.
        var daemonWithPods = 0
        /// Daemon VmRSS once every pod is removed again, KiB.
        var daemonAfter = 0
        /// The per-container monitors (swiftlet-shim / containerd-shim-runc-v2) with every pod running.
        var monitors = ProcessMemory.Sample()
        /// Monitors still alive after every pod was removed.
        var monitorsAfter = 0
        /// CPU seconds the daemon used while starting / stopping the pods: its own, and that of the
        /// children it reaped (CNI plugins; for swiftlet also `runc start/kill/delete`, which containerd's
        /// shims run instead).
        var startCPU = CPU()
        var stopCPU = CPU()
        /// The 1-minute load average at the end of starting / stopping: other work on the machine shows here.
        var startLoad = ""
        var stopLoad = ""
    }

    struct CPU: Sendable {
        var own = 0.0
        var children = 0.0

        static func - (a: CPU, b: CPU) -> CPU { CPU(own: a.own - b.own, children: a.children - b.children) }
    }

    var kind: CRIHarness.Kind
    var version = ""
    var daemonPID: Int32 = 0
    /// VmRSS right after the daemon started serving, before any image or pod, KiB.
    var daemonIdle = 0
    /// VmRSS with the images pulled and a few warm-up pods started and removed, no pod running, KiB.
    var daemonWarm = 0
    var daemonPeak = 0
    var pullTime: Duration = .zero
    /// A copy of the daemon's log, kept when something failed.
    var keptLog: String?
    var phases: [Phase] = []
    /// Sandboxes and containers the runtime still lists after the run.
    var leftovers = ""
}

extension RuntimeMeasurement {
    /// Starts `kind` in a CRIHarness, runs the phases, and always tears the harness down.
    static func run(_ kind: CRIHarness.Kind, pods: Int, concurrency: [Int], warmup: Int, podsPerConnection: Int) async throws -> RuntimeMeasurement {
        progress("\(kind): starting the registry, the CNI network and the runtime…")
        let harness = try await CRIHarness(kind, logLevel: "info")
        do {
            var result = try await harness.withClients { runtime, images in
                try await measure(harness, runtime, images, pods: pods, concurrency: concurrency, warmup: warmup,
                                  podsPerConnection: podsPerConnection)
            }
            if result.phases.contains(where: { !$0.failures.isEmpty }) { result.keptLog = keepLog(harness) }
            await harness.stop()
            return result
        } catch {
            progress("\(kind): failed: \(error)\n--- runtime log (tail) ---\n\(harness.log)\n---")
            _ = keepLog(harness)
            await harness.stop()
            throw error
        }
    }

    private static func measure(_ harness: CRIHarness, _ runtime: RuntimeClient, _ images: ImageClient,
                                pods: Int, concurrency: [Int], warmup: Int, podsPerConnection: Int) async throws -> RuntimeMeasurement {
        var result = RuntimeMeasurement(kind: harness.kind)
        let version = try await runtime.version(Runtime_V1_VersionRequest())
        result.version = "\(version.runtimeName) \(version.runtimeVersion)"
        result.daemonPID = try daemonPID(harness)
        try await Task.sleep(for: .seconds(2))
        result.daemonIdle = ProcessMemory.status("VmRSS", pid: result.daemonPID) ?? 0
        let idleAnonymous = ProcessMemory.status("RssAnon", pid: result.daemonPID) ?? 0
        progress("\(harness.kind): \(result.version), daemon pid \(result.daemonPID), idle RSS \(mebibytes(result.daemonIdle)) "
                 + "(anonymous \(mebibytes(idleAnonymous)))")

        let shell = "\(harness.registry)/swiftlet-test/shell:v1"
        let clock = ContinuousClock()
        let pullStart = clock.now
        for image in [harness.pauseImage, shell] {
            var request = Runtime_V1_PullImageRequest()
            request.image.image = image
            _ = try await images.pullImage(request)
        }
        result.pullTime = clock.now - pullStart

        let workload = PodWorkload(image: shell, logRoot: harness.root + "/pods")
        for index in 0..<warmup {
            let name = "warmup-\(index)"
            let pod = try await workload.start(name, on: runtime)
            _ = try await workload.stop(pod, name: name, on: runtime)
        }
        try await Task.sleep(for: .seconds(1))
        result.daemonWarm = ProcessMemory.status("VmRSS", pid: result.daemonPID) ?? 0
        progress("\(harness.kind): images pulled in \(milliseconds(result.pullTime)), \(warmup) warm-up pods, RSS \(mebibytes(result.daemonWarm))")

        for width in concurrency {
            let connections = Connections(harness: harness, shared: runtime, podsPerConnection: podsPerConnection)
            result.phases.append(try await phase(harness, workload, connections, pods: pods, concurrency: width, daemonPID: result.daemonPID))
        }
        result.daemonPeak = ProcessMemory.status("VmHWM", pid: result.daemonPID) ?? 0
        let sandboxes = try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.count
        let containers = try await runtime.listContainers(Runtime_V1_ListContainersRequest()).containers.count
        result.leftovers = "\(sandboxes) sandboxes, \(containers) containers"
        return result
    }

    /// Starts `pods` pods with `concurrency` workers (each pod's steps in order), samples memory, stops them
    /// all with the same workers.
    private static func phase(_ harness: CRIHarness, _ workload: PodWorkload, _ connections: Connections, pods: Int,
                              concurrency: Int, daemonPID: Int32) async throws -> Phase {
        let label = concurrency == 1 ? "sequential" : "\(concurrency) at a time"
        let prefix = concurrency == 1 ? "seq" : "par\(concurrency)"
        var phase = Phase(concurrency: concurrency)
        let counter = ProgressCounter(total: pods, label: "\(harness.kind): start \(label)")
        let clock = ContinuousClock()
        var cpu = daemonCPU(daemonPID)
        var begin = clock.now
        // Worker w owns pods w, w+concurrency, …, so exactly `concurrency` pods are in flight at any time.
        let started = try await withThrowingTaskGroup(of: ([(String, PodWorkload.Started)], [String]).self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let names = stride(from: worker, to: pods, by: concurrency).map { "\(prefix)-\($0)" }
                    let outcomes = try await connections.map(names) { name, runtime in
                        try Interrupt.check()
                        defer { counter.tick() }
                        do {
                            return Result<(String, PodWorkload.Started), PodWorkload.Failure>.success((name, try await workload.start(name, on: runtime)))
                        } catch let failure as PodWorkload.Failure {
                            return .failure(failure)
                        }
                    }
                    return (outcomes.compactMap { try? $0.get() }, outcomes.compactMap { outcome in
                        if case .failure(let failure) = outcome { failure.description } else { nil }
                    })
                }
            }
            var all: ([(String, PodWorkload.Started)], [String]) = ([], [])
            for try await (running, failures) in group {
                all.0 += running
                all.1 += failures
            }
            return all
        }
        phase.startWall = clock.now - begin
        phase.startCPU = daemonCPU(daemonPID) - cpu
        phase.startLoad = ProcessMemory.loadAverage()
        phase.starts = started.0.map(\.1)
        phase.failures = started.1
        try await Task.sleep(for: .seconds(1))
        phase.daemonWithPods = ProcessMemory.status("VmRSS", pid: daemonPID) ?? 0
        phase.monitors = ProcessMemory.sample(monitorPIDs(harness))
        progress("\(harness.kind): \(phase.starts.count) pods running (\(phase.failures.count) failed) in \(milliseconds(phase.startWall)); "
                 + "daemon RSS \(mebibytes(phase.daemonWithPods)), \(phase.monitors.processes) monitors RSS \(mebibytes(phase.monitors.rss)) "
                 + "PSS \(mebibytes(phase.monitors.pss))")

        let stopCounter = ProgressCounter(total: started.0.count, label: "\(harness.kind): stop \(label)")
        let running = started.0
        cpu = daemonCPU(daemonPID)
        begin = clock.now
        let stopped = try await withThrowingTaskGroup(of: ([PodWorkload.Stopped], [String]).self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let pods = stride(from: worker, to: running.count, by: concurrency).map { running[$0] }
                    let outcomes = try await connections.map(pods) { item, runtime in
                        try Interrupt.check()
                        defer { stopCounter.tick() }
                        do {
                            return Result<PodWorkload.Stopped, PodWorkload.Failure>.success(try await workload.stop(item.1, name: item.0, on: runtime))
                        } catch let failure as PodWorkload.Failure {
                            return .failure(failure)
                        }
                    }
                    return (outcomes.compactMap { try? $0.get() }, outcomes.compactMap { outcome in
                        if case .failure(let failure) = outcome { failure.description } else { nil }
                    })
                }
            }
            var all: ([PodWorkload.Stopped], [String]) = ([], [])
            for try await (stops, failures) in group {
                all.0 += stops
                all.1 += failures
            }
            return all
        }
        phase.stopWall = clock.now - begin
        phase.stopCPU = daemonCPU(daemonPID) - cpu
        phase.stopLoad = ProcessMemory.loadAverage()
        phase.stops = stopped.0
        phase.failures += stopped.1
        try await Task.sleep(for: .seconds(1))
        phase.daemonAfter = ProcessMemory.status("VmRSS", pid: daemonPID) ?? 0
        phase.monitorsAfter = monitorPIDs(harness).count
        progress("\(harness.kind): \(phase.stops.count) pods removed in \(milliseconds(phase.stopWall)); daemon RSS \(mebibytes(phase.daemonAfter)), "
                 + "\(phase.monitorsAfter) monitors left")
        for failure in phase.failures.prefix(5) { progress("  failure: \(failure)") }
        return phase
    }

    private static func daemonCPU(_ pid: Int32) -> CPU {
        ProcessMemory.cpu(pid: pid).map { CPU(own: $0.own, children: $0.children) } ?? CPU()
    }

    /// Copies the daemon's log out of the harness (which removes it) and prints its error lines.
    private static func keepLog(_ harness: CRIHarness) -> String? {
        let kept = "/tmp/cri-bench-\(harness.kind)-\(ProcessInfo.processInfo.processIdentifier).log"
        try? FileManager.default.removeItem(atPath: kept)
        guard (try? FileManager.default.copyItem(atPath: harness.runtimeLogFile, toPath: kept)) != nil,
              let text = try? String(contentsOfFile: kept, encoding: .utf8) else { return nil }
        let errors = text.split(separator: "\n").filter { line in
            ["level=error", "level=warning", "error", "warning", "panic"].contains { line.contains($0) }
        }
        progress("\(harness.kind): daemon log kept at \(kept); \(errors.count) error/warning lines, the first ones:")
        for line in errors.prefix(12) { progress("  " + String(line.prefix(400))) }
        return kept
    }

    /// The runtime daemon: `nsenter` execs it, so it is the process whose command line names this
    /// harness's socket (swiftlet) or config (containerd).
    static func daemonPID(_ harness: CRIHarness) throws -> Int32 {
        let pids = ProcessTable.pids { arguments in
            switch harness.kind {
            case .swiftlet:
                arguments.first?.hasSuffix("/swiftlet") == true && arguments.contains("runtime") && arguments.contains("unix://" + harness.socket)
            case .containerd:
                arguments.first?.hasSuffix("containerd") == true && arguments.contains(harness.root + "/containerd.toml")
            }
        }
        guard pids.count == 1, let pid = pids.first else {
            throw TestSupportError("expected one \(harness.kind) daemon for \(harness.root), found \(pids)")
        }
        return pid
    }

    /// The monitors of this harness's containers: `swiftlet-shim … --runc-root RUNC_ROOT` (one per container,
    /// the sandbox's pause included) or `containerd-shim-runc-v2 … -address SOCKET` (one per pod).
    static func monitorPIDs(_ harness: CRIHarness) -> [Int32] {
        ProcessTable.pids { arguments in
            switch harness.kind {
            case .swiftlet:
                arguments.first?.hasSuffix("swiftlet-shim") == true && arguments.contains(harness.runcRoot)
            case .containerd:
                arguments.first?.hasSuffix("containerd-shim-runc-v2") == true && arguments.contains(harness.socket)
            }
        }
    }
}

/// The CRI connections the workers use. A grpc-swift-2 client connection to containerd 1.6 is closed by
/// the client after about 200 calls in 30 s (swift-nio-http2 allows 200 control frames per 30 s and
/// grpc-go's server sends a BDP PING for most requests), failing the calls in flight with "Stream
/// unexpectedly closed"; so each worker opens a fresh connection every `podsPerConnection` pods (0: all
/// calls on the one shared connection, to reproduce that).
struct Connections: Sendable {
    let harness: CRIHarness
    let shared: RuntimeClient
    let podsPerConnection: Int

    /// `body` over `items` in order, a new connection every `podsPerConnection` items.
    func map<T: Sendable, R: Sendable>(_ items: [T], _ body: @escaping @Sendable (T, RuntimeClient) async throws -> R) async throws -> [R] {
        guard podsPerConnection > 0 else {
            var results: [R] = []
            for item in items { results.append(try await body(item, shared)) }
            return results
        }
        var results: [R] = []
        var start = 0
        while start < items.count {
            let chunk = Array(items[start..<min(items.count, start + podsPerConnection)])
            results += try await harness.withClients { runtime, _ in
                var part: [R] = []
                for item in chunk { part.append(try await body(item, runtime)) }
                return part
            }
            start += podsPerConnection
        }
        return results
    }
}

/// Prints "label n/total" every tenth of the way.
final class ProgressCounter: Sendable {
    private let total: Int
    private let label: String
    private let done = Mutex(0)

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func tick() {
        let count = done.withLock { value in
            value += 1
            return value
        }
        let step = max(1, total / 4)
        if count % step == 0 || count == total { progress("\(label) \(count)/\(total)") }
    }
}
