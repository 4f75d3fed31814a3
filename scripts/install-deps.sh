#!/bin/sh
# Installs everything vmig needs to build and to run its whole test suite on
# Debian 12 (run as root).  Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	build-essential cmake pkg-config clang-format valgrind \
	libpq-dev libsqlite3-dev sqlite3 libcyaml-dev libcmocka-dev libssl-dev \
	libcjson-dev libpg-query-dev \
	postgresql postgresql-client hyperfine time
