# syntax=docker/dockerfile:1
# hh-oauth's refresher for hosts without systemd: `hh-oauth refresh --all --watch`, one
# long-running process. Why this base, the sizes, the volume and the secrets:
# docs/more-than-one-machine.md#the-image. Kubernetes: docs/kubernetes.md.
#
#   docker build -t hh-oauth .
#
# test/e2e/container-image.test.ts reads this file (USER, WORKDIR, ENV, VOLUME, COPY,
# ENTRYPOINT, CMD, HEALTHCHECK, the final stage's RUN) and reproduces the image inside a
# booted systemd-nspawn machine, because no container engine runs where the tests run.

# ---- build: the standalone binary (docs/packaging.md), a Node 20 single executable ----
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The binary only (no .deb); strip comes with the image's binutils.
RUN PACKAGE_DEB=0 npm run package

# ---- the image: glibc and libstdc++ (all the binary needs), no Node, no npm ----
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="hh-oauth" \
      org.opencontainers.image.description="Keeps hh.ru OAuth tokens fresh: hh-oauth refresh --all --watch, with /healthz and /metrics on port 9464" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="docs/more-than-one-machine.md"

# A fixed uid/gid, so that a volume, a Kubernetes fsGroup and a secret file's owner on the
# host can name it. No login shell, no home: the state directory is the only place it writes.
RUN groupadd --system --gid 10001 hh-oauth \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin hh-oauth \
 && install -d -m 0700 -o 10001 -g 10001 /var/lib/hh-token

COPY --from=build /src/build/hh-oauth /usr/local/bin/hh-oauth

# The file store: token.json and profiles/ under the state directory (a volume: one worker
# per volume). With HH_TOKEN_STORE=postgres://… the tokens live in PostgreSQL and this
# directory keeps only the local kept pair of a refresh in flight.
# The client secret is read from a file (a compose secret, a Kubernetes Secret volume),
# never from the environment. HH_CLIENT_ID, HH_USER_AGENT and HH_TOKEN_STORE are the
# operator's, given at run time. The configuration directory (authorize-url's pending
# state, read back by `exchange` in the next `docker run`) lives in the volume too.
ENV HH_TOKEN_FILE=/var/lib/hh-token/token.json \
    HH_CONFIG_DIR=/var/lib/hh-token/config \
    HH_CLIENT_SECRET_FILE=/run/secrets/hh_client_secret
VOLUME ["/var/lib/hh-token"]
WORKDIR /var/lib/hh-token
USER 10001:10001

# /healthz and /metrics (Prometheus text format).
EXPOSE 9464
# SIGTERM (docker stop, Kubernetes) ends the worker cleanly; a refresh in flight is finished and stored first.
STOPSIGNAL SIGTERM
# No curl in the image: bash's /dev/tcp asks for /healthz and wants a 200 status line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/usr/local/bin/hh-oauth"]
CMD ["refresh", "--all", "--watch", "--listen", "0.0.0.0:9464", "--log-format", "json"]
