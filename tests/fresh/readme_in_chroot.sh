#!/usr/bin/env bash
# readme_in_chroot.sh - the README's set-up promise, on a fresh Debian 12.
#
# The README's two set-up commands (the first two lines of its first ```sh
# block) each run in a new chroot of the minbase (minbase.sh), as root, from
# the root of a clean clone of the repository's committed HEAD at /root/vmig:
#   1. builds vmig and migrates the SQLite example; then `vmig check` in the
#      example must exit 0 (database at head, no drift);
#   2. builds vmig and runs the whole ctest suite (PostgreSQL tests included);
#      ctest must report every test passed, and at least one.
# Uncommitted changes are not part of the clone, so they are not tested.
#
# Usage: readme_in_chroot.sh [1|2]...   (default: both, in order)
# Logs: $VMIG_FRESH_LOG_DIR (default /var/tmp/vmig-fresh-logs)/readme-N.log;
# a failing command's last lines are printed.  See lib.sh for the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
fresh_require_root
repo=$(git -C "$here" rev-parse --show-toplevel)
head=$(git -C "$repo" rev-parse HEAD)
logs=${VMIG_FRESH_LOG_DIR:-/var/tmp/vmig-fresh-logs}
mkdir -p "$logs"
which=("$@")
((${#which[@]})) || which=(1 2)

fresh_traps
fresh_ensure_base

# The README's set-up commands, from the commit under test.
mapfile -t cmds < <(git -C "$repo" show "$head:README.md" |
	awk '/^```sh$/ && !seen { on = 1; seen = 1; next } on && /^```/ { exit } on { print }' | head -n 2)
[[ ${#cmds[@]} -eq 2 ]] || fresh_die "README.md: no first \`\`\`sh block with two set-up commands"
for c in "${cmds[@]}"; do
	[[ "$c" == "./scripts/install-deps.sh "* ]] ||
		fresh_die "README.md: a set-up command does not start with ./scripts/install-deps.sh: $c"
done
[[ "${cmds[1]}" == *ctest* ]] || fresh_die "README.md: the second set-up command runs no ctest: ${cmds[1]}"

# A root login's environment, nothing of this one's.
login_env=(/usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb PATH="$FRESH_PATH")

run_readme() {
	local n=$1 cmd=${cmds[$1 - 1]} root log start rc
	log=$logs/readme-$n.log
	start=$(fresh_now)
	fresh_new_root "readme-$n"
	root=$FRESH_ROOT
	fresh_mount_into "$root"
	git clone -q --no-local "$repo" "$root/root/vmig" || fresh_die "git clone $repo"
	[[ $(git -C "$root/root/vmig" rev-parse HEAD) == "$head" ]] ||
		git -C "$root/root/vmig" checkout -q --detach "$head"
	# Fresh means fresh: no compiler, none of the project's libraries.
	if fresh_chroot "$root" -- "${login_env[@]}" sh -c 'command -v cc || command -v cmake ||
		dpkg-query -W -f="\${Status}\n" libyaml-dev libcyaml-dev 2>/dev/null | grep -q "ok installed"'; then
		fresh_die "the new chroot $root is not a bare minbase"
	fi
	fresh_log "README command $n in a fresh chroot ($root, clone of ${head:0:12}): $cmd"
	rc=0
	fresh_run timeout --kill-after=30 3000 chroot "$root" "${login_env[@]}" /bin/bash -c "cd /root/vmig && $cmd" \
		</dev/null >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		echo "---- last lines of $log ----" >&2
		tail -n 80 "$log" >&2
		fresh_die "README command $n exited $rc on a fresh Debian $FRESH_SUITE (log: $log)"
	fi
	case $n in
	1)
		fresh_chroot "$root" -- "${login_env[@]}" /bin/bash -c \
			'cd /root/vmig/examples/basic && ../../build/vmig check' >>"$log" 2>&1 ||
			{
				tail -n 30 "$log" >&2
				fresh_die "after README command 1, \`vmig check\` in examples/basic did not exit 0 (log: $log)"
			}
		;;
	2)
		grep -Eq '^100% tests passed, 0 tests failed out of [1-9][0-9]*$' "$log" ||
			{
				tail -n 40 "$log" >&2
				fresh_die "README command 2: ctest did not report every test passed (log: $log)"
			}
		grep -E '^100% tests passed' "$log" >&2
		;;
	esac
	fresh_drop_root "$root" || fresh_die "could not tear down $root"
	fresh_log "ok: README command $n on a fresh Debian $FRESH_SUITE, in $(fresh_took "$start") (log: $log)"
}

total=$(fresh_now)
for n in "${which[@]}"; do
	[[ "$n" == 1 || "$n" == 2 ]] || fresh_die "usage: $0 [1|2]..."
	run_readme "$n"
done
fresh_log "ok: README set-up commands ${which[*]} on fresh systems in $(fresh_took "$total")"
