# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's SSH ProxyCommand for the host name "<guest>.guest": a connection to the SSH server of the hypervisor that
runs the guest now, so that the inventory's guests (community.libvirt.libvirt_qemu over libvirt's qemu+ssh transport)
follow them wherever a migration put them.

Usage (lab/nflab.py writes it into the lab's ssh config): guest_proxy.py STATE_DIR HOST PORT
"""

import json
import os
import sys
from pathlib import Path

SUFFIX = ".guest"


def where(facts, guest):
    """The hypervisor whose libvirtd runs ``guest``: while a migration runs it is active on two, and the one where it
    is not paused (the source until the switch-over) counts; None when it runs nowhere."""
    import libvirt  # pylint: disable=import-outside-toplevel
    libvirt.registerErrorHandler(lambda _context, _error: None, None)  # a domain that is not there is no error here
    active = {}
    for hv in facts["hypervisors"]:
        try:
            connection = libvirt.open(facts["uris"][hv])
        except libvirt.libvirtError:
            continue  # its libvirtd is stopped (a fault test)
        try:
            active[hv] = connection.lookupByName(guest).state()[0]
        except libvirt.libvirtError:
            pass
        finally:
            connection.close()
    running = [hv for hv, state in active.items() if state == libvirt.VIR_DOMAIN_RUNNING]
    return (running or sorted(active) or [None])[0]


def main(argv):
    state, host, port = Path(argv[1]), argv[2], argv[3]
    facts = json.loads((state / "lab.json").read_text())
    guest = host[:-len(SUFFIX)] if host.endswith(SUFFIX) else host
    hv = where(facts, guest)
    if hv is None:
        sys.stderr.write("nflab: {0} runs on no hypervisor of the lab {1} ({2})\n".format(
            guest, facts["prefix"], ", ".join(facts["hypervisors"])))
        return 1
    os.execvp("ip", ["ip", "netns", "exec", facts["net_namespace"], "nc", facts["mgmt_addresses"][hv], port])
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
