#!/usr/bin/env bash
# dockerfile_in_chroot.sh - builds migrate.Dockerfile without a container
# engine, the way `docker build -f migrate.Dockerfile .` would from a clean
# clone, then runs the image against a real PostgreSQL server.
#
#   - The Dockerfile is parsed (continuation lines, comments, JSON and shell
#     forms, $VAR/${VAR}/${VAR:-x}/${VAR:+x} in ENV, COPY, WORKDIR, USER).
#   - Each stage starts from a new chroot of the minbase (minbase.sh) for a
#     debian:12 / debian:12-slim / debian:bookworm[-slim] base (Docker's debian
#     images are a minbase too), or from a copy of an earlier stage.
#   - RUN runs in the stage's chroot as `/bin/sh -c` (or the exec form), with
#     only the stage's ENV (and HOME), in its WORKDIR, as its USER; COPY copies
#     from the build context (a clean clone of the committed HEAD) or, with
#     --from=STAGE, from that stage's chroot, owned by root (or --chown);
#     ENV, WORKDIR, USER, ENTRYPOINT and CMD take effect as in Docker; LABEL,
#     EXPOSE and MAINTAINER change nothing that runs.  Any other instruction or
#     flag fails the check: it is not emulated (extend this script).
#   - The final stage must run as a user other than root and its default
#     command must be `vmig up --wait`.  It is run with the example's
#     migrations (examples/basic/migrations) mounted read-only at
#     /app/migrations and DATABASE_URL=postgresql+asyncpg://...@127.0.0.1:PORT/DB
#     (the throwaway server of tests/pg/pg_harness.sh; the chroot shares this
#     machine's network): it must exit 0 twice, the second time with nothing to
#     do; then the image's entrypoint with `check` must exit 0.
#
# Usage: dockerfile_in_chroot.sh [DOCKERFILE]   (default migrate.Dockerfile,
# relative to the repository's root).  Logs in $VMIG_FRESH_LOG_DIR (default
# /var/tmp/vmig-fresh-logs)/dockerfile.log.  See lib.sh for the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
fresh_require_root
repo=$(git -C "$here" rev-parse --show-toplevel)
head=$(git -C "$repo" rev-parse HEAD)
dockerfile_rel=${1:-migrate.Dockerfile}
logs=${VMIG_FRESH_LOG_DIR:-/var/tmp/vmig-fresh-logs}
mkdir -p "$logs"
log=$logs/dockerfile.log
: >"$log"

fresh_traps
fresh_ensure_base
start_all=$(fresh_now)
fresh_workdir
work=$FRESH_WORKDIR

# The build context: the committed HEAD, as a clone gives it to a user.
ctx=$work/context
git clone -q --no-local "$repo" "$ctx" || fresh_die "git clone $repo"
[[ $(git -C "$ctx" rev-parse HEAD) == "$head" ]] || git -C "$ctx" checkout -q --detach "$head"
dockerfile=$ctx/$dockerfile_rel
[[ -f "$dockerfile" ]] || fresh_die "no $dockerfile_rel in the commit under test"
[[ ! -e "$ctx/.dockerignore" ]] || fresh_die ".dockerignore is not emulated (extend $0)"

# ---- parsing ---------------------------------------------------------------

