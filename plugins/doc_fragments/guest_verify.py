# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest check a step module runs after its change: the verification of the dance, without a task of its own."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    DOCUMENTATION = r"""
options:
  verify_states:
    description:
      - After its change, the module reads the guest's failover state through the QEMU guest agent, as
        M(netfailover.standby.guest_failover_info) does, until it is one of these states, for at most O(verify_timeout)
        seconds. Otherwise the module fails with the state machine's diagnostic (what the guest shows and what to fix).
      - The same check as a separate M(netfailover.standby.guest_failover_info) task with O(netfailover.standby.guest_failover_info#module:expect),
        without the cost of one more task between two steps of a migration.
      - Empty (the default) skips the check. Not run in check mode, which changes nothing.
      - Not together with O(step), which takes the states from the migration dance.
    type: list
    elements: str
    choices: [not_negotiated, standby_only_up, standby_only_down, steady, armed, primary_no_carrier, both_down,
              primary_not_enslaved, master_admin_down]
    default: []
  verify_timeout:
    description:
      - Seconds to wait for one of O(verify_states).
    type: float
    default: 30
  verify_level:
    description:
      - How much of the guest the module reads for its checks and its FDB moves.
      - V(full) walks the guest's sysfs through C(guest-exec) and tells every state apart.
      - V(interfaces) calls only C(guest-network-get-interfaces), which hardened guest agents keep (C(guest-exec) blocked
        with qemu-ga's C(--block-rpcs) or C(--allow-rpcs)). It counts the netdevs with the pair's MAC (master, standby,
        VF) and takes the standby's link state and whether the VF is attached from the live definition. It cannot tell
        V(armed) from V(primary_no_carrier) and V(primary_not_enslaved) (or V(steady) from V(both_down)), and names what it
        cannot tell in its message. A count that the host's own facts rule out is a failed check.
      - V(none) does not read the guest (the seed's blind dance); the checks are skipped and say so, and the FDB entry is
        moved on libvirt's events (C(DEVICE_REMOVED), the end of an attach) instead of the guest's.
      - V(auto) asks the agent (C(guest-info)) which of them it allows and takes the best; a domain without a guest agent
        channel in its definition gets V(none), an agent that does not answer yet gets V(full) (whose reads wait for it).
    type: str
    choices: [auto, full, interfaces, none]
    default: auto
"""

    # The step of a migration dance a module runs: the dance (module_utils/migration/dance.py) says what to expect.
    STEP = r"""
options:
  step:
    description:
      - The step of the migration dance this task performs. The module takes the guest states to wait for from the
        dance's definition (C(plugins/module_utils/migration/dance.py)), the one place that says what each step starts
        from, passes through and ends in, instead of explicit states (C(verify_states), C(expect_states), C(expect)).
      - While it waits, a move of a failover pair that the guest's state machine does not allow in this step (seen on two
        reads in a row) stops the module at once with the state machine's diagnostic, rather than at the timeout.
      - A step that this module does not run, or one that does not match O(variant) or the module's C(state), is
        refused before anything changes.
    type: str
    choices: [migrate, primary_attach, primary_detach, primary_replug, standby_link_down, standby_link_up,
              vf_mac_clear, vf_mac_set]
  variant:
    description:
      - The dance O(step) belongs to, V(manual) (the kernel's net_failover.rst; the orchestrator moves the VF) or
        V(teaming) (libvirt C(<teaming>); QEMU unplugs and re-plugs the VF).
    type: str
    choices: [manual, teaming]
    default: manual
"""

    # A step module that moves the bridge FDB entry by the dance's steering policy (module_utils/migration/fdb_steering.py).
    FDB_STEP = r"""
options:
  fdb_pf:
    description:
      - The PF's port on the bridge (the uplink where the VF's traffic enters the bridge). With O(step) and O(fdb_mac), the
        module moves the entry of O(fdb_mac) where the dance's one steering policy says for this step - the PF, or the
        standby's tap (the virtio interface with O(fdb_mac) in the live XML) - and pins or unpins it there.
      - Not together with O(fdb_port), which names the port yourself.
    type: str
"""
