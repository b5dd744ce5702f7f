# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab hypervisors' libvirt qemu hook: an emulated VF refuses to migrate, as a real one does, and every lab guest
holds one of the hypervisor's emulated VFs while its QEMU runs there, as a Nova PCI claim holds one.

libvirt runs /etc/libvirt/hooks/qemu as ``DOMAIN OPERATION SUB-OPERATION -`` with the domain XML on stdin; a non-zero
exit cancels what libvirt was doing, with stderr in libvirt's error. Empty output keeps the XML as it is.

- "migrate begin" (on the destination, first thing of an incoming migration): refused while the domain has an emulated
  VF that QEMU would carry across (libvirt refuses an assigned PCI device the same way, qemuMigrationSrcIsAllowedHostdev:
  "cannot migrate a domain with <hostdev mode='subsystem' type='pci'>", unless it is paired for QEMU's own failover
  unplug, <teaming type='transient'>). Refused too when the hypervisor has no free VF for each of the domain's
  STANDBY pairs ("no free VF of pf0 on hvN ...").
- "prepare begin" (before QEMU starts: a start, an incoming migration, a restore): reserves the VFs, all or none, reusing
  those the domain holds already; none free refuses the start.
- "release end" (after QEMU ended there, whatever the reason: shutdown, destroy, a migration away or a failed incoming
  one): the domain's reservations go.

A reservation is the collection's (plugins/module_utils/host/vf_reservation.py): a folder vf-<PCI address> made with
mkdir (atomic) in the reservation folder, with an ``owner`` file "<domain>/<primary alias>". The VFs are those of the PF
netdev in the hypervisor's emulated sysfs tree; lab-up writes where that tree and the folder are into nflab.json beside
this script (without it, nothing is reserved).
"""

import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EMBEDDED_SWITCH = "esw0"  # the bridge of the lab's emulated NIC, where its "VFs" are plugged (lab/nflab.py)
STANDBY_BRIDGE = "br0"  # the host bridge of the guests' STANDBY virtio-net NICs
QEMU_NAMESPACE = "{http://libvirt.org/schemas/domain/qemu/1.0}"
CONFIG = Path(__file__).resolve().with_name("nflab.json")
RESERVATION_PREFIX = "vf-"
OWNER_FILE = "owner"
_VIRTFN = re.compile(r"^virtfn(\d+)$")


class Refused(Exception):
    """What libvirt's error says when the hook refuses."""


def failover_paired_aliases(root):
    """Aliases that QEMU unplugs itself at migration: failover_pair_id given through <qemu:override>."""
    paired = set()
    for device in root.iter(QEMU_NAMESPACE + "device"):
        if any(prop.get("name") == "failover_pair_id" for prop in device.iter(QEMU_NAMESPACE + "property")):
            paired.add(device.get("alias"))
    return paired


def unmigratable_vfs(root):
    paired = failover_paired_aliases(root)
    found = []
    for interface in root.findall("./devices/interface"):
        source, alias = interface.find("source"), interface.find("alias")
        name = alias.get("name") if alias is not None else None
        if source is not None and source.get("bridge") == EMBEDDED_SWITCH and name not in paired:
            found.append(name or "(no alias)")
    return found


def vf_owners(root):
    """One reservation owner per STANDBY pair of the domain, "<domain>/<primary alias>": each virtio-net interface on
    the standby bridge with <teaming type='persistent'/> stands for a pair, whether its VF is plugged or not (the manual
    dance migrates without it). The lab names the pair's primary after its standby (ua-standbyN, ua-primaryN)."""
    name = root.findtext("name")
    owners = []
    for number, interface in enumerate(root.findall("./devices/interface")):
        source, teaming, alias = interface.find("source"), interface.find("teaming"), interface.find("alias")
        if source is None or source.get("bridge") != STANDBY_BRIDGE or teaming is None or teaming.get("type") != "persistent":
            continue
        standby = alias.get("name", "") if alias is not None else ""
        primary = standby.replace("standby", "primary", 1) if "standby" in standby else "ua-primary{0}".format(number)
        owners.append("{0}/{1}".format(name, primary))
    return owners


# --- the VFs and their reservations (the collection's layout) ---------------------------------------------------------


def pf_vfs(sysfs_root, pf):
    """The PCI addresses of the PF netdev's VFs, in VF number order (its virtfn<N> links)."""
    device = Path(sysfs_root, "class", "net", pf, "device")
    found = {}
    for entry in device.iterdir() if device.is_dir() else []:
        match = _VIRTFN.match(entry.name)
        if match:
            found[int(match.group(1))] = os.path.basename(os.readlink(entry))
    return [found[number] for number in sorted(found)]


