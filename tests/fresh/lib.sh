# lib.sh - shared by the fresh-system checks in tests/fresh/ (sourced, not run).
#
# A "fresh system" is a copy of Debian's `debootstrap --variant=minbase` of the
# suite (bookworm), unpacked from the cached tarball that minbase.sh keeps, and
# entered with chroot.  Nothing of this machine's installed packages reaches it:
# what it has is what a new Debian 12 has, plus what its own commands install.
#
# Environment (all optional):
#   VMIG_FRESH_CACHE     cache folder (default /var/cache/vmig): the minbase
#                        tarball, and the .deb files that the chroots download
#                        (only a download cache: every chroot still installs
#                        everything itself)
#   VMIG_FRESH_APT_CACHE set to 0 to keep no .deb cache between chroots and runs
#                        (the cache only grows, by what updates bring: remove
#                        the folder to empty it)
#   VMIG_FRESH_SUITE     the Debian suite (default bookworm, Debian 12)
#   VMIG_FRESH_WORK      where the chroots are unpacked (default /var/tmp), in a
#                        tmpfs of their own if there are 12 GiB of memory free
#                        (VMIG_FRESH_TMPFS=0: on disk)
#   VMIG_FRESH_KEEP      set to 1 to keep the chroots (unmounted, on disk) for a
#                        look after a run
#   VMIG_DEBIAN_MIRROR   the Debian archive (default: the one in this machine's
#                        apt sources, else http://deb.debian.org/debian)
#   VMIG_DEBIAN_SECURITY the security archive (default: this machine's, if any)
#
# Every failure is fatal (fresh_die): these checks never skip.

FRESH_SUITE=${VMIG_FRESH_SUITE:-bookworm}
FRESH_VARIANT=minbase
FRESH_CACHE=${VMIG_FRESH_CACHE:-/var/cache/vmig}
FRESH_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
FRESH_TARBALL=$FRESH_CACHE/debootstrap-$FRESH_SUITE-$FRESH_VARIANT-$FRESH_ARCH.tar
FRESH_DEBS=$FRESH_CACHE/debs-$FRESH_SUITE-$FRESH_ARCH
# The PATH of a root login on Debian, and of Docker's debian images.
FRESH_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

FRESH_ROOTS=()  # every chroot made by fresh_new_root, for fresh_cleanup
FRESH_MOUNTS=() # every mount made, in order
FRESH_WORKDIR=  # the folder holding this run's chroots
FRESH_ROOT=     # the last chroot made by fresh_new_root
FRESH_CLEANUPS=() # more commands for fresh_cleanup to run first
FRESH_CHILD=      # the long command that fresh_run is waiting for

FRESH_T0=${FRESH_T0:-$(date +%s)}
export FRESH_T0
fresh_log() {
	local s=$(($(date +%s) - FRESH_T0))
	printf 'fresh [%dm%02ds]: %s\n' $((s / 60)) $((s % 60)) "$*" >&2
}
fresh_die() {
	echo "fresh: FAIL: $*" >&2
	exit 1
}

fresh_require_root() {
	[[ $(id -u) -eq 0 ]] || fresh_die "must run as root (debootstrap, chroot and mount need it); CI runs as root"
	local t
	for t in debootstrap chroot mount umount git tar; do
		command -v "$t" >/dev/null || fresh_die "$t is missing: run scripts/install-deps.sh"
	done
}

# The URI of the first apt source (one-line or deb822 format) of this machine
# whose suites include $1, or nothing.
fresh_host_uri_for_suite() {
	local want=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f "$f" ]] || continue
		awk -v s="$want" '$1 == "deb" {
			i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit } }' "$f"
	done | head -n 1 | grep . && return
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f "$f" ]] || continue
		awk -v s="$want" '
			function flush() { if (deb && uri != "" && found) { print uri; exit } deb = 0; uri = ""; found = 0 }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) found = 1 }
			tolower($1) == "enabled:" && tolower($2) == "no" { deb = 0 }
			END { flush() }' "$f"
	done | head -n 1
}

fresh_mirror() {
	local m=${VMIG_DEBIAN_MIRROR:-}
	[[ -n "$m" ]] || m=$(fresh_host_uri_for_suite "$FRESH_SUITE")
	echo "${m:-http://deb.debian.org/debian}"
}

fresh_security_mirror() {
	local m=${VMIG_DEBIAN_SECURITY:-}
	[[ -n "$m" ]] || m=$(fresh_host_uri_for_suite "$FRESH_SUITE-security")
	echo "$m"
}

# Makes sure the cached minbase tarball exists (minbase.sh builds it).
fresh_ensure_base() {
	bash "$(dirname "${BASH_SOURCE[0]}")/minbase.sh" >/dev/null || fresh_die "could not make the minbase tarball"
	[[ -s "$FRESH_TARBALL" ]] || fresh_die "no minbase tarball at $FRESH_TARBALL"
}

