import Foundation

/// core/v1 `SecurityContext`: per-container security settings (override the pod's).
public struct SecurityContext: Codable, Sendable, Hashable {
    public var capabilities: Capabilities?
    public var privileged: Bool?
    @Boxed public var seLinuxOptions: SELinuxOptions?
    @Boxed public var windowsOptions: WindowsSecurityContextOptions?
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var readOnlyRootFilesystem: Bool?
    public var allowPrivilegeEscalation: Bool?
    /// `Default` or `Unmasked`.
    public var procMount: String?
    public var seccompProfile: SeccompProfile?
    @Boxed public var appArmorProfile: AppArmorProfile?

    public init(
        capabilities: Capabilities? = nil,
        privileged: Bool? = nil,
        seLinuxOptions: SELinuxOptions? = nil,
        windowsOptions: WindowsSecurityContextOptions? = nil,
        runAsUser: Int64? = nil,
        runAsGroup: Int64? = nil,
        runAsNonRoot: Bool? = nil,
        readOnlyRootFilesystem: Bool? = nil,
        allowPrivilegeEscalation: Bool? = nil,
        procMount: String? = nil,
        seccompProfile: SeccompProfile? = nil,
        appArmorProfile: AppArmorProfile? = nil
    ) {
        self.capabilities = capabilities
        self.privileged = privileged
        self.seLinuxOptions = seLinuxOptions
        self.windowsOptions = windowsOptions
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.procMount = procMount
        self.seccompProfile = seccompProfile
        self.appArmorProfile = appArmorProfile
    }
}

/// core/v1 `Capabilities`: POSIX capabilities to add and drop (`NET_ADMIN`, `ALL`).
public struct Capabilities: Codable, Sendable, Hashable {
    public var add: [String]?
    public var drop: [String]?

    public init(add: [String]? = nil, drop: [String]? = nil) {
        self.add = add
        self.drop = drop
    }
}

/// core/v1 `SELinuxOptions`.
public struct SELinuxOptions: Codable, Sendable, Hashable {
    public var user: String?
    public var role: String?
    public var type: String?
    public var level: String?

    public init(
        user: String? = nil,
        role: String? = nil,
        type: String? = nil,
        level: String? = nil
    ) {
        self.user = user
        self.role = role
        self.type = type
        self.level = level
    }
}

/// core/v1 `WindowsSecurityContextOptions`.
public struct WindowsSecurityContextOptions: Codable, Sendable, Hashable {
    public var gmsaCredentialSpecName: String?
    public var gmsaCredentialSpec: String?
    public var runAsUserName: String?
    public var hostProcess: Bool?

    public init(
        gmsaCredentialSpecName: String? = nil,
        gmsaCredentialSpec: String? = nil,
        runAsUserName: String? = nil,
        hostProcess: Bool? = nil
    ) {
        self.gmsaCredentialSpecName = gmsaCredentialSpecName
        self.gmsaCredentialSpec = gmsaCredentialSpec
        self.runAsUserName = runAsUserName
        self.hostProcess = hostProcess
    }
}

/// core/v1 `SeccompProfile`: `RuntimeDefault`, `Unconfined` or `Localhost` with a profile path.
public struct SeccompProfile: Codable, Sendable, Hashable {
    public var type: String
    public var localhostProfile: String?

    public init(type: String, localhostProfile: String? = nil) {
        self.type = type
        self.localhostProfile = localhostProfile
    }

    enum CodingKeys: String, CodingKey { case type, localhostProfile }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        localhostProfile = try c.decodeIfPresent(String.self, forKey: .localhostProfile)
    }
}

/// core/v1 `AppArmorProfile`: `RuntimeDefault`, `Unconfined` or `Localhost` with a profile name.
public struct AppArmorProfile: Codable, Sendable, Hashable {
    public var type: String
    public var localhostProfile: String?

    public init(type: String, localhostProfile: String? = nil) {
        self.type = type
        self.localhostProfile = localhostProfile
    }

    enum CodingKeys: String, CodingKey { case type, localhostProfile }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        localhostProfile = try c.decodeIfPresent(String.self, forKey: .localhostProfile)
    }
}

/// core/v1 `PodSecurityContext`: security settings for every container of the pod and its volumes.
public struct PodSecurityContext: Codable, Sendable, Hashable {
    @Boxed public var seLinuxOptions: SELinuxOptions?
    @Boxed public var windowsOptions: WindowsSecurityContextOptions?
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var supplementalGroups: [Int64]?
    /// `Merge` or `Strict`.
    public var supplementalGroupsPolicy: String?
    public var fsGroup: Int64?
    public var sysctls: [Sysctl]?
    /// `OnRootMismatch` or `Always`.
    public var fsGroupChangePolicy: String?
    public var seccompProfile: SeccompProfile?
    @Boxed public var appArmorProfile: AppArmorProfile?
    public var seLinuxChangePolicy: String?

    public init(
        seLinuxOptions: SELinuxOptions? = nil,
        windowsOptions: WindowsSecurityContextOptions? = nil,
        runAsUser: Int64? = nil,
        runAsGroup: Int64? = nil,
        runAsNonRoot: Bool? = nil,
        supplementalGroups: [Int64]? = nil,
        supplementalGroupsPolicy: String? = nil,
        fsGroup: Int64? = nil,
        sysctls: [Sysctl]? = nil,
        fsGroupChangePolicy: String? = nil,
        seccompProfile: SeccompProfile? = nil,
        appArmorProfile: AppArmorProfile? = nil,
        seLinuxChangePolicy: String? = nil
    ) {
        self.seLinuxOptions = seLinuxOptions
        self.windowsOptions = windowsOptions
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.supplementalGroups = supplementalGroups
        self.supplementalGroupsPolicy = supplementalGroupsPolicy
        self.fsGroup = fsGroup
        self.sysctls = sysctls
        self.fsGroupChangePolicy = fsGroupChangePolicy
        self.seccompProfile = seccompProfile
        self.appArmorProfile = appArmorProfile
        self.seLinuxChangePolicy = seLinuxChangePolicy
    }
}

/// core/v1 `Sysctl`: a namespaced kernel parameter set in the pod sandbox.
public struct Sysctl: Codable, Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case name, value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        value = try c.decodeIfPresent(String.self, forKey: .value) ?? ""
    }
}
