# vmig_run.sh - sourced by the shell tests, right after they read their
# arguments: passing and failing checks with the closing count line, and what
# a vmig run left in $work/NAME.out and NAME.err with its exit status $st.
passed=0
started=$SECONDS

# fail MESSAGE: the failure and the count line; exits 1.
fail() {
	echo "FAIL: $*" >&2
	echo "$passed passed, 1 failed ($((SECONDS - started)) s)" >&2
	exit 1
}
# ok MESSAGE: one check passed.
ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}

# vmig_run NAME DIR ARGS...: vmig ($vmig) ARGS in DIR; its output in
# $work/NAME.out and NAME.err, its exit status in $st.
vmig_run() {
	local name=$1 dir=$2
	shift 2
	set +e
	(cd "$dir" && "$vmig" "$@" >"$work/$name.out" 2>"$work/$name.err")
	st=$?
	set -e
}
# show FILE...: each file's name and contents, on standard error.
show() {
	local f
	for f in "$@"; do
		echo "---- $(basename "$f")" >&2
		cat "$f" >&2 || true
	done
}
# expect_status WANT NAME: the run NAME exited WANT, else its output and a failure.
expect_status() {
	local want=$1 name=$2
	if [ "$st" != "$want" ]; then
		show "$work/$name.out" "$work/$name.err"
		fail "$name: vmig exited $st, expected $want"
	fi
}