# The instructions, one per element: continuation lines joined, comments and
# blank lines dropped, parser directives checked.
instructions=()
parse_dockerfile() {
	local line cur="" cont=0 top=1
	while IFS= read -r line || [[ -n "$line" ]]; do
		line=${line%$'\r'}
		if ((top)) && [[ "$line" =~ ^#[[:space:]]*([a-zA-Z]+)[[:space:]]*=(.*)$ ]]; then
			case ${BASH_REMATCH[1],,} in
			escape) [[ "${BASH_REMATCH[2]// /}" == '\' ]] || fresh_die "parser directive escape=${BASH_REMATCH[2]} is not emulated" ;;
			syntax | check) ;;
			*) fresh_die "unknown parser directive: $line" ;;
			esac
			continue
		fi
		top=0
		if [[ "$line" =~ ^[[:space:]]*# ]] || [[ "$line" =~ ^[[:space:]]*$ ]]; then
			continue
		fi
		if [[ "$line" =~ ^(.*)\\[[:space:]]*$ ]]; then
			cur+="${BASH_REMATCH[1]}"
			cont=1
			continue
		fi
		cur+="$line"
		instructions+=("$(sed 's/^[[:space:]]*//' <<<"$cur")")
		cur=""
		cont=0
	done <"$dockerfile"
	((cont == 0)) || fresh_die "$dockerfile_rel ends inside a continued line"
}

# A JSON array of strings into the array JSON_ARGS; fails (status 1) when TEXT
# is not one (Docker then takes the shell form).
JSON_ARGS=()
parse_json_array() {
	local s=$1 i=0 n=${#1} c w
	JSON_ARGS=()
	skip_ws() { while ((i < n)) && [[ "${s:i:1}" == [[:space:]] ]]; do ((++i)); done; }
	skip_ws
	[[ "${s:i:1}" == "[" ]] || return 1
	((++i))
	skip_ws
	if [[ "${s:i:1}" == "]" ]]; then
		((++i))
	else
		while :; do
			skip_ws
			[[ "${s:i:1}" == '"' ]] || return 1
			((++i))
			w=""
			while :; do
				((i < n)) || return 1
				c=${s:i:1}
				if [[ "$c" == '"' ]]; then
					((++i))
					break
				elif [[ "$c" == '\' ]]; then
					((++i))
					c=${s:i:1}
					case $c in
					'"' | '\' | /) w+=$c ;;
					n) w+=$'\n' ;;
					t) w+=$'\t' ;;
					*) return 1 ;;
					esac
					((++i))
				else
					w+=$c
					((++i))
				fi
			done
			JSON_ARGS+=("$w")
			skip_ws
			c=${s:i:1}
			((++i))
			[[ "$c" == "," ]] && continue
			[[ "$c" == "]" ]] && break
			return 1
		done
	fi
	skip_ws
	((i == n))
}

# Docker's word rules for ENV, COPY, WORKDIR, USER: quotes, backslashes and
# variables from the stage's environment; the words go into WORDS.
declare -A ENVV=() # the current stage's environment
WORDS=()
expand_var() { # NAME OP WORD -> the value
	local name=$1 op=$2 word=$3 set=0 val=""
	[[ -v "ENVV[$name]" ]] && set=1 && val=${ENVV[$name]}
	case $op in
	"") printf '%s' "$val" ;;
	:-) if ((set)) && [[ -n "$val" ]]; then printf '%s' "$val"; else printf '%s' "$word"; fi ;;
	:+) if ((set)) && [[ -n "$val" ]]; then printf '%s' "$word"; fi ;;
	*) fresh_die "\${$name$op...} is not emulated" ;;
	esac
}
split_words() {
	local s=$1 i=0 n=${#1} c w="" inword=0 q="" name op word
	WORDS=()
	while ((i < n)); do
		c=${s:i:1}
		if [[ -z "$q" && "$c" == [[:space:]] ]]; then
			((inword)) && WORDS+=("$w")
			w=""
			inword=0
			((++i))
			continue
		fi
		inword=1
		if [[ "$q" != "'" && "$c" == '\' ]]; then
			((++i))
			w+=${s:i:1}
			((++i))
		elif [[ -z "$q" && ("$c" == '"' || "$c" == "'") ]]; then
			q=$c
			((++i))
		elif [[ -n "$q" && "$c" == "$q" ]]; then
			q=""
			((++i))
		elif [[ "$q" != "'" && "$c" == '$' ]]; then
			if [[ "${s:i}" =~ ^\$\{([A-Za-z_][A-Za-z0-9_]*)(:[-+])?([^}]*)\} ]]; then
				name=${BASH_REMATCH[1]} op=${BASH_REMATCH[2]} word=${BASH_REMATCH[3]}
				[[ -n "$op" || -z "$word" ]] || fresh_die "bad variable in: $s"
				w+=$(expand_var "$name" "$op" "$word")
				((i += ${#BASH_REMATCH[0]}))
			elif [[ "${s:i}" =~ ^\$([A-Za-z_][A-Za-z0-9_]*) ]]; then
				w+=$(expand_var "${BASH_REMATCH[1]}" "" "")
				((i += ${#BASH_REMATCH[0]}))
			else
				w+=$c
				((++i))
			fi
		else
			w+=$c
			((++i))
		fi
	done
	[[ -z "$q" ]] || fresh_die "unterminated quote in: $s"
	((inword)) && WORDS+=("$w")
	return 0
}

normpath() { # an absolute path without . and .. and repeated slashes
	local p=$1 part out=()
	local IFS=/
	for part in $p; do
		case $part in
		"" | .) ;;
		..) ((${#out[@]})) && unset 'out[${#out[@]}-1]' ;;
		*) out+=("$part") ;;
		esac
	done
	echo "/${out[*]}"
}

# ---- stages ----------------------------------------------------------------

declare -A STAGE_INDEX=() # name or number -> index
STAGE_ROOT=() STAGE_ENV=() STAGE_WORKDIR=() STAGE_USER=() STAGE_ENTRY=() STAGE_CMD=()
stage=-1 root="" workdir=/ user=root entry=() cmd=() entry_shell=0
step=0

save_stage() {
	((stage >= 0)) || return 0
	STAGE_ENV[stage]=$(declare -p ENVV)
	STAGE_WORKDIR[stage]=$workdir
	STAGE_USER[stage]=$user
	STAGE_ENTRY[stage]=$(declare -p entry)
	STAGE_CMD[stage]=$(declare -p cmd)
}

# USER's uid, gid, supplementary groups and home in the stage's /etc/passwd.
resolve_user() { # SPEC ROOT -> "uid gid groups home"
	local spec=$1 r=$2 u g uid gid home groups
	u=${spec%%:*}
	g=""
	[[ "$spec" == *:* ]] && g=${spec#*:}
	if [[ "$u" =~ ^[0-9]+$ ]]; then
		uid=$u
		read -r gid home < <(awk -F: -v id="$u" '$3 == id { print $4, $6; exit }' "$r/etc/passwd")
		[[ -n "${gid:-}" ]] || { gid=0 home=/; }
	else
		read -r uid gid home < <(awk -F: -v n="$u" '$1 == n { print $3, $4, $6; exit }' "$r/etc/passwd")
		[[ -n "${uid:-}" ]] || fresh_die "USER $u: no such user in the image"
	fi
	if [[ -n "$g" ]]; then
		if [[ "$g" =~ ^[0-9]+$ ]]; then gid=$g; else
			gid=$(awk -F: -v n="$g" '$1 == n { print $3; exit }' "$r/etc/group")
			[[ -n "$gid" ]] || fresh_die "USER $spec: no such group in the image"
		fi
	fi
	groups=$(awk -F: -v n="$u" -v gid="$gid" 'BEGIN { out = gid }
		{ k = split($4, m, ","); for (j = 1; j <= k; j++) if (m[j] == n && $3 != gid) out = out "," $3 }
		END { print out }' "$r/etc/group")
	echo "$uid $gid $groups ${home:-/}"
}

# Runs ARGV in the current stage as Docker runs a RUN step (or the container).
# Extra NAME=VALUE words for the environment come first, up to `--`.
run_in_stage() {
	local extra=() uid gid groups home e
	while [[ $# -gt 0 && "$1" != -- ]]; do
		extra+=("$1")
		shift
	done
	shift
	local info
	info=$(resolve_user "$user" "$root") || exit 1
	read -r uid gid groups home <<<"$info"
	local envs=()
	for e in "${!ENVV[@]}"; do envs+=("$e=${ENVV[$e]}"); done
	[[ -v "ENVV[HOME]" ]] || envs+=("HOME=$home")
	envs+=("${extra[@]}")
	timeout --kill-after=30 2400 \
		chroot --userspec="$uid:$gid" --groups="$groups" "$root" \
		/usr/bin/env -i -C "$workdir" "${envs[@]}" "$@" </dev/null
}

from_instruction() {
	local args=$1 image name="" base
	split_words "$args"
	[[ "${WORDS[0]:-}" != --* ]] || fresh_die "FROM ${WORDS[0]}: not emulated"
	image=${WORDS[0]:-}
	if [[ ${#WORDS[@]} -eq 3 && "${WORDS[1],,}" == as ]]; then
		name=${WORDS[2],,}
	elif [[ ${#WORDS[@]} -ne 1 ]]; then
		fresh_die "FROM $args: not understood"
	fi
	save_stage
	stage=$((stage + 1))
	[[ -z "$name" ]] || STAGE_INDEX[$name]=$stage
	STAGE_INDEX[$stage]=$stage
	local dir=stage-$stage
	if [[ -v "STAGE_INDEX[${image,,}]" ]]; then
		base=${STAGE_INDEX[${image,,}]}
		root=$work/$dir
		mkdir -p "$root"
		FRESH_ROOTS+=("$root")
		tar -C "${STAGE_ROOT[base]}" --one-file-system \
			--numeric-owner -cpf - . | tar -C "$root" --numeric-owner -xpf - ||
			fresh_die "copying stage $base"
		mkdir -p "$root/var/cache/apt/archives"
		eval "${STAGE_ENV[base]/declare -A/declare -gA}"
		workdir=${STAGE_WORKDIR[base]} user=${STAGE_USER[base]}
		eval "${STAGE_ENTRY[base]/declare -a/declare -ga}"
		eval "${STAGE_CMD[base]/declare -a/declare -ga}"
	else
		case $image in
		debian:12 | debian:12-slim | debian:bookworm | debian:bookworm-slim) ;;
		*) fresh_die "FROM $image: only Debian 12 images (and earlier stages) are emulated" ;;
		esac
		fresh_new_root "$dir"
		root=$FRESH_ROOT
		# What Docker's debian images set.
		ENVV=([PATH]=$FRESH_PATH)
		workdir=/ user=root entry=() cmd=(bash)
	fi
	STAGE_ROOT[stage]=$root
	fresh_mount_into "$root"
}

# COPY: into DEST (inside the stage), owned by OWNER (uid:gid).
copy_instruction() {
	local args=$1 from="" chown="" srcs=() dest w uid gid
	split_words "$args"
	while [[ "${WORDS[0]:-}" == --* ]]; do
		case ${WORDS[0]} in
		--from=*) from=${WORDS[0]#--from=} ;;
		--chown=*) chown=${WORDS[0]#--chown=} ;;
		*) fresh_die "COPY ${WORDS[0]}: not emulated" ;;
		esac
		WORDS=("${WORDS[@]:1}")
	done
	local rest=${WORDS[*]}
	if parse_json_array "$rest"; then WORDS=("${JSON_ARGS[@]}"); fi
	((${#WORDS[@]} >= 2)) || fresh_die "COPY $args: needs a source and a destination"
	dest=${WORDS[-1]}
	srcs=("${WORDS[@]:0:${#WORDS[@]}-1}")
	uid=0 gid=0
	if [[ -n "$chown" ]]; then
		local info _g _h
		info=$(resolve_user "$chown" "$root") || exit 1
		read -r uid gid _g _h <<<"$info"
	fi
	local src_root=""
	if [[ -n "$from" ]]; then
		[[ -v "STAGE_INDEX[${from,,}]" ]] || fresh_die "COPY --from=$from: no such stage before this one"
		src_root=${STAGE_ROOT[${STAGE_INDEX[${from,,}]}]}
	fi
	local dest_abs
	if [[ "$dest" == /* ]]; then dest_abs=$dest; else dest_abs=$workdir/$dest; fi
	local dest_is_dir=0
	[[ "$dest" == */ || "$dest" == . || "$dest" == */. ]] && dest_is_dir=1
	dest_abs=$(normpath "$dest_abs")
	((${#srcs[@]} == 1)) || ((dest_is_dir)) || fresh_die "COPY with several sources needs a destination ending in /: $args"
	chroot "$root" test -d "$dest_abs" && dest_is_dir=1

	local s matches m
	for s in "${srcs[@]}"; do
		if [[ -z "$src_root" ]]; then
			# From the context (copy_one refuses anything outside it).
			matches=()
			shopt -s nullglob dotglob
			for m in "$ctx"/$s; do matches+=("${m#"$ctx"}"); done
			shopt -u nullglob dotglob
			((${#matches[@]})) || fresh_die "COPY $s: no such file in the build context"
		else
			matches=("$(normpath "/$s")")
			chroot "$src_root" test -e "${matches[0]}" || fresh_die "COPY --from=$from $s: no such file in that stage"
		fi
		for m in "${matches[@]}"; do
			m=$(normpath "$m")
			copy_one "$src_root" "$m" "$dest_abs" "$dest_is_dir" "$uid" "$gid"
		done
	done
}

# Streams SRC (a path in the context, or in SRC_ROOT) into the stage.
copy_one() {
	local src_root=$1 src=$2 dest=$3 dest_is_dir=$4 uid=$5 gid=$6 isdir=0 target_dir name
	local tarc=(tar --numeric-owner --owner="+$uid" --group="+$gid" -cf -)
	if [[ -z "$src_root" ]]; then
		[[ "$(realpath -m "$ctx$src")" == "$ctx" || "$(realpath -m "$ctx$src")" == "$ctx"/* ]] ||
			fresh_die "COPY $src: outside the build context"
		[[ -d "$ctx$src" ]] && isdir=1
	else
		chroot "$src_root" test -d "$src" && isdir=1
	fi
	if ((isdir)); then
		# A folder: its contents, into DEST.
		target_dir=$dest
		chroot "$root" mkdir -p "$target_dir"
		if [[ -z "$src_root" ]]; then
			(cd "$ctx$src" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | "${tarc[@]}" --null -T -)
		else
			chroot "$src_root" sh -c 'cd "$1" && shift && find . -mindepth 1 -maxdepth 1 -printf "%P\0" |
				"$@" --null -T -' sh "$src" "${tarc[@]}"
		fi | chroot "$root" tar -C "$target_dir" --numeric-owner -xpf - || fresh_die "COPY $src $dest"
	else
		name=${src##*/}
		if ((dest_is_dir)); then
			target_dir=$dest
		else
			target_dir=${dest%/*}
			target_dir=${target_dir:-/}
		fi
		local newname=$name
		((dest_is_dir)) || newname=${dest##*/}
		[[ "$name$newname" =~ ^[A-Za-z0-9._+@-]+$ ]] || fresh_die "COPY $src: names with such characters are not emulated"
		chroot "$root" mkdir -p "$target_dir"
		if [[ -z "$src_root" ]]; then
			"${tarc[@]}" -C "$(dirname "$ctx$src")" --transform="s|^$name\$|$newname|" "$name"
		else
			chroot "$src_root" "${tarc[@]}" -C "$(dirname "$src")" --transform="s|^$name\$|$newname|" "$name"
		fi | chroot "$root" tar -C "$target_dir" --numeric-owner -xpf - || fresh_die "COPY $src $dest"
	fi
}

exec_or_shell() { # TEXT -> ARGS (JSON form, or /bin/sh -c TEXT); SHELL_FORM=1 for the latter
	if parse_json_array "$1"; then
		ARGS=("${JSON_ARGS[@]}")
		SHELL_FORM=0
	else
		ARGS=(/bin/sh -c "$1")
		SHELL_FORM=1
	fi
}

run_instruction() {
	local kw=$1 args=$2 k v
	((++step))
	local at=$stage
	[[ $kw != FROM ]] || at=$((stage + 1))
	fresh_log "[stage $at, step $step] $kw $(cut -c1-150 <<<"$args")"
	echo "==== [stage $at, step $step] $kw $args" >>"$log"
	case $kw in
	FROM) from_instruction "$args" ;;
	RUN)
		[[ "$args" != --* ]] || fresh_die "RUN ${args%% *}: not emulated"
		exec_or_shell "$args"
		local t0 rc=0
		t0=$(fresh_now)
		fresh_run run_in_stage -- "${ARGS[@]}" >>"$log" 2>&1 || rc=$?
		if ((rc)); then
			tail -n 60 "$log" >&2
			fresh_die "RUN exited $rc in stage $stage (log: $log)"
		fi
		fresh_log "  done in $(fresh_took "$t0")"
		;;
	COPY) copy_instruction "$args" ;;
	ENV)
		split_words "$args"
		local pairs=() w
		if [[ "${WORDS[0]:-}" == *=* ]]; then
			for w in "${WORDS[@]}"; do
				[[ "$w" == *=* ]] || fresh_die "ENV $args: mixes KEY=VALUE and KEY VALUE"
				pairs+=("$w")
			done
		else
			# ENV KEY VALUE: the rest of the line is the value.
			[[ ${#WORDS[@]} -ge 2 ]] || fresh_die "ENV $args: no value"
			pairs+=("${WORDS[0]}=${WORDS[*]:1}")
		fi
		for w in "${pairs[@]}"; do
			k=${w%%=*} v=${w#*=}
			[[ "$k" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fresh_die "ENV: bad name $k"
			ENVV[$k]=$v
		done
		;;
	WORKDIR)
		split_words "$args"
		[[ ${#WORDS[@]} -eq 1 ]] || fresh_die "WORKDIR $args: one path"
		if [[ "${WORDS[0]}" == /* ]]; then workdir=${WORDS[0]}; else workdir=$workdir/${WORDS[0]}; fi
		workdir=$(normpath "$workdir")
		chroot "$root" mkdir -p "$workdir"
		;;
	USER)
		split_words "$args"
		[[ ${#WORDS[@]} -eq 1 ]] || fresh_die "USER $args: one user"
		user=${WORDS[0]}
		resolve_user "$user" "$root" >/dev/null || exit 1
		;;
	ENTRYPOINT)
		exec_or_shell "$args"
		entry=("${ARGS[@]}")
		entry_shell=$SHELL_FORM
		;;
	CMD)
		exec_or_shell "$args"
		cmd=("${ARGS[@]}")
		;;
	LABEL | EXPOSE | MAINTAINER) fresh_log "  (changes nothing that runs)" ;;
	*) fresh_die "$kw is not emulated (extend $0)" ;;
	esac
}

parse_dockerfile
((${#instructions[@]})) || fresh_die "$dockerfile_rel has no instructions"
[[ "${instructions[0]%% *}" =~ ^[Ff][Rr][Oo][Mm]$ ]] || fresh_die "$dockerfile_rel does not start with FROM"
fresh_log "building $dockerfile_rel (clone of ${head:0:12}): ${#instructions[@]} instructions"
for ins in "${instructions[@]}"; do
	kw=${ins%%[[:space:]]*}
	args=${ins#"$kw"}
	args=${args#"${args%%[![:space:]]*}"}
	run_instruction "${kw^^}" "$args"
done
save_stage
build_took=$(fresh_took "$start_all")
fresh_log "built $dockerfile_rel in $build_took"

# ---- the image -------------------------------------------------------------

info=$(resolve_user "$user" "$root")
read -r run_uid run_gid _groups _home <<<"$info"
((run_uid != 0)) || fresh_die "the image runs as root (USER $user); it must run as a non-root user"
default=("${entry[@]}")
((entry_shell)) || default+=("${cmd[@]}")
[[ "${default[*]}" == "vmig up --wait" ]] ||
	fresh_die "the image's default command is '${default[*]}', not 'vmig up --wait'"
[[ "$workdir" == /app ]] || fresh_die "the image's working directory is $workdir, not /app"
fresh_log "ok: the image runs '${default[*]}' as $user (uid $run_uid) in $workdir"

# Every shared library that vmig and its modules need is in the image.
bins=$(run_in_stage -- sh -c 'command -v vmig; find / -xdev -name "vmig_*.so" 2>/dev/null' || true)
[[ "$bins" == /*vmig* ]] || fresh_die "no vmig on the image's PATH"
for bin in $bins; do
	missing=$(chroot "$root" ldd "$bin" | grep 'not found' || true)
	[[ -z "$missing" ]] || fresh_die "$bin in the image misses libraries: $missing"
done
fresh_log "ok: vmig and its modules find every library they need in the image"

pgdir=$work/pg
FRESH_CLEANUPS+=("bash '$ctx/tests/pg/pg_harness.sh' stop '$pgdir' >/dev/null 2>&1")
bash "$ctx/tests/pg/pg_harness.sh" start "$pgdir" >>"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	fresh_die "the test PostgreSQL server did not start"
}
bash "$ctx/tests/pg/pg_harness.sh" createdb "$pgdir" vmig_image >/dev/null
port=$(cat "$pgdir/port")
url="postgresql+asyncpg://vmig@127.0.0.1:$port/vmig_image"
fresh_bind_ro "$ctx/examples/basic/migrations" "$root" /app/migrations

run_image() { # what `docker run -e DATABASE_URL=... IMAGE [CMD...]` runs
	local argv=("${entry[@]}")
	if (($#)); then argv+=("$@"); elif ((!entry_shell)); then argv+=("${cmd[@]}"); fi
	run_in_stage HOSTNAME=vmig-migrate DATABASE_URL="$url" -- "${argv[@]}"
}

run_out=$work/run.out
for attempt in 1 2; do
	t0=$(fresh_now)
	rc=0
	run_image >"$run_out" 2>&1 || rc=$?
	sed 's/^/  | /' "$run_out" >&2
	cat "$run_out" >>"$log"
	((rc == 0)) || fresh_die "run $attempt of the image ('${default[*]}') exited $rc"
	if ((attempt == 1)); then
		grep -q '^applied ' "$run_out" || fresh_die "the first run of the image applied nothing"
	else
		grep -q 'nothing to do' "$run_out" || fresh_die "the second run of the image was not a no-op"
	fi
	fresh_log "ok: run $attempt of the image exited 0 in $(fresh_took "$t0")"
done
rc=0
run_image check >"$run_out" 2>&1 || rc=$?
sed 's/^/  | /' "$run_out" >&2
((rc == 0)) || fresh_die "'vmig check' in the image exited $rc: the database is not at head"
fresh_log "ok: $dockerfile_rel built in fresh chroots ($build_took) and its image migrated PostgreSQL; $(fresh_took "$start_all") in all"
