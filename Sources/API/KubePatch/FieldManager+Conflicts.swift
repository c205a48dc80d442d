import KubeAPI

extension FieldManager {
    /// The 409 an apply with conflicts gets, worded as upstream's `NewConflictError`, one cause per field.
    static func conflictError(_ conflicts: [(ManagerEntry.Identity, FieldSet)]) -> PatchError {
        let flat = conflicts.flatMap { id, set in set.paths.map { (id, $0) } }
        var error = PatchError(.conflict, conflictMessage(conflicts, count: flat.count))
        error.causes = flat.map { id, path in
            PatchError.Cause(type: "FieldManagerConflict", message: "conflict with \(id.display)", field: path.pathString)
        }
        return error
    }

    static func conflictMessage(_ conflicts: [(ManagerEntry.Identity, FieldSet)], count: Int) -> String {
        if count == 1, let (id, set) = conflicts.first, let path = set.paths.first {
            return "Apply failed with 1 conflict: conflict with \(id.display): \(path.pathString)"
        }
        var lines = [String]()
        for (id, set) in conflicts {
            lines.append("conflicts with \(id.display):")
            lines += set.paths.map { "- \($0.pathString)" }
        }
        return "Apply failed with \(count) conflicts: " + lines.joined(separator: "\n")
    }
}
