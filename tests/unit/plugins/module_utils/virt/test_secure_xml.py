# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""secure_xml: the XMLDesc flags, the one masking of secrets, and the refusal of a definition that would lose one."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import secure_xml as sx
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt


VNC = "<graphics type='vnc' port='-1' autoport='yes' passwd='s3cret' passwdValidTo='2030-01-01T00:00:00'/>"
SPICE = '<graphics type="spice" autoport="yes" passwd="sp1ce"><listen type="address"/></graphics>'
COOKIE_DISK = ("<disk type='network' device='cdrom'><source protocol='https' name='/x.iso'><host name='h'/>"
               "<cookies><cookie name='session'>c00kie</cookie></cookies></source><target dev='sdb' bus='sata'/></disk>")


def domain(*devices):
    return "<domain type='test'><name>vm</name><devices>{0}</devices></domain>".format("".join(devices))


@pytest.mark.parametrize("which, secure, flags", [
    ("persistent", True, libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE),
    ("persistent", False, libvirt.VIR_DOMAIN_XML_INACTIVE),
    ("live", True, libvirt.VIR_DOMAIN_XML_SECURE),
    ("live", False, 0),
])
def test_flags_are_libvirts(which, secure, flags):
    assert sx.xml_flags(which, secure) == flags


@pytest.mark.parametrize("text, masked", [
    (VNC, "<graphics type='vnc' port='-1' autoport='yes' passwd=\"********\" passwdValidTo='2030-01-01T00:00:00'/>"),
    (SPICE, '<graphics type="spice" autoport="yes" passwd="********"><listen type="address"/></graphics>'),
    ('<graphics type="vnc" passwd="" />', '<graphics type="vnc" passwd="********" />'),
    (COOKIE_DISK, COOKIE_DISK.replace("c00kie", "********")),
    ("<cookies><cookie name='a'>1</cookie><cookie name='b'/></cookies>", "<cookies><cookie name='a'>********</cookie><cookie name='b'/></cookies>"),
    ("Could not define domain vm: XML error in <graphics passwd='s3cret'>", 'Could not define domain vm: XML error in <graphics passwd="********">'),
    ("no secret here: passwdValidTo='2030' and the word passwd", "no secret here: passwdValidTo='2030' and the word passwd"),
])
def test_mask_text(text, masked):
    assert sx.mask_text(text) == masked


def test_mask_secrets_walks_a_result_and_leaves_the_original_alone():
    result = {"changed": True, "diff": {"before": domain(VNC), "after": domain(VNC, COOKIE_DISK)}, "messages": [SPICE],
              "pair": ({"mac": "52:54:00:6c:00:21"},), "count": 2, "none": None}
    masked = sx.mask_secrets(result)
    text = repr(masked)
    assert "s3cret" not in text and "sp1ce" not in text and "c00kie" not in text
    assert text.count("********") == 4
    assert masked["count"] == 2 and masked["none"] is None and masked["pair"] == ({"mac": "52:54:00:6c:00:21"},)
    assert "s3cret" in result["diff"]["before"]  # a copy: the XML that goes back to libvirt is never masked


def test_mask_error_masks_message_and_partial_result():
    error = LibvirtCollectionError("bad <graphics passwd='s3cret'/>", error_code=27, result={"diff": {"after": domain(VNC)}})
    masked = sx.mask_error(error)
    assert masked is error and "s3cret" not in masked.message and "s3cret" not in str(masked)
    assert "s3cret" not in repr(masked.result) and masked.error_code == 27


def test_secrets_of_names_each_secret_and_where_it_is():
    root = ET.fromstring(domain(VNC, SPICE, COOKIE_DISK))
    assert sx.secrets_of(root) == [("the passwd of graphics vnc", "s3cret"), ("the passwd of graphics spice", "sp1ce"),
                                   ("cookie session of disk sdb", "c00kie")]
    assert sx.secrets_of(ET.fromstring(domain("<graphics type='vnc' port='-1'/>"))) == []


@pytest.mark.parametrize("desired, refused", [
    (domain(VNC, COOKIE_DISK), None),
    (domain("<interface type='bridge'/>", VNC, COOKIE_DISK), None),  # a NIC more: the secrets stay
    (domain(VNC.replace("s3cret", sx.MASK), COOKIE_DISK), "the passwd of graphics vnc"),  # a masked value
    (domain(VNC.replace(" passwd='s3cret'", ""), COOKIE_DISK), "the passwd of graphics vnc"),  # dropped (a read without the flag)
    (domain(VNC), "cookie session of disk sdb"),
    (domain(VNC, COOKIE_DISK.replace("c00kie", sx.MASK)), "cookie session of disk sdb"),
])
def test_check_secrets_kept(desired, refused):
    before = ET.fromstring(domain(VNC, COOKIE_DISK))
    if refused is None:
        sx.check_secrets_kept(before, ET.fromstring(desired), "vm")
        return
    with pytest.raises(LibvirtCollectionError) as caught:
        sx.check_secrets_kept(before, ET.fromstring(desired), "vm")
    assert refused in caught.value.message and caught.value.message.endswith("Nothing was changed.")
    assert "s3cret" not in caught.value.message and "c00kie" not in caught.value.message


def test_the_test_driver_shows_secrets_only_with_the_secure_flag():
    """What the masking and the flag are about, as libvirt itself formats it (its test driver shares the QEMU driver's XML code)."""
    connection = libvirt.open("test:///default")
    try:
        domain_ = connection.defineXML("<domain type='test'><name>vmsx</name><memory>262144</memory><os><type>hvm</type></os>"
                                       "<devices>{0}{1}</devices></domain>".format(VNC, COOKIE_DISK))
        try:
            plain = domain_.XMLDesc(sx.xml_flags("persistent"))
            secure = domain_.XMLDesc(sx.xml_flags("persistent", secure=True))
            assert "s3cret" not in plain and "c00kie" not in plain
            assert "passwd='s3cret'" in secure and ">c00kie</cookie>" in secure
            assert "s3cret" not in sx.mask_text(secure) and "c00kie" not in sx.mask_text(secure)
        finally:
            domain_.undefine()
    finally:
        connection.close()
    read_only = libvirt.openReadOnly("test:///default")
    try:
        with pytest.raises(libvirt.libvirtError, match="forbidden.*secure flag"):
            read_only.lookupByName("test").XMLDesc(sx.xml_flags("live", secure=True))
    finally:
        read_only.close()
