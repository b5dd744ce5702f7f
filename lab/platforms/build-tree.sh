#!/usr/bin/env bash
# Build a hypervisor platform tree for the lab: lab/platforms/build-tree.sh LIST DIR
# Downloads the packages of LIST (lab/platforms/current.txt) from its apt suite, with everything they need beyond the
# Debian 12 packages installed on this machine, using a private apt state (the machine's apt configuration and its
# installed packages are not touched), and unpacks them into DIR/usr (Debian 12 is merged-/usr: /lib, /bin and /sbin
# of a package land in DIR/usr too) and DIR/etc. Prints the versions it unpacked into DIR/versions.txt.
set -euo pipefail
list=$1
dir=$(realpath -m "$2")  # apt reads relative Dir:: paths against its own folders
suite=$(awk '$1 == "suite" {print $2}' "$list")
mapfile -t packages < <(grep -v '^\s*#' "$list" | awk 'NF && $1 != "suite" && $1 != "opaque" {print $1}')
mapfile -t opaque < <(awk '$1 == "opaque" {print $2}' "$list")
work="$dir.work"
rm -rf "$work" "$dir"
mkdir -p "$work/lists/partial" "$work/debs/partial" "$work/tree"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$work/sources.list" <<SOURCES
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$keyring] http://deb.debian.org/debian $suite main
SOURCES
apt_options=(-o "Dir::State::Lists=$work/lists" -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Cache::archives=$work/debs" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")
apt-get "${apt_options[@]}" update -qq
DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" -t "$suite" install --download-only -y -qq --no-install-recommends \
  "${packages[@]}"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/tree"
  # shellcheck disable=SC2016  # ${Package} and ${Version} are dpkg-deb's fields, not shell variables
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" >>"$work/versions.txt"
done
for merged in lib lib64 bin sbin; do
  if [ -d "$work/tree/$merged" ]; then
    mkdir -p "$work/tree/usr/$merged"
    cp -a "$work/tree/$merged/." "$work/tree/usr/$merged/"
    rm -rf "${work:?}/tree/$merged"
  fi
done
# overlayfs: an opaque folder of the upper layers hides the same folder of the machine's /usr
for folder in "${opaque[@]}"; do
  mkdir -p "$work/tree/$folder"
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$work/tree/$folder"
done
mkdir -p "$dir"
mv "$work/tree/usr" "$work/tree/etc" "$dir/"
sort "$work/versions.txt" >"$dir/versions.txt"
rm -rf "$work"
