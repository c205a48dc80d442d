import Foundation
import KubeAPI

/// Upstream's rules for ephemeral containers (`kubectl debug`), with its field paths and messages: the checks of
/// `validateEphemeralContainers` that run with every pod validation, and `ValidatePodEphemeralContainersUpdate`
/// for writes through `pods/ephemeralcontainers` (containers may be added, never removed or changed).
enum EphemeralContainerValidation {
    /// The upstream message for a field an ephemeral container may not set.
    static let forbiddenMessage = "Forbidden: cannot be set for an Ephemeral Container"

    /// Each ephemeral container of `spec`: a valid name unique across all containers, an image, a known pull
    /// policy, a target that names a container or init container, none of the fields upstream's allow-list leaves
    /// out (ports, resources, resizePolicy, restartPolicy, probes, lifecycle) and no subPath mounts.
    static func validate(_ spec: PodSpec) -> [StatusCause] {
        let ephemeral = spec.ephemeralContainers ?? []
        guard !ephemeral.isEmpty else { return [] }
        let others = Set(spec.containers.map(\.name) + (spec.initContainers ?? []).map(\.name))
        var names = others
        var causes: [StatusCause] = []
        for (i, container) in ephemeral.enumerated() {
            let field = "spec.ephemeralContainers[\(i)]"
            if container.name.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(field).name"))
            } else if !NameValidation.isDNS1123Label(container.name) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(container.name)\": \(NameValidation.dns1123LabelMessage)",
                                          field: "\(field).name"))
            }
            if (container.image ?? "").isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(field).image"))
            }
            if let policy = container.imagePullPolicy, !["Always", "IfNotPresent", "Never"].contains(policy) {
                causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                                          field: "\(field).imagePullPolicy"))
            }
            if !names.insert(container.name).inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(container.name)\"", field: "\(field).name"))
            }
            if let target = container.targetContainerName, !target.isEmpty, !others.contains(target) {
                causes.append(StatusCause(reason: "FieldValueNotFound", message: "Not found: \"\(target)\"", field: "\(field).targetContainerName"))
            }
            // Upstream's allowedEphemeralContainerFields, in the struct's field order: a field set to anything but
            // its zero value is refused.
            let forbidden: [(String, Bool)] = [
                ("ports", !(container.ports ?? []).isEmpty),
                ("resources", !isEmpty(container.resources)),
                ("resizePolicy", !(container.resizePolicy ?? []).isEmpty),
                ("restartPolicy", container.restartPolicy != nil),
                ("livenessProbe", container.livenessProbe != nil),
                ("readinessProbe", container.readinessProbe != nil),
                ("startupProbe", container.startupProbe != nil),
                ("lifecycle", container.lifecycle != nil),
            ]
            for (name, set) in forbidden where set {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: forbiddenMessage, field: "\(field).\(name)"))
            }
            for (j, mount) in (container.volumeMounts ?? []).enumerated() {
                if !(mount.subPath ?? "").isEmpty {
                    causes.append(StatusCause(reason: "FieldValueForbidden", message: forbiddenMessage, field: "\(field).volumeMounts[\(j)].subPath"))
                }
                if !(mount.subPathExpr ?? "").isEmpty {
                    causes.append(StatusCause(reason: "FieldValueForbidden", message: forbiddenMessage, field: "\(field).volumeMounts[\(j)].subPathExpr"))
                }
            }
        }
        return causes
    }

    /// A write through `pods/ephemeralcontainers` (`pod` is the stored pod with the request's ephemeral containers):
    /// the whole spec is valid, a static pod's mirror takes none, and each existing ephemeral container is still
    /// there unchanged (patches do not keep order, so they are matched by name).
    static func validateUpdate(_ pod: Pod, old: Pod) -> [StatusCause] {
        var causes = PodStrategy.validateSpec(pod.spec ?? PodSpec())
        if old.isMirror {
            return [StatusCause(reason: "FieldValueForbidden", message: "Forbidden: static pods do not support ephemeral containers", field: "")]
        }
        let updated = Dictionary((pod.spec?.ephemeralContainers ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for existing in old.spec?.ephemeralContainers ?? [] {
            guard let now = updated[existing.name] else {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: existing ephemeral containers \"\(existing.name)\" may not be removed\n",
                                          field: "spec.ephemeralContainers"))
                continue
            }
            if now != existing {
                causes.append(StatusCause(reason: "FieldValueForbidden",
                                          message: "Forbidden: existing ephemeral containers \"\(existing.name)\" may not be changed\n\(difference(existing, now))",
                                          field: "spec.ephemeralContainers"))
            }
        }
        return causes
    }

    /// Resources with no limits, requests or claims are the Go zero value upstream compares with.
    private static func isEmpty(_ resources: ResourceRequirements?) -> Bool {
        guard let resources else { return true }
        return (resources.limits ?? [:]).isEmpty && (resources.requests ?? [:]).isEmpty && (resources.claims ?? []).isEmpty
    }

    /// The fields that differ, one `-` and one `+` line each (upstream prints a go-cmp diff of the structs here).
    static func difference(_ old: EphemeralContainer, _ new: EphemeralContainer) -> String {
        let before = (try? KubeJSON.value(of: old))?.objectValue ?? [:], after = (try? KubeJSON.value(of: new))?.objectValue ?? [:]
        var lines: [String] = []
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            if let value = before[key] { lines.append("-\t\(key): \(value.jsonString)") }
            if let value = after[key] { lines.append("+\t\(key): \(value.jsonString)") }
        }
        return lines.joined(separator: "\n")
    }
}
