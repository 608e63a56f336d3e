#!/usr/bin/env bash
# Installs the Debian packages named as arguments: the one apt-get call of every setup script.
# Setup scripts may run at once (`make -j`, a build beside a test run), and apt-get fails at once
# when another holds its lock: callers queue here on an flock, and apt-get itself waits (up to 10
# minutes) for anyone else holding dpkg's lock. A package another caller installed while this one
# waited is dropped from the list, so the last in the queue often has nothing left to do.
set -euo pipefail
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
lock=/tmp/deepeverest-apt.lock
# Opened read-only: a lock file another user created is still lockable.
[ -e "$lock" ] || : >>"$lock"
exec 9<"$lock"
flock 9
need=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || need+=("$package")
done
[ ${#need[@]} -gt 0 ] || exit 0
echo "installing: ${need[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
