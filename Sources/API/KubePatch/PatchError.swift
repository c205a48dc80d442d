/// Why a patch could not be applied, worded like upstream's error so clients see familiar text.
///
/// The API server turns `reason` into the HTTP status of its `Status` body: ``Reason/badRequest`` → 400,
/// ``Reason/invalid`` → 422, ``Reason/conflict`` → 409, ``Reason/internalError`` → 500 (what upstream answers
/// for strategic-merge errors it does not classify).
public struct PatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure, which decides the HTTP status.
    public enum Reason: Sendable, Hashable {
        /// The patch document itself is malformed (400 BadRequest).
        case badRequest
        /// The patch is well formed but cannot apply to this object (422 Invalid).
        case invalid
        /// Server-side apply found fields owned by other managers (409 Conflict).
        case conflict
        /// Anything upstream does not classify (500 InternalError).
        case internalError
    }

    /// One detail of the failure, as a `Status` body's `details.causes` entry.
    public struct Cause: Sendable, Hashable {
        /// e.g. `FieldManagerConflict`.
        public var type: String
        public var message: String
        /// The field path in upstream's form, e.g. `.spec.replicas`.
        public var field: String

        public init(type: String, message: String, field: String) {
            self.type = type
            self.message = message
            self.field = field
        }
    }

    public var reason: Reason
    public var message: String
    /// Per-field details; for apply conflicts, one per conflicting field.
    public var causes: [Cause]

    public init(_ reason: Reason, _ message: String, causes: [Cause] = []) {
        self.reason = reason
        self.message = message
        self.causes = causes
    }

    public var description: String { message }
}
