# titan: a small static image that runs as a non-root user.
#   docker build -t titan .
#   docker run -p 7369:7369 -p 7345:7345 titan --store tikv://pd:2379
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/titan ./cmd/titan \
 && mkdir -p /out/data

# distroless/static: no shell, no package manager; user 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/titan /usr/local/bin/titan
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# The embedded store's directory, when no --store is given.
VOLUME /data
EXPOSE 7369 7345
ENTRYPOINT ["/usr/local/bin/titan", "--listen", "0.0.0.0:7369", "--status-listen", "0.0.0.0:7345", "--data-dir", "/data", "--log-format", "json"]
