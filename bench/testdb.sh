#!/usr/bin/env bash
# bench/testdb.sh - what `vmig testdb new` costs a test, beside its floors.
#
#   bench/testdb.sh                      builds a Release vmig into bench/out/build
#   VMIG=path/to/vmig bench/testdb.sh    measures that binary instead
#   PG_URL=postgresql://... bench/testdb.sh
#                                        measures PostgreSQL on that server
#                                        (default: a throwaway server started
#                                        with tests/pg/pg_harness.sh;
#                                        BENCH_PG=0 skips PostgreSQL)
#   TESTDB_RUNS=30 TESTDB_EMPTY_RUNS=20 TESTDB_UP_RUNS=3   how many calls
#
# Every figure and its floor are measured in the same run on the same server:
# each call's wall time is taken around the process by bash's $EPOCHREALTIME
# (no fork for the clock), so process start, connecting and exit are in it,
# for vmig and for the floor alike.  The table is printed and written to
# bench/out/testdb.md; scratch files go to bench/out/testdb/.  It exits
# non-zero only when something does not work (a command fails, a database is
# missing or not migrated, one is left after gc, a background process stays):
# a figure that misses its target is marked MISSED, not an error.
# See bench/README.md, "vmig testdb new".
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME with a decimal point
if [ -z "${EPOCHREALTIME:-}" ]; then
	echo "bench/testdb: bash 5 or later is needed (\$EPOCHREALTIME)" >&2
	exit 1
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/out
work=$out/testdb
runs=${TESTDB_RUNS:-30}
empty_runs=${TESTDB_EMPTY_RUNS:-20}
up_runs=${TESTDB_UP_RUNS:-3}
workers=4
per_worker=25
revisions=250 # what `gen schema` writes
started_us=${EPOCHREALTIME/./}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
io_pressure() { sed -n 's/^full avg10=[0-9.]* avg60=\([0-9.]*\).*/\1%/p' /proc/pressure/io 2>/dev/null || true; }
io_start=$(io_pressure)

die() {
	echo "bench/testdb: $*" >&2
	exit 1
}
step() { echo "bench/testdb: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing (scripts/install-deps.sh installs it)"; }

need cc
need sqlite3
need awk
need find
mkdir -p "$out"

# ---- the binary and the inputs ---------------------------------------------

if [ -n "${VMIG:-}" ]; then
	vmig=$(command -v "$VMIG" || true)
	[ -n "$vmig" ] && [ -x "$vmig" ] || die "VMIG=$VMIG is not an executable"
else
	need cmake
	step "building vmig (Release) in bench/out/build"
	cmake -S "$root" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DVMIG_TESTS=OFF \
		-DVMIG_WERROR=OFF >"$out/build-testdb.log" 2>&1 || { cat "$out/build-testdb.log" >&2; die "cmake failed"; }
	cmake --build "$out/build" -j"$(nproc)" >>"$out/build-testdb.log" 2>&1 ||
		{ tail -40 "$out/build-testdb.log" >&2; die "the build failed"; }
	vmig=$out/build/vmig
fi
vmig=$(readlink -f "$vmig") # what /proc/PID/exe shows for it and its fillers

rm -rf "$work"
mkdir -p "$work/t"
cd "$work" # no vmig.yaml here: settings come from the command line or -c
unset VMIG_CONFIG DATABASE_URL
printf 'testdb_pool: 0\n' >"$work/pool0.yaml"
pool=2 # testdb_pool's default, which the other runs use

cc -O2 -o "$work/gen" "$here/gen.c" || die "cannot compile bench/gen.c"
mkdir "$work/schema-pg" "$work/schema-sqlite"
"$work/gen" schema pg "$work/schema-pg"
"$work/gen" schema sqlite "$work/schema-sqlite"
for k in pg sqlite; do
	"$vmig" --dir "$work/schema-$k" validate >/dev/null || die "vmig validate rejects the $k schema"
done

# ---- measuring ---------------------------------------------------------------

failures=()
fail() {
	step "FAILED: $*"
	failures+=("$*")
}

# timed NAME OUT CMD...: runs CMD (stdout to OUT, stderr to OUT.err), appends
# its wall time in microseconds to t/NAME; $took is that time.  A failing
# command stops the benchmark.
timed() {
	local name=$1 o=$2 t0 t1
	shift 2
	t0=${EPOCHREALTIME/./}
	if ! "$@" >"$o" 2>"$o.err"; then
		cat "$o.err" >&2
		die "failed: $*"
	fi
	t1=${EPOCHREALTIME/./}
	took=$((t1 - t0))
	echo "$took" >>"t/$name"
}

