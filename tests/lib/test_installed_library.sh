#!/usr/bin/env bash
# The installed C library (SPEC "The C library"): `cmake --install` of the
# build into a fresh prefix gives include/vmig.h, lib/libvmig.so.0 (exporting
# only vmig_ symbols), lib/libvmig.a and lib/pkgconfig/vmig.pc, from which
# examples/c/main.c builds both ways:
#   - shared: cc main.c $(pkg-config --cflags --libs vmig);
#   - static: the flags of pkg-config --static, with libvmig.a for -lvmig
#     (the program then needs no libvmig.so);
# each run on its own copy of examples/basic (SQLite) prints every revision
# as it is applied, the head reached and a test database's URL, and leaves
# the database migrated (every revision recorded, the tables there) and the
# test database dropped.  A second run has nothing to do.
#
# usage: test_installed_library.sh SOURCE_DIR BUILD_DIR WORK_DIR [EXTRA_CFLAGS]
set -euo pipefail

src=$1 build=$2 work=$3 extra=${4:-}
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
	{ cat "$work/install.log" >&2; fail "cmake --install"; }

pcdir=$(dirname "$(find "$prefix" -name vmig.pc -path '*/pkgconfig/*' | head -1)")
[ -f "$pcdir/vmig.pc" ] || fail "no vmig.pc installed"
libdir=$(dirname "$pcdir")
[ "$libdir" = "$prefix/lib" ] || [ "$(dirname "$libdir")" = "$prefix/lib" ] ||
	fail "libraries in $libdir, not under $prefix/lib"
[ -f "$prefix/include/vmig.h" ] || fail "include/vmig.h not installed"
[ -f "$libdir/libvmig.a" ] || fail "libvmig.a not installed"
[ -L "$libdir/libvmig.so" ] && [ -e "$libdir/libvmig.so.0" ] || fail "libvmig.so(.0) not installed"
for f in bin/vmig share/vmig/alembic_render.py; do
	[ -e "$prefix/$f" ] || fail "$f is no longer installed"
done
[ -e "$libdir/vmig/vmig_postgres.so" ] || fail "the PostgreSQL module is no longer installed"
readelf -d "$libdir/libvmig.so.0" | grep -q 'SONAME.*\[libvmig\.so\.0\]' || fail "SONAME is not libvmig.so.0"

# Only the API leaves the shared library.
others=$(nm -D --defined-only "$libdir/libvmig.so" | awk 'NF == 3 {print $3}' |
	grep -v -E '^(vmig_|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
[ -z "$others" ] || fail "libvmig.so exports more than vmig_ symbols:
$others"
count=$(nm -D --defined-only "$libdir/libvmig.so" | awk 'NF == 3 && $3 ~ /^vmig_/' | wc -l)
[ "$count" -gt 0 ] || fail "libvmig.so exports no vmig_ symbol"
echo "libvmig.so exports $count vmig_ symbols"

export PKG_CONFIG_PATH=$pcdir
[ "$(pkg-config --modversion vmig)" = "$(sed -n 's/^project(vmig VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" ] ||
	fail "vmig.pc's version is not the project's"
cc=${CC:-cc}
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$src/examples/c/main.c" -o "$work/example_shared" \
	$(pkg-config --cflags --libs vmig)
static_libs=$(pkg-config --static --libs vmig | sed 's/-lvmig\b/-l:libvmig.a/')
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$src/examples/c/main.c" -o "$work/example_static" \
	$(pkg-config --cflags vmig) $static_libs
readelf -d "$work/example_shared" | grep -q 'NEEDED.*libvmig\.so\.0' || fail "the shared build does not use libvmig.so.0"
! readelf -d "$work/example_static" | grep -q 'NEEDED.*libvmig' || fail "the static build needs libvmig.so"

revs=$(ls "$src/examples/basic/migrations" | sed 's/_.*//' | sort)
nrevs=$(echo "$revs" | wc -l)
for kind in shared static; do
	proj=$work/basic_$kind
	cp -r "$src/examples/basic" "$proj"
	rm -f "$proj"/*.db
	run() {
		(cd "$proj" && env -u DATABASE_URL -u VMIG_CONFIG LD_LIBRARY_PATH="$libdir" \
			"$work/example_$kind") >"$work/$kind.out" 2>"$work/$kind.err" ||
			{ cat "$work/$kind.out" "$work/$kind.err" >&2; fail "$kind example failed"; }
	}
	run
	out=$work/$kind.out
	[ ! -s "$work/$kind.err" ] || { cat "$work/$kind.err" >&2; fail "$kind: the library wrote to stderr"; }
	grep -q "^libvmig $(pkg-config --modversion vmig)\$" "$out" || fail "$kind: no version line"
	[ "$(grep -c '^applied ' "$out")" -eq "$nrevs" ] || { cat "$out" >&2; fail "$kind: not one progress line per revision"; }
	for r in $revs; do
		grep -q "^applied $r " "$out" || fail "$kind: no progress line for $r"
	done
	grep -q "^up: $nrevs step(s); database at " "$out" || { cat "$out" >&2; fail "$kind: no summary"; }
	url=$(sed -n 's/^test database: //p' "$out")
	case $url in
	sqlite:///app_vmig_d_*.db) ;;
	*) cat "$out" >&2; fail "$kind: no test database URL" ;;
	esac
	[ ! -e "$proj/${url#sqlite:///}" ] || fail "$kind: the test database was not dropped"
	# The database is migrated: every revision recorded, the example's tables there.
	got=$(sqlite3 "$proj/app.db" "SELECT revision FROM vmig_version ORDER BY revision")
	[ "$got" = "$revs" ] || fail "$kind: version table holds
$got"
	tables=$(sqlite3 "$proj/app.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	echo "$tables" | grep -qx users || fail "$kind: no users table: $tables"
	# Again: nothing to do.
	run
	! grep -q '^applied ' "$work/$kind.out" || fail "$kind: a second run applied something"
	grep -q "^up: 0 step(s)" "$work/$kind.out" || fail "$kind: a second run did not find nothing to do"
done
# A program installed anywhere (here: not in the prefix's bin/) finds the
# PostgreSQL module beside libvmig.so: a server that is not there gives a
# connection error, not "support is not available".
proj=$work/basic_pg
cp -r "$src/examples/basic" "$proj"
if (cd "$proj" && env -u VMIG_CONFIG -u VMIG_DRIVER_DIR LD_LIBRARY_PATH="$libdir" \
	DATABASE_URL=postgresql://nobody:secret@127.0.0.1:1/none "$work/example_shared") \
	>"$work/pg.out" 2>"$work/pg.err"; then
	fail "the example reached a server on port 1"
fi
! grep -q "not available" "$work/pg.err" || { cat "$work/pg.err" >&2; fail "the shared library did not find its PostgreSQL module"; }
grep -qi "connect" "$work/pg.err" || { cat "$work/pg.err" >&2; fail "no connection error: $(cat "$work/pg.err")"; }
! grep -q secret "$work/pg.out" "$work/pg.err" || fail "the password was printed"
echo "ok: installed library, shared and static"
