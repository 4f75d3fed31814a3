#!/usr/bin/env bash
# Offline SQL (`--sql`, SPEC "Offline SQL"): a script applied with psql or
# sqlite3 does what the online run does.
#
# For PostgreSQL and for SQLite, each on a migrations set of its own
# (tests/offline/{pg,sqlite}/migrations: dollar-quoted function bodies, a DO
# block and plpgsql triggers on PostgreSQL, CREATE TRIGGER ... BEGIN ...; END;
# and literals holding ; and $$ on SQLite, a `transaction off` revision
# (CREATE INDEX CONCURRENTLY on PostgreSQL), a branch (one file of it in a
# subfolder) and its merge, a last statement without ; and a file without a
# final newline, messages with quotes and backslashes, and on PostgreSQL a
# revision that sets search_path for the session; in the project's copy one
# file gets CRLF line ends, one lone CRs and one a byte-order mark), every
# case goes:
#   - databases A and B are brought to FROM online (`vmig up` of FROM's ids);
#   - `vmig CMD --sql [FROM:]TO -d DIALECT://` writes the script; it is
#     checked (a comment per revision with its id, message and file, in the
#     order the online run applies them; PostgreSQL: the advisory lock taken and
#     released; the `transaction off` SQL outside every BEGIN ... COMMIT;
#     --single-transaction: one BEGIN ... COMMIT for all), then applied to A
#     with `psql -v ON_ERROR_STOP=1 -f` / `sqlite3 -bail`;
#   - `vmig CMD TO` runs online on B;
#   - PostgreSQL: the psql session that ran the script holds no advisory lock
#     at its end;
#   - A and B then have the same schema (pg_dump --schema-only / .schema), the
#     same data in the project's tables, the same version-table rows (times
#     aside) and meta rows, the same `vmig current`, the same `vmig check`
#     status (0 where TO is head); and online `vmig up TO` on A has nothing to
#     do and changes nothing.
# The cases: up base:head; up FROM:TO in mid-history across the transaction-off
# revision; up from two heads (comma-separated) to their merge and to head;
# up --single-transaction and transaction_per_migration: false; down FROM:TO
# across the merge and the transaction-off revision; down from two heads;
# relative targets (+N, -N), heads, another branch, nothing to do;
# stamp forwards and backwards (Alembic's rule); a configured version table
# (and, on PostgreSQL, version_table_schema);
# and failures (a revision that fails, per revision and in one transaction, and
# a failing transaction-off revision left in progress): psql/sqlite3 stop where
# the online run stops, leaving the same rows and schema.
# Also: --sql connects to nothing (a listener on a loopback port sees no
# connection; an SQLite file is not created), the script holds no password or
# URL, no URL is exit 2, a bad FROM or TO is exit 2 with nothing on standard
# output (so are relative targets that the online rules refuse, and
# --single-transaction over a transaction-off revision), and the script's lock
# is the online runs' lock (an online run times out while a psql session holds
# the script's lock; default table, configured table, configured schema).
#
# Usage: test_offline_sql.sh SOURCE_DIR WORK_DIR PG_DIR VMIG
set -euo pipefail
src=$1 work=$2 pgdir=$3 vmig=$4
# fail, ok, vmig_run, show, expect_status
. "$src/tests/support/vmig_run.sh"

