import Foundation
import KubeAPI

/// storage.k8s.io/v1 VolumeAttachments, as upstream's registry treats them: a create starts with an empty status
/// (only the attacher, through `status`, says the volume is attached), the spec never changes, and upstream's
/// `ValidateVolumeAttachment` checks the attacher, exactly one source and the node's name.
struct VolumeAttachmentStrategy: ResourceStrategy {
    typealias Object = VolumeAttachment

    func prepareForCreate(_ attachment: inout VolumeAttachment, context: AdmissionContext) async throws {
        attachment.status = VolumeAttachmentStatus()
    }

    func validate(_ attachment: VolumeAttachment, old: VolumeAttachment?) -> [StatusCause] {
        var causes: [StatusCause] = []
        let spec = attachment.spec
        if spec.attacher.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: attacher must be specified", field: "spec.attacher"))
        }
        switch (spec.source.persistentVolumeName, spec.source.inlineVolumeSpec) {
        case (nil, nil):
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName", field: "spec.source"))
        case (.some, .some):
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName", field: "spec.source"))
        case (.some(let name), nil) where name.isEmpty:
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: must specify non empty persistentVolumeName", field: "spec.source.persistentVolumeName"))
        default:
            break
        }
        if !NameValidation.isDNS1123Subdomain(spec.nodeName) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.nodeName)\": \(NameValidation.dns1123SubdomainMessage)", field: "spec.nodeName"))
        }
        if let old, old.spec != spec {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(Self.describe(spec)): field is immutable", field: "spec"))
        }
        return causes
    }

    /// The spec as the error shows it (JSON).
    private static func describe(_ spec: VolumeAttachmentSpec) -> String {
        (try? KubeJSON.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? "spec"
    }

    var table: TableConverter<VolumeAttachment> { Printers.volumeAttachment }
}

extension Printers {
    /// Upstream's `printVolumeAttachment`: NAME, ATTACHER, PV, NODE, ATTACHED, AGE.
    static var volumeAttachment: TableConverter<VolumeAttachment> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Attacher", type: "string", format: "name", description: "Attacher indicates the name of the volume driver that MUST handle this request. This is the name returned by GetPluginName()."),
            .init(name: "PV", type: "string", description: "Name of the persistent volume to attach."),
            .init(name: "Node", type: "string", description: "The node that the volume should be attached to."),
            .init(name: "Attached", type: "boolean", description: "Indicates the volume is successfully attached. This field must only be set by the entity completing the attach operation, i.e. the external-attacher."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { attachment, now in
            [.string(attachment.metadata.name ?? ""), .string(attachment.spec.attacher),
             .string(attachment.spec.source.persistentVolumeName ?? ""), .string(attachment.spec.nodeName),
             .bool(attachment.status?.attached ?? false), ageCell(attachment.metadata.creationTimestamp, now: now)]
        }
    }
}
