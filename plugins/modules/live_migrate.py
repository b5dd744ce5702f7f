#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: live_migrate
short_description: Live-migrate a libvirt domain to another hypervisor and report libvirt's job statistics
version_added: 0.1.0
description:
  - Live-migrates the running domain O(name) from the hypervisor at O(uri) (the source) to the one at O(destination_uri),
    as C(virsh migrate --live) does, with C(virDomainMigrateToURI3) (O(mode=p2p)) or C(virDomainMigrate3) (O(mode=managed)).
  - While the migration runs the module polls the job (C(virDomainGetJobStats)) for progress, switches to post-copy when
    asked to (O(postcopy), O(postcopy_after)) and aborts the job (C(virDomainAbortJob)) when O(timeout) passes; the domain
    then keeps running on the source.
  - With O(stall_seconds) it also watches for a migration that does not converge (the guest dirties memory as fast as
    the bandwidth moves it), and with O(unplug_timeout) for QEMU waiting in C(wait-unplug) for a guest that does not
    release its failover VF; see O(on_stall) for what it does then, and RV(stall) for the figures it reports.
  - Afterwards it returns libvirt's statistics of the completed job (downtime, data transferred, time), read from the
    destination (or the source). libvirt's downtime is the time the guest was paused; it is not the network outage,
    which also depends on the guest's failover state and the switches' learning.
  - Idempotent. When the domain already runs at the destination and not at the source, nothing is done.
  - It does not touch the STANDBY pair. Unplug the VF before (M(netfailover.standby.primary_device)) unless QEMU does it
    (teaming), and plug one in on the destination afterwards.
  - With O(verify_states), the module then checks the guest's failover state on the destination, through the guest
    agent there (a read-write connection to O(destination_uri)); after a manual dance the guest should run on its
    standby alone (V(standby_only_up)).
  - With O(fdb_mac) and O(fdb_port) (the QEMU-driven failover, libvirt C(<teaming>), where QEMU unplugs the VF when the
    migration starts), the module reads the guest's topology once, then asks its guest agent for its netdevs at every
    poll of the migration and, the moment the VF's netdev is gone, points the source bridge's forwarding (FDB) entry
    for the guest's MAC at O(fdb_port), the standby's tap (static, sticky). Until then inbound frames go to the VF that
    is gone. A failure to change the entry never stops the migration; it is reported in RV(fdb). When the migration
    fails after the switch, QEMU plugs the VF back on the source, and the module moves the entry back to where it was
    pinned the moment the VF is back in the guest (RV(fdb_restored)).
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
  - netfailover.standby.guest_verify.step
  - netfailover.standby.guest_verify.fdb_step
  - netfailover.standby.guest_verify
attributes:
  check_mode:
    support: full
    details: Checks that the destination answers, that the domain runs at the source and is not at the destination yet; migrates nothing.
  diff_mode:
    support: full
    details: Shows the hypervisor the domain runs on before and after.
  idempotent:
    support: full
    details: A domain that already runs at the destination (and not at the source) is left alone.
