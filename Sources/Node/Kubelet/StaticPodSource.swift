import Crypto
import Foundation
import KubeAPI
import KubeClient
import Logging
import Yams

/// Static pods (`--pod-manifest-path`): pod manifests (YAML or JSON, one per file; hidden files ignored)
/// the kubelet runs on its own, without the API server's say, re-read every `--file-check-frequency`. Each
/// runs as `<name>-<node>` with a UID hashed from its file, node and content (a changed file is a new pod), and
/// gets a mirror pod in the API server — annotation `kubernetes.io/config.mirror`, owned by the Node — that
/// shows its status and is recreated when someone deletes it. A removed file stops the pod and its mirror.
actor StaticPodSource {
    static let mirrorAnnotation = "kubernetes.io/config.mirror"
    static let hashAnnotation = "kubernetes.io/config.hash"
    static let sourceAnnotation = "kubernetes.io/config.source"

    let directory: String
    let nodeName: String
    let frequency: Duration
    let client: KubeClient
    let workers: PodWorkers
    let logger: Logger

    /// The static pods running now, by UID.
    private var current: [String: Pod] = [:]
    /// Mirrors of static pods whose files went away, still to be deleted.
    private var orphanedMirrors: [(namespace: String, name: String)] = []
    /// Files that failed to parse, so each problem is logged once per change.
    private var reportedErrors: [String: String] = [:]

    init(directory: String, nodeName: String, frequency: Duration, client: KubeClient, workers: PodWorkers, logger: Logger) {
        self.directory = directory
        self.nodeName = nodeName
        self.frequency = frequency
        self.client = client
        self.workers = workers
        self.logger = logger
    }

    func run() async {
        while !Task.isCancelled {
            await scan()
            await syncMirrors()
            try? await Task.sleep(for: frequency)
        }
    }

    /// Reads the directory and starts, replaces or stops static pods to match it.
    func scan() async {
        var found: [String: Pod] = [:]
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            let path = "\(directory)/\(name)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            do {
                let pod = try staticPod(path: path)
                found[pod.metadata.uid ?? ""] = pod
                reportedErrors[path] = nil
            } catch {
                let message = "\(error)"
                if reportedErrors[path] != message {
                    logger.warning("static pod manifest rejected", metadata: ["file": "\(path)", "error": "\(message)"])
                    reportedErrors[path] = message
                }
            }
        }
        for (uid, pod) in current where found[uid] == nil {
            logger.info("static pod removed", metadata: ["pod": "\(PodWorkers.name(pod))"])
            await workers.removeStatic(pod)
            if !found.values.contains(where: { $0.metadata.name == pod.metadata.name && $0.metadata.namespace == pod.metadata.namespace }) {
                orphanedMirrors.append((pod.metadata.namespace ?? "default", pod.metadata.name ?? ""))
            }
        }
        for (uid, pod) in found where current[uid] == nil {
            logger.info("static pod added", metadata: ["pod": "\(PodWorkers.name(pod))", "uid": "\(uid)"])
            await workers.update(pod)
        }
        current = found
    }

    /// The pod a manifest describes, as the kubelet runs it.
    func staticPod(path: String) throws -> Pod {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: data, as: UTF8.self)
        var pod: Pod
        do {
            pod = text.trimmingCharacters(in: .whitespaces).hasPrefix("{")
                ? try KubeJSON.decode(Pod.self, from: data) : try YAMLDecoder().decode(Pod.self, from: text)
        } catch {
            throw StaticPodError(description: "\(path): not a Pod manifest: \(error)")
        }
        guard pod.kind == nil || pod.kind == "Pod", let name = pod.metadata.name, !name.isEmpty else {
            throw StaticPodError(description: "\(path): a static pod manifest needs kind Pod and a metadata.name")
        }
        guard pod.spec?.containers.isEmpty == false else { throw StaticPodError(description: "\(path): the pod has no containers") }
        let digest = SHA256.hash(data: Data("file:\(path)\nhost:\(nodeName)\n".utf8) + data)
        let hash = digest.prefix(16).map { String(format: "%02x", $0) }.joined()
        pod.metadata.name = "\(name)-\(nodeName)"
        pod.metadata.namespace = pod.metadata.namespace ?? "default"
        pod.metadata.uid = hash
        pod.metadata.annotations = (pod.metadata.annotations ?? [:]).merging(
            [Self.hashAnnotation: hash, Self.sourceAnnotation: "file"]) { _, ours in ours }
        pod.spec?.nodeName = nodeName
        // Static pods tolerate every NoExecute taint, as upstream's do: nothing may evict them.
        let tolerations = pod.spec?.tolerations ?? []
        pod.spec?.tolerations = tolerations + [Toleration(operator: "Exists", effect: "NoExecute")]
        pod.status = nil
        return pod
    }

    /// Creates missing mirror pods, replaces stale ones and deletes those of removed static pods.
    func syncMirrors() async {
        for (namespace, name) in orphanedMirrors {
            await deleteMirror(namespace: namespace, name: name, unless: nil)
        }
        orphanedMirrors = []
        for pod in current.values { await ensureMirror(of: pod) }
    }

    private func ensureMirror(of pod: Pod) async {
        let name = pod.metadata.name ?? "", namespace = pod.metadata.namespace ?? "default", hash = pod.metadata.uid ?? ""
        do {
            let existing = try await client.get(Pod.self, name: name, namespace: namespace)
            guard let mirrorHash = existing.metadata.annotations?[Self.mirrorAnnotation] else {
                logger.warning("a pod that is not this static pod's mirror has its name", metadata: ["pod": "\(namespace)/\(name)"])
                return
            }
            if mirrorHash == hash { return }
            await deleteMirror(namespace: namespace, name: name, unless: hash)
        } catch {
            guard error.isNotFound else {
                logger.warning("mirror pod check failed", metadata: ["pod": "\(namespace)/\(name)", "error": "\(error)"])
                return
            }
        }
        var mirror = pod
        mirror.metadata.uid = nil
        mirror.metadata.resourceVersion = nil
        mirror.metadata.annotations?[Self.mirrorAnnotation] = hash
        // Owned by this node's Node object, by UID, as NodeRestriction requires (upstream's CreateMirrorPod gives up
        // without it; the next sync tries again).
        let nodeUID: String
        do {
            nodeUID = try await client.get(Node.self, name: nodeName).metadata.uid ?? ""
        } catch {
            logger.warning("mirror pod creation failed", metadata: ["pod": "\(namespace)/\(name)", "error": "failed to get node info: \(error)"])
            return
        }
        mirror.metadata.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUID, controller: true)]
        do {
            _ = try await client.create(mirror)
            logger.info("mirror pod created", metadata: ["pod": "\(namespace)/\(name)"])
        } catch {
            logger.warning("mirror pod creation failed", metadata: ["pod": "\(namespace)/\(name)", "error": "\(error)"])
        }
    }

    /// Deletes the mirror pod `namespace/name` at once, unless it already mirrors `hash`.
    private func deleteMirror(namespace: String, name: String, unless hash: String?) async {
        guard let existing = try? await client.get(Pod.self, name: name, namespace: namespace),
              let mirrorHash = existing.metadata.annotations?[Self.mirrorAnnotation], mirrorHash != hash else { return }
        do {
            try await client.delete(Pod.self, name: name, namespace: namespace,
                                    options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: existing.metadata.uid)))
        } catch {
            if !error.isNotFound { logger.warning("mirror pod deletion failed", metadata: ["pod": "\(namespace)/\(name)", "error": "\(error)"]) }
        }
    }
}

/// Why a static pod manifest cannot run, naming the file.
struct StaticPodError: Error, CustomStringConvertible {
    let description: String
}
