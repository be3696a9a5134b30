#!/usr/bin/env bash
# The README's test command: installs what the suite needs, builds, lints,
# type-checks and runs every test once with a single summary line.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
cd "$STRATA_ROOT"

ensure_pnpm
ensure_command redis-server redis-server
ensure_command sipp sip-tester
# real scanners for the security tests (#12); those tests skip without them
ensure_command svmap sipvicious || log "sipvicious missing: the scanner tests will be skipped"
pnpm_install

log "build"
"${PNPM[@]}" exec turbo run build --output-logs=errors-only
log "lint + typecheck"
"${PNPM[@]}" exec turbo run lint typecheck --output-logs=errors-only
"${PNPM[@]}" exec prettier --check . --log-level warn
log "tests"
exec "${PNPM[@]}" exec node scripts/run-tests.mjs "$@"
