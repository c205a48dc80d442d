import CRI
import KubeAPI
@testable import Kubelet
import Testing

/// The container hash the kubelet stores as `io.kubernetes.container.hash` and compares to restart a container whose
/// image changed (upstream's `kubecontainer.HashContainer`).
@Suite struct ContainerHashTests {
    /// Upstream's TestHashContainer (pkg/kubelet/container/helpers_test.go, 1.31+): args and ports are not hashed.
    @Test func upstreamValue() {
        let container = Container(name: "test_container", image: "foo/image:v1", args: ["/bin/sh", "-c", "echo abc"],
                                  ports: [ContainerPort(containerPort: 8001)])
        #expect(ContainerHash.hash(container) == 0x8e45_cbd0)
        #expect(ContainerHash.annotationValue(container) == "8e45cbd0")
        #expect(ContainerHash.hash(Container(name: "test_container", image: "foo/image:v1")) == 0x8e45_cbd0)
    }

    @Test func onlyNameAndImageCount() {
        let base = Container(name: "web", image: "swiftlet.local/busybox:1.35")
        var other = base
        other.command = ["sleep", "1"]
        other.env = [EnvVar(name: "A", value: "b")]
        other.imagePullPolicy = "Always"
        #expect(ContainerHash.hash(other) == ContainerHash.hash(base))
        other.image = "swiftlet.local/busybox:1.36"
        #expect(ContainerHash.hash(other) != ContainerHash.hash(base))
        #expect(ContainerHash.hash(Container(name: "api", image: base.image)) != ContainerHash.hash(base))
    }

    /// encoding/json writes `&`, `<`, `>` as `\u0026`, `\u003c`, `\u003e` before the bytes are hashed:
    /// `{"image":"registry.local/a\u0026b\u003cc\u003e:v1","name":"web"}`.
    @Test func goJSONEscaping() {
        #expect(ContainerHash.hash(Container(name: "web", image: "registry.local/a&b<c>:v1")) == 0x7b07_f324)
    }

    @Test func changedComparesTheStoredAnnotation() {
        let container = Container(name: "web", image: "swiftlet.local/busybox:1.35")
        var status = Runtime_V1_ContainerStatus()
        status.metadata.name = "web"
        // Created before the kubelet stored a hash: cannot tell, so not restarted.
        #expect(!ContainerHash.changed(container, status))
        status.annotations[ContainerHash.annotation] = ContainerHash.annotationValue(container)
        #expect(!ContainerHash.changed(container, status))
        var updated = container
        updated.image = "swiftlet.local/busybox:1.36"
        #expect(ContainerHash.changed(updated, status))
        // The value upstream's kubelet writes for the same container compares equal (lowercase hex, no padding).
        status.annotations[ContainerHash.annotation] = "d2cc3fbe"
        #expect(!ContainerHash.changed(container, status))
    }
}