# Sets FRESH_WORKDIR, the folder for this run's chroots (fresh_cleanup removes
# it).  Not in a subshell: the variables must reach fresh_cleanup.
# It is a tmpfs of its own when the machine has the memory to spare (unpacking,
# installing and removing a system is then much faster, and unmounting it
# removes everything at once); VMIG_FRESH_TMPFS=0 keeps it on disk.
fresh_workdir() {
	if [[ -z "$FRESH_WORKDIR" ]]; then
		local base=${VMIG_FRESH_WORK:-/var/tmp} avail
		mkdir -p "$base"
		FRESH_WORKDIR=$(mktemp -d "$base/vmig-fresh.XXXXXX")
		avail=$(awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo)
		if [[ "${VMIG_FRESH_TMPFS:-1}" != 0 && "${VMIG_FRESH_KEEP:-0}" != 1 ]] && ((avail >= 12)); then
			mount -t tmpfs -o size=8g,mode=700 vmig-fresh "$FRESH_WORKDIR" ||
				fresh_die "mount a tmpfs on $FRESH_WORKDIR"
			FRESH_MOUNTS=("$FRESH_WORKDIR" "${FRESH_MOUNTS[@]}")
		fi
	fi
}

# fresh_new_root NAME: unpacks a new minbase into $FRESH_WORKDIR/NAME, with
# this machine's DNS settings and an /etc/hosts (as a new install or Docker
# gives), a policy-rc.d so that packages do not start their services (there is
# no init in a chroot: a server started by a package's postinst would outlive
# the chroot), and dpkg's force-unsafe-io.  Sets FRESH_ROOT to the chroot's
# path (call it outside a subshell, so that fresh_cleanup knows the chroot).
fresh_new_root() {
	local root
	fresh_workdir
	root=$FRESH_WORKDIR/$1
	[[ ! -e "$root" ]] || fresh_die "$root exists already"
	mkdir -p "$root"
	FRESH_ROOTS+=("$root")
	tar -C "$root" --numeric-owner -xpf "$FRESH_TARBALL" || fresh_die "unpacking $FRESH_TARBALL into $root"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || : >"$root/etc/resolv.conf"
	cat >"$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
HOSTS
	printf '#!/bin/sh\n# No service starts inside this chroot.\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	# No fsync per unpacked file, as in Docker's debian images: a throwaway
	# system needs no durability, and what gets installed is the same.
	echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
	FRESH_ROOT=$root
}

# fresh_mount_into ROOT: /proc, /dev (with its pts) and a new /dev/shm of its
# own (PostgreSQL's shared memory); and the .deb download cache.  Nothing that
# is mounted below ROOT propagates back to this machine (rslave).
fresh_mount_into() {
	local root=$1
	mount -t proc proc "$root/proc" || fresh_die "mount proc in $root"
	FRESH_MOUNTS+=("$root/proc")
	mount --rbind /dev "$root/dev" || fresh_die "bind /dev in $root"
	FRESH_MOUNTS+=("$root/dev")
	mount --make-rslave "$root/dev"
	mkdir -p "$root/dev/shm"
	mount -t tmpfs -o mode=1777,nosuid,nodev,size=1g shm "$root/dev/shm" || fresh_die "mount /dev/shm in $root"
	FRESH_MOUNTS+=("$root/dev/shm")
	fresh_seed_debs "$root"
}

# The .deb download cache: the files that earlier chroots downloaded are
# linked (or copied) into a new chroot's /var/cache/apt/archives, where apt
# checks them against its index as usual, and the files that a chroot
# downloaded go back into the cache when it is dropped.  Each chroot has its
# own archives folder, so that apt's locks never meet across chroots.
fresh_seed_debs() {
	local root=$1 f
	[[ "${VMIG_FRESH_APT_CACHE:-1}" != 0 ]] || return 0
	mkdir -p "$FRESH_DEBS"
	for f in "$FRESH_DEBS"/*.deb; do
		[[ -e "$f" ]] || break
		[[ ! -e "$root/var/cache/apt/archives/${f##*/}" ]] || continue
		ln "$f" "$root/var/cache/apt/archives/" 2>/dev/null || cp "$f" "$root/var/cache/apt/archives/"
	done
}
fresh_keep_debs() {
	local root=$1 f name
	[[ "${VMIG_FRESH_APT_CACHE:-1}" != 0 && -d "$root/var/cache/apt/archives" ]] || return 0
	mkdir -p "$FRESH_DEBS"
	for f in "$root"/var/cache/apt/archives/*.deb; do
		[[ -f "$f" && ! -L "$f" ]] || continue
		name=${f##*/}
		[[ -e "$FRESH_DEBS/$name" ]] && continue
		{ ln "$f" "$FRESH_DEBS/.$name.tmp" 2>/dev/null || cp "$f" "$FRESH_DEBS/.$name.tmp"; } &&
			mv -f "$FRESH_DEBS/.$name.tmp" "$FRESH_DEBS/$name"
	done
	return 0
}

# fresh_bind_ro SRC ROOT PATH: SRC mounted read-only at PATH inside ROOT.
fresh_bind_ro() {
	local src=$1 dst=$2$3
	mkdir -p "$dst"
	mount --bind "$src" "$dst" || fresh_die "bind $src at $dst"
	FRESH_MOUNTS+=("$dst")
	mount -o remount,bind,ro "$dst" || fresh_die "remount $dst read-only"
}

