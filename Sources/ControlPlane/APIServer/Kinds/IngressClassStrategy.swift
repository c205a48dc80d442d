import Foundation
import KubeAPI
import Store

/// networking.k8s.io/v1 IngressClasses (cluster-scoped): parameters default to `scope: Cluster`; upstream's
/// validation of the controller (required, a domain-prefixed path of at most 250 bytes, immutable) and of the
/// parameters reference.
struct IngressClassStrategy: ResourceStrategy {
    typealias Object = IngressClass
    var tracksGeneration: Bool { true }

    func prepareForCreate(_ ingressClass: inout IngressClass, context: AdmissionContext) async throws { Self.applyDefaults(&ingressClass) }
    func prepareForUpdate(_ ingressClass: inout IngressClass, old: IngressClass, context: AdmissionContext) async throws { Self.applyDefaults(&ingressClass) }

    static func applyDefaults(_ ingressClass: inout IngressClass) {
        if ingressClass.spec?.parameters != nil, ingressClass.spec?.parameters?.scope == nil { ingressClass.spec?.parameters?.scope = "Cluster" }
    }

    func validate(_ ingressClass: IngressClass, old: IngressClass?) -> [StatusCause] {
        let spec = ingressClass.spec ?? IngressClassSpec()
        var causes: [StatusCause] = []
        if let old, (old.spec?.controller ?? "") != (spec.controller ?? "") {
            causes.append(NetworkingValidation.invalid("spec.controller", spec.controller ?? "", "field is immutable"))
        }
        let controller = spec.controller ?? ""
        if !controller.isEmpty, controller.utf8.count > 250 {
            causes.append(StatusCause(reason: "FieldValueTooLong", message: "Too long: may not be more than 250 bytes", field: "spec.controller"))
        }
        causes += NetworkingValidation.domainPrefixedPathErrors(controller, field: "spec.controller")
        guard let parameters = spec.parameters else { return causes }
        let field = "spec.parameters"
        causes += NetworkingValidation.validateReference(apiGroup: parameters.apiGroup, kind: parameters.kind, name: parameters.name, field: field)
        guard let scope = parameters.scope else { return causes + [NetworkingValidation.required("\(field).scope")] }
        switch scope {
        case "Namespace":
            if let namespace = parameters.namespace {
                causes += NameValidation.validate(name: namespace, rule: .dns1123Label, field: "\(field).namespace")
            } else {
                causes.append(NetworkingValidation.required("\(field).namespace", "`parameters.scope` is set to 'Namespace'"))
            }
        case "Cluster":
            if parameters.namespace != nil { causes.append(NetworkingValidation.forbidden("\(field).namespace", "`parameters.scope` is set to 'Cluster'")) }
        default:
            causes.append(NetworkingValidation.notSupported("\(field).scope", scope, ["Cluster", "Namespace"]))
        }
        return causes
    }

    var table: TableConverter<IngressClass> { Printers.ingressClass }
}

/// The DefaultIngressClass admission plugin: a new Ingress that names no class (no `ingressClassName`, no legacy
/// annotation) gets the default class, read straight from the store (there are a handful).
struct IngressClassAdmission: Sendable {
    let store: any Store

    func admit(_ ingress: inout Ingress) async throws {
        guard ingress.spec?.ingressClassName == nil, ingress.metadata.annotations?[Ingress.classAnnotation] == nil,
              let name = IngressClass.defaultClass(among: try await StoredObject.all(IngressClass.self, in: store))?.metadata.name else { return }
        var spec = ingress.spec ?? IngressSpec()
        spec.ingressClassName = name
        ingress.spec = spec
    }
}

extension Printers {
    /// NAME, CONTROLLER, PARAMETERS, AGE.
    static var ingressClass: TableConverter<IngressClass> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Controller", type: "string", description: "Controller that is responsible for handling this class"),
            .init(name: "Parameters", type: "string", description: "A reference to a resource with additional parameters"),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { ingressClass, now in
            var parameters = "<none>"
            if let reference = ingressClass.spec?.parameters {
                parameters = reference.kind + (reference.apiGroup.map { ".\($0)" } ?? "") + "/" + reference.name
            }
            return [.string(ingressClass.metadata.name ?? ""), .string(ingressClass.spec?.controller ?? ""), .string(parameters),
                    ageCell(ingressClass.metadata.creationTimestamp, now: now)]
        }
    }
}
