# Claimgate container image. Not built in this project's CI (no Docker engine there); kept minimal.
# Build:  docker build -t claimgate .
# Run:    docker run -p 8080:8080 -v claimgate-data:/app/data \
#           -e CLAIMGATE_HOST=0.0.0.0 -e CLAIMGATE_PUBLIC_URL=https://claims.example.com claimgate

FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmicrohttpd-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources Sources
COPY Tests Tests
RUN swift build -c release --static-swift-stdlib --product claimgate \
 && cp .build/release/claimgate /claimgate && strip /claimgate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmicrohttpd12 libsqlite3-0 libstdc++6 ca-certificates tzdata curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin claimgate
WORKDIR /app
COPY --from=build /claimgate /usr/local/bin/claimgate
COPY migrations ./migrations
COPY config ./config
COPY openapi ./openapi
RUN mkdir -p /app/data && chown claimgate:claimgate /app/data
USER claimgate
VOLUME ["/app/data"]
ENV CLAIMGATE_HOST=0.0.0.0
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${CLAIMGATE_PORT:-8080}/healthz" || exit 1
ENTRYPOINT ["/usr/local/bin/claimgate"]
CMD ["serve"]
