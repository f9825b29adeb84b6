#!/usr/bin/env bash
# Installs protoc (with the well-known types) from Debian's protobuf-compiler package.
set -euo pipefail
sudo=""
[[ "$(id -u)" == 0 ]] || sudo="sudo"
if ! $sudo apt-get install -y --no-install-recommends protobuf-compiler >/dev/null; then
  $sudo apt-get update >/dev/null
  $sudo apt-get install -y --no-install-recommends protobuf-compiler >/dev/null
fi
protoc --version