unset DATABASE_URL VMIG_CONFIG VMIG_DRIVER_DIR PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
export NO_COLOR=1
export PATH=/usr/lib/postgresql/15/bin:$PATH
[ -x "$vmig" ] || fail "no vmig at $vmig"
vmig=$(cd "$(dirname "$vmig")" && pwd)/$(basename "$vmig")
for tool in psql pg_dump sqlite3 /usr/bin/python3; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[ -f "$pgdir/url" ] || fail "no PostgreSQL test server in $pgdir (start one: bash tests/pg/pg_harness.sh start $pgdir)"
pg_admin_url=$(cat "$pgdir/url")
psql -X -q -At -d "$pg_admin_url" -c 'SELECT 1' >/dev/null || fail "the PostgreSQL test server of $pgdir does not answer"

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
listener_pid=
holder_pid=
cleanup() {
	[ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null || true
	[ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null || true
}
trap cleanup EXIT

# ---------------------------------------------------------------- helpers

# run NAME ARGS...: vmig ARGS in the project folder; output in $work/NAME.{out,err}, status in $st.
run() {
	local name=$1
	shift
	vmig_run "$name" "$proj" "$@"
}
same() {
	local a=$1 b=$2 what=$3
	if ! diff -u "$a" "$b" >"$work/diff" 2>&1; then
		cat "$work/diff" >&2
		fail "$what: $(basename "$a") and $(basename "$b") differ (diff above)"
	fi
}

# A revision file's lines: LF line ends, no byte-order mark.
file_lines() {
	sed -e 's/\r$//' "$1" | tr '\r' '\n' | sed -e $'1s/^\xef\xbb\xbf//'
}
# The revision file of ID in the current project, relative to it; and its message.
rev_file() {
	local f
	while IFS= read -r f; do
		if file_lines "$proj/$f" | grep -qxF -- "-- vmig:revision $1"; then
			echo "$f"
			return
		fi
	done < <(cd "$proj" && find migrations -name '*.sql' | sort)
	fail "no file for revision $1"
}
rev_message() {
	local f
	f=$(rev_file "$1") || exit 1
	file_lines "$proj/$f" | sed -n 's/^-- vmig:message //p'
}

# ---------------------------------------------------------------- per dialect

# PostgreSQL
pg_newdb() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d "$pg_admin_url" \
		-c "DROP DATABASE IF EXISTS \"$1\"" >/dev/null
	bash "$src/tests/pg/pg_harness.sh" createdb "$pgdir" "$1"
}
# (then, in the same session: no advisory lock may be left held)
pg_apply() { # URL SCRIPT LOG
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" -f "$work/pg-no-lock-left.sql" >"$3" 2>&1
}
pg_sql() { # URL SQL
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
pg_snapshot() { # URL OUT [nodata]: OUT.schema, OUT.data, OUT.rows
	local url=$1 out=$2 nodata=${3:-} db
	db=${url#postgresql:///}
	db=${db%%\?*}
	pg_dump --schema-only -d "$url" | grep -v -e '^\\restrict' -e '^\\unrestrict' | grep -vF -- "$db" >"$out.schema" ||
		fail "pg_dump --schema-only of $db"
	if [ -z "$nodata" ]; then
		pg_dump --data-only --exclude-table="${vts:-public}.$vt" --exclude-table="${vts:-public}.${vt}_meta" -d "$url" |
			grep -v -e '^\\restrict' -e '^\\unrestrict' | grep -vF -- "$db" >"$out.data" ||
			fail "pg_dump --data-only of $db"
	fi
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" \
		-c "SELECT revision, parents, message, checksum, checksum_version, down_sql, state, transactional, seq FROM $(pg_vt) ORDER BY seq" \
		-c "SELECT key, value FROM $(pg_vt _meta) ORDER BY key" >"$out.rows" 2>&1 ||
		{ cat "$out.rows" >&2; fail "reading $vt of $db"; }
}
# The version table's name in SQL (PostgreSQL; vts: version_table_schema): pg_vt [SUFFIX]
pg_vt() {
	if [ -n "$vts" ]; then
		echo "\"$vts\".\"$vt${1:-}\""
	else
		echo "\"$vt${1:-}\""
	fi
}
pg_revisions() { # URL: the applied ids, by seq
	pg_sql "$1" "SELECT revision FROM $(pg_vt) ORDER BY seq" 2>/dev/null || true
}

# SQLite
sq_path() { echo "${1#sqlite:///}"; }
sq_newdb() {
	rm -f "$work/sqlite/$1.db"
	echo "sqlite:///$work/sqlite/$1.db"
}
sq_apply() {
	sqlite3 -bail "$(sq_path "$1")" <"$2" >"$3" 2>&1
}
sq_sql() {
	sqlite3 -bail "$(sq_path "$1")" "$2"
}
sq_snapshot() {
	local db t
	db=$(sq_path "$1")
	sqlite3 -bail "$db" .schema >"$2.schema" || fail "sqlite3 .schema of $db"
	: >"$2.data"
	for t in $(sqlite3 -bail "$db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('$vt', '${vt}_meta') ORDER BY name"); do
		{
			echo "-- $t"
			sqlite3 -bail "$db" ".mode quote" "SELECT * FROM \"$t\" ORDER BY rowid"
		} >>"$2.data" || fail "reading table $t of $db"
	done
	sqlite3 -bail "$db" ".mode quote" \
		"SELECT revision, parents, message, checksum, checksum_version, down_sql, state, transactional, seq FROM \"$vt\" ORDER BY seq" \
		"SELECT key, value FROM \"${vt}_meta\" ORDER BY key" >"$2.rows" 2>&1 ||
		{ cat "$2.rows" >&2; fail "reading $vt of $db"; }
}
sq_revisions() {
	sqlite3 -bail "$(sq_path "$1")" "SELECT revision FROM \"$vt\" ORDER BY seq" 2>/dev/null || true
}

use_dialect() {
	dialect=$1
	case $dialect in
	pg)
		newdb() { pg_newdb "$@"; }
		apply() { pg_apply "$@"; }
		rawsql() { pg_sql "$@"; }
		snapshot() { pg_snapshot "$@"; }
		revisions() { pg_revisions "$@"; }
		dialect_url=postgresql://
		# the transaction-off revision's up and down SQL, as it stands in the
		# script (its down SQL also stands, quoted, in its bookkeeping row)
		offre_up='^CREATE (UNIQUE )?INDEX CONCURRENTLY'
		offre_down='^DROP INDEX CONCURRENTLY'
		;;
	sqlite)
		newdb() { sq_newdb "$@"; }
		apply() { sq_apply "$@"; }
		rawsql() { sq_sql "$@"; }
		snapshot() { sq_snapshot "$@"; }
		revisions() { sq_revisions "$@"; }
		dialect_url=sqlite://
		offre_up="^CREATE (UNIQUE )?INDEX (accounts_name_idx|audit_op_idx)|^INSERT INTO audit [(]op, account[)] VALUES [(]'no transaction'"
		offre_down="^DROP INDEX (audit_op_idx|accounts_name_idx)|^DELETE FROM audit WHERE op = 'no transaction'"
		mkdir -p "$work/sqlite"
		;;
	esac
}

# Checks of a script's text. check_script SCRIPT NAME OFFLINE(yes|no) SINGLE(yes|no) NOTHING(yes|no)
check_script() {
	local script=$1 name=$2 off=$3 single=$4 nothing=$5 n
	[ -s "$script" ] || fail "$name: the script is empty"
	if [ "$nothing" = yes ]; then
		# as online: nothing pending, so no lock and no transaction
		if grep -qE '^(BEGIN|COMMIT|INSERT|UPDATE|DELETE|CREATE)' "$script"; then
			show "$script"
			fail "$name: a script with nothing to do does something"
		fi
	elif [ "$dialect" = pg ]; then
		grep -q 'pg_advisory_lock' "$script" || { show "$script"; fail "$name: the script does not take pg_advisory_lock"; }
		grep -q 'pg_advisory_unlock' "$script" || { show "$script"; fail "$name: the script does not release the lock (pg_advisory_unlock)"; }
		[ "$(grep -n 'pg_advisory_lock' "$script" | head -n1 | cut -d: -f1)" -lt \
			"$(grep -n 'pg_advisory_unlock' "$script" | tail -n1 | cut -d: -f1)" ] ||
			fail "$name: the lock is released before it is taken"
	fi
	# BEGIN ... COMMIT balanced, never nested; the transaction-off SQL outside.
	awk -v offre="$off_pattern" -v name="$name" '
		function bad(m) { print name ": line " NR ": " m ": " $0 > "/dev/stderr"; err = 1 }
		/^[ \t]*(BEGIN|BEGIN IMMEDIATE|START TRANSACTION)[ \t]*;[ \t]*$/ { if (tx) bad("BEGIN inside a transaction"); tx = 1; begins++; next }
		/^[ \t]*(COMMIT|END TRANSACTION)[ \t]*;[ \t]*$/ { if (!tx) bad("COMMIT outside a transaction"); tx = 0; next }
		offre != "" && $0 ~ offre { offs++; if (tx) bad("transaction-off SQL inside BEGIN ... COMMIT") }
		END { if (tx) bad("a transaction left open at the end"); print (begins + 0) " " (offs + 0); exit err }
	' "$script" >"$work/$name.txcount" || { show "$script"; fail "$name: transactions in the script (above)"; }
	read -r n offs_seen <"$work/$name.txcount"
	if [ "$off" = yes ] && [ "$offs_seen" -eq 0 ]; then
		show "$script"
		fail "$name: the transaction-off revision's SQL is not in the script"
	fi
	if [ "$single" = yes ] && [ "$n" -ne 1 ]; then
		show "$script"
		fail "$name: --single-transaction script has $n BEGINs, expected 1"
	fi
	if grep -q -e 'postgresql://' -e 'postgres://' -e 'sqlite:///' -e 'secretpw' "$script"; then
		show "$script"
		fail "$name: a URL or password in the script"
	fi
}

# Each id of $2 (in that order) has a comment in the script naming it, its
# message and its file, in that order of lines.
check_comments() {
	local script=$1 ids=$2 ordered=$3 name=$4 id msg file line last=0
	for id in $ids; do
		msg=$(rev_message "$id")
		file=$(rev_file "$id")
		line=$(grep -n -- '^--' "$script" | grep -F -- "$msg" | grep -F -- "$file" | grep -E -- "[^A-Za-z0-9_]$id([^A-Za-z0-9_]|\$)" |
			head -n1 | cut -d: -f1 || true)
		[ -n "$line" ] || { show "$script"; fail "$name: no comment naming $id, '$msg' and $file"; }
		if [ "$ordered" = yes ]; then
			[ "$line" -gt "$last" ] || { show "$script"; fail "$name: $id's comment (line $line) is not after the previous revision's (line $last): online order differs"; }
			last=$line
		fi
	done
}

# case_run KEY=VALUE...
#   name     the case's name
#   cmd      up | down | stamp
#   range    the --sql argument ([FROM:]TO); empty: none
#   from     the online up targets that bring a database to FROM ("" = base)
#   target   the online command's target (TO)
#   conf     options for every vmig run of the case (-c FILE)
#   extra    options for both the script and the online command
#   init     SQL run on the new databases A and B before anything
#   pre      SQL run on A and B at FROM before (to make a revision fail)
#   again    the target of the later online up (default: target)
#   src_rc   psql / sqlite3 status: ok | fail
#   on_rc    the online command's status
#   off      yes when the range holds the transaction-off revision
#   single   yes when the script must be one transaction
#   head     yes when TO is the head
#   nothing  yes when there is nothing to do
case_run() {
	local name="" cmd="" range="" from="" target="" conf="" extra="" init="" pre="" again="" src_rc=ok on_rc=0 off=no single=no head=no nothing=no kv
	for kv in "$@"; do
		case $kv in
		name=* | cmd=* | range=* | from=* | target=* | conf=* | extra=* | init=* | pre=* | again=* | src_rc=* | on_rc=* | off=* | single=* | head=* | nothing=*)
			local "$kv" ;;
		*) fail "case_run: bad argument $kv" ;;
		esac
	done
	name="$dialect-$name"
	local db=${name//-/_} t urlA urlB script=$work/$name.sql
	urlA=$(newdb "${db}_a") && urlB=$(newdb "${db}_b") || fail "$name: creating the databases"
	if [ -n "$init" ]; then
		rawsql "$urlA" "$init" >/dev/null && rawsql "$urlB" "$init" >/dev/null || fail "$name: preparing the new databases"
	fi
	[ -n "$again" ] || again=$target
	# A and B at FROM, online
	for t in $from; do
		run "$name-from-a-$t" -d "$urlA" $conf up "$t"
		expect_status 0 "$name-from-a-$t"
		run "$name-from-b-$t" -d "$urlB" $conf up "$t"
		expect_status 0 "$name-from-b-$t"
	done
	if [ -n "$pre" ]; then
		rawsql "$urlA" "$pre" >/dev/null && rawsql "$urlB" "$pre" >/dev/null || fail "$name: preparing the databases"
	fi
	revisions "$urlB" >"$work/$name.before"
	# the script, applied to A
	run "$name-script" -d "$dialect_url" $conf $extra "$cmd" --sql ${range:+"$range"}
	expect_status 0 "$name-script"
	cp "$work/$name-script.out" "$script"
	case $cmd in
	up) off_pattern=$offre_up ;;
	down) off_pattern=$offre_down ;;
	*) off_pattern="" ;;
	esac
	check_script "$script" "$name" "$off" "$single" "$nothing"
	set +e
	apply "$urlA" "$script" "$work/$name.apply.log"
	local ast=$?
	set -e
	if [ "$src_rc" = ok ] && [ "$ast" != 0 ]; then
		show "$script" "$work/$name.apply.log"
		fail "$name: applying the script to a database at FROM failed (status $ast; script and output above)"
	fi
	if [ "$src_rc" = fail ] && [ "$ast" = 0 ]; then
		show "$script" "$work/$name.apply.log"
		fail "$name: the script ran to its end where the online run fails"
	fi
	# the online run on B
	run "$name-online" -d "$urlB" $conf $extra "$cmd" ${target:+"$target"}
	expect_status "$on_rc" "$name-online"
	revisions "$urlB" >"$work/$name.after"
	# the same state
	snapshot "$urlA" "$work/$name.A"
	snapshot "$urlB" "$work/$name.B"
	same "$work/$name.A.schema" "$work/$name.B.schema" "$name: schema after the script (A) vs online $cmd (B)"
	same "$work/$name.A.data" "$work/$name.B.data" "$name: the tables' rows after the script (A) vs online $cmd (B)"
	same "$work/$name.A.rows" "$work/$name.B.rows" "$name: version rows after the script (A) vs online $cmd (B)"
	# the revision comments, in the online run's order (up: the rows B gained)
	if [ "$src_rc" = ok ]; then
		case $cmd in
		up) check_comments "$script" "$(grep -vxF -f "$work/$name.before" "$work/$name.after" || true)" yes "$name" ;;
		down) check_comments "$script" "$(grep -vxF -f "$work/$name.after" "$work/$name.before" || true)" no "$name" ;;
		esac
	fi
	run "$name-current-a" -d "$urlA" $conf current
	run "$name-current-b" -d "$urlB" $conf current
	same "$work/$name-current-a.out" "$work/$name-current-b.out" "$name: vmig current"
	run "$name-check-a" -d "$urlA" $conf check
	local cst=$st
	run "$name-check-b" -d "$urlB" $conf check
	[ "$cst" = "$st" ] || { show "$work/$name-check-a.out" "$work/$name-check-a.err"; fail "$name: vmig check exits $cst after the script, $st after the online run"; }
	if [ "$head" = yes ] && [ "$src_rc" = ok ]; then
		[ "$cst" = 0 ] || { show "$work/$name-check-a.out" "$work/$name-check-a.err"; fail "$name: vmig check exits $cst after the script, expected 0"; }
	fi
	if [ "$src_rc" = ok ]; then
		# online up TO has nothing to do
		run "$name-up-again" -d "$urlA" $conf up ${again:+"$again"}
		expect_status 0 "$name-up-again"
		grep -q 'nothing to do' "$work/$name-up-again.err" ||
			{ show "$work/$name-up-again.err"; fail "$name: online up ${again:-head} after the script did something"; }
		snapshot "$urlA" "$work/$name.A2" nodata
		same "$work/$name.A.schema" "$work/$name.A2.schema" "$name: schema changed by up after the script"
		same "$work/$name.A.rows" "$work/$name.A2.rows" "$name: version rows changed by up after the script"
	else
		# what a later online run does is the same on both
		run "$name-up-again-a" -d "$urlA" $conf up ${again:+"$again"}
		local ust=$st
		run "$name-up-again-b" -d "$urlB" $conf up ${again:+"$again"}
		[ "$ust" = "$st" ] || fail "$name: a later online up exits $ust after the failed script, $st after the failed online run"
	fi
	ok "$name: $cmd --sql ${conf:+$conf }${extra:+$extra }${range:-(no range)} == online $cmd ${target:-} ($(wc -l <"$script") lines)"
}