# pct NAME median|p90|n: of t/NAME, in ms; p90 by nearest rank.
pct() {
	sort -n "t/$1" | awk -v what="$2" '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (what == "n") { print NR; exit }
		if (what == "median") x = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		else { r = int(0.9 * NR); if (r < 0.9 * NR) r++; x = v[r] }
		printf "%.3f", x / 1000 }'
}
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
fmt_ms() { awk -v v="$1" 'BEGIN { printf(v < 100 ? "%.1f ms" : "%.0f ms", v) }'; }
fmt_mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
# verdict VALUE OP LIMIT: ok or MISSED
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = op == "<=" ? v <= l : op == "==" ? v == l : v < l; print ok ? "ok" : "MISSED" }'; }

rows=() # "figure<TAB>measured<TAB>floor<TAB>ratio<TAB>target<TAB>result", or a title
row() { rows+=("$1"$'\t'"$2"$'\t'"${3:-}"$'\t'"${4:-}"$'\t'"${5:-}"$'\t'"${6:-}"); }
section() { rows+=("$1"); }

# Processes running our vmig binary (the fillers, at any stage): called when
# no vmig of ours runs in the foreground, so every one is in the background.
ours() {
	{ find /proc/[0-9]*/exe -maxdepth 0 -lname "$vmig" 2>/dev/null || true; } | wc -l
}
# settle: waits (up to 60 s) until no background vmig of ours runs.
settle() {
	local i
	for ((i = 0; i < 3000; i++)); do
		[ "$(ours)" -eq 0 ] && return 0
		sleep 0.02
	done
	die "a background vmig still runs after 60 s"
}

# waited FILE NAME: appends the waited_ms of vmig's --json output (in us) to t/NAME.
waited() {
	json_field "$1" waited_ms | awk '{ printf "%d\n", $1 * 1000 }' >>"t/$2"
}

# breakdown P FLOOR-NAME FLOOR-MS: where the time of a warm `new` goes (P: pg or sq).
breakdown() {
	local p=$1 v va nf nfw w
	v=$(pct "$p-version" median) va=$(pct "$p-validate" median)
	nf=$(pct "$p-nofill" median) nfw=$(pct "$p-nofill-waited" median) w=$(pct "$p-warm" median)
	row "  where it goes: vmig --version (process start, libraries)" "$(fmt_ms "$v")"
	row "  vmig validate (+ config, reading and checking the $revisions files)" "$(fmt_ms "$va")"
	row "  new inside vmig: waited_ms${2:+ (floor: $2)}" "$(fmt_ms "$(pct "$p-warm-waited" median)")" \
		"${3:+$(fmt_ms "$3")}"
	row "  new taking a ready copy, no filler started (testdb_pool 0)" "$(fmt_ms "$nf")" "" "" "" ""
	row "    its waited_ms; the rest (start, files, output, exit)" "$(fmt_ms "$nfw"); $(fmt_ms "$(calc "$nf - $nfw")")"
	row "  starting the filler (new minus the same without it)" "$(fmt_ms "$(calc "$w - $nf")")"
}

# capture NAME 0|1: times url=$(new testdb new) in this shell, as a test
# harness that reads the URL from a pipe does; 1: with file descriptor 3 of
# the call open on that pipe too (as bats has it, and any harness that leaves
# a descriptor open).  The pipe's end is when every process holding it has
# exited or closed it.  Sets $captured.
capture() {
	local t0 t1
	settle
	t0=${EPOCHREALTIME/./}
	if [ "$2" = 1 ]; then captured=$(new testdb new 3>&1); else captured=$(new testdb new); fi
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"t/$1"
	settle
	new testdb drop "$captured"
}
# capture_rows P: the rows of capture's figures (P: pg or sq).
capture_rows() {
	local a b
	a=$(pct "$1-pipe" median) b=$(pct "$1-pipe3" median)
	row "url=\$(vmig testdb new): median of $pipe_runs (pool warm)" "$(fmt_ms "$a")"
	row "  the same with fd 3 open on that pipe (vs without)" "$(fmt_ms "$b")" "$(fmt_ms "$a")" "$(calc "$b / $a")x"
}
pipe_runs=5

# json_field FILE KEY: the value of a top-level key in vmig's --json output.
json_field() {
	sed -n 's/^[[:space:]]*"'"$2"'":[[:space:]]*"\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\1/p' "$1" | head -1
}

# ---- PostgreSQL ----------------------------------------------------------------

pg_note=""
pg_started=""
stop_pg() {
	if [ -n "$pg_started" ]; then
		bash "$root/tests/pg/pg_harness.sh" stop "$out/pg-testdb" >/dev/null 2>&1 || true
	fi
}
trap stop_pg EXIT

