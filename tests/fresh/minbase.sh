#!/usr/bin/env bash
# minbase.sh - makes (once) and keeps the fresh Debian system that the other
# checks in tests/fresh/ start from: `debootstrap --variant=minbase bookworm`,
# packed as $VMIG_FRESH_CACHE/debootstrap-bookworm-minbase-ARCH.tar (default
# cache /var/cache/vmig).  The tarball is made again when it is missing,
# unreadable, older than VMIG_FRESH_MAX_AGE_DAYS days (default 30), or when
# VMIG_FRESH_REFRESH=1.  Concurrent runs wait for each other (flock).
#
# The system is debootstrap's, unchanged, but for its downloaded .deb files
# (removed, as in Docker's debian images) and its apt sources: the suite, its
# -updates and, when this machine uses one, its -security archive, from the
# mirror in this machine's apt sources (see lib.sh), as on a new install.
# Run as root.  Prints the tarball's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
fresh_require_root

mkdir -p "$FRESH_CACHE"
exec 9>"$FRESH_CACHE/.minbase.lock"
flock 9

max_age=${VMIG_FRESH_MAX_AGE_DAYS:-30}
if [[ -s "$FRESH_TARBALL" && "${VMIG_FRESH_REFRESH:-0}" != 1 ]] &&
	[[ -z "$(find "$FRESH_TARBALL" -mtime +"$max_age")" ]] &&
	tar -tf "$FRESH_TARBALL" ./usr/bin/apt-get >/dev/null 2>&1; then
	fresh_log "minbase: cached $FRESH_TARBALL ($(du -h "$FRESH_TARBALL" | cut -f1), $(date -r "$FRESH_TARBALL" '+%F'))"
	echo "$FRESH_TARBALL"
	exit 0
fi

mirror=$(fresh_mirror)
security=$(fresh_security_mirror)
start=$(fresh_now)
build=$(mktemp -d "${VMIG_FRESH_WORK:-/var/tmp}/vmig-minbase.XXXXXX")
cleanup_build() {
	local rc=$?
	# debootstrap mounts /proc and /sys in the target while it runs, and may
	# leave them behind when it fails.
	awk -v d="$build" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" || true; done
	if [[ -z "$(awk -v d="$build" 'index($5, d "/") == 1' /proc/self/mountinfo)" ]]; then
		rm -rf --one-file-system "$build"
	else
		fresh_log "minbase: $build still has mounts; left in place"
	fi
	exit "$rc"
}
trap cleanup_build EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fresh_log "minbase: debootstrap --variant=$FRESH_VARIANT $FRESH_SUITE from $mirror (about a minute or two)"
if ! debootstrap --variant="$FRESH_VARIANT" --arch="$FRESH_ARCH" "$FRESH_SUITE" "$build/root" "$mirror" \
	>"$build/debootstrap.log" 2>&1; then
	tail -n 40 "$build/debootstrap.log" >&2
	[[ -f "$build/root/debootstrap/debootstrap.log" ]] && tail -n 40 "$build/root/debootstrap/debootstrap.log" >&2
	fresh_die "debootstrap $FRESH_SUITE from $mirror failed (log above)"
fi
root=$build/root
rm -f "$root"/var/cache/apt/archives/*.deb
{
	echo "deb $mirror $FRESH_SUITE main"
	echo "deb $mirror $FRESH_SUITE-updates main"
	[[ -z "$security" ]] || echo "deb $security $FRESH_SUITE-security main"
} >"$root/etc/apt/sources.list"
# Written anew for every chroot (lib.sh: fresh_new_root).
rm -f "$root/etc/resolv.conf"

tar -C "$root" --numeric-owner -cpf "$FRESH_TARBALL.tmp" . || fresh_die "packing the minbase"
mv -f "$FRESH_TARBALL.tmp" "$FRESH_TARBALL"
fresh_log "minbase: made $FRESH_TARBALL ($(du -h "$FRESH_TARBALL" | cut -f1)) in $(fresh_took "$start")"
echo "$FRESH_TARBALL"
