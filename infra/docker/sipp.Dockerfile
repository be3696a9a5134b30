# sipp (Debian's sip-tester) on the local debian:bookworm-slim: the traffic
# generator of the `bench` compose profile and test-compose.sh, and the
# media-server stand-in of infra/compose.standin.yml (a sipp UAS running
# infra/sipp/uas-standin.xml that answers
# calls — it is not Asterisk, and it carries no RTP logic beyond sipp's own).
#
#   docker build -f infra/docker/sipp.Dockerfile -t strata/sipp:local infra/docker
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends sip-tester \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home --shell /usr/sbin/nologin sipp \
 && sipp -v | head -1
USER sipp
WORKDIR /home/sipp
ENTRYPOINT ["sipp"]
CMD ["-v"]
