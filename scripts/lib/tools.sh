# Shared by scripts/start.sh and scripts/test.sh: make sure the tools the
# project needs are present on a fresh Debian machine that has only Node.js + npm.
# shellcheck shell=bash

STRATA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PNPM_VERSION=$(node -p "require('$STRATA_ROOT/package.json').packageManager.split('@')[1]")

log() { printf '[strata] %s\n' "$*" >&2; }

# pnpm: use one on PATH when it is the pinned version; otherwise install the
# pinned version into .tools/ with npm. (corepack is avoided on purpose: it
# refuses registries that serve no signatures.)
ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    PNPM=(pnpm)
    return
  fi
  local local_pnpm="$STRATA_ROOT/.tools/node_modules/.bin/pnpm"
  if [ ! -x "$local_pnpm" ] || [ "$("$local_pnpm" --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    log "installing pnpm@$PNPM_VERSION into .tools/"
    npm install --silent --no-audit --no-fund --prefix "$STRATA_ROOT/.tools" "pnpm@$PNPM_VERSION" >&2
  fi
  PNPM=("$local_pnpm")
  # turbo looks pnpm up on PATH
  export PATH="$STRATA_ROOT/.tools/node_modules/.bin:$PATH"
}

# ensure_command CMD DEBIAN_PACKAGE: install with apt-get when missing and root.
ensure_command() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ -z "${STRATA_APT_UPDATED:-}" ]; then
      log "apt-get update"
      apt-get update -qq >&2
      STRATA_APT_UPDATED=1
    fi
    log "installing Debian package $pkg (for $cmd)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2
  else
    log "missing '$cmd': install the Debian package '$pkg' (apt-get install $pkg) and run again"
    return 1
  fi
}

pnpm_install() {
  cd "$STRATA_ROOT"
  log "pnpm install"
  "${PNPM[@]}" install --frozen-lockfile --prefer-offline >&2
}