options:
  name:
    description:
      - The domain to migrate. It must run at O(uri).
    type: str
    required: true
  destination_uri:
    description:
      - The destination hypervisor's libvirt URI, for example C(qemu+tcp://198.51.100.12/system) or C(qemu+ssh://hv2/system).
      - The module opens it read-only from the host it runs on (to check where the domain is and to read the statistics),
        and with O(mode=managed) also read-write to drive the migration. With O(mode=p2p) the source's libvirtd opens it
        too, so it must work from there as well.
    type: str
    required: true
  mode:
    description:
      - V(p2p) (peer-to-peer) lets the source libvirtd connect to the destination and run the migration
        (C(VIR_MIGRATE_PEER2PEER), like C(virsh migrate --p2p)).
      - V(managed) lets the module open the destination connection itself and drive the migration through both connections.
    type: str
    choices: [p2p, managed]
    default: p2p
  migrate_uri:
    description:
      - Where the migration data goes, for example C(tcp://198.51.100.12) (C(VIR_MIGRATE_PARAM_URI)). By default the
        destination libvirt chooses (its C(migration_host) or host name).
    type: str
  persistent:
    description:
      - Define the domain persistently on the destination (C(VIR_MIGRATE_PERSIST_DEST)). libvirt defines it from the
        source's persistent definition, not from O(destination_xml).
    type: bool
    default: true
  undefine_source:
    description:
      - Undefine the domain on the source after a successful migration (C(VIR_MIGRATE_UNDEFINE_SOURCE)).
    type: bool
    default: true
  bandwidth:
    description:
      - The maximum migration bandwidth in MiB/s (C(VIR_MIGRATE_PARAM_BANDWIDTH)). Unlimited by default.
    type: int
  max_downtime:
    description:
      - The maximum tolerable downtime in milliseconds, set on the source just before the migration starts
        (C(virDomainMigrateSetMaxDowntime)). QEMU's default (300 ms) by default.
    type: int
  auto_converge:
    description:
      - Let QEMU throttle the guest's vCPUs when the migration does not converge (C(VIR_MIGRATE_AUTO_CONVERGE)).
    type: bool
    default: false
  postcopy:
    description:
      - Enable post-copy (C(VIR_MIGRATE_POSTCOPY)). The migration still starts as pre-copy.
      - It switches to post-copy (C(virDomainMigrateStartPostCopy)) only after O(postcopy_after) seconds, if it has not
        finished by then. Without O(postcopy_after) the module never switches; an operator can (C(virsh migrate-postcopy)).
      - Once in post-copy a migration cannot be aborted, and the domain is lost if either host fails before it ends.
    type: bool
    default: false
  postcopy_after:
    description:
      - With O(postcopy), seconds after the start of the migration when the module switches to post-copy.
      - Requires O(postcopy=true).
    type: float
  destination_xml:
    description:
      - A full domain XML to use for the domain on the destination (C(VIR_MIGRATE_PARAM_DEST_XML)), for example with
        another VF's host PCI address. It must keep the guest ABI (libvirt checks); get it with C(virsh dumpxml --migratable).
      - It sets the running definition only; see O(persistent). Mutually exclusive with O(destination_devices).
    type: str
  destination_devices:
    description:
      - Devices that are different on the destination, each put in place of the domain's device with the same alias, in
        the running definition the destination starts (C(VIR_MIGRATE_PARAM_DEST_XML)) and, with O(persistent), in its
        persistent definition (C(VIR_MIGRATE_PARAM_PERSIST_XML)). The typical use is the destination's own VF (another
        host PCI address, or another hostdev network); with C(<teaming type='transient'>) libvirt plugs that VF on the
        destination; after the manual dance (the VF unplugged before the migration, so only the persistent definition
        has it) the next cold boot on the destination takes that VF, not the source's.
      - Both definitions are read from the source with the secure data (VNC/SPICE passwords) in their migratable form,
        so nothing the user defined is lost. The source's own persistent definition is not changed.
      - A device that neither definition has fails the module before anything moves. Check mode reports which
        definitions would get which device (RV(destination_devices)).
    type: list
    elements: dict
    suboptions:
      alias:
        description: The device's alias (C(<alias name='ua-...'/>)).
        type: str
        required: true
      xml:
        description: The device XML on the destination.
        type: str
        required: true
  timeout:
    description:
      - Seconds the migration may take, a retry with auto-converge (O(on_stall)) included. Then the module aborts it and
        fails; the domain keeps running on the source.
    type: float
    default: 300
  stall_seconds:
    description:
      - Seconds without progress after which a migration that does not converge counts as stalled.
      - Pre-copy sends the guest's memory in passes; each pass starts with what the guest dirtied during the pass before
        (C(memory_iteration) and C(data_remaining) of the job statistics). Progress is a pass that starts with at least
        5% less data remaining than the best pass before it. The first pass (the bulk copy) is not compared, and a stall
        needs at least one pass that brought no progress, so a pass longer than O(stall_seconds) is never cut short.
      - Not watched when not given or V(0). Never looked for after the switch to post-copy (which cannot be aborted).
    type: float
  on_stall:
    description:
      - What to do when the migration does not converge (O(stall_seconds)).
      - V(auto_converge) aborts it and migrates once more with auto-converge (C(VIR_MIGRATE_AUTO_CONVERGE), QEMU throttles
        the guest's vCPUs until it converges; O(auto_converge_initial), O(auto_converge_increment)); QEMU cannot turn it on
        in a running migration. When that migration stalls too, the module aborts it and fails. There is no retry when
        O(auto_converge) was on already, with O(variant=teaming) or O(fdb_mac) (QEMU plugged the VF back on the abort, a
        new migration would unplug it again), or when less than a second of O(timeout) is left.
      - V(abort) aborts it and fails.
      - Either way a failed migration leaves the domain running on the source. A stall in C(wait-unplug)
        (O(unplug_timeout)) is always aborted.
    type: str
    choices: [auto_converge, abort]
    default: auto_converge
  unplug_timeout:
    description:
      - Seconds a migration may wait for the guest to release its failover VF (QEMU's C(wait-unplug), with libvirt
        C(<teaming>) or QEMU's C(failover_pair_id)), counted from the moment the destination runs the incoming domain.
        QEMU itself waits forever. Then the module aborts the migration and fails.
      - The module sees the wait as a job with no data to transfer yet (libvirt reports QEMU's memory figures only once
        memory moves).
      - After the abort QEMU waits up to 30 s more for the unplug to complete, then plugs the VF back (a guest that
        never released it just keeps it); the module waits for the migration call to return meanwhile.
      - Not watched when not given or V(0).
    type: float
  auto_converge_initial:
    description:
      - With auto-converge (O(auto_converge), or the retry of O(on_stall)), the percentage of vCPU time QEMU takes from
        the guest first (C(VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL)), 1 to 100. QEMU's default (20) when not given.
    type: int
  auto_converge_increment:
    description:
      - With auto-converge, how many percent more QEMU takes each time the migration still does not converge
        (C(VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT)), 1 to 100. QEMU's default (10) when not given.
    type: int
  poll_interval:
    description:
      - Seconds between two reads of the job's progress (at most 0.05 with O(fdb_mac), to catch the guest's release).
    type: float
    default: 0.5
  fdb_mac:
    description:
      - The guest's MAC whose FDB entry on the source is pointed at O(fdb_port) when the guest releases its VF during the
        migration (teaming). Requires O(fdb_port) or O(fdb_pf). Needs iproute2's C(bridge) and C(ip) on the source.
    type: str
  fdb_port:
    description:
      - The source bridge's port for O(fdb_mac) once the guest released its VF, the standby's tap. A port that is not on a
        bridge fails before the migration starts. Requires O(fdb_mac).
      - On a bridge that filters VLANs (C(vlan_filtering 1)) the entry is in the VLAN of the guest's standby tap (its
        PVID; the tap is the virtio interface with O(fdb_mac) in the live XML). A port of an Open vSwitch datapath is
        refused before the migration starts, as Open vSwitch is not supported for the FDB steps (see
        M(netfailover.standby.fdb_entry)).
    type: str