# The processes whose root directory is ROOT or inside it.
fresh_pids_in_root() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		if [[ "$r" == "$1" || "$r" == "$1"/* ]]; then
			echo "${p#/proc/}"
		fi
	done
}

fresh_mounted_below() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# fresh_drop_root ROOT: ends what is left running in ROOT, unmounts what was
# mounted in it, and removes it (kept, unmounted, with VMIG_FRESH_KEEP=1).
# Never removes a folder with something still mounted below it.
fresh_drop_root() {
	local root=$1 pids i m left keep=() status=0
	pids=$(fresh_pids_in_root "$root")
	if [[ -n "$pids" ]]; then
		fresh_log "ending processes left in $root: $(echo $pids)"
		kill $pids 2>/dev/null
		sleep 2
		pids=$(fresh_pids_in_root "$root")
		[[ -z "$pids" ]] || kill -9 $pids 2>/dev/null
		sleep 1
	fi
	for ((i = ${#FRESH_MOUNTS[@]} - 1; i >= 0; i--)); do
		m=${FRESH_MOUNTS[i]}
		[[ "$m" == "$root"/* ]] || continue
		if [[ -n "$(fresh_mounted_below "$m")" ]]; then
			umount -R "$m" 2>/dev/null || umount -R -l "$m" || fresh_log "could not unmount $m"
		fi
	done
	for m in "${FRESH_MOUNTS[@]}"; do
		[[ "$m" == "$root"/* ]] || keep+=("$m")
	done
	FRESH_MOUNTS=("${keep[@]}")
	fresh_keep_debs "$root"
	left=$(fresh_mounted_below "$root")
	if [[ -n "$left" ]]; then
		fresh_log "still mounted, so $root is left in place: $(echo $left)"
		status=1
	elif [[ "${VMIG_FRESH_KEEP:-0}" == 1 ]]; then
		fresh_log "kept (unmounted): $root"
	else
		rm -rf --one-file-system "$root"
	fi
	keep=()
	for m in "${FRESH_ROOTS[@]}"; do
		[[ "$m" == "$root" ]] || keep+=("$m")
	done
	FRESH_ROOTS=("${keep[@]}")
	return $status
}

# The EXIT trap: the callers' own clean-ups (FRESH_CLEANUPS), then every chroot.
fresh_cleanup() {
	local rc=$? c root n=$((${#FRESH_CLEANUPS[@]} + ${#FRESH_ROOTS[@]}))
	set +e
	trap - ERR
	[[ -z "${FRESH_ERR:-}" ]] || exec 2>&"$FRESH_ERR"
	if [[ -n "$FRESH_CHILD" ]]; then
		kill "$FRESH_CHILD" 2>/dev/null
		wait "$FRESH_CHILD" 2>/dev/null
	fi
	for c in "${FRESH_CLEANUPS[@]}"; do
		eval "$c"
	done
	for root in "${FRESH_ROOTS[@]}"; do
		fresh_drop_root "$root" || { ((rc)) || rc=1; }
	done
	((n == 0)) || fresh_log "cleaned up"
	if [[ -n "$FRESH_WORKDIR" && -d "$FRESH_WORKDIR" && "${VMIG_FRESH_KEEP:-0}" != 1 ]]; then
		# Its tmpfs, if it has one, then the folder.
		if [[ " ${FRESH_MOUNTS[*]} " == *" $FRESH_WORKDIR "* ]] &&
			[[ "$(fresh_mounted_below "$FRESH_WORKDIR")" == "$FRESH_WORKDIR" ]]; then
			umount "$FRESH_WORKDIR" || fresh_log "could not unmount $FRESH_WORKDIR"
		fi
		if [[ -z "$(fresh_mounted_below "$FRESH_WORKDIR")" ]]; then
			rm -rf --one-file-system "$FRESH_WORKDIR"
		else
			fresh_log "still mounted, so $FRESH_WORKDIR is left in place"
			((rc)) || rc=1
		fi
	fi
	exit "$rc"
}

fresh_traps() {
	exec {FRESH_ERR}>&2 # where fresh_cleanup reports, whatever a step redirected
	set -E
	trap 'fresh_log "failed (status $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
	trap fresh_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# fresh_chroot ROOT [chroot options] -- CMD...: runs CMD in ROOT with only the
# environment given after `env -i` (see the callers), standard input closed.
fresh_chroot() {
	local root=$1
	shift
	local opts=()
	while [[ $# -gt 0 && "$1" != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ "${1:-}" == -- ]] && shift
	chroot "${opts[@]}" "$root" "$@" </dev/null
}

# fresh_run CMD...: runs CMD and waits for it in a way that a signal to this
# script interrupts at once (the traps then end CMD and clean up), where bash
# would otherwise wait for a foreground command to finish first.
fresh_run() {
	local rc=0
	"$@" &
	FRESH_CHILD=$!
	wait "$FRESH_CHILD" || rc=$?
	FRESH_CHILD=
	return "$rc"
}

# Seconds since the epoch, and a duration in words.
fresh_now() { date +%s; }
fresh_took() {
	local s=$(($(fresh_now) - $1))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}
