# syntax=docker/dockerfile:1
# Image of wican-bridge. It runs as a Home Assistant add-on, built for each architecture
# by .github/workflows/addon-image.yaml with BUILD_VERSION and BUILD_ARCH, and as a plain
# container:
#   docker build -t wican-bridge .
#   docker run --network host -v wican-data:/data wican-bridge --mqtt tcp://127.0.0.1:1883
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 .
# The build stage cross-compiles, which needs BuildKit (Docker's default builder since
# Engine 23).

# Home Assistant's multi-arch Alpine base image. Tag 3.24 (Alpine 3.24, published in
# June 2026) is the line Home Assistant's own images moved to. A pinned minor tag keeps
# builds repeatable, where "latest" would change under them.
ARG BUILD_FROM=ghcr.io/home-assistant/base:3.24

FROM --platform=$BUILDPLATFORM golang:1.26-alpine AS build
ARG TARGETARCH
ARG BUILD_ARCH
ARG BUILD_VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# GOARCH comes from TARGETARCH (BuildKit) or else from the Supervisor's BUILD_ARCH
# (aarch64 or amd64). CGO is off, so the binary is static and needs nothing from the base.
RUN set -eu; \
    arch="${TARGETARCH:-}"; \
    if [ -z "$arch" ]; then \
      case "${BUILD_ARCH:-amd64}" in \
        aarch64) arch=arm64 ;; \
        amd64) arch=amd64 ;; \
        *) echo "BUILD_ARCH ${BUILD_ARCH} is not supported: use aarch64 or amd64" >&2; exit 1 ;; \
      esac; \
    fi; \
    CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/wican-bridge/wican-bridge/bridge.Version=${BUILD_VERSION}" \
      -o /out/wican-bridge ./cmd/wican-bridge

FROM ${BUILD_FROM}
ARG BUILD_VERSION=dev
COPY --from=build /out/wican-bridge /usr/bin/wican-bridge

# The add-on's /data is the Supervisor's persistent volume, and a plain container
# mounts a volume there.
ENV WICAN_DATA_DIR=/data
VOLUME ["/data"]

# 8780: webhook receiver that adapters post to. 8099: web page and admin API
# (Home Assistant ingress in the add-on).
EXPOSE 8780 8099

LABEL \
    io.hass.version="${BUILD_VERSION}" \
    io.hass.type="app" \
    io.hass.arch="aarch64|amd64" \
    org.opencontainers.image.title="wican-bridge" \
    org.opencontainers.image.description="WiCAN OBD adapter webhooks to Home Assistant MQTT discovery" \
    org.opencontainers.image.source="https://github.com/wican-bridge/wican-bridge"

# The bridge itself is PID 1, without the base image's s6-overlay (/init): it handles
# SIGTERM and starts no child processes. The empty CMD keeps an inherited CMD from
# reaching the bridge as arguments, which it would reject.
ENTRYPOINT ["/usr/bin/wican-bridge"]
CMD []
