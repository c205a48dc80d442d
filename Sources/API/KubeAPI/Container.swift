import Foundation

/// core/v1 `Container`: one container of a pod.
public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var envFrom: [EnvFromSource]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var resizePolicy: [ContainerResizePolicy]?
    /// `Always` makes an init container a sidecar.
    public var restartPolicy: String?
    public var restartPolicyRules: [ContainerRestartRule]?
    public var volumeMounts: [VolumeMount]?
    public var volumeDevices: [VolumeDevice]?
    @Boxed public var livenessProbe: Probe?
    @Boxed public var readinessProbe: Probe?
    @Boxed public var startupProbe: Probe?
    @Boxed public var lifecycle: Lifecycle?
    public var terminationMessagePath: String?
    /// `File` or `FallbackToLogsOnError`.
    public var terminationMessagePolicy: String?
    /// `Always`, `IfNotPresent` or `Never`.
    public var imagePullPolicy: String?
    @Boxed public var securityContext: SecurityContext?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?

    public init(
        name: String,
        image: String? = nil,
        command: [String]? = nil,
        args: [String]? = nil,
        workingDir: String? = nil,
        ports: [ContainerPort]? = nil,
        envFrom: [EnvFromSource]? = nil,
        env: [EnvVar]? = nil,
        resources: ResourceRequirements? = nil,
        resizePolicy: [ContainerResizePolicy]? = nil,
        restartPolicy: String? = nil,
        restartPolicyRules: [ContainerRestartRule]? = nil,
        volumeMounts: [VolumeMount]? = nil,
        volumeDevices: [VolumeDevice]? = nil,
        livenessProbe: Probe? = nil,
        readinessProbe: Probe? = nil,
        startupProbe: Probe? = nil,
        lifecycle: Lifecycle? = nil,
        terminationMessagePath: String? = nil,
        terminationMessagePolicy: String? = nil,
        imagePullPolicy: String? = nil,
        securityContext: SecurityContext? = nil,
        stdin: Bool? = nil,
        stdinOnce: Bool? = nil,
        tty: Bool? = nil
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.ports = ports
        self.envFrom = envFrom
        self.env = env
        self.resources = resources
        self.resizePolicy = resizePolicy
        self.restartPolicy = restartPolicy
        self.restartPolicyRules = restartPolicyRules
        self.volumeMounts = volumeMounts
        self.volumeDevices = volumeDevices
        self.livenessProbe = livenessProbe
        self.readinessProbe = readinessProbe
        self.startupProbe = startupProbe
        self.lifecycle = lifecycle
        self.terminationMessagePath = terminationMessagePath
        self.terminationMessagePolicy = terminationMessagePolicy
        self.imagePullPolicy = imagePullPolicy
        self.securityContext = securityContext
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
    }

    enum CodingKeys: String, CodingKey { case name, image, command, args, workingDir, ports, envFrom, env, resources, resizePolicy, restartPolicy, restartPolicyRules, volumeMounts, volumeDevices, livenessProbe, readinessProbe, startupProbe, lifecycle, terminationMessagePath, terminationMessagePolicy, imagePullPolicy, securityContext, stdin, stdinOnce, tty }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        image = try c.decodeIfPresent(String.self, forKey: .image)
        command = try c.decodeIfPresent([String].self, forKey: .command)
        args = try c.decodeIfPresent([String].self, forKey: .args)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        ports = try c.decodeIfPresent([ContainerPort].self, forKey: .ports)
        envFrom = try c.decodeIfPresent([EnvFromSource].self, forKey: .envFrom)
        env = try c.decodeIfPresent([EnvVar].self, forKey: .env)
        resources = try c.decodeIfPresent(ResourceRequirements.self, forKey: .resources)
        resizePolicy = try c.decodeIfPresent([ContainerResizePolicy].self, forKey: .resizePolicy)
        restartPolicy = try c.decodeIfPresent(String.self, forKey: .restartPolicy)
        restartPolicyRules = try c.decodeIfPresent([ContainerRestartRule].self, forKey: .restartPolicyRules)
        volumeMounts = try c.decodeIfPresent([VolumeMount].self, forKey: .volumeMounts)
        volumeDevices = try c.decodeIfPresent([VolumeDevice].self, forKey: .volumeDevices)
        livenessProbe = try c.decodeIfPresent(Probe.self, forKey: .livenessProbe)
        readinessProbe = try c.decodeIfPresent(Probe.self, forKey: .readinessProbe)
        startupProbe = try c.decodeIfPresent(Probe.self, forKey: .startupProbe)
        lifecycle = try c.decodeIfPresent(Lifecycle.self, forKey: .lifecycle)
        terminationMessagePath = try c.decodeIfPresent(String.self, forKey: .terminationMessagePath)
        terminationMessagePolicy = try c.decodeIfPresent(String.self, forKey: .terminationMessagePolicy)
        imagePullPolicy = try c.decodeIfPresent(String.self, forKey: .imagePullPolicy)
        securityContext = try c.decodeIfPresent(SecurityContext.self, forKey: .securityContext)
        stdin = try c.decodeIfPresent(Bool.self, forKey: .stdin)
        stdinOnce = try c.decodeIfPresent(Bool.self, forKey: .stdinOnce)
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
    }
}

