import CRI
import Foundation
import Hummingbird
import KubeAPI
import RemoteCommand

extension KubeletServer {
    /// The node-level routes of upstream's kubelet server, reached directly or through the API server's
    /// `nodes/{name}/proxy/…`: `/pods` (the PodList of the pods bound here), `/runningpods/` (what runs per the runtime),
    /// `/configz` (the effective configuration), `/stats/summary` (the Summary API), `/metrics/resource` (its CPU and
    /// memory for metrics-server), `/metrics/cadvisor` (cAdvisor's container metrics), `/metrics/probes`
    /// (`prober_probe_total`), `/metrics` (the kubelet's Prometheus metrics) and `/logs/` (the node's `/var/log`,
    /// listed as Go's file server lists a directory). Authorized as `nodes/proxy`, `nodes/stats`, `nodes/metrics` and
    /// `nodes/log` by `KubeletAuth`.
    static func addNodeRoutes(to router: Router<PeerRequestContext>, workers: PodWorkers, summary: StatsSummaryProvider?,
                              cadvisor: CadvisorMetrics?, runtime: RuntimeConnection?, configz: (@Sendable () -> [String: Any])?,
                              metrics: (@Sendable () -> String)?, logDirectory: String) {
        router.get("/pods") { _, _ -> Response in
            let pods = await workers.allPods().sorted { (($0.metadata.namespace ?? ""), ($0.metadata.name ?? "")) < (($1.metadata.namespace ?? ""), ($1.metadata.name ?? "")) }
            return json(try KubeJSON.encode(ObjectList<Pod>(items: pods)))
        }
        if let runtime {
            // Registered as `/runningpods/` upstream; the router matches it as `/runningpods`.
            router.get("/runningpods") { _, _ -> Response in
                do {
                    return json(try KubeJSON.encode(ObjectList<Pod>(items: try await runningPods(runtime))))
                } catch {
                    return text("Internal Error: failed to get running pods: \(error)", status: .internalServerError)
                }
            }
        }
        if let configz {
            router.get("/configz") { _, _ -> Response in
                json(try JSONSerialization.data(withJSONObject: configz(), options: [.sortedKeys]))
            }
        }
        router.get("/metrics/probes") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: PrometheusText.contentType],
                     body: .init(byteBuffer: ByteBuffer(string: workers.probeMetrics.render())))
        }
        if let cadvisor {
            router.get("/metrics/cadvisor") { _, _ -> Response in
                let text = await cadvisor.render(pods: await workers.allPods())
                return Response(status: .ok, headers: [.contentType: PrometheusText.contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        if let summary {
            router.get("/stats/summary") { _, _ -> Response in
                do {
                    let stats = try await summary.summary(pods: await workers.allPods())
                    return json(try JSONEncoder().encode(stats))
                } catch {
                    return text("Internal Error: failed to get node info: \(error)", status: .internalServerError)
                }
            }
            router.get("/metrics/resource") { _, _ -> Response in
                do {
                    let stats = try await summary.summary(pods: await workers.allPods())
                    return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: stats.resourceMetrics())))
                } catch {
                    return text("Internal Error: failed to get resource metrics: \(error)", status: .internalServerError)
                }
            }
        }
        if let metrics {
            router.get("/metrics") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: metrics())))
            }
        }
        // The router matches `/logs/` as `/logs`: the raw path tells them apart.
        router.get("/logs") { request, _ -> Response in
            systemLog(request.uri.path, directory: logDirectory)
        }
        router.get("/logs/**") { request, _ -> Response in
            systemLog(request.uri.path, directory: logDirectory)
        }
    }

    /// A file or directory below `directory` for `/logs/<path>`: a directory as Go's `http.FileServer` lists it (a
    /// `<pre>` of links, subdirectories with a trailing slash), a file's bytes, 404 for anything else or outside.
    static func systemLog(_ requestPath: String, directory: String) -> Response {
        guard requestPath != "/logs" else { return Response(status: .movedPermanently, headers: [.location: "logs/"]) }
        let relative = String(requestPath.dropFirst("/logs".count)).removingPercentEncoding ?? ""
        let components = relative.split(separator: "/").map(String.init)
        guard !components.contains(where: { $0 == ".." || $0 == "." }) else { return text("404 page not found", status: .notFound) }
        let path = ([directory] + components).joined(separator: "/")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return text("404 page not found", status: .notFound) }
        if isDirectory.boolValue {
            guard requestPath.hasSuffix("/") else {
                return Response(status: .movedPermanently, headers: [.location: (components.last ?? "logs") + "/"])
            }
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            var listing = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n"
            for entry in entries {
                var entryIsDirectory: ObjCBool = false
                let isDirectory = FileManager.default.fileExists(atPath: path + "/" + entry, isDirectory: &entryIsDirectory) && entryIsDirectory.boolValue
                let name = entry + (isDirectory ? "/" : "")
                let href = (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)
                let shown = name.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                    .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;")
                listing += "<a href=\"\(href)\">\(shown)</a>\n"
            }
            listing += "</pre>\n"
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: listing)))
        }
        guard let data = FileManager.default.contents(atPath: path) else { return text("403 Forbidden", status: .forbidden) }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The pods the runtime runs containers of, as upstream's `/runningpods/` lists them: name, namespace and UID, and
    /// each running container's name and image as ListContainers names it (upstream's `toKubeContainer`: the image the
    /// container was created from, which the kubelet gives as the image ID).
    static func runningPods(_ runtime: RuntimeConnection) async throws -> [Pod] {
        var request = Runtime_V1_ListContainersRequest()
        request.filter.state.state = .containerRunning
        let containers = try await runtime.runtime.listContainers(request, options: RuntimeConnection.options(.seconds(10))).containers
        var pods: [String: Pod] = [:]
        for container in containers.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            guard let uid = container.labels[PodLabels.podUID], let name = container.labels[PodLabels.podName],
                  let namespace = container.labels[PodLabels.podNamespace] else { continue }
            var pod = pods[uid] ?? Pod(metadata: ObjectMeta(name: name, namespace: namespace, uid: uid), spec: PodSpec())
            pod.spec?.containers.append(Container(name: container.metadata.name, image: container.image.image))
            pods[uid] = pod
        }
        return pods.values.sorted { (($0.metadata.namespace ?? ""), ($0.metadata.name ?? "")) < (($1.metadata.namespace ?? ""), ($1.metadata.name ?? "")) }
    }

    static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