def reservations(directory):
    """{PCI address: owner} of every reservation in the folder ("" for one whose owner file is being written)."""
    found = {}
    for entry in Path(directory).iterdir() if Path(directory).is_dir() else []:
        if entry.name.startswith(RESERVATION_PREFIX) and entry.is_dir():
            try:
                owner = (entry / OWNER_FILE).read_text(encoding="utf-8").strip()
            except OSError:
                owner = ""
            found[entry.name[len(RESERVATION_PREFIX):]] = owner
    return found


def describe(config, vfs, reserved):
    taken = ["{0} by {1}".format(address, reserved[address] or "a reservation being made") for address in vfs
             if address in reserved]
    return "{0} VF{1}, reserved: {2} (in {3})".format(len(vfs), "" if len(vfs) == 1 else "s", ", ".join(taken) or "none",
                                                      config["reservations"])


def plan(config, owners):
    """{owner: address} for each owner: the VF it holds, else a free one; Refused when there are too few."""
    vfs = pf_vfs(config["sysfs_root"], config["pf"])
    reserved = reservations(config["reservations"])
    held = {owner: address for address, owner in reserved.items() if owner in owners and address in vfs}
    free = [address for address in vfs if address not in reserved]
    wanted = [owner for owner in owners if owner not in held]
    if len(free) < len(wanted):
        raise Refused("no free VF of {0} on {1} for {2}: {3}. Free one, or choose another hypervisor.".format(
            config["pf"], config["hypervisor"], ", ".join(wanted), describe(config, vfs, reserved)))
    return dict(held, **dict(zip(wanted, free)))


def reserve(config, owners):
    """Reserve a VF for each owner, all or none (mkdir is atomic: a VF another hook took meanwhile is skipped);
    {owner: address}."""
    directory = Path(config["reservations"])
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    vfs = pf_vfs(config["sysfs_root"], config["pf"])
    reserved = reservations(directory)
    chosen = {owner: address for address, owner in reserved.items() if owner in owners and address in vfs}
    made = []
    for owner in [owner for owner in owners if owner not in chosen]:
        for address in vfs:
            if address in chosen.values():
                continue
            try:
                (directory / (RESERVATION_PREFIX + address)).mkdir(mode=0o700)
            except FileExistsError:
                continue
            made.append(address)
            (directory / (RESERVATION_PREFIX + address) / OWNER_FILE).write_text(owner + "\n", encoding="utf-8")
            chosen[owner] = address
            break
        else:
            for address in made:
                shutil.rmtree(directory / (RESERVATION_PREFIX + address), ignore_errors=True)
            raise Refused("no free VF of {0} on {1} for {2}: {3}. Free one, or choose another hypervisor.".format(
                config["pf"], config["hypervisor"], owner, describe(config, vfs, reservations(directory))))
    return chosen


def release(config, domain):
    """Remove every reservation of the domain (owner "<domain>/..."); the addresses released."""
    released = []
    for address, owner in sorted(reservations(config["reservations"]).items()):
        if owner.startswith(domain + "/"):
            shutil.rmtree(Path(config["reservations"], RESERVATION_PREFIX + address), ignore_errors=True)
            released.append(address)
    return released


def load_config(path=CONFIG):
    """lab-up's nflab.json: hypervisor, pf, sysfs_root, reservations; None without it (no reservations)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def hook(argv, xml, config):
    """What the hook does for libvirt's call argv (DOMAIN OPERATION SUB-OPERATION ...); Refused to refuse it."""
    operation = tuple(argv[2:4])
    if operation not in (("migrate", "begin"), ("prepare", "begin"), ("release", "end")):
        return
    root = ET.fromstring(xml)
    if operation == ("migrate", "begin"):
        vfs = unmigratable_vfs(root)
        if vfs:
            raise Refused("cannot migrate a domain with an assigned VF ({0}: the lab's emulated VF, which stands for "
                          "<hostdev mode='subsystem' type='pci'>): unplug it before the migration, or pair it for QEMU's "
                          "failover (<teaming type='transient'>)".format(", ".join(vfs)))
    if config is None:
        return
    if operation == ("migrate", "begin"):
        plan(config, vf_owners(root))  # prepare reserves: it runs next, and "release end" follows whatever fails then
    elif operation == ("prepare", "begin"):
        reserve(config, vf_owners(root))
    else:
        release(config, argv[1])


def main(argv):
    xml = sys.stdin.read()
    try:
        hook(argv, xml, load_config())
    except Refused as refusal:
        sys.stderr.write("{0}\n".format(refusal))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
