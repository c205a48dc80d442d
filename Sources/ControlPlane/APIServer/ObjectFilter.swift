import KubeAPI

/// The `labelSelector` and `fieldSelector` of a LIST, WATCH or DELETE-collection request.
struct ObjectFilter<Object: KubeObject>: Sendable {
    let labels: LabelSelectorExpression?
    let fields: FieldSelector?

    init(request: APIRequest) throws {
        do {
            labels = try request.query["labelSelector"].flatMap { $0.isEmpty ? nil : try LabelSelectorExpression(parsing: $0) }
            fields = try request.query["fieldSelector"].flatMap { $0.isEmpty ? nil : try FieldSelector(parsing: $0) }
            try fields?.validate(for: Object.self)
        } catch {
            throw Status.badRequest("\(error)")
        }
    }

    /// Whether no selector was given (so objects need not be decoded).
    var isEverything: Bool { labels == nil && fields == nil }

    func matches(_ object: Object) -> Bool {
        if let labels, !labels.matches(object.metadata.labels ?? [:]) { return false }
        if let fields, !fields.matches(object) { return false }
        return true
    }

    /// Whether an object with these labels and field values is selected.
    func matches(_ values: SelectedValues) -> Bool {
        if let labels, !labels.matches(values.labels) { return false }
        if let fields, !fields.matches(values.fields) { return false }
        return true
    }
}