seealso:
  - module: netfailover.standby.primary_device
  - name: virDomainMigrateToURI3
    description: The libvirt call behind O(mode=p2p), with its flags and parameters.
    link: https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainMigrateToURI3
"""

EXAMPLES = r"""
- name: Migrate vm1 from this hypervisor to hv2 (peer-to-peer)
  netfailover.standby.live_migrate:
    name: vm1
    destination_uri: qemu+tcp://198.51.100.12/system
    timeout: 120
  register: migrated

- name: Show libvirt's downtime
  ansible.builtin.debug:
    msg: "{{ migrated.job.downtime_ms }} ms downtime, {{ migrated.job.data_total_bytes }} bytes"

- name: Managed migration with a bandwidth cap, a maximum downtime and post-copy after 20 s
  netfailover.standby.live_migrate:
    name: vm1
    destination_uri: qemu+ssh://hv2/system
    mode: managed
    migrate_uri: tcp://198.51.100.12
    bandwidth: 1000
    max_downtime: 100
    postcopy: true
    postcopy_after: 20

- name: Migrate vm1, aborting when it stops converging for 60 s and retrying once with auto-converge (30%, then 10% more)
  netfailover.standby.live_migrate:
    name: vm1
    destination_uri: qemu+tcp://198.51.100.12/system
    stall_seconds: 60
    on_stall: auto_converge
    auto_converge_initial: 30
  register: migrated

