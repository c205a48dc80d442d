import Foundation
import KubeAPI

/// node.k8s.io/v1 RuntimeClasses (cluster-scoped), as upstream's registry treats them: no defaults, no generation,
/// upstream's validation (pkg/apis/node/validation) and the `kubectl get runtimeclass` columns. What a class does to
/// pods is the RuntimeClass admission plugin's (``RuntimeClassAdmission``) and the kubelet's.
struct RuntimeClassStrategy: ResourceStrategy {
    typealias Object = RuntimeClass

    /// `ValidateRuntimeClass`, and on update `ValidateRuntimeClassUpdate` as well: the handler is immutable.
    func validate(_ runtimeClass: RuntimeClass, old: RuntimeClass?) -> [StatusCause] {
        var causes = RuntimeClassValidation.validate(runtimeClass)
        if let old, old.handler != runtimeClass.handler {
            causes.append(NetworkingValidation.invalid("handler", runtimeClass.handler, "field is immutable"))
        }
        return causes
    }

    var table: TableConverter<RuntimeClass> { Printers.runtimeClass }
}

/// Upstream's RuntimeClass validation with its field paths and messages.
enum RuntimeClassValidation {
    static let toleratedEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

    static func validate(_ runtimeClass: RuntimeClass) -> [StatusCause] {
        var causes = NameValidation.validate(name: runtimeClass.handler, rule: .dns1123Label, field: "handler")
        if let podFixed = runtimeClass.overhead?.podFixed {
            causes += overhead(podFixed, field: "overhead")
        }
        if let scheduling = runtimeClass.scheduling {
            causes += MetadataValidation.labels(scheduling.nodeSelector, field: "scheduling.nodeSelector")
            causes += tolerations(scheduling.tolerations ?? [], field: "scheduling.tolerations")
        }
        return causes
    }

    /// A RuntimeClass's `overhead.podFixed` or a pod's `spec.overhead`, checked as a container's limits (upstream's
    /// `validateOverhead` of both reuses `ValidateContainerResourceRequirements`, so the paths read
    /// `<field>.limits[<name>]`): container resource names, non-negative amounts, whole numbers for extended
    /// resources, hugepages in whole pages and only alongside cpu or memory.
    static func overhead(_ podFixed: [String: Quantity], field: String) -> [StatusCause] {
        ContainerResourceValidation.validate(ResourceRequirements(limits: podFixed), field: field)
    }

    /// Upstream's `ValidateTolerations` plus the RuntimeClass's own check that no toleration appears twice (by key,
    /// operator, value and effect).
    static func tolerations(_ tolerations: [Toleration], field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        var seen: Set<[String]> = []
        for (index, toleration) in tolerations.enumerated() {
            let path = "\(field)[\(index)]"
            let key = toleration.key ?? "", op = toleration.operator ?? "", value = toleration.value ?? "", effect = toleration.effect ?? ""
            if !key.isEmpty, let problem = LabelSyntax.keyProblem(key) {
                causes.append(NetworkingValidation.invalid("\(path).key", key, problem))
            }
            if key.isEmpty, op != "Exists" {
                causes.append(NetworkingValidation.invalid("\(path).operator", op,
                                                           "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
            }
            if toleration.tolerationSeconds != nil, effect != "NoExecute" {
                causes.append(NetworkingValidation.invalid("\(path).effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
            }
            switch op {
            case "Equal", "":
                if let problem = LabelSyntax.valueProblem(value) { causes.append(NetworkingValidation.invalid("\(path).operator", value, problem)) }
            case "Exists":
                if !value.isEmpty {
                    causes.append(StatusCause(reason: "FieldValueInvalid",
                                              message: "Invalid value: \(goSyntax(toleration)): value must be empty when `operator` is 'Exists'",
                                              field: "\(path).operator"))
                }
            default:
                causes.append(NetworkingValidation.notSupported("\(path).operator", op, ["Equal", "Exists"]))
            }
            if !effect.isEmpty, !toleratedEffects.contains(effect) {
                causes.append(NetworkingValidation.notSupported("\(path).effect", effect, toleratedEffects))
            }
            if !seen.insert([key, op, value, effect]).inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \(goSyntax(toleration))", field: path))
            }
        }
        return causes
    }

    /// A toleration as Go's `%#v` prints upstream's internal type in these messages. A set `tolerationSeconds` is a
    /// pointer there, printed as an address that differs on every run; here it shows the value instead.
    static func goSyntax(_ toleration: Toleration) -> String {
        let seconds = toleration.tolerationSeconds.map { "(*int64)(\($0))" } ?? "(*int64)(nil)"
        return "core.Toleration{Key:\(GoQuoted.string(toleration.key ?? "")), Operator:\(GoQuoted.string(toleration.operator ?? "")), "
            + "Value:\(GoQuoted.string(toleration.value ?? "")), Effect:\(GoQuoted.string(toleration.effect ?? "")), TolerationSeconds:\(seconds)}"
    }
}

extension Printers {
    /// NAME, HANDLER, AGE.
    static var runtimeClass: TableConverter<RuntimeClass> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Handler", type: "string", description: "handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class. The possible values are specific to the node & CRI configuration.  It is assumed that all handlers are available on every node, and handlers of the same name are equivalent on every node. For example, a handler called \"runc\" might specify that the runc OCI runtime (using native Linux containers) will be used to run the containers in a pod. The Handler must be lowercase, conform to the DNS Label (RFC 1123) requirements, and is immutable."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { runtimeClass, now in
            [.string(runtimeClass.metadata.name ?? ""), .string(runtimeClass.handler), ageCell(runtimeClass.metadata.creationTimestamp, now: now)]
        }
    }
}
