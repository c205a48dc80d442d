import CRI
import Foundation
import LinuxSystem
import Logging

/// The kubelet's container log manager (upstream's `containerLogManager`): every `--container-log-monitor-interval`
/// it looks at each running container's log (the path the runtime reports in ContainerStatus) and rotates those at
/// least `--container-log-max-size` big (``ContainerLogRotation``), keeping `--container-log-max-files` per container.
/// Runtimes write container logs but leave their size to the kubelet (containerd never rotates them), so without this
/// a chatty container fills the node's disk. A log that vanished (a rotation whose reopen failed while the kubelet
/// stopped) is reopened. An error concerns one container only and is retried next round.
actor ContainerLogManager {
    private let connection: RuntimeConnection
    private let policy: ContainerLogPolicy
    private let logger: Logger
    /// Log paths by container ID: a container's log path never changes, so each is asked for once.
    private var logPaths: [String: String] = [:]

    init(connection: RuntimeConnection, policy: ContainerLogPolicy, logger: Logger) {
        self.connection = connection
        self.policy = policy
        self.logger = logger
    }

    /// Rotates every ``ContainerLogPolicy/monitorInterval`` until cancelled; does nothing when rotation is off.
    func run() async {
        guard policy.maxBytes >= 0 else { return }
        while (try? await Task.sleep(for: policy.monitorInterval)) != nil {
            do {
                try await rotateLogs()
            } catch {
                logger.error("failed to rotate container logs", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One round over the running containers, `maxWorkers` at a time.
    func rotateLogs() async throws {
        var filter = Runtime_V1_ContainerFilter()
        filter.state.state = .containerRunning
        var request = Runtime_V1_ListContainersRequest()
        request.filter = filter
        let running = try await connection.runtime.listContainers(request, options: RuntimeConnection.options(.seconds(30))).containers
            .filter { $0.state == .containerRunning }
        let ids = Set(running.map(\.id))
        logPaths = logPaths.filter { ids.contains($0.key) }
        await withTaskGroup(of: Void.self) { group in
            var started = 0
            for container in running {
                if started >= policy.maxWorkers { await group.next() }
                group.addTask { await self.process(containerID: container.id) }
                started += 1
            }
        }
    }

    /// Upstream's `processContainer`: this container's log, rotated when due.
    private nonisolated func process(containerID id: String) async {
        guard let path = await logPath(of: id) else { return }
        var size = FileSystem.size(of: path)
        if size == nil {
            // Lost by a rotation whose reopen failed just before the kubelet stopped: the runtime opens it anew.
            do { try await reopen(id) } catch {
                logger.error("container log does not exist and could not be reopened", metadata: ["container": "\(id)", "path": "\(path)", "error": "\(error)"])
                return
            }
            size = FileSystem.size(of: path)
        }
        guard let size, size >= policy.maxBytes else { return }
        do {
            try await ContainerLogRotation(log: path, maxFiles: policy.maxFiles).rotate { try await self.reopen(id) }
            logger.debug("rotated container log", metadata: ["container": "\(id)", "path": "\(path)", "size": "\(size)"])
        } catch {
            logger.error("failed to rotate log for container", metadata: ["container": "\(id)", "path": "\(path)", "error": "\(error)"])
        }
    }

    private func logPath(of id: String) async -> String? {
        if let known = logPaths[id] { return known }
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        guard let status = try? await connection.runtime.containerStatus(request, options: RuntimeConnection.options(.seconds(30))).status,
              !status.logPath.isEmpty else { return nil }
        logPaths[id] = status.logPath
        return status.logPath
    }

    private nonisolated func reopen(_ id: String) async throws {
        var request = Runtime_V1_ReopenContainerLogRequest()
        request.containerID = id
        _ = try await connection.runtime.reopenContainerLog(request, options: RuntimeConnection.options(.seconds(30)))
    }
}
