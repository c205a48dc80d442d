import KubeAPI

/// kube-scheduler's priority queue: pods to try now (`active`, highest priority first, then oldest), pods waiting
/// out their backoff after a failed attempt (`backoff`: 1 s doubling per attempt up to 10 s), and pods no node
/// accepted (`unschedulable`), which move back when the cluster changes in a way that may help
/// (`moveAllToActiveOrBackoff`) or after 5 minutes at the latest. A pod that failed while a cluster change came in
/// goes to backoff rather than unschedulable, so the change is not missed.
///
/// Not thread-safe: owned by the `Scheduler` actor, which is also what `pop()` suspends on.
struct SchedulingQueue {
    struct Item: Sendable {
        var pod: PendingPod
        /// Scheduling attempts so far (counted when popped).
        var attempts = 0
        /// When the pod was added or last failed; backoff counts from here.
        var timestamp: ContinuousClock.Instant
        /// When the pod first entered the queue (for the SLI metric).
        var firstSeen: ContinuousClock.Instant
        /// Position among equals in `active` (older first).
        var sequence: UInt64 = 0
        /// The last FailedScheduling message recorded for this pod.
        var lastMessage: String?
    }

    let initialBackoff: Duration
    let maximumBackoff: Duration
    let maximumUnschedulableTime: Duration

    private var heap: [(priority: Int32, sequence: UInt64, uid: String)] = []
    private(set) var active: [String: Item] = [:]
    private(set) var backoff: [String: Item] = [:]
    private(set) var unschedulable: [String: Item] = [:]
    /// Pods being scheduled right now, with the newest version seen meanwhile (nil once deleted).
    private var inFlight: [String: PendingPod?] = [:]
    private var nextSequence: UInt64 = 0
    /// The scheduling cycle count, and the cycle of the latest move request.
    private(set) var schedulingCycle = 0
    private var moveRequestCycle = -1

