#!/usr/bin/env bash
# Installs redis-server, from Debian's packages, into bin/redis/ for the tests that share
# counters through a real Redis: the binary and the two libraries it links that a
# machine may lack, unpacked without installing anything system-wide, and a wrapper
# that finds them. Skips the work when bin/redis/redis-server is already there.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${root}/bin/redis"
if [[ -x "${out}/redis-server" ]]; then
  echo "${out}/redis-server"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
packages=(redis-tools libjemalloc2 liblzf1)
cd "${work}"
if ! apt-get download "${packages[@]}" >/dev/null 2>&1; then
  # The package lists of a new machine may name versions the archive no longer has.
  apt-get update >/dev/null
  apt-get download "${packages[@]}" >/dev/null
fi
for deb in ./*.deb; do
  dpkg-deb -x "${deb}" unpacked
done

mkdir -p "${out}/lib"
cp unpacked/usr/bin/redis-check-rdb "${out}/redis-server.bin"
cp unpacked/usr/bin/redis-cli "${out}/redis-cli.bin"
cp -P unpacked/usr/lib/x86_64-linux-gnu/libjemalloc.so.* unpacked/usr/lib/x86_64-linux-gnu/liblzf.so.* "${out}/lib/"
for tool in redis-server redis-cli; do
  cat >"${out}/${tool}" <<WRAPPER
#!/bin/sh
# ${tool} from Debian's redis-tools package, with the libraries beside it.
LD_LIBRARY_PATH="\$(dirname "\$0")/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$(dirname "\$0")/${tool}.bin" "\$@"
WRAPPER
  chmod +x "${out}/${tool}"
done
"${out}/redis-server" --version >/dev/null
echo "${out}/redis-server"
