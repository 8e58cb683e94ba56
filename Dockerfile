# CloudSage as a container: a static binary (CGO_ENABLED=0: SQLite is the
# pure-Go modernc driver) on distroless, running as the non-root user 65532.
#   docker build -t cloudsage --build-arg VERSION=$(git describe --tags --always) .
#   docker run -p 8080:8080 -v cloudsage-data:/data cloudsage
# Several replicas on PostgreSQL and Valkey: see compose.yaml.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/cloudsage/cloudsage.Version=${VERSION}" \
      -o /out/cloudsage ./cmd/cloudsage \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cloudsage /usr/local/bin/cloudsage
# SQLite's folder when no CLOUDSAGE_DATABASE_URL is given; owned by the
# non-root user so a named volume mounted here is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CLOUDSAGE_ADDR=0.0.0.0:8080 \
    CLOUDSAGE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/cloudsage"]
CMD ["serve"]
