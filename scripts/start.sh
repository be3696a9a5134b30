#!/usr/bin/env bash
# The README's first command: install, build, and run the platform on the
# embedded default — one core (in-memory state, no Redis) behind one edge on
# 127.0.0.1:5060 (UDP + TCP). Ctrl-C stops both.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
cd "$STRATA_ROOT"

ensure_pnpm
pnpm_install
log "build"
"${PNPM[@]}" exec turbo run build --filter=@strata/edge --filter=@strata/core --output-logs=errors-only
exec node scripts/platform.mjs "$@"
