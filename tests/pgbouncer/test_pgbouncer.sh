#!/usr/bin/env bash
# vmig behind a real PgBouncer (Debian's pgbouncer), started here on a
# loopback port in front of the suite's PostgreSQL, in session, transaction
# and statement pooling modes, with a pool of 2 server connections per
# database so that transaction pooling really hands one server connection
# to many runners.  Clients log in as the password role vmig_pw
# (scram-sha-256 to PgBouncer, and from PgBouncer to the server).
#
# Each revision of the test projects leaves evidence that fails if it runs
# twice: a row in `ran` (primary key) and a table of its own; the
# `transaction off` revision builds an index CONCURRENTLY, inserts its row
# outside any transaction and sleeps, so that other runners meet it in
# progress.  In session and transaction pooling:
#   - `vmig up` on a fresh database applies everything (exit 0); `current`,
#     `status` and `check` answer through the pooler; a second `up` has
#     nothing to do; `down -1` (transaction off: DROP INDEX CONCURRENTLY) and
#     `up` again work;
#   - 8 concurrent `vmig up --wait` on a fresh database all exit 0, each
#     revision is reported applied by exactly one of them and its SQL ran once
#     (`ran` holds each id once), the version table holds every revision,
#     applied, in order, and no advisory lock is left held on any server
#     connection (a leaked session lock would stop later runs);
#   - 4 runners through the pooler and 4 direct ones at once, likewise;
#   - 4 concurrent `vmig up --single-transaction` (transactional project);
#   - a `transaction off` revision left in progress by a dead run: `vmig up`
#     waits lock_timeout (another runner may still be at it), then refuses
#     (exit 1), naming the revision and `vmig stamp`.
# In statement pooling, `vmig up` works (each of vmig's transactions is one
# query string), and --single-transaction, which needs a transaction across
# statements, fails (exit 1) saying why and what to do.
# As a baseline, 8 concurrent direct runners of the same project all exit 0.
# The test fails, never skips, when pgbouncer is missing or cannot start.
#
# Usage: test_pgbouncer.sh SOURCE_DIR WORK_DIR PG_DIR VMIG
set -euo pipefail
src=$1 work=$2 pgdir=$3 vmig=$4
# fail, ok, vmig_run, show, expect_status
. "$src/tests/support/vmig_run.sh"

unset DATABASE_URL VMIG_CONFIG VMIG_DRIVER_DIR PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD PGAPPNAME
export NO_COLOR=1
export PATH=/usr/lib/postgresql/15/bin:$PATH:/usr/sbin
[ -x "$vmig" ] || fail "no vmig at $vmig"
vmig=$(cd "$(dirname "$vmig")" && pwd)/$(basename "$vmig")
command -v psql >/dev/null || fail "psql is not installed"
command -v pgbouncer >/dev/null ||
	fail "pgbouncer is not installed: scripts/install-deps.sh installs it (Debian package pgbouncer)"
[ -f "$pgdir/url" ] || fail "no PostgreSQL test server in $pgdir (start one: bash $src/tests/pg/pg_harness.sh start $pgdir)"
admin_url=$(cat "$pgdir/url")
pg_port=$(cat "$pgdir/port")
pg_sock=$(cat "$pgdir/sockdir")
pw=$(sed -n 's|^postgresql://vmig_pw:\([^@]*\)@.*|\1|p' "$pgdir/url_pw")
[ -n "$pw" ] || fail "no password role in $pgdir/url_pw"
psql -X -q -At -d "$admin_url" -c 'SELECT 1' >/dev/null || fail "the PostgreSQL test server of $pgdir does not answer"

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

