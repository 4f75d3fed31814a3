#!/usr/bin/env bash
# pg_harness.sh - a throwaway PostgreSQL server for vmig's tests.
#
#   pg_harness.sh start DIR          initdb and start a server for DIR
#   pg_harness.sh stop DIR           stop it and remove its data (the log stays)
#   pg_harness.sh createdb DIR NAME  create database NAME; prints its URL
#
# The server listens on 127.0.0.1 (the first free port from $VMIG_PG_PORT,
# default 55432) and on a unix socket.  Its data, log and socket live in DIR
# itself, or in a folder under /tmp when the server's OS user cannot reach DIR
# (a checkout under /root) or DIR is too long for a socket path.  Roles:
#   postgres  bootstrap superuser, trust on the socket
#   vmig      superuser, trust on the socket and on 127.0.0.1
#   vmig_pw   password s3cret-pw-XYZ (scram-sha-256 over TCP), owns database vmig_pw
# Files written in DIR for the tests:
#   url      postgresql:///postgres?host=SOCKDIR&port=PORT&user=vmig
#   url_tcp  postgresql://vmig@127.0.0.1:PORT/postgres
#   url_pw   postgresql://vmig_pw:s3cret-pw-XYZ@127.0.0.1:PORT/vmig_pw
#   port, sockdir, home (where data/ is), server.log (the server's log)
#
# `start` fails loudly (non-zero exit, the reason, the server log's tail) when
# the server cannot be started: a test suite must fail then, never skip.
# Run as root, the server runs as the OS user postgres (via runuser).
# VMIG_PG_LOG_STATEMENT=all logs every statement (for counting round trips).
set -euo pipefail

PG_PASSWORD='s3cret-pw-XYZ'

die() {
	echo "pg_harness: $*" >&2
	if [[ -n "${PGHOME:-}" && -f "$PGHOME/server.log" ]]; then
		echo "---- last lines of $PGHOME/server.log ----" >&2
		tail -n 30 "$PGHOME/server.log" >&2 || true
	fi
	exit 1
}

find_bin() {
	if [[ -n "${PG_BIN:-}" ]]; then
		echo "$PG_BIN"
		return
	fi
	local d
	for d in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			echo "$d"
			return
		fi
	done
	die "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin; install them with scripts/install-deps.sh (package postgresql) or set PG_BIN"
}

is_root() {
	[[ $(id -u) -eq 0 ]]
}

# Runs a command as the server's OS user: postgres refuses to run as root.
as_pg() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