- name: Show why the migration stalled, if it did
  ansible.builtin.debug:
    msg: "{{ migrated.stall }}"
  when: migrated.stall is not none
"""

RETURN = r"""
name:
  description: The domain.
  returned: always
  type: str
  sample: vm1
source_uri:
  description: The source's URI as libvirt reports it.
  returned: always
  type: str
  sample: qemu:///system
destination_devices:
  description:
    - With O(destination_devices), the aliases of the devices put in place in each destination definition (C(live),
      C(persistent)); null without it.
  returned: when the module migrates (or would, in check mode)
  type: dict
  sample: {"live": ["ua-primary0"], "persistent": ["ua-primary0"]}
destination_uri:
  description: The destination's URI.
  returned: always
  type: str
  sample: qemu+tcp://198.51.100.12/system
mode:
  description: The migration mode.
  returned: always
  type: str
  sample: p2p
location:
  description: Where the domain runs afterwards (V(source), V(destination); after a failure also V(both) or V(unknown)).
    In check mode, where it runs now.
  returned: always
  type: str
  sample: destination
flags:
  description: The names of the migration flags used (or that would be used); after a retry with auto-converge, the
    retry's.
  returned: always
  type: list
  elements: str
  sample: [VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_PERSIST_DEST, VIR_MIGRATE_UNDEFINE_SOURCE]
flags_value:
  description: The migration flags as a number.
  returned: always
  type: int
  sample: 27
job:
  description:
    - libvirt's statistics of the completed migration job (null when nothing was migrated or libvirt kept none).
    - Each field carries its unit in its name; C(libvirt) holds the statistics exactly as libvirt gave them.
  returned: always
  type: dict
  contains:
    downtime_ms:
      description: How long the guest was paused (libvirt's C(downtime)).
      type: int
    downtime_net_ms:
      description: The downtime without the time needed to hand control from the source host to the destination host
        (C(downtime_net)).
      type: int
    time_elapsed_ms:
      description: The migration's duration (C(time_elapsed)).
      type: int
    setup_time_ms:
      description: QEMU's setup time (C(setup_time)).
      type: int
    data_total_bytes:
      description: Bytes to transfer (C(data_total)).
      type: int
    data_processed_bytes:
      description: Bytes transferred (C(data_processed)).
      type: int
    data_remaining_bytes:
      description: Bytes left (C(data_remaining)).
      type: int
    memory_total_bytes:
      description: Guest memory to transfer (C(memory_total)).
      type: int
    memory_processed_bytes:
      description: Guest memory transferred (C(memory_processed)).
      type: int
    memory_remaining_bytes:
      description: Guest memory left (C(memory_remaining)).
      type: int
    memory_iteration:
      description: How many passes over the guest memory (C(memory_iteration)).
      type: int
    memory_dirty_pages_per_second:
      description: The guest's page dirtying rate (C(memory_dirty_rate)).
      type: int
    memory_bytes_per_second:
      description: The memory transfer rate (C(memory_bps)).
      type: int
    libvirt:
      description: The statistics as libvirt gave them (field names of C(virDomainGetJobStats)).
      type: dict
  sample: {"downtime_ms": 43, "time_elapsed_ms": 3012, "data_total_bytes": 276897792, "data_processed_bytes": 105906176,
           "memory_iteration": 2, "libvirt": {"type": 3, "downtime": 43}}
job_read_from:
  description: Where the statistics were read (V(destination) or V(source)); null without statistics.
  returned: always
  type: str
  sample: destination
elapsed_seconds:
  description: How long the migration call took, seen by the module.
  returned: always
  type: float
  sample: 3.1
progress:
  description: The last samples of the running job (elapsed seconds, bytes processed and remaining, memory iteration).
  returned: always
  type: list
  elements: dict
  sample: [{"elapsed_seconds": 0.5, "data_processed_bytes": 52428800, "data_remaining_bytes": 120000000, "memory_iteration": 1}]
postcopy_started:
  description: Whether the module switched the migration to post-copy.
  returned: always
  type: bool
  sample: false
notes:
  description: What the module did besides migrating (maximum downtime set, post-copy switch, abort, retry with auto-converge).
  returned: always
  type: list
  elements: str
  sample: ["maximum downtime set to 100 ms"]
fdb:
  description:
    - With O(fdb_mac), the FDB switch on the source as M(netfailover.standby.fdb_entry) returns it (in check mode, what it
      would do); with C(failed) and C(msg) when changing the entry failed; null when no read of the guest saw it release
      its VF during the migration, or without O(fdb_mac).
  returned: always
  type: dict
  sample: {"mac": "52:54:00:6c:00:01", "port": "vnet0", "bridge": "br0", "changed": true}
released_seconds:
  description: With O(fdb_mac), when (seconds after the migration started) a check of the guest first saw the VF released.
  returned: always
  type: float
  sample: 6.2
fdb_restored:
  description:
    - With O(fdb_mac), when the migration failed after the FDB switch and the domain still runs on the source, the
      entry moved back to the port where it was pinned before the switch (the PF), as M(netfailover.standby.fdb_entry)
      returns it, on the first check that finds the VF QEMU plugs back among the guest's netdevs (net_failover enslaves
      it as it registers). Null otherwise; a note says why when the entry stayed on O(fdb_port).
  returned: always
  type: dict
  sample: {"mac": "52:54:00:6c:00:01", "port": "pf0", "bridge": "br0", "changed": true}
