#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: migration_lock
short_description: Take or release the per-VM migration lock on a hypervisor, with its owner recorded
version_added: 0.1.0
description:
  - With O(state=present), takes the lock of O(vm) in O(directory) for the run O(run_id), atomically (C(mkdir)), and
    records its owner in the lock - the VM's name, the run id, the controller host and process, the AWX job and the
    start time. With O(state=absent), releases the lock when this run holds it, and never another run's lock.
  - When another run holds the lock, the module fails, names that run and how long it has held the lock, returns it as
    RV(held_by) and changes nothing.
  - A stale lock is taken over, with a warning that names its holder - one older than O(stale_after) seconds, or (the
    action plugin checks it on the controller) one whose run's controller process is gone on the same controller host.
    A killed controller or a cancelled AWX job thus blocks the VM until the next run, not until the host reboots.
  - Any other error (permissions, a read-only file system) is reported as a lock error, not as another run holding it.
  - The lock folder is named after the VM, percent-encoded (spaces, colons, non-ASCII) and shortened with a hash when
    it is long; the owner file keeps the real name. Taking over and releasing happen under an C(flock) of
    C(<directory>/.guard), so two runs that find the same stale lock cannot both take it.
  - M(netfailover.standby.migration_preflight) takes the same lock before its checks, with
    O(netfailover.standby.migration_preflight#module:lock_directory); the migrate role takes it that way on the source
    hypervisor and releases it with this module when the run ends.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: Reports whether the lock would be taken, taken over or released, and creates or removes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: A run that holds the lock already keeps it (same O(run_id)).
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    details: The action plugin fills in O(controller), O(pid) and O(started) on the controller and, when the lock's
      holder ran on the same controller host and its process is gone, takes the lock over.
options:
  vm:
    description:
      - The VM (libvirt domain name) the lock is for. Any name libvirt accepts.
    type: str
    required: true
  run_id:
    description:
      - The id of this run. A lock with the same id is this run's own.
      - With O(state=present), the action plugin makes one (a random UUID) when it is not given; RV(lock_owner.run_id)
        returns it, for O(state=absent) at the end of the run. Required with O(state=absent).
    type: str
  directory:
    description:
      - The lock folder on the host (created, mode 0700, when missing).
    type: path
    default: /run/netfailover.standby/locks
  state:
    description:
      - V(present) takes the lock; V(absent) releases it when this run holds it.
    type: str
    choices: [present, absent]
    default: present
  stale_after:
    description:
      - Seconds after which another run's lock counts as stale and is taken over. Choose it well beyond the longest
        run the timeouts allow; the migrate role passes O(stale_after) from C(migrate_lock_stale_after) (3600).
    type: int
    default: 3600
  controller:
    description:
      - The controller host of this run, recorded in the lock. The action plugin fills it in.
    type: str
  pid:
    description:
      - The process id of this run on the controller, recorded in the lock. The action plugin fills it in.
    type: int
  job_id:
    description:
      - The AWX or AAP job of this run (C(awx_job_id)), recorded in the lock.
    type: str
  started:
    description:
      - The run's start, in seconds since the epoch, recorded in the lock; the default is the time on the host now.
        The action plugin fills in the controller's time.
    type: float
  take_over:
    description:
      - Run ids whose locks are to be taken over even when not stale (their process is gone). The action plugin fills
        it in after checking on the controller.
    type: list
    elements: str
    default: []
seealso:
  - module: netfailover.standby.migration_preflight
  - module: netfailover.standby.vf_reservation
"""

EXAMPLES = r"""
- name: Lock vm1 against a concurrent migration
  netfailover.standby.migration_lock:
    vm: vm1
    job_id: "{{ awx_job_id | default(omit) }}"
  register: lock
  delegate_to: hv1

- name: Release it when the run ends
  netfailover.standby.migration_lock:
    vm: vm1
    run_id: "{{ lock.lock_owner.run_id }}"
    state: absent
  delegate_to: hv1
"""

RETURN = r"""
lock:
  description: The lock folder.
  returned: always
  type: str
  sample: /run/netfailover.standby/locks/db%3A1
lock_owner:
  description: This run's owner record (with O(state=present)), as the lock's C(owner) file holds it.
  returned: state is present
  type: dict
  contains:
    vm:
      description: The VM's name.
      type: str
    run_id:
      description: The run's id.
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
  sample: {vm: "db:1", run_id: 6f1c0e52, controller: ctl1, pid: 4711, job_id: "42", started: 1764626400.5}
held_by:
  description:
    - The owner record of the run that holds the lock, when another run holds it (the module fails), or of the lock
      released. Keys as in RV(lock_owner); a lock of an older release has no owner record, only C(started).
  returned: always
  type: dict
taken_over:
  description: The owner record of the stale lock taken over, or null.
  returned: state is present
  type: dict
"""

from ansible_collections.netfailover.standby.plugins.module_utils.migration import lock
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "vm": {"type": "str", "required": True},
        "run_id": {"type": "str"},
        "directory": {"type": "path", "default": "/run/netfailover.standby/locks"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "stale_after": {"type": "int", "default": 3600},
        "controller": {"type": "str"},
        "pid": {"type": "int"},
        "job_id": {"type": "str"},
        "started": {"type": "float"},
        "take_over": {"type": "list", "elements": "str", "default": []},
    }


def run(module):
    result = take_or_release(module)
    for note in result.pop("warnings"):
        module.module.warn(note)
    return result


def take_or_release(module):
    params = module.params
    if params["state"] == "absent":
        return lock.release(params["directory"], params["vm"], params["run_id"], check_mode=module.check_mode)
    return lock.take(params["directory"], params["vm"], params, params["stale_after"], check_mode=module.check_mode)


def main():
    module = LibvirtModule(argument_spec=argument_spec(), supports_check_mode=True, needs_libvirt=False,
                           connection_options=False, required_if=[("state", "absent", ["run_id"])])
    module.run(run)


if __name__ == "__main__":
    main()
