import Foundation
import KubeAPI

/// apps/v1 ControllerRevisions, validated as upstream: `revision` is non-negative and `data` is immutable once
/// created (a revision is a snapshot; a new state is a new object).
struct ControllerRevisionStrategy: ResourceStrategy {
    typealias Object = ControllerRevision

    func validate(_ revision: ControllerRevision, old: ControllerRevision?) -> [StatusCause] {
        var causes: [StatusCause] = []
        if revision.revision < 0 {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(revision.revision): must be greater than or equal to 0", field: "revision"))
        }
        if let old, old.data != revision.data {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"object\": field is immutable", field: "data"))
        }
        return causes
    }

    var table: TableConverter<ControllerRevision> { Printers.controllerRevision }
}
