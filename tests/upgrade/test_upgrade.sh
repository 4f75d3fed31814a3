#!/usr/bin/env bash
# Databases written by the previous release's own binary, then used by this one
# (SPEC "Bookkeeping"):
#   - the previous release (commit f9b8c63) is built from git history, once;
#   - for SQLite and for PostgreSQL, its vmig applies a small project, one
#     revision of which is `transaction off`;
#   - this vmig's status, current and check read that shape-1 table without
#     changing it (SQLite: the file's bytes; PostgreSQL: pg_dump of the version
#     tables) and show the revisions applied; a no-op up changes nothing either;
#   - the first run that writes (up of a new revision) upgrades the table to
#     shape 2 in one step: rows and their order kept;
#   - a `transaction off` revision applied by this vmig, its file deleted, is
#     downgraded from its row alone, outside a transaction;
#   - a version table of a newer shape (99) is refused by status and up with
#     exit 1, naming both shapes, and left as it was.
# Usage: test_upgrade.sh SOURCE_DIR WORK_DIR PG_DIR NEW_VMIG
set -euo pipefail
src=$1 work=$2 pgdir=$3 new=$4
old_commit=f9b8c63
passed=0

fail() {
	echo "FAIL: $*" >&2
	echo "$passed passed, 1 failed" >&2
	exit 1
}
ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}

unset DATABASE_URL VMIG_CONFIG VMIG_DRIVER_DIR
export NO_COLOR=1
[ -x "$new" ] || fail "no vmig at $new"
new=$(cd "$(dirname "$new")" && pwd)/$(basename "$new")
mkdir -p "$work"
work=$(cd "$work" && pwd)

# ---------------------------------------------------------------- the old binary

old_src=$work/old
old_build=$work/old-build
old=$old_build/vmig
if [ "$(cat "$old_build/.built-from" 2>/dev/null || true)" != "$old_commit" ] || [ ! -x "$old" ]; then
	rm -rf "$old_src" "$old_build"
	mkdir -p "$old_src"
	git -C "$src" archive "$old_commit" | tar -x -C "$old_src" ||
		fail "git archive $old_commit (is the checkout's history complete?)"
	cmake -S "$old_src" -B "$old_build" -DCMAKE_BUILD_TYPE=Release -DVMIG_TESTS=OFF \
		>"$work/old-cmake.log" 2>&1 || { tail -n 30 "$work/old-cmake.log" >&2; fail "cmake of $old_commit"; }
	cmake --build "$old_build" -j2 >"$work/old-build.log" 2>&1 ||
		{ tail -n 30 "$work/old-build.log" >&2; fail "build of $old_commit"; }
	echo "$old_commit" >"$old_build/.built-from"
fi
"$old" --version >/dev/null || fail "the old vmig does not run"
ok "built the previous release ($old_commit): $("$old" --version)"

# ---------------------------------------------------------------- helpers

# run NAME BIN ARGS...: runs vmig in the project folder; output in $work/NAME.{out,err}, status in $st.
run() {
	local name=$1 bin=$2
	shift 2
	set +e
	(cd "$proj" && DATABASE_URL=$url "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err")
	st=$?
	set -e
}
expect_status() {
	local want=$1 name=$2
	if [ "$st" != "$want" ]; then
		echo "---- $name: stdout" >&2
		cat "$work/$name.out" >&2
		echo "---- $name: stderr" >&2
		cat "$work/$name.err" >&2
		fail "$name: exit $st, expected $want"
	fi
}
expect_in() {
	local file=$1 text=$2 what=$3
	grep -qF -- "$text" "$file" || { cat "$file" >&2; fail "$what: '$text' not in $(basename "$file")"; }
}

# rev FILE ID PARENT TXN_OFF UP DOWN: writes one revision file.
rev() {
	{
		echo "-- vmig:revision $2"
		echo "-- vmig:down_revision $3"
		echo "-- vmig:message revision $2"
		[ "$4" = off ] && echo "-- vmig:transaction off"
		echo
		echo "-- vmig:up"
		printf '%s\n' "$5"
		echo
		echo "-- vmig:down"
		printf '%s\n' "$6"
	} >"$proj/migrations/$1"
}

