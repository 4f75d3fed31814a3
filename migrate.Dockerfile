# The migrate image: `vmig up --wait` as the entrypoint, in front of PostgreSQL.
#
#   docker build -f migrate.Dockerfile -t vmig-migrate .
#   docker run --rm -e DATABASE_URL=postgresql://app:secret@db:5432/app \
#       -v "$PWD/migrations:/app/migrations:ro" vmig-migrate
#
# The working directory is /app: migrations are read from /app/migrations and
# an optional /app/vmig.yaml (mount them, or COPY them in an image built FROM
# this one).  The database URL comes from $DATABASE_URL unless vmig.yaml says
# otherwise.  CI builds this file step by step without a container engine, each
# stage in a fresh Debian 12 minbase chroot, and runs the image against
# PostgreSQL (tests/fresh/dockerfile_in_chroot.sh); the test suite runs its
# build and its runtime libraries on the host (tests/docker/test_dockerfile.sh).

# --- build: Debian 12 with the -dev packages ---------------------------------
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libpq-dev libsqlite3-dev libyaml-dev libcyaml-dev nettle-dev libcjson-dev libpg-query-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src ./src
COPY drivers ./drivers
COPY doc ./doc
COPY share ./share
COPY include ./include
COPY vmig.pc.in ./
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DVMIG_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/opt/vmig \
 && cmake --build build -j"$(nproc)" \
 && cmake --install build \
 && /opt/vmig/bin/vmig --version

# --- run: slim Debian 12 with only the runtime libraries ----------------------
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpq5 libsqlite3-0 libcyaml1 libyaml-0-2 libnettle8 libcjson1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home vmig \
 && mkdir -p /app/migrations \
 && chown -R vmig:vmig /app
COPY --from=build /opt/vmig /opt/vmig
ENV PATH=/opt/vmig/bin:$PATH
WORKDIR /app
USER vmig
ENTRYPOINT ["vmig"]
CMD ["up", "--wait"]
