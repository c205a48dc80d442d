import KubeClient
import Logging

/// A control loop run by `ControllerManager`: it watches shared informers, queues keys and reconciles them until
/// the calling task is cancelled, as each loop of kube-controller-manager does.
///
/// Controllers are built from a `ControllerContext` before the informers start, so every handler they register
/// sees the initial LIST; `run(workers:)` starts only after all informers have synced.
public protocol Controller: Sendable {
    /// Upstream's name (`replicaset-controller`), used in logs, metrics and `--controllers`.
    var name: String { get }
    /// Processes the controller's queue with `workers` concurrent reconciles until the task is cancelled.
    func run(workers: Int) async
}

/// What every controller is built from: the client, the informers shared between controllers and a logger.
public struct ControllerContext: Sendable {
    public let client: KubeClient
    public let informers: SharedInformers
    public let logger: Logger

    public init(client: KubeClient, informers: SharedInformers, logger: Logger) {
        self.client = client
        self.informers = informers
        self.logger = logger
    }

    /// The logger of one controller, tagged with its name.
    func logger(for controller: String) -> Logger {
        var logger = self.logger
        logger[metadataKey: "controller"] = "\(controller)"
        return logger
    }
}
