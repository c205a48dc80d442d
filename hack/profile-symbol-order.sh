#!/usr/bin/env bash
# Regenerates Sources/Commands/swiftlet/symbol-order.txt, the order in which lld lays out the functions of the release
# `swiftlet` binary (Package.swift `symbolOrdering`): the functions the node daemons run, packed together, so each
# daemon keeps few pages of the binary resident (the kernel maps 64 KiB around every first touch of a file page;
# README "Node memory"). Profiles, with valgrind's callgrind, which functions of the binary run:
#   1. `swiftlet runtime` starting and idling with the node's CNI config (its state root empty; the start-up CNI GC
#      runs our plugins in-process), in a throwaway network namespace;
#   2. the runtime and the agent (kubelet + nftables proxy) while hack/bench/pod-startup runs 10 pods on them;
#   3. the runtime and the agent of a whole `swiftlet up` node (controllers, cluster DNS, host-gw routes: what
#      hack/up.sh, `swiftlet lab` and hack/bench/cluster run) serving a Deployment behind a Service — service
#      account tokens, ConfigMap volumes, probes, EndpointSlices in the proxy, pod DNS, logs and exec — in a
#      throwaway network namespace. Without it the agent of a real node ran some 180 functions outside its blocks
#      (`perf record -e page-faults` on `swiftlet up`), each first touch mapping 64 KiB more of the binary.
# Then writes them in blocks — runtime idle ∩ agent, runtime idle only, runtime under load ∩ agent, runtime under load
# only, agent only; hottest first inside a block — so the idle runtime's code is one run, the loaded runtime's the
# first four blocks and the agent's three runs. A function missing from the list (renamed since) is laid out as
# without one; re-run after larger changes to the daemons. The list is read at link time only: relink after
# changing it (e.g. rm .build/release/swiftlet). About 12 minutes.
# Usage: hack/profile-symbol-order.sh    (root; valgrind, python3 and what hack/bench/pod-startup needs)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "hack/profile-symbol-order.sh needs root (network namespaces, mounts, runc)" >&2; exit 1; }
for tool in valgrind python3 runc docker-registry skopeo kubectl; do
  command -v "$tool" >/dev/null || { echo "hack/profile-symbol-order.sh needs $tool" >&2; exit 1; }
done
hack/build-release swiftlet swiftlet-shim swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap pod-startup-bench
bin="$(hack/build-release --bin-path)"
work="$(mktemp -d "${TMPDIR:-/tmp}/swiftlet-profile.XXXXXX")"
runtime_pid=""
netns="swiftlet-profile-$$"
node_netns="swiftlet-profile-node-$$"
up_pid=""
cleanup() {
  [ -z "$runtime_pid" ] || { kill "$runtime_pid" 2>/dev/null || true; wait "$runtime_pid" 2>/dev/null || true; }
  [ -z "$up_pid" ] || { kill -TERM "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; }
  ip netns del "$netns" 2>/dev/null || true
  ip netns del "$node_netns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# valgrind 3.19 cannot read the binary's DWARF 5; the symbol table is all callgrind needs.
objcopy="$(dirname "$(readlink -f "$(command -v swiftc)")")/llvm-objcopy"
"$objcopy" --strip-debug "$bin/swiftlet" "$work/swiftlet-profiled"
for product in swiftlet-shim swiftlet-bridge swiftlet-host-local swiftlet-loopback swiftlet-portmap; do
  ln -s "$bin/$product" "$work/$product"
done
# The benchmark starts `swiftlet server|runtime|agent` from SWIFTLET_BUILD_DIR: the daemons under callgrind.
cat > "$work/swiftlet" <<EOF
#!/bin/sh
case "\$1" in
  runtime|agent) exec valgrind --quiet --tool=callgrind --demangle=no --callgrind-out-file="$work/load-\$1.%p.out" "$work/swiftlet-profiled" "\$@" ;;
  *) exec "$work/swiftlet-profiled" "\$@" ;;
