#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The work is done by the action plugin of the same name (plugins/action/migration_report.py), on the controller.

DOCUMENTATION = r"""
---
module: migration_report
short_description: Write a report as JSON on the Ansible controller
version_added: 0.1.0
description:
  - Writes O(content) as indented JSON with sorted keys to O(path) on the B(controller), creating the missing folders.
    The file is written beside the report and renamed over it, so a reader never sees half a report.
  - It runs in the controller's own process (an action plugin), without the module run and the round trip of
    M(ansible.builtin.copy) with C(delegate_to=localhost). The C(netfailover.standby.migrate) role writes the report of
    every VM with it.
  - The file is rewritten only when its text changes.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.attributes
attributes:
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
  check_mode:
    support: full
    details: Reports whether the file would change and writes nothing.
  diff_mode:
    support: full
    details: Shows the old and the new text.
  idempotent:
    support: full
    details: The same content gives the same text, which is not written again.
  platform:
    platforms: all
    support: full
    description: Target OS/families that can be operated against.
options:
  path:
    description:
      - The report file on the controller. Missing folders are created (mode C(0755)).
    type: path
    required: true
  content:
    description:
      - The report.
    type: dict
    required: true
  mode:
    description:
      - The file's permissions, an octal string.
    type: str
    default: "0644"
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Save the report of vm1 on the controller
  netfailover.standby.migration_report:
    path: "{{ playbook_dir }}/reports/vm1.json"
    content: "{{ report }}"
"""

RETURN = r"""
path:
  description: The report file.
  returned: always
  type: str
  sample: /srv/awx/reports/vm1.json
"""
