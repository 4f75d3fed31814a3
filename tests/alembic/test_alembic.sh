#!/usr/bin/env bash
# Moving the service of tests/alembic/project from Alembic to vmig, end to end,
# on a real PostgreSQL and on SQLite, against Alembic itself (Debian's 1.8.1
# under /usr/bin/python3):
#   1. reference databases built by `alembic upgrade head` (online);
#   2. `vmig import alembic`: the report names exactly the revisions that cannot
#      render offline and why, those become .sql.todo, every other revision a
#      .sql with Alembic's id, parents and message; validate fails on a .todo;
#      idempotent; a changed file is refused with nothing written; a missing
#      interpreter and one without Alembic are named;
#   3. the todos resolved by hand (tests/alembic/fixtures/DIALECT/*.sql);
#   4. `vmig up` builds the schema Alembic builds (and the data migration moves
#      the data Alembic moves); down again to where Alembic's downgrade goes;
#   5. `vmig adopt` of Alembic-migrated databases (again: nothing to do; a
#      revision no file has is refused; --alembic-table), then a new revision,
#      and Alembic still reads the database;
#   6. `--baseline`: one file from an Alembic-migrated database, the same schema
#      from it, adopt onto it; refused from a database that is not at head;
#      over TCP with a password that never shows.
# Usage: test_alembic.sh SOURCE_DIR WORK_DIR PG_DIR VMIG
#   PG_DIR: the suite's server (tests/pg/pg_harness.sh start PG_DIR).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 SOURCE_DIR WORK_DIR PG_DIR VMIG" >&2; exit 2; }
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
src=$(cd "$1" && pwd) work=$2 pgdir=$(cd "$3" && pwd) vmig=$(abs "$4")
python=/usr/bin/python3 # Debian's Alembic 1.8.1, SQLAlchemy 1.4, psycopg2
fixtures=$src/tests/alembic/fixtures
started=$(date +%s%N)
export PYTHONDONTWRITEBYTECODE=1 NO_COLOR=1
unset DATABASE_URL VMIG_CONFIG

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
cd "$work"
log=$work/log
mkdir -p "$log"

