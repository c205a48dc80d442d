import Foundation
import TestSupport
import Testing

extension KubeletEndToEndTests {
    static let python = "/opt/swiftlet-venv/bin/python"

    /// What the official Python client sends where kubectl sends something else: `write_stdin` with a `str` goes out
    /// as WebSocket text frames, booleans as `True`, `since_seconds` / `limit_bytes` are asked for, and
    /// `portforward` speaks the WebSocket channel protocol (`v4.channel.k8s.io`, `?ports=`) instead of SPDY.
    static let pythonStreamScript = #"""
        import sys, time, re
        from kubernetes import client, config
        from kubernetes.stream import stream, portforward
        config.load_kube_config(config_file=sys.argv[1])
        v1 = client.CoreV1Api()
        v1.create_namespaced_pod("default", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "py"}, "spec": {
            "nodeName": sys.argv[2], "terminationGracePeriodSeconds": 1, "containers": [{"name": "c", "image": sys.argv[3],
            "command": ["sh", "-c", "mkdir /www; echo hello-python > /www/index.html; httpd -p 8080 -h /www; "
                        "echo early; sleep 3; i=0; while true; do echo line$i; i=$((i+1)); sleep 1; done"]}]}})
        for _ in range(180):
            if v1.read_namespaced_pod("py", "default").status.phase == "Running": break
            time.sleep(0.5)
        shell = stream(v1.connect_get_namespaced_pod_exec, "py", "default", command=["sh"], stdin=True, stdout=True,
                       stderr=True, tty=False, _preload_content=False)
        shell.write_stdin("echo first\n")
        print("stdout", shell.readline_stdout(timeout=10))
        shell.write_stdin("echo oops >&2; exit 3\n")
        print("stderr", shell.readline_stderr(timeout=10))
        shell.run_forever(timeout=10)
        print("returncode", shell.returncode)
        while "line2" not in v1.read_namespaced_pod_log("py", "default"):
            time.sleep(0.5)
        recent = v1.read_namespaced_pod_log("py", "default", since_seconds=2)
        print("since", "early" not in recent and "line" in recent)
        print("limited", repr(v1.read_namespaced_pod_log("py", "default", limit_bytes=3)))
        stamped = v1.read_namespaced_pod_log("py", "default", tail_lines=1, timestamps=True)
        print("stamped", re.fullmatch(r"\d{4}-\d\d-\d\dT[0-9:.]+Z line\d+\n", stamped) is not None)
        followed = v1.read_namespaced_pod_log("py", "default", follow=True, tail_lines=1, _preload_content=False)
        lines = []
        for line in followed:
            lines.append(int(line.decode().strip()[4:]))
            if len(lines) == 3: break
        followed.release_conn()
        print("followed", lines[1:] == [lines[0] + 1, lines[0] + 2])
        forwarded = portforward(v1.connect_get_namespaced_pod_portforward, "py", "default", ports="8080,9999")
        web = forwarded.socket(8080)
        web.settimeout(10)
        web.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = b""
        try:
            while chunk := web.recv(4096):
                reply += chunk
        except OSError as e:
            print("forward failed", e)
        print("forwarded", reply.split(b"\r\n")[0].endswith(b" 200 OK") and reply.endswith(b"\r\n\r\nhello-python\n") or reply)
        print("refused", "error forwarding port 9999" in (forwarded.error(9999) or ""))
        forwarded.close()
        """#

    @Test("the Python client: interactive exec over text frames, logs followed and cut by since_seconds / limit_bytes, portforward",
          .enabled(if: FileManager.default.isExecutableFile(atPath: python), "hack/install-deps.sh installs the client"),
          .timeLimit(.minutes(3)))
    func pythonClientExecAndLogs() async throws {
        let cluster = try await Cluster()
        do {
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            let result = try await runCommand(Self.python, ["-c", Self.pythonStreamScript, cluster.server.kubeconfig, cluster.nodeName, shell],
                                              timeout: 150)
            #expect(result.status == 0, "\(result)")
            for line in ["stdout first", "stderr oops", "returncode 3", "since True", "limited 'ear'", "stamped True", "followed True",
                         "forwarded True", "refused True"] {
                #expect(result.stdout.contains(line + "\n"), "\(line): \(result)")
            }
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}
