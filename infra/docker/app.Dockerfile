# One Dockerfile, two images: build with --build-arg APP=edge or APP=core.
#
#   docker build -f infra/docker/app.Dockerfile --build-arg APP=edge -t strata/edge:local .
#   docker build -f infra/docker/app.Dockerfile --build-arg APP=core --build-arg SIP_PORT=5070 -t strata/core:local .
#
# Context: the repository root (see /.dockerignore). Needs BuildKit (Docker
# >= 23 default) or Buildah/Podman for RUN --mount=type=cache; there is no
# `# syntax=` line on purpose, so nothing is pulled for the frontend. Stages:
#   tools    node + turbo and pnpm at the versions the repo pins (lockfile /
#            packageManager), installed with npm (corepack needs signatures
#            that can't be verified offline)
#   prune    `turbo prune @strata/$APP --docker`: only the app and the
#            workspace packages it depends on
#   build    pnpm install (frozen lockfile), turbo build, then
#            `pnpm deploy --prod --legacy` → /out with production deps only
#   runtime  NODE_IMAGE + /out, non-root, HEALTHCHECK, STOPSIGNAL SIGTERM
#
# Behind a TLS-intercepting proxy (like the Strata CI machine), pass the
# proxy's CA bundle to the npm/pnpm steps without baking it into any layer:
# podman build -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro
# --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt (infra/scripts/build-images.sh
# does this for you when the host sets NODE_EXTRA_CA_CERTS).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- tools
FROM ${NODE_IMAGE} AS tools
ARG NODE_EXTRA_CA_CERTS
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false
WORKDIR /src
COPY package.json pnpm-lock.yaml ./
# turbo at the version the lockfile resolved (else the package.json range);
# pnpm at the version of "packageManager".
RUN set -eu; \
    turbo="$(node -e 'const fs=require("fs");const l=fs.readFileSync("pnpm-lock.yaml","utf8");const m=l.match(/\n {6}turbo:\n {8}specifier: [^\n]*\n {8}version: ([^\s(]+)/);process.stdout.write(m?m[1]:JSON.parse(fs.readFileSync("package.json","utf8")).devDependencies.turbo)')"; \
    pnpm="$(node -e 'const p=JSON.parse(require("fs").readFileSync("package.json","utf8")).packageManager||"pnpm@10";process.stdout.write(p.replace(/^pnpm@/,"").replace(/\+.*$/,""))')"; \
    echo "installing turbo@$turbo pnpm@$pnpm"; \
    npm install --global --no-audit "turbo@$turbo" "pnpm@$pnpm"; \
    rm -rf /root/.npm /src/*; \
    turbo --version; pnpm --version

# ---------------------------------------------------------------- prune
FROM tools AS prune
ARG APP
RUN test -n "${APP:-}" || { echo "build with --build-arg APP=edge or APP=core" >&2; exit 1; }
COPY . .
RUN turbo prune "@strata/${APP}" --docker --out-dir /prune \
 && cp tsconfig.base.json /prune/full/

# ---------------------------------------------------------------- build
FROM tools AS build
ARG APP
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
# Dependency layer first: it only changes when a package.json or the lockfile does.
COPY --from=prune /prune/json/ ./
RUN --mount=type=cache,id=strata-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --store-dir /pnpm/store --reporter=append-only
COPY --from=prune /prune/full/ ./
RUN turbo run build --filter="@strata/${APP}" --output-logs=errors-only
# pnpm 10 only deploys injected workspace packages unless --legacy; legacy
# keeps the lockfile as is and copies each workspace dependency's `files`
# (its dist/), so /out holds the app's dist/ and production node_modules.
RUN --mount=type=cache,id=strata-pnpm-store,target=/pnpm/store \
    pnpm --filter "@strata/${APP}" deploy --prod --legacy --store-dir /pnpm/store /out \
 && rm -rf /out/node_modules/.pnpm/node_modules/.cache \
 && test -d /out/dist

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ARG APP
ARG SIP_PORT=5060
ENV NODE_ENV=production \
    STRATA_APP=${APP} \
    SIP_PORT=${SIP_PORT}
WORKDIR /app
# Owned by root, read-only for the app user; var/ (CDR files etc.) is the
# one writable folder.
COPY --from=build /out/ ./
RUN mkdir -p /app/var && chown node:node /app/var
COPY infra/docker/healthcheck.mjs /usr/local/lib/strata/healthcheck.mjs
USER node
EXPOSE ${SIP_PORT}/udp ${SIP_PORT}/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "/usr/local/lib/strata/healthcheck.mjs"]
STOPSIGNAL SIGTERM
LABEL org.opencontainers.image.title="strata-${APP}" \
      org.opencontainers.image.licenses="MIT"
CMD ["node", "dist/main.js"]