# ---------------------------------------------------------------- per database

# The database-specific parts, set by the caller of scenario:
#   url, snapshot (a function printing the database's state), q (a raw query),
#   off_up / off_down (SQL of a `transaction off` revision), has_index (is
#   the transaction-off revision's object there: prints 1 or 0).
scenario() {
	local db=$1
	proj=$work/proj-$db
	rm -rf "$proj"
	mkdir -p "$proj/migrations"
	rev 001_a.sql a1000001 "" on "CREATE TABLE t1 (id integer PRIMARY KEY);" "DROP TABLE t1;"
	rev 002_b.sql b2000002 a1000001 off "$off_up_1" "$off_down_1"
	rev 003_c.sql c3000003 b2000002 on "CREATE TABLE t3 (id integer);" "DROP TABLE t3;"

	# The previous release applies the project.
	run "$db-old-up" "$old" up
	expect_status 0 "$db-old-up"
	[ "$(q "SELECT value FROM vmig_version_meta WHERE key = 'shape'")" = 1 ] ||
		fail "$db: the previous release did not write shape 1"
	[ "$(q "SELECT count(*) FROM vmig_version WHERE state = 'applied'")" = 3 ] ||
		fail "$db: the previous release did not apply 3 revisions"
	ok "$db: the previous release applied 3 revisions (one transaction off), shape 1"

	# Read-only commands of this vmig change nothing and see the revisions.
	local before after
	before=$(snapshot)
	run "$db-status" "$new" status
	expect_status 0 "$db-status"
	for id in a1000001 b2000002 c3000003; do
		expect_in "$work/$db-status.out" "$id" "$db: status"
	done
	expect_in "$work/$db-status.out" "3 applied, 0 pending" "$db: status"
	run "$db-current" "$new" current
	expect_status 0 "$db-current"
	expect_in "$work/$db-current.out" c3000003 "$db: current"
	run "$db-check" "$new" check
	expect_status 0 "$db-check"
	run "$db-noop-up" "$new" up
	expect_status 0 "$db-noop-up"
	after=$(snapshot)
	[ "$before" = "$after" ] || {
		diff <(echo "$before") <(echo "$after") >&2 || true
		fail "$db: status/current/check/no-op up changed the shape-1 database"
	}
	[ "$(q "SELECT value FROM vmig_version_meta WHERE key = 'shape'")" = 1 ] ||
		fail "$db: a read-only command upgraded the table"
	ok "$db: status, current, check and a no-op up read shape 1 and leave it unchanged"

	# The first run that writes upgrades the table in one step.
	rev 004_d.sql d4000004 c3000003 off "$off_up_4" "$off_down_4"
	run "$db-up" "$new" up
	expect_status 0 "$db-up"
	[ "$(q "SELECT value FROM vmig_version_meta WHERE key = 'shape'")" = 2 ] ||
		fail "$db: up did not record shape 2"
	local rows want
	rows=$(q "SELECT revision || ':' || seq || ':' || state || ':' || CASE WHEN transactional THEN 't' ELSE 'f' END FROM vmig_version ORDER BY seq")
	want=$'a1000001:1:applied:t\nb2000002:2:applied:t\nc3000003:3:applied:t\nd4000004:4:applied:f'
	[ "$rows" = "$want" ] || fail "$db: rows after the upgrade:"$'\n'"$rows"$'\nexpected:\n'"$want"
	[ "$(q "SELECT parents FROM vmig_version WHERE revision = 'b2000002'")" = a1000001 ] ||
		fail "$db: the upgrade lost b2000002's parents"
	[ "$(q "SELECT count(*) FROM vmig_version WHERE down_sql IS NOT NULL")" = 4 ] ||
		fail "$db: the upgrade lost down SQL"
	[ "$(has_object)" = 1 ] || fail "$db: d4000004's up SQL did not run"
	run "$db-check2" "$new" check
	expect_status 0 "$db-check2"
	ok "$db: up of a new revision upgraded the table to shape 2 (rows, order and down SQL kept)"

	# The file gone: its row alone downgrades it, outside a transaction.
	rm "$proj/migrations/004_d.sql"
	run "$db-status-gone" "$new" status
	expect_status 0 "$db-status-gone"
	expect_in "$work/$db-status-gone.out" d4000004 "$db: status with the file gone"
	run "$db-down" "$new" down
	expect_status 0 "$db-down"
	[ "$(q "SELECT count(*) FROM vmig_version WHERE revision = 'd4000004'")" = 0 ] ||
		fail "$db: down left d4000004's row"
	[ "$(has_object)" = 0 ] || fail "$db: d4000004's down SQL did not run"
	run "$db-current2" "$new" current
	expect_status 0 "$db-current2"
	expect_in "$work/$db-current2.out" c3000003 "$db: current after down"
	ok "$db: down of a transaction-off revision whose file is gone ran its down SQL outside a transaction"

	# A newer shape is refused by status and up, naming both, changing nothing.
	q "UPDATE vmig_version_meta SET value = '99' WHERE key = 'shape'" >/dev/null
	before=$(snapshot)
	rev 005_e.sql e5000005 c3000003 on "CREATE TABLE t5 (id integer);" "DROP TABLE t5;"
	for cmd in status up; do
		run "$db-newer-$cmd" "$new" $cmd
		expect_status 1 "$db-newer-$cmd"
		expect_in "$work/$db-newer-$cmd.err" 99 "$db: $cmd of shape 99"
		grep -qE '(^|[^0-9])2([^0-9]|$)' "$work/$db-newer-$cmd.err" ||
			{ cat "$work/$db-newer-$cmd.err" >&2; fail "$db: $cmd of shape 99 does not name shape 2"; }
	done
	after=$(snapshot)
	[ "$before" = "$after" ] || fail "$db: refusing a newer shape changed the database"
	ok "$db: a version table of shape 99 is refused by status and up (exit 1, both shapes named)"
}

