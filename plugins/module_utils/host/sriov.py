# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SR-IOV VFs by their PCI identity: what sysfs says of a VF (its PF, VF number, netdevs, driver), the VFs of a PF or of
a libvirt hostdev network, which domains use which VF, and which VFs are free.

sysfs layout (Linux ``drivers/pci/iov.c``): a VF's device directory ``/sys/bus/pci/devices/<VF>`` has a ``physfn`` link
to its PF; the PF has one ``virtfn<N>`` link per enabled VF (N is the number ``ip link set <PF> vf <N>`` takes),
``sriov_totalvfs`` and ``sriov_numvfs``; a device's netdevs are the names in its ``net/`` directory and its driver is
where its ``driver`` link points. In switchdev mode the PF's ``net/`` also holds the VF representors (``phys_port_name``
``pf0vf1``); the PF's own netdev is the one that is not a representor.
Every function takes ``sysfs_root`` ("/sys" on a host; a fake tree in the unit tests).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.netfailover.standby.plugins.module_utils.virt.domain_xml import (
    alias_of,
    format_pci,
    mac_of,
    parse,
    parse_pci,
    pci_address,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    connection_uri,
    libvirt_call,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domains import all_domains, domain_texts

SYSFS_ROOT = "/sys"
VIR_ERR_NO_NETWORK = 43
RESERVATION_PREFIX = "vf-"  # a reservation is a directory vf-<PCI address> (made with mkdir, which is atomic)
RESERVATION_OWNER = "owner"  # a file in it with the name of the VM the VF is reserved for

_VIRTFN = re.compile(r"^virtfn(\d+)$")
_USER_ALIAS = re.compile(r"ua-")  # libvirt keeps user aliases in the persistent definition; its own ones only live
_REPRESENTOR = re.compile(r"pf\d+(?:vf|sf)\d+$")  # phys_port_name of a VF/SF representor (mlx5, ice in switchdev mode)


# --- PCI addresses ----------------------------------------------------------------------------------------------------


def normalize_pci(text, option="address"):
    """'dddd:bb:ss.f' in lower case from '0000:3B:02.1' or '3b:02.1'; a clear error for anything else."""
    address = parse_pci(text) if isinstance(text, str) else None
    if address is None:
        raise LibvirtCollectionError("{0} must be a PCI address such as 0000:3b:02.1, not {1!r}.".format(option, text))
    return format_pci(address)


def pci_address_of(element):
    """'dddd:bb:ss.f' of an ``<address type='pci' domain= bus= slot= function=/>`` element, or of the one an element
    such as ``<source>`` holds (libvirt writes a hostdev's source address without ``type``); None if there is none."""
    if element is None:
        return None
    return format_pci(pci_address(element))


# --- sysfs ------------------------------------------------------------------------------------------------------------


def _device_dir(sysfs_root, address):
    return os.path.join(sysfs_root, "bus", "pci", "devices", address)


def _link_name(path):
    """The last part of where a sysfs link points (a PCI address, a driver's name); None when there is no link."""
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None  # absent, or a file the driver refuses to read (phys_port_name: EOPNOTSUPP)


def _read_int(path):
    text = _read(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _netdevs(device_dir):
    try:
        return sorted(os.listdir(os.path.join(device_dir, "net")))
    except OSError:
        return []


def _virtfns(pf_dir):
    """{VF number: VF PCI address} from the PF's virtfn<N> links."""
    try:
        entries = os.listdir(pf_dir)
    except OSError:
        return {}
    found = {}
    for entry in entries:
        match = _VIRTFN.match(entry)
        target = _link_name(os.path.join(pf_dir, entry)) if match else None
        if target:
            found[int(match.group(1))] = target
    return found


def _phys_port_names(device_dir):
    return {name: _read(os.path.join(device_dir, "net", name, "phys_port_name")) or "" for name in _netdevs(device_dir)}


def _pf_netdevs(pf_dir):
    """The PF's own netdevs: its net/ entries that are not VF representors."""
    return [name for name, port in sorted(_phys_port_names(pf_dir).items()) if not _REPRESENTOR.search(port)]


def _representor(pf_dir, vf):
    """The switchdev representor of VF ``vf`` (phys_port_name pf<P>vf<vf>) among the PF's netdevs; None in legacy mode."""
    pattern = re.compile(r"pf\d+vf{0}$".format(vf))
    found = [name for name, port in sorted(_phys_port_names(pf_dir).items()) if pattern.search(port)]
    return found[0] if found else None


def _describe_device(device_dir):
    """What a PCI device is, for a message: its driver and netdevs."""
    netdevs = _netdevs(device_dir)
    return "driver {0}, {1}".format(_link_name(os.path.join(device_dir, "driver")) or "none",
                                    "netdev " + ", ".join(netdevs) if netdevs else "no netdev")


def vf_entry(pf, vf, address):
    """One VF as the functions of this file list them."""
    return {"pf": pf, "vf": vf, "address": address}


def vf_identity(pci_address, sysfs_root=SYSFS_ROOT):
    """Everything sysfs says of one VF: ``address``, ``pf`` (the PF's netdev, the one ``ip link set PF vf N`` takes),
    ``pf_netdevs``, ``pf_address``, ``vf`` (its number N on the PF), ``netdev`` (its own netdev while a host driver has
    it, else None), ``driver`` (vfio-pci, the NIC's VF driver, or None when unbound) and ``representor`` (its switchdev
    representor, None in legacy mode)."""
    address = normalize_pci(pci_address)
    vf_dir = _device_dir(sysfs_root, address)
    if not os.path.isdir(vf_dir):
        raise LibvirtCollectionError(
            "No PCI device {0} on this host ({1} does not exist): check the address (`lspci -D`, or the <source> of the "
            "domain's XML) and that the module runs on the hypervisor that has this VF.".format(address, vf_dir))
    pf_address = _link_name(os.path.join(vf_dir, "physfn"))
    if pf_address is None:
        pf_kind = "an SR-IOV PF" if _read(os.path.join(vf_dir, "sriov_totalvfs")) is not None else "not SR-IOV capable"
        raise LibvirtCollectionError(
            "{0} is not an SR-IOV VF: {1} does not exist, so it is a PF or a plain PCI device (this one is {2}; {3}). "
            "Give the PCI address of a VF (a PF lists its VFs as {4}/virtfn*).".format(
                address, os.path.join(vf_dir, "physfn"), pf_kind, _describe_device(vf_dir), vf_dir))
    pf_dir = _device_dir(sysfs_root, pf_address)
    numbers = sorted(number for number, target in _virtfns(pf_dir).items() if target == address)
    if not numbers:
        raise LibvirtCollectionError("{0} names {1} as its PF, but {2} has no virtfn link to it: sysfs is inconsistent "
                                     "(is the PF's SR-IOV being reconfigured?).".format(address, pf_address, pf_dir))
    pf_netdevs = _pf_netdevs(pf_dir)
    if not pf_netdevs:
        raise LibvirtCollectionError(
            "The PF {0} of VF {1} has no network device ({2} is empty or missing; {3}): a VF's MAC is set through its "
            "PF's netdev. Is the PF bound to vfio-pci or to no driver? Bind it to its NIC driver.".format(
                pf_address, address, os.path.join(pf_dir, "net"), _describe_device(pf_dir)))
    netdevs = _netdevs(vf_dir)
    return {"address": address, "pf": pf_netdevs[0], "pf_netdevs": pf_netdevs, "pf_address": pf_address, "vf": numbers[0],
            "netdev": netdevs[0] if netdevs else None, "driver": _link_name(os.path.join(vf_dir, "driver")),
            "representor": _representor(pf_dir, numbers[0])}


def pf_vfs(pf_netdev, sysfs_root=SYSFS_ROOT):
    """Every enabled VF of the PF netdev ``pf_netdev``, in VF number order: [{pf, vf, address}]."""
    net_dir = os.path.join(sysfs_root, "class", "net", pf_netdev)
    if not os.path.exists(net_dir):
        raise LibvirtCollectionError("No network device {0} on this host ({1} does not exist): check the PF's name "
                                     "with `ip link`.".format(pf_netdev, net_dir))
    device = os.path.join(net_dir, "device")
    if not os.path.isdir(device):
        raise LibvirtCollectionError("{0} is not an SR-IOV PF: it is not a PCI device ({1} does not exist; a bridge, "
                                     "bond, veth or other virtual device).".format(pf_netdev, device))
    total = _read_int(os.path.join(device, "sriov_totalvfs"))
    if total is None:
        physfn = _link_name(os.path.join(device, "physfn"))
        what = "it is itself a VF of {0}".format(physfn) if physfn else "its NIC or driver has no SR-IOV"
        raise LibvirtCollectionError("{0} is not an SR-IOV PF: {1} does not exist ({2}).".format(
            pf_netdev, os.path.join(device, "sriov_totalvfs"), what))
    virtfns = _virtfns(device)
    if not virtfns or not _read_int(os.path.join(device, "sriov_numvfs")):
        raise LibvirtCollectionError(
            "{0} has SR-IOV disabled: 0 of its {1} VFs are enabled. Enable them by writing their number to {2} (for "
            "example `echo 8 > {2}`; make it persistent with a udev rule or your network configuration).".format(
                pf_netdev, total, os.path.join(device, "sriov_numvfs")))
    return [vf_entry(pf_netdev, number, virtfns[number]) for number in sorted(virtfns)]


def sriov_pfs(sysfs_root=SYSFS_ROOT):
    """The PF netdevs of this host with VFs enabled, sorted: one name per PF (its own netdev, not a switchdev
    representor, whose ``device`` link points at the PF too)."""
    net = os.path.join(sysfs_root, "class", "net")
    try:
        netdevs = os.listdir(net)
    except OSError:
        return []
    found = set()
    for netdev in netdevs:
        device = os.path.realpath(os.path.join(net, netdev, "device"))
        if _read_int(os.path.join(device, "sriov_numvfs")) and _virtfns(device):
            own = _pf_netdevs(device)
            if own:
                found.add(own[0])
    return sorted(found)


# --- which domain uses which VF ---------------------------------------------------------------------------------------


def assigned_pci_addresses(root):
    """The host PCI addresses a domain's XML assigns to it, sorted: ``<hostdev mode='subsystem' type='pci'>`` and
    ``<interface type='hostdev'>`` sources. A running domain's ``<interface type='network'>`` on a hostdev network shows
    in the live XML as ``<interface type='hostdev'>`` with the allocated VF as its source (libvirt's
    virDomainNetDefFormat, "publicActual"); libvirt's status XML keeps it in ``<actual type='hostdev'>``: both count."""
    found = set()
    for hostdev in root.findall("devices/hostdev"):
        if hostdev.get("mode", "subsystem") == "subsystem" and hostdev.get("type") == "pci":
            found.add(pci_address_of(hostdev.find("source")))
    for interface in root.findall("devices/interface"):
        for holder in (interface, interface.find("actual")):
            if holder is not None and holder.get("type") == "hostdev":
                found.add(pci_address_of(holder.find("source")))
    return sorted(address for address in found if address)


def vf_owners(connection):
    """{host PCI address: sorted names of the domains that use it} over every domain, defined or running, in its
    persistent and its live XML (a device hot-plugged live only, or a VF libvirt allocated from a hostdev network,
    is only in the live XML; a shut-off domain's devices only in the persistent one)."""
    owners = {}
    for domain in all_domains(connection):
        name = domain.name()
        for text in domain_texts(domain, name=name) or ():
            for address in assigned_pci_addresses(parse(text, "XML of domain {0}".format(name))):
                owners.setdefault(address, set()).add(name)
    return {address: sorted(names) for address, names in owners.items()}


# --- the VFs of one domain ---------------------------------------------------------------------------------------------


def _device_key(element):
    """What identifies a device in both the persistent and the running XML: its user alias (ua-...), else an
    interface's MAC, else a hostdev's host PCI address (libvirt gives running devices aliases of its own)."""
    alias = alias_of(element)
    if alias and _USER_ALIAS.match(alias):
        return alias
    mac = mac_of(element)
    if mac:
        return "mac " + mac
    return "pci " + str(pci_address_of(element.find("source")) if element.find("source") is not None else None)


def _vf_devices(root):
    """{key: element} of a domain XML's devices that can be VFs: PCI <hostdev>s, hostdev and network interfaces."""
    return dict((_device_key(element), element) for element in root.iterfind("devices/*") if _may_be_vf(element))


def _may_be_vf(element):
    if element.tag == "hostdev":
        return element.get("type") == "pci"
    return element.tag == "interface" and element.get("type") in ("hostdev", "network")


def _device_kind(persistent, live):
    """hostdev (a fixed host PCI address), network (a VF pool: libvirt allocates, the running domain's XML shows the
    VF it got as type='hostdev'), or None for an interface on a network that is not a VF pool."""
    if persistent is not None and persistent.get("type") == "network":
        return "network" if live is None or live.get("type") == "hostdev" else None
    return "hostdev"


def domain_vfs(domain, sysfs_root=SYSFS_ROOT):
    """The VFs of a domain (sorted by user alias, MAC or address), as its definition has them: ``alias``, ``kind`` (hostdev, or network for a VF pool),
    ``network``, ``address`` (the host PCI address it holds now: the running domain's, else the definition's; null for
    a pool VF of a domain that is not running), ``xml`` (the device as the persistent definition has it, the form to
    attach again: a pool VF by network), and its identity from this host's sysfs (``pf``, ``vf``), or
    ``identity_error`` when this host has no such VF (a definition from another host). A network interface whose
    network is not a VF pool is left out; it shows as type='network' in the running domain's XML too."""
    name = domain.name()
    texts = domain_texts(domain, name=name) or []
    persistent = _vf_devices(parse(texts[0], "XML of domain " + name)) if domain.isPersistent() and texts else {}
    live = _vf_devices(parse(texts[-1], "XML of domain " + name)) if domain.isActive() and texts else {}
    found = []
    for key in sorted(set(persistent) | set(live)):
        defined, running = persistent.get(key), live.get(key)
        kind = _device_kind(defined, running)
        if kind is None:
            continue
        element = defined if defined is not None else running
        source = (running if running is not None else element).find("source")
        address = pci_address_of(source) if source is not None else None
        network = defined.find("source").get("network") if kind == "network" and defined.find("source") is not None else None
        alias = (alias_of(defined) if defined is not None else None) or (alias_of(running) if running is not None else None)
        entry = {"alias": alias, "kind": kind, "network": network, "address": address, "pf": None, "vf": None,
                 "identity_error": None, "xml": ET.tostring(element, encoding="unicode").strip()}
        if address:
            try:
                identity = vf_identity(address, sysfs_root)
                entry.update(pf=identity["pf"], vf=identity["vf"])
            except LibvirtCollectionError as error:
                entry["identity_error"] = error.message
        found.append(entry)
    return found


# --- hostdev networks (VF pools) --------------------------------------------------------------------------------------


@libvirt_call("look up network {name}", missing_is_none=True, missing_codes=(VIR_ERR_NO_NETWORK,))
def find_network(connection, name):
    return connection.networkLookupByName(name)


@libvirt_call("list networks")
def list_network_names(connection):
    return [network.name() for network in connection.listAllNetworks(0)]


@libvirt_call("read network {name}")
def _network_state(network, name):  # pylint: disable=unused-argument
    return bool(network.isActive()), network.XMLDesc(0)


def hostdev_networks(connection):
    """The names of the libvirt networks with ``<forward mode='hostdev'>`` (VF pools), active or not, sorted."""
    found = []
    for name in sorted(list_network_names(connection)):
        network = find_network(connection, name=name)
        text = _network_state(network, name=name)[1] if network is not None else None
        forward = parse(text, "XML of network {0}".format(name)).find("forward") if text else None
        if forward is not None and forward.get("mode") == "hostdev":
            found.append(name)
    return found


def hostdev_network_vfs(connection, network_name, sysfs_root=SYSFS_ROOT):
    """The VFs of a libvirt network with ``<forward mode='hostdev'>``: its ``<pf dev=.../>`` expanded through sysfs
    (an active network's XML also lists them as addresses; sysfs is the source of truth), else its ``<address>`` entries;
    [{pf, vf, address}] sorted by PF and VF number."""
    network = find_network(connection, name=network_name)
    if network is None:
        raise LibvirtCollectionError("Network {0!r} not found at {1}. Networks defined there: {2}. Check the name "
                                     "(`virsh net-list --all`).".format(network_name, connection_uri(connection),
                                                                        ", ".join(sorted(list_network_names(connection))) or "none"))
    active, text = _network_state(network, name=network_name)
    forward = parse(text, "XML of network {0}".format(network_name)).find("forward")
    mode = "none (an isolated network)" if forward is None else forward.get("mode", "nat")
    if mode != "hostdev":
        raise LibvirtCollectionError("Network {0} is not a VF pool: its forward mode is {1}, not hostdev (a VF pool has "
                                     "<forward mode='hostdev'> with <pf dev='...'/> or <address type='pci' .../> "
                                     "entries).".format(network_name, mode))
    if not active:
        raise LibvirtCollectionError("Network {0} is defined but not active, so libvirt allocates no VF from it: start "
                                     "it with `virsh net-start {0}` (and `virsh net-autostart {0}` for the next "
                                     "boot).".format(network_name))
    pf = forward.find("pf")
    if pf is not None and pf.get("dev"):
        return pf_vfs(pf.get("dev"), sysfs_root)
    addresses = [pci_address_of(element) for element in forward.findall("address") if element.get("type", "pci") == "pci"]
    if not addresses:
        raise LibvirtCollectionError("Network {0} lists no VFs: its <forward mode='hostdev'> has neither <pf dev='...'/> "
                                     "nor <address type='pci' .../> entries.".format(network_name))
    identities = [vf_identity(address, sysfs_root) for address in addresses]
    return sorted((vf_entry(i["pf"], i["vf"], i["address"]) for i in identities), key=lambda vf: (vf["pf"], vf["vf"]))


# --- free VFs and reservations ----------------------------------------------------------------------------------------


def reservations(directory):
    """{VF PCI address: the VM it is reserved for (the ``owner`` file), or None} of the ``vf-<address>`` directories in
    ``directory``; {} when the directory does not exist."""
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise LibvirtCollectionError("Could not read the reservation directory {0}: {1}.".format(directory, error.strerror)) from error
    found = {}
    for entry in entries:
        address = parse_pci(entry[len(RESERVATION_PREFIX):]) if entry.startswith(RESERVATION_PREFIX) else None
        if address is not None and os.path.isdir(os.path.join(directory, entry)):
            found[format_pci(address)] = _read_owner(os.path.join(directory, entry, RESERVATION_OWNER)) or None
    return found


def _read_owner(path):
    """The owner file, exactly as vf_reservation wrote it (UTF-8, one line): a domain name may begin with a space."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\n")
    except (OSError, UnicodeDecodeError):
        return None


def free_vfs(vfs, owners, reserved=()):
    """The VFs of ``vfs`` that no domain uses (``owners``: vf_owners) and no reservation holds (addresses, or the
    dict of reservations), in the order given."""
    return [vf for vf in vfs if not owners.get(vf["address"]) and vf["address"] not in reserved]


def vf_table(vfs, owners, reserved, macs):
    """vf_info's rows: each VF with its admin MAC (``macs``: {pf: {vf number: MAC}}; None where unread), the domains
    that use it, its reservation and whether it is free."""
    free = {vf["address"] for vf in free_vfs(vfs, owners, reserved)}
    return [dict(vf, mac=(macs.get(vf["pf"]) or {}).get(vf["vf"]), owners=list(owners.get(vf["address"], [])),
                 reserved=vf["address"] in reserved, reserved_by=reserved.get(vf["address"]),
                 free=vf["address"] in free) for vf in vfs]
