#!/usr/bin/env bash
# lint_vs_squawk.sh - run `vmig lint` and squawk (https://squawkhq.com) over the
# migration cases in bench/lint_cases/ and print, per case, the rules each one
# fired, then how often they agree.
#
# Each bench/lint_cases/NAME.sql is the up SQL of one revision. It becomes a
# vmig project of its own (vmig.yaml and one revision file); a case with a line
# `-- case: transaction off` gets `-- vmig:transaction off`. squawk reads the
# same SQL, with --assume-in-transaction unless the case is transaction off, so
# that both tools see what vmig will run.
#
# Usage: bench/lint_vs_squawk.sh [CASE...]     (default: every case)
#   VMIG=path/to/vmig          the binary to measure (default: build/vmig)
#   SQUAWK="squawk"            squawk command (default: npx --yes squawk-cli)
#   SQUAWK_PG_VERSION=15       --pg-version given to squawk (vmig's parser is 15's)
#
# Needs bash, jq, and npx (Node.js) unless SQUAWK is set. Nothing is
# connected to: vmig lint without -d reads files only.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cases_dir="$here/lint_cases"
vmig=${VMIG:-$root/build/vmig}
pg_version=${SQUAWK_PG_VERSION:-15}

die() {
	printf 'lint_vs_squawk: %s\n' "$*" >&2
	exit 1
}

[ -x "$vmig" ] || die "no vmig binary at $vmig (build it: cmake --build build -j2, or set VMIG)"
command -v jq >/dev/null || die "jq is needed to read both tools' JSON"

if [ -n "${SQUAWK:-}" ]; then
	read -r -a squawk <<<"$SQUAWK"
else
	command -v npx >/dev/null ||
		die "npx not found: squawk cannot be run (install Node.js, or set SQUAWK to a squawk binary)"
	squawk=(npx --yes squawk-cli)
fi
if ! squawk_version=$("${squawk[@]}" --version 2>&1); then
	die "squawk does not run (${squawk[*]} --version said: $squawk_version)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lint_vs_squawk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$cases_dir"/*.sql; do
		n=${f##*/}
		names+=("${n%.sql}")
	done
fi
[ ${#names[@]} -gt 0 ] || die "no cases in $cases_dir"

txn_files=()
off_files=()
declare -A vmig_rules squawk_rules txn_off

for name in "${names[@]}"; do
	src="$cases_dir/$name.sql"
	[ -f "$src" ] || die "no case $src"
	proj="$tmp/vmig/$name"
	mkdir -p "$proj/migrations" "$tmp/squawk"
	printf 'database_url: postgresql://localhost/lint_vs_squawk\nmigrations_dir: migrations\n' \
		>"$proj/vmig.yaml"
	off=0
	grep -qiE '^--[[:space:]]*case:[[:space:]]*transaction off' "$src" && off=1
	txn_off[$name]=$off
	{
		printf -- '-- vmig:revision 0001\n-- vmig:down_revision\n-- vmig:message %s\n' "$name"
		[ "$off" = 1 ] && printf -- '-- vmig:transaction off\n'
		printf -- '\n-- vmig:up\n'
		cat "$src"
		printf -- '\n-- vmig:down\nSELECT 1;\n'
	} >"$proj/migrations/0001_case.sql"

	# vmig: exit 0 (no error-level finding) or 3 (some); anything else is a failure.
	rc=0
	(cd "$proj" && "$vmig" lint --json) >"$tmp/vmig.json" 2>"$tmp/vmig.err" || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
		cat "$tmp/vmig.err" >&2
		die "vmig lint failed (exit $rc) on case $name"
	fi
	vmig_rules[$name]=$(jq -r '[.findings[].rule] | unique | join(",")' "$tmp/vmig.json")

	# squawk reads a copy named after the case (its JSON names files).
	cp "$src" "$tmp/squawk/$name.sql"
	if [ "$off" = 1 ]; then off_files+=("$name.sql"); else txn_files+=("$name.sql"); fi
	squawk_rules[$name]=""
done

# squawk: one run per transaction mode. It exits 1 when it finds something;
# its output must still be a JSON array.
run_squawk() {
	local out="$tmp/squawk-$1.json" rc=0
	shift
	[ $# -gt 1 ] || return 0
	(cd "$tmp/squawk" && "${squawk[@]}" --reporter json --pg-version "$pg_version" "$@") \
		>"$out" 2>"$tmp/squawk.err" || rc=$?
	if [ "$rc" -gt 1 ] || ! jq -e 'type == "array"' "$out" >/dev/null 2>&1; then
		cat "$tmp/squawk.err" "$out" >&2
		die "squawk failed (exit $rc)"
	fi
	local file rules
	while IFS=$'\t' read -r file rules; do
		squawk_rules[${file%.sql}]=$rules
	done < <(jq -r 'group_by(.file)[] | [(.[0].file | sub(".*/"; "")),
		([.[].rule_name] | unique | join(","))] | @tsv' "$out")
}
run_squawk txn --assume-in-transaction ${txn_files[@]+"${txn_files[@]}"}
run_squawk off --no-assume-in-transaction ${off_files[@]+"${off_files[@]}"}

# Timeout rules fire on nearly every statement of either tool; the totals are
# given with and without them.
timeouts='^(lock-timeout|require-lock-timeout|require-statement-timeout|require-timeout-settings)$'
strip() {
	tr ',' '\n' <<<"$1" | grep -vE "$timeouts" | paste -sd, - || true
}

printf '%s against %s (--pg-version %s), %d cases\n\n' \
	"$("$vmig" --version 2>&1 | head -n1)" "$squawk_version" "$pg_version" "${#names[@]}"
printf '| case | txn | vmig rules | squawk rules |\n| --- | --- | --- | --- |\n'
both=0 only_s=0 only_v=0 none=0
both_t=0 only_s_t=0 only_v_t=0 none_t=0
for name in "${names[@]}"; do
	v=${vmig_rules[$name]} s=${squawk_rules[$name]}
	printf '| %s | %s | %s | %s |\n' "$name" "$([ "${txn_off[$name]}" = 1 ] && echo off || echo on)" \
		"${v:--}" "${s:--}"
	if [ -n "$v" ] && [ -n "$s" ]; then both_t=$((both_t + 1))
	elif [ -n "$s" ]; then only_s_t=$((only_s_t + 1))
	elif [ -n "$v" ]; then only_v_t=$((only_v_t + 1))
	else none_t=$((none_t + 1)); fi
	v=$(strip "$v") s=$(strip "$s")
	if [ -n "$v" ] && [ -n "$s" ]; then both=$((both + 1))
	elif [ -n "$s" ]; then only_s=$((only_s + 1))
	elif [ -n "$v" ]; then only_v=$((only_v + 1))
	else none=$((none + 1)); fi
done
printf '\n| cases where | all rules | timeout rules left out |\n| --- | --- | --- |\n'
printf '| both fire | %d | %d |\n| only squawk fires | %d | %d |\n' "$both_t" "$both" "$only_s_t" "$only_s"
printf '| only vmig fires | %d | %d |\n| neither fires | %d | %d |\n' "$only_v_t" "$only_v" "$none_t" "$none"
printf '\n(timeout rules: vmig lock-timeout; squawk require-lock-timeout, require-statement-timeout)\n'
