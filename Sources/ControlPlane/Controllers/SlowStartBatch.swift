/// Runs `count` calls in batches of 1, 2, 4, … (upstream's `slowStartBatch`), stopping after a batch with a
/// failure, so a quota or validation error costs one request rather than hundreds. Each call gets its index
/// (0..<count), for callers that create a different object per call (a DaemonSet's pod per node).
///
/// - Returns: how many calls succeeded and the first error.
func slowStartBatch(_ count: Int, _ call: @escaping @Sendable (Int) async throws -> Void) async -> (succeeded: Int, firstError: (any Error)?) {
    var next = 0
    var batch = 1
    var succeeded = 0
    while next < count {
        let range = next..<min(next + batch, count)
        let errors = await withTaskGroup(of: (any Error)?.self) { group in
            for index in range {
                group.addTask {
                    do { try await call(index); return nil } catch { return error }
                }
            }
            return await group.reduce(into: [any Error]()) { if let e = $1 { $0.append(e) } }
        }
        succeeded += range.count - errors.count
        if let first = errors.first { return (succeeded, first) }
        next = range.upperBound
        batch *= 2
    }
    return (succeeded, nil)
}
