#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: guest_readiness_info
short_description: Audit what a guest's userspace does to its failover netdevs, with the fix for each problem
version_added: 0.1.0
description:
  - Runs on the hypervisor and reads the guest through its QEMU guest agent. For each failover pair of the domain's
    definition it says whether the guest's userspace will break failover - NetworkManager, systemd-networkd,
    ifupdown, netplan, cloud-init or sysconfig configuring the standby or the VF, an address or a DHCP client on
    either, a configuration that matches the MAC the three netdevs share, different MTUs, names that do not survive a
    re-plug of the VF, a kernel without C(net_failover), a NIC that did not negotiate STANDBY.
  - Each finding names the netdev, says what is wrong and what to change in the guest, with a configuration snippet
    for the tool found (NetworkManager C(unmanaged-devices), a networkd C([Match]), a cloud-init network config). The
    finding ids and their default severities are in the collection's C(docs/guest-readiness.md).
  - The audit is a read-only POSIX shell script run by C(guest-exec) beside the sysfs walk of
    M(netfailover.standby.guest_failover_info) (the V(full) verification level). At the V(interfaces) level (an agent
    that blocks C(guest-exec)) only C(address_on_slave) can be judged, from C(guest-network-get-interfaces), and
    every other check is listed in RV(unchecked); at the V(none) level nothing is read.
  - The module never fails for a finding; it reports them with their severity (RV(refuse) is true when one has the
    severity V(refuse)). M(netfailover.standby.migration_preflight) and the roles refuse on them.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  name:
    description: The libvirt domain whose guest to audit. It must be running, with a guest agent.
    type: str
    required: true
  macs:
    description:
      - Only the failover pairs with these MACs (as in the domain definition).
      - Empty (the default) audits every STANDBY pair of the running definition; a domain without one, every failover
        pair its guest has.
    type: list
    elements: str
    default: []
  severities:
    description:
      - The severity of a finding id, over its default - V(warn), V(refuse) or V(ignore) (left out of the result).
      - "For example C({names_unstable_after_replug: refuse, mtu_mismatch: warn})."
    type: dict
    default: {}
  verify_level:
    description:
      - V(full) runs the audit through C(guest-exec). V(interfaces) reads only C(guest-network-get-interfaces) and
        judges only C(address_on_slave). V(none) reads nothing. V(auto) (the default) takes the best level the agent
        allows (its C(guest-info)).
    type: str
    choices: [auto, full, interfaces, none]
    default: auto
  timeout:
    description: Seconds to wait for a guest agent that does not answer yet (a guest still booting).
    type: float
    default: 30
notes:
  - The guest's answers are data it controls. The module only reports them; the MACs of the pairs come from the domain's
    definition.
seealso:
  - module: netfailover.standby.guest_failover_info
  - module: netfailover.standby.migration_preflight
"""

EXAMPLES = r"""
- name: Audit the guest of vm1
  netfailover.standby.guest_readiness_info:
    name: vm1
  register: vm1_readiness

- name: Show each finding with its fix
  ansible.builtin.debug:
    msg: "{{ vm1_readiness.message }}"

- name: Fail when the guest's userspace will break failover
  ansible.builtin.assert:
    that: not vm1_readiness.refuse
    fail_msg: "{{ vm1_readiness.message }}"

- name: Audit vm2, taking unstable names as an error and a differing MTU as a warning
  netfailover.standby.guest_readiness_info:
    name: vm2
    severities:
      names_unstable_after_replug: refuse
      mtu_mismatch: warn
"""

RETURN = r"""
level:
  description: The verification level the guest was read at (see O(verify_level)).
  returned: success
  type: str
  sample: full