/// core/v1 `EphemeralContainer`: a debugging container added to a running pod (`kubectl debug`).
public struct EphemeralContainer: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var envFrom: [EnvFromSource]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var resizePolicy: [ContainerResizePolicy]?
    /// `Always` makes an init container a sidecar.
    public var restartPolicy: String?
    public var restartPolicyRules: [ContainerRestartRule]?
    public var volumeMounts: [VolumeMount]?
    public var volumeDevices: [VolumeDevice]?
    @Boxed public var livenessProbe: Probe?
    @Boxed public var readinessProbe: Probe?
    @Boxed public var startupProbe: Probe?
    @Boxed public var lifecycle: Lifecycle?
    public var terminationMessagePath: String?
    /// `File` or `FallbackToLogsOnError`.
    public var terminationMessagePolicy: String?
    /// `Always`, `IfNotPresent` or `Never`.
    public var imagePullPolicy: String?
    @Boxed public var securityContext: SecurityContext?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?
    public var targetContainerName: String?

    public init(
        name: String,
        image: String? = nil,
        command: [String]? = nil,
        args: [String]? = nil,
        workingDir: String? = nil,
        ports: [ContainerPort]? = nil,
        envFrom: [EnvFromSource]? = nil,
        env: [EnvVar]? = nil,
        resources: ResourceRequirements? = nil,
        resizePolicy: [ContainerResizePolicy]? = nil,
        restartPolicy: String? = nil,
        restartPolicyRules: [ContainerRestartRule]? = nil,
        volumeMounts: [VolumeMount]? = nil,
        volumeDevices: [VolumeDevice]? = nil,
        livenessProbe: Probe? = nil,
        readinessProbe: Probe? = nil,
        startupProbe: Probe? = nil,
        lifecycle: Lifecycle? = nil,
        terminationMessagePath: String? = nil,
        terminationMessagePolicy: String? = nil,
        imagePullPolicy: String? = nil,
        securityContext: SecurityContext? = nil,
        stdin: Bool? = nil,
        stdinOnce: Bool? = nil,
        tty: Bool? = nil,
        targetContainerName: String? = nil
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.ports = ports
        self.envFrom = envFrom
        self.env = env
        self.resources = resources
        self.resizePolicy = resizePolicy
        self.restartPolicy = restartPolicy
        self.restartPolicyRules = restartPolicyRules
        self.volumeMounts = volumeMounts
        self.volumeDevices = volumeDevices
        self.livenessProbe = livenessProbe
        self.readinessProbe = readinessProbe
        self.startupProbe = startupProbe
        self.lifecycle = lifecycle
        self.terminationMessagePath = terminationMessagePath
        self.terminationMessagePolicy = terminationMessagePolicy
        self.imagePullPolicy = imagePullPolicy
        self.securityContext = securityContext
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
        self.targetContainerName = targetContainerName
    }

    enum CodingKeys: String, CodingKey { case name, image, command, args, workingDir, ports, envFrom, env, resources, resizePolicy, restartPolicy, restartPolicyRules, volumeMounts, volumeDevices, livenessProbe, readinessProbe, startupProbe, lifecycle, terminationMessagePath, terminationMessagePolicy, imagePullPolicy, securityContext, stdin, stdinOnce, tty, targetContainerName }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        image = try c.decodeIfPresent(String.self, forKey: .image)
        command = try c.decodeIfPresent([String].self, forKey: .command)
        args = try c.decodeIfPresent([String].self, forKey: .args)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        ports = try c.decodeIfPresent([ContainerPort].self, forKey: .ports)
        envFrom = try c.decodeIfPresent([EnvFromSource].self, forKey: .envFrom)
        env = try c.decodeIfPresent([EnvVar].self, forKey: .env)
        resources = try c.decodeIfPresent(ResourceRequirements.self, forKey: .resources)
        resizePolicy = try c.decodeIfPresent([ContainerResizePolicy].self, forKey: .resizePolicy)
        restartPolicy = try c.decodeIfPresent(String.self, forKey: .restartPolicy)
        restartPolicyRules = try c.decodeIfPresent([ContainerRestartRule].self, forKey: .restartPolicyRules)
        volumeMounts = try c.decodeIfPresent([VolumeMount].self, forKey: .volumeMounts)
        volumeDevices = try c.decodeIfPresent([VolumeDevice].self, forKey: .volumeDevices)
        livenessProbe = try c.decodeIfPresent(Probe.self, forKey: .livenessProbe)
        readinessProbe = try c.decodeIfPresent(Probe.self, forKey: .readinessProbe)
        startupProbe = try c.decodeIfPresent(Probe.self, forKey: .startupProbe)
        lifecycle = try c.decodeIfPresent(Lifecycle.self, forKey: .lifecycle)
        terminationMessagePath = try c.decodeIfPresent(String.self, forKey: .terminationMessagePath)
        terminationMessagePolicy = try c.decodeIfPresent(String.self, forKey: .terminationMessagePolicy)
        imagePullPolicy = try c.decodeIfPresent(String.self, forKey: .imagePullPolicy)
        securityContext = try c.decodeIfPresent(SecurityContext.self, forKey: .securityContext)
        stdin = try c.decodeIfPresent(Bool.self, forKey: .stdin)
        stdinOnce = try c.decodeIfPresent(Bool.self, forKey: .stdinOnce)
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
        targetContainerName = try c.decodeIfPresent(String.self, forKey: .targetContainerName)
    }
}

