#!/usr/bin/env bash
# Installs every Debian package Swiftlet needs to build, run and test. Idempotent and quiet:
# it runs `apt-get update` once, and only when something is missing.
set -euo pipefail

packages=(
  # build: C libraries wrapped by the C* targets
  libsqlite3-dev libmnl-dev libnftnl-dev libseccomp-dev zlib1g-dev pkg-config
  # the CNI plugins link libstdc++ and the unwinder statically (cni/link)
  libstdc++-12-dev libgcc-12-dev
  # runtime and dataplane
  runc nftables iptables iproute2 containernetworking-plugins
  # peers and fixtures the tests and benchmarks start themselves
  containerd etcd-server docker-registry skopeo umoci busybox-static dnsperf iperf3
  # test drivers
  python3 python3-venv python3-pip curl openssl jq procps attr util-linux bind9-dnsutils
  # hack/install.sh's units checked with systemd-analyze verify (nothing is started through systemd)
  systemd
)
# protobuf-compiler is needed only to regenerate the committed CRI/etcd code (hack/generate-protos.sh), never here.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The official Python client, pinned, in a venv of its own (tests use it as a real client).
venv=/opt/swiftlet-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kubernetes' 2>/dev/null; then
  echo "install-deps: installing the Python kubernetes client into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kubernetes==31.0.0'
fi

command -v kubectl >/dev/null || echo "install-deps: warning: kubectl not found on PATH; the kubectl end-to-end tests will fail" >&2
echo "install-deps: ok"
