import KubeAPI

/// Parses JSON text in tests.
func j(_ text: String) -> JSONValue {
    do { return try JSONValue(parsing: text) } catch { fatalError("bad test JSON \(text): \(error)") }
}
