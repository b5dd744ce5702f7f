# shellcheck shell=bash
# The baseline of `make bench`: the seed's live-migration procedure, from the kernel's
# Documentation/networking/net_failover.rst ("Live Migration of a VM with SR-IOV VF & virtio-net in
# STANDBY mode"; /work/shared/seeds/net_failover.rst), run with bash and virsh on the lab's hypervisors.
#
# Adapted ONLY as far as the lab forces:
#   - the seed's variables are arguments; the standby's tap name and the guest MAC are read from
#     `virsh domiflist` (tap names differ from start to start and from host to host);
#   - PF = pf0 (the lab's emulated PF port on br0); VF_XML = the lab's emulated VF (guests/vmN-primary.xml);
#   - the VF-MAC step (`ip link set $PF vf $VF_NUM mac $ZERO_MAC`) is skipped: the lab has no PF with VFs;
#   - `virsh migrate --live --persistent --undefinesource --p2p DOMAIN qemu+tcp://DEST/system` instead of
#     qemu+ssh (the lab's hypervisors reach each other's libvirtd over TCP, with no SSH keys between them);
#   - with WAIT_UNPLUG=wait (bench default), one wait the lab forces between the detach and the migration:
#     see the comment there. WAIT_UNPLUG=none runs the seed's order unmodified.
# Each step prints `STEP <name> <epoch seconds>` before it runs and `DONE <name> <epoch seconds> <rc>` after,
# for the benchmark's timeline. Like the seed, the script does not stop when a step fails; it exits with the
# status of the migration (source) or of the attach (destination).
#
# Usage (the benchmark runs it over the lab's SSH):
#   ssh -F /var/lib/nflabb/ssh/config hv1 bash -s -- source DOMAIN REMOTE_HOST VF_XML PF [wait|none] < seed_migrate.sh
#   ssh -F /var/lib/nflabb/ssh/config hv2 bash -s -- destination DOMAIN VF_XML < seed_migrate.sh

now() { date +%s.%N; }

# step NAME COMMAND...: run one step of the seed between timestamped markers; returns its status.
step() {
  local name=$1 rc
  shift
  echo "STEP $name $(now)"
  "$@"
  rc=$?
  echo "DONE $name $(now) $rc"
  return "$rc"
}

# The standby (virtio) NIC's tap and MAC, read from the live domain: the seed's TAP_IF and MAC.
standby_column() {
  virsh domiflist "$1" | awk -v col="$2" '$4 == "virtio" { print $col; exit }'
}

# Polls the live XML until the VF's alias is gone (the guest released it), at most $2 seconds.
wait_until_detached() {
  local domain=$1 alias=$2 limit=$3 deadline
  deadline=$(($(date +%s) + limit))
  while virsh dumpxml "$domain" | grep -q "<alias name='$alias'/>"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

source_host() {
  local DOMAIN=$1 REMOTE_HOST=$2 VF_XML=$3 PF=$4 WAIT_UNPLUG=${5:-wait}
  local TAP_IF MAC migrate_rc alias
  TAP_IF=$(standby_column "$DOMAIN" 1)
  MAC=$(standby_column "$DOMAIN" 5)
  echo "INFO tap=$TAP_IF mac=$MAC pf=$PF vf_xml=$VF_XML wait_unplug=$WAIT_UNPLUG"

  step standby_link_up virsh domif-setlink "$DOMAIN" "$TAP_IF" up
  step fdb_del bridge fdb del "$MAC" dev "$PF" master
  step detach_vf virsh detach-device "$DOMAIN" "$VF_XML"
  # ip link set $PF vf $VF_NUM mac $ZERO_MAC: skipped, the lab's emulated PF has no VFs.

  if [ "$WAIT_UNPLUG" = wait ]; then
    # NOT IN THE SEED; the lab forces it. `virsh detach-device` returns once libvirt's own 5 s wait for
    # DEVICE_REMOVED ends, but the lab guest's pciehp (5 s attention-button delay) may still be unplugging
    # the VF; migrating in that window fails with "Bad config data ... pcie-root-port". So wait until the
    # VF's alias leaves the live XML (at most 30 s), then migrate.
    alias=$(sed -n "s/.*<alias name='\([^']*\)'.*/\1/p" "$VF_XML")
    step wait_vf_removed wait_until_detached "$DOMAIN" "$alias" 30
  fi

  step migrate virsh migrate --live --persistent --undefinesource --p2p "$DOMAIN" "qemu+tcp://$REMOTE_HOST/system"
  migrate_rc=$?
  return "$migrate_rc"
}

destination_host() {
  local DOMAIN=$1 VF_XML=$2 TAP_IF attach_rc
  TAP_IF=$(standby_column "$DOMAIN" 1)
  echo "INFO tap=$TAP_IF vf_xml=$VF_XML"
  step attach_vf virsh attach-device "$DOMAIN" "$VF_XML"
  attach_rc=$?
  step standby_link_down virsh domif-setlink "$DOMAIN" "$TAP_IF" down
  return "$attach_rc"
}

case ${1:-} in
  source) shift; source_host "$@" ;;
  destination) shift; destination_host "$@" ;;
  *) echo "usage: seed_migrate.sh source DOMAIN REMOTE_HOST VF_XML PF [wait|none] | destination DOMAIN VF_XML" >&2; exit 2 ;;
esac
