extension Duration {
    /// The duration as `poll(2)`'s timeout: whole milliseconds, rounded down, at least `minimum` (so never negative),
    /// clamped to `Int32`.
    public func pollMilliseconds(atLeast minimum: Int64 = 0) -> Int32 {
        Int32(clamping: max(minimum, components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000))
    }
}