# The cases common to both dialects; the revisions are ${P}01 ... ${P}06 (P: p or s),
# 03 being `transaction off`, 04a and 04b branches of 03 merged by 05.
cases() {
	local P=$1
	case_run name=up-base-head cmd=up range= from= target= off=yes head=yes
	case_run name=up-base-explicit cmd=up range="base:head" from= target=head off=yes head=yes
	case_run name=up-mid cmd=up range="${P}01:${P}04a" from="${P}01" target="${P}04a" off=yes
	case_run name=up-prefix cmd=up range="${P}02:${P}06" from="${P}02" target="${P}06" off=yes head=yes
	case_run name=up-two-heads-merge cmd=up range="${P}04a, ${P}04b:${P}05" from="${P}04a ${P}04b" target="${P}05"
	case_run name=up-two-heads-head cmd=up range="${P}04a,${P}04b:head" from="${P}04a ${P}04b" target=head head=yes
	case_run name=up-single-tx cmd=up range="${P}03:head" from="${P}03" target=head extra=--single-transaction single=yes head=yes
	case_run name=up-single-tx-two-heads cmd=up range="${P}04a,${P}04b:head" from="${P}04a ${P}04b" target=head extra=--single-transaction single=yes head=yes
	case_run name=up-relative cmd=up range="${P}01:+2" from="${P}01" target=+2 again="${P}03" off=yes
	case_run name=up-relative-base cmd=up range="+1" from= target=+1 again="${P}01"
	case_run name=up-heads cmd=up range="${P}04a,${P}04b:heads" from="${P}04a ${P}04b" target=heads head=yes
	case_run name=up-other-branch cmd=up range="${P}04a:${P}04b" from="${P}04a" target="${P}04b"
	case_run name=up-nothing cmd=up range="${P}02:${P}01" from="${P}02" target="${P}01" nothing=yes
	case_run name=down-relative cmd=down range="head:-1" from=head target=-1 again="${P}05"
	case_run name=down-head-02 cmd=down range="head:${P}02" from=head target="${P}02" off=yes
	case_run name=down-head-base cmd=down range="head:base" from=head target=base off=yes
	case_run name=down-two-heads cmd=down range="${P}04a,${P}04b:${P}03" from="${P}04a ${P}04b" target="${P}03"
	case_run name=down-one-branch cmd=down range="head:${P}04a" from=head target="${P}04a"
	case_run name=down-single-tx cmd=down range="head:${P}03" from=head target="${P}03" extra=--single-transaction single=yes
	case_run name=stamp-forward cmd=stamp range="${P}01:head" from="${P}01" target=head head=yes
	case_run name=stamp-base-head cmd=stamp range="head" from= target=head head=yes
	case_run name=stamp-back cmd=stamp range="head:${P}04a" from=head target="${P}04a"
	case_run name=stamp-base cmd=stamp range="head:base" from=head target=base
	case_run name=stamp-two-heads cmd=stamp range="${P}04a,${P}04b:${P}05" from="${P}04a ${P}04b" target="${P}05"
	# failures stop where the online run stops
	case_run name=fail-per-revision cmd=up range="${P}03:head" from="${P}03" target=head \
		pre="CREATE TABLE summary (x integer)" src_rc=fail on_rc=1
	case_run name=fail-single-tx cmd=up range="${P}03:head" from="${P}03" target=head extra=--single-transaction \
		pre="CREATE TABLE summary (x integer)" src_rc=fail on_rc=1 single=yes
	case_run name=fail-transaction-off cmd=up range="${P}02:${P}04a" from="${P}02" target="${P}04a" off=yes \
		pre="CREATE INDEX accounts_name_idx ON accounts (id)" src_rc=fail on_rc=1
}