esac
EOF
chmod +x "$work/swiftlet"

echo "profile: the runtime starting and idling"
mkdir -p "$work/idle/root" "$work/idle/cni" "$work/idle/runc"
cp cni/10-swiftlet.conflist "$work/idle/cni/"
ip netns add "$netns"
nsenter --net="/run/netns/$netns" valgrind --quiet --tool=callgrind --demangle=no --callgrind-out-file="$work/idle-runtime.out" \
  "$work/swiftlet-profiled" runtime serve --root "$work/idle/root" --state "$work/idle/state" --listen "unix://$work/idle/cri.sock" \
  --cni-conf-dir "$work/idle/cni" --cni-bin-dir "$work" --runc-root "$work/idle/runc" --streaming-listen 127.0.0.1:0 >"$work/idle.log" 2>&1 &
runtime_pid=$!
for _ in $(seq 1 240); do grep -q "serving CRI" "$work/idle.log" && break; sleep 0.5; done
grep -q "serving CRI" "$work/idle.log" || { cat "$work/idle.log" >&2; exit 1; }
sleep 10
kill -TERM "$runtime_pid"; wait "$runtime_pid" || true; runtime_pid=""

echo "profile: the runtime and the agent running 10 pods (hack/bench/pod-startup)"
SWIFTLET_BUILD_DIR="$work" "$bin/pod-startup-bench" --pods 10 --rounds 1 --runtimes swiftlet >"$work/bench.log" 2>&1 \
  || { cat "$work/bench.log" >&2; exit 1; }
ls "$work"/load-runtime.*.out "$work"/load-agent.*.out >/dev/null

echo "profile: the runtime and the agent of a whole node (swiftlet up) serving a Deployment behind a Service"
# The node's uplink: a veth pair inside the namespace, as on a host with one address (cluster DNS listens there).
ip netns add "$node_netns"
ip -n "$node_netns" link set lo up
ip -n "$node_netns" link add up0 type veth peer name up1
ip -n "$node_netns" addr add 10.251.0.2/24 dev up0
ip -n "$node_netns" addr add 10.251.0.1/24 dev up1
ip -n "$node_netns" link set up0 up
ip -n "$node_netns" link set up1 up
ip -n "$node_netns" route add default via 10.251.0.1 dev up0
paths="$(hack/local-image-archives.sh)"
archives=()
for archive in $paths; do archives+=(--image-archive "$archive"); done
# `up` starts its daemons from its own binary: valgrind follows the agent and the runtime into them and leaves the
# server (argument "server"), runc, the shims and the CNI plugins alone.
mkdir -p "$work/node/cni-bin"
nsenter --net="/run/netns/$node_netns" valgrind --quiet --tool=callgrind --demangle=no --trace-children=yes \
  --trace-children-skip-by-arg=server --trace-children-skip='*/runc,*/swiftlet-shim,*/swiftlet-bridge,*/swiftlet-host-local,*/swiftlet-loopback,*/swiftlet-portmap,*/nsenter,*/iptables*,*/ip6tables*,*/mount,*/umount,*/modprobe' \
  --callgrind-out-file="$work/node.%p.out" \
  "$work/swiftlet-profiled" up --data-dir "$work/node/data" --cri-socket "$work/node/run/cri.sock" --cni-bin-dir "$work/node/cni-bin" \
  --node-name profile --node-ip 10.251.0.2 --ready-timeout 900 "${archives[@]}" >"$work/node.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 1800); do grep -q "running until" "$work/node.log" && break; kill -0 "$up_pid" 2>/dev/null || break; sleep 0.5; done
