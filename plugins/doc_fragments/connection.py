# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the options every libvirt module of the collection shares."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    DOCUMENTATION = r"""
options:
  uri:
    description:
      - The libvirt connection URI of the hypervisor, as seen from the host that runs the module.
      - Set it once for all modules of the collection with C(module_defaults) and the action group
        C(group/netfailover.standby.libvirt).
    type: str
    default: qemu:///system
requirements:
  - libvirt-python >= 6.1.0 on the host that runs the module (usually the hypervisor)
notes:
  - Modules run on the hypervisor (or wherever O(uri) is reachable from), not on the guest.
"""