# A second project: the same migrations, a configured version table (and in
# onetx.yaml transaction_per_migration: false).
config_cases() {
	local P=$1 base=$proj
	proj=$work/proj-$dialect-config
	mkdir -p "$proj"
	cp -r "$base/migrations" "$proj/"
	printf 'version_table: ops_history\n' >"$proj/vmig.yaml"
	printf 'version_table: ops_history\ntransaction_per_migration: false\n' >"$proj/onetx.yaml"
	vt=ops_history
	case_run name=config-up-base-head cmd=up range= from= target= off=yes head=yes
	case_run name=config-down cmd=down range="head:${P}02" from=head target="${P}02" off=yes
	case_run name=config-onetx cmd=up range="${P}03:head" from="${P}03" target=head extra="-c onetx.yaml" single=yes head=yes
	grep -q ops_history "$work/$dialect-config-up-base-head.sql" || fail "the configured version table is not in the script"
	if grep -q '"vmig_version' "$work/$dialect-config-up-base-head.sql"; then
		fail "$dialect: the script of a project whose version table is ops_history names vmig_version"
	fi
	if [ "$dialect" = pg ]; then
		printf 'version_table: ops_history\nversion_table_schema: ops\n' >"$proj/schema.yaml"
		vts=ops
		case_run name=config-schema-up cmd=up range= from= target= conf="-c schema.yaml" init="CREATE SCHEMA ops" off=yes head=yes
		case_run name=config-schema-down cmd=down range="head:${P}02" from=head target="${P}02" conf="-c schema.yaml" init="CREATE SCHEMA ops" off=yes
		grep -q '"ops"."ops_history"' "$work/pg-config-schema-up.sql" || fail "the configured schema is not in the script"
		vts=
	fi
	vt=vmig_version
	proj=$base
}

