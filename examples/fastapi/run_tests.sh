#!/usr/bin/env bash
# The FastAPI example's tests, as CI runs them, against the suite's throwaway
# PostgreSQL server (tests/pg/pg_harness.sh):
#   - the migrations validate;
#   - the packages that dockerfiles/app.Dockerfile installs are the ones
#     installed here (the image runs what the tests ran);
#   - pytest (Debian's /usr/bin/python3), each test on a database of its own
#     from `vmig testdb new`, dropped after it; `vmig testdb gc` at the end;
#   - afterwards only the current template is left on the server (a stale
#     one made beforehand is gone), and after `vmig testdb gc --all` nothing;
#   - the example's folder holds no cache or bytecode afterwards.
# Usage: run_tests.sh SOURCE_DIR WORK_DIR PG_DIR VMIG
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 SOURCE_DIR WORK_DIR PG_DIR VMIG" >&2; exit 2; }
src=$(cd "$1" && pwd) work=$2 pgdir=$3 vmig=$4
example=$src/examples/fastapi
python=/usr/bin/python3
base_db=app_test
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work"
[[ -x $python ]] || fail "$python is missing (scripts/install-deps.sh installs it)"
$python -c 'import fastapi, sqlalchemy, asyncpg, httpx, pytest, pytest_asyncio' 2>"$work/import.err" ||
	fail "$python lacks the example's modules (scripts/install-deps.sh): $(tail -n 1 "$work/import.err")"

pkgs=$(sed -n '/apt-get install/,/&&/p' "$example/dockerfiles/app.Dockerfile" |
	tr ' \\' '\n\n' | grep -E '^python3-[a-z0-9.+-]+$' || true)
[[ -n $pkgs ]] || fail "no python3-* packages found in dockerfiles/app.Dockerfile"
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		fail "dockerfiles/app.Dockerfile installs $p, which the tests do not run with (not installed here)"
done
echo "ok: app.Dockerfile's packages are the tested ones: $(echo $pkgs)"

"$vmig" --dir "$example/migrations" validate || fail "vmig validate on the example's migrations"

port=$(cat "$pgdir/port")
admin_url=$(cat "$pgdir/url")
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$admin_url" "$@"; }
# A base database left by an earlier run on the same server goes first.
psql_admin -c "DROP DATABASE IF EXISTS $base_db" 2>/dev/null || true
bash "$src/tests/pg/pg_harness.sh" createdb "$pgdir" "$base_db" >/dev/null

# Databases that vmig testdb makes from $base_db: test databases (_vmig_d_),
# ready copies (_vmig_p_), templates (_vmig_t_).
vmig_dbs() {
	psql_admin -At -c "SELECT datname FROM pg_database
		WHERE datname LIKE '$base_db%' AND strpos(datname, '_vmig_') > 0 ORDER BY 1"
}
base_url="postgresql+asyncpg://vmig@127.0.0.1:$port/$base_db"
if [[ -n $(vmig_dbs) ]]; then
	echo "note: removing what an earlier run on this server left: $(echo $(vmig_dbs))"
	"$vmig" testdb gc --all -d "$base_url" --dir "$example/migrations"
	[[ -z $(vmig_dbs) ]] || fail "vmig testdb gc --all left: $(echo $(vmig_dbs))"
fi

# A template of an older migration set (the last revision not yet written),
# as a branch checked out earlier leaves it: the run's gc must remove it.
mkdir -p "$work/old_migrations"
cp "$example"/migrations/*.sql "$work/old_migrations/"
rm "$work/old_migrations"/b691930965ae_*.sql
old=$("$vmig" testdb new -d "$base_url" --dir "$work/old_migrations" --json)
old_url=$(printf '%s' "$old" | $python -c 'import json, sys; print(json.load(sys.stdin)["url"])')
old_template=$(printf '%s' "$old" | $python -c 'import json, sys; print(json.load(sys.stdin)["template"])')
"$vmig" testdb drop "$old_url"
[[ $(vmig_dbs) == *"$old_template"* ]] || fail "no stale template $old_template to start with"

caches_before=$(cd "$example" && find . \( -name __pycache__ -o -name .pytest_cache -o -name '*.pyc' \) | sort)

start=$(date +%s%N)
rc=0
(
	cd "$example"
	env -u DATABASE_URL PYTHONDONTWRITEBYTECODE=1 \
		VMIG="$vmig" TEST_DATABASE_URL="$base_url" \
		$python -m pytest -q -p no:cacheprovider -rfE
) 2>&1 | tee "$work/pytest.log" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[[ $rc -eq 0 ]] || fail "pytest exited $rc (log: $work/pytest.log)"
grep -qE '^[0-9]+ passed' "$work/pytest.log" || fail "pytest ran no tests"
echo "ok: $(grep -E '^[0-9]+ passed' "$work/pytest.log") (${ms} ms with start-up)"

# The conftest's gc at the end of the session: every test database and ready
# copy gone, and every template but the current one (kept for the next run).
left=$(vmig_dbs)
current=$(grep -E "^${base_db}_vmig_t_" <<<"$left" || true)
[[ $(grep -c . <<<"$current") -eq 1 ]] || fail "expected the current template alone after the run, found: $(echo $left)"
[[ $left == "$current" ]] || fail "vmig testdb gc left these databases on the server: $(echo $left)"
[[ $current != "$old_template" ]] || fail "the stale template $old_template is the one left"
echo "ok: after the run only the current template is left ($current)"
"$vmig" testdb gc --all -d "$base_url" --dir "$example/migrations"
left=$(vmig_dbs)
[[ -z $left ]] || fail "vmig testdb gc --all left these databases on the server: $(echo $left)"
echo "ok: vmig testdb gc --all left no database whose name holds _vmig_"

caches_after=$(cd "$example" && find . \( -name __pycache__ -o -name .pytest_cache -o -name '*.pyc' \) | sort)
[[ $caches_after == "$caches_before" ]] ||
	fail "the run left caches in examples/fastapi: $(comm -13 <(echo "$caches_before") <(echo "$caches_after") | tr '\n' ' ')"

psql_admin -c "DROP DATABASE $base_db"
echo "ok: examples/fastapi"