give_to_pg() {
	if is_root; then
		chown postgres: "$@"
	fi
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

psql_admin() {
	"$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PORT" -U postgres -d postgres "$@"
}

read_state() {
	[[ -f "$DIR/port" && -f "$DIR/sockdir" ]] || die "no server state in $DIR: run '$0 start $DIR' first"
	PORT=$(cat "$DIR/port")
	SOCKDIR=$(cat "$DIR/sockdir")
}

# Stops the server of DIR (if one runs) and removes its data and temporary folders.
stop_server() {
	local home=$DIR s
	[[ -f "$DIR/home" ]] && home=$(cat "$DIR/home")
	if [[ -f "$home/data/postmaster.pid" ]]; then
		as_pg "$BIN/pg_ctl" -D "$home/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			as_pg "$BIN/pg_ctl" -D "$home/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$home/data"
	for s in "$home" "$(cat "$DIR/sockdir" 2>/dev/null || true)"; do
		if [[ "$s" == /tmp/vmigpg.* ]]; then
			# keep the log where the tests and people look for it
			[[ -f "$s/server.log" ]] && cp --remove-destination "$s/server.log" "$DIR/server.log"
			rm -rf "$s"
		fi
	done
	rm -f "$DIR/url" "$DIR/url_tcp" "$DIR/url_pw" "$DIR/port" "$DIR/sockdir" "$DIR/home"
}

prepare_dir() {
	if is_root; then
		id postgres >/dev/null 2>&1 || die "running as root but there is no OS user postgres to run the server as"
	fi
	rm -f "$DIR/server.log" "$DIR/initdb.log"
	PGHOME=$DIR
	give_to_pg "$DIR"
	if ! as_pg test -w "$DIR" -a -x "$DIR" 2>/dev/null || ((${#DIR} > 80)); then
		# A unix socket path is limited to 107 bytes; and a checkout under
		# /root is out of the postgres user's reach.
		PGHOME=$(mktemp -d /tmp/vmigpg.XXXXXX)
		give_to_pg "$PGHOME"
		chmod 755 "$PGHOME"
		as_pg test -w "$PGHOME" || die "the server's OS user cannot write $PGHOME"
	fi
	SOCKDIR=$PGHOME
	echo "$PGHOME" >"$DIR/home"
	echo "$SOCKDIR" >"$DIR/sockdir"
	: >"$PGHOME/server.log"
	give_to_pg "$PGHOME/server.log"
	[[ "$PGHOME" == "$DIR" ]] || ln -sf "$PGHOME/server.log" "$DIR/server.log"
}

init_cluster() {
	as_pg "$BIN/initdb" -D "$PGHOME/data" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 ||
		{ cat "$DIR/initdb.log" >&2; die "initdb into $PGHOME/data failed (output above)"; }
	cat >"$PGHOME/data/pg_hba.conf" <<HBA
# TYPE  DATABASE  USER     ADDRESS       METHOD
local   all       all                    trust
host    all       vmig     127.0.0.1/32  trust
host    all       all      127.0.0.1/32  scram-sha-256
HBA
	cat >>"$PGHOME/data/postgresql.conf" <<CONF
# vmig test server: fast and throwaway, never durable.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKDIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 32MB
log_statement = '${VMIG_PG_LOG_STATEMENT:-none}'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
}

# Starts the server on the first free port; a port taken meanwhile by another
# process (a parallel run) is skipped, any other failure is fatal.
start_server() {
	local base=${VMIG_PG_PORT:-55432} port
	for ((port = base; port < base + 100; port++)); do
		port_in_use "$port" && continue
		if as_pg "$BIN/pg_ctl" -D "$PGHOME/data" -l "$PGHOME/server.log" -o "-p $port" -w -t 60 \
			start >/dev/null 2>&1; then
			PORT=$port
			echo "$PORT" >"$DIR/port"
			return
		fi
		if grep -qE 'could not (bind|create lock file)|Address already in use' "$PGHOME/server.log"; then
			continue
		fi
		die "the PostgreSQL server in $PGHOME/data did not start on port $port"
	done
	die "no free TCP port in $base..$((base + 99)) for the PostgreSQL server"
}

create_roles() {
	psql_admin <<SQL || die "creating the test roles failed"
CREATE ROLE vmig SUPERUSER LOGIN;
CREATE ROLE vmig_pw LOGIN PASSWORD '$PG_PASSWORD';
CREATE DATABASE vmig_pw OWNER vmig_pw;
SQL
	echo "postgresql:///postgres?host=$SOCKDIR&port=$PORT&user=vmig" >"$DIR/url"
	echo "postgresql://vmig@127.0.0.1:$PORT/postgres" >"$DIR/url_tcp"
	echo "postgresql://vmig_pw:$PG_PASSWORD@127.0.0.1:$PORT/vmig_pw" >"$DIR/url_pw"
}

cmd_start() {
	stop_server # a server left over by a run that was killed
	prepare_dir
	init_cluster
	start_server
	create_roles
	echo "pg_harness: PostgreSQL running on 127.0.0.1:$PORT and $SOCKDIR (data $PGHOME/data)"
}

cmd_createdb() {
	local name=$1
	[[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name: $name"
	read_state
	psql_admin -c "CREATE DATABASE \"$name\" OWNER vmig" || die "CREATE DATABASE $name failed"
	echo "postgresql:///$name?host=$SOCKDIR&port=$PORT&user=vmig"
}

usage() {
	echo "usage: $0 start DIR | stop DIR | createdb DIR NAME" >&2
	exit 2
}

[[ $# -ge 2 ]] || usage
cmd=$1
DIR=$2
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
BIN=$(find_bin)
case "$cmd" in
start) cmd_start ;;
stop) stop_server ;;
createdb)
	[[ $# -eq 3 ]] || usage
	cmd_createdb "$3"
	;;
*) usage ;;
esac
