#!/usr/bin/env bash
# The import's reasons, one revision each (tests/alembic/edge): an argument
# Alembic ignores with a warning, a downgrade that raises on purpose, a plugin
# operation, a module that cannot be imported; branch labels and depends_on
# reported; the project's env.py (which raises) never run; the interpreter
# named when it is missing or has no Alembic.  Both dialects, twice each.
# Usage: test_alembic_edge.sh SOURCE_DIR WORK_DIR VMIG
set -euo pipefail
src=$1 work=$2 vmig=$3
project=$src/tests/alembic/edge
python=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cd "$work"

expect_line() { # FILE TEXT: a line of FILE holds TEXT
	grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "no line with [$2] in $1"; }
}

for dialect in postgresql sqlite; do
	dir=$work/$dialect
	"$vmig" import alembic "$project" -d "$dialect://" --python "$python" --dir "$dir" \
		>"$work/$dialect.out" 2>"$work/$dialect.err" ||
		{ cat "$work/$dialect.err" >&2; fail "$dialect: import exited non-zero"; }
	out=$work/$dialect.out
	expect_line "$out" "import: 5 Alembic revision(s) into $dir: 5 file(s) written, 0 unchanged, 0 resolved by hand, 4 need a person"
	# Each reason's heading, then its revision and file on the next line.
	for pair in "Alembic warned while rendering:e2b000000002" \
		"raises on purpose:e3c000000003" \
		"an operation from outside Alembic:e4d000000004" \
		"could not be imported:e5e000000005"; do
		title=${pair%%:*} rev=${pair##*:}
		grep -A1 -F "$title" "$out" | grep -q "^    $rev  ${rev}_.*\.sql\.todo$" ||
			{ cat "$out" >&2; fail "$dialect: $rev is not listed under [$title]"; }
	done
	expect_line "$out" "SAWarning: Can't validate argument 'if_not_exists'"
	expect_line "$out" "NotImplementedError: deleted rows cannot come back"
	expect_line "$out" "e1a000000001: branch labels core"
	expect_line "$out" "e3c000000003: depends_on e1a000000001"
	files=$(cd "$dir" && ls | tr '\n' ' ')
	[ "$files" = "e1a000000001_core_table.sql e2b000000002_index_if_not_exists.sql.todo e3c000000003_irreversible.sql.todo e4d000000004_plugin_view.sql.todo e5e000000005_missing_module.sql.todo " ] ||
		fail "$dialect: files written: $files"
	# What did render is kept, with the reason beside it.
	grep -q '^CREATE INDEX ix_things_id ON things (id);$' "$dir"/e2b000000002_*.todo ||
		fail "$dialect: the warned revision lost the SQL that rendered"
	grep -q '^-- TODO (warning)' "$dir"/e2b000000002_*.todo || fail "$dialect: no TODO line"
	grep -q '^-- Alembic branch labels (vmig has none; use the id): core$' "$dir"/e1a000000001_*.sql ||
		fail "$dialect: branch labels not kept as a comment"
	# A history with a .todo does not validate.
	if "$vmig" validate --dir "$dir" 2>"$work/validate.err"; then fail "$dialect: validate passed"; fi
	expect_line "$work/validate.err" ".sql.todo: an imported revision"
	# Again: byte-identical, nothing written.
	sum1=$(cd "$dir" && cat * | sha256sum)
	"$vmig" import alembic "$project" -d "$dialect://" --python "$python" --dir "$dir" >"$out"
	expect_line "$out" "0 file(s) written, 5 unchanged"
	[ "$sum1" = "$(cd "$dir" && cat * | sha256sum)" ] || fail "$dialect: the second import changed files"
	# A checkout with CRLF line ends and an editor's trailing blanks is no
	# change either (the checksum's rule); a real edit is.
	sed -i 's/$/  \r/' "$dir"/*
	"$vmig" import alembic "$project" -d "$dialect://" --python "$python" --dir "$dir" >"$out" ||
		fail "$dialect: the import refused a CRLF checkout of its own files"
	expect_line "$out" "0 file(s) written, 5 unchanged"
	echo "SELECT 1;" >>"$dir"/e1a000000001_core_table.sql
	if "$vmig" import alembic "$project" -d "$dialect://" --python "$python" --dir "$dir" \
		>"$out" 2>"$work/err"; then
		fail "$dialect: an edited file was overwritten"
	fi
	expect_line "$work/err" "e1a000000001_core_table.sql differs"
	echo "ok: $dialect: 1 revision imported, 4 .sql.todo with their reasons, idempotent"
done

# The interpreter is named when it is not there, or has no Alembic.
if "$vmig" import alembic "$project" -d sqlite:// --python /nonexistent/python3 --dir "$work/x" 2>"$work/err"; then
	fail "a missing interpreter was accepted"
fi
expect_line "$work/err" 'no Python interpreter "/nonexistent/python3"'
cat >"$work/bare-python" <<SH
#!/bin/sh
# Python without its site packages: no Alembic.
exec $python -I -S "\$@"
SH
chmod +x "$work/bare-python"
set +e
"$vmig" import alembic "$project" -d sqlite:// --python "$work/bare-python" --dir "$work/x" 2>"$work/err"
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$work/err" >&2; fail "Python without Alembic: exit $rc, expected 1"; }
expect_line "$work/err" "the Python interpreter \"$work/bare-python\" cannot import Alembic"
[ ! -e "$work/x" ] || fail "a failed import wrote files"
# Not an Alembic project: exit 2, naming the folder.
set +e
"$vmig" import alembic "$work" -d sqlite:// --python "$python" --dir "$work/x" 2>"$work/err"
rc=$?
set -e
[ $rc -eq 2 ] || { cat "$work/err" >&2; fail "not a project: exit $rc, expected 2"; }
expect_line "$work/err" "$work"
echo "ok: missing interpreter, interpreter without Alembic, and a folder that is no project are refused"
