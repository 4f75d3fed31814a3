#!/usr/bin/env bash
# bench/run.sh - vmig's benchmark, in one command.
#
#   bench/run.sh                      builds a Release vmig into bench/out/build
#   VMIG=path/to/vmig bench/run.sh    measures that binary instead
#   PG_URL=postgresql://... bench/run.sh   measures PostgreSQL on that server
#                                     (default: a throwaway server started
#                                     with tests/pg/pg_harness.sh; BENCH_PG=0
#                                     skips the PostgreSQL section)
#
# Needs bash, cc, cmake (unless VMIG is given), sqlite3, hyperfine and GNU
# time (scripts/install-deps.sh installs them all); psql for PG_URL.
# Scratch files go to bench/out/; the table is printed and written to
# bench/out/results.md.  See bench/README.md for what each figure means.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/out
work=$out/work

die() {
	echo "bench: $*" >&2
	exit 1
}
step() { echo "bench: $*" >&2; }

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 is missing (scripts/install-deps.sh installs it)"
}
need cc
need sqlite3
need hyperfine
need awk
[ -x /usr/bin/time ] && /usr/bin/time --version 2>&1 | grep -q GNU ||
	die "GNU time (/usr/bin/time) is missing (scripts/install-deps.sh installs it)"

mkdir -p "$out"

# ---- the binary ----------------------------------------------------------

if [ -n "${VMIG:-}" ]; then
	vmig=$(command -v "$VMIG" || true)
	[ -n "$vmig" ] && [ -x "$vmig" ] || die "VMIG=$VMIG is not an executable"
	vmig=$(cd "$(dirname "$vmig")" && pwd)/$(basename "$vmig")
else
	need cmake
	step "building vmig (Release) in bench/out/build"
	cmake -S "$root" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DVMIG_TESTS=OFF \
		-DVMIG_WERROR=OFF >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; die "cmake failed"; }
	cmake --build "$out/build" -j"$(nproc)" >>"$out/build.log" 2>&1 ||
		{ tail -40 "$out/build.log" >&2; die "the build failed"; }
	vmig=$out/build/vmig
fi

# ---- the inputs ----------------------------------------------------------

rm -rf "$work" "$out/json" "$out/log"
mkdir -p "$work" "$out/json" "$out/log"
cd "$work" # no vmig.yaml here: every setting comes from the command line
unset VMIG_CONFIG DATABASE_URL

cc -O2 -o "$out/gen" "$here/gen.c" || die "cannot compile bench/gen.c"
gen=$out/gen

step "generating histories (linear and branchy, 1,000 and 10,000 revisions)"
for shape in linear branchy; do
	for n in 1000 10000; do
		d=$shape-$((n / 1000))k
		mkdir "$d"
		"$gen" tree "$shape" "$n" "$d"
		"$vmig" --dir "$d" validate >/dev/null || die "vmig validate rejects $d"
	done
done
"$gen" sql 1000 >plain.sql
{
	echo "BEGIN;"
	cat plain.sql
	echo "COMMIT;"
} >one-txn.sql
"$gen" sql-book 1000 >per-rev.sql
grep -v '^BEGIN;$\|^COMMIT;$' per-rev.sql >one-txn-book.sql # the rows, in psql -1's one transaction
{
	echo "BEGIN;"
	cat one-txn-book.sql
	echo "COMMIT;"
} >one-txn-book-sqlite.sql
{
	echo "PRAGMA locking_mode=EXCLUSIVE;"
	echo "PRAGMA journal_mode=WAL;"
	echo "PRAGMA synchronous=NORMAL;"
	cat per-rev.sql
	echo "PRAGMA journal_mode=DELETE;"
} >per-rev-tuned.sql
# dbmate, when it is installed (`npm install -g dbmate`, or once through
# `npx dbmate`, whose copy is found here), runs the same 1,000 revisions.
dbmate=${DBMATE:-$(command -v dbmate || find "$HOME/.npm/_npx" -path '*/bin/dbmate' -type f 2>/dev/null | head -1)}
if [ -n "$dbmate" ]; then
	mkdir dbmate-1k
	"$gen" dbmate 1000 dbmate-1k
