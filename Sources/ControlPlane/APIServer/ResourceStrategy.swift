import KubeAPI

/// What the API server does specially for one kind: defaulting, validation, which parts a write may change,
/// and how the kind prints as a table. Every hook has a sensible default, so a kind with nothing special is
/// just `TableOnlyStrategy` with its columns.
protocol ResourceStrategy<Object>: Sendable {
    associatedtype Object: KubeObject
    /// The kind the store holds this kind's objects as: the kind itself, or for a second API view over another
    /// kind's objects (events.k8s.io/v1 `Event` over core/v1 `Event`) that kind, converted on every read and write.
    associatedtype Stored: KubeObject = Object

    /// The stored form of an object about to be written.
    func stored(_ object: Object) -> Stored
    /// The served form of a stored object.
    func served(_ stored: Stored) -> Object

    /// Whether the kind has a `status` subresource (then writes to the main resource keep the old status
    /// and `generation` counts spec changes only).
    var hasStatus: Bool { get }
    /// Whether `scale` is served (`spec.replicas` / `status.replicas`).
    var scalable: Bool { get }
    /// Whether the kind keeps `metadata.generation` (1 on create, +1 on each spec change), as upstream's strategy
    /// for it does: workloads (ReplicationController too), PodDisruptionBudget, EndpointSlice, Ingress, IngressClass,
    /// NetworkPolicy; not Pods, ConfigMaps, Services and the rest.
    var tracksGeneration: Bool { get }
    /// Kind-specific subresources beyond status and scale (`binding` for pods, `finalize` for namespaces).
    var extraSubresources: [String] { get }
    /// How many of the kind's last writes the server keeps decoded for the writes that soon follow them
    /// (``ResourceHandler/recentWrites``): none by default; a kind whose objects are written several times in quick
    /// succession (Pods) keeps some. Each costs memory for as long as it is remembered, managedFields included.
    var recentWriteCapacity: Int { get }

    /// Fills defaults and clears what a create may not set (status, for kinds with a status subresource).
    func prepareForCreate(_ object: inout Object, context: AdmissionContext) async throws
    /// Records who created the object where the kind keeps it (a CertificateSigningRequest's requester); `user`
    /// is nil on a server that does not authenticate.
    func stampRequester(_ object: inout Object, user: Identity?)
    /// Copies what a main-resource update may not change from `old` (status), fills defaults.
    func prepareForUpdate(_ object: inout Object, old: Object, context: AdmissionContext) async throws
    /// Settles what `prepareForUpdate` allocated once the write is over: releases what `discarded` holds and `kept`
    /// does not — the old version's ClusterIP and NodePorts after a write that dropped them, the new version's after
    /// a write that failed, was a dry run or changed nothing.
    func settleUpdate(kept: Object, discarded: Object, context: AdmissionContext) async
    /// Field errors of an object about to be stored.
    func validate(_ object: Object, old: Object?) -> [StatusCause]
    /// The validating admission plugins that look at a valid new object as it will be stored (LimitRanger's bounds on
    /// a pod's containers); throws their 403.
    func admitValidated(_ object: Object, context: AdmissionContext) async throws
    /// The same plugins on an update of the main resource, for the kinds upstream's plugins admit updates of
    /// (LimitRanger: claims, not pods); `object` is the valid new version, `old` the stored one.
    func admitValidatedUpdate(_ object: Object, old: Object, context: AdmissionContext) async throws
    /// Authorization that depends on the object written (RBAC's escalation prevention), for `user` writing it in
    /// the request's `namespace`; throws the 403. Runs only on a server that authenticates.
    func authorizeWrite(_ object: Object, old: Object?, namespace: String, user: Identity, security: Security) async throws
    /// The same for a write through a subresource (`status`): a CSR's certificate needs `sign` on its signer.
    /// `object` is what will be stored (the status merged into `old`), `requested` the object the request asked for
    /// (what upstream's admission plugins see: NodeRestriction compares a node's claim status write with `old`).
    func authorizeSubresourceWrite(_ object: Object, requested: Object, old: Object, subresource: String, user: Identity, security: Security) async throws
    /// Whether two versions differ in what `generation` counts (spec and friends, not metadata/status).
    func specChanged(_ object: Object, old: Object) -> Bool
    /// Applies a status-subresource write: everything but status comes from `old`.
    func mergeStatus(_ object: Object, into old: Object) -> Object
    /// Applies a write through another subresource that updates part of the object (`pods/ephemeralcontainers`):
    /// what that subresource may change comes from `object` (defaulted), everything else from `old`.
    func mergeSubresource(_ subresource: String, _ object: Object, into old: Object) -> Object
    /// Field errors of a write through `subresource` (upstream's per-subresource strategies' `ValidateUpdate`,
    /// e.g. `ValidatePodEphemeralContainersUpdate`); by default the kind's own validation.
    func validateSubresourceUpdate(_ subresource: String, _ object: Object, old: Object) -> [StatusCause]
    /// A main-resource write never changes status: it keeps `old`'s (none on create).
    func keepStatus(_ object: inout Object, from old: Object?)
    /// Refuses a deletion the kind does not allow (the built-in PriorityClasses).
    func validateDelete(_ object: Object) throws
    /// Upstream's default when DELETE names no propagation policy (Background for most kinds).
    var defaultPropagationPolicy: String { get }
    /// Seconds a deletion waits before the object goes (0: at once, unless finalizers remain).
    func gracePeriod(for object: Object, requested: Int64?) -> Int64
    /// What a pending deletion changes besides metadata (a Namespace goes Terminating).
    func prepareForDeletion(_ object: inout Object)
    /// Whether a deleted object must stay until something else finalizes it (a Namespace's `spec.finalizers`).
    func awaitsFinalization(_ object: Object) -> Bool
    /// Releases what the object held (allocated ClusterIPs, NodePorts) once it is deleted.
    func afterDelete(_ object: Object, context: AdmissionContext) async
    /// How long the object lives after each write of it (create, update, patch, apply) before the store deletes it,
    /// as upstream's registry `TTLFunc`; nil: for good. Events get the server's `--event-ttl`.
    func timeToLive(_ object: Object) -> Duration?
    /// Column definitions and rows for `as=Table`.
    var table: TableConverter<Object> { get }
}

