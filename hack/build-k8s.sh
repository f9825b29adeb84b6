#!/usr/bin/env bash
# Builds the control-plane binaries the tests run against: kube-apiserver from the
# k8s.io/kubernetes module and etcd from go.etcd.io/etcd/server/v3, into
# bin/k8s/<kubernetes version>/. Skips the build when both binaries are already there.
#
# kube-apiserver lives in the k8s.io/kubernetes module, whose go.mod replaces every
# k8s.io/* staging module with a local ./staging path. A module of its own that requires
# k8s.io/kubernetes and pins each staging module to the matching v0.x release makes it
# buildable from the module proxy.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${root}/bin/k8s/${K8S_VERSION}"

if [[ -x "${out}/kube-apiserver" && -x "${out}/etcd" ]]; then
  echo "${out}"
  exit 0
fi
mkdir -p "${out}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
staging="v0.${K8S_VERSION#v1.}"

log() { echo "build-k8s: $*" >&2; }

build_apiserver() {
  local dir="${work}/kube-apiserver"
  mkdir -p "${dir}"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  {
    echo "module claimgate.dev/hack/kube-apiserver"
    echo
    echo "go $(sed -n 's/^go //p' "${gomod}")"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\t\1 => \1 '"${staging}"'#p' "${gomod}"
    echo ")"
  } >"${dir}/go.mod"
  cat >"${dir}/tools.go" <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  log "building kube-apiserver ${K8S_VERSION} (several minutes on a cold cache)"
  (cd "${dir}" && go mod tidy >/dev/null 2>&1 || go mod tidy)
  (cd "${dir}" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "${out}/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
}

build_etcd() {
  local dir="${work}/etcd"
  mkdir -p "${dir}"
  cat >"${dir}/go.mod" <<MOD
module claimgate.dev/hack/etcd

go 1.26

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
MOD
  cat >"${dir}/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  log "building etcd ${ETCD_VERSION}"
  (cd "${dir}" && go mod tidy >/dev/null 2>&1 || go mod tidy)
  (cd "${dir}" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "${out}/etcd" .)
}

[[ -x "${out}/etcd" ]] || build_etcd
[[ -x "${out}/kube-apiserver" ]] || build_apiserver
echo "${out}"