fi

# ---- measuring -----------------------------------------------------------

declare -A mean sd

# Single-quotes s for a hyperfine command line (split like a POSIX shell).
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# hf NAME HYPERFINE-OPTIONS... COMMAND: runs hyperfine -N, keeps mean and sd (s).
hf() {
	local name=$1
	shift
	step "measuring $name"
	if ! hyperfine -N --style basic --export-json "$out/json/$name.json" "$@" \
		>"$out/log/$name.txt" 2>&1; then
		cat "$out/log/$name.txt" >&2
		die "hyperfine failed on $name"
	fi
	mean[$name]=$(sed -n 's/^ *"mean": *\([0-9.eE+-]*\).*/\1/p' "$out/json/$name.json" | head -1)
	sd[$name]=$(sed -n 's/^ *"stddev": *\([0-9.eE+-]*\).*/\1/p' "$out/json/$name.json" | head -1)
	[ -n "${mean[$name]}" ] || die "no mean in $out/json/$name.json"
	: "${sd[$name]:=0}"
}

# peak_mb COMMAND...: the largest maximum resident set size of 3 runs, in MB.
peak_mb() {
	local kb max=0
	for _ in 1 2 3; do
		/usr/bin/time -f %M -o "$out/time.txt" "$@" >/dev/null 2>&1 || die "failed: $*"
		kb=$(tail -1 "$out/time.txt")
		[ "$kb" -gt "$max" ] && max=$kb
	done
	awk -v kb="$max" 'BEGIN { printf "%.1f", kb / 1024 }'
}

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
ms() { awk -v s="$1" 'BEGIN { v = s * 1000; printf(v < 10 ? "%.2f ms" : "%.1f ms", v) }'; }
sdms() { awk -v s="$1" 'BEGIN { v = s * 1000; printf(v < 10 ? "%.2f" : "%.1f", v) }'; }
# verdict VALUE OP LIMIT: "ok" or "MISSED"
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = op == "<=" ? v <= l : v < l; print ok ? "ok" : "MISSED" }'; }