/// core/v1 `ContainerRestartRule`: a per-exit-code restart rule.
public struct ContainerRestartRule: Codable, Sendable, Hashable {
    public var action: String
    public var exitCodes: ContainerRestartRuleOnExitCodes?

    public init(action: String, exitCodes: ContainerRestartRuleOnExitCodes? = nil) {
        self.action = action
        self.exitCodes = exitCodes
    }

    enum CodingKeys: String, CodingKey { case action, exitCodes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decodeIfPresent(String.self, forKey: .action) ?? ""
        exitCodes = try c.decodeIfPresent(ContainerRestartRuleOnExitCodes.self, forKey: .exitCodes)
    }
}

/// core/v1 `ContainerRestartRuleOnExitCodes`.
public struct ContainerRestartRuleOnExitCodes: Codable, Sendable, Hashable {
    public var `operator`: String
    public var values: [Int32]?

    public init(`operator`: String, values: [Int32]? = nil) {
        self.`operator` = `operator`
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case `operator`, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        `operator` = try c.decodeIfPresent(String.self, forKey: .`operator`) ?? ""
        values = try c.decodeIfPresent([Int32].self, forKey: .values)
    }
}

/// core/v1 `ContainerPort`.
public struct ContainerPort: Codable, Sendable, Hashable {
    public var name: String?
    public var hostPort: Int32?
    public var containerPort: Int32
    /// `TCP` (default), `UDP` or `SCTP`.
    public var `protocol`: String?
    public var hostIP: String?

    public init(
        name: String? = nil,
        hostPort: Int32? = nil,
        containerPort: Int32,
        `protocol`: String? = nil,
        hostIP: String? = nil
    ) {
        self.name = name
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.`protocol` = `protocol`
        self.hostIP = hostIP
    }

    enum CodingKeys: String, CodingKey { case name, hostPort, containerPort, `protocol`, hostIP }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        hostPort = try c.decodeIfPresent(Int32.self, forKey: .hostPort)
        containerPort = try c.decodeIfPresent(Int32.self, forKey: .containerPort) ?? 0
        `protocol` = try c.decodeIfPresent(String.self, forKey: .`protocol`)
        hostIP = try c.decodeIfPresent(String.self, forKey: .hostIP)
    }
}

/// core/v1 `EnvFromSource`: import all keys of a ConfigMap or Secret as environment variables.
public struct EnvFromSource: Codable, Sendable, Hashable {
    public var prefix: String?
    public var configMapRef: ConfigMapEnvSource?
    public var secretRef: SecretEnvSource?

