# Kefu node image: one image for every role (KEFU_ROLES picks them at run time).
# Node 22 runs the server's TypeScript sources directly (type stripping); only the browser files
# are built, in a stage of their own (web/build.ts: the visitor widget).
FROM node:22-bookworm-slim AS web
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY web ./web
RUN node web/build.ts

FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    KEFU_HOST=0.0.0.0 \
    KEFU_PORT=8035 \
    KEFU_DATA_DIR=/var/lib/kefu
WORKDIR /opt/kefu

COPY package.json package-lock.json ./
# Production dependencies only; native parts (uWebSockets.js, better-sqlite3, sharp) ship prebuilt binaries.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY actors ./actors
COPY bin ./bin
COPY cluster ./cluster
COPY gateways ./gateways
COPY workers ./workers
COPY --from=web /build/web/public ./web/public
COPY moleculer.config.ts tsconfig.json ./

RUN mkdir -p /var/lib/kefu && chown node:node /var/lib/kefu
USER node
EXPOSE 8035
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KEFU_PORT||8035)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The flags of cluster/node-flags.ts.
CMD ["node", "--experimental-async-context-frame", "bin/kefu.ts", "start"]
