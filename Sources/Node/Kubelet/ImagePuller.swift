import Foundation
import KubeClient

/// How the kubelet pulls images: one at a time in the order asked (`--serialize-image-pulls`, upstream's default), or
/// up to `--max-parallel-image-pulls` at once (any number when unset), and PullImage calls to the runtime limited to
/// `--registry-qps` a second with bursts of `--registry-burst` (a QPS of 0: no limit) — with upstream's defaults and refusals.
public struct ImagePullPolicy: Sendable, Hashable {
    public let serialize: Bool
    /// Pulls at once when not serialized; nil: no limit.
    public let maxParallel: Int?
    public let registryQPS: Int
    public let registryBurst: Int

    /// Upstream's defaults: serialized, 5 pulls a second, bursts of 10.
    public init() {
        self.init(serialize: true, maxParallel: nil, registryQPS: 5, registryBurst: 10)
    }

    private init(serialize: Bool, maxParallel: Int?, registryQPS: Int, registryBurst: Int) {
        self.serialize = serialize
        self.maxParallel = maxParallel
        self.registryQPS = registryQPS
        self.registryBurst = registryBurst
    }

    /// The policy the flags give, refused in upstream kubelet's words.
    public static func parse(serialize: Bool, maxParallel: Int?, registryQPS: Int, registryBurst: Int) throws(KubeletFlagError) -> ImagePullPolicy {
        if registryBurst < 0 {
            throw KubeletFlagError(description: "invalid configuration: registryBurst (--registry-burst) \(registryBurst) must not be a negative number")
        }
        if registryQPS < 0 {
            throw KubeletFlagError(description: "invalid configuration: registryPullQPS (--registry-qps) \(registryQPS) must not be a negative number")
        }
        if let maxParallel, maxParallel < 1 {
            throw KubeletFlagError(description: "invalid configuration: maxParallelImagePulls \(maxParallel) must be a positive number")
        }
        if serialize, let maxParallel, maxParallel > 1 {
            throw KubeletFlagError(description: "invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false")
        }
        return ImagePullPolicy(serialize: serialize, maxParallel: maxParallel, registryQPS: registryQPS, registryBurst: registryBurst)
    }

    /// Pulls that may run at once; nil: any number.
    var concurrentPulls: Int? { serialize ? 1 : maxParallel }
}

/// Why a pull did not reach the runtime: upstream's throttled image service refuses a pull past the registry QPS.
struct ImagePullThrottled: Error, CustomStringConvertible {
    var description: String { "pull QPS exceeded" }
}

/// The kubelet's image puller (upstream's serial and parallel pullers and its throttled image service): pulls wait
/// for a turn, first come first served, and each PullImage call takes a registry token or fails at once with
/// `pull QPS exceeded` (the pod's pull back-off then takes over, as upstream). A pull whose task is cancelled (its
/// pod going) while waiting leaves the line.
actor ImagePuller {
    private let policy: ImagePullPolicy
    private var running = 0
    private var line: [(id: UInt64, turn: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0
    /// nil: no registry QPS.
    private var registryTokens: TokenBucket?

    init(policy: ImagePullPolicy) {
        self.policy = policy
        registryTokens = policy.registryQPS > 0 ? TokenBucket(qps: Double(policy.registryQPS), burst: policy.registryBurst) : nil
    }

    /// Runs `pull` in its turn; returns what it returned and how long it waited for the turn.
    func pull<T: Sendable>(_ pull: @Sendable () async throws -> T) async throws -> (result: T, waited: Duration) {
        let asked = ContinuousClock.now
        try await waitForTurn()
        defer { finishTurn() }
        let waited = ContinuousClock.now - asked
        return (try await pull(), waited)
    }

    /// Takes a registry token for one PullImage call, or throws ``ImagePullThrottled`` (upstream's `TryAccept`).
    func acquireRegistryToken(now: Date = Date()) throws(ImagePullThrottled) {
        guard var bucket = registryTokens else { return }
        defer { registryTokens = bucket }
        guard bucket.tryAccept(now: now) else { throw ImagePullThrottled() }
    }

    private func waitForTurn() async throws {
        guard let limit = policy.concurrentPulls, running >= limit || !line.isEmpty else {
            running += 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (turn: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    turn.resume(throwing: CancellationError())
                } else {
                    line.append((id, turn))
                }
            }
        } onCancel: {
            Task { await self.leaveLine(id) }
        }
    }

    private func leaveLine(_ id: UInt64) {
        guard let index = line.firstIndex(where: { $0.id == id }) else { return }
        line.remove(at: index).turn.resume(throwing: CancellationError())
    }

    /// The turn passes to the first in line, or the slot is freed.
    private func finishTurn() {
        if line.isEmpty {
            running -= 1
        } else {
            line.removeFirst().turn.resume()
        }
    }
}
