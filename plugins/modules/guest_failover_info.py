#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: guest_failover_info
short_description: Read and classify a guest's net_failover topology
version_added: 0.1.0
description:
  - Reads the network devices of a guest (the failover master, its standby virtio-net slave and its primary, usually a VF)
    and classifies them into one of the states of the kernel's net_failover driver, such as V(steady) (the primary carries
    traffic, the standby link is down) or V(standby_only_down) (no network path, an outage).
  - With O(source=agent) (the default) the module runs on the hypervisor and reads the guest through the QEMU guest agent
    (a read-only sysfs walk by C(guest-exec)); this works with no guest network and no Python in the guest.
  - With O(source=local) the module runs inside the guest and reads C(/sys/class/net) itself.
  - Each failover pair is classified on its own. A pair is a failover master, its standby and its primary, joined by the
    master's MAC; a NIC of the guest with another MAC belongs to no pair and never makes a pair's state (it is listed as
    C(unrelated) in the facts). A NIC with the pair's MAC that net_failover did not enslave makes that pair
    V(primary_not_enslaved).
  - With O(expect) the module waits up to O(timeout) seconds until every pair (or every pair of O(macs)) is in one of the
    given states, and fails with a diagnostic that names each pair that is not, says what is wrong and how to fix it.
  - Device names do not matter (C(eth0)/C(eth1)/C(eth2) or udev names such as C(ens10)/C(ens10nsby)/C(ens11)).
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
  - netfailover.standby.guest_verify.step
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
    description:
      - The libvirt domain to read. Required with O(source=agent).
    type: str
  source:
    description:
      - V(agent) reads the guest through its QEMU guest agent from the hypervisor; the domain needs an
        C(org.qemu.guest_agent.0) channel and a running C(qemu-ga).
      - V(local) reads the machine the module runs on; O(uri) and O(name) are not used.
    type: str
    choices: [agent, local]
    default: agent
  expect:
    description:
      - One or more states to wait for. The module fails with a diagnostic when the guest is not in one of them within O(timeout).
    type: list
    elements: str
    choices: [not_negotiated, standby_only_up, standby_only_down, steady, armed, primary_no_carrier, both_down,
              primary_not_enslaved, master_admin_down]
  expect_path:
    description:
      - Wait until every failover pair is in a state with a path for the guest's traffic (the state machine's states
        whose TX path works - V(steady), V(armed), V(standby_only_up), V(primary_no_carrier), and
        V(primary_not_enslaved) while its standby carries the traffic), as a rollback that keeps a guest on its standby
        does. Replaces O(expect).
    type: bool
    default: false
  verify_level:
    description:
      - How much of the guest to read. V(full) (the default) is the sysfs walk through C(guest-exec), with every return
        value below. V(interfaces) calls only C(guest-network-get-interfaces) (for agents that block C(guest-exec)); it
        returns RV(level), RV(state), RV(message), and RV(pairs) with each pair's C(netdevs), C(possible_states) and what
        it C(cannot_tell), no topology or facts. V(none) reads nothing and says so (the migrate role's level for a guest
        without an agent). V(auto) takes the best level the agent allows (its C(guest-info)).
      - With O(source=local) only V(full).
    type: str
    choices: [auto, full, interfaces, none]
    default: full
  step_phase:
    description:
      - With O(step), wait for the states the step starts from (V(before), is the guest ready for it?) or ends in
        (V(after), did it happen?), as the migration dance defines them. Replaces O(expect).
    type: str
    choices: [before, after]
    default: after
  macs:
    description:
      - Only the failover pairs with these MACs (the MAC of the pair's standby, as in the domain definition), in this order.
        A MAC the guest has no failover master for is reported V(not_negotiated).
      - Empty (the default) reads every pair of the guest.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds to wait for O(expect). C(0) reads once.
    type: float
    default: 30
  interval:
    description:
      - Seconds between two reads while waiting for O(expect).
    type: float
    default: 0.5
  ignore:
    description:
      - Names of guest NICs that have nothing to do with failover (for example a management NIC on PCI), so that they are
        not mistaken for a VF that was not enslaved.
    type: list
    elements: str
    default: []
  tap:
    description:
      - The standby's tap device on the hypervisor, only used to make diagnostics concrete (for example the C(virsh domif-setlink) to run).
      - It names the tap of the one pair checked; with several pairs the diagnostics say C(TAP).
    type: str
    default: TAP
seealso:
  - name: net_failover in the Linux kernel documentation
    description: The failover master, standby and primary netdevs this module reads.
    link: https://docs.kernel.org/networking/net_failover.html
"""

EXAMPLES = r"""
- name: Read the failover state of vm1 through its guest agent
  netfailover.standby.guest_failover_info:
    name: vm1
  register: vm1_failover

- name: Wait until the VF is enslaved again after attaching it
  netfailover.standby.guest_failover_info:
    name: vm1
    expect: [armed, steady]
    timeout: 30

- name: Wait until both pairs of vm2 are armed again after attaching their VFs
  netfailover.standby.guest_failover_info:
    name: vm2
    macs: ["52:54:00:6c:00:02", "52:54:00:6c:00:12"]
    expect: [armed]

- name: Read the topology from inside the guest
  netfailover.standby.guest_failover_info:
    source: local
"""

RETURN = r"""
state:
  description:
    - The classified state of the guest's failover pair.
    - With several pairs, the state of the pair furthest from O(expect) (see RV(failover)); every pair's state is in RV(pairs).
    - V(not_negotiated) when the guest has no failover pair at all.
  returned: success
  type: str
  sample: steady
pairs:
  description:
    - One entry per failover pair of the guest (or per MAC of O(macs)), in the order of the masters' names (or of O(macs)).
    - Empty when the guest has no failover master and O(macs) is empty.
  returned: success
  type: list
  elements: dict
  contains:
    mac:
      description: The pair's MAC (the failover master's, which the standby and the primary share).
      type: str
      sample: 52:54:00:6c:00:01
    master:
      description: The failover master's name; null for a MAC of O(macs) without a failover master.
      type: str
      sample: eth0
    standby:
      description: The standby (virtio-net) slave's name.
      type: str
      sample: eth1
    primary:
      description: The primary (VF) slave's name, if one is enslaved.
      type: str
      sample: eth2
    state:
      description: The pair's state.
      type: str
      sample: steady
    code:
      description: The state's row in the state table (G0 to G8).
      type: str
      sample: G3
    outage:
      description: Whether the pair has no path to send traffic.
      type: bool
      sample: false
    orphans:
      description: NICs with the pair's MAC that net_failover did not enslave.
      type: list
      elements: str
      sample: []
    problems:
      description: Further problems of the pair, each saying what to fix.
      type: list
      elements: str
      sample: []
  sample: [{"mac": "52:54:00:6c:00:01", "master": "eth0", "standby": "eth1", "primary": "eth2", "state": "steady", "code": "G3",
            "outage": false, "orphans": [], "problems": []}]
