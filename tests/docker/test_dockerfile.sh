#!/usr/bin/env bash
# Runs what migrate.Dockerfile runs, on the machine the suite runs on, needing
# neither root nor a container engine (CI also builds the Dockerfile itself,
# stage by stage, in fresh Debian 12 chroots: tests/fresh/dockerfile_in_chroot.sh):
#   - the build stage's packages are the ones installed for the build;
#   - the same cmake configure / build / install into a prefix, then --version;
#   - every shared library the installed vmig and its PostgreSQL module load
#     comes from the runtime stage's packages (or what they depend on);
#   - the installed vmig, as a non-root user, runs `up --wait` and `check`
#     against the test PostgreSQL server with the example's migrations.
# Usage: test_dockerfile.sh SOURCE_DIR WORK_DIR PG_DIR
set -euo pipefail
src=$1 work=$2 pgdir=$3
dockerfile=$src/migrate.Dockerfile
fail() { echo "FAIL: $*" >&2; exit 1; }

# The packages of the `apt-get install` in the stage starting at line $1: the
# words after `install` (options left out) up to the next `&&`.
stage_packages() {
	awk -v start="$1" 'NR > start && /^FROM / { exit }
		NR > start && /apt-get install/ { on = 1 }
		on { more = sub(/\\$/, ""); printf "%s ", $0; if (!more) exit }' "$dockerfile" |
		sed -e 's/.*apt-get install//' -e 's/&&.*//' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' || true
}
build_line=$(grep -n '^FROM debian:12 AS build' "$dockerfile" | cut -d: -f1)
run_line=$(grep -n '^FROM debian:12-slim' "$dockerfile" | cut -d: -f1)
[ -n "$build_line" ] && [ -n "$run_line" ] || fail "migrate.Dockerfile: build or run stage not found"
build_pkgs=$(stage_packages "$build_line")
run_pkgs=$(stage_packages "$run_line")
[ -n "$build_pkgs" ] && [ -n "$run_pkgs" ] || fail "no packages found in the Dockerfile's stages"

for p in $build_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		fail "build-stage package $p is not installed: scripts/install-deps.sh and migrate.Dockerfile disagree"
done
echo "ok: build-stage packages installed: $(echo $build_pkgs)"

rm -rf "$work" && mkdir -p "$work"
# The install prefix and the /app folder must be reachable by the non-root user
# that runs vmig below: not so under a checkout in /root, so then under /tmp.
stage=$work
if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$work"; then
	stage=$(mktemp -d /tmp/vmig-dockerfile.XXXXXX)
	chmod 755 "$stage"
	trap 'rm -rf "$stage"' EXIT
fi
prefix=$stage/opt/vmig
# The Dockerfile's build commands, with its prefix moved under $stage.
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DVMIG_TESTS=OFF \
	-DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$work/build" -j2 >/dev/null
cmake --install "$work/build" >/dev/null
"$prefix/bin/vmig" --version | grep -q '^vmig ' || fail "installed vmig --version"
echo "ok: built, installed, $("$prefix/bin/vmig" --version)"

# `vmig import alembic` finds the helper that cmake --install put in share/vmig
# (the installed tree has no build directory beside it).
[ -f "$prefix/share/vmig/alembic_render.py" ] || fail "share/vmig/alembic_render.py was not installed"
"$prefix/bin/vmig" import alembic "$src/tests/alembic/project" -d sqlite:// \
	--python /usr/bin/python3 --dir "$work/imported" >"$work/import.out" ||
	fail "the installed vmig could not import the test Alembic project: $(cat "$work/import.out")"
grep -q '^import: 8 Alembic revision(s)' "$work/import.out" ||
	fail "the installed vmig's import report: $(cat "$work/import.out")"
echo "ok: the installed vmig imports an Alembic project with its installed helper"

module=$(find "$prefix" -name 'vmig_postgres.so' | head -n 1)
[ -n "$module" ] || fail "the PostgreSQL module was not installed"
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $run_pkgs 2>/dev/null | grep -E '^[a-z0-9]' |
	sed 's/:.*//' | sort -u)
for bin in "$prefix/bin/vmig" "$module"; do
	for lib in $(ldd "$bin" | awk '/=> \// { print $3 }'); do
		pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
			pkg=$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
		[ -n "$pkg" ] || fail "$lib (needed by $bin) belongs to no package"
		echo "$closure" | grep -qx "$pkg" ||
			fail "$lib (needed by $(basename "$bin")) comes from $pkg, which the runtime stage does not install"
	done
done
echo "ok: every runtime library comes from: $(echo $run_pkgs)"

# The image's default command, as a non-root user, in a folder laid out like /app.
app=$stage/app
mkdir -p "$app" && cp -r "$src/examples/basic/migrations" "$app/migrations"
chmod -R a+rX "$stage"
url=$(cat "$pgdir/url")
db="vmig_docker_$$"
psql "$url" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
dburl=$(echo "$url" | sed "s#/postgres?#/$db?#")
as_user() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
(cd "$app" && DATABASE_URL=$dburl as_user "$prefix/bin/vmig" up --wait) ||
	fail "installed vmig up --wait"
(cd "$app" && DATABASE_URL=$dburl as_user "$prefix/bin/vmig" up --wait 2>&1 | grep -q 'nothing to do') ||
	fail "second up --wait is not a no-op"
(cd "$app" && DATABASE_URL=$dburl as_user "$prefix/bin/vmig" check) || fail "installed vmig check"
psql "$url" -q -c "DROP DATABASE $db"
echo "ok: installed vmig up --wait and check as a non-root user"
echo "1 passed, 0 failed"
