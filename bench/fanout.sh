#!/usr/bin/env bash
# bench/fanout.sh - many databases at once, beside a shell loop running vmig
# once per target, on the same PostgreSQL server in the same run.
#
#   bench/fanout.sh                      builds a Release vmig into bench/out/build
#   VMIG=path/to/vmig bench/fanout.sh    measures that binary instead
#   PG_URL=postgresql://... bench/fanout.sh
#                                        uses that server (default: a throwaway
#                                        one from tests/pg/pg_harness.sh, which
#                                        runs with fsync = off)
#   FANOUT_SCHEMAS=500 FANOUT_REVISIONS=20 FANOUT_DATABASES=50   the sizes
#
# Figures: `vmig up --schemas` over the tenant schemas from empty with
# --jobs 1, 4 and 8, and the same work done by a shell loop that runs vmig
# once per schema (a config per schema through ${TENANT}, the schema first
# on search_path through the URL's options); a no-op run over all of them;
# and `vmig up --targets` over separate databases beside the same loop.
# Every run is checked (each schema or database at head) before its time
# counts.  The table is printed and written to bench/out/fanout.md.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/out
work=$out/fanout
schemas=${FANOUT_SCHEMAS:-500}
revisions=${FANOUT_REVISIONS:-20}
databases=${FANOUT_DATABASES:-50}
die() {
	echo "bench/fanout: $*" >&2
	exit 1
}
step() { echo "bench/fanout: $*" >&2; }
for c in cc psql awk; do command -v "$c" >/dev/null || die "$c is missing (scripts/install-deps.sh installs it)"; done
mkdir -p "$out"

if [ -n "${VMIG:-}" ]; then
	vmig=$(command -v "$VMIG") || die "VMIG=$VMIG is not an executable"
else
	step "building vmig (Release) in bench/out/build"
	cmake -S "$root" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DVMIG_TESTS=OFF \
		-DVMIG_WERROR=OFF >"$out/build-fanout.log" 2>&1 || die "cmake failed (bench/out/build-fanout.log)"
	cmake --build "$out/build" -j"$(nproc)" >>"$out/build-fanout.log" 2>&1 ||
		die "the build failed (bench/out/build-fanout.log)"
	vmig=$out/build/vmig
fi

rm -rf "$work"
mkdir -p "$work/migrations"
cd "$work"
unset VMIG_CONFIG DATABASE_URL
export PGOPTIONS="-c client_min_messages=warning" # no NOTICEs from DROP ... IF EXISTS
cc -O2 -o gen "$here/gen.c" || die "cannot compile bench/gen.c"
./gen tree linear "$revisions" migrations
head=$("$vmig" --dir migrations heads | awk '{ print $1; exit }')

pg_started=""
cleanup() { [ -z "$pg_started" ] || bash "$root/tests/pg/pg_harness.sh" stop "$out/pg-fanout" >/dev/null 2>&1 || true; }
trap cleanup EXIT
if [ -z "${PG_URL:-}" ]; then
	step "starting a throwaway PostgreSQL server"
	bash "$root/tests/pg/pg_harness.sh" start "$out/pg-fanout" >"$work/pg.log" 2>&1 ||
		{ cat "$work/pg.log" >&2; die "the PostgreSQL server did not start"; }
	pg_started=1
	PG_URL=$(cat "$out/pg-fanout/url_tcp")