is_root() { [ "$(id -u)" -eq 0 ]; }
# PgBouncer refuses to run as root: as root it runs as the server's OS user.
as_pg() {
	if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PgBouncer's files: in the work folder, or in a folder under /tmp when the
# postgres user cannot reach it or its path is too long for a socket.
home=$work/bouncer
mkdir -p "$home"
is_root && chown postgres: "$home"
if ! as_pg test -w "$home" -a -x "$home" 2>/dev/null || ((${#home} > 80)); then
	home=$(mktemp -d /tmp/vmigpgb.XXXXXX)
	chmod 755 "$home"
	is_root && chown postgres: "$home"
fi
bouncer_pids=()
cleanup() {
	local p
	for p in "${bouncer_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	[[ "$home" == /tmp/vmigpgb.* ]] && { cp "$home"/*.log "$work/" 2>/dev/null || true; rm -rf "$home"; }
	return 0
}
trap cleanup EXIT

printf '"vmig_pw" "%s"\n' "$pw" >"$home/userlist.txt"
chmod 600 "$home/userlist.txt"
is_root && chown postgres: "$home/userlist.txt"

# start_bouncer MODE: PgBouncer in pool_mode MODE on the first free port from
# 56432 (VMIG_PGB_PORT); sets bport.
start_bouncer() {
	local mode=$1 port base=${VMIG_PGB_PORT:-56432} ini=$home/$1.ini log=$home/$1.log
	for ((port = base; port < base + 100; port++)); do
		port_in_use "$port" && continue
		cat >"$ini" <<INI
[databases]
* = host=127.0.0.1 port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $home
pidfile = $home/$mode.pid
logfile = $log
auth_type = scram-sha-256
auth_file = $home/userlist.txt
pool_mode = $mode
default_pool_size = 2
max_client_conn = 100
server_login_retry = 1
INI
		is_root && chown postgres: "$ini"
		rm -f "$home/$mode.pid"
		: >"$log"
		is_root && chown postgres: "$log"
		if ! as_pg pgbouncer -d "$ini" >"$home/$mode.start" 2>&1; then
			grep -q 'Address already in use' "$log" "$home/$mode.start" && continue
			cat "$home/$mode.start" >&2
			tail -n 20 "$log" >&2
			fail "pgbouncer (pool_mode=$mode) did not start (its output and log above)"
		fi
		local i
		for ((i = 0; i < 100; i++)); do
			[ -s "$home/$mode.pid" ] && PGPASSWORD=$pw psql -X -q -At -h 127.0.0.1 -p "$port" \
				-U vmig_pw -d vmig_pw -c 'SELECT 1' >/dev/null 2>&1 && break
			sleep 0.1
		done
		if ((i == 100)); then
			grep -q 'Address already in use' "$log" && continue
			tail -n 20 "$log" >&2
			fail "pgbouncer (pool_mode=$mode) on 127.0.0.1:$port does not answer a query within 10 s (its log above)"
		fi
		bouncer_pids+=("$(cat "$home/$mode.pid")")
		bport=$port
		return
	done
	fail "no free TCP port in $base..$((base + 99)) for pgbouncer"
}

# ---------------------------------------------------------------- projects

# make_project DIR OFF: five revisions r1..r5 that leave evidence; with OFF=1
# r4 runs without a transaction.
make_project() {
	local dir=$1 off=$2 i
	mkdir -p "$dir/migrations"
	printf 'lock_timeout: 60\n' >"$dir/vmig.yaml"
	for i in 1 2 3 4 5; do
		{
			echo "-- vmig:revision r$i"
			[ "$i" -gt 1 ] && echo "-- vmig:down_revision r$((i - 1))"
			echo "-- vmig:message step $i"
			if [ "$i" -eq 4 ] && [ "$off" -eq 1 ]; then
				echo "-- vmig:transaction off"
				echo
				echo "-- vmig:up"
				echo "CREATE INDEX CONCURRENTLY t1_id_idx ON t1 (id);"
				echo "INSERT INTO ran (rev) VALUES ('r4');"
				echo "SELECT pg_sleep(0.4);"
				echo
				echo "-- vmig:down"
				echo "DROP INDEX CONCURRENTLY t1_id_idx;"
				echo "DELETE FROM ran WHERE rev = 'r4';"
			else
				echo
				echo "-- vmig:up"
				[ "$i" -eq 1 ] && echo "CREATE TABLE ran (rev text PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp());"
				echo "INSERT INTO ran (rev) VALUES ('r$i');"
				echo "CREATE TABLE t$i (id int);"
				echo "SELECT pg_sleep(0.02);"
				echo
				echo "-- vmig:down"
				echo "DROP TABLE t$i;"
				echo "DELETE FROM ran WHERE rev = 'r$i';"
			fi
		} >"$dir/migrations/r$i.sql"
	done
}
make_project "$work/off" 1
make_project "$work/tx" 0

# ---------------------------------------------------------------- helpers

ndb=0
# new_db: a fresh database owned by vmig_pw; sets db.
new_db() {
	ndb=$((ndb + 1))
	db=bouncer_$ndb
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db OWNER vmig_pw" ||
		fail "creating database $db failed"
}
# The URL of db through the current PgBouncer, and directly (TCP, password).
pooled_url() { echo "postgresql://vmig_pw:$pw@127.0.0.1:$bport/$db"; }
direct_url() { echo "postgresql://vmig_pw:$pw@127.0.0.1:$pg_port/$db"; }
# q SQL: one value from db, on a direct admin connection.
q() { psql -X -q -At -h "$pg_sock" -p "$pg_port" -U vmig -d "$db" -c "$1"; }

expect_in() {
	local file=$1 text=$2 what=$3
	grep -qF -- "$text" "$file" || { show "$file"; fail "$what: no \"$text\" in $(basename "$file")"; }
}

# check_db WHAT N: db holds revisions r1..rN applied once each, in order,
# their SQL ran once, and no advisory lock is held by anyone.
check_db() {
	local what=$1 n=$2 want got i
	want=$(for ((i = 1; i <= n; i++)); do echo "r$i|applied|$i"; done)
	got=$(q "SELECT revision || '|' || state || '|' || seq FROM vmig_version ORDER BY seq")
	[ "$got" = "$want" ] || fail "$what: the version table holds
$got
instead of
$want"
	want=$(for ((i = 1; i <= n; i++)); do echo "r$i"; done)
	got=$(q "SELECT rev FROM ran ORDER BY at")
	[ "$got" = "$want" ] || fail "$what: the revisions' SQL ran as
$got
instead of once each, in order:
$want"
	got=$(q "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()")
	[ "$got" = 0 ] || fail "$what: $got advisory lock(s) left held on $db: $(q "SELECT string_agg(pid || ' ' || a.state || ' ' || coalesce(a.application_name, ''), '; ') FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory'")"
}

# concurrent NAME PROJECT N URL...: N runners of `vmig up --wait` at once,
# runner i on the i-th URL (cycling); all must exit 0, and each revision be
# reported applied by exactly one.  Sets took (ms).
concurrent() {
	local name=$1 proj=$2 n=$3 i
	shift 3
	local urls=("$@") pids=() t0 t1 st_i
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		(cd "$proj" && exec "$vmig" up --wait -d "${urls[i % ${#urls[@]}]}" ${extra_args:-} \
			>"$work/$name.$i.out" 2>"$work/$name.$i.err") &
		pids+=($!)
	done
	for ((i = 0; i < n; i++)); do
		set +e
		wait "${pids[i]}"
		st_i=$?
		set -e
		if [ "$st_i" != 0 ]; then
			show "$work/$name.$i.out" "$work/$name.$i.err"
			fail "$name: runner $i of $n exited $st_i, expected 0 (its output above)"
		fi
	done
	t1=$(date +%s%N)
	took=$(((t1 - t0) / 1000000))
	local r count
	for r in r1 r2 r3 r4 r5; do
		count=$(cat "$work/$name".*.err | grep -c "^applied $r " || true)
		[ "$count" = 1 ] || fail "$name: $count runners say they applied $r, expected exactly 1"
	done
}

# late NAME URL: a runner started while another is inside the
# transaction-off revision r4 waits for it, and both exit 0.
late() {
	local name=$1 url=$2 first i st_first
	(cd "$work/off" && exec "$vmig" up -d "$url" >"$work/$name.first.out" 2>"$work/$name.first.err") &
	first=$!
	for ((i = 0; i < 500; i++)); do
		[ "$(q "SELECT state FROM vmig_version WHERE revision = 'r4'" 2>/dev/null)" = in_progress ] && break
		sleep 0.01
	done
	((i < 500)) || fail "$name: revision r4 was never seen in progress"
	vmig_run "$name.late" "$work/off" up -d "$url"
	set +e
	wait "$first"
	st_first=$?
	set -e
	[ "$st_first" = 0 ] || { show "$work/$name.first.err"; fail "$name: the first runner exited $st_first"; }
	expect_status 0 "$name.late"
	check_db "$name" 5
}

# ---------------------------------------------------------------- baseline: direct

new_db
concurrent direct8 "$work/off" 8 "$(direct_url)"
check_db "8 direct runners" 5
ok "8 concurrent direct runners (a transaction-off revision among them) all exit 0, each revision once ($took ms)"
new_db
late direct.late "$(direct_url)"
ok "direct: a runner started while another is inside a transaction-off revision waits for it and exits 0"

# ---------------------------------------------------------------- session and transaction pooling

for mode in ${VMIG_PGB_MODES:-session transaction}; do
	start_bouncer "$mode"

	new_db
	url=$(pooled_url)
	vmig_run "$mode.up" "$work/off" up -d "$url"
	expect_status 0 "$mode.up"
	expect_in "$work/$mode.up.err" "applied r4 step 4" "$mode: vmig up"
	check_db "$mode: vmig up" 5
	vmig_run "$mode.current" "$work/off" current -d "$url"
	expect_status 0 "$mode.current"
	expect_in "$work/$mode.current.out" "r5" "$mode: vmig current"
	vmig_run "$mode.status" "$work/off" status -d "$url"
	expect_status 0 "$mode.status"
	expect_in "$work/$mode.status.out" "5 applied, 0 pending" "$mode: vmig status"
	vmig_run "$mode.check" "$work/off" check -d "$url"
	expect_status 0 "$mode.check"
	vmig_run "$mode.noop" "$work/off" up -d "$url"
	expect_status 0 "$mode.noop"
	grep -q '^applied' "$work/$mode.noop.err" && fail "$mode: a second vmig up applied something"
	vmig_run "$mode.down" "$work/off" down -2 -d "$url"
	expect_status 0 "$mode.down"
	[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 't1_id_idx'")" = 0 ] ||
		fail "$mode: vmig down -2 left the index of the transaction-off revision"
	vmig_run "$mode.reup" "$work/off" up -d "$url"
	expect_status 0 "$mode.reup"
	[ "$(q "SELECT string_agg(revision || ' ' || state, ',' ORDER BY seq) FROM vmig_version")" = \
		"r1 applied,r2 applied,r3 applied,r4 applied,r5 applied" ] || fail "$mode: down -2 and up again left $(q "TABLE vmig_version")"
	vmig_run "$mode.stamp3" "$work/off" stamp r3 -d "$url"
	expect_status 0 "$mode.stamp3"
	[ "$(q "SELECT string_agg(revision, ',' ORDER BY seq) FROM vmig_version")" = r1,r2,r3 ] ||
		fail "$mode: vmig stamp r3 left $(q "TABLE vmig_version")"
	vmig_run "$mode.stamp5" "$work/off" stamp head -d "$url"
	expect_status 0 "$mode.stamp5"
	[ "$(q "SELECT count(*) FROM vmig_version WHERE state = 'applied'")" = 5 ] ||
		fail "$mode: vmig stamp head left $(q "TABLE vmig_version")"
	ok "$mode pooling: up, current, status, check, a second up, down -2 and up again (transaction off included), stamp back and forth"

	new_db
	concurrent "$mode.8" "$work/off" 8 "$(pooled_url)"
	check_db "$mode: 8 runners" 5
	ok "$mode pooling: 8 concurrent up --wait (a transaction-off revision among them) all exit 0, each revision once, no lock left ($took ms)"

	# --schemas relies on the session's search path: refused behind the
	# pooler, before anything is set or written; direct, it works.
	new_db
	q "CREATE SCHEMA tenant_a AUTHORIZATION vmig_pw; CREATE SCHEMA tenant_b AUTHORIZATION vmig_pw" >/dev/null
	vmig_run "$mode.schemas" "$work/off" up --schemas 'tenant\_%' -d "$(pooled_url)"
	expect_status 2 "$mode.schemas"
	expect_in "$work/$mode.schemas.out" "--schemas needs a direct connection" "$mode: --schemas through PgBouncer"
	[ "$(q "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'tenant%'")" = 0 ] ||
		fail "$mode: --schemas through PgBouncer wrote to a tenant schema"
	vmig_run "$mode.schemas_direct" "$work/off" up --schemas 'tenant\_%' -d "$(direct_url)"
	expect_status 0 "$mode.schemas_direct"
	[ "$(q "SELECT count(*) FROM tenant_b.vmig_version")" = 5 ] || fail "$mode: --schemas direct did not migrate tenant_b"
	ok "$mode pooling: --schemas is refused through PgBouncer (the search path would not last), and works direct"

	new_db
	late "$mode.late" "$(pooled_url)"
	ok "$mode pooling: a runner started while another is inside a transaction-off revision waits for it and exits 0"

	# Pooled and direct runners at once, without transaction-off revisions: a
	# direct runner does not wait for a pooled runner's (README, Behind PgBouncer).
	new_db
	concurrent "$mode.mixed" "$work/tx" 8 "$(pooled_url)" "$(direct_url)"
	check_db "$mode: 4 pooled and 4 direct runners" 5
	ok "$mode pooling: 4 runners through PgBouncer and 4 direct at once all exit 0, each revision once ($took ms)"

	new_db
	extra_args=--single-transaction concurrent "$mode.single" "$work/tx" 4 "$(pooled_url)"
	check_db "$mode: 4 runners --single-transaction" 5
	ok "$mode pooling: 4 concurrent up --single-transaction all exit 0, each revision once ($took ms)"
done

# A transaction-off revision that a dead run left in progress (transaction
# pooling): waited for, then refused, naming it and what to do.
new_db
url=$(pooled_url)
vmig_run dead.up3 "$work/off" up r3 -d "$url"
expect_status 0 dead.up3
q "INSERT INTO vmig_version (revision, parents, message, checksum, checksum_version, applied_at, duration_ms, down_sql, state, transactional, seq) VALUES ('r4', 'r3', 'step 4', 'x', 1, '2026-01-01T00:00:00.000Z', 0, NULL, 'in_progress', false, 4)" >/dev/null
printf 'lock_timeout: 2\n' >"$work/short.yaml"
t0=$SECONDS
vmig_run dead.up "$work/off" up -c "$work/short.yaml" -d "$url"
expect_status 1 dead.up
expect_in "$work/dead.up.err" "revision r4" "an in-progress revision behind PgBouncer"
expect_in "$work/dead.up.err" "vmig stamp" "an in-progress revision behind PgBouncer"
((SECONDS - t0 >= 1)) || fail "vmig up refused the in-progress revision without waiting for a runner that may be at it"
[ "$(q "SELECT count(*) FROM vmig_version")" = 4 ] || fail "vmig up changed the version table of a database with a revision in progress"
ok "transaction pooling: a transaction-off revision left in progress is waited for (lock_timeout), then refused naming it and vmig stamp"

# ---------------------------------------------------------------- statement pooling

start_bouncer statement
new_db
vmig_run statement.up "$work/off" up -d "$(pooled_url)"
expect_status 0 statement.up
check_db "statement pooling: vmig up" 5
new_db
vmig_run statement.single "$work/tx" up --single-transaction -d "$(pooled_url)"
expect_status 1 statement.single
expect_in "$work/statement.single.err" "statement pooling" "statement pooling, --single-transaction"
expect_in "$work/statement.single.err" "connect to PostgreSQL directly" "statement pooling, --single-transaction"
grep -qF "$pw" "$work/statement.single.err" && fail "statement pooling: the error shows the password"
vmig_run statement.stamp "$work/tx" stamp head -d "$(pooled_url)"
expect_status 1 statement.stamp
expect_in "$work/statement.stamp.err" "statement pooling" "statement pooling, stamp"
ok "statement pooling: up works; --single-transaction and stamp fail saying that statement pooling ends their transaction and what to do"

echo "$passed passed, 0 failed ($((SECONDS - started)) s)"