# Bad input: exit 2 and nothing on standard output.
bad_input() {
	local P=$1 r
	for r in "nosuch" "nosuch:head" "${P}01:nosuch" "${P}0:head" "${P}04:head" "${P}01,nosuch:head"; do
		run "$dialect-bad-up" -d "$dialect_url" up --sql "$r"
		expect_status 2 "$dialect-bad-up"
		[ ! -s "$work/$dialect-bad-up.out" ] || { show "$work/$dialect-bad-up.out"; fail "$dialect: up --sql $r printed a script"; }
	done
	run "$dialect-bad-down" -d "$dialect_url" down --sql "${P}02"
	expect_status 2 "$dialect-bad-down"
	[ ! -s "$work/$dialect-bad-down.out" ] || fail "$dialect: down --sql without FROM printed a script"
	run "$dialect-bad-down2" -d "$dialect_url" down --sql "nosuch:${P}02"
	expect_status 2 "$dialect-bad-down2"
	run "$dialect-bad-stamp" -d "$dialect_url" stamp --sql "${P}01:nosuch"
	expect_status 2 "$dialect-bad-stamp"
	# relative targets follow the online rules (two heads: which one?)
	run "$dialect-bad-rel" -d "$dialect_url" down --sql "${P}04a,${P}04b:-1"
	expect_status 2 "$dialect-bad-rel"
	run "$dialect-bad-rel2" -d "$dialect_url" down --sql "${P}05:-2"
	expect_status 2 "$dialect-bad-rel2"
	# as online: a transaction-off revision cannot be part of one transaction
	run "$dialect-bad-single" -d "$dialect_url" up --sql --single-transaction "${P}02:head"
	expect_status 2 "$dialect-bad-single"
	[ ! -s "$work/$dialect-bad-single.out" ] || fail "$dialect: up --sql --single-transaction over a transaction-off revision printed a script"
	grep -q "${P}03" "$work/$dialect-bad-single.err" || { show "$work/$dialect-bad-single.err"; fail "$dialect: the refusal does not name ${P}03"; }
	ok "$dialect: unknown, ambiguous and missing FROM/TO are exit 2, no script"
}