why:
  description: Why that level (V(auto)'s choice, or asked for).
  returned: success
  type: str
  sample: "auto: the agent allows guest-exec, guest-exec-status"
findings:
  description:
    - What breaks (V(refuse)) or may break (V(warn)) failover in the guest, per pair; findings set to V(ignore) are
      left out.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The finding (C(docs/guest-readiness.md) lists them all).
      type: str
      sample: slave_managed_by_networkmanager
    severity:
      description: V(refuse) or V(warn), from O(severities) or the finding's default.
      type: str
      sample: refuse
    netdev:
      description: The guest netdev it concerns; null where the level cannot tell which one.
      type: str
      sample: ens11
    mac:
      description: The pair's MAC.
      type: str
      sample: "52:54:00:00:12:53"
    what:
      description: What is wrong, with the names, files and processes seen.
      type: str
      sample: "NetworkManager manages the VF ens11 (nmcli: connected, connection 'Wired connection 1'); a managed device
        gets an automatic DHCP connection when it has carrier"
    fix:
      description: What to change in the guest.
      type: str
      sample: make NetworkManager leave the standby and the VF alone (unmanaged-devices) and keep its connection on the
        failover master ens10 only; ...
    snippet:
      description: Configuration for the tool found, with the file to put it in; empty when there is none.
      type: str
      sample: "# /etc/NetworkManager/conf.d/90-netfailover-slaves.conf\n[keyfile]\nunmanaged-devices=interface-name:ens10nsby;driver:iavf\n"
  sample:
    - id: slave_managed_by_networkmanager
      severity: refuse
      netdev: ens11
      mac: "52:54:00:00:12:53"
      what: "NetworkManager manages the VF ens11 (nmcli: connected, connection 'Wired connection 1'); a managed device
        gets an automatic DHCP connection when it has carrier"
      fix: "make NetworkManager leave the standby and the VF alone (unmanaged-devices) and keep its connection on the
        failover master ens10 only; driver: matches every NIC of that driver, so use interface-name: instead if another
        NIC of that driver must stay managed (the VF may come back under another name after a re-plug)"
      snippet: "# /etc/NetworkManager/conf.d/90-netfailover-slaves.conf\n[keyfile]\nunmanaged-devices=interface-name:ens10nsby;driver:iavf\n"
    - id: names_unstable_after_replug
      severity: warn
      netdev: ens11
      mac: "52:54:00:00:12:53"
      what: "systemd-udevd 252 does not rename an interface that is already up, and net_failover brings a re-plugged VF
        up at once: the VF ens11 has a udev name; after a re-plug (a migration) it comes back as ethN; configuration,
        firewall rules or monitoring that name ens11 miss it"
      fix: "name only the failover master ens10 (its name is stable) in the guest's configuration, never the VF; or use
        systemd 254 or later, whose udev tries the rename of an up interface (failover slaves allow it)"
      snippet: ""
unchecked:
  description: What the audit could not check in this guest, and why (a tool the guest has not got, the level).
  returned: success
  type: list
  elements: dict
  sample: [{"check": "mtu_mismatch", "why": "the interfaces level reads only guest-network-get-interfaces (names, MACs,
            addresses): the audit needs guest-exec, which the agent does not allow here"}]
refuse:
  description: Whether a finding has the severity V(refuse).
  returned: success
  type: bool
  sample: true
pairs:
  description:
    - One entry per failover pair audited - C(mac), C(master), C(standby), C(primary) (the netdevs' names), C(state)
      (as M(netfailover.standby.guest_failover_info) classifies it) and the pair's C(findings). At the V(interfaces)
      level C(netdevs) lists the netdevs with the pair's MAC, and the names of the roles and the state are null.
  returned: success
  type: list
  elements: dict
  sample: [{"mac": "52:54:00:00:12:53", "master": "ens10", "standby": "ens10nsby", "primary": "ens11", "state": "steady",
            "netdevs": null, "findings": []}]
guest:
  description: What the audit read of the guest (kernel, systemd and udev versions, C(net_failover), the network managers
    and DHCP clients running); empty below the V(full) level.
  returned: success
  type: dict
  sample: {"kernel": "6.1.0-28-cloud-amd64", "systemd_version": 252, "udev_version": 252, "net_failover": "loaded",
           "networkmanager": true, "networkd": false, "net_ifnames": true, "biosdevname": null, "dhcp_clients": []}
message:
  description: The audit in words, each finding with its fix.
  returned: success
  type: str
  sample: "vm1: the readiness audit (full level) found nothing that breaks failover."
"""

from ansible_collections.netfailover.standby.plugins.module_utils.guest import readiness
from ansible_collections.netfailover.standby.plugins.module_utils.guest.failover import checked_macs
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import reading_for
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import get_domain
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "name": {"type": "str", "required": True},
        "macs": {"type": "list", "elements": "str", "default": []},
        "severities": {"type": "dict", "default": {}},
        "verify_level": {"type": "str", "choices": ["auto", "full", "interfaces", "none"], "default": "auto"},
        "timeout": {"type": "float", "default": 30.0},
    }


def run(module):
    params = module.params
    severities = readiness.checked_severities(params["severities"])
    macs = checked_macs(params["macs"])
    domain = get_domain(module.connection, params["name"])
    result = readiness.audit_waiting(reading_for(domain, params), params["timeout"], macs=macs, severities=severities)
    return dict(result, changed=False)


def main():
    # guest-exec needs a read-write connection
    module = LibvirtModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
