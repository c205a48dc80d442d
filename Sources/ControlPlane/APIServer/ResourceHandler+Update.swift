import Foundation
import KubeAPI
import KubePatch
import Store

extension ResourceHandler {
    /// PUT on an object or its status.
    func update(_ request: APIRequest, path: ResourcePath, name: String, subresource: String?) async throws -> APIResponse {
        let (object, warnings) = try decodeBody(request)
        try Self.checkName(object.metadata.name, name: name)
        let expected = try object.metadata.resourceVersion.flatMap { rv -> Int64? in
            guard !rv.isEmpty else { return nil }
            guard let value = Int64(rv) else {
                throw Status.invalid(kind: info.kind, group: info.group, name: name, causes: [
                    StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(rv)\": must be a valid resourceVersion", field: "metadata.resourceVersion"),
                ])
            }
            return value
        }
        let (old, kv) = try await load(name: name, namespace: path.namespace)
        if let expected, expected != kv.modRevision {
            throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
        }
        var response = try await store(object, replacing: old, kv: kv, path: path, request: request, subresource: subresource,
                                        manager: ManagedFieldsUpdate(manager: request.fieldManager, subresource: subresource))
        for warning in warnings { response.addWarning(warning) }
        return response
    }

    /// Admits and stores a new version of an existing object (PUT, PATCH, apply), with compare-and-swap on `kv`.
    /// `manager` records the write in managedFields; nil when the caller (apply) has already done so. `oldValue` is
    /// `storedValue(kv)` when the caller has parsed it already.
    func store(_ incoming: Object, replacing old: Object, kv: KeyValue, path: ResourcePath, request: APIRequest,
               subresource: String?, manager: ManagedFieldsUpdate?, oldValue: JSONValue? = nil) async throws -> APIResponse {
        var object = incoming
        try reconcileNamespace(&object, path: path)
        let requested = object
        if subresource == "status" {
            object = strategy.mergeStatus(object, into: old)
        } else if let subresource {
            object = strategy.mergeSubresource(subresource, object, into: old)
        }
        // Server-owned metadata is never taken from the client.
        object.metadata.name = old.metadata.name
        object.metadata.uid = old.metadata.uid
        object.metadata.creationTimestamp = old.metadata.creationTimestamp
        object.metadata.deletionTimestamp = old.metadata.deletionTimestamp
        object.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds
        object.metadata.selfLink = nil
        object.metadata.generation = old.metadata.generation
        object.metadata.omitEmptyCollections()
        if let subresource {
            return try await admitAndStore(object, requested: requested, replacing: old, kv: kv, request: request, path: path,
                                           subresource: subresource, manager: manager, oldValue: oldValue).response
        }
        strategy.keepStatus(&object, from: old)
        try await strategy.prepareForUpdate(&object, old: old, context: core.admission)
        if strategy.tracksGeneration, strategy.specChanged(object, old: old) { object.metadata.generation = (old.metadata.generation ?? 0) + 1 }
        // What the update allocated (a Service's ClusterIP or NodePorts) goes back unless the new version is stored;
        // what only the old version held goes once the new one replaced it.
        do {
            let (response, replaced) = try await admitAndStore(object, requested: requested, replacing: old, kv: kv, request: request,
                                                               path: path, subresource: nil, manager: manager, oldValue: oldValue)
            await strategy.settleUpdate(kept: replaced ? object : old, discarded: replaced ? old : object, context: core.admission)
            return response
        } catch {
            await strategy.settleUpdate(kept: old, discarded: object, context: core.admission)
            throw error
        }
    }

    /// The part of `store` after the kind's preparation: authorization, validation, quota, managedFields, then the
    /// compare-and-swap. `replaced`: whether the new version took the old one's place (stored, or deleted as its
    /// last finalizer went) rather than nothing being written (a dry run, a no-op).
    private func admitAndStore(_ prepared: Object, requested: Object, replacing old: Object, kv: KeyValue, request: APIRequest,
                               path: ResourcePath, subresource: String?, manager: ManagedFieldsUpdate?,
                               oldValue: JSONValue?) async throws -> (response: APIResponse, replaced: Bool) {
        var object = prepared
        let name = old.metadata.name ?? ""
        if let security = core.security, let user = request.user {
            if let subresource {
                try await strategy.authorizeSubresourceWrite(object, requested: requested, old: old, subresource: subresource, user: user, security: security)
            } else {
                try await strategy.authorizeWrite(object, old: old, namespace: path.namespace ?? "", user: user, security: security)
            }
        }
        let causes = subresource.map { strategy.validateSubresourceUpdate($0, object, old: old) } ?? strategy.validate(object, old: old)
        try throwIfInvalid(MetadataValidation.validate(object.metadata) + causes, name: name)
        // The validating plugins (LimitRanger, then ResourceQuota) admit writes to the main resource only, as
        // upstream's skip subresources.
        if subresource == nil {
            try await strategy.admitValidatedUpdate(object, old: old, context: core.admission.forRequest())
            try await core.admission.quotas?.admitUpdate(object, old: old, dryRun: request.isDryRun)
        }
        // The recorded value is the object as stored: printing it spares encoding the object again.
        let recorded = try manager.map { try $0.record(on: &object, old: old, oldValue: try oldValue ?? storedValue(kv)) }

        var comparable = object, previous = old
        comparable.metadata.resourceVersion = nil
        previous.metadata.resourceVersion = nil
        if comparable == previous || request.isDryRun {
            // A no-op write keeps the resourceVersion, as upstream does.
            return (.json(try encodeForResponse(request.isDryRun ? object : old, revision: kv.modRevision)), false)
        }
        let key = kv.key
        if object.metadata.deletionTimestamp != nil, (object.metadata.finalizers ?? []).isEmpty, !strategy.awaitsFinalization(object),
           !(old.metadata.finalizers ?? []).isEmpty || strategy.awaitsFinalization(old), (object.metadata.deletionGracePeriodSeconds ?? 0) == 0 {
            // The last finalizer is gone: the pending deletion completes now, unless a grace period is still running
            // (a pod the kubelet is stopping), which the kubelet's final DELETE ends (upstream's
            // shouldDeleteDuringUpdate).
            let deleted = try await core.store.delete(key: key, expectedRevision: kv.modRevision)
            await strategy.afterDelete(object, context: core.admission)
            return (.json(try encodeForResponse(object, revision: deleted.modRevision)), true)
        }
        let stored = try storedBytes(object, recorded: recorded)
        // A kind with a time to live (Events) gets all of it again with every write, as upstream's TTLFunc does.
        let revision = try await core.store.update(key: key, value: stored, expectedRevision: kv.modRevision, ttl: strategy.timeToLive(object))
        rememberWritten(object, key: key, revision: revision)
        return (.json(try written(object, stored: stored, revision: revision)), true)
    }

    /// PATCH: JSON patch, merge patch, strategic merge patch or server-side apply, retried on write conflicts
    /// like upstream's GuaranteedUpdate.
    /// Upstream's checkName: a body (or patched object) naming another object than the URL is refused.
    static func checkName(_ bodyName: String?, name: String) throws {
        if let bodyName, bodyName != name {
            throw Status.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
    }

    func patch(_ request: APIRequest, path: ResourcePath, name: String, subresource: String?) async throws -> APIResponse {
        let patchValue = try core.parseBody(request)
        let contentType = request.contentType
        if contentType == "application/apply-patch+yaml" {
            return try await apply(patchValue, request: request, path: path, name: name, subresource: subresource)
        }
        for attempt in 0..<5 {
            let (old, kv) = try await load(name: name, namespace: path.namespace)
            var original = try storedValue(kv)
            original["apiVersion"] = .string(info.groupVersion)
            original["kind"] = .string(info.kind)
            let patched = try Patching.apply(patchValue, contentType: contentType, to: original, kind: info.kind, info: info)
            let (object, warnings) = try decode(patched, fieldValidation: request.fieldValidation)
            try Self.checkName(object.metadata.name, name: name)
            if let rv = object.metadata.resourceVersion, !rv.isEmpty, rv != String(kv.modRevision) {
                throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
            }
            do {
                var response = try await store(object, replacing: old, kv: kv, path: path, request: request, subresource: subresource,
                                                manager: ManagedFieldsUpdate(manager: request.fieldManager, subresource: subresource),
                                                oldValue: original)
                for warning in warnings { response.addWarning(warning) }
                return response
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
        }
        throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
    }
}

extension ObjectMeta {
    /// Empty labels, annotations, finalizers and owner references left out, as Go's `omitempty` leaves them out of
    /// everything upstream stores and returns: `annotations: {}` from a patch (what `kubectl diff`'s dry run sends
    /// for an object without annotations) or a client's body is not kept, so the diff of an unchanged object is empty.
    mutating func omitEmptyCollections() {
        if labels?.isEmpty == true { labels = nil }
        if annotations?.isEmpty == true { annotations = nil }
        if finalizers?.isEmpty == true { finalizers = nil }
        if ownerReferences?.isEmpty == true { ownerReferences = nil }
    }
}

/// Metadata rules shared by every kind (label syntax, annotation size).
enum MetadataValidation {
    static func validate(_ meta: ObjectMeta) -> [StatusCause] {
        var causes = labels(meta.labels, field: "metadata.labels")
        let annotationBytes = (meta.annotations ?? [:]).reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if annotationBytes > 256 * 1024 {
            causes.append(StatusCause(reason: "FieldValueTooLong", message: "Too long: must have at most 262144 bytes", field: "metadata.annotations"))
        }
        return causes
    }

    /// Upstream's `ValidateLabels`: each key a qualified name and each value a label value, reported at `field`
    /// (`metadata.labels`, a RuntimeClass's `scheduling.nodeSelector`).
    static func labels(_ labels: [String: String]?, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        for (key, value) in (labels ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let problem = LabelSyntax.keyProblem(key) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(key)\": \(problem)", field: field))
            }
            if let problem = LabelSyntax.valueProblem(value) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(problem)", field: field))
            }
        }
        return causes
    }
}

/// Label key and value syntax, with upstream's messages.
enum LabelSyntax {
    static let valueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    static let nameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

    static func isQualifiedNamePart(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
        }
        guard let first = b.first, let last = b.last, alnum(first), alnum(last), b.count <= 63 else { return false }
        return b.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        }
        if parts.count == 2, !NameValidation.isDNS1123Subdomain(String(parts[0])) {
            return "prefix part " + NameValidation.dns1123SubdomainMessage
        }
        return isQualifiedNamePart(parts.last!) ? nil : nameMessage
    }

    static func valueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > 63 { return "must be no more than 63 characters" }
        return isQualifiedNamePart(Substring(value)) ? nil : valueMessage
    }
}
