# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake SR-IOV hypervisor for the unit tests: a sysfs tree with the kernel's layout (directories and relative symlinks,
as drivers/pci/iov.c and the driver core make them), domains in libvirt's test:///default that use some of its VFs,
hostdev networks, a reservation directory, and the PF's ``ip -j link`` answer.

The host (VF n of enp59s0f0 is 0000:3b:02.n):
- enp59s0f0 at 0000:3b:00.0 (i40e, legacy mode), 8 VFs: VF 0 bound to iavf (netdev enp59s0f0v0), VFs 1-7 to vfio-pci;
  VF 1 is in the definitions of db1 and db2 (shut off), VF 2 is web1's (running), VF 3 tr1's (transient, running);
  VF 4 has a stale MAC and no owner; VF 5 is reserved for vm2; VF 6 is what libvirt allocated to pool1 from vfpool
  on a real host (the test driver allocates nothing: tests/unit/plugins/module_utils/fixtures/sriov); VF 7 is free.
- enp59s0f1 at 0000:3b:00.1: an SR-IOV PF with SR-IOV disabled (0 of 64 VFs).
- eno1 at 0000:00:1f.6 (e1000e): no SR-IOV.
- 0000:5e:00.0: a PF bound to vfio-pci (no netdev) with one VF 0000:5e:02.0.
- enp175s0f0np0 at 0000:af:00.0 (mlx5_core, switchdev mode): VFs 0000:af:00.2 and 0000:af:00.3 with representors
  enp175s0f0npf0vf0 and enp175s0f0npf0vf1 beside the uplink in the PF's net/.
