# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vf_device_at: the destination's VF in the device XML, with everything the guest sees kept."""

import xml.etree.ElementTree as ET

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.filter.vf_device import vf_device_at

HOSTDEV_INTERFACE = """<interface type='hostdev' managed='yes'>
  <mac address='52:54:00:6c:00:01'/>
  <source><address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/></source>
  <teaming type='transient' persistent='ua-standby0'/>
  <alias name='ua-primary0'/>
  <address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/>
</interface>"""
PLAIN_HOSTDEV = """<hostdev mode='subsystem' type='pci' managed='yes'>
  <source><address domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/></source>
  <alias name='ua-primary0'/>
</hostdev>"""
NETWORK_POOL = """<interface type='network'><mac address='52:54:00:6c:00:01'/><source network='sriov-pool'/>
  <alias name='ua-primary0'/></interface>"""
EMULATED = """<interface type='bridge'><mac address='52:54:00:6c:00:01'/><source bridge='esw0'/><model type='vmxnet3'/>
  <alias name='ua-primary0'/></interface>"""


def host_address(xml_text):
    return dict(ET.fromstring(xml_text).find("source/address").attrib)


@pytest.mark.parametrize("device", [HOSTDEV_INTERFACE, PLAIN_HOSTDEV])
def test_the_host_address_changes_and_the_guest_side_stays(device):
    moved = vf_device_at(device, "0000:3b:02.5")
    assert host_address(moved) == {"type": "pci", "domain": "0x0000", "bus": "0x3b", "slot": "0x02", "function": "0x5"}
    element, original = ET.fromstring(moved), ET.fromstring(device)
    for path in ("mac", "alias", "teaming", "address"):  # the guest's side of the device
        assert (element.find(path) is None) == (original.find(path) is None)
        if element.find(path) is not None:
            assert element.find(path).attrib == original.find(path).attrib


@pytest.mark.parametrize("device", [NETWORK_POOL, EMULATED])
def test_devices_without_a_host_address_stay_as_they_are(device):
    assert vf_device_at(device, "0000:3b:02.5") == device


@pytest.mark.parametrize("address", ["", "3b:02", "eth0"])
def test_a_wrong_address_is_refused(address):
    with pytest.raises(AnsibleFilterError, match="vf_device_at needs a PCI address such as 0000:3b:02.1"):
        vf_device_at(HOSTDEV_INTERFACE, address)
