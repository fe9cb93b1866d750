#!/usr/bin/env bash
# Run a command, in this checkout, with a Python 3.12 or newer as `python3` (ansible-core 2.20 and later need one
# on the controller).
#
#   .ci/newpy.sh COMMAND [ARG...]
#
# When this machine's python3 is 3.12 or newer, COMMAND simply runs here. Otherwise (Debian 12's Python is 3.11) it
# runs in a Debian 13 "trixie" root (Python 3.13), build/trixie-root, made once with mmdebstrap from the same Debian
# registry apt-get uses (about 30 s and 0.3 GB; needs root, as apt-get does). COMMAND runs in a mount namespace of
# its own: /proc, /sys, /dev and this checkout (at the same path) are mounted into the root there, and unmounted by
# the kernel when COMMAND ends, however it ends. The root shares this machine's network: the emulator's loopback
# addresses, PyPI and Debian's registry are reached as from here.
#
# Environment passed in: PATH (the root's), HOME (build/home-newpy), ANSIBLE_*, PIP_* and proxy variables, plus
# NEWPY_ENV="NAME ..." for others. The root's apt-installed packages: python3, python3-venv, redis-server, git,
# ca-certificates, gcc, libc6-dev (TRIXIE_PACKAGES; a root made with fewer gets the rest installed).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)

if python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  exec "$@"
fi

root=${TRIXIE_ROOT:-build/trixie-root}
packages=${TRIXIE_PACKAGES:-python3,python3-venv,redis-server,git,ca-certificates,gcc,libc6-dev}
mirror=${TRIXIE_MIRROR:-http://deb.debian.org/debian}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

if [ ! -x "$root/usr/bin/python3" ]; then
  if ! command -v mmdebstrap >/dev/null; then
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap
  fi
  echo "newpy: making a Debian trixie root in $root (Python 3.13) with mmdebstrap"
  rm -rf "$root.partial"
  $sudo mmdebstrap --quiet --variant=minbase --include="$packages" trixie "$root.partial" "$mirror"
  echo "$packages" | $sudo tee "$root.partial/.newpy-packages" >/dev/null
  mv "$root.partial" "$root"
fi
# This machine's CA bundle (PIP_CERT may name it), its resolver.
$sudo cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && $sudo cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

mkdir -p build/home-newpy
envs=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$here/build/home-newpy" LANG=C.UTF-8 TERM=dumb)
for name in $(compgen -e); do
  case "$name" in
    PIP_FIND_LINKS) ;;   # a path of this machine
    ANSIBLE_*|PIP_*|http_proxy|https_proxy|no_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY|PYTHONDONTWRITEBYTECODE)
      envs+=("$name=${!name}") ;;
  esac
done
for name in ${NEWPY_ENV:-}; do envs+=("$name=${!name:-}"); done

in_root() {
  $sudo unshare --mount --propagation private --fork -- bash -euc '
    root=$1 here=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --bind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root$here"
    mount --bind "$here" "$root$here"
    exec chroot "$root" /usr/bin/env -i "$@"
  ' newpy "$root" "$here" "$@"
}

if [ "$(cat "$root/.newpy-packages" 2>/dev/null)" != "$packages" ]; then
  echo "newpy: installing ${packages//,/ } in $root"
  in_root PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive bash -ec \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages//,/ } >/dev/null"
  echo "$packages" | $sudo tee "$root/.newpy-packages" >/dev/null
fi

# The command, quoted for the shell the namespace runs.
command=$(printf '%q ' "$@")
in_root "${envs[@]}" bash -c "cd $(printf '%q' "$here") && $command"