fi
base=${PG_URL%/*}
sql() { psql -X -q -v ON_ERROR_STOP=1 "$1" -c "$2" >/dev/null; }
sql "$PG_URL" "DROP DATABASE IF EXISTS vmig_fanout WITH (FORCE)"
sql "$PG_URL" "CREATE DATABASE vmig_fanout"
db=$base/vmig_fanout

# Empty tenant schemas t_0001..t_N (again before each run).
reset_schemas() {
	# A statement each (\gexec, autocommit): one transaction dropping them all
	# would need a lock per table.
	psql -X -q -v ON_ERROR_STOP=1 "$db" >/dev/null <<-EOF
		SELECT format('DROP SCHEMA %I CASCADE', nspname) FROM pg_namespace WHERE nspname LIKE 't\_%' \gexec
		SELECT format('CREATE SCHEMA t_%s', lpad(i::text, 4, '0')) FROM generate_series(1, $schemas) i \gexec
	EOF
}
check_schemas() {
	local n
	n=$(psql -X -At "$db" -c "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 't\_%' AND tablename = 'vmig_version'")
	[ "$n" = "$schemas" ] || die "$1: $n of $schemas schemas have a version table"
	n=$(psql -X -At "$db" -c "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 't\_%' AND tablename <> 'vmig_version' AND tablename <> 'vmig_version_meta'")
	[ "$n" = $((schemas * revisions)) ] || die "$1: $n tables, not $((schemas * revisions))"
}
reset_databases() {
	local i
	for ((i = 1; i <= databases; i++)); do
		echo "DROP DATABASE IF EXISTS vmig_fan_$i WITH (FORCE); CREATE DATABASE vmig_fan_$i;"
	done | psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" >/dev/null
}
check_databases() {
	local i n
	for ((i = 1; i <= databases; i++)); do
		n=$(psql -X -At "$base/vmig_fan_$i" -c "SELECT count(*) FROM vmig_version")
		[ "$n" = "$revisions" ] || die "$1: vmig_fan_$i has $n revisions applied"
	done
}
: >targets.txt
for ((i = 1; i <= databases; i++)); do echo "$base/vmig_fan_$i" >>targets.txt; done
printf 'version_table_schema: ${TENANT}\n' >tenant.yaml

# timed NAME CMD...: wall time of CMD in seconds into $took (CMD's output to NAME.out).
timed() {
	local name=$1 t0 t1
	shift
	t0=${EPOCHREALTIME/./}
	"$@" >"$name.out" 2>"$name.err" || { tail -5 "$name.out" "$name.err" >&2; die "$name failed"; }
	t1=${EPOCHREALTIME/./}
	took=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.2f", us / 1e6 }')
}
loop_schemas() {
	local s
	for s in $(psql -X -At "$db" -c "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%' ORDER BY 1"); do
		TENANT=$s "$vmig" -q -c tenant.yaml --dir migrations -d "$db?options=-csearch_path%3D$s" up
	done
}
loop_databases() {
	local u
	while read -r u; do "$vmig" -q --dir migrations -d "$u" up; done <targets.txt
}

rows=()
row() { rows+=("$(printf '%-64s %10s %10s %8s' "$1" "$2" "${3:-}" "${4:-}")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

step "$schemas schemas x $revisions revisions: a shell loop, vmig once per schema"
reset_schemas
timed loop loop_schemas
check_schemas "the loop"
loop=$took
row "shell loop: vmig up once per schema ($schemas runs)" "$loop s"
for jobs in 1 4 8; do
	step "$schemas schemas: vmig up --schemas --jobs $jobs"
	reset_schemas
	timed "jobs$jobs" "$vmig" --dir migrations -d "$db" --schemas 't\_%' --jobs "$jobs" up
	check_schemas "--jobs $jobs"
	grep -q "^up: $schemas targets .*: $schemas ok, 0 failed" "jobs$jobs.out" || die "--jobs $jobs: not every schema ok"
	row "vmig up --schemas --jobs $jobs (floor: the shell loop)" "$took s" "$loop s" "$(ratio "$took" "$loop")"
done
timed noop "$vmig" --dir migrations -d "$db" --schemas 't\_%' --jobs 4 up
row "  the same again, nothing to do (--jobs 4)" "$took s"
timed status "$vmig" --dir migrations -d "$db" --schemas 't\_%' --jobs 4 check
row "  vmig check over them (--jobs 4)" "$took s"

step "$databases databases: a shell loop, then vmig up --targets"
reset_databases
timed dbloop loop_databases
check_databases "the loop"
dbloop=$took
row "shell loop: vmig up once per database ($databases runs)" "$dbloop s"
for jobs in 1 4 8; do
	reset_databases
	timed "dbjobs$jobs" "$vmig" --dir migrations --targets targets.txt --jobs "$jobs" up
	check_databases "--targets --jobs $jobs"
	row "vmig up --targets, $databases databases, --jobs $jobs (floor: the loop)" "$took s" "$dbloop s" "$(ratio "$took" "$dbloop")"
done
for ((i = 1; i <= databases; i++)); do echo "DROP DATABASE IF EXISTS vmig_fan_$i WITH (FORCE);"; done |
	psql -X -q "$PG_URL" >/dev/null
sql "$PG_URL" "DROP DATABASE IF EXISTS vmig_fanout WITH (FORCE)"

{
	echo "vmig fan-out benchmark, $(date -u +%Y-%m-%dT%H:%MZ); $("$vmig" --version), $(nproc) CPU(s)"
	echo "$(psql -X -At "$PG_URL" -c 'SHOW server_version') at $(echo "$PG_URL" | sed 's|//[^@]*@|//|'); head $head"
	echo "$schemas tenant schemas x $revisions revisions (CREATE TABLE each), from empty; wall time of the whole run"
	echo
	printf '%-64s %10s %10s %8s\n' figure measured floor ratio
	printf '%s\n' "${rows[@]}"
} | tee "$out/fanout.md"
