# hollowfleet: the fleet as a container image, for `hollowfleet deploy` (shard pods in an external
# cluster) or any `hollowfleet` command.
#
#   docker build -t hollowfleet:0.1.0 .
#   docker run --rm hollowfleet:0.1.0 fleet --help
#
# The runtime image runs as a non-root user and works with a read-only root filesystem: the only
# place hollowfleet writes is the certificate cache (HOLLOWFLEET_CERT_DIR, an emptyDir in the
# manifests that `hollowfleet deploy render` prints) and /tmp.

ARG NODE_IMAGE=node:20-bookworm-slim
# Distroless: glibc (the per-node memory figures in the README were measured with glibc's malloc),
# no shell, no package manager, a `nonroot` user (65532).
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

# --- build: compile TypeScript with the full dependency tree --------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && mkdir -p /out/certs

# --- deps: production dependencies only ----------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    NO_COLOR=1 \
    HOME=/tmp \
    HOLLOWFLEET_CERT_DIR=/var/cache/hollowfleet/certs
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY scenarios ./scenarios
# Writable for `docker run` without a volume; in a pod, an emptyDir is mounted over it.
COPY --from=build --chown=65532:65532 /out/certs /var/cache/hollowfleet/certs
USER 65532:65532
# /metrics, /snapshot, /healthz, /readyz of `hollowfleet fleet --metrics-port 9464`
EXPOSE 9464
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/hollowfleet.js"]
CMD ["--help"]