    init(initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(10),
         maximumUnschedulableTime: Duration = .seconds(300)) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumUnschedulableTime = maximumUnschedulableTime
    }

    var isEmpty: Bool { active.isEmpty }
    var count: (active: Int, backoff: Int, unschedulable: Int) { (active.count, backoff.count, unschedulable.count) }

    func contains(uid: String) -> Bool {
        active[uid] != nil || backoff[uid] != nil || unschedulable[uid] != nil || inFlight[uid] != nil
    }

    // MARK: Informer-driven changes

    /// A pending pod appeared or changed. A changed pod waiting as unschedulable gets another chance now (or after
    /// its backoff).
    mutating func addOrUpdate(_ pod: PendingPod, now: ContinuousClock.Instant = .now) {
        let uid = pod.info.uid
        if inFlight[uid] != nil {
            inFlight[uid] = .some(pod)
        } else if active[uid] != nil {
            active[uid]!.pod = pod
        } else if backoff[uid] != nil {
            backoff[uid]!.pod = pod
        } else if var item = unschedulable[uid] {
            let updated = Self.isUpdated(item.pod.pod, pod.pod)
            item.pod = pod
            unschedulable[uid] = item
            // Only a change to the pod itself may help, not its status (such as the condition we just wrote).
            if updated {
                unschedulable[uid] = nil
                moveOut(item, now: now)
            }
        } else {
            push(Item(pod: pod, timestamp: now, firstSeen: now))
        }
    }

    /// Upstream's `isPodUpdated`: the pods differ in more than status, resourceVersion, generation and managed fields.
    static func isUpdated(_ old: Pod, _ new: Pod) -> Bool {
        func stripped(_ pod: Pod) -> Pod {
            var pod = pod
            pod.status = nil
            pod.metadata.resourceVersion = nil
            pod.metadata.generation = nil
            pod.metadata.managedFields = nil
            return pod
        }
        return stripped(old) != stripped(new)
    }

    /// The pod is gone, bound elsewhere or being deleted.
    mutating func remove(uid: String) {
        active[uid] = nil
        backoff[uid] = nil
        unschedulable[uid] = nil
        if inFlight[uid] != nil { inFlight[uid] = .some(nil) }
    }

    // MARK: Scheduling

    /// The next pod to try, or nil when `active` is empty. Counts an attempt and a scheduling cycle.
    mutating func pop() -> Item? {
        while let top = heap.first {
            removeTop()
            guard var item = active[top.uid], item.sequence == top.sequence else { continue }
            active[top.uid] = nil
            item.attempts += 1
            schedulingCycle += 1
            inFlight[top.uid] = .some(item.pod)
            return item
        }
        return nil
    }

    /// The attempt is over (bound or requeued); the newest version of the pod seen meanwhile, nil if deleted.
    mutating func finish(uid: String) -> PendingPod?? {
        inFlight.removeValue(forKey: uid)
    }

    /// No node fits: the pod waits as unschedulable, or in backoff when a move request came in since `cycle`.
    mutating func addUnschedulable(_ item: Item, cycle: Int, now: ContinuousClock.Instant = .now) {
        var item = item
        item.timestamp = now
        if moveRequestCycle >= cycle {
            backoff[item.pod.info.uid] = item
        } else {
            unschedulable[item.pod.info.uid] = item
        }
    }

    /// The attempt failed for another reason (binding error): retry after the backoff.
    mutating func addBackoff(_ item: Item, now: ContinuousClock.Instant = .now) {
        var item = item
        item.timestamp = now
        backoff[item.pod.info.uid] = item
    }

    /// A cluster change that may make unschedulable pods fit: every one of them goes to backoff (if still backing
    /// off) or active. `filter` picks which pods the change concerns.
    mutating func moveAllToActiveOrBackoff(now: ContinuousClock.Instant = .now, where filter: (PendingPod) -> Bool = { _ in true }) {
        moveRequestCycle = schedulingCycle
        guard !unschedulable.isEmpty else { return }
        for (uid, item) in unschedulable where filter(item.pod) {
            unschedulable[uid] = nil
            moveOut(item, now: now)
        }
    }

    /// Moves pods whose backoff has expired to active, and pods unschedulable for too long out (every second).
    mutating func flush(now: ContinuousClock.Instant = .now) {
        for (uid, item) in backoff where backoffExpiry(item) <= now {
            backoff[uid] = nil
            push(item)
        }
        for (uid, item) in unschedulable where now - item.timestamp > maximumUnschedulableTime {
            unschedulable[uid] = nil
            moveOut(item, now: now)
        }
    }

    /// 1 s, doubled for every attempt after the first, at most 10 s (upstream's `calculateBackoffDuration`).
    func backoffDuration(attempts: Int) -> Duration {
        var duration = initialBackoff
        var attempt = 1
        while attempt < attempts, duration < maximumBackoff {
            duration *= 2
            attempt += 1
        }
        return min(duration, maximumBackoff)
    }

    func backoffExpiry(_ item: Item) -> ContinuousClock.Instant { item.timestamp + backoffDuration(attempts: item.attempts) }

    private mutating func moveOut(_ item: Item, now: ContinuousClock.Instant) {
        if item.attempts > 0, backoffExpiry(item) > now {
            backoff[item.pod.info.uid] = item
        } else {
            push(item)
        }
    }

    // MARK: The active heap (priority descending, then insertion order)

    private mutating func push(_ item: Item) {
        var item = item
        nextSequence += 1
        item.sequence = nextSequence
        let uid = item.pod.info.uid
        active[uid] = item
        heap.append((item.pod.info.priority, item.sequence, uid))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count, Self.before(heap[left], heap[first]) { first = left }
            if right < heap.count, Self.before(heap[right], heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
    }

    private static func before(_ a: (priority: Int32, sequence: UInt64, uid: String), _ b: (priority: Int32, sequence: UInt64, uid: String)) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.sequence < b.sequence
    }
}