rows=() # "figure<TAB>mean<TAB>sd<TAB>target<TAB>result", or a section title alone
row() { rows+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"); }
section() { rows+=("$1"); }
timed() { row "$2" "$(ms "${mean[$1]}")" "$(sdms "${sd[$1]}")" "${3:-}" "${4:-}"; }
ratio() { # ratio FIGURE A B TARGET-LIMIT
	local r
	r=$(calc "${mean[$2]} / ${mean[$3]}")
	if [ -n "${4:-}" ]; then
		row "$1" "${r}x" "" "<= ${4}x" "$(verdict "$r" "<=" "$4")"
	else
		row "$1" "${r}x" "" "" ""
	fi
}

# validate: files and graph only
section "vmig validate (no database)"
for shape in linear branchy; do
	for n in 1k 10k; do
		hf "validate-$shape-$n" --warmup 3 --runs 20 "$(q "$vmig") --dir $shape-$n validate"
	done
done
for shape in linear branchy; do
	for n in 1k 10k; do
		name=validate-$shape-$n
		mb=$(peak_mb "$vmig" --dir "$shape-$n" validate)
		if [ "$n" = 10k ]; then
			timed "$name" "$shape, 10,000 revisions: time" "< 100 ms" \
				"$(verdict "$(calc "${mean[$name]} * 1000")" "<" 100)"
			row "$shape, 10,000 revisions: peak memory" "$mb MB" "" "< 64 MB" "$(verdict "$mb" "<" 64)"
		else
			timed "$name" "$shape, 1,000 revisions: time"
			row "$shape, 1,000 revisions: peak memory" "$mb MB" "" "" ""
		fi
	done
	ratio "$shape: 10k / 1k time" "validate-$shape-10k" "validate-$shape-1k" 12
done

# SQLite, 1,000 revisions
sqlite_url() { echo "sqlite:///$1"; }
hf sqlite-up --prepare "rm -f up.db up.db-journal" --warmup 1 --runs 5 \
	"$(q "$vmig") -d $(sqlite_url up.db) --dir linear-1k up"
hf sqlite-up-single --prepare "rm -f up1.db up1.db-journal" --warmup 1 --runs 10 \
	"$(q "$vmig") -d $(sqlite_url up1.db) --dir linear-1k up --single-transaction"
hf sqlite-floor-one --prepare "rm -f floor1.db floor1.db-journal" --warmup 1 --runs 10 \
	"sqlite3 floor1.db '.read one-txn.sql'"
hf sqlite-floor-one-book --prepare "rm -f floorb.db floorb.db-journal" --warmup 1 --runs 10 \
	"sqlite3 floorb.db '.read one-txn-book-sqlite.sql'"
hf sqlite-floor-per --prepare "rm -f floorn.db floorn.db-journal" --warmup 1 --runs 5 \
	"sqlite3 floorn.db '.read per-rev.sql'"
hf sqlite-floor-per-tuned --prepare "rm -f floort.db floort.db-journal" --warmup 1 --runs 5 \
	"sqlite3 floort.db '.read per-rev-tuned.sql'"
if [ -n "$dbmate" ]; then
	hf sqlite-dbmate --prepare "rm -f dbmate.db" --warmup 1 --runs 5 \
		"$(q "$dbmate") --url sqlite:dbmate.db --migrations-dir dbmate-1k --no-dump-schema up"
fi

rm -f head.db
"$vmig" -q -d "$(sqlite_url head.db)" --dir linear-1k up || die "vmig up failed"
[ "$(sqlite3 head.db 'SELECT count(*) FROM vmig_version')" = 1000 ] ||
	die "head.db does not have 1,000 applied revisions"
for db in up.db up1.db floor1.db floorb.db floorn.db floort.db; do
	[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name GLOB 't[0-9]*'")" = 1000 ] ||
		die "$db does not have the 1,000 tables"
done
hf sqlite-noop --warmup 3 --runs 30 "$(q "$vmig") -d $(sqlite_url head.db) --dir linear-1k up"
hf sqlite-select1 --warmup 3 --runs 30 "sqlite3 head.db 'SELECT 1'"
hf sqlite-select-version --warmup 3 --runs 30 "sqlite3 head.db 'SELECT revision FROM vmig_version'"
hf read-files --warmup 3 --runs 30 "$(q "$gen") readall linear-1k"

section "SQLite, 1,000 revisions (linear)"
timed sqlite-up "vmig up from empty, per-revision transactions"
timed sqlite-up-single "vmig up from empty, --single-transaction"
timed sqlite-noop "vmig up at head (no-op)"
timed sqlite-floor-one "floor: sqlite3, the 1,000 CREATEs in one transaction"
timed sqlite-floor-one-book "floor: sqlite3, one transaction, a bookkeeping row per revision"
timed sqlite-floor-per "floor: sqlite3, one transaction + bookkeeping row per revision"
timed sqlite-floor-per-tuned "floor: the same with vmig's pragmas (EXCLUSIVE, WAL, NORMAL)"
timed sqlite-select1 "floor: sqlite3 'SELECT 1' on the migrated database"
timed sqlite-select-version "floor: sqlite3 'SELECT revision FROM vmig_version' (loads the schema)"
ratio "no-op up / SELECT 1 floor" sqlite-noop sqlite-select1 3
ratio "no-op up / SELECT revision floor" sqlite-noop sqlite-select-version
timed read-files "floor: reading the 1,000 files, nothing else (gen readall)"
mean[noop-floor]=$(awk "BEGIN { print ${mean[sqlite-select-version]} + ${mean[read-files]} }")
row "floor: SELECT revision + reading the files (the two above)" "$(ms "${mean[noop-floor]}")" "" "" ""
ratio "no-op up / SELECT revision + reading the files" sqlite-noop noop-floor
ratio "single-transaction up / one-transaction floor" sqlite-up-single sqlite-floor-one 2
ratio "single-transaction up / the same with bookkeeping rows" sqlite-up-single sqlite-floor-one-book
ratio "per-revision up / per-revision floor" sqlite-up sqlite-floor-per
ratio "per-revision up / per-revision floor with vmig's pragmas" sqlite-up sqlite-floor-per-tuned
if [ -n "$dbmate" ]; then
	timed sqlite-dbmate "dbmate up from empty ($("$dbmate" --version | awk '{ print $NF }'), a transaction per migration)"
	ratio "per-revision up / dbmate, run beside it" sqlite-up sqlite-dbmate 0.5
else
	row "dbmate: not installed (npm install -g dbmate), not run" "" "" "" ""
fi

# PostgreSQL, 1,000 revisions
section "PostgreSQL, 1,000 revisions (linear)"
pg_note=""
if [ -z "${PG_URL:-}" ] && [ "${BENCH_PG:-1}" != 0 ]; then
	# No server given: start the test suite's throwaway one (fsync off, as in the tests).
	step "starting a throwaway PostgreSQL server (tests/pg/pg_harness.sh)"
	bash "$root/tests/pg/pg_harness.sh" start "$out/pg" >/dev/null ||
		die "could not start the throwaway PostgreSQL server; set PG_URL, or BENCH_PG=0 to skip"
	trap 'bash "$root/tests/pg/pg_harness.sh" stop "$out/pg" >/dev/null 2>&1 || true' EXIT
	PG_URL=$(cat "$out/pg/url")
fi
if [ -z "${PG_URL:-}" ]; then
	row "skipped: BENCH_PG=0" "" "" "" ""
	pg_note="skipped: BENCH_PG=0"
else
	need psql
	# A libpq URL for psql (SQLAlchemy's +driver dropped) and one for the
	# scratch database vmig_bench on the same server.
	scheme=${PG_URL%%://*}
	rest=${PG_URL#*://}
	admin_url=${scheme%%+*}://$rest
	query=""
	case $rest in *\?*) query=?${rest#*\?} ;; esac
	authority=${rest%%\?*}
	authority=${authority%%/*}
	bench_url=${scheme%%+*}://$authority/vmig_bench$query
	psql_admin="psql -X -q -v ON_ERROR_STOP=1 -d $(q "$admin_url")"
	psql_bench="psql -X -q -v ON_ERROR_STOP=1 -d $(q "$bench_url")"
	fresh="$psql_admin -c 'DROP DATABASE IF EXISTS vmig_bench' -c 'CREATE DATABASE vmig_bench'"
	pg_version=$(psql -X -A -t -d "$admin_url" -c 'SHOW server_version') ||
		die "cannot connect with PG_URL"
	pg_note="PostgreSQL $pg_version"

	hf pg-up --prepare "$fresh" --warmup 1 --runs 5 "$(q "$vmig") -d $(q "$bench_url") --dir linear-1k up"
	hf pg-up-single --prepare "$fresh" --warmup 1 --runs 5 \
		"$(q "$vmig") -d $(q "$bench_url") --dir linear-1k up --single-transaction"
	hf pg-floor-auto --prepare "$fresh" --warmup 1 --runs 5 "$psql_bench -f plain.sql"
	hf pg-floor-one --prepare "$fresh" --warmup 1 --runs 5 "$psql_bench -1 -f plain.sql"
	hf pg-floor-per --prepare "$fresh" --warmup 1 --runs 5 "$psql_bench -f per-rev.sql"
	hf pg-floor-one-book --prepare "$fresh" --warmup 1 --runs 5 "$psql_bench -1 -f one-txn-book.sql"
	psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c 'DROP DATABASE IF EXISTS vmig_bench' \
		-c 'CREATE DATABASE vmig_bench' >/dev/null 2>&1 || die "cannot create vmig_bench"
	"$vmig" -q -d "$bench_url" --dir linear-1k up || die "vmig up on PostgreSQL failed"
	hf pg-noop --warmup 3 --runs 20 "$(q "$vmig") -d $(q "$bench_url") --dir linear-1k up"
	hf pg-select1 --warmup 3 --runs 20 "$psql_bench -c 'SELECT 1'"
	psql -X -q -d "$admin_url" -c 'DROP DATABASE IF EXISTS vmig_bench' >/dev/null 2>&1 || true

	timed pg-up "vmig up from empty, per-revision transactions"
	timed pg-up-single "vmig up from empty, --single-transaction"
	timed pg-noop "vmig up at head (no-op)"
	timed pg-floor-auto "floor: psql -f, the 1,000 CREATEs in autocommit"
	timed pg-floor-one "floor: psql -1 -f, the same in one transaction"
	timed pg-floor-per "floor: psql -f, one transaction + bookkeeping row per revision"
	timed pg-floor-one-book "floor: psql -1 -f, one transaction, a bookkeeping row per revision"
	timed pg-select1 "floor: psql -c 'SELECT 1'"
	ratio "no-op up / SELECT 1 floor" pg-noop pg-select1 1
	ratio "single-transaction up / one-transaction floor" pg-up-single pg-floor-one 1.1
	ratio "single-transaction up / the same with bookkeeping rows" pg-up-single pg-floor-one-book
	ratio "per-revision up / autocommit floor" pg-up pg-floor-auto 1.1
	ratio "per-revision up / per-revision floor" pg-up pg-floor-per
	ratio "per-revision up / one-transaction floor" pg-up pg-floor-one
fi

# ---- the table -----------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
header=(
	"vmig benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	"$("$vmig" --version), $(uname -sm), ${cpu:-unknown CPU}, $(nproc) CPU(s)"
	"sqlite3 $(sqlite3 --version | cut -d' ' -f1), $(hyperfine --version)${pg_note:+, $pg_note}"
	"times: mean (sd) of hyperfine -N runs; memory: peak RSS (GNU time %M)"
)

printf '%s\n' "${rows[@]}" | awk -F'\t' -v hdr="$(printf '%s\n' "${header[@]}")" '
	BEGIN { titles[1] = "figure"; titles[2] = "mean"; titles[3] = "sd (ms)"
		titles[4] = "target"; titles[5] = "result" }
	{ line[NR] = $0; nf[NR] = NF
	  if (NF > 1) for (i = 1; i <= 5; i++) if (length($i) + (i == 1 ? 2 : 0) > w[i]) w[i] = length($i) + (i == 1 ? 2 : 0) }
	END {
		for (i = 1; i <= 5; i++) if (length(titles[i]) > w[i]) w[i] = length(titles[i])
		print hdr; print ""
		fmt = "%-" w[1] "s  %" w[2] "s  %" w[3] "s  %-" w[4] "s  %s\n"
		printf fmt, titles[1], titles[2], titles[3], titles[4], titles[5]
		total = w[1] + w[2] + w[3] + w[4] + w[5] + 8
		rule = ""; for (i = 0; i < total; i++) rule = rule "-"
		print rule
		for (r = 1; r <= NR; r++) {
			if (nf[r] <= 1) { if (r > 1) print ""; print line[r]; continue }
			split(line[r], f, "\t")
			printf fmt, "  " f[1], f[2], f[3], f[4], f[5]
		}
	}' | sed 's/ *$//' >"$out/results.txt"

{
	printf '# vmig benchmark results\n\n'
	printf '%s  \n' "${header[@]}"
	printf '\n| figure | mean | sd (ms) | target | result |\n| --- | ---: | ---: | --- | --- |\n'
	printf "%s\n" "${rows[@]}" | awk -F"\t" '{
		if (NF <= 1) printf "| **%s** | | | | |\n", $1
		else printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5
	}'
} >"$out/results.md"

echo
cat "$out/results.txt"
echo
step "written: bench/out/results.md (hyperfine JSON in bench/out/json/)"