- pf0: a veth (the lab's "PF"), no PCI device.
"""

import json
import os
from pathlib import Path

PF = "enp59s0f0"
PF_ADDRESS = "0000:3b:00.0"
VFS = ["0000:3b:02.{0}".format(n) for n in range(8)]
STALE_MAC = "52:54:00:aa:00:04"
WEB1_MAC = "52:54:00:00:02:02"
SAMPLES = Path(__file__).parent / "module_utils" / "fixtures" / "sriov"
IP_LINK = (SAMPLES / "ip_link_enp59s0f0.json").read_text()
IP = "/sbin/ip"
TEST_URI = "test:///default"

_PARENTS = {"3b": "pci0000:3a/0000:3a:00.0", "00": "pci0000:00", "5e": "pci0000:5d/0000:5d:00.0",
            "af": "pci0000:ae/0000:ae:00.0"}


class FakeSysfs:
    """Build the tree under ``root``: devices/..., bus/pci/{devices,drivers}, class/net."""

    def __init__(self, root):
        self.root = Path(root)
        for path in ("bus/pci/devices", "bus/pci/drivers", "class/net", "devices/virtual/net"):
            (self.root / path).mkdir(parents=True, exist_ok=True)

    def _link(self, link, target):
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(target, link.parent), link)

    def device(self, address, driver=None, netdevs=(), ports=None):
        """A PCI device with its driver and netdevs (``ports``: netdev -> phys_port_name)."""
        real = self.root / "devices" / _PARENTS[address[5:7]] / address
        real.mkdir(parents=True)
        (real / "vendor").write_text("0x8086\n")
        self._link(self.root / "bus/pci/devices" / address, real)
        if driver:
            (self.root / "bus/pci/drivers" / driver).mkdir(exist_ok=True)
            self._link(real / "driver", self.root / "bus/pci/drivers" / driver)
        for netdev in netdevs:
            net = real / "net" / netdev
            net.mkdir(parents=True)
            (net / "address").write_text("3c:fd:fe:00:00:01\n")
            if ports and netdev in ports:
                (net / "phys_port_name").write_text(ports[netdev] + "\n")
            self._link(net / "device", real)
            self._link(self.root / "class/net" / netdev, net)
        return real

    def pf(self, address, driver, netdevs, vfs, total=64, vf_drivers=None, vf_netdevs=None, ports=None):
        """An SR-IOV PF with ``vfs`` (VF PCI addresses, VF n first) enabled."""
        real = self.device(address, driver, netdevs, ports)
        (real / "sriov_totalvfs").write_text("{0}\n".format(total))
        (real / "sriov_numvfs").write_text("{0}\n".format(len(vfs)))
        for number, vf in enumerate(vfs):
            vf_real = self.device(vf, (vf_drivers or {}).get(number), (vf_netdevs or {}).get(number, ()))
            self._link(vf_real / "physfn", real)
            self._link(real / "virtfn{0}".format(number), vf_real)
        return real

    def virtual_netdev(self, name):
        net = self.root / "devices/virtual/net" / name
        net.mkdir()
        self._link(self.root / "class/net" / name, net)


def build_sysfs(root):
    """The host described above; returns the sysfs root as a str."""
    sysfs = FakeSysfs(root)
    sysfs.pf(PF_ADDRESS, "i40e", [PF], VFS, vf_drivers=dict([(0, "iavf")] + [(n, "vfio-pci") for n in range(1, 8)]),
             vf_netdevs={0: ["enp59s0f0v0"]})
    sysfs.pf("0000:3b:00.1", "i40e", ["enp59s0f1"], [])
    sysfs.device("0000:00:1f.6", "e1000e", ["eno1"])
    sysfs.pf("0000:5e:00.0", "vfio-pci", [], ["0000:5e:02.0"], vf_drivers={0: "vfio-pci"})
    sysfs.pf("0000:af:00.0", "mlx5_core", ["enp175s0f0np0", "enp175s0f0npf0vf0", "enp175s0f0npf0vf1"],
             ["0000:af:00.2", "0000:af:00.3"], total=8, vf_drivers={0: "mlx5_core", 1: "mlx5_core"},
             vf_netdevs={0: ["enp175s0f0v0"], 1: ["enp175s0f0v1"]},
             ports={"enp175s0f0np0": "p0", "enp175s0f0npf0vf0": "pf0vf0", "enp175s0f0npf0vf1": "pf0vf1"})
    sysfs.virtual_netdev("pf0")
    return str(sysfs.root)


def build_reservations(root):
    """vf-0000:3b:02.5 for vm2, plus entries that are not reservations."""
    locks = Path(root)
    (locks / "vf-0000:3b:02.5").mkdir(parents=True)
    (locks / "vf-0000:3b:02.5" / "owner").write_text("vm2\n")
    (locks / "vf-not-an-address").mkdir()
    (locks / "migrate-vm1.lock").write_text("")
    return str(locks)


# --- domains and networks in libvirt's test:///default ------------------------------------------------------------------


def source(address):
    domain, bus, rest = address.split(":")
    slot, function = rest.split(".")
    return "<source><address domain='0x{0}' bus='0x{1}' slot='0x{2}' function='0x{3}'/></source>".format(domain, bus, slot, function)


def hostdev(address):
    return "<hostdev mode='subsystem' type='pci' managed='yes'>{0}</hostdev>".format(source(address))


def hostdev_interface(address, mac):
    return "<interface type='hostdev' managed='yes'><mac address='{0}'/>{1}</interface>".format(
        mac, source(address).replace("<address ", "<address type='pci' "))


def domain_xml(name, devices):
    return ("<domain type='test'><name>{0}</name><memory>65536</memory><os><type>hvm</type></os><devices>{1}</devices>"
            "</domain>").format(name, devices)


NETWORKS = {
    "vfpool": "<network><name>vfpool</name><forward mode='hostdev' managed='yes'><pf dev='enp59s0f0'/></forward></network>",
    "vflist": ("<network><name>vflist</name><forward mode='hostdev' managed='yes'><driver name='vfio'/>"
               "<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x7'/>"
               "<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x6'/></forward></network>"),
    "vfpool-off": ("<network><name>vfpool-off</name><forward mode='hostdev' managed='yes'><pf dev='enp59s0f0'/></forward>"
                   "</network>"),
    "vfempty": "<network><name>vfempty</name><forward mode='hostdev' managed='yes'/></network>",
}
ACTIVE_NETWORKS = ("vfpool", "vflist", "vfempty")


def define_host(connection):
    """Define the domains and networks above; returns a function that removes them again."""
    defined = [connection.defineXML(domain_xml(name, devices)) for name, devices in (
        ("db1", hostdev(VFS[1])),
        ("db2", hostdev(VFS[1]) + hostdev("0000:65:00.0")),  # and a GPU: any PCI hostdev is someone's
        ("web1", hostdev_interface(VFS[2], WEB1_MAC)),
        ("vm1", "<interface type='network'><mac address='52:54:00:6c:00:01'/><source network='vfpool'/></interface>"),
    )]
    defined[2].create()
    transient = connection.createXML(domain_xml("tr1", hostdev(VFS[3])), 0)
    networks = [connection.networkDefineXML(xml) for xml in NETWORKS.values()]
    for network in networks:
        if network.name() in ACTIVE_NETWORKS:
            network.create()

    def remove():
        transient.destroy()
        for domain in defined:
            if domain.isActive():
                domain.destroy()
            domain.undefine()
        for network in networks:
            if network.isActive():
                network.destroy()
            network.undefine()

    return remove


class IpCommands:
    """run_command for ``ip``: answers ``ip -j link show dev enp59s0f0`` from the sample (or ``link``), applies ``ip link set ... vf N
    mac M``; every argv is recorded in ``commands``."""

    def __init__(self, link=IP_LINK):
        self.link = link
        self.commands = []

    def __call__(self, argv, **_kwargs):
        self.commands.append(list(argv))
        if argv[1:4] == ["-j", "link", "show"]:
            if argv[-1] != json.loads(self.link)[0]["ifname"]:
                return 1, "", 'Device "{0}" does not exist.\n'.format(argv[-1])
            return 0, self.link, ""
        link = json.loads(self.link)
        link[0]["vfinfo_list"][int(argv[6])]["address"] = argv[8]
        self.link = json.dumps(link)
        return 0, "", ""

    def sets(self):
        """The `ip link set` commands run."""
        return [argv for argv in self.commands if argv[1:3] == ["link", "set"]]


def fake_ip(monkeypatch):
    """AnsibleModule's run_command and get_bin_path answered by an IpCommands (returned: it records every argv)."""
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    commands = IpCommands()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda _module, argv, **kwargs: commands(argv, **kwargs))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda _module, name, required=False: "/sbin/" + name)
    return commands
