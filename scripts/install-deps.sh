#!/bin/sh
# Installs everything this project needs on Debian 12 (run as root): to build
# vmig, to run its whole test suite (PostgreSQL server and PgBouncer included;
# the tests start their own on loopback ports), the CI checks
# (Clang builds and its sanitizer and libFuzzer runtimes, valgrind,
# clang-format, the fresh-system checks in tests/fresh/: debootstrap, git; strace
# for the SQLite lock-order test; Debian's Alembic with SQLAlchemy and psycopg2,
# which the planner's stamp is checked against and `vmig import alembic` is
# tested with),
# the benchmark (hyperfine, time) and the FastAPI example's tests (FastAPI,
# SQLAlchemy, asyncpg, pytest, pytest-asyncio, httpx); zlib1g-dev for the test
# that links a program statically against libvmig.a (SQLite's static
# library needs -lz).  Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	build-essential cmake pkg-config \
	libpq-dev libsqlite3-dev zlib1g-dev sqlite3 libyaml-dev libcyaml-dev libcmocka-dev libssl-dev nettle-dev \
	libcjson-dev libpg-query-dev \
	postgresql postgresql-client pgbouncer \
	clang libclang-rt-14-dev clang-format valgrind \
	debootstrap git strace python3 python3-alembic alembic python3-sqlalchemy python3-psycopg2 \
	hyperfine time \
	python3-fastapi python3-sqlalchemy python3-asyncpg python3-pytest python3-pytest-asyncio python3-httpx