    public init(prefix: String? = nil, configMapRef: ConfigMapEnvSource? = nil, secretRef: SecretEnvSource? = nil) {
        self.prefix = prefix
        self.configMapRef = configMapRef
        self.secretRef = secretRef
    }
}

/// core/v1 `ConfigMapEnvSource`.
public struct ConfigMapEnvSource: Codable, Sendable, Hashable {
    public var name: String?
    public var optional: Bool?

    public init(name: String? = nil, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}

/// core/v1 `SecretEnvSource`.
public struct SecretEnvSource: Codable, Sendable, Hashable {
    public var name: String?
    public var optional: Bool?

    public init(name: String? = nil, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}

/// core/v1 `EnvVar`: a literal value or one taken from elsewhere (`valueFrom`).
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    @Boxed public var valueFrom: EnvVarSource?

    public init(name: String, value: String? = nil, valueFrom: EnvVarSource? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }

    enum CodingKeys: String, CodingKey { case name, value, valueFrom }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        value = try c.decodeIfPresent(String.self, forKey: .value)
        valueFrom = try c.decodeIfPresent(EnvVarSource.self, forKey: .valueFrom)
    }
}

/// core/v1 `EnvVarSource`: exactly one source is set.
public struct EnvVarSource: Codable, Sendable, Hashable {
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: ResourceFieldSelector?
    public var configMapKeyRef: ConfigMapKeySelector?
    public var secretKeyRef: SecretKeySelector?
    public var fileKeyRef: FileKeySelector?

    public init(
        fieldRef: ObjectFieldSelector? = nil,
        resourceFieldRef: ResourceFieldSelector? = nil,
        configMapKeyRef: ConfigMapKeySelector? = nil,
        secretKeyRef: SecretKeySelector? = nil,
        fileKeyRef: FileKeySelector? = nil
    ) {
        self.fieldRef = fieldRef
        self.resourceFieldRef = resourceFieldRef
        self.configMapKeyRef = configMapKeyRef
        self.secretKeyRef = secretKeyRef
        self.fileKeyRef = fileKeyRef
    }
}

/// core/v1 `ObjectFieldSelector`: a field of the pod (`metadata.name`, `status.podIP`, `metadata.labels['app']`).
public struct ObjectFieldSelector: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var fieldPath: String

    public init(apiVersion: String? = nil, fieldPath: String) {
        self.apiVersion = apiVersion
        self.fieldPath = fieldPath
    }

    enum CodingKeys: String, CodingKey { case apiVersion, fieldPath }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        fieldPath = try c.decodeIfPresent(String.self, forKey: .fieldPath) ?? ""
    }
}

/// core/v1 `ResourceFieldSelector`: a container's resource request or limit (`limits.memory`), scaled by `divisor`.
public struct ResourceFieldSelector: Codable, Sendable, Hashable {
    public var containerName: String?
    public var resource: String
    public var divisor: Quantity?

    public init(containerName: String? = nil, resource: String, divisor: Quantity? = nil) {
        self.containerName = containerName
        self.resource = resource
        self.divisor = divisor
    }

    enum CodingKeys: String, CodingKey { case containerName, resource, divisor }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        containerName = try c.decodeIfPresent(String.self, forKey: .containerName)
        resource = try c.decodeIfPresent(String.self, forKey: .resource) ?? ""
        divisor = try c.decodeIfPresent(Quantity.self, forKey: .divisor)
    }
}

/// core/v1 `ConfigMapKeySelector`.
public struct ConfigMapKeySelector: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String
    public var optional: Bool?

    public init(name: String? = nil, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }

    enum CodingKeys: String, CodingKey { case name, key, optional }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        optional = try c.decodeIfPresent(Bool.self, forKey: .optional)
    }
}

/// core/v1 `SecretKeySelector`.
public struct SecretKeySelector: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String
    public var optional: Bool?

    public init(name: String? = nil, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }

    enum CodingKeys: String, CodingKey { case name, key, optional }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        optional = try c.decodeIfPresent(Bool.self, forKey: .optional)
    }
}

/// core/v1 `FileKeySelector`: a key of an env file in a volume.
public struct FileKeySelector: Codable, Sendable, Hashable {
    public var volumeName: String
    public var path: String
    public var key: String
    public var optional: Bool?

