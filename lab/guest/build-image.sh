#!/usr/bin/env bash
# Build the lab guest: the Debian cloud kernel plus an initramfs holding
# busybox, the virtio/net_failover/vmxnet3 modules, qemu-ga, udp_echo and dirty.
# No disk image: /init (from this directory) runs everything from RAM.
#
# Usage: build-image.sh OUT_DIR
# Writes OUT_DIR/vmlinuz, OUT_DIR/initrd.img and OUT_DIR/image.stamp.
# Cached: if the stamp (hash of the inputs) matches, nothing is rebuilt.
set -euo pipefail

die() { echo "build-image: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-image.sh OUT_DIR"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

# Modules in the load order known to work (lab-facts.md); their
# dependencies are resolved below and loaded first.
modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
	virtio_pci failover net_failover virtio_net virtio_console vmxnet3)

# The meta package only points at the versioned kernel image package.
kpkg=$(apt-cache depends linux-image-cloud-amd64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9.]*-[0-9]*-cloud-amd64\)$/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "cannot resolve the versioned linux-image-*-cloud-amd64 package"
kver=${kpkg#linux-image-}
pkgs=("$kpkg" busybox-static qemu-guest-agent)

# Cache key: our sources plus the exact candidate .debs (version, file, hash)
# and the host libc (static udp_echo, ld.so and qemu-ga's libs come from it).
stamp=$( {
	cat "$here/build-image.sh" "$here/init" "$here/udp_echo.c" "$here/dirty.c"
	apt-cache show --no-all-versions "${pkgs[@]}" |
		grep -E '^(Package|Version|Filename|SHA256):'
	dpkg-query -W libc6
} | sha256sum | cut -d ' ' -f 1)
if [ -f "$out/image.stamp" ] && [ "$(cat "$out/image.stamp")" = "$stamp" ] &&
	[ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
	echo "guest image up to date"
	exit 0
fi

# Fetch and unpack the Debian packages.
rm -rf "$out/debs" "$out/unpacked" "$out/root"
mkdir -p "$out/debs" "$out/unpacked"
(cd "$out/debs" && apt-get download "${pkgs[@]}")
for deb in "$out"/debs/*.deb; do
	dpkg -x "$deb" "$out/unpacked"
done
src=$out/unpacked
root=$out/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,var,lib/modules}
ln -s ../run "$root/var/run" # qemu-ga's default state dir

# busybox with a symlink per applet (no --install needed at boot).
cp "$src/bin/busybox" "$root/bin/busybox"
"$root/bin/busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Modules: depmod the unpacked tree, then let modprobe list each module's
# dependency chain in load order; copy each .ko once, flat, and record the
# order for /init (busybox insmod, no modules.dep needed in the guest).
kmods=$src/lib/modules/$kver
[ -d "$kmods" ] || die "no modules for $kver in $kpkg"
depmod -b "$src" "$kver"
: >"$root/etc/nflab-modules"
for mod in "${modules[@]}"; do
	modprobe -d "$src" -S "$kver" --show-depends "$mod" |
		while read -r kind path _; do
			[ "$kind" = insmod ] || continue # "builtin X": nothing to load
			name=$(basename "$path")
			# busybox insmod takes plain .ko (Debian 6.1 does not compress)
			[ "${name%.ko}" != "$name" ] || die "unexpected module file $name"
			cp "$path" "$root/lib/modules/$name"
			grep -qx "$name" "$root/etc/nflab-modules" ||
				echo "$name" >>"$root/etc/nflab-modules"
		done
done
# Loaded only when a kernel parameter asks for it (init): dummy, for nflab.fake_mac. No dependencies.
path=$(modprobe -d "$src" -S "$kver" --show-depends dummy | sed -n 's/^insmod \([^ ]*\).*/\1/p' | tail -n 1)
[ -n "$path" ] || die "no dummy module in $kpkg"
cp "$path" "$root/lib/modules/dummy.ko"

# qemu-ga and the host's copies of its shared libraries (same paths).
cp "$src/usr/sbin/qemu-ga" "$root/usr/sbin/qemu-ga"
missing=$(ldd "$root/usr/sbin/qemu-ga" | grep 'not found' || true)
[ -z "$missing" ] || die "qemu-ga needs libraries missing on the host" \
	"(install their packages, list them in host-packages.txt):"$'\n'"$missing"
for lib in $(ldd "$root/usr/sbin/qemu-ga" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "ldd did not list the dynamic loader"

# The echo responder and the memory dirtier (nflab.dirty), static so they need nothing from the libs above.
gcc -static -O2 -o "$root/bin/udp_echo" "$here/udp_echo.c"
gcc -static -O2 -o "$root/bin/dirty" "$here/dirty.c"

install -m 0755 "$here/init" "$root/init"

# newc cpio, sorted for a stable archive; replace outputs, stamp last.
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -9 >"$out/initrd.img.new"
cp "$src/boot/vmlinuz-$kver" "$out/vmlinuz.new"
mv "$out/initrd.img.new" "$out/initrd.img"
mv "$out/vmlinuz.new" "$out/vmlinuz"
rm -rf "$out/unpacked" "$out/root"
echo "$stamp" >"$out/image.stamp"
echo "guest image built: kernel $kver, $(du -h "$out/initrd.img" | cut -f 1) initrd"
