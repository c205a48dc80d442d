import KubeAPI

extension EphemeralContainer {
    /// The container part of an ephemeral container (upstream's `EphemeralContainerCommon`, which converts to a
    /// `Container` field for field), so it is pulled, configured and started as any other container.
    var common: Container {
        Container(name: name, image: image, command: command, args: args, workingDir: workingDir, ports: ports, envFrom: envFrom, env: env,
                  resources: resources, resizePolicy: resizePolicy, restartPolicy: restartPolicy, restartPolicyRules: restartPolicyRules,
                  volumeMounts: volumeMounts, volumeDevices: volumeDevices, livenessProbe: livenessProbe, readinessProbe: readinessProbe,
                  startupProbe: startupProbe, lifecycle: lifecycle, terminationMessagePath: terminationMessagePath,
                  terminationMessagePolicy: terminationMessagePolicy, imagePullPolicy: imagePullPolicy, securityContext: securityContext,
                  stdin: stdin, stdinOnce: stdinOnce, tty: tty)
    }
}

extension PodSpec {
    /// The container named `name` among the init, regular and ephemeral containers (upstream's VisitContainers).
    func anyContainer(named name: String) -> Container? {
        (initContainers ?? []).first { $0.name == name }
            ?? containers.first { $0.name == name }
            ?? (ephemeralContainers ?? []).first { $0.name == name }?.common
    }
}
