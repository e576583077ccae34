# Boxoffice: the server binary plus the built web app, in one small image.
# Build: docker build --build-arg BOXOFFICE_GIT_SHA=$(git rev-parse --short HEAD) -t boxoffice .

FROM rust:1.95-bookworm AS server
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
# Shown as boxoffice_build_info{git_sha} at GET /metrics (read at compile time).
ARG BOXOFFICE_GIT_SHA=unknown
ENV BOXOFFICE_GIT_SHA=$BOXOFFICE_GIT_SHA
RUN cargo build --release --bin boxoffice

FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./
RUN npm run build

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app boxoffice
# Embedded mode's data dir (SQLite, generated JWT secret): the service user's only.
RUN install -d -m 0700 -o boxoffice /app/data
WORKDIR /app
COPY --from=server /src/target/release/boxoffice /usr/local/bin/boxoffice
COPY --from=web /web/dist /app/web/dist
USER boxoffice
ENV HOST=0.0.0.0 PORT=3001 WEB_DIR=/app/web/dist DATA_DIR=/app/data
EXPOSE 3001
# Liveness: /healthz answers while the process serves. Readiness (/readyz: database and Redis
# answer, not draining) is for whatever routes traffic (docker-compose.yml, the load balancer).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD curl -fsS http://127.0.0.1:3001/healthz || exit 1
CMD ["boxoffice"]
