import KubeAPI
import Kubelet
import Testing
import TestSupport

/// `--node-labels` and `--register-with-taints` read and checked as upstream's kubelet does, with its messages; the
/// agent refuses to start with bad ones.
@Suite struct NodeRegistrationFlagsTests {
    @Test func nodeLabelsAcceptWhatAKubeletMaySet() throws {
        let labels = try NodeRegistrationFlags.nodeLabels(" topology.kubernetes.io/zone = zone-a ,node.kubernetes.io/pool=blue,,example.com/x=,kubelet.kubernetes.io/a=b")
        #expect(labels == ["topology.kubernetes.io/zone": "zone-a", "node.kubernetes.io/pool": "blue", "example.com/x": "", "kubelet.kubernetes.io/a": "b"])
        try NodeRegistrationFlags.validate(nodeLabels: labels)
        #expect(throws: NodeRegistrationFlags.Invalid.self) { try NodeRegistrationFlags.nodeLabels("zone") }
        #expect(KubeletLabels.isKubeletLabel("sub.node.kubernetes.io/x") && !KubeletLabels.isKubeletLabel("node-role.kubernetes.io/worker"))
        #expect(KubeletLabels.forbiddenForNodes(["node-restriction.kubernetes.io/a", "example.com/b", "k8s.io/c", "kubernetes.io/os"])
                == ["k8s.io/c", "node-restriction.kubernetes.io/a"])
        #expect(KubeletLabels.modified(["a": "1", "b": "2"], ["b": "3", "c": "4"]) == ["a", "b", "c"])
    }

    @Test func unknownKubernetesLabelsAndBadSyntaxAreRefusedInUpstreamsWords() throws {
        do {
            try NodeRegistrationFlags.validate(nodeLabels: ["node-role.kubernetes.io/worker": "", "x.k8s.io/y": "z", "ok": "1"])
            Issue.record("accepted")
        } catch {
            #expect(error.description == """
                unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker x.k8s.io/y]
                --node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (kubelet.kubernetes.io, node.kubernetes.io) or be in the specifically allowed set (beta.kubernetes.io/arch, beta.kubernetes.io/instance-type, beta.kubernetes.io/os, failure-domain.beta.kubernetes.io/region, failure-domain.beta.kubernetes.io/zone, kubernetes.io/arch, kubernetes.io/hostname, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone)
                """)
        }
        do {
            try NodeRegistrationFlags.validate(nodeLabels: ["-bad": "ok", "good": "bad value"])
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("invalid node labels: '-bad' - name part must consist of alphanumeric characters"), "\(error)")
            #expect(error.description.contains("; 'bad value' - a valid label must be an empty string"), "\(error)")
        }
    }

    @Test func taintsParseAsUpstreamsTaintsVar() throws {
        #expect(try NodeRegistrationFlags.taints("dedicated=edge:NoSchedule,gpu:NoExecute,example.com/soft=:PreferNoSchedule") == [
            Taint(key: "dedicated", value: "edge", effect: "NoSchedule"), Taint(key: "gpu", effect: "NoExecute"),
            Taint(key: "example.com/soft", value: "", effect: "PreferNoSchedule"),
        ])
        #expect(try NodeRegistrationFlags.taints("") == [])
        func refusal(_ spec: String) -> String {
            do { _ = try NodeRegistrationFlags.taints(spec); return "accepted" } catch { return error.description }
        }
        #expect(refusal("a=b:Sometimes") == "invalid taint effect: Sometimes, unsupported taint effect")
        #expect(refusal("a=b=c:NoSchedule") == "invalid taint spec: a=b=c:NoSchedule")
        #expect(refusal("a:b:c") == "invalid taint spec: a:b:c")
        #expect(refusal("-a:NoSchedule").hasPrefix("invalid taint spec: -a:NoSchedule, name part must consist of"))
    }

    @Test(.timeLimit(.minutes(1))) func theAgentRefusesToStartWithThem() async throws {
        let swiftlet = try BuiltProducts.path(of: "swiftlet")
        let labels = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--node-labels", "node-role.kubernetes.io/master="])
        #expect(labels.status != 0 && labels.stderr.contains("failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/master]"),
                "\(labels)")
        let malformed = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--node-labels", "zone"])
        #expect(malformed.status != 0 && malformed.stderr.contains(#"invalid argument "zone" for "--node-labels" flag: malformed pair, expect string=string"#), "\(malformed)")
        let taints = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--register-with-taints", "a=b:Never"])
        #expect(taints.status != 0 && taints.stderr.contains(#"invalid argument "a=b:Never" for "--register-with-taints" flag: invalid taint effect: Never, unsupported taint effect"#),
                "\(taints)")
        let eviction = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--eviction-hard", "swap.available<1Gi"])
        #expect(eviction.status != 0 && eviction.stderr.contains(#"invalid argument "swap.available<1Gi" for "--eviction-hard" flag: unsupported eviction signal swap.available"#),
                "\(eviction)")
        let soft = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--eviction-soft", "memory.available<1Gi"])
        #expect(soft.status != 0 && soft.stderr.contains("failed to create kubelet: grace period must be specified for the soft eviction threshold memory.available"),
                "\(soft)")
        let reserved = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--kube-reserved", "gpu=1"])
        #expect(reserved.status != 0 && reserved.stderr.contains(#"invalid argument "gpu=1" for "--kube-reserved" flag: cannot reserve "gpu" resource"#), "\(reserved)")
        let logFiles = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--container-log-max-files", "1"])
        let parallel = try await runCommand(swiftlet, ["agent", "--kubeconfig", "/nonexistent", "--max-parallel-image-pulls", "3"])
        #expect(parallel.status != 0 && parallel.stderr.contains("maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false"),
                "\(parallel)")
        #expect(logFiles.status != 0 && logFiles.stderr.contains("failed to initialize container log manager: invalid MaxFiles 1, must be > 1"), "\(logFiles)")
    }
}
