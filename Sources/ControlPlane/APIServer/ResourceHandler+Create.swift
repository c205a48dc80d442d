import Foundation
import KubeAPI
import Store

extension ResourceHandler {
    /// POST on a collection: decode, fill server-owned metadata, admit, store.
    func create(_ request: APIRequest, path: ResourcePath) async throws -> APIResponse {
        var (object, warnings) = try decodeBody(request)
        var response = try await create(object: &object, path: path, request: request,
                                        manager: ManagedFieldsUpdate(manager: request.fieldManager))
        for warning in warnings { response.addWarning(warning) }
        return response
    }

    /// Creates `object` (also the end of an apply that found nothing to patch). `manager` records the write in
    /// managedFields; nil when the caller (apply) has already done so.
    func create(object: inout Object, path: ResourcePath, request: APIRequest, manager: ManagedFieldsUpdate?) async throws -> APIResponse {
        try reconcileNamespace(&object, path: path)
        if let namespace = object.metadata.namespace { try await core.requireNamespace(namespace) }
        if (object.metadata.name ?? "").isEmpty {
            guard let generate = object.metadata.generateName, !generate.isEmpty else {
                throw Status.invalid(kind: info.kind, group: info.group, name: "", causes: [
                    StatusCause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name"),
                ])
            }
            object.metadata.name = String(generate.prefix(58)) + NameValidation.generateSuffix()
        }
        let name = object.metadata.name!
        if object.metadata.resourceVersion.map({ !$0.isEmpty }) ?? false {
            throw Status.invalid(kind: info.kind, group: info.group, name: name, causes: [
                StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(object.metadata.resourceVersion!)\": resourceVersion should not be set on objects to be created", field: "metadata.resourceVersion"),
            ])
        }
        object.metadata.uid = UUID().uuidString.lowercased()
        object.metadata.creationTimestamp = Time.now()
        object.metadata.generation = strategy.tracksGeneration ? 1 : nil
        object.metadata.deletionTimestamp = nil
        object.metadata.deletionGracePeriodSeconds = nil
        object.metadata.selfLink = nil
        object.metadata.omitEmptyCollections()
        strategy.keepStatus(&object, from: nil)
        let admission = core.admission.forRequest()
        try await strategy.prepareForCreate(&object, context: admission)
        strategy.stampRequester(&object, user: request.user)
        var causes = NameValidation.validate(name: name, rule: nameRule)
        causes += MetadataValidation.validate(object.metadata)
        causes += strategy.validate(object, old: nil)
        do {
            if let security = core.security, let user = request.user {
                try await strategy.authorizeWrite(object, old: nil, namespace: path.namespace ?? "", user: user, security: security)
            }
            try throwIfInvalid(causes, name: name)
            try await strategy.admitValidated(object, context: admission)
            try await core.admission.quotas?.admitCreate(object, dryRun: request.isDryRun)
        } catch {
            await strategy.afterDelete(object, context: core.admission)
            throw error
        }
        let recorded = try manager.map { try $0.record(on: &object, old: nil) }
        if request.isDryRun {
            await strategy.afterDelete(object, context: core.admission)
            return .json(try encodeForResponse(object, revision: 0), status: 201)
        }
        let key = StoredObject.key(storage, namespace: object.metadata.namespace, name: name)
        do {
            let stored = try storedBytes(object, recorded: recorded)
            let revision = try await core.store.create(key: key, value: stored, ttl: strategy.timeToLive(object))
            rememberWritten(object, key: key, revision: revision)
            return .json(try written(object, stored: stored, revision: revision), status: 201)
        } catch {
            await strategy.afterDelete(object, context: core.admission)
            throw core.status(for: error, info: info, name: name)
        }
    }

    /// The name rule of the kind (Services and Namespaces follow DNS labels, the rest DNS subdomains).
    var nameRule: NameValidation.Rule {
        switch info.kind {
        case "Service": .dns1035Label
        case "Namespace": .dns1123Label
        case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "CertificateSigningRequest": .pathSegment
        default: .dns1123Subdomain
        }
    }
}
