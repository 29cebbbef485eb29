# Monitorage images (docs/deploy.md). Three stages:
#   build    Debian 12 with the compilers and -dev packages; installs into /stage
#   runtime  Debian 12 slim with only the runtime libraries, non-root uid 1001;
#            target "checker" runs monitorage-checkd from it
#   server   the default target: the REST server (kore + monitorage_rest.so)
#
#   docker build -t monitorage-server .
#   docker build --target checker -t monitorage-checker .
#
# tests/deploy/test_runtime_stage.py builds the runtime stage described here
# into a directory (same packages, same COPY lines, same user) and runs the
# server and the HEALTHCHECK command from it: keep the instructions simple
# (one package a line, COPY --from=build SRC DEST).

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config ca-certificates \
        libpq-dev libcurl4-openssl-dev libjansson-dev libsodium-dev libcjose-dev kore \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr/local \
        -DMONITORAGE_BUILD_TESTS=OFF -DMONITORAGE_BUILD_EXAMPLES=OFF -DMONITORAGE_BUILD_BENCHMARKS=OFF \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/stage cmake --install /build

# The Debian kore package depends on libc-dev, libssl-dev and libpq-dev (it
# builds modules): the runtime stage takes only its binary and the libraries
# that binary loads.
FROM debian:12-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates \
        curl \
        libcjose0 \
        libcurl4 \
        libjansson4 \
        libpq5 \
        libsodium23 \
        libssl3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /stage/usr/local/bin/ /usr/local/bin/
COPY --from=build /stage/usr/local/lib/libmonitorage.so.* /usr/local/lib/
COPY --from=build /stage/usr/local/lib/monitorage/ /usr/local/lib/monitorage/
COPY --from=build /stage/usr/local/share/monitorage/ /usr/local/share/monitorage/
COPY --from=build /usr/bin/kore /usr/local/bin/kore
RUN ldconfig \
 && groupadd --system --gid 1001 monitorage \
 && useradd --system --uid 1001 --gid 1001 --home-dir /nonexistent --shell /usr/sbin/nologin monitorage
USER 1001:1001
WORKDIR /tmp
# HOME is set even when the image runs under another uid (--user): with HOME
# unset and a uid without a passwd entry, a worker's first outgoing
# connection makes a syscall outside Kore's sandbox (readlinkat) and the
# worker is killed in a loop (seen here as uid 1001 without HOME).
ENV HOME=/nonexistent

# The checker daemon: no port, no HTTP health route; the orchestrator restarts
# it when it exits. SIGTERM finishes the checks in flight, writes their results
# and exits 0 within MONITORAGE_DRAIN_TIMEOUT_MS (keep it under the stop grace
# period).
FROM runtime AS checker
ENV MONITORAGE_DRAIN_TIMEOUT_MS=20000
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/monitorage-checkd"]

# The REST server (default target).
FROM runtime AS server
ENV PORT=8080 \
    MONITORAGE_BIND=0.0.0.0
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=5s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health" || exit 1
ENTRYPOINT ["/usr/local/bin/monitorage-server"]
