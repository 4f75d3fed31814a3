#!/usr/bin/env bash
# smoke.sh BUILD_DIR [SECONDS]
#
# Configures and builds the fuzz targets in BUILD_DIR (with clang), replays
# every input under fuzz/regress/<target>/, then fuzzes each target for
# SECONDS (default 40; $VMIG_FUZZ_SECONDS also sets it) from its seed corpus.
# Exits non-zero on any finding, showing the input that caused it.  New
# inputs go to a temporary folder, never into the committed seeds.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [SECONDS]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
seconds=${2:-${VMIG_FUZZ_SECONDS:-40}}
targets="revision url pgsplit sqlite_split config alembic targets lint"

dict_of() {
	case $1 in
	pgsplit | sqlite_split) echo "$here/dict/sql.dict" ;;
	targets) echo "$here/dict/url.dict" ;;
	*) echo "$here/dict/$1.dict" ;;
	esac
}

# Shows an input that failed: as text when it is printable, else as hex.
show_input() {
	echo "--- input $1 ($(wc -c <"$1") bytes):"
	if LC_ALL=C grep -q '[^[:print:][:space:]]' "$1"; then
		od -A d -c "$1" | head -n 40
	else
		head -c 2000 "$1"
		echo
	fi
	echo "--- replay: $2 $1"
}

CC=${CC:-clang} cmake -S "$root" -B "$build" -DVMIG_FUZZ=ON -DVMIG_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz -j"$(nproc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=""

for t in $targets; do
	bin="$build/fuzz/fuzz_$t"
	regress="$here/regress/$t"
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
		echo "smoke: $t: replaying $(ls "$regress" | wc -l) regression input(s)"
		for f in "$regress"/*; do
			if ! "$bin" "$f" >"$work/$t.replay.log" 2>&1; then
				tail -n 30 "$work/$t.replay.log"
				show_input "$f" "$bin"
				failed="$failed $t(regress:$(basename "$f"))"
			fi
		done
	fi

	echo "smoke: $t: fuzzing for ${seconds}s"
	mkdir -p "$work/$t" "$work/$t-artifacts"
	if ! "$bin" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
		-dict="$(dict_of "$t")" -artifact_prefix="$work/$t-artifacts/" \
		"$work/$t" "$here/corpus/$t" >"$work/$t.log" 2>&1; then
		tail -n 40 "$work/$t.log"
		for f in "$work/$t-artifacts"/*; do
			[ -e "$f" ] && show_input "$f" "$bin"
		done
		failed="$failed $t"
		continue
	fi
	grep -a -E '^#[0-9]+ +DONE|^stat::number_of_executed_units' "$work/$t.log" | sed "s/^/smoke: $t: /"
done

if [ -n "$failed" ]; then
	echo "smoke: FAILED:$failed" >&2
	exit 1
fi
echo "smoke: all fuzz targets passed"
