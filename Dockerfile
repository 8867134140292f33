# Build: docker build --build-arg VERSION=$(git describe --tags --always) -t sre-value-exporter .
# Run:   docker run -p 9877:9877 -v $PWD/my.yml:/etc/sre-value-exporter/sre-value-exporter.yml:ro \
#          -v sre-value-data:/data sre-value-exporter

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so editing code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
# CGO off: a static binary that runs on an image without libc.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w \
        -X github.com/prometheus/common/version.Version=${VERSION} \
        -X github.com/prometheus/common/version.Revision=${REVISION} \
        -X github.com/prometheus/common/version.Branch=main" \
      -o /out/sre-value-exporter ./cmd/sre-value-exporter \
 && mkdir -p /out/data

# No shell, no package manager, runs as uid 65532.
FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/sre-value-exporter /bin/sre-value-exporter
# The store must be writable by the non-root user; mount a volume to keep it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 9877
ENTRYPOINT ["/bin/sre-value-exporter"]
CMD ["--config.file=/etc/sre-value-exporter/sre-value-exporter.yml", "--storage.path=/data/sre-value-exporter.db"]