extension ResourceStrategy where Stored == Object {
    func stored(_ object: Object) -> Stored { object }
    func served(_ stored: Stored) -> Object { stored }
}

extension ResourceStrategy {
    var hasStatus: Bool { false }
    var scalable: Bool { false }
    var tracksGeneration: Bool { false }
    var extraSubresources: [String] { [] }
    var recentWriteCapacity: Int { 0 }
    func prepareForCreate(_ object: inout Object, context: AdmissionContext) async throws {}
    func stampRequester(_ object: inout Object, user: Identity?) {}
    func prepareForUpdate(_ object: inout Object, old: Object, context: AdmissionContext) async throws {}
    func settleUpdate(kept: Object, discarded: Object, context: AdmissionContext) async {}
    func validate(_ object: Object, old: Object?) -> [StatusCause] { [] }
    func admitValidated(_ object: Object, context: AdmissionContext) async throws {}
    func admitValidatedUpdate(_ object: Object, old: Object, context: AdmissionContext) async throws {}
    func authorizeWrite(_ object: Object, old: Object?, namespace: String, user: Identity, security: Security) async throws {}
    func authorizeSubresourceWrite(_ object: Object, requested: Object, old: Object, subresource: String, user: Identity, security: Security) async throws {}
    func specChanged(_ object: Object, old: Object) -> Bool {
        var a = object, b = old
        a.metadata = ObjectMeta()
        b.metadata = ObjectMeta()
        return a != b
    }
    func mergeStatus(_ object: Object, into old: Object) -> Object { object }
    func mergeSubresource(_ subresource: String, _ object: Object, into old: Object) -> Object { object }
    func validateSubresourceUpdate(_ subresource: String, _ object: Object, old: Object) -> [StatusCause] { validate(object, old: old) }
    func keepStatus(_ object: inout Object, from old: Object?) {}
    func validateDelete(_ object: Object) throws {}
    var defaultPropagationPolicy: String { "Background" }
    func gracePeriod(for object: Object, requested: Int64?) -> Int64 { 0 }
    func prepareForDeletion(_ object: inout Object) {}
    func awaitsFinalization(_ object: Object) -> Bool { false }
    func afterDelete(_ object: Object, context: AdmissionContext) async {}
    func timeToLive(_ object: Object) -> Duration? { nil }
    var table: TableConverter<Object> { .default }
}

/// A kind with nothing special but its table columns (and, for some, `metadata.generation`).
struct TableOnlyStrategy<Object: KubeObject>: ResourceStrategy {
    let table: TableConverter<Object>
    var tracksGeneration = false
}

/// What admission hooks can reach: allocators, the store-backed lookups, the clock.
struct AdmissionContext: Sendable {
    let serviceIPs: ServiceIPAllocator
    let nodePorts: NodePortAllocator
    /// The Priority admission plugin (nil: pods get priority 0 without looking for PriorityClasses).
    var priorities: PriorityAdmission? = nil
    /// The ServiceAccount plugin's token volume (nil over plain HTTP, where no tokens are issued).
    var serviceAccounts: ServiceAccountAdmission? = nil
    /// The DefaultStorageClass plugin (nil: claims keep the class they name).
    var storageClasses: StorageClassAdmission? = nil
    /// The DefaultIngressClass plugin (nil: Ingresses keep the class they name).
    var ingressClasses: IngressClassAdmission? = nil
    /// The LimitRanger plugin (nil: LimitRanges are stored but not applied).
    var limitRanger: LimitRanger? = nil
    /// The ResourceQuota plugin (nil: quotas are stored but not enforced).
    var quotas: QuotaAdmission? = nil
    /// The RuntimeClass plugin (nil: a pod's runtimeClassName is not looked up, its overhead not set).
    var runtimeClasses: RuntimeClassAdmission? = nil

    /// The context one request admits with: its plugins may keep what they read for the rest of the request
    /// (LimitRanger's mutating half hands the namespace's LimitRanges to its validating half).
    func forRequest() -> AdmissionContext {
        var context = self
        context.limitRanger = limitRanger?.forRequest()
        return context
    }
}
