# Redis from Debian bookworm (7.0.x) on the local debian:bookworm-slim, for
# hosts that cannot pull the official redis image. With Docker and a
# registry, leave REDIS_IMAGE unset and compose uses redis:7-bookworm.
#
#   docker build -f infra/docker/redis.Dockerfile -t strata/redis:7-debian infra/docker
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data \
 && redis-server --version
USER redis
WORKDIR /data
EXPOSE 6379
STOPSIGNAL SIGTERM
CMD ["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0"]