# The project of a dialect: its migrations, one file (04b, in a subfolder)
# with CRLF line ends, one (02) with lone CRs, and one (01) with a byte-order
# mark (05 has no ; after its last statements and no newline at its end).
prepare_project() {
	local P=$1 f
	proj=$work/proj-$dialect
	mkdir -p "$proj"
	cp -r "$src/tests/offline/$dialect/migrations" "$proj/"
	f=$(echo "$proj"/migrations/branch_b/"${P}"04b_*.sql)
	sed -i 's/$/\r/' "$f"
	f=$(echo "$proj"/migrations/"${P}"02_*.sql)
	tr '\n' '\r' <"$f" >"$f.cr" && mv "$f.cr" "$f"
	f=$(echo "$proj"/migrations/"${P}"01_*.sql)
	{ printf '\357\273\277'; cat "$f"; } >"$f.bom" && mv "$f.bom" "$f"
	run "$dialect-validate" validate
	expect_status 0 "$dialect-validate"
}

# The script's lock is the online runs' lock: while psql holds it (the script's
# own lock statement), an online run with lock_timeout: 1 gives up (exit 1).
# lock_same LABEL CONFIG_LINES [SQL to prepare the database]
lock_same() {
	local label=$1 config=$2 prep=${3:-} lockurl lock_stmt n
	printf '%s\n' "$config" >"$work/lock-$label.yaml"
	run "pg-lockscript-$label" -c "$work/lock-$label.yaml" -d postgresql:// up --sql
	expect_status 0 "pg-lockscript-$label"
	lock_stmt=$(grep -m1 'pg_advisory_lock' "$work/pg-lockscript-$label.out")
	lockurl=$(newdb "off_pg_lock_$label")
	[ -z "$prep" ] || pg_sql "$lockurl" "$prep" >/dev/null
	printf '%s\nSELECT pg_catalog.pg_sleep(30);\n' "$lock_stmt" >"$work/pg-lock-hold-$label.sql"
	psql -X -q -v ON_ERROR_STOP=1 -d "$lockurl" -f "$work/pg-lock-hold-$label.sql" >"$work/pg-lock-hold-$label.log" 2>&1 &
	holder_pid=$!
	for _ in $(seq 200); do
		n=$(pg_sql "$lockurl" "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted")
		[ "$n" = 1 ] && break
		sleep 0.05
	done
	[ "$n" = 1 ] || { show "$work/pg-lock-hold-$label.log"; fail "$label: psql did not take the script's lock"; }
	run "pg-lock-online-$label" -c "$work/lock-$label.yaml" -d "$lockurl" up
	expect_status 1 "pg-lock-online-$label"
	grep -qi lock "$work/pg-lock-online-$label.err" || { show "$work/pg-lock-online-$label.err"; fail "$label: the online run did not fail on the lock"; }
	pg_sql "$lockurl" "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = 'off_pg_lock_$label' AND pid <> pg_catalog.pg_backend_pid()" >/dev/null
	wait "$holder_pid" 2>/dev/null || true
	holder_pid=
	run "pg-lock-online2-$label" -c "$work/lock-$label.yaml" -d "$lockurl" up
	expect_status 0 "pg-lock-online2-$label"
	ok "pg: the script's advisory lock is the online runs' lock ($label: online up times out while psql holds it)"
}