    public init(
        volumeName: String,
        path: String,
        key: String,
        optional: Bool? = nil
    ) {
        self.volumeName = volumeName
        self.path = path
        self.key = key
        self.optional = optional
    }

    enum CodingKeys: String, CodingKey { case volumeName, path, key, optional }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        volumeName = try c.decodeIfPresent(String.self, forKey: .volumeName) ?? ""
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        optional = try c.decodeIfPresent(Bool.self, forKey: .optional)
    }
}

/// core/v1 `ResourceRequirements`: requests and limits by resource name (`cpu`, `memory`, `ephemeral-storage`, `hugepages-2Mi`, …).
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?
    public var claims: [ResourceClaim]?

    public init(limits: [String: Quantity]? = nil, requests: [String: Quantity]? = nil, claims: [ResourceClaim]? = nil) {
        self.limits = limits
        self.requests = requests
        self.claims = claims
    }
}

/// core/v1 `ResourceClaim`: a container's use of one of the pod's resource claims.
public struct ResourceClaim: Codable, Sendable, Hashable {
    public var name: String
    public var request: String?

    public init(name: String, request: String? = nil) {
        self.name = name
        self.request = request
    }

    enum CodingKeys: String, CodingKey { case name, request }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        request = try c.decodeIfPresent(String.self, forKey: .request)
    }
}

/// core/v1 `ContainerResizePolicy`: whether resizing a resource restarts the container.
public struct ContainerResizePolicy: Codable, Sendable, Hashable {
    public var resourceName: String
    public var restartPolicy: String

    public init(resourceName: String, restartPolicy: String) {
        self.resourceName = resourceName
        self.restartPolicy = restartPolicy
    }

    enum CodingKeys: String, CodingKey { case resourceName, restartPolicy }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resourceName = try c.decodeIfPresent(String.self, forKey: .resourceName) ?? ""
        restartPolicy = try c.decodeIfPresent(String.self, forKey: .restartPolicy) ?? ""
    }
}

/// core/v1 `VolumeMount`: where a pod volume appears inside a container.
public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var readOnly: Bool?
    /// `Disabled`, `IfPossible` or `Enabled`.
    public var recursiveReadOnly: String?
    public var mountPath: String
    public var subPath: String?
    /// `None`, `HostToContainer` or `Bidirectional`.
    public var mountPropagation: String?
    public var subPathExpr: String?

    public init(
        name: String,
        readOnly: Bool? = nil,
        recursiveReadOnly: String? = nil,
        mountPath: String,
        subPath: String? = nil,
        mountPropagation: String? = nil,
        subPathExpr: String? = nil
    ) {
        self.name = name
        self.readOnly = readOnly
        self.recursiveReadOnly = recursiveReadOnly
        self.mountPath = mountPath
        self.subPath = subPath
        self.mountPropagation = mountPropagation
        self.subPathExpr = subPathExpr
    }

    enum CodingKeys: String, CodingKey { case name, readOnly, recursiveReadOnly, mountPath, subPath, mountPropagation, subPathExpr }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
        recursiveReadOnly = try c.decodeIfPresent(String.self, forKey: .recursiveReadOnly)
        mountPath = try c.decodeIfPresent(String.self, forKey: .mountPath) ?? ""
        subPath = try c.decodeIfPresent(String.self, forKey: .subPath)
        mountPropagation = try c.decodeIfPresent(String.self, forKey: .mountPropagation)
        subPathExpr = try c.decodeIfPresent(String.self, forKey: .subPathExpr)
    }
}

/// core/v1 `VolumeDevice`: a raw block volume exposed as a device node.
public struct VolumeDevice: Codable, Sendable, Hashable {
    public var name: String
    public var devicePath: String

    public init(name: String, devicePath: String) {
        self.name = name
        self.devicePath = devicePath
    }

    enum CodingKeys: String, CodingKey { case name, devicePath }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        devicePath = try c.decodeIfPresent(String.self, forKey: .devicePath) ?? ""
    }
}

extension Container {
    /// An init container with `restartPolicy: Always` is a sidecar (KEP-753, on by default since 1.29): it is
    /// started in its turn among the init containers, keeps running beside the app containers and is restarted
    /// whenever it exits while the pod is not terminating (upstream's `IsRestartableInitContainer`). The kubelet,
    /// the scheduler's requests, validation, `kubectl get pods` and the simulated kubelet all ask this.
    public var isSidecar: Bool { restartPolicy == "Always" }
}