grep -q "running until" "$work/node.log" || { tail -30 "$work/node.log" >&2; exit 1; }
k() { nsenter --net="/run/netns/$node_netns" kubectl --kubeconfig "$work/node/data/admin.kubeconfig" --request-timeout 300s "$@"; }
k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: profile}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: swiftlet.local/web:1
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2}
        livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 5}
        env: [{name: GREETING, valueFrom: {configMapKeyRef: {name: profile, key: greeting}}}]
        volumeMounts: [{name: config, mountPath: /etc/profile-config}]
      volumes: [{name: config, configMap: {name: profile}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
k rollout status deployment/web --timeout 900s >/dev/null
k run client --image swiftlet.local/busybox:1.35 --restart Never -- sh -c 'nslookup web.default.svc.cluster.local; wget -qO- http://web/; sleep 600' >/dev/null
k wait --for condition=Ready pod/client --timeout 900s >/dev/null
pod="$(k get pods -l app=web -o jsonpath='{.items[0].metadata.name}')"
k exec "$pod" -- cat /etc/profile-config/greeting >/dev/null
k logs client >/dev/null
k scale deployment/web --replicas 1 >/dev/null
k delete pod client --grace-period 1 --wait=true --timeout 900s >/dev/null
k delete deployment/web service/web configmap/profile --wait=true --timeout 900s >/dev/null
sleep 20
kill -TERM "$up_pid"; wait "$up_pid" || true; up_pid=""
ip netns del "$node_netns"

python3 - "$work" Sources/Commands/swiftlet/symbol-order.txt <<'EOF'
import collections, glob, re, sys
work, output = sys.argv[1], sys.argv[2]
entry = re.compile(r'^(c?ob|c?fn|c?fi|c?fe|fl)=\((\d+)\)(?: (.*))?$')

def functions(paths):
    """The functions of swiftlet-profiled that ran, with their self cost (instructions)."""
    cost = collections.Counter()
    for path in paths:
        objects, names, current, skip = {}, {}, None, False
        in_binary = False
        for line in open(path, errors='replace'):
            line = line.rstrip('\n')
            match = entry.match(line)
            if match:
                kind, index, name = match.groups()
                table = objects if kind.endswith('ob') else names if kind.endswith('fn') else None
                if table is not None and name:
                    table[index] = name
                if kind == 'ob':
                    in_binary = objects.get(index, '').endswith('/swiftlet-profiled')
                elif kind == 'fn':
                    current = names.get(index) if in_binary else None
                    if current and not current.startswith('0x'):
                        cost[current] += 0
                    else:
                        current = None
                continue
            if line.startswith('calls='):
                skip = True  # the next cost line is the call's inclusive cost
                continue
            if line[:1].isdigit() or line[:1] in '+-*':
                if skip:
                    skip = False
                    continue
                fields = line.split()
                if current and len(fields) >= 2 and fields[1].isdigit():
                    cost[current] += int(fields[1])
    return cost

def node(daemon):
    """The `swiftlet up` node's profiles of `daemon` (valgrind names each by pid; the command line says whose)."""
    return [path for path in glob.glob(f'{work}/node.*.out')
            if any(line.startswith('cmd:') and f' {daemon} ' in line for line in open(path, errors='replace').readlines()[:20])]

idle = functions([f'{work}/idle-runtime.out'])
load = functions(glob.glob(f'{work}/load-runtime.*.out') + node('runtime serve'))
agent = functions(glob.glob(f'{work}/load-agent.*.out') + node('agent'))
total = idle + load + agent
blocks = [
    lambda f: f in idle and f in agent,
    lambda f: f in idle and f not in agent,
    lambda f: f not in idle and f in load and f in agent,
    lambda f: f not in idle and f in load and f not in agent,
    lambda f: f not in idle and f not in load and f in agent,
]
everything = set(total)
with open(output, 'w') as out:
    sizes = []
    for member in blocks:
        block = sorted((f for f in everything if member(f)), key=lambda f: (-total[f], f))
        sizes.append(len(block))
        out.writelines(f + '\n' for f in block)
print(f'profile: {output}: {sum(sizes)} functions in blocks of {sizes}')
EOF
