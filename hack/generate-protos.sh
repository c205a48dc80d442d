#!/usr/bin/env bash
# Regenerates the committed Swift code for Swiftlet's protobuf/gRPC APIs:
#
#   Sources/Node/CRI/Proto/api.proto                    -> Sources/Node/CRI/Generated/api.{pb,grpc}.swift
#   Sources/ControlPlane/EtcdAPI/Proto/{mvccpb,etcdserverpb}/*.proto
#                                                      -> Sources/ControlPlane/EtcdAPI/Generated/*.swift
#
# The generated code is the product and is committed; CI never runs this script, protoc or the
# plugins. Run it by hand after editing a .proto, then commit the .proto and the generated files
# together. Needs Debian's `protoc` (apt-get install protobuf-compiler; it is not in
# hack/install-deps.sh on purpose) and a Swift toolchain.
#
# The two protoc plugins are built from the same package versions the project depends on
# (swift-protobuf and grpc-swift-protobuf, below; keep them in step with Package.swift) in a
# scratch directory OUTSIDE the repository, so nothing of them lands in the tree. The first build
# takes about 10 minutes on 2 cores; later runs reuse the scratch directory and take seconds.
#
# Usage: hack/generate-protos.sh            (SCRATCH=/some/dir to build the plugins elsewhere)
set -euo pipefail

SWIFT_PROTOBUF_VERSION=1.39.0
GRPC_SWIFT_PROTOBUF_VERSION=2.4.1
SCRATCH=${SCRATCH:-/tmp/protoc-plugins}

repo=$(cd "$(dirname "$0")/.." && pwd)
case "$SCRATCH" in "$repo"|"$repo"/*) echo "generate-protos: SCRATCH must be outside the repository" >&2; exit 1 ;; esac
command -v protoc >/dev/null || { echo "generate-protos: protoc missing (apt-get install protobuf-compiler)" >&2; exit 1; }

# 1. The plugins: protoc-gen-grpc-swift-2 from grpc-swift-protobuf, protoc-gen-swift from its
#    swift-protobuf dependency pinned to SWIFT_PROTOBUF_VERSION (the runtime version we link).
plugins_pkg=$SCRATCH/grpc-swift-protobuf
if [[ ! -d $plugins_pkg ]]; then
  mkdir -p "$SCRATCH"
  git clone -q -c advice.detachedHead=false --branch "$GRPC_SWIFT_PROTOBUF_VERSION" \
    https://github.com/grpc/grpc-swift-protobuf.git "$plugins_pkg"
fi
(
  cd "$plugins_pkg"
  swift package resolve swift-protobuf --version "$SWIFT_PROTOBUF_VERSION"
  swift build -c release --product protoc-gen-grpc-swift-2
  swift build -c release --product protoc-gen-swift
)
bin=$(cd "$plugins_pkg" && swift build -c release --show-bin-path)

gen() { # gen <proto root> <output dir> <message-only protos...> -- <protos with services...>
  local root=$1 out=$2 messages=() services=()
  shift 2
  while (($#)) && [[ $1 != -- ]]; do messages+=("$1"); shift; done
  (($#)) && shift
  services=("$@")
  mkdir -p "$out"
  rm -f "$out"/*.swift
  protoc -I "$root" \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --swift_out="$out" \
    --swift_opt=Visibility=Public,FileNaming=PathToUnderscores \
    "${messages[@]}" "${services[@]}"
  protoc -I "$root" \
    --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
    --grpc-swift_out="$out" \
    --grpc-swift_opt=Visibility=Public,Server=true,Client=true,FileNaming=PathToUnderscores \
    "${services[@]}"
}

# 2. CRI v1 (package runtime.v1): api.pb.swift, api.grpc.swift.
cd "$repo/Sources/Node/CRI/Proto"
gen . ../Generated -- api.proto

# 3. etcd v3 client API (packages mvccpb, etcdserverpb): mvccpb_kv.pb.swift,
#    etcdserverpb_rpc.pb.swift, etcdserverpb_rpc.grpc.swift (kv.proto has no services).
cd "$repo/Sources/ControlPlane/EtcdAPI/Proto"
gen . ../Generated mvccpb/kv.proto -- etcdserverpb/rpc.proto

echo "generate-protos: done; commit the .proto files and Generated/ together"
