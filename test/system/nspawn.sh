#!/usr/bin/env bash
# A throwaway machine booted by a real systemd, for the real-systemd suite
# (test/e2e/real-systemd.test.ts) and for trying the units by hand (docs/development.md).
#
#   nspawn.sh boot DIR        mount an overlay of / over a tmpfs at DIR/root (first time),
#                             boot it with systemd-nspawn -b, wait until systemd is up;
#                             prints "booted in N ms"
#   nspawn.sh run DIR CMD…    run CMD inside as root (nsenter into every namespace of the
#                             container's PID 1), with a clean environment; stdin passes through
#   nspawn.sh stop DIR        systemctl poweroff, wait for the container to end; the overlay
#                             stays mounted, so a second boot sees what the first one wrote
#   nspawn.sh teardown DIR    stop when running, then unmount everything under DIR
#
# Nothing reaches the host's disk: the overlay's upper layer is the tmpfs. The container
# has only loopback (--private-network) and no host systemd to register with.
set -euo pipefail

cmd=${1:?usage: nspawn.sh boot|run|stop|teardown DIR [CMD…]}
dir=${2:?usage: nspawn.sh $cmd DIR}
shift 2
root=$dir/root
PATH_INSIDE=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The container's PID 1: the one child of the systemd-nspawn process we started.
leader() {
  local nspawn
  nspawn=$(cat "$dir/nspawn.pid" 2>/dev/null) || return 1
  kill -0 "$nspawn" 2>/dev/null || return 1
  # Empty (not a failure) while nspawn has not forked it yet.
  pgrep -P "$nspawn" | head -n1 || true
}

inside() {
  local pid1
  pid1=$(leader) || pid1=
  [ -n "$pid1" ] || { echo "nspawn.sh: the container in $dir is not running" >&2; return 1; }
  nsenter --target "$pid1" --all --root --wd -- env -i PATH="$PATH_INSIDE" HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# Units the image enables that would only cost boot time (or fail without hardware).
mask_units() {
  local etc=$root/etc/systemd/system unit
  mkdir -p "$etc"
  for unit in "$etc"/{multi-user,timers,sysinit,getty,sockets}.target.wants/*; do
    [ -e "$unit" ] || [ -L "$unit" ] || continue
    case $(basename "$unit") in *.target) continue ;; esac
    ln -sfn /dev/null "$etc/$(basename "$unit")"
  done
  for unit in console-getty.service getty@tty1.service systemd-timesyncd.service systemd-networkd-wait-online.service \
    apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do
    ln -sfn /dev/null "$etc/$unit"
  done
}

prepare() {
  mkdir -p "$dir"
  mountpoint -q "$dir" || mount -t tmpfs -o mode=0755,size=3g hh-nspawn "$dir"
  mkdir -p "$dir/upper" "$dir/work" "$root"
  mountpoint -q "$root" && return 0
  mount -t overlay hh-nspawn-root -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$root"
  mask_units
  # Whatever tests on the host left behind is not part of this machine.
  rm -rf "$root/etc/hh-oauth" "$root/var/lib/hh-token" "$root/var/lib/systemd/timers"
  rm -f "$root"/etc/systemd/system/hh-oauth-* "$root/etc/machine-id"
}

boot() {
  prepare
  if leader >/dev/null; then echo "already running"; return 0; fi
  local start now state pid1=
  start=$(date +%s%N)
  setsid systemd-nspawn --quiet -D "$root" -M "hhns-$(basename "$dir" | tr -c 'a-zA-Z0-9\n' -)" -b \
    --register=no --keep-unit --private-network --console=read-only \
    >>"$dir/console.log" 2>&1 </dev/null &
  echo $! >"$dir/nspawn.pid"
  for _ in $(seq 1 600); do
    sleep 0.05
    pid1=$(leader) || { echo "nspawn.sh: systemd-nspawn ended during boot; see $dir/console.log:" >&2; tail -n 20 "$dir/console.log" >&2; return 1; }
    [ -n "$pid1" ] || continue
    state=$(inside systemctl is-system-running 2>/dev/null || true)
    case $state in
      running | degraded)
        now=$(date +%s%N)
        echo "booted in $(((now - start) / 1000000)) ms ($state)"
        [ "$state" = running ] || inside systemctl --failed --no-legend >&2 || true
        return 0
        ;;
    esac
  done
  echo "nspawn.sh: systemd did not finish booting in 30 s (state: ${state:-none})" >&2
  return 1
}

stop() {
  local nspawn
  nspawn=$(cat "$dir/nspawn.pid" 2>/dev/null) || return 0
  if kill -0 "$nspawn" 2>/dev/null; then
    inside systemctl poweroff --no-block >/dev/null 2>&1 || true
    for _ in $(seq 1 300); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
    # Still there after 30 s: end the one process we started (nspawn kills the container with it).
    if kill -0 "$nspawn" 2>/dev/null; then kill -KILL "$nspawn"; sleep 0.5; fi
  fi
  rm -f "$dir/nspawn.pid"
}

teardown() {
  stop
  mountpoint -q "$root" && umount "$root"
  mountpoint -q "$dir" && umount "$dir"
  rmdir "$dir" 2>/dev/null || true
}

case $cmd in
  boot) boot ;;
  run) inside "$@" ;;
  stop) stop ;;
  teardown) teardown ;;
  *) echo "nspawn.sh: unknown command $cmd" >&2; exit 2 ;;
esac
