# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab hypervisors' libvirt qemu hook: an emulated VF refuses to migrate, as a real one does.

libvirt refuses to migrate a domain that has an assigned PCI device (qemuMigrationSrcIsAllowedHostdev: "cannot migrate
a domain with <hostdev mode='subsystem' type='pci'>"), unless it is paired for QEMU's own failover unplug
(<teaming type='transient'>). The lab's emulated VF is a plain emulated NIC that QEMU would carry across, which hid a
dance that forgot to unplug a VF. libvirt runs this hook on the destination with "DOMAIN migrate begin -" and the
incoming domain XML on stdin; a non-zero exit cancels the migration, with stderr in libvirt's error. Empty output keeps
the XML as it is. Every other operation passes.
"""

import sys
import xml.etree.ElementTree as ET

EMBEDDED_SWITCH = "esw0"  # the bridge of the lab's emulated NIC, where its "VFs" are plugged (lab/nflab.py)
QEMU_NAMESPACE = "{http://libvirt.org/schemas/domain/qemu/1.0}"


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


def main(argv):
    if len(argv) < 3 or argv[2] != "migrate":
        return 0
    root = ET.fromstring(sys.stdin.read())
    vfs = unmigratable_vfs(root)
    if vfs:
        sys.stderr.write("cannot migrate a domain with an assigned VF ({0}: the lab's emulated VF, which stands for "
                         "<hostdev mode='subsystem' type='pci'>): unplug it before the migration, or pair it for QEMU's "
                         "failover (<teaming type='transient'>)\n".format(", ".join(vfs)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