failover:
  description:
    - The classification of the pair RV(state) speaks for, with the names of the failover devices and what is wrong.
    - With several pairs, the pair furthest from O(expect) - one that is not in the expected states before one that is,
      an outage before a working path, then the least healthy (V(steady), V(armed), V(standby_only_up),
      V(primary_no_carrier), V(primary_not_enslaved), V(not_negotiated), V(standby_only_down), V(both_down),
      V(master_admin_down)); the first pair on a tie.
  returned: success
  type: dict
  contains:
    state:
      description: The classified state.
      type: str
      sample: steady
    code:
      description: The state's row in the state table of the collection's documentation (G0 to G8).
      type: str
      sample: G3
    outage:
      description: Whether the guest has no path to send traffic in this state.
      type: bool
      sample: false
    description:
      description: The state in words.
      type: str
      sample: the primary carries traffic, the standby link is down (steady state)
    mac:
      description: The pair's MAC; null when the guest has no failover pair.
      type: str
      sample: 52:54:00:6c:00:01
    master:
      description: The failover master's name.
      type: str
      sample: eth0
    standby:
      description: The standby (virtio-net) slave's name.
      type: str
      sample: eth1
    primary:
      description: The primary (VF) slave's name, if one is enslaved.
      type: str
      sample: eth2
    orphans:
      description: NICs with the pair's MAC that net_failover did not enslave.
      type: list
      elements: str
      sample: []
    problems:
      description: Further problems seen, each saying what to fix.
      type: list
      elements: str
      sample: []
    facts:
      description:
        - The per-device facts the classification used (MACs, carrier, operstate, drivers, the STANDBY feature bit).
        - C(unrelated) lists the guest's NICs that belong to no failover pair (another MAC), which the classification ignored.
      type: dict
      sample: {}
