#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: migration_preflight
short_description: Check a STANDBY VM's migration on each hypervisor in one call, taking its lock on the source first
version_added: 0.1.0
author: netfailover.standby contributors (@netfailover)
description:
  - With O(side=source) (the default) it runs on the source hypervisor. With O(lock_directory), it first takes the
    VM's migration lock there, as M(netfailover.standby.migration_lock) does (its owner recorded, a stale lock taken
    over with a warning, a live run's lock refused with its owner named as RV(held_by), a folder error reported as a
    lock error); without O(lock_directory) it takes no lock. Then it only reads - it finds where the domain runs (here,
    already at the destination, or neither), reads its STANDBY pairs and VFs from its running definition (as the
    P(netfailover.standby.failover_pairs#filter) filter and M(netfailover.standby.vf_info) with
    O(netfailover.standby.vf_info#module:domain) do), checks that its guest is ready for the first step of the
    migration dance (steady or armed, read through the QEMU guest agent), that the destination's libvirt answers at
    O(destination_uri) from here, and, with O(fdb_port), that the port is a Linux bridge port the FDB steps can steer
    (an Open vSwitch port is refused).
  - With O(audit) (the default) it then audits what the guest's userspace does to the failover netdevs, as
    M(netfailover.standby.guest_readiness_info) does, and returns RV(audit). A finding of severity V(refuse) refuses
    the migration with each such finding, its netdev and its fix (nothing is changed; the lock, when taken, is in the
    result for its release); a finding of severity V(warn) becomes a warning. At the V(interfaces) level only
    C(address_on_slave) is judged; at the V(none) level the audit is skipped, which RV(audit) says.
  - Once the lock is taken, the result carries RV(lock_owner) also when a check fails, so that the caller can release
    the lock (M(netfailover.standby.migration_lock) with O(netfailover.standby.migration_lock#module:state=absent) and
    RV(lock_owner.run_id)).
  - With O(side=destination) it runs on the destination hypervisor and only reads - with O(fdb_port), it checks that
    the port can take the FDB steps for O(mac), and it returns as RV(missing) which of the bridges O(bridges) and the
    PCI devices O(pci_devices) the host has not got; it does not fail for them, the caller refuses with them.
  - The migrate role's lock and preflight in two tasks (one per hypervisor) instead of ten.
  - A domain that runs at neither host, or at the destination only, is no error; RV(location) says so.
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: The checks run as they are (they only read); the lock is reported as it would be taken or taken over and
      is not created.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: A run that holds the lock already keeps it (same O(run_id)); the checks change nothing.
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    details: With O(lock_directory), the action plugin fills in O(run_id), O(controller), O(pid) and O(started) on the
      controller and, when the lock's holder ran on the same controller host and its process is gone, takes the lock
      over - as for M(netfailover.standby.migration_lock).
options:
  side:
    description:
      - V(source) checks the source hypervisor (and takes the lock with O(lock_directory)); V(destination) checks the
        destination hypervisor.
    type: str
    choices: [source, destination]
    default: source
  name:
    description: The domain (libvirt's name for the VM).
    type: str
    required: true
  destination_uri:
    description:
      - The destination's libvirt URI as the source reaches it (the migration's URI). Required with O(side=source).
    type: str
  fdb_port:
    description:
      - The PF's bridge port, where the FDB steps pin the guest's MAC. Omit it when the migration steers no FDB entries.
    type: str
  mac:
    description:
      - With O(side=destination) and O(fdb_port), the guest's MAC (the FDB entry's) to check the port for. O(side=source)
        reads it from the first pair.
    type: str
  bridges:
    description:
      - With O(side=destination), the Linux bridges the host must have (the standbys' bridges, an emulated VF's).
    type: list
    elements: str
    default: []
  pci_devices:
    description:
      - With O(side=destination), the PCI addresses of the VFs the host must have (VFs at a fixed host PCI address).
    type: list
    elements: str
    default: []
  verify_timeout:
    description: Seconds to wait for the guest to be steady or armed.
    type: float
    default: 30
  verify_level:
    description:
      - The verification level of the migration (see the step modules' O(netfailover.standby.standby_link#module:verify_level)).
      - V(auto) takes the best level the guest agent allows (its C(guest-info)); an explicit level the agent does not allow,
        or an agent that does not answer (except with V(none)), is refused with what to change. RV(verify_level) is the
        level to give every step of the migration.
    type: str
    choices: [auto, full, interfaces, none]
    default: auto
  audit:
    description:
      - With O(side=source), audit the guest's userspace after the guest check (see RV(audit)).
    type: bool
    default: true
  audit_severities:
    description:
      - The severity of a finding id of the audit over its default - V(warn), V(refuse) or V(ignore), as
        O(netfailover.standby.guest_readiness_info#module:severities). Checked before the lock is taken.
      - "For example C({names_unstable_after_replug: refuse, address_on_slave: warn})."
    type: dict
    default: {}
  lock_directory:
    description:
      - With O(side=source), the lock folder on the source (created, mode 0700, when missing) in which the VM's lock is
        taken before the checks. Omit it to take no lock.
    type: path
  lock_stale_after:
    description:
      - Seconds after which another run's lock counts as stale and is taken over (as
        O(netfailover.standby.migration_lock#module:stale_after)).
    type: int
    default: 3600
  run_id:
    description:
      - The id of this run, recorded in the lock; a lock with the same id is this run's own. The action plugin makes one
        (a random UUID) when it is not given; RV(lock_owner.run_id) returns it.
    type: str
  job_id:
    description:
      - The AWX or AAP job of this run (C(awx_job_id)), recorded in the lock.
    type: str
  controller:
    description:
      - The controller host of this run, recorded in the lock. The action plugin fills it in.
    type: str
  pid:
    description:
      - The process id of this run on the controller, recorded in the lock. The action plugin fills it in.
    type: int
  started:
    description:
      - The run's start, in seconds since the epoch, recorded in the lock. The action plugin fills in the controller's time.
    type: float
  take_over:
    description:
      - Run ids whose locks are to be taken over even when not stale (their process is gone). The action plugin fills
        it in after checking on the controller.
    type: list
    elements: str
    default: []
  sysfs_root:
    description: Where sysfs is (for tests); the VFs' identities, the bridges and the PCI devices are read under it.
    type: path
    default: /sys
notes:
  - Needs the QEMU guest agent in the guest (read-only guest-exec of a sysfs walk and of the audit's script) and, with
    O(fdb_port), iproute2.
seealso:
  - module: netfailover.standby.guest_readiness_info
  - module: netfailover.standby.migration_lock
  - module: netfailover.standby.live_migrate
  - module: netfailover.standby.vf_info
  - module: netfailover.standby.guest_failover_info
"""

EXAMPLES = r"""
- name: Lock vm1 and check that it can move from hv1 to hv2
  netfailover.standby.migration_preflight:
    name: vm1
    destination_uri: qemu+tcp://hv2.example.com/system
    fdb_port: pf0
    lock_directory: /run/netfailover.standby/locks
    job_id: "{{ awx_job_id | default(omit) }}"
  register: preflight
  delegate_to: hv1

- name: Check that hv2 has the bridge br0, the VF 0000:3b:02.1 and the PF port pf0
  netfailover.standby.migration_preflight:
    side: destination
    name: vm1
    fdb_port: pf0
    mac: "52:54:00:6c:00:01"
    bridges: [br0]
    pci_devices: ["0000:3b:02.1"]
  register: destination
  delegate_to: hv2

- name: Refuse hv2 when it has not got them
  ansible.builtin.assert:
    that: destination.missing | length == 0
    fail_msg: "hv2 cannot take vm1: it has not got {{ destination.missing | join(', ') }}."

- name: Release the lock when the run ends
  netfailover.standby.migration_lock:
    vm: vm1
    run_id: "{{ preflight.lock_owner.run_id }}"
    state: absent
  delegate_to: hv1
  when: preflight.lock_owner is mapping
"""

RETURN = r"""
location:
  description: Where the domain runs - V(source) (here), V(destination) (migrated already) or V(neither).
  returned: side is source
  type: str
  sample: source
running_on_source:
  description: The domains that run here, when the domain runs at neither host (for the refusal); null otherwise.
  returned: side is source
  type: list
  elements: str
pairs:
  description: The STANDBY pairs of the running definition, as P(netfailover.standby.failover_pairs#filter) returns them.
  returned: side is source
  type: list
  elements: dict
vfs:
  description: The VFs of the domain, as M(netfailover.standby.vf_info) returns them for a domain (RV(netfailover.standby.vf_info#module:devices)).
  returned: side is source
  type: list
  elements: dict
guest:
  description: The guest check (level, state, message, pairs, reads); null when the domain is not here or has no pair.
  returned: side is source
  type: dict
guest_os:
  description: The guest's OS as its agent's C(guest-get-osinfo) names it (C(id), C(name), C(version), C(kernel-release));
    empty when the agent does not offer it; null when the domain is not here or has no pair.
  returned: side is source
  type: dict
  sample: {"id": "debian", "name": "Debian GNU/Linux", "kernel-release": "6.1.0-28-cloud-amd64"}
verify_level:
  description: The verification level for the migration's steps (C(level), one of full, interfaces, none) and why
    (C(why)); null when the domain is not here or has no pair.
  returned: side is source
  type: dict
  sample: {"level": "interfaces", "why": "auto: the agent allows guest-network-get-interfaces"}
audit:
  description:
    - The readiness audit of the guest (C(level), C(findings), C(unchecked), C(refuse), C(message)), as
      M(netfailover.standby.guest_readiness_info) returns them; also in the result of a refusal. Null without O(audit),
      or when the domain is not here or has no pair.
  returned: side is source
  type: dict
  sample: {"level": "full", "refuse": false, "unchecked": [], "findings": [{"id": "names_unstable_after_replug",
           "severity": "warn", "netdev": "ens11", "mac": "52:54:00:6c:00:01", "what": "systemd-udevd 252 does not rename
           an interface that is already up ...", "fix": "name only the failover master ens10 ...", "snippet": ""}],
           "message": "vm1: the readiness audit (full level) found 1 problem: ..."}
fdb:
  description: The FDB entry check on O(fdb_port) for the guest's MAC, as M(netfailover.standby.fdb_entry) reports it in check mode; null without O(fdb_port).
  returned: always
  type: dict
missing:
  description:
    - With O(side=destination), what of O(bridges) and O(pci_devices) the host has not got, each with the sysfs path
      that is missing.
  returned: side is destination
  type: list
  elements: str
  sample: ["the bridge esw9 (/sys/class/net/esw9/bridge)"]
lock:
  description: The lock folder; null without O(lock_directory).
  returned: side is source
  type: str
  sample: /run/netfailover.standby/locks/vm1
lock_owner:
  description:
    - This run's owner record while this run holds the lock (also when a check failed after the lock was taken), as
      M(netfailover.standby.migration_lock) returns it; null when this run took no lock (no O(lock_directory), or
      another run holds it).
  returned: side is source
  type: dict
  contains:
    vm:
      description: The VM's name.
      type: str
    run_id:
      description: The run's id (for the release).
      type: str
    controller:
      description: The controller host.
      type: str
    pid:
      description: The run's process on the controller.
      type: int
    job_id:
      description: The AWX or AAP job.
      type: str
    started:
      description: When the run took the lock, in seconds since the epoch.
      type: float
  sample: {vm: vm1, run_id: 6f1c0e52, controller: ctl1, pid: 4711, job_id: "42", started: 1764626400.5}
held_by:
  description: The owner record of the run that holds the lock when another run holds it (the module fails); null otherwise.
  returned: side is source
  type: dict
taken_over:
  description: The owner record of the stale lock taken over, or null.
  returned: side is source
  type: dict
"""

import functools

from ansible_collections.netfailover.standby.plugins.module_utils.guest.readiness import checked_severities
from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import FdbEntry
from ansible_collections.netfailover.standby.plugins.module_utils.migration.preflight import destination_preflight, locked_preflight
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "side": {"type": "str", "choices": ["source", "destination"], "default": "source"},
        "name": {"type": "str", "required": True},
        "destination_uri": {"type": "str"},
        "fdb_port": {"type": "str"},
        "mac": {"type": "str"},
        "bridges": {"type": "list", "elements": "str", "default": []},
        "pci_devices": {"type": "list", "elements": "str", "default": []},
        "verify_timeout": {"type": "float", "default": 30.0},
        "verify_level": {"type": "str", "choices": ["auto", "full", "interfaces", "none"], "default": "auto"},
        "audit": {"type": "bool", "default": True},
        "audit_severities": {"type": "dict", "default": {}},
        "lock_directory": {"type": "path"},
        "lock_stale_after": {"type": "int", "default": 3600},
        "run_id": {"type": "str"},
        "job_id": {"type": "str"},
        "controller": {"type": "str"},
        "pid": {"type": "int"},
        "started": {"type": "float"},
        "take_over": {"type": "list", "elements": "str", "default": []},
        "sysfs_root": {"type": "path", "default": "/sys"},
    }


def run(module):
    params = module.params
    ansible = module.module
    fdb_entry_for = None
    if params["fdb_port"]:  # the tools are found before the lock is taken: a missing one leaves no lock behind
        fdb_entry_for = functools.partial(FdbEntry, ansible.run_command, port=params["fdb_port"], state="absent",
                                          bridge=ansible.get_bin_path("bridge", required=True),
                                          ip=ansible.get_bin_path("ip", required=True))
    if params["side"] == "destination":
        return destination_preflight(params, fdb_entry_for=fdb_entry_for, sysfs_root=params["sysfs_root"])
    # a severity that is no severity fails before the lock is taken
    checked_severities(params["audit_severities"], option="audit_severities")
    return locked_preflight(lambda: module.connection, params, check_mode=module.check_mode, warn=ansible.warn,
                            fdb_entry_for=fdb_entry_for, sysfs_root=params["sysfs_root"])


def main():
    module = LibvirtModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("side", "source", ["destination_uri"])])
    module.run(run)


if __name__ == "__main__":
    main()
