# Roster: build once, run the compiled service on the current Node.js LTS, as a non-root user.
# No container builder runs on Roster's CI machine; scripts/docker-replay.sh replays these stages
# there (install, build, prune, start as a non-root user with a fresh /data) and checks that the
# commands it runs are the ones written here.
ARG NODE_VERSION=26

# Stage 1: every dependency, with the Prisma client generated at install time (postinstall).
FROM node:${NODE_VERSION}-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

# Stage 2: compile, then bundle the service and the CLI into one file each, beside the three
# packages loaded by path at run time (the embedded PostgreSQL, Prisma's query compiler, the
# Swagger UI's files): a 46 MB runtime tree instead of 141 MB of node_modules.
FROM deps AS build
COPY . .
RUN npm run build && node scripts/bundle-runtime.mjs /app/runtime

# Stage 3: the runtime, on Alpine: the runtime tree holds no native addon (bundle-runtime.mjs
# refuses one), only JavaScript and WebAssembly, so musl serves as well as glibc at a smaller base.
# Files belong to root and are read-only for the service; only /data is its own.
FROM node:${NODE_VERSION}-alpine AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Roster" \
      org.opencontainers.image.description="SCIM 2.0 directory service with an MCP endpoint" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.base.name="node:${NODE_VERSION}-alpine"
# A bounded heap keeps RSS low under load; the live set is ~50 MiB (docs/benchmarks.md). npm start
# also sets glibc's MALLOC_ARENA_MAX=2; musl's allocator has no arenas to cap, so it is not set here.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=4"
WORKDIR /app
COPY --from=build /app/runtime ./
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME /data
USER node
EXPOSE 3000
# The port comes from the environment at run time (docker run -e PORT=8080 keeps the check right).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/api/apps/api/src/main.js"]