release_watch:
  description:
    - With O(fdb_mac), how the guest was watched for the release of its VF during the migration; null without O(fdb_mac).
    - A long C(slowest_check_seconds) means the guest agent answered late (the guest was busy unplugging), which delays
      the FDB switch by as much.
  returned: always
  type: dict
  contains:
    primary:
      description: The VF's netdev in the guest that the watch waited for; null when the guest showed no enslaved VF.
      type: str
    checks:
      description: How many times the guest's netdevs were listed.
      type: int
    failed_checks:
      description: How many of those listings failed (the guest agent did not answer in time).
      type: int
    slowest_check_seconds:
      description: The longest a single listing took.
      type: float
    last_error:
      description: The last error of the watch, or null.
      type: str
  sample: {"primary": "eth1", "checks": 93, "failed_checks": 0, "slowest_check_seconds": 0.41, "last_error": null}
stall:
  description:
    - The stall the module found (the last one, when a retry stalled too), with the figures that triggered it; null when
      none was found.
  returned: always
  type: dict
  contains:
    kind:
      description: V(not_converging) (O(stall_seconds)) or V(wait_unplug) (O(unplug_timeout)).
      type: str
    action:
      description: V(retried_with_auto_converge) (the retry then succeeded) or V(aborted).
      type: str
    attempts:
      description: How many migrations the module started (2 after a retry with auto-converge).
      type: int
    detected_after_s:
      description: Seconds from the start of that migration to the stall.
      type: float
    stalled_for_s:
      description: Seconds without progress (not_converging) or waiting after the destination was ready (wait_unplug).
      type: float
    bound_s:
      description: The bound that was passed (O(stall_seconds) or O(unplug_timeout)).
      type: float
    passes:
      description: The last passes over the guest's memory, each with its number (C(iteration)), when it started
        (C(elapsed_s)) and the MiB remaining then (C(remaining_mib)); empty for wait_unplug.
      type: list
      elements: dict
    remaining_mib:
      description: MiB left to send at the last poll; null for wait_unplug.
      type: float
    best_remaining_mib:
      description: The fewest MiB a pass after the first started with; null for wait_unplug.
      type: float
    dirty_rate_mibs:
      description: How fast the guest dirtied memory (libvirt's C(memory_dirty_rate) times the page size), MiB/s. In a
        migration that does not converge it is about the bandwidth or more; null for wait_unplug.
      type: float
    bandwidth_mibs:
      description: How fast the migration moved memory (C(memory_bps)), MiB/s; null for wait_unplug.
      type: float
    auto_converge_throttle_percent:
      description: The share of vCPU time auto-converge took from the guest then, or null.
      type: int
    earlier:
      description: The stall of the first migration when the retry stalled too (the same fields), else empty.
      type: list
      elements: dict
  sample: {"kind": "not_converging", "action": "aborted", "attempts": 2, "detected_after_s": 64.2, "stalled_for_s": 20.1,
           "bound_s": 20, "passes": [{"iteration": 2, "elapsed_s": 44.1, "remaining_mib": 32.4},
                                      {"iteration": 3, "elapsed_s": 56.9, "remaining_mib": 32.1}],
           "remaining_mib": 13.9, "best_remaining_mib": 32.1, "dirty_rate_mibs": 2.49, "bandwidth_mibs": 2.5,
           "auto_converge_throttle_percent": 30, "earlier": []}
guest:
  description:
    - The guest's failover state on the destination after the migration (or when it already ran there), read through the
      guest agent there when O(verify_states) was given; null otherwise, and in check mode.
  returned: always
  type: dict
  contains:
    state:
      description: The failover state, see M(netfailover.standby.guest_failover_info).
      type: str
    message:
      description: The state machine's verdict on the state.
      type: str
    failover:
      description: The classification, as M(netfailover.standby.guest_failover_info) returns it.
      type: dict
    reads:
      description: How many topology reads the check took.
      type: int
    elapsed_seconds:
      description: How long the check took.
      type: float
  sample: {"state": "armed", "message": "...", "reads": 1, "elapsed_seconds": 0.21}
"""

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.migration.fdb_steering import FDB_ARGUMENT_SPEC, step_fdb_entry
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import find_domain
from ansible_collections.netfailover.standby.plugins.module_utils.migration.live_migrate import LiveMigration
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return dict({
        "name": {"type": "str", "required": True},
        "destination_uri": {"type": "str", "required": True},
        "mode": {"type": "str", "choices": ["p2p", "managed"], "default": "p2p"},
        "migrate_uri": {"type": "str"},
        "persistent": {"type": "bool", "default": True},
        "undefine_source": {"type": "bool", "default": True},
        "bandwidth": {"type": "int"},
        "max_downtime": {"type": "int"},
        "auto_converge": {"type": "bool", "default": False},
        "postcopy": {"type": "bool", "default": False},
        "postcopy_after": {"type": "float"},
        "destination_xml": {"type": "str"},
        "destination_devices": {"type": "list", "elements": "dict", "options": {
            "alias": {"type": "str", "required": True}, "xml": {"type": "str", "required": True}}},
        "timeout": {"type": "float", "default": 300.0},
        "poll_interval": {"type": "float", "default": 0.5},
        "stall_seconds": {"type": "float"},
        "on_stall": {"type": "str", "choices": ["auto_converge", "abort"], "default": "auto_converge"},
        "unplug_timeout": {"type": "float"},
        "auto_converge_initial": {"type": "int"},
        "auto_converge_increment": {"type": "int"},
    }, **FDB_ARGUMENT_SPEC, **guest_failover.VERIFY_ARGUMENT_SPEC, **dance.STEP_ARGUMENT_SPEC)


def run(module):
    params = module.params
    domain = find_domain(module.connection, name=params["name"]) if params["fdb_pf"] else None
    # the standby's tap is the source's: only while the domain runs here (else the module finds it at the destination)
    here = domain is not None and domains.is_active(domain, name=params["name"])
    switch = step_fdb_entry(module.module, domain, params, "live_migrate") if here or not params["fdb_pf"] else None
    result = LiveMigration(module.connection, params, check_mode=module.check_mode, fdb=switch).run()
    if module.diff_mode:
        before = result["source_uri"] if result["changed"] else result["destination_uri"]
        after = result["destination_uri"] if result["changed"] else before
        result["diff"] = {"before": {"runs_at": before}, "after": {"runs_at": after}}
    return result


def main():
    module = LibvirtModule(argument_spec=argument_spec(), required_by={"fdb_port": "fdb_mac", "fdb_pf": "fdb_mac"},
                           mutually_exclusive=[("destination_xml", "destination_devices"), ("fdb_port", "fdb_pf")], supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
