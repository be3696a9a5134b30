# shellcheck shell=bash
# Shared helpers for the infra scripts. Source it, don't run it.
#
# Picks the container engine and compose tool:
#   STRATA_ENGINE=podman|docker      force an engine (default: docker when its
#                                    daemon answers, otherwise podman)
#   STRATA_COMPOSE="docker compose"  force a compose command
# Exports CONTAINERS_CONF (infra/containers.conf) for podman unless the caller
# already set it, so podman runs as root here with runc + cgroupfs.
#
# After sourcing:  ENGINE=(podman)  COMPOSE=(podman-compose)  (bash arrays)
#                  STRATA_ROOT, INFRA_DIR, CACHE_DIR

STRATA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="$STRATA_ROOT/infra"
CACHE_DIR="${STRATA_INFRA_CACHE:-$INFRA_DIR/.cache}"
export STRATA_ROOT INFRA_DIR CACHE_DIR

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

_pick_engine() {
  if [[ -n "${STRATA_ENGINE:-}" ]]; then
    command -v "$STRATA_ENGINE" >/dev/null || die "STRATA_ENGINE=$STRATA_ENGINE not found"
    echo "$STRATA_ENGINE"
  elif command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1 \
    && ! docker --version 2>/dev/null | grep -qi podman; then
    echo docker
  elif command -v podman >/dev/null; then
    echo podman
  elif command -v docker >/dev/null; then
    echo docker # podman-docker shim, or a daemon that is down: let it report
  else
    die "neither podman nor docker is installed (apt-get install podman runc podman-compose)"
  fi
}

ENGINE_NAME="$(_pick_engine)"
# shellcheck disable=SC2034 # used by the scripts that source this file
ENGINE=("$ENGINE_NAME")
if [[ "$ENGINE_NAME" == podman ]]; then
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$INFRA_DIR/containers.conf}"
fi

_pick_compose() {
  if [[ -n "${STRATA_COMPOSE:-}" ]]; then
    echo "$STRATA_COMPOSE"
  elif [[ "$ENGINE_NAME" == docker ]] && docker compose version >/dev/null 2>&1; then
    echo "docker compose"
  elif command -v podman-compose >/dev/null; then
    echo podman-compose
  elif command -v docker-compose >/dev/null; then
    echo docker-compose
  else
    echo ""
  fi
}
read -r -a COMPOSE <<<"$(_pick_compose)"
export ENGINE_NAME

# image_exists NAME -> 0 when the engine has an image by that name.
image_exists() {
  if [[ "$ENGINE_NAME" == podman ]]; then
    podman image exists "$1"
  else
    docker image inspect "$1" >/dev/null 2>&1
  fi
}

# require_compose -> dies with an install hint when no compose tool exists.
require_compose() {
  [[ ${#COMPOSE[@]} -gt 0 ]] || die "no compose tool: install podman-compose (apt) or the docker compose plugin"
}

# debian_mirror -> the Debian archive URL: $STRATA_DEBIAN_MIRROR, else the one
# this machine's apt is configured with, else the Debian default.
debian_mirror() {
  if [[ -n "${STRATA_DEBIAN_MIRROR:-}" ]]; then
    echo "${STRATA_DEBIAN_MIRROR%/}"
    return
  fi
  local uri=""
  # deb822 sources (bookworm default): a stanza whose Suites has plain bookworm.
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri="$(awk '
      BEGIN { RS=""; FS="\n" }
      {
        u=""; s=""
        for (i=1;i<=NF;i++) {
          if ($i ~ /^URIs:/)   { u=$i; sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); u=a[1] }
          if ($i ~ /^Suites:/) { s=" " $i " " }
        }
        if (u != "" && s ~ /[ \t]bookworm[ \t]/ && u !~ /security/) { print u; exit }
      }' /etc/apt/sources.list.d/*.sources 2>/dev/null)"
  fi
  # one-line sources.list format
  if [[ -z "$uri" ]]; then
    uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\]//' \
      | awk '$1=="deb" && $3=="bookworm" && $2 !~ /security/ { print $2; exit }')"
  fi
  uri="${uri%/}"
  echo "${uri:-http://deb.debian.org/debian}"
}