# run NAME CMD...: stdout and stderr into $log/NAME.out/.err, exit status in $rc.
run() {
	local name=$1
	shift
	if "$@" >"$log/$name.out" 2>"$log/$name.err"; then rc=0; else rc=$?; fi
}
show() { # NAME: what a run printed
	echo "---- $1: stdout" >&2
	cat "$log/$1.out" >&2
	echo "---- $1: stderr" >&2
	cat "$log/$1.err" >&2
}
# must NAME RC CMD...: run, and fail unless it exits RC.
must() {
	local name=$1 want=$2
	shift 2
	run "$name" "$@"
	if [ "$rc" -ne "$want" ]; then
		show "$name"
		fail "$name: exit $rc, expected $want: $*"
	fi
}
# has NAME out|err TEXT: that output of run NAME has a line holding TEXT.
has() {
	if ! grep -qF -- "$3" "$log/$1.$2"; then
		show "$1"
		fail "$1: no line with [$3] in its std$2"
	fi
}
same() { # WHAT FILE1 FILE2
	if ! diff -u "$2" "$3" >"$log/diff" 2>&1; then
		cat "$log/diff" >&2
		fail "$1 differ ($2 vs $3)"
	fi
}
tree_sum() { # DIR: one checksum over the names and bytes of every file
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

for tool in pg_dump psql sqlite3 "$python"; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done
"$python" -c 'import alembic, sqlalchemy, psycopg2' 2>"$log/py.err" ||
	{ cat "$log/py.err" >&2; fail "$python has no Alembic/SQLAlchemy/psycopg2 (Debian: python3-alembic python3-psycopg2)"; }
"$python" -c 'import alembic; assert alembic.__version__.startswith("1.")' ||
	fail "unexpected Alembic version"

# ------------------------------------------------------------ PostgreSQL side

for f in url port sockdir; do
	[ -f "$pgdir/$f" ] || fail "no PostgreSQL test server in $pgdir (no $f; ctest's pg_start fixture starts it, by hand: bash tests/pg/pg_harness.sh start DIR)"
done
admin_url=$(cat "$pgdir/url")
pgport=$(cat "$pgdir/port") pgsock=$(cat "$pgdir/sockdir")
prefix="alembic_$$_"
dbs=()
cleanup() {
	local d
	for d in "${dbs[@]}"; do
		psql "$admin_url" -X -q -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT
# The same URL works for libpq (vmig, psql, pg_dump) and SQLAlchemy/psycopg2
# (query parameters become connection arguments).
pg_url() { echo "postgresql:///$prefix$1?host=$pgsock&port=$pgport&user=vmig"; }
newdb() { # NAME: an empty database
	dbs+=("$prefix$1")
	bash "$src/tests/pg/pg_harness.sh" createdb "$pgdir" "$prefix$1" >/dev/null ||
		fail "createdb $prefix$1"
}
copydb() { # FROM NAME: a copy of database FROM
	dbs+=("$prefix$2")
	psql "$admin_url" -X -q -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE \"$prefix$2\" TEMPLATE \"$prefix$1\" OWNER vmig" ||
		fail "copy of $1 as $2"
}
pq() { psql "$(pg_url "$1")" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"; }
# The schema pg_dump sees, without the version tables of either tool, pg_dump's
# comments, SET lines and its \restrict guard.
pg_schema() {
	pg_dump --schema-only --no-owner --no-privileges \
		-T alembic_version -T svc_alembic_version -T vmig_version -T vmig_version_meta \
		"$(pg_url "$1")" >"$log/pg_dump.raw" || fail "pg_dump of $1"
	grep -vE '^(--|SET |SELECT pg_catalog\.set_config\(|\\(un)?restrict )' "$log/pg_dump.raw" | cat -s
}

# ------------------------------------------------------------ SQLite side

# What a fair SQLite comparison is: sqlite_master keeps each CREATE statement's
# text as it was written (RENAME only rewrites the name, ADD COLUMN splices its
# text in), so the same table built from statements in another layout differs
# in white space: Alembic online writes "col, \n\t", the imported files
# "col,\n    ".  And where Alembic's batch mode rebuilds a table on SQLite it
# writes the reflected table constraints in an order that changes from run to
# run (a Python set: the hash seed), so `alembic downgrade` itself leaves
# UNIQUE (email), UNIQUE (document_number) one time and the other order the
# next, and SQLite's automatic index names (sqlite_autoindex_users_1, _2)
# follow that order.  Neither means anything to the database.  So sq_schema
# compares each statement with white space runs made one space and a table's
# constraint clauses as a set (sorted), its columns in their order, names,
# quoting, types, defaults and everything else as written; and sq_struct what
# SQLite makes of it, exactly: columns in order (pragma table_info), indexes
# with their columns, uniqueness, origin and partialness (automatic ones named
# by their columns), foreign keys.
sq_norm_py=$work/sq_norm.py
cat >"$sq_norm_py" <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
mode = sys.argv[2]
EXCL = ("alembic_version", "svc_alembic_version", "vmig_version", "vmig_version_meta")
CONS = re.compile(r"(CONSTRAINT|PRIMARY\s+KEY|UNIQUE|FOREIGN\s+KEY|CHECK)\b", re.I)

def split_top(body):  # split at the commas outside parentheses and quotes
    parts, cur, depth, quote = [], "", 0, None
    for ch in body:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        cur += ch
    parts.append(cur.strip())
    return parts

def norm_table(sql):
    sql = " ".join(sql.split())
    i, j = sql.index("("), sql.rindex(")")
    parts = split_top(sql[i + 1:j])
    cols = [p for p in parts if not CONS.match(p)]
    cons = sorted(p for p in parts if CONS.match(p))
    return "%s ( %s | constraints: %s )%s" % (sql[:i].strip(), ", ".join(cols), ", ".join(cons), sql[j + 1:])

def q(sql, *args):
    return db.execute(sql, args).fetchall()

tables = [r[0] for r in q("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") if r[0] not in EXCL]
auto = {}  # automatic index name -> its table and columns
for t in tables:
    for _, name, unique, origin, partial in q("SELECT * FROM pragma_index_list(?)", t):
        cols = ",".join(r[0] for r in q("SELECT name FROM pragma_index_info(?) ORDER BY seqno", name))
        if name.startswith("sqlite_autoindex_"):
            auto[name] = "automatic index on %s(%s)" % (t, cols)
        if mode == "struct":
            print("index|%s|%s|unique=%s|origin=%s|partial=%s|%s" % (t, auto.get(name, name), unique, origin, partial, cols))
out = []
if mode == "schema":
    for typ, name, tbl, sql in q("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if tbl in EXCL:
            continue
        if sql is None:
            out.append("%s %s: (automatic)" % (typ, auto.get(name, name)))
        elif typ == "table":
            out.append("table %s: %s" % (name, norm_table(sql)))
        else:
            out.append("%s %s: %s" % (typ, name, " ".join(sql.split())))
else:
    for t in tables:
        for r in q("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", t):
            out.append("column|%s|%s" % (t, "|".join(map(str, r))))
        for r in q("SELECT \"table\", \"from\", \"to\", on_update, on_delete, match FROM pragma_foreign_key_list(?)", t):
            out.append("fk|%s|%s" % (t, "|".join(map(str, r))))
for line in sorted(out):
    print(line)
PY
sq_schema() { "$python" "$sq_norm_py" "$1" schema || fail "reading $1"; }
sq_struct() { "$python" "$sq_norm_py" "$1" struct | sort || fail "reading $1"; }
sq_compare() { # WHAT DB1 DB2
	sq_schema "$2" >"$log/sq1"
	sq_schema "$3" >"$log/sq2"
	same "$1: SQLite schemas (white space and the order of table constraints aside)" "$log/sq1" "$log/sq2"
	sq_struct "$2" >"$log/sq1"
	sq_struct "$3" >"$log/sq2"
	same "$1: SQLite tables, indexes and foreign keys" "$log/sq1" "$log/sq2"
}
pg_compare() { # WHAT DB1 DB2
	pg_schema "$2" >"$log/pg1"
	pg_schema "$3" >"$log/pg2"
	same "$1: pg_dump --schema-only" "$log/pg1" "$log/pg2"
}

# ------------------------------------------------------------ the project

# A copy: Alembic and the import run in it, the checkout is never written.
proj=$work/project
cp -R "$src/tests/alembic/project" "$proj"
find "$proj" -name __pycache__ -prune -exec rm -rf {} +
alembic_at() { # URL ARGS...: Alembic online, from the project's folder
	local url=$1
	shift
	echo "\$ DATABASE_URL=$url alembic $*" >>"$log/alembic.log"
	(cd "$proj" && DATABASE_URL=$url "$python" -m alembic "$@") >>"$log/alembic.log" 2>&1 ||
		{ tail -n 30 "$log/alembic.log" >&2; fail "alembic $* on $url"; }
}

# Alembic's own view of the history: id, parents, message, one line each.
"$python" - "$proj" >"$work/alembic_revisions" <<'PY'
import os, sys
from alembic.config import Config
from alembic.script import ScriptDirectory
os.chdir(sys.argv[1])
for s in ScriptDirectory.from_config(Config("alembic.ini")).walk_revisions():
    d = s.down_revision
    d = " ".join(d) if isinstance(d, (tuple, list)) else (d or "")
    print("%s|%s|%s" % (s.revision, d, s.doc))
PY
sort -o "$work/alembic_revisions" "$work/alembic_revisions"
nrev=$(wc -l <"$work/alembic_revisions")
head_rev=1b8f3e6d9c24 merge_rev=d2e4b6f80a17
[ "$nrev" -eq 8 ] || fail "the project has $nrev revisions, this test knows 8 (tests/alembic/README.md)"
grep -q "^$merge_rev|5c7e21a9d4f3 a81f0c6b3e92|" "$work/alembic_revisions" ||
	fail "the merge revision $merge_rev does not have two parents in Alembic's view"

# Test data around the data migration (7e3c9a51b2d8 lower-cases and trims
# emails): put in before it runs, read after; the same on both sides.
expected_emails=$'1|alice@example.com\n2|bob@example.com\n3|carol@example.com'
pg_data="INSERT INTO users (id, email, role, document_number) VALUES
	(1, '  Alice@Example.COM ', 'admin', 'A1'), (2, 'bob@example.com', 'owner', 'B2'),
	(3, E'\tCarol@EXAMPLE.com\n', 'tenant', 'C3');
	INSERT INTO real_estate (owner_id, address, city, postal_code) VALUES (1, '1 Main St', 'Springfield', '12345');"
sq_data="INSERT INTO users (id, email, role, document_number) VALUES
	(1, '  Alice@Example.COM ', 'admin', 'A1'), (2, 'bob@example.com', 'owner', 'B2'),
	(3, char(9) || 'Carol@EXAMPLE.com' || char(10), 'tenant', 'C3');
	INSERT INTO real_estate (owner_id, address, city, postal_code) VALUES (1, '1 Main St', 'Springfield', '12345');"
vmig_rows() { # DB: rows in vmig_version (0 when there is none)
	if [ "$(pq "$1" "SELECT to_regclass('vmig_version') IS NULL")" = t ]; then echo 0; else pq "$1" "SELECT count(*) FROM vmig_version"; fi
}
pg_emails() { pq "$1" "SELECT id, email FROM users ORDER BY id"; }
sq_emails() { sqlite3 "$1" "SELECT id, email FROM users ORDER BY id"; }

# ================================================== 1. Alembic's reference
newdb ref
ref_url=$(pg_url ref)
alembic_at "$ref_url" upgrade $merge_rev
pq ref "$pg_data"
alembic_at "$ref_url" upgrade head
[ "$(pq ref 'SELECT version_num FROM alembic_version')" = $head_rev ] || fail "Alembic did not reach $head_rev"
[ "$(pg_emails ref)" = "$expected_emails" ] || fail "Alembic's data migration: $(pg_emails ref)"
ref_db=$work/ref.db
alembic_at "sqlite:///$ref_db" upgrade $merge_rev
sqlite3 "$ref_db" "$sq_data"
alembic_at "sqlite:///$ref_db" upgrade head
[ "$(sqlite3 "$ref_db" 'SELECT version_num FROM alembic_version')" = $head_rev ] || fail "Alembic (SQLite) did not reach $head_rev"
[ "$(sq_emails "$ref_db")" = "$expected_emails" ] || fail "Alembic's data migration (SQLite): $(sq_emails "$ref_db")"
pg_schema ref >"$work/ref_pg.schema"
for want in 'CREATE TYPE public.user_role' 'CREATE TABLE public.users' 'phone character varying(32)' \
	'price numeric(12,2)' 'ADD CONSTRAINT real_estate_address_key UNIQUE (address)' \
	'CREATE INDEX ix_real_estate_owner_price' 'CREATE INDEX ix_real_estate_created_at' 'ON DELETE CASCADE'; do
	grep -qF -- "$want" "$work/ref_pg.schema" || fail "the reference schema has no [$want]: see $work/ref_pg.schema"
done
ok "1. Alembic upgrade head online: PostgreSQL and SQLite references at $head_rev"

# ================================================== 2. import
# check_import DIALECT DIR EXPECTED: EXPECTED is "rev|reason heading|sections:tags"
# per revision that cannot render (sorted); the report, the .todo files and
# their TODO tags, and every other file's header against Alembic's view.
import_ms_total=0
check_import() {
	local dialect=$1 dir=$2 expected=$3 name=import_$1 t0 ms ntodo
	ntodo=$(printf '%s\n' "$expected" | grep -c .)
	t0=$(date +%s%N)
	# No DATABASE_URL: the project's settings raise without it, so this also
	# shows that its env.py is never run.
	must "$name" 0 env -u DATABASE_URL "$vmig" import alembic "$proj" -d "$dialect://" \
		--python "$python" --dir "$dir"
	ms=$(ms_since "$t0")
	import_ms_total=$((import_ms_total + ms))
	has "$name" out "import: $nrev Alembic revision(s) into $dir: $nrev file(s) written, 0 unchanged, 0 resolved by hand, $ntodo need a person (.sql.todo)"
	# The report: "  HEADING:" then "    REV  FILE" then "      DETAIL" lines.
	awk '
		/^needs a person/ { on = 1; next }
		/^next:/ { on = 0 }
		on && /^  [^ ]/ { h = $0; sub(/^  /, "", h); next }
		on && /^    [^ ]/ { rev = $1; print "R|" rev "|" $2 "|" h; next }
		on && /^      / { d = $0; sub(/^ +/, "", d); print "D|" rev "|" d }
	' "$log/$name.out" >"$log/$name.report"
	local got="" line rev heading tags file secs want_secs
	while IFS='|' read -r rev heading tags; do
		[ -n "$rev" ] || continue
		line=$(grep "^R|$rev|" "$log/$name.report" || true)
		[ -n "$line" ] || { show "$name"; fail "$dialect: the report does not name $rev"; }
		file=$(echo "$line" | cut -d'|' -f3)
		[[ "$file" == "${rev}_"*.sql.todo ]] || fail "$dialect: the report names $file for $rev"
		[ -f "$dir/$file" ] || fail "$dialect: $file is in the report, not in $dir"
		echo "$line" | cut -d'|' -f4- | grep -qF -- "$heading" ||
			{ show "$name"; fail "$dialect: $rev is not under a heading with [$heading]"; }
		# The TODO tags in the file, by section: "up:reads_database,down:...".
		got=$(awk '
			$0 == "-- vmig:up" { s = "up" } $0 == "-- vmig:down" { s = "down" }
			s != "" && match($0, /^-- TODO \([a-z_]+\)/) { t = substr($0, 10, RLENGTH - 10); print s ":" t }
		' "$dir/$file" | sort | paste -sd, -)
		want_secs=$(echo "$tags" | tr ',' '\n' | sort | paste -sd, -)
		[ "$got" = "$want_secs" ] || { cat "$dir/$file" >&2; fail "$dialect: $file has TODO tags [$got], expected [$want_secs]"; }
		# The detail names the same directions (upgrade/downgrade).
		secs=$(grep "^D|$rev|" "$log/$name.report" | cut -d'|' -f3- |
			grep -oE '(^|; )(upgrade|downgrade): ' | sed -E 's/^; //; s/grade: $//' | sort -u | paste -sd, -)
		want_secs=$(echo "$tags" | tr ',' '\n' | sed 's/:.*//' | sort -u | paste -sd, -)
		[ "$secs" = "$want_secs" ] || { show "$name"; fail "$dialect: the report's reasons for $rev name [$secs], expected [$want_secs]"; }
	done <<<"$expected"
	# Nothing else in the report.
	got=$(grep '^R|' "$log/$name.report" | cut -d'|' -f2 | sort | paste -sd' ' -)
	[ "$got" = "$(printf '%s\n' "$expected" | cut -d'|' -f1 | sort | paste -sd' ' -)" ] ||
		{ show "$name"; fail "$dialect: the report names [$got]"; }
	# One file per Alembic revision: .sql.todo exactly for those, .sql for the rest.
	local n=0 f ext
	for f in "$dir"/*; do
		n=$((n + 1))
		f=${f##*/}
		rev=${f%%_*}
		grep -q "^$rev|" "$work/alembic_revisions" || fail "$dialect: $f is no Alembic revision"
		if printf '%s\n' "$expected" | grep -q "^$rev|"; then ext=.sql.todo; else ext=.sql; fi
		[[ "$f" == *"$ext" && "$f" != *.sql.todo.* ]] || fail "$dialect: $f, expected a $ext file for $rev"
		[[ "$ext" == .sql.todo || "$f" != *.todo ]] || fail "$dialect: $f"
	done
	[ "$n" -eq "$nrev" ] || fail "$dialect: $n files in $dir, expected $nrev: $(ls "$dir")"
	# Their headers: Alembic's id, parents and message.
	for f in "$dir"/*; do
		awk '
			/^-- vmig:revision / { r = $0; sub(/^-- vmig:revision /, "", r) }
			/^-- vmig:down_revision/ { p = $0; sub(/^-- vmig:down_revision ?/, "", p) }
			/^-- vmig:message / { m = $0; sub(/^-- vmig:message /, "", m) }
			/^-- vmig:up/ { exit }
			END { print r "|" p "|" m }
		' "$f"
	done | sort >"$log/$name.headers"
	same "$dialect: the revisions' ids, parents and messages (Alembic's, the imported files')" \
		"$work/alembic_revisions" "$log/$name.headers"
	# A history with a .todo does not validate, naming one.
	must "validate_$dialect" 2 "$vmig" validate --dir "$dir"
	grep -qE "$dir/[0-9a-f]{12}_[a-z0-9_]+\.sql\.todo" "$log/validate_$dialect.err" ||
		{ show "validate_$dialect"; fail "$dialect: validate does not name a .sql.todo file"; }
	echo "   $dialect: import of $nrev revisions in $ms ms (vmig: $(grep -oE '\([0-9]+ ms\)$' "$log/$name.out" | head -1)):" \
		"$((nrev - ntodo)) .sql, $ntodo .sql.todo ($(printf '%s\n' "$expected" | cut -d'|' -f1,3 | paste -sd' ' -))"
}

migs_pg=$work/migrations_pg migs_sq=$work/migrations_sqlite
# Which revisions cannot render offline, and why: tests/alembic/README.md.
check_import postgresql "$migs_pg" \
	"7e3c9a51b2d8|reads the database|up:reads_database
c49d2f7a6e01|a constraint without a name|down:unnamed_constraint"
check_import sqlite "$migs_sq" \
	"5c7e21a9d4f3|reads the database|down:reads_database
7e3c9a51b2d8|reads the database|up:reads_database
c49d2f7a6e01|reads the database|up:reads_database,down:reads_database"
# What rendered is kept beside the reason (the unique constraint's upgrade).
grep -qx 'ALTER TABLE real_estate ADD UNIQUE (address);' "$migs_pg"/c49d2f7a6e01_*.sql.todo ||
	fail "c49d2f7a6e01.sql.todo lost the upgrade that rendered"
grep -qx 'CREATE INDEX CONCURRENTLY ix_real_estate_owner_price ON real_estate (owner_id, price);' \
	"$migs_pg"/${head_rev}_*.sql || fail "the CONCURRENTLY index did not render"
grep -qx -- '-- vmig:transaction off' "$migs_pg"/${head_rev}_*.sql || fail "$head_rev is not transaction off"
grep -qx -- '-- vmig:down_revision 5c7e21a9d4f3 a81f0c6b3e92' "$migs_pg"/${merge_rev}_*.sql ||
	fail "the merge revision lost a parent"

# Again: byte-identical, exit 0.
for d in postgresql:"$migs_pg" sqlite:"$migs_sq"; do
	dialect=${d%%:*} dir=${d#*:}
	sum=$(tree_sum "$dir")
	must "reimport_$dialect" 0 "$vmig" import alembic "$proj" -d "$dialect://" --python "$python" --dir "$dir"
	has "reimport_$dialect" out "0 file(s) written, $nrev unchanged"
	[ "$(tree_sum "$dir")" = "$sum" ] || fail "$dialect: the second import changed files"
done
# A file that differs by one byte: exit 2 naming it, nothing written (not even
# a missing file), in both orders (the changed file first, or the missing one).
sum=$(tree_sum "$migs_pg")
cp -R "$migs_pg" "$work/migs_pg.orig"
for pair in "3f2a9c1e7b10:$head_rev" "$head_rev:3f2a9c1e7b10"; do
	changed=$(echo "$migs_pg/${pair%%:*}"_*.sql) removed=$(echo "$migs_pg/${pair##*:}"_*.sql)
	[ -f "$changed" ] && [ -f "$removed" ] || fail "no files for $pair"
	at=$(grep -b -o -m1 'CREATE' "$changed" | cut -d: -f1)
	printf 'K' | dd of="$changed" bs=1 seek="$at" conv=notrunc status=none
	cp "$changed" "$work/changed.copy"
	rm "$removed"
	after=$(tree_sum "$migs_pg")
	must "import_changed" 2 "$vmig" import alembic "$proj" -d postgresql:// --python "$python" --dir "$migs_pg"
	has "import_changed" err "$changed"
	[ ! -e "$removed" ] || fail "the refused import wrote $removed"
	cmp -s "$changed" "$work/changed.copy" || fail "the refused import overwrote $changed"
	[ "$(tree_sum "$migs_pg")" = "$after" ] || fail "the refused import changed files"
	rm -rf "$migs_pg" && cp -R "$work/migs_pg.orig" "$migs_pg"
done
[ "$(tree_sum "$migs_pg")" = "$sum" ] || fail "restoring $migs_pg"
# The interpreter: missing, or without Alembic.
run import_nopython "$vmig" import alembic "$proj" -d postgresql:// --python /nonexistent/python3 --dir "$work/none"
[ "$rc" -ne 0 ] || { show import_nopython; fail "an import with --python /nonexistent/python3 exited 0"; }
has "import_nopython" err "/nonexistent/python3"
[ ! -e "$work/none" ] || fail "an import without an interpreter created $work/none"
bare=$work/bare-python3
printf '#!/bin/sh\n# Python without site or dist-packages: no Alembic.\nexec %s -I -S "$@"\n' "$python" >"$bare"
chmod +x "$bare"
"$bare" -c 'import sys, sqlite3' || fail "$bare does not run"
if "$bare" -c 'import alembic' 2>/dev/null; then fail "$bare still imports Alembic (-S does not hide it here)"; fi
must "import_bare" 1 "$vmig" import alembic "$proj" -d postgresql:// --python "$bare" --dir "$work/none"
has "import_bare" err "$bare"
has "import_bare" err "Alembic"
[ ! -e "$work/none" ] || fail "an import without Alembic created $work/none"
# No URL: the dialect is missing, said so (exit 2).
must "import_nourl" 2 env -u DATABASE_URL "$vmig" import alembic "$proj" --python "$python" --dir "$work/none"
has "import_nourl" err "-d postgresql://"
[ ! -e "$work/none" ] || fail "an import without a dialect created $work/none"
ok "2. import: the report names exactly the revisions that cannot render and why, those are .sql.todo, the rest Alembic's ids/parents/messages; validate exit 2; idempotent; a changed file refused (exit 2), nothing written; a missing interpreter named (non-zero), one without Alembic named (exit 1); no dialect (exit 2)"

# ================================================== 3. the todos, by hand
resolve() { # DIALECT DIR
	local f todo n=0
	for f in "$fixtures/$1"/*.sql; do
		todo=$2/$(basename "$f").todo
		[ -f "$todo" ] || fail "$1: the fixture $(basename "$f") has no .sql.todo to resolve (the project changed?)"
		# The header as imported (id, parents, message, source file).
		same "$1: $(basename "$f"): header of the fixture and of the .todo" \
			<(grep -E '^-- (vmig:(revision|down_revision|message)|Imported from)' "$todo") \
			<(grep -E '^-- (vmig:(revision|down_revision|message)|Imported from)' "$f")
		cp "$f" "$2/"
		rm "$todo"
		n=$((n + 1))
	done
	! ls "$2"/*.todo >/dev/null 2>&1 || fail "$1: .todo files without a fixture: $(ls "$2"/*.todo)"
	must "validate_resolved_$1" 0 "$vmig" validate --dir "$2"
	has "validate_resolved_$1" out "$nrev revision(s), head $head_rev"
	sum=$(tree_sum "$2")
	must "import_resolved_$1" 0 "$vmig" import alembic "$proj" -d "$1://" --python "$python" --dir "$2"
	has "import_resolved_$1" out "0 file(s) written, $((nrev - n)) unchanged, $n resolved by hand, 0 need a person"
	[ "$(tree_sum "$2")" = "$sum" ] || fail "$1: an import after the todos were resolved changed files"
}
resolve postgresql "$migs_pg"
resolve sqlite "$migs_sq"
ok "3. todos resolved by hand from tests/alembic/fixtures: validate exit 0; importing again keeps them"

# ================================================== 4. the same schema
newdb vm
vm_url=$(pg_url vm)
must up_pg_1 0 "$vmig" up $merge_rev -d "$vm_url" --dir "$migs_pg"
pq vm "$pg_data"
must up_pg 0 "$vmig" up -d "$vm_url" --dir "$migs_pg"
must check_pg 0 "$vmig" check -d "$vm_url" --dir "$migs_pg"
pg_compare "vmig up vs alembic upgrade head (PostgreSQL)" ref vm
[ "$(pg_emails vm)" = "$expected_emails" ] || fail "the hand-written data migration (PostgreSQL): $(pg_emails vm)"
pq vm "SELECT revision, parents, message, checksum, down_sql, transactional FROM vmig_version ORDER BY revision" >"$work/vm_pg.rows"
vm_db=$work/vm.db
must up_sq_1 0 "$vmig" up $merge_rev -d "sqlite:///$vm_db" --dir "$migs_sq"
sqlite3 "$vm_db" "$sq_data"
must up_sq 0 "$vmig" up -d "sqlite:///$vm_db" --dir "$migs_sq"
must check_sq 0 "$vmig" check -d "sqlite:///$vm_db" --dir "$migs_sq"
sq_compare "vmig up vs alembic upgrade head" "$ref_db" "$vm_db"
[ "$(sq_emails "$vm_db")" = "$expected_emails" ] || fail "the hand-written data migration (SQLite): $(sq_emails "$vm_db")"
[ "$(sqlite3 "$vm_db" 'SELECT count(*) FROM real_estate')" = 1 ] || fail "the SQLite rebuild of real_estate lost its rows"
# Down again, through the hand-written downgrades, to where Alembic's go.
copydb ref refdown
ref_db_down=$work/refdown.db
cp "$ref_db" "$ref_db_down"
for target in 9b41d07e2c55 base; do
	alembic_at "$(pg_url refdown)" downgrade $target
	must "down_pg_$target" 0 "$vmig" down $target -d "$vm_url" --dir "$migs_pg"
	pg_compare "vmig down $target vs alembic downgrade $target (PostgreSQL)" refdown vm
	alembic_at "sqlite:///$ref_db_down" downgrade $target
	must "down_sq_$target" 0 "$vmig" down $target -d "sqlite:///$vm_db" --dir "$migs_sq"
	sq_compare "vmig down $target vs alembic downgrade $target" "$ref_db_down" "$vm_db"
done
[ -z "$(pg_schema vm)" ] || fail "vmig down base left objects: $(pg_schema vm)"
[ -z "$(sq_schema "$vm_db")" ] || fail "vmig down base left objects (SQLite): $(sq_schema "$vm_db")"
ok "4. vmig up builds Alembic's schema (pg_dump --schema-only; SQLite schema and pragmas) and moves the data the same; down to 9b41d07e2c55 and base as Alembic"

# ================================================== 5. adopt
copydb ref ad
ad_url=$(pg_url ad)
pg_schema ad >"$log/ad.before"
av_before=$(pq ad "SELECT version_num FROM alembic_version ORDER BY 1")
must adopt 0 "$vmig" adopt -d "$ad_url" --dir "$migs_pg"
must adopt_check 0 "$vmig" check -d "$ad_url" --dir "$migs_pg"
[ "$(pq ad "SELECT version_num FROM alembic_version ORDER BY 1")" = "$av_before" ] ||
	fail "adopt changed alembic_version"
pg_schema ad >"$log/ad.after"
same "the schema before and after adopt (it runs no migration SQL)" "$log/ad.before" "$log/ad.after"
[ "$(pq ad "SELECT count(*) FROM vmig_version")" = "$nrev" ] || fail "adopt recorded $(pq ad "SELECT count(*) FROM vmig_version") revisions"
pq ad "SELECT revision, parents, message, checksum, down_sql, transactional FROM vmig_version ORDER BY revision" >"$work/ad_pg.rows"
same "the rows adopt records and those vmig up records" "$work/vm_pg.rows" "$work/ad_pg.rows"
pq ad "SELECT * FROM vmig_version ORDER BY revision" >"$log/ad.rows1"
must adopt_again 0 "$vmig" adopt -d "$ad_url" --dir "$migs_pg"
grep -qF 'nothing to do' "$log/adopt_again.out" "$log/adopt_again.err" ||
	{ show adopt_again; fail "adopt again does not say nothing to do"; }
pq ad "SELECT * FROM vmig_version ORDER BY revision" >"$log/ad.rows2"
same "vmig_version before and after a second adopt" "$log/ad.rows1" "$log/ad.rows2"
# The first revision after the switch.
migs_new=$work/migrations_new
cp -R "$migs_pg" "$migs_new"
must new 0 "$vmig" new "add column" --dir "$migs_new"
newfile=$(tail -n 1 "$log/new.out")
[ -f "$newfile" ] || { show new; fail "vmig new printed no file"; }
grep -qx -- "-- vmig:down_revision $head_rev" "$newfile" || { cat "$newfile" >&2; fail "the new revision's parent is not $head_rev"; }
newrev=$(sed -n 's/^-- vmig:revision //p' "$newfile")
awk '{ print } $0 == "-- vmig:up" { print "ALTER TABLE users ADD COLUMN nickname text;" }
	$0 == "-- vmig:down" { print "ALTER TABLE users DROP COLUMN nickname;" }' "$newfile" >"$work/new.sql"
mv "$work/new.sql" "$newfile"
must up_new 0 "$vmig" up -d "$ad_url" --dir "$migs_new"
has up_new err "$newrev"
[ "$(pq ad "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'")" = 1 ] ||
	fail "vmig up did not add users.nickname"
must check_new 0 "$vmig" check -d "$ad_url" --dir "$migs_new"
# The Alembic-based release still reads the database (the way back).
alembic_at "$ad_url" current
tail -n 3 "$log/alembic.log" | grep -qx "$head_rev (head)" || { tail -n 5 "$log/alembic.log" >&2; fail "alembic current after the switch"; }
# Refused: a revision in alembic_version that no file has.
copydb ref bad
pq bad "UPDATE alembic_version SET version_num = 'deadbeef0000'"
must adopt_bad 2 "$vmig" adopt -d "$(pg_url bad)" --dir "$migs_pg"
has adopt_bad err deadbeef0000
[ "$(vmig_rows bad)" = 0 ] ||
	fail "the refused adopt wrote rows"
# --alembic-table: the table under another name (and with its schema).
copydb ref cu
pq cu "ALTER TABLE alembic_version RENAME TO svc_alembic_version"
run adopt_notable "$vmig" adopt -d "$(pg_url cu)" --dir "$migs_pg"
[ "$rc" -ne 0 ] || { show adopt_notable; fail "adopt without alembic_version exited 0"; }
has adopt_notable err alembic_version
[ "$(vmig_rows cu)" = 0 ] ||
	fail "the adopt without alembic_version wrote rows"
must adopt_custom 0 "$vmig" adopt -d "$(pg_url cu)" --dir "$migs_pg" --alembic-table svc_alembic_version
must adopt_custom_check 0 "$vmig" check -d "$(pg_url cu)" --dir "$migs_pg"
must adopt_custom_again 0 "$vmig" adopt -d "$(pg_url cu)" --dir "$migs_pg" --alembic-table public.svc_alembic_version
grep -qF 'nothing to do' "$log/adopt_custom_again.out" "$log/adopt_custom_again.err" ||
	{ show adopt_custom_again; fail "adopt --alembic-table public.svc_alembic_version again: not nothing to do"; }
[ "$(pq cu "SELECT version_num FROM svc_alembic_version")" = $head_rev ] || fail "adopt changed svc_alembic_version"
# A database that Alembic left behind head, on two branches (alembic_version
# has two rows): adopt records both and their ancestors, check says behind
# (exit 3), vmig up finishes it to Alembic's schema.  alembic_version stays
# where Alembic left it (see the report: the Alembic-based image then runs the
# revisions vmig applied again).
copydb ref branches
alembic_at "$(pg_url branches)" downgrade 5c7e21a9d4f3
[ "$(pq branches "SELECT string_agg(version_num, ' ' ORDER BY version_num) FROM alembic_version")" = "5c7e21a9d4f3 a81f0c6b3e92" ] ||
	fail "Alembic did not leave two heads"
must adopt_branches 0 "$vmig" adopt -d "$(pg_url branches)" --dir "$migs_pg"
[ "$(pq branches "SELECT string_agg(revision, ' ' ORDER BY revision) FROM vmig_version")" = "3f2a9c1e7b10 5c7e21a9d4f3 9b41d07e2c55 a81f0c6b3e92" ] ||
	fail "adopt of two heads recorded: $(pq branches "SELECT string_agg(revision, ' ' ORDER BY revision) FROM vmig_version")"
must current_branches 0 "$vmig" current -d "$(pg_url branches)" --dir "$migs_pg"
has current_branches out 5c7e21a9d4f3
has current_branches out a81f0c6b3e92
must check_branches 3 "$vmig" check -d "$(pg_url branches)" --dir "$migs_pg"
must up_branches 0 "$vmig" up -d "$(pg_url branches)" --dir "$migs_pg"
must check_branches_up 0 "$vmig" check -d "$(pg_url branches)" --dir "$migs_pg"
pg_compare "adopt of a database behind head + vmig up vs alembic upgrade head" ref branches
[ "$(pq branches "SELECT count(*) FROM alembic_version")" = 2 ] || fail "vmig changed alembic_version"
# SQLite.
ad_db=$work/ad.db
cp "$ref_db" "$ad_db"
must adopt_sq 0 "$vmig" adopt -d "sqlite:///$ad_db" --dir "$migs_sq"
must adopt_sq_check 0 "$vmig" check -d "sqlite:///$ad_db" --dir "$migs_sq"
must adopt_sq_again 0 "$vmig" adopt -d "sqlite:///$ad_db" --dir "$migs_sq"
grep -qF 'nothing to do' "$log/adopt_sq_again.out" "$log/adopt_sq_again.err" ||
	{ show adopt_sq_again; fail "SQLite: adopt again does not say nothing to do"; }
[ "$(sqlite3 "$ad_db" 'SELECT count(*) FROM vmig_version')" = "$nrev" ] || fail "SQLite: adopt rows"
[ "$(sqlite3 "$ad_db" 'SELECT version_num FROM alembic_version')" = $head_rev ] || fail "SQLite: adopt changed alembic_version"
ok "5. adopt: check exit 0, alembic_version kept, no SQL run, the rows vmig up writes; again nothing to do; vmig new + up after it, alembic current still works; unknown revision refused (exit 2, nothing written); --alembic-table; two heads behind head adopted and brought up; SQLite"

# ================================================== 6. baseline
bl_pg=$work/baseline_pg bl_sq=$work/baseline_sqlite
t0=$(date +%s%N)
must baseline_pg 0 "$vmig" import alembic "$proj" --baseline "$ref_url" --dir "$bl_pg" --python "$python"
baseline_ms=$(ms_since "$t0")
[ "$(ls "$bl_pg")" = "${head_rev}_baseline.sql" ] || fail "baseline files: $(ls "$bl_pg")"
must baseline_validate 0 "$vmig" validate --dir "$bl_pg"
newdb bl
must baseline_up 0 "$vmig" up -d "$(pg_url bl)" --dir "$bl_pg"
pg_compare "vmig up of the baseline vs alembic upgrade head (PostgreSQL)" ref bl
copydb ref abl
must baseline_adopt 0 "$vmig" adopt -d "$(pg_url abl)" --dir "$bl_pg"
must baseline_check 0 "$vmig" check -d "$(pg_url abl)" --dir "$bl_pg"
sum=$(tree_sum "$bl_pg")
must baseline_again 0 "$vmig" import alembic "$proj" --baseline "$ref_url" --dir "$bl_pg" --python "$python"
[ "$(tree_sum "$bl_pg")" = "$sum" ] || fail "the second baseline import changed the file"
must baseline_sq 0 "$vmig" import alembic "$proj" --baseline "sqlite:///$ref_db" --dir "$bl_sq" --python "$python"
[ "$(ls "$bl_sq")" = "${head_rev}_baseline.sql" ] || fail "SQLite baseline files: $(ls "$bl_sq")"
bl_db=$work/bl.db
must baseline_sq_up 0 "$vmig" up -d "sqlite:///$bl_db" --dir "$bl_sq"
sq_compare "vmig up of the baseline vs alembic upgrade head" "$ref_db" "$bl_db"
abl_db=$work/abl.db
cp "$ref_db" "$abl_db"
must baseline_sq_adopt 0 "$vmig" adopt -d "sqlite:///$abl_db" --dir "$bl_sq"
must baseline_sq_check 0 "$vmig" check -d "sqlite:///$abl_db" --dir "$bl_sq"
# Not at head: refused, naming where it is.
copydb ref behind
alembic_at "$(pg_url behind)" downgrade -1
run baseline_behind "$vmig" import alembic "$proj" --baseline "$(pg_url behind)" --dir "$work/bl_behind" --python "$python"
[ "$rc" -ne 0 ] || { show baseline_behind; fail "a baseline from a database behind head exited 0"; }
has baseline_behind err "c49d2f7a6e01"
has baseline_behind err "$head_rev"
[ ! -e "$work/bl_behind" ] || fail "the refused baseline wrote $work/bl_behind"
cp "$ref_db" "$work/behind.db"
alembic_at "sqlite:///$work/behind.db" downgrade -1
run baseline_sq_behind "$vmig" import alembic "$proj" --baseline "sqlite:///$work/behind.db" --dir "$work/bl_behind" --python "$python"
[ "$rc" -ne 0 ] || { show baseline_sq_behind; fail "SQLite: a baseline from a database behind head exited 0"; }
has baseline_sq_behind err "c49d2f7a6e01"
[ ! -e "$work/bl_behind" ] || fail "the refused SQLite baseline wrote $work/bl_behind"
# Over TCP with a password: it reaches pg_dump, and appears nowhere.
pw_base=$(cat "$pgdir/url_pw")
password=${pw_base#*://*:} password=${password%%@*}
[ -n "$password" ] && [ "$password" != "$pw_base" ] || fail "no password in $pgdir/url_pw"
pw_user=${pw_base#*://} pw_user=${pw_user%%:*}
copydb ref pw
pq pw "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $pw_user"
pw_url="${pw_base%/*}/${prefix}pw"
must baseline_pw 0 "$vmig" import alembic "$proj" --baseline "$pw_url" --dir "$work/bl_pw" --python "$python"
cmp -s "$work/bl_pw/${head_rev}_baseline.sql" "$bl_pg/${head_rev}_baseline.sql" ||
	{ diff "$work/bl_pw/${head_rev}_baseline.sql" "$bl_pg/${head_rev}_baseline.sql" >&2; fail "the baseline over TCP with a password differs"; }
pq pw "UPDATE alembic_version SET version_num = 'c49d2f7a6e01'"
run baseline_pw_behind "$vmig" import alembic "$proj" --baseline "$pw_url" --dir "$work/bl_pw2" --python "$python"
[ "$rc" -ne 0 ] || { show baseline_pw_behind; fail "a baseline from a database behind head exited 0"; }
has baseline_pw_behind err "${pw_user}:***@"
if grep -rqF -- "$password" "$log"/baseline_pw* "$work/bl_pw"; then
	grep -rF -- "$password" "$log"/baseline_pw* "$work/bl_pw" >&2
	fail "the password appears in the output or the file"
fi
# No pg_dump on PATH (the interpreter named in full, so that only pg_dump is missing).
run baseline_no_pg_dump env PATH=/nonexistent "$vmig" import alembic "$proj" --baseline "$ref_url" \
	--dir "$work/bl_nodump" --python "$python"
[ "$rc" -eq 1 ] || { show baseline_no_pg_dump; fail "a baseline without pg_dump: exit $rc, expected 1"; }
has baseline_no_pg_dump err "pg_dump is not on PATH"
[ ! -e "$work/bl_nodump" ] || fail "the baseline without pg_dump wrote $work/bl_nodump"
# A pg_dump older than the server: what PostgreSQL's pg_dump says then, from
# a stand-in first on PATH (the suite has one server version only).
mkdir -p "$work/old_pg_dump"
cat >"$work/old_pg_dump/pg_dump" <<'SH'
#!/bin/sh
echo "pg_dump: error: aborting because of server version mismatch" >&2
echo "pg_dump: detail: server version: 99.0; pg_dump version: 15.0" >&2
exit 1
SH
chmod +x "$work/old_pg_dump/pg_dump"
run baseline_old_pg_dump env PATH="$work/old_pg_dump:$PATH" "$vmig" import alembic "$proj" \
	--baseline "$ref_url" --dir "$work/bl_olddump" --python "$python"
[ "$rc" -eq 1 ] || { show baseline_old_pg_dump; fail "a baseline with an old pg_dump: exit $rc, expected 1"; }
has baseline_old_pg_dump err "pg_dump is older than the server"
has baseline_old_pg_dump err "server version: 99.0"
[ ! -e "$work/bl_olddump" ] || fail "the baseline with an old pg_dump wrote $work/bl_olddump"
ok "6. baseline: one file ${head_rev}_baseline.sql ($baseline_ms ms), vmig up gives Alembic's schema, adopt + check; idempotent; SQLite; refused from a database behind head; a password over TCP never shown; no pg_dump, or one older than the server: a clear error"

echo "counts: $nrev Alembic revisions imported per dialect; todos: PostgreSQL 2 (7e3c9a51b2d8 up reads_database, c49d2f7a6e01 down unnamed_constraint), SQLite 3 (5c7e21a9d4f3 down, 7e3c9a51b2d8 up, c49d2f7a6e01 up+down: reads_database); imports $import_ms_total ms (both dialects)"
echo "test_alembic: all passed in $(ms_since "$started") ms"
