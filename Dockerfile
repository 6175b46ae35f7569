# syntax=docker/dockerfile:1
# opsdeck — multi-stage image: dependencies, type check and bundle in the build stage,
# a slim runtime with a non-root user and a HEALTHCHECK on /healthz.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
# Type check, then the same build as `npm run build` and `npm start`'s first start (esbuild bundle).
RUN npx tsc -p tsconfig.build.json --noEmit && node bin/build-dist.mjs

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20-bookworm-slim AS runtime
# ssh client and docker compose v1 for the `local` host type; remote hosts only need ssh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client docker-compose util-linux wget \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production OPSDECK_CONFIG=/app/config/opsdeck.yaml
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY templates ./templates
RUN groupadd --system opsdeck && useradd --system --gid opsdeck --home /app opsdeck \
 && mkdir -p /app/data && chown opsdeck:opsdeck /app/data
USER opsdeck
VOLUME ["/app/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8787/healthz || exit 1
# The same V8 flags as `npm start` (package.json): compiled code at once, so the first commands after a start are not run by the interpreter.
ENTRYPOINT ["node", "--always-sparkplug", "--no-lazy-feedback-allocation", "dist/main.js"]