# ================================================================ PostgreSQL

vt=vmig_version
vts=
use_dialect pg
prepare_project p
cat >"$work/pg-no-lock-left.sql" <<'SQL'
DO $check$ BEGIN
IF EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid()) THEN
	RAISE EXCEPTION 'test_offline_sql: the script ended with its advisory lock still held by the session';
END IF;
END $check$;
SQL

# No connection: a listener on a free loopback port logs every connection.
cat >"$work/listener.py" <<'PY'
import os, socket, sys
port_file, log_file = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
open(log_file, "w").close()
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    c, addr = s.accept()
    with open(log_file, "a") as f:
        f.write("connection from %s:%d\n" % addr)
    c.close()
PY
/usr/bin/python3 "$work/listener.py" "$work/listener.port" "$work/listener.log" &
listener_pid=$!
for _ in $(seq 100); do
	[ -s "$work/listener.port" ] && break
	sleep 0.05
done
[ -s "$work/listener.port" ] || fail "the listener did not start"
lport=$(cat "$work/listener.port")
for spec in "up|postgresql://u:secretpw@127.0.0.1:$lport/db|" \
	"up|postgresql+asyncpg://u:secretpw@127.0.0.1:$lport/db?sslmode=require|p01:head" \
	"down|postgres://u:secretpw@127.0.0.1:$lport/db|head:p01" \
	"stamp|postgresql://u:secretpw@127.0.0.1:$lport/db|p02:head"; do
	IFS='|' read -r c u r <<<"$spec"
	run pg-noconn -d "$u" "$c" --sql ${r:+"$r"}
	expect_status 0 pg-noconn
	[ -s "$work/pg-noconn.out" ] || fail "$c --sql -d $u: empty script"
	if grep -q -e secretpw -e "127.0.0.1" -e ":$lport" "$work/pg-noconn.out"; then
		grep -n -e secretpw -e "127.0.0.1" -e ":$lport" "$work/pg-noconn.out" >&2
		fail "$c --sql: the password or URL is in the script"
	fi
	grep -qF -- "$u" "$work/pg-noconn.out" && fail "$c --sql: the URL is in the script"
	grep -q secretpw "$work/pg-noconn.err" && { show "$work/pg-noconn.err"; fail "$c --sql: the password on standard error"; }
	grep -q 'pg_advisory_lock' "$work/pg-noconn.out" || fail "$c --sql: no pg_advisory_lock"
	grep -q 'pg_advisory_unlock' "$work/pg-noconn.out" || fail "$c --sql: no pg_advisory_unlock"