# ---------------------------------------------------------------- SQLite

dbfile=$work/sqlite.db
rm -f "$dbfile" "$dbfile-journal"
url="sqlite:///$dbfile"
q() { sqlite3 "$dbfile" "$1"; }
snapshot() {
	sha256sum "$dbfile" | cut -d' ' -f1
	ls "$dbfile"-* 2>/dev/null || true
}
has_object() { q "SELECT count(*) FROM sqlite_master WHERE name = 't4'"; }
off_up_1=$'CREATE TABLE t2 (id integer);\nVACUUM;'
off_down_1=$'DROP TABLE t2;\nVACUUM;'
off_up_4=$'CREATE TABLE t4 (id integer);\nVACUUM;'
off_down_4=$'DROP TABLE t4;\nVACUUM;'
scenario sqlite

# ---------------------------------------------------------------- PostgreSQL

[ -f "$pgdir/url" ] || fail "no PostgreSQL test server in $pgdir (ctest's pg_start fixture starts it)"
pgdb="vmig_upgrade_$$"
url=$(bash "$src/tests/pg/pg_harness.sh" createdb "$pgdir" "$pgdb") || fail "createdb $pgdb"
trap 'psql "$(cat "$pgdir/url")" -q -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
q() { psql "$url" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
snapshot() {
	pg_dump "$url" --no-owner -t vmig_version -t vmig_version_meta | grep -vE '^(-- Dumped|\\(un)?restrict )'
}
has_object() { q "SELECT count(*) FROM pg_indexes WHERE indexname = 't1_d4'"; }
off_up_1='CREATE INDEX CONCURRENTLY t1_b2 ON t1 (id);'
off_down_1='DROP INDEX CONCURRENTLY t1_b2;'
off_up_4='CREATE INDEX CONCURRENTLY t1_d4 ON t1 (id);'
off_down_4='DROP INDEX CONCURRENTLY t1_d4;'
scenario postgresql

echo "$passed passed, 0 failed"