if [ -z "${PG_URL:-}" ] && [ "${BENCH_PG:-1}" != 0 ]; then
	step "starting a throwaway PostgreSQL server (tests/pg/pg_harness.sh)"
	bash "$root/tests/pg/pg_harness.sh" start "$out/pg-testdb" >/dev/null ||
		die "could not start the throwaway PostgreSQL server; set PG_URL, or BENCH_PG=0 to skip"
	pg_started=1
	PG_URL=$(cat "$out/pg-testdb/url")
fi

# The real psql, not Debian's /usr/bin/psql (a Perl wrapper that adds ~20 ms
# to every call and would flatter vmig).
find_psql() {
	local d
	for d in ${PG_BIN:-} $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
		[ -x "$d/psql" ] && { echo "$d/psql"; return; }
	done
	command -v psql || true
}

pg_section() {
	psql_bin=$(find_psql)
	[ -n "$psql_bin" ] || die "psql is missing (scripts/install-deps.sh installs it)"
	local scheme=${PG_URL%%://*} rest=${PG_URL#*://} query="" authority
	admin_url=${scheme%%+*}://$rest
	case $rest in *\?*) query="?${rest#*\?}" ;; esac
	authority=${rest%%\?*}
	authority=${authority%%/*}
	pg_base=vmig_tdb # test databases are vmig_tdb_vmig_<kind>_...; this one need not exist
	base_url=${scheme%%+*}://$authority/$pg_base$query
	local D=$work/schema-pg
	sq() { PGOPTIONS='-c client_min_messages=warning' "$psql_bin" -X -q -At -v ON_ERROR_STOP=1 -d "$admin_url" "$@"; }
	local_url() { echo "${scheme%%+*}://$authority/$1$query"; }
	pool_count() { sq -c "SELECT count(*) FROM pg_database WHERE datname LIKE '${pg_base}\\_vmig\\_p\\_%'"; }
	all_count() { sq -c "SELECT count(*) FROM pg_database WHERE strpos(datname, '_vmig_') > 0"; }
	new() { "$vmig" -d "$base_url" --dir "$D" "$@"; }
	# Each phase starts with nothing for the server or the kernel to flush
	# from the phase before.
	quiesce() {
		sq -c CHECKPOINT
		sync
	}

	pg_note="PostgreSQL $(sq -c 'SHOW server_version')" || die "cannot connect with PG_URL"
	step "PostgreSQL: $pg_note, psql $psql_bin"
	section "PostgreSQL ($revisions revisions, 100 tables, indexes, foreign keys, plpgsql functions and triggers)"

	new testdb gc --all >/dev/null 2>&1 || die "vmig testdb gc --all failed before the run"
	settle

	# The first call builds the template.
	step "PostgreSQL: the first testdb new (builds the template)"
	timed pg-build j.json new testdb new --json
	local url tmpl
	url=$(json_field j.json url)
	tmpl=$(json_field j.json template)
	[ -n "$url" ] && [ -n "$tmpl" ] || die "no url/template in: $(cat j.json)"
	new testdb drop "$url"
	settle
	[ "$(pool_count)" = "$pool" ] || fail "PostgreSQL: the pool holds $(pool_count) copies after the first new, not $pool"

	# Pool warm: each call finds $pool ready copies and no filler at work.
	# Beside it, in the same loop: the same call with testdb_pool 0 (it takes
	# a ready copy all the same but starts no filler; the pool is topped up
	# again with `vmig testdb fill`, untimed), vmig --version and validate
	# (what any vmig command costs on this history), and the floors.
	step "PostgreSQL: $runs x testdb new with the pool warm, beside psql SELECT 1 and RENAME"
	sq -c "CREATE DATABASE floor_a TEMPLATE $tmpl" 2>/dev/null || die "cannot copy the template"
	quiesce
	local i from=0 nofill_from=0 ra=floor_a rb=floor_b x
	for ((i = -2; i < runs; i++)); do # two warm-up rounds
		settle
		timed pg-warm j.json new testdb new --json
		[ "$(json_field j.json from_pool)" = true ] && from=$((from + 1))
		waited j.json pg-warm-waited
		url=$(json_field j.json url)
		settle
		new testdb drop "$url"
		timed pg-nofill j.json "$vmig" -c "$work/pool0.yaml" -d "$base_url" --dir "$D" testdb new --json
		[ "$(json_field j.json from_pool)" = true ] && nofill_from=$((nofill_from + 1))
		waited j.json pg-nofill-waited
		new testdb drop "$(json_field j.json url)"
		printf '%s\n' "$base_url" | "$vmig" --dir "$D" testdb fill || die "vmig testdb fill failed"
		timed pg-version o.txt "$vmig" --version
		timed pg-validate o.txt "$vmig" --dir "$D" validate
		timed pg-select1 o.txt "$psql_bin" -X -q -d "$admin_url" -c 'SELECT 1'
		timed pg-rename o.txt "$psql_bin" -X -q -d "$admin_url" -c "ALTER DATABASE $ra RENAME TO $rb"
		x=$ra ra=$rb rb=$x
		if [ "$i" -lt 0 ]; then # the warm-ups do not count
			for x in pg-warm pg-warm-waited pg-nofill pg-nofill-waited pg-version pg-validate \
				pg-select1 pg-rename; do : >"t/$x"; done
			from=0 nofill_from=0
		fi
	done
	sq -c "DROP DATABASE $ra"
	[ "$from" = "$runs" ] || fail "PostgreSQL: only $from of $runs calls with the pool warm got a ready copy"
	[ "$nofill_from" = "$runs" ] || fail "PostgreSQL: only $nofill_from of $runs calls with testdb_pool 0 got a ready copy"

	# What the pool costs: disk, and the background process.
	settle
	local copy_bytes tmpl_bytes blank_bytes bg_now bg_later
	copy_bytes=$(sq -c "SELECT pg_database_size(datname) FROM pg_database WHERE datname LIKE '${pg_base}\\_vmig\\_p\\_%' LIMIT 1")
	tmpl_bytes=$(sq -c "SELECT pg_database_size('$tmpl')")
	blank_bytes=$(sq -c "SELECT pg_database_size('template1')")
	new testdb new >o.txt || die "testdb new failed"
	bg_now=$(ours)
	sleep 2
	bg_later=$(ours)
	new testdb drop "$(cat o.txt)"
	settle

	# Reading the URL through a pipe, with and without fd 3 on it.
	for ((i = 0; i < pipe_runs; i++)); do
		capture pg-pipe 0
		capture pg-pipe3 1
	done

	# Pool empty: testdb_pool 0, and no ready copy left by the runs above.
	step "PostgreSQL: $empty_runs x testdb new with the pool empty, beside psql CREATE DATABASE TEMPLATE"
	new testdb gc >/dev/null 2>&1 || die "vmig testdb gc failed"
	[ "$(pool_count)" = 0 ] || die "ready copies left after gc"
	local empty_from=0 empty_bg=0
	quiesce
	for ((i = -1; i < empty_runs; i++)); do
		timed pg-empty j.json "$vmig" -c "$work/pool0.yaml" -d "$base_url" --dir "$D" testdb new --json
		[ "$(json_field j.json from_pool)" = true ] && empty_from=$((empty_from + 1))
		[ "$(ours)" -eq 0 ] || empty_bg=$((empty_bg + 1))
		new testdb drop "$(json_field j.json url)"
		timed pg-createdb o.txt "$psql_bin" -X -q -d "$admin_url" -c "CREATE DATABASE floor_c TEMPLATE $tmpl"
		sq -c "DROP DATABASE floor_c"
		if [ "$i" -lt 0 ]; then
			: >t/pg-empty
			: >t/pg-createdb
		fi
	done
	[ "$empty_from" = 0 ] || fail "PostgreSQL: $empty_from calls with testdb_pool 0 got a ready copy"
	[ "$empty_bg" = 0 ] || fail "PostgreSQL: $empty_bg calls with testdb_pool 0 left a background process"

	# vmig up of the same schema into a fresh database.
	step "PostgreSQL: $up_runs x vmig up from empty"
	quiesce
	for ((i = 0; i < up_runs; i++)); do
		sq -c "DROP DATABASE IF EXISTS floor_up" -c "CREATE DATABASE floor_up"
		timed pg-up o.txt "$vmig" -q -d "$(local_url floor_up)" --dir "$D" up
	done
	[ "$("$psql_bin" -X -At -d "$(local_url floor_up)" -c 'SELECT count(*) FROM vmig_version')" = "$revisions" ] ||
		fail "PostgreSQL: vmig up did not apply $revisions revisions"
	sq -c "DROP DATABASE floor_up"

	# 4 workers at once, 25 databases each, the pool warm at the start.
	step "PostgreSQL: $workers workers x $per_worker testdb new at once"
	mkdir -p par
	rm -f par/*
	local t0 t1 w
	new testdb new >o.txt && new testdb drop "$(cat o.txt)"
	settle
	worker() {
		local w=$1 k
		for ((k = 0; k < per_worker; k++)); do
			"$vmig" -d "$base_url" --dir "$D" testdb new --json >"par/$w.$k.json" 2>"par/$w.$k.err" ||
				echo "worker $w call $k: exit $? $(head -c 300 "par/$w.$k.err")" >>par/failed
		done
	}
	quiesce
	t0=${EPOCHREALTIME/./}
	for ((w = 1; w <= workers; w++)); do worker "$w" & done
	wait
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >t/pg-par
	local calls=$((workers * per_worker)) errors=0 distinct migrated=0 par_from f
	[ -f par/failed ] && errors=$(wc -l <par/failed) && cat par/failed >&2
	for f in par/*.json; do json_field "$f" url; done >par/urls
	distinct=$(sort -u par/urls | grep -c . || true)
	while read -r url; do
		[ "$("$psql_bin" -X -At -d "$url" -c 'SELECT count(*) FROM vmig_version' 2>/dev/null)" = "$revisions" ] &&
			migrated=$((migrated + 1))
	done < <(sort -u par/urls)
	par_from=$(grep -l '"from_pool":[[:space:]]*true' par/*.json | wc -l)
	[ "$errors" = 0 ] || fail "PostgreSQL: $errors of $calls parallel calls failed"
	[ "$distinct" = "$calls" ] || fail "PostgreSQL: $distinct distinct URLs from $calls parallel calls"
	[ "$migrated" = "$calls" ] || fail "PostgreSQL: $migrated of $calls parallel databases fully migrated"

	# The floor: as many psql CREATE DATABASE .. TEMPLATE in as many loops at
	# once; dropped one by one (psql DROP DATABASE) right before gc --all.
	pfloor() {
		local w=$1 k
		for ((k = 0; k < per_worker; k++)); do
			"$psql_bin" -X -q -d "$admin_url" -c "CREATE DATABASE floor_p${w}_$k TEMPLATE $tmpl" ||
				echo "floor worker $w call $k failed" >>par/floor-failed
		done
	}
	quiesce
	t0=${EPOCHREALTIME/./}
	for ((w = 1; w <= workers; w++)); do pfloor "$w" & done
	wait
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >t/pg-par-floor
	[ -f par/floor-failed ] && die "psql CREATE DATABASE failed in parallel: $(cat par/floor-failed)"
	# Dropping is mostly the server unlinking files, which depends on what the
	# disk did just before: half the floor's drops come before gc, half after,
	# and each phase starts after a sync (a file the kernel has not written yet
	# is unlinked for almost nothing; one written, as a test's database is by
	# the time it is dropped, costs its blocks' freeing).
	sq -c "SELECT datname FROM pg_database WHERE datname LIKE 'floor\\_p%'" >par/floor-names
	head -n $((calls / 2)) par/floor-names >par/floor-names.1
	tail -n +$((calls / 2 + 1)) par/floor-names >par/floor-names.2
	drop_floor() {
		local t0 t1 x
		quiesce
		t0=${EPOCHREALTIME/./}
		while read -r x; do sq -c "DROP DATABASE \"$x\""; done <"$1"
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>t/pg-drop-floor-parts
	}
	drop_floor par/floor-names.1
	settle
	quiesce
	timed pg-gc o.txt new testdb gc --all
	drop_floor par/floor-names.2
	awk '{ s += $1 } END { print s }' t/pg-drop-floor-parts >t/pg-drop-floor
	local left left_later bg_gc
	left=$(all_count)
	sleep 2
	left_later=$(all_count)
	bg_gc=$(ours)
	[ "$left" = 0 ] && [ "$left_later" = 0 ] || fail "PostgreSQL: $left (2 s later $left_later) _vmig_ databases left after gc --all"

	# The rows.
	local warm warm90 sel rn rn90 empty empty90 cdb cdb90 up build
	warm=$(pct pg-warm median) warm90=$(pct pg-warm p90)
	sel=$(pct pg-select1 median) rn=$(pct pg-rename median) rn90=$(pct pg-rename p90)
	empty=$(pct pg-empty median) empty90=$(pct pg-empty p90)
	cdb=$(pct pg-createdb median) cdb90=$(pct pg-createdb p90)
	up=$(pct pg-up median) build=$(pct pg-build median)
	row "first new: builds the template (migrates $revisions revisions)" "$(fmt_ms "$build")"
	row "new, pool warm: median of $runs (floor: psql -c 'ALTER DATABASE .. RENAME')" "$(fmt_ms "$warm")" \
		"$(fmt_ms "$rn")" "$(calc "$warm / $rn")x" "<= 15 ms" "$(verdict "$warm" "<=" 15)"
	row "new, pool warm: p90 (floor: the same)" "$(fmt_ms "$warm90")" "$(fmt_ms "$rn90")" "$(calc "$warm90 / $rn90")x"
	row "new, pool warm: calls that got a ready copy" "$from/$runs" "" "" "$runs/$runs" "$(verdict "$from" == "$runs")"
	breakdown pg "psql -c 'SELECT 1'" "$sel"
	row "new, pool empty: median of $empty_runs (floor: psql -c 'CREATE DATABASE .. TEMPLATE')" \
		"$(fmt_ms "$empty")" "$(fmt_ms "$cdb")" "$(calc "$empty / $cdb")x" "<= 1.2x" \
		"$(verdict "$(calc "$empty / $cdb")" "<=" 1.2)"
	row "new, pool empty: p90 (floor: the same)" "$(fmt_ms "$empty90")" "$(fmt_ms "$cdb90")" "$(calc "$empty90 / $cdb90")x"
	row "vmig up from empty, median of $up_runs (vs new, pool warm)" "$(fmt_ms "$up")" "$(fmt_ms "$warm")" \
		"$(calc "$up / $warm")x"
	row "vmig up from empty (vs new, pool empty)" "$(fmt_ms "$up")" "$(fmt_ms "$empty")" "$(calc "$up / $empty")x"
	row "$workers workers x $per_worker new at once: wall (floor: as many psql CREATE DATABASE .. TEMPLATE)" \
		"$(fmt_ms "$(pct pg-par median)")" "$(fmt_ms "$(pct pg-par-floor median)")" \
		"$(calc "$(pct pg-par median) / $(pct pg-par-floor median)")x"
	row "  per database (floor: the same)" "$(fmt_ms "$(calc "$(pct pg-par median) / $calls")")" \
		"$(fmt_ms "$(calc "$(pct pg-par-floor median) / $calls")")"
	row "  errors / distinct URLs / fully migrated ($revisions rows)" "$errors / $distinct / $migrated" "" "" \
		"0 / $calls / $calls" "$(verdict "$errors$distinct$migrated" == "0$calls$calls")"
	row "  calls that got a ready copy" "$par_from/$calls"
	row "gc --all afterwards: time (floor: psql DROP DATABASE one by one, half before gc, half after)" "$(fmt_ms "$(pct pg-gc median)")" \
		"$(fmt_ms "$(pct pg-drop-floor median)")" "$(calc "$(pct pg-gc median) / $(pct pg-drop-floor median)")x"
	row "  _vmig_ databases left after gc --all (2 s later)" "$left ($left_later)" "" "" "0 (0)" \
		"$(verdict "$left$left_later" == 00)"
	capture_rows pg
	row "disk per ready copy (floor: an empty database, template1)" "$(fmt_mb "$copy_bytes")" "$(fmt_mb "$blank_bytes")" \
		"$(calc "$copy_bytes / $blank_bytes")x"
	row "disk: the template; the pool ($pool copies)" "$(fmt_mb "$tmpl_bytes"); $(fmt_mb "$((pool * copy_bytes))")"
	row "background vmig processes right after a new; 2 s later" "$bg_now; $bg_later" "" "" "0 later" \
		"$(verdict "$bg_later" == 0)"
	[ "$bg_later" = 0 ] || fail "PostgreSQL: $bg_later background vmig processes 2 s after a new"
	[ "$bg_gc" = 0 ] || fail "PostgreSQL: $bg_gc background vmig processes 2 s after gc --all"
}

if [ -n "${PG_URL:-}" ]; then
	pg_section
	stop_pg
	pg_started=""
else
	section "PostgreSQL: skipped (BENCH_PG=0)"
	pg_note="PostgreSQL skipped"
fi

# ---- SQLite ------------------------------------------------------------------

sqlite_section() {
	local D=$work/schema-sqlite dir=$work/sqlite
	mkdir -p "$dir"
	local base_url=sqlite:///$dir/app.db
	new() { "$vmig" -d "$base_url" --dir "$D" "$@"; }
	pool_count() { find "$dir" -maxdepth 1 -name 'app_vmig_p_*' | wc -l; }
	all_count() { find "$dir" -maxdepth 1 -name 'app_vmig_*' ! -name '.*' | wc -l; }
	section "SQLite (the same shape: $revisions revisions, 100 tables, indexes, foreign keys, triggers, no functions)"

	step "SQLite: the first testdb new (builds the template)"
	timed sq-build j.json new testdb new --json
	local url tmpl i from=0
	url=$(json_field j.json url)
	tmpl=$dir/$(json_field j.json template)
	[ -f "$tmpl" ] || die "SQLite: no template file $tmpl"
	new testdb drop "$url"
	settle

	step "SQLite: $runs x testdb new with the pool warm, and with the pool empty, beside cp"
	local nofill_from=0 x
	for ((i = -2; i < runs; i++)); do
		settle
		timed sq-warm j.json new testdb new --json
		[ "$(json_field j.json from_pool)" = true ] && from=$((from + 1))
		waited j.json sq-warm-waited
		url=$(json_field j.json url)
		settle
		new testdb drop "$url"
		timed sq-nofill j.json "$vmig" -c "$work/pool0.yaml" -d "$base_url" --dir "$D" testdb new --json
		[ "$(json_field j.json from_pool)" = true ] && nofill_from=$((nofill_from + 1))
		waited j.json sq-nofill-waited
		new testdb drop "$(json_field j.json url)"
		printf '%s\n' "$base_url" | "$vmig" --dir "$D" testdb fill || die "vmig testdb fill failed"
		timed sq-version o.txt "$vmig" --version
		timed sq-validate o.txt "$vmig" --dir "$D" validate
		timed sq-cp o.txt cp "$tmpl" "$dir/floor.db"
		rm -f "$dir/floor.db"
		if [ "$i" -lt 0 ]; then
			for x in sq-warm sq-warm-waited sq-nofill sq-nofill-waited sq-version sq-validate sq-cp; do
				: >"t/$x"
			done
			from=0 nofill_from=0
		fi
	done
	[ "$nofill_from" = "$runs" ] || fail "SQLite: only $nofill_from of $runs calls with testdb_pool 0 got a ready copy"
	[ "$from" = "$runs" ] || fail "SQLite: only $from of $runs calls with the pool warm got a ready copy"

	settle
	local copy_bytes tmpl_bytes bg_now bg_later
	copy_bytes=$(stat_size "$(find "$dir" -maxdepth 1 -name 'app_vmig_p_*' | head -1)")
	tmpl_bytes=$(stat_size "$tmpl")
	new testdb new >o.txt || die "testdb new failed"
	bg_now=$(ours)
	sleep 2
	bg_later=$(ours)
	new testdb drop "$(cat o.txt)"
	settle

	for ((i = 0; i < pipe_runs; i++)); do
		capture sq-pipe 0
		capture sq-pipe3 1
	done

	new testdb gc >/dev/null 2>&1 || die "vmig testdb gc failed"
	[ "$(pool_count)" = 0 ] || die "SQLite: ready copies left after gc"
	local empty_from=0
	for ((i = -2; i < runs; i++)); do
		timed sq-empty j.json "$vmig" -c "$work/pool0.yaml" -d "$base_url" --dir "$D" testdb new --json
		[ "$(json_field j.json from_pool)" = true ] && empty_from=$((empty_from + 1))
		new testdb drop "$(json_field j.json url)"
		timed sq-cp2 o.txt cp "$tmpl" "$dir/floor.db"
		rm -f "$dir/floor.db"
		if [ "$i" -lt 0 ]; then
			: >t/sq-empty
			: >t/sq-cp2
		fi
	done
	[ "$empty_from" = 0 ] || fail "SQLite: $empty_from calls with testdb_pool 0 got a ready copy"
	[ "$(ours)" = 0 ] || fail "SQLite: a background process with testdb_pool 0"

	for ((i = 0; i < up_runs; i++)); do
		rm -f "$dir/up.db"
		timed sq-up o.txt "$vmig" -q -d "sqlite:///$dir/up.db" --dir "$D" up
	done
	[ "$(sqlite3 "$dir/up.db" 'SELECT count(*) FROM vmig_version')" = "$revisions" ] ||
		fail "SQLite: vmig up did not apply $revisions revisions"

	timed sq-gc o.txt new testdb gc --all
	local left left_later
	left=$(all_count)
	sleep 2
	left_later=$(all_count)
	[ "$left$left_later" = 00 ] || fail "SQLite: $left (2 s later $left_later) app_vmig_ files left after gc --all"

	local warm warm90 cp cp90 empty empty90 cp2 up
	warm=$(pct sq-warm median) warm90=$(pct sq-warm p90) cp=$(pct sq-cp median) cp90=$(pct sq-cp p90)
	empty=$(pct sq-empty median) empty90=$(pct sq-empty p90) cp2=$(pct sq-cp2 median)
	up=$(pct sq-up median)
	row "first new: builds the template (migrates $revisions revisions)" "$(fmt_ms "$(pct sq-build median)")"
	row "new, pool warm: median of $runs (floor: cp of the template)" "$(fmt_ms "$warm")" "$(fmt_ms "$cp")" \
		"$(calc "$warm / $cp")x" "<= 5 ms" "$(verdict "$warm" "<=" 5)"
	row "new, pool warm: p90 (floor: the same)" "$(fmt_ms "$warm90")" "$(fmt_ms "$cp90")" "$(calc "$warm90 / $cp90")x"
	row "new, pool warm: calls that got a ready copy" "$from/$runs" "" "" "$runs/$runs" "$(verdict "$from" == "$runs")"
	breakdown sq
	row "new, pool empty: median of $runs (floor: cp of the template)" "$(fmt_ms "$empty")" "$(fmt_ms "$cp2")" \
		"$(calc "$empty / $cp2")x" "<= 5 ms" "$(verdict "$empty" "<=" 5)"
	row "new, pool empty: p90" "$(fmt_ms "$empty90")"
	row "vmig up from empty, median of $up_runs (vs new, pool warm)" "$(fmt_ms "$up")" "$(fmt_ms "$warm")" \
		"$(calc "$up / $warm")x"
	row "gc --all afterwards: time" "$(fmt_ms "$(pct sq-gc median)")"
	row "  app_vmig_ files left after gc --all (2 s later)" "$left ($left_later)" "" "" "0 (0)" \
		"$(verdict "$left$left_later" == 00)"
	capture_rows sq
	row "disk per ready copy (= the template's file)" "$(fmt_mb "$copy_bytes")" "" "" "" ""
	row "disk: the template; the pool ($pool copies)" "$(fmt_mb "$tmpl_bytes"); $(fmt_mb "$((pool * copy_bytes))")"
	row "background vmig processes right after a new; 2 s later" "$bg_now; $bg_later" "" "" "0 later" \
		"$(verdict "$bg_later" == 0)"
	[ "$bg_later" = 0 ] || fail "SQLite: $bg_later background vmig processes 2 s after a new"
}
stat_size() { [ -n "$1" ] && wc -c <"$1" || echo 0; }

sqlite_section

# ---- the table -----------------------------------------------------------------

finished_us=${EPOCHREALTIME/./}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
header=(
	"vmig testdb benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(awk -v us=$((finished_us - started_us)) 'BEGIN { printf "%.0f s", us / 1e6 }') in all"
	"$("$vmig" --version), $(uname -sm), ${cpu:-unknown CPU}, $(nproc) CPU(s), load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	"I/O pressure (full, avg60, /proc/pressure/io) ${io_start:-n/a} at the start, $(io_pressure) at the end"
	"sqlite3 $(sqlite3 --version | cut -d' ' -f1)${pg_note:+, $pg_note}${psql_bin:+ (floors with $psql_bin)}"
	"times: wall time of each call around the process (bash \$EPOCHREALTIME), start-up and exit included; testdb_pool $pool"
)
titles=$'figure\tmeasured\tfloor\tratio\ttarget\tresult'

printf '%s\n' "$titles" "${rows[@]}" | awk -F'\t' -v hdr="$(printf '%s\n' "${header[@]}")" '
	{ line[NR] = $0; nf[NR] = NF
	  if (NF > 1) for (i = 1; i <= 6; i++) { l = length($i) + (i == 1 && NR > 1 ? 2 : 0); if (l > w[i]) w[i] = l } }
	END {
		print hdr; print ""
		fmt = "%-" w[1] "s  %" w[2] "s  %" w[3] "s  %" w[4] "s  %-" w[5] "s  %s\n"
		for (r = 1; r <= NR; r++) {
			if (nf[r] <= 1) { print ""; print line[r]; continue }
			split(line[r], f, "\t")
			printf fmt, (r > 1 ? "  " : "") f[1], f[2], f[3], f[4], f[5], f[6]
			if (r == 1) { total = 0; for (i = 1; i <= 6; i++) total += w[i] + 2
				rule = ""; for (i = 0; i < total - 2; i++) rule = rule "-"; print rule }
		}
	}' | sed 's/ *$//' >"$out/testdb.txt"

{
	printf '# vmig testdb benchmark results\n\n'
	printf '%s  \n' "${header[@]}"
	printf '\n| figure | measured | floor | ratio | target | result |\n| --- | ---: | ---: | ---: | --- | --- |\n'
	printf '%s\n' "${rows[@]}" | awk -F'\t' '{
		if (NF <= 1) printf "| **%s** | | | | | |\n", $1
		else printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6
	}'
	if [ ${#failures[@]} -gt 0 ]; then
		printf '\n**Failures:**\n\n'
		printf -- '- %s\n' "${failures[@]}"
	fi
} >"$out/testdb.md"

echo
cat "$out/testdb.txt"
echo
step "written: bench/out/testdb.md (each call's time in microseconds: bench/out/testdb/t/)"
if [ ${#failures[@]} -gt 0 ]; then
	printf 'bench/testdb: FAILED: %s\n' "${failures[@]}" >&2
	exit 1
fi