done
sleep 0.2
[ ! -s "$work/listener.log" ] || { cat "$work/listener.log" >&2; fail "--sql connected to the URL's server"; }
# the listener does see a connection (so an empty log means something)
(exec 3<>"/dev/tcp/127.0.0.1/$lport") || fail "cannot connect to the listener"
for _ in $(seq 100); do
	[ -s "$work/listener.log" ] && break
	sleep 0.05
done
[ "$(wc -l <"$work/listener.log")" = 1 ] || fail "the listener did not log the probe connection"
kill "$listener_pid" 2>/dev/null || true
wait "$listener_pid" 2>/dev/null || true
listener_pid=
ok "pg: up/down/stamp --sql -d postgresql://u:secretpw@127.0.0.1:$lport/db: exit 0, a script, no connection, no password or URL in it"

# No URL at all: exit 2, nothing printed.
run pg-nourl up --sql
expect_status 2 pg-nourl
[ ! -s "$work/pg-nourl.out" ] || fail "up --sql without a URL printed a script"
run pg-nourl-head up --sql head
expect_status 2 pg-nourl-head
ok "up --sql with no URL: exit 2"

bad_input p

lock_same default "lock_timeout: 1"
lock_same table "$(printf 'lock_timeout: 1\nversion_table: ops_history')"
lock_same schema "$(printf 'lock_timeout: 1\nversion_table_schema: ops')" "CREATE SCHEMA ops"

cases p
config_cases p

# ================================================================ SQLite

use_dialect sqlite
prepare_project s

run sqlite-noconn -d "sqlite:///$work/sqlite/never.db" up --sql
expect_status 0 sqlite-noconn
[ -s "$work/sqlite-noconn.out" ] || fail "sqlite: up --sql wrote an empty script"
[ ! -e "$work/sqlite/never.db" ] || fail "sqlite: up --sql created the database file"
grep -q "never.db" "$work/sqlite-noconn.out" && fail "sqlite: the script names the database file"
ok "sqlite: up --sql -d sqlite:///never.db creates no file, names none"

bad_input s
cases s
config_cases s

echo "$passed passed, 0 failed ($((SECONDS - started)) s)"