topology:
  description: Every network device of the guest as read from sysfs (name, MAC, permanent MAC where readable, operstate,
    carrier, flags, MTU, master and lower links, driver, bus, virtio features, phys_port_name).
  returned: success
  type: dict
  sample: {"hostname": "vm1", "netdevs": {"eth0": {"name": "eth0", "driver": "virtio_net", "master": ""}}}
message:
  description: With O(expect), the verification in words; with several pairs it names each pair that is not as expected.
  returned: when O(expect) is set
  type: str
  sample: the guest on vm1 is steady as expected
level:
  description: The verification level the module read the guest at (see O(verify_level)).
  returned: success
  type: str
  sample: full
reads:
  description: How many times the topology was read.
  returned: success
  type: int
  sample: 1
last_read_seconds:
  description: How long the last read took.
  returned: success
  type: float
  sample: 0.12
elapsed_seconds:
  description: How long the module read and waited in all.
  returned: success
  type: float
  sample: 0.12
"""

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import reading_for
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import PATH_STATES
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import get_domain
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "name": {"type": "str"},
        "source": {"type": "str", "choices": ["agent", "local"], "default": "agent"},
        "expect": {"type": "list", "elements": "str", "choices": guest_failover.STATE_NAMES},
        "timeout": {"type": "float", "default": 30.0},
        "interval": {"type": "float", "default": 0.5},
        "ignore": {"type": "list", "elements": "str", "default": []},
        "macs": {"type": "list", "elements": "str", "default": []},
        "tap": {"type": "str", "default": "TAP"},
        "step_phase": {"type": "str", "choices": ["before", "after"], "default": "after"},
        "expect_path": {"type": "bool", "default": False},
        "verify_level": {"type": "str", "choices": ["auto", "full", "interfaces", "none"], "default": "full"},
        **dance.STEP_ARGUMENT_SPEC,
    }


def run(module):
    params = module.params
    expectation = dance.step_expectation(params, phase=params["step_phase"])
    if params["expect_path"] and (expectation or params["expect"]):
        raise LibvirtCollectionError("expect_path waits for any state with a path; give it without step or expect.")
    expect = list(expectation.states) if expectation else [s.value for s in PATH_STATES] if params["expect_path"] else params["expect"]
    if params["source"] == "local":
        read = guest_failover.local_reader()
    else:
        module.require_libvirt()
        domain = get_domain(module.connection, params["name"])
        reading = reading_for(domain, params)
        if reading.level != "full":  # interfaces, or none (auto for a domain without an agent channel, or asked for)
            return reading.observe(expect or [], params["timeout"], interval=params["interval"], macs=params["macs"] or None)
        read = reading.reader_factory(domain)
    result = guest_failover.observe(read, expect=expect, timeout=params["timeout"],
                                    interval=params["interval"], classify_options={"ignore": tuple(params["ignore"])}, macs=params["macs"],
                                    domain=params["name"] or "DOMAIN", tap=params["tap"])
    return dict(result, level="full")


def main():
    module = LibvirtModule(argument_spec=argument_spec(), required_if=[("source", "agent", ["name"])],
                           supports_check_mode=True, needs_libvirt=False)  # guest-exec needs a read-write connection
    module.run(run)


if __name__ == "__main__":
    main()
