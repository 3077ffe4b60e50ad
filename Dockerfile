# syntax=docker/dockerfile:1
# The medistill services in one image: the command picks the service.
#
#   docker build -t medistill:0.1.0 .
#   docker run --rm medistill:0.1.0 run --input samples/pubmed --out /tmp/sample
#   docker run --rm -e MEDISTILL_KAFKA_BROKERS=kafka:9092 ... medistill:0.1.0 annotate
#
# deploy/compose.yaml and deploy/k8s/ run it with CMD ["ingest"], ["annotate"], ["generate"],
# ["judge"] or ["export"]; settings come from MEDISTILL_* variables (services/config/serviceConfig.ts).

# The current Node LTS (24, "Krypton"); CI runs the tests on the same line (.ci/run).
ARG NODE_IMAGE=node:24.22-bookworm-slim

# ---- build: compile the TypeScript sources to dist/ with the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
RUN npm run build

# ---- runtime: production dependencies, the compiled code, the bundled MeSH subset ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY samples ./samples
COPY --from=build /app/dist ./dist
# The code finds package.json (its version, stamped on every message) and the bundled MeSH subset
# from the package root, /app. The folders under /data are the mount points of the export and ingest-state volumes;
# created here, owned by the runtime user, so an empty named volume starts out writable. The export
# renames its dataset folder and keeps siblings (.state, .next, .old), so the dataset is a folder
# inside the export volume, not the mount point itself.
RUN mkdir -p /data/export /data/ingest-state \
 && chown -R 1000:1000 /data
# uid 1000 is the base image's `node` user; numeric, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
ENV MEDISTILL_EXPORT_DIR=/data/export/dataset \
    MEDISTILL_INGEST_STATE_DIR=/data/ingest-state
EXPOSE 9464
# Slim images have no curl: node's own fetch asks /healthz on the metrics port.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MEDISTILL_METRICS_PORT||9464)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/medistill.js"]
CMD ["help"]
