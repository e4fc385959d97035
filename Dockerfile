# syntax=docker/dockerfile:1
# Build stage: install production dependencies once, with the lockfile.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime stage: only what the gateway runs: src/ bundled into dist/ by esbuild (npm run build);
# tsx stays for the admin CLI.
FROM node:20-bookworm-slim AS runtime
# glibc's malloc at a fixed mmap threshold, as `npm start` runs it (README, Benchmarks).
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 DATA_DIR=/data MALLOC_MMAP_THRESHOLD_=262144
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY bin ./bin
COPY migrations ./migrations
COPY catalog ./catalog
RUN node scripts/build.mjs && mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=8", "--enable-source-maps", "dist/main.js"]
