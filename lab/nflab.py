# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nflab: libvirt hypervisors (two to four) and real net_failover guests on one machine.

Layout (every address lives inside a network namespace this script creates):

  nflab-net   bridge tor  (192.0.2.1/24: the probe endpoint, the "top-of-rack switch")
              bridge mgmt (198.51.100.1/24: where Ansible's SSH and libvirt's migration travel)
  nflab-hvN   hostname hvN, own mount namespace with its own /etc/libvirt, /run/libvirt, ...;
              libvirtd + virtlogd + sshd (198.51.100.1N on mgmt0);
              bridge br0: uplink0 (to tor), pf0 (the emulated PF), the guests' standby taps;
              bridge esw0: pf0-esw (the other end of pf0), the emulated VF's tap (the NIC's embedded switch);
              STATE/hvN/sys: an emulated sysfs tree where pf0 is an SR-IOV PF with NFLAB_VFS VFs, which the qemu hook
              (lab/hooks/qemu_hook.py) reserves for the guests that run there.

Usage: python3 lab/nflab.py up|down|status|build-image|busy (tools/lab.sh does this). Run as root.
"""

import argparse
import importlib.util
import json
import os
import shutil
import signal
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Several labs can run side by side (for example for parallel work): each has its own prefix, which
# names its namespaces and its state folder. Addresses repeat between labs; namespaces keep them apart.
PREFIX = os.environ.get("NFLAB_PREFIX", "nflab")
STATE = Path(os.environ.get("NFS_LAB_STATE") or "/var/lib/" + PREFIX)
IMAGE_DIR = Path(os.environ.get("NFS_GUEST_IMAGE", REPO / ".cache" / "guest"))
# Hypervisor platforms: "debian12" is the machine's own packages (libvirt 9.0, QEMU 7.2); any other name is a tree that
# tools/setup.sh built from lab/platforms/NAME.txt ("current": libvirt 11.3, QEMU 10.0 from Debian 12's backports),
# laid over the hypervisor's /usr in its own mount namespace.
PLATFORM_TREES = Path(os.environ.get("NFS_PLATFORM_TREES", REPO / ".cache" / "platforms"))
MACHINE_PLATFORM = "debian12"
DEFAULT_PLATFORM = "current"
try:  # already importable when the unit tests import this file: keep the collection they run on
    import ansible_collections.netfailover.standby  # noqa: F401  pylint: disable=unused-import
except ImportError:
    sys.path.insert(0, os.environ.get("NFS_COLLECTIONS_ROOT", "/var/cache/netfailover.standby/collections"))

# pylint: disable=wrong-import-position
from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent  # noqa: E402
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import classify  # noqa: E402
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import (  # noqa: E402
    SYSFS_WALK_SCRIPT,
    parse_sysfs_walk,
)

NET_NS = PREFIX + "-net"
MAX_HYPERVISORS = 4
DEFAULT_VFS = 8
MAX_VFS = 64  # the emulated PF's sriov_totalvfs, as an i40e port's
VF_PF = "pf0"  # the PF netdev: the lab's PF port on br0 (migrate_pf=pf0) and the PF of its sysfs tree
PF_PCI_ADDRESS = "0000:3b:00.0"
HOOK_CONFIG = "nflab.json"  # beside the qemu hook in /etc/libvirt/hooks: where its VFs and reservations are
RESERVATION_DIR = "/run/netfailover.standby/locks"  # the collection's (migrate_lock_dir, vf_info's reservation_dir)
PROBE_ADDRESS = "192.0.2.1"
CONTROL_ADDRESS = "198.51.100.1"
SSH_DIR = STATE / "ssh"
# Each hypervisor's own copy of libvirt's folders (and of the collection's lock folder): mount point -> folder
# under STATE/hvN.
LIBVIRT_DIRS = {"/etc/libvirt": "etc", "/run/libvirt": "run", "/var/lib/libvirt": "lib",
                "/var/cache/libvirt": "cache", "/var/log/libvirt": "log", "/run/netfailover.standby": "run-netfailover"}
GUEST_STEADY_TIMEOUT = 120


def log(message):
    print("nflab: " + message, flush=True)


def parse_hypervisors(text):
    """NFLAB_HYPERVISORS: how many hypervisors, 2 to 4; their names hv1..hvN."""
    count = int(text) if text.strip().isdigit() else None
    if count is None or not 2 <= count <= MAX_HYPERVISORS:
        raise SystemExit("NFLAB_HYPERVISORS {0!r}: give the number of hypervisors, 2 to {1}".format(text, MAX_HYPERVISORS))
    return tuple("hv{0}".format(number) for number in range(1, count + 1))


def parse_vfs(spec, hypervisors):
    """NFLAB_VFS: one VF count for every hypervisor ("8") or one each ("hv1=8,hv2=2,hv3=3"); {hv: count}."""
    def count(text, where):
        if not text.strip().isdigit() or int(text) > MAX_VFS:
            raise SystemExit("NFLAB_VFS {0!r}: {1} must be a number of VFs from 0 to {2}, not {3!r}".format(
                spec, where, MAX_VFS, text))
        return int(text)

    if "=" not in spec:
        return {hv: count(spec, "the count") for hv in hypervisors}
    items = spec.split(",")
    chosen = dict(item.split("=", 1) for item in items if "=" in item)
    if len(chosen) != len(items) or set(chosen) != set(hypervisors):
        raise SystemExit("NFLAB_VFS {0!r}: give one count for every hypervisor (8) or a count for each of {1} "
                         "(hv1=8,hv2=2); NFLAB_HYPERVISORS says how many there are".format(spec, ", ".join(hypervisors)))
    return {hv: count(chosen[hv], hv) for hv in hypervisors}


def vf_address(number):
    """The PCI address of VF ``number`` of the emulated PF: 0000:3b:02.0 to 0000:3b:02.7, then slot 03, ..."""
    return "0000:3b:{0:02x}.{1}".format(2 + number // 8, number % 8)


HYPERVISORS = parse_hypervisors(os.environ.get("NFLAB_HYPERVISORS", "2"))
# lab-down also takes down the hypervisors of a lab brought up with more of them than NFLAB_HYPERVISORS says now
ALL_HYPERVISORS = tuple("hv{0}".format(number) for number in range(1, MAX_HYPERVISORS + 1))


def run(*argv, check=True, capture=False):
    """Run one command (an argv list, never a shell string)."""
    result = subprocess.run([str(a) for a in argv], check=False, text=True,
                            stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        command = " ".join(map(str, argv))
        raise RuntimeError("{0} failed ({1}): {2}".format(command, result.returncode, (result.stderr or "").strip()))
    return result


def hv_namespace(hv):
    return "{0}-{1}".format(PREFIX, hv)


def mgmt_address(hv):
    return "198.51.100.1{0}".format(hv[-1])


def guest_names(count):
    return ["vm{0}".format(i) for i in range(1, count + 1)]


def guest_address(name):
    return "192.0.2.{0}".format(10 + int(name[2:]))


def guest_mac(name):
    return "52:54:00:6c:00:{0:02x}".format(int(name[2:]))


# --- processes the lab starts: recorded by pid, stopped by pid -------------------------------------


def pid_file(name):
    return STATE / "pids" / (name + ".pid")


def read_pid(path):
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid):
    """True while pid runs; a zombie counts as gone (whoever reaps orphans here may be slow to do so)."""
    if pid is None:
        return False
    try:
        stat = Path("/proc/{0}/stat".format(pid)).read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop_pid(pid, what):
    """SIGTERM, then SIGKILL after 10 s; only a pid the lab recorded itself."""
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    for _attempt in range(100):
        if not alive(pid):
            return
        time.sleep(0.1)
    log("{0} (pid {1}) ignored SIGTERM, killing it".format(what, pid))
    os.kill(pid, signal.SIGKILL)


def processes_in_mount_namespace_of(holder):
    """Pids (other than the holder) in the hypervisor's mount namespace: all of them descend from the lab."""
    if not alive(holder):
        return []
    namespace = os.readlink("/proc/{0}/ns/mnt".format(holder))
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != holder:
            try:
                if os.readlink(entry / "ns" / "mnt") == namespace:
                    found.append(int(entry.name))
            except OSError:
                continue  # exited meanwhile
    return found


def processes_in_network_namespace(name):
    """Pids running in the lab's network namespace ``name`` (they can only have been started into it)."""
    inode = os.stat(Path("/run/netns", name)).st_ino
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.stat(entry / "ns" / "net").st_ino == inode:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def in_hv(hv, *argv, check=True, capture=False):
    """Run a command inside hypervisor hv's network, mount and UTS namespaces."""
    holder = read_pid(pid_file(hv + "-namespaces"))
    return run("nsenter", "-t", holder, "-m", "-u", "-n", "--", *argv, check=check, capture=capture)


def hv_dir(hv):
    return STATE / hv


def parse_platforms(spec, hypervisors=HYPERVISORS):
    """NFLAB_PLATFORM: one platform for every hypervisor ("current") or one each ("hv1=debian12,hv2=current")."""
    if "=" not in spec:
        return {hv: spec for hv in hypervisors}
    items = spec.split(",")
    chosen = dict(item.split("=", 1) for item in items if "=" in item)
    if len(chosen) != len(items) or set(chosen) != set(hypervisors):
        raise SystemExit("NFLAB_PLATFORM {0!r}: name a platform for each of {1} (NFLAB_HYPERVISORS says how many "
                         "there are)".format(spec, ", ".join(hypervisors)))
    return chosen


def platform_tree(platform):
    """The tree laid over /usr for ``platform``; None for the machine's own packages."""
    if platform == MACHINE_PLATFORM:
        return None
    tree = PLATFORM_TREES / platform
    if not (tree / "usr" / "sbin" / "libvirtd").exists():
        raise SystemExit("platform {0}: {1} is missing; tools/setup.sh builds it from lab/platforms/{0}.txt".format(
            platform, tree))
    return tree


def hv_versions(hv):
    """libvirt and QEMU versions as hypervisor hv sees them (in its mount namespace)."""
    libvirtd = in_hv(hv, "libvirtd", "--version", capture=True).stdout.split()[-1]
    qemu = in_hv(hv, "qemu-system-x86_64", "--version", capture=True).stdout.split()[3]
    return {"libvirt": libvirtd, "qemu": qemu}


def hv_pid_files(hv):
    """Daemon pid files, as seen from the root mount namespace."""
    return {"sshd": hv_dir(hv) / "sshd.pid",
            "libvirtd": hv_dir(hv) / "run" / "libvirtd.pid",
            "virtlogd": hv_dir(hv) / "run" / "virtlogd.pid"}


def qemu_pid_files(hv):
    return sorted((hv_dir(hv) / "run" / "qemu").glob("*.pid"))


# --- networks ---------------------------------------------------------------------------------------


def netns_exists(name):
    return Path("/run/netns", name).exists()


def ns(name, *argv):
    return run("ip", "netns", "exec", name, *argv)


def create_networks():
    run("ip", "netns", "add", NET_NS)
    ns(NET_NS, "ip", "link", "set", "lo", "up")
    for bridge, address in (("tor", PROBE_ADDRESS + "/24"), ("mgmt", CONTROL_ADDRESS + "/24")):
        ns(NET_NS, "ip", "link", "add", bridge, "type", "bridge")
        ns(NET_NS, "ip", "addr", "add", address, "dev", bridge)
        ns(NET_NS, "ip", "link", "set", bridge, "up")
    for hv in HYPERVISORS:
        hv_ns = hv_namespace(hv)
        run("ip", "netns", "add", hv_ns)
        ns(hv_ns, "ip", "link", "set", "lo", "up")
        # uplink0 joins br0 to the shared segment; mgmt0 carries SSH and migration traffic.
        for local, remote, switch in (("uplink0", hv + "-data", "tor"), ("mgmt0", hv + "-mgmt", "mgmt")):
            ns(hv_ns, "ip", "link", "add", local, "type", "veth", "peer", "name", remote, "netns", NET_NS)
            ns(NET_NS, "ip", "link", "set", remote, "master", switch, "up")
        ns(hv_ns, "ip", "addr", "add", mgmt_address(hv) + "/24", "dev", "mgmt0")
        ns(hv_ns, "ip", "link", "set", "mgmt0", "up")
        # The emulated SR-IOV NIC: pf0 is the PF's port on the host bridge; esw0 is the NIC's embedded switch
        # where the "VF" (the guest's vmxnet3 tap) sits, so VF traffic reaches br0 through pf0 as on real hardware.
        for bridge in ("br0", "esw0"):
            ns(hv_ns, "ip", "link", "add", bridge, "type", "bridge")
            ns(hv_ns, "ip", "link", "set", bridge, "up")
        ns(hv_ns, "ip", "link", "add", "pf0", "type", "veth", "peer", "name", "pf0-esw")
        ns(hv_ns, "ip", "link", "set", "pf0", "master", "br0", "up")
        ns(hv_ns, "ip", "link", "set", "pf0-esw", "master", "esw0", "up")
        # A NIC's embedded switch steers a VF's MAC to the VF whatever it sees on the uplink: esw0 must not learn
        # the guest's MAC on pf0-esw from frames the host bridge floods back to it.
        ns(hv_ns, "bridge", "link", "set", "dev", "pf0-esw", "learning", "off")
        ns(hv_ns, "ip", "link", "set", "uplink0", "master", "br0", "up")


# --- hypervisors --------------------------------------------------------------------------------------


def sysfs_root(hv):
    return hv_dir(hv) / "sys"


def build_sysfs(root, vfs):
    """The hypervisor's emulated sysfs tree at ``root``: the PF netdev pf0 at 0000:3b:00.0 with ``vfs`` VFs bound to
    vfio-pci (VF n at vf_address(n)), in the kernel's layout, made by the unit tests' builder (one description of it)."""
    spec = importlib.util.spec_from_file_location("sriov_host", REPO / "tests" / "unit" / "plugins" / "sriov_host.py")
    sriov_host = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sriov_host)
    shutil.rmtree(root, ignore_errors=True)
    sriov_host.FakeSysfs(root).pf(PF_PCI_ADDRESS, "i40e", [VF_PF], [vf_address(n) for n in range(vfs)], total=MAX_VFS,
                                  vf_drivers={n: "vfio-pci" for n in range(vfs)})


def prepare_hv_files(hv, tree, vfs):
    root = hv_dir(hv)
    build_sysfs(sysfs_root(hv), vfs)
    for runtime in ("/run/libvirt", "/run/netfailover.standby"):  # a fresh boot has an empty /run
        shutil.rmtree(directory_in_state(hv, runtime), ignore_errors=True)
    for directory in LIBVIRT_DIRS:
        directory_in_state(hv, directory).mkdir(parents=True, exist_ok=True)
    (directory_in_state(hv, "/var/log/libvirt") / "qemu").mkdir(exist_ok=True)  # the guests' serial logs
    etc = directory_in_state(hv, "/etc/libvirt")
    shutil.rmtree(etc, ignore_errors=True)
    # the platform's own default configuration: libvirt 11 reads files that 9.0 does not ship
    shutil.copytree(tree / "etc" / "libvirt" if tree else "/etc/libvirt", etc, symlinks=True)
    # an emulated VF refuses to migrate, as an assigned VF does (lab/hooks/qemu_hook.py); libvirt finds its qemu hook
    # at start-up and runs nothing else of the folder
    hooks = etc / "hooks"
    hooks.mkdir(exist_ok=True)
    shutil.copy2(REPO / "lab" / "hooks" / "qemu_hook.py", hooks / "qemu_hook.py")
    (hooks / "qemu").write_text('#!/bin/sh\nexec /usr/bin/python3 /etc/libvirt/hooks/qemu_hook.py "$@"\n')
    (hooks / "qemu").chmod(0o755)
    # the hook reserves a VF of pf0 for each guest that runs here: the tree is seen at the same path inside the
    # hypervisor's mount namespace; the reservations go where the collection keeps them (vf_info's reservation_dir)
    (hooks / HOOK_CONFIG).write_text(json.dumps({"hypervisor": hv, "pf": VF_PF, "sysfs_root": str(sysfs_root(hv)),
                                                 "reservations": RESERVATION_DIR}, indent=2))
    autostart = etc / "qemu" / "networks" / "autostart"
    shutil.rmtree(autostart, ignore_errors=True)  # no libvirt "default" network (dnsmasq, 192.168.122.0/24)
    host_uuid_file = root / "host-uuid"
    if not host_uuid_file.exists():
        host_uuid_file.write_text(str(uuid.uuid4()))  # libvirt refuses UUIDs of one repeated digit
    address = mgmt_address(hv)
    with open(etc / "libvirtd.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# nflab\nlisten_tls = 0\nlisten_tcp = 1\nlisten_addr = \"{0}\"\nauth_tcp = \"none\"\n"
                   "host_uuid = \"{1}\"\nlog_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n".format(
                       address, host_uuid_file.read_text().strip()))
    with open(etc / "qemu.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# nflab\nsecurity_driver = \"none\"\nuser = \"root\"\ngroup = \"root\"\n"
                   "migration_address = \"{0}\"\nmigration_host = \"{0}\"\n".format(address))


def directory_in_state(hv, directory):
    """Where /etc/libvirt, /run/libvirt, ... of hypervisor hv live in the root mount namespace."""
    return hv_dir(hv) / LIBVIRT_DIRS[directory]


def start_hypervisor(hv, platform, vfs):
    tree = platform_tree(platform)
    prepare_hv_files(hv, tree, vfs)
    pid_file(hv).parent.mkdir(parents=True, exist_ok=True)
    # The namespace holder: a sleep that owns the hypervisor's mount and UTS namespaces (its network
    # namespace is nflab-hvN). ip netns exec and unshare exec in place, so Popen's pid is the sleep's.
    holder = subprocess.Popen(["ip", "netns", "exec", hv_namespace(hv), "unshare", "--mount", "--uts",
                               "--propagation", "private", "sleep", "infinity"], start_new_session=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_file(hv + "-namespaces").write_text(str(holder.pid))
    for _attempt in range(50):
        if Path("/proc/{0}/ns/uts".format(holder.pid)).exists() and \
                os.readlink("/proc/{0}/ns/uts".format(holder.pid)) != os.readlink("/proc/self/ns/uts"):
            break
        time.sleep(0.05)
    in_hv(hv, "hostname", hv)
    if tree:
        # the platform's packages over the machine's: the hypervisor's libvirtd, QEMU, virsh and their libraries
        in_hv(hv, "mount", "-t", "overlay", "{0}-{1}".format(PREFIX, platform),
              "-o", "lowerdir={0}:/usr".format(tree / "usr"), "/usr")
    (hv_dir(hv) / "platform").write_text(platform)
    for directory in LIBVIRT_DIRS:
        in_hv(hv, "mkdir", "-p", directory)
        in_hv(hv, "mount", "--bind", directory_in_state(hv, directory), directory)
    in_hv(hv, "mkdir", "-p", "/run/sshd")
    in_hv(hv, "virtlogd", "-d", "-p", "/run/libvirt/virtlogd.pid")
    start_libvirtd(hv)
    in_hv(hv, "/usr/sbin/sshd", "-f", SSH_DIR / "sshd_config", "-h", SSH_DIR / "host_ed25519_key",
          "-o", "ListenAddress=" + mgmt_address(hv), "-o", "PidFile=" + str(hv_pid_files(hv)["sshd"]))


def start_libvirtd(hv):
    socket = hv_dir(hv) / "run" / "libvirt-sock"
    if socket.exists():
        socket.unlink()  # left behind by a killed libvirtd
    in_hv(hv, "libvirtd", "-d", "--listen", "--pid-file", "/run/libvirt/libvirtd.pid")
    wait_for(socket.exists, 30, hv + " libvirtd socket")


def control_libvirtd(hv, what):
    """Fault injection for the tests: stop (SIGTERM), kill (SIGKILL) or start hypervisor hv's libvirtd.

    The guests' QEMU processes outlive libvirtd, as on a real host; a started libvirtd reconnects to them."""
    pid = read_pid(hv_pid_files(hv)["libvirtd"])
    if what in ("stop", "kill"):
        if alive(pid):
            os.kill(pid, signal.SIGTERM if what == "stop" else signal.SIGKILL)
            wait_for(lambda: not alive(pid), 30, hv + " libvirtd to exit")
    elif what == "start":
        if not alive(pid):
            start_libvirtd(hv)
    else:
        raise SystemExit("libvirtd: stop, kill or start")
    log("{0} libvirtd: {1}".format(hv, what))


def hv_uri(hv):
    """libvirt URI of hypervisor hv from the root namespace: its unix socket through the state folder."""
    return "qemu+unix:///system?socket={0}".format(hv_dir(hv) / "run" / "libvirt-sock")


def prepare_ssh():
    SSH_DIR.mkdir(parents=True, exist_ok=True)
    for key in ("id_ed25519", "host_ed25519_key"):
        if not (SSH_DIR / key).exists():
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nflab " + key, "-f", SSH_DIR / key)
    shutil.copy(SSH_DIR / "id_ed25519.pub", SSH_DIR / "authorized_keys")
    (SSH_DIR / "sshd_config").write_text(
        "# nflab: the lab hypervisors' sshd (lab key only)\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nStrictModes no\nAuthorizedKeysFile {0}\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
        "AcceptEnv LANG LC_*\n".format(SSH_DIR / "authorized_keys"))
    # The control side reaches the mgmt network from inside nflab-net: no lab address in the root namespace.
    # "<guest>.guest" is the hypervisor that runs the guest now (lab/guest_proxy.py finds it when the connection is
    # made): the inventory's guests reach their agent through it. ssh takes the first ProxyCommand that matches.
    (SSH_DIR / "config").write_text(
        "Host *.guest\n  ProxyCommand {2} {3} {4} %n %p\n"
        "Host {5} *.guest 198.51.100.*\n"
        "  User root\n  IdentityFile {0}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
        # a lab torn down under a kept-open connection must not leave clients hanging on it
        "  ServerAliveInterval 5\n  ServerAliveCountMax 2\n"
        "  ProxyCommand ip netns exec {1} nc %h %p\n".format(
            SSH_DIR / "id_ed25519", NET_NS, sys.executable, REPO / "lab" / "guest_proxy.py", STATE, " ".join(HYPERVISORS))
        + "".join("Host {0}\n  HostName {1}\n".format(hv, mgmt_address(hv)) for hv in HYPERVISORS))


# --- guests ------------------------------------------------------------------------------------------


def build_image():
    run(REPO / "lab" / "guest" / "build-image.sh", IMAGE_DIR)


# The QEMU-driven (teaming) variant: libvirt accepts <teaming type='transient'> only on hostdev interfaces, so
# the emulated VF gets QEMU's failover_pair_id through an override (lab only: it taints the domain).
TEAMING_OVERRIDE = """  <qemu:override>
    <qemu:device alias='ua-primary0'>
      <qemu:frontend>
        <qemu:property name='failover_pair_id' type='string' value='ua-standby0'/>
      </qemu:frontend>
    </qemu:device>
  </qemu:override>
"""


def guest_xml(name, memory_mib, domain_type, variant="manual"):
    template = string.Template((REPO / "lab" / "guest.xml").read_text())
    return template.substitute(name=name, memory_mib=memory_mib, domain_type=domain_type,
                               kernel=IMAGE_DIR / "vmlinuz", initrd=IMAGE_DIR / "initrd.img",
                               address=guest_address(name) + "/24", mac=guest_mac(name),
                               primary_interface=PRIMARY_XML.format(mac=guest_mac(name)),
                               teaming_override=TEAMING_OVERRIDE if variant == "teaming" else "")


PRIMARY_XML = """<interface type='bridge'>
  <mac address='{mac}'/>
  <source bridge='esw0'/>
  <model type='vmxnet3'/>
  <rom enabled='no'/>
  <alias name='ua-primary0'/>
  <address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/>
</interface>
"""


def write_primary_xml(name):
    """The emulated VF's device XML (the seed's vf_xml), for attaching it again after a detach."""
    path = STATE / "guests" / (name + "-primary.xml")
    path.parent.mkdir(exist_ok=True)
    path.write_text(PRIMARY_XML.format(mac=guest_mac(name)))
    return path


def start_guests(count, memory_mib, domain_type, variant):
    import libvirt  # pylint: disable=import-outside-toplevel
    connection = libvirt.open(hv_uri("hv1"))
    try:
        for name in guest_names(count):
            write_primary_xml(name)
            domain = connection.defineXML(guest_xml(name, memory_mib, domain_type, variant))
            domain.create()
            log("started {0} on hv1 ({1})".format(name, guest_address(name)))
        for name in guest_names(count):
            wait_for(lambda n=name: guest_state(connection, n) == "steady", GUEST_STEADY_TIMEOUT,
                     name + " in its steady state (standby down, primary enslaved and up)")
    finally:
        connection.close()


def guest_state(connection, name):
    """The classified failover state of a guest, read through the guest agent; None while it boots."""
    try:
        domain = connection.lookupByName(name)
        code, out, _err = guest_agent.execute(domain, "/bin/sh", ["-c", SYSFS_WALK_SCRIPT])
    except Exception:  # pylint: disable=broad-except
        return None  # agent not up yet
    return classify(parse_sysfs_walk(out)).state.value if code == 0 else None


def keep_guests_busy():
    """A CPU-bound loop in every running guest of this lab (for proving the tests of another lab under load): each
    guest's vCPU, under TCG, then takes a host core. lab-down ends it with the guests."""
    import libvirt  # pylint: disable=import-outside-toplevel
    for hv in lab_facts().get("hypervisors", HYPERVISORS):
        connection = libvirt.open(hv_uri(hv))
        try:
            for domain in connection.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
                code, _out, err = guest_agent.execute(domain, "/bin/sh", ["-c", "(while :; do :; done) >/dev/null 2>&1 &"])
                if code != 0:
                    raise RuntimeError("{0}: the busy loop did not start: {1}".format(domain.name(), err))
                log("{0} on {1}: busy".format(domain.name(), hv))
        finally:
            connection.close()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise RuntimeError("timed out after {0} s waiting for {1}".format(timeout, what))


# --- inventory --------------------------------------------------------------------------------------


def inventory_data(count, platforms, vfs):
    """The lab's Ansible inventory: the hypervisors over SSH, the guests through their agent."""
    ssh_args = "-F {0}".format(SSH_DIR / "config")
    return {
        "all": {"children": {
            "hypervisors": {
                "hosts": {hv: {"ansible_host": hv, "nflab_mgmt_address": mgmt_address(hv), "nflab_platform": platforms[hv],
                               # how the other hypervisor reaches this one for a migration (the collection's host variable)
                               "netfailover_migration_uri": "qemu+tcp://{0}/system".format(mgmt_address(hv)),
                               # the emulated SR-IOV PF: its sysfs tree (the modules' sysfs_root), its netdev, its VFs
                               "netfailover_sysfs_root": str(sysfs_root(hv)), "netfailover_vf_pf": VF_PF,
                               "nflab_vfs": vfs[hv]}
                          for hv in HYPERVISORS},
                "vars": {"ansible_user": "root", "ansible_ssh_common_args": ssh_args,
                         # hv1, hv2, ... exist in every lab: keep each lab's SSH control sockets apart
                         "ansible_control_path_dir": str(SSH_DIR / "cp"),
                         "ansible_python_interpreter": "/usr/bin/python3"},
            },
            "guests": {
                # The guests have no Python and no network for Ansible: they are reached through the guest agent (raw
                # commands) on whichever hypervisor runs them when the connection is made (SSH host <guest>.guest).
                "hosts": {name: {"nflab_address": guest_address(name), "nflab_mac": guest_mac(name),
                                 "nflab_primary_xml": str(STATE / "guests" / (name + "-primary.xml")),
                                 "ansible_libvirt_uri": "qemu+ssh://root@{0}.guest/system?command={1}".format(
                                     name, SSH_DIR / "ssh")}
                          for name in guest_names(count)},
                "vars": {"ansible_connection": "community.libvirt.libvirt_qemu",
                         "nflab_probe_namespace": NET_NS, "nflab_probe_address": PROBE_ADDRESS},
            },
        }},
    }


def write_inventory(count, variant, platforms, vfs, memory_mib):
    (SSH_DIR / "ssh").write_text("#!/bin/sh\n# ssh with the lab's config, for libvirt's qemu+ssh transport\n"
                                 "exec ssh -F {0} \"$@\"\n".format(SSH_DIR / "config"))
    (SSH_DIR / "ssh").chmod(0o755)
    path = STATE / "inventory.json"
    path.write_text(json.dumps(inventory_data(count, platforms, vfs), indent=2))
    (STATE / "lab.json").write_text(json.dumps({"guests": guest_names(count), "hypervisors": list(HYPERVISORS),
                                                "net_namespace": NET_NS, "prefix": PREFIX, "variant": variant,
                                                "guest_memory_mib": memory_mib, "vfs": vfs,
                                                "platforms": {hv: dict(hv_versions(hv), name=platforms[hv])
                                                              for hv in HYPERVISORS},
                                                "mgmt_addresses": {hv: mgmt_address(hv) for hv in HYPERVISORS},
                                                "sysfs_roots": {hv: str(sysfs_root(hv)) for hv in HYPERVISORS},
                                                "uris": {hv: hv_uri(hv) for hv in HYPERVISORS}}, indent=2))
    return path


# --- status, up, down --------------------------------------------------------------------------------


def lab_facts():
    """lab.json of the lab that is up (or half up), or {}."""
    try:
        return json.loads((STATE / "lab.json").read_text())
    except (OSError, ValueError):
        return {}


def status():
    facts = lab_facts()
    hypervisors = facts.get("hypervisors", HYPERVISORS)  # the lab's own, whatever NFLAB_HYPERVISORS says now
    report = {"namespaces": {n: netns_exists(n) for n in [NET_NS] + [hv_namespace(hv) for hv in hypervisors]},
              "processes": {}, "guests": {}, "hypervisors": list(hypervisors), "vfs": facts.get("vfs"),
              "guest_memory_mib": facts.get("guest_memory_mib")}
    for hv in hypervisors:
        report["processes"][hv + "-namespaces"] = alive(read_pid(pid_file(hv + "-namespaces")))
        platform_file = hv_dir(hv) / "platform"
        report.setdefault("platforms", {})[hv] = platform_file.read_text() if platform_file.exists() else None
        for daemon, path in hv_pid_files(hv).items():
            report["processes"]["{0}-{1}".format(hv, daemon)] = alive(read_pid(path))
    lab = STATE / "lab.json"
    if all(report["namespaces"].values()) and all(report["processes"].values()) and lab.exists():
        import libvirt  # pylint: disable=import-outside-toplevel
        for hv in hypervisors:
            connection = libvirt.open(hv_uri(hv))
            for domain in connection.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
                report["guests"][domain.name()] = {"hypervisor": hv, "state": guest_state(connection, domain.name())}
            connection.close()
    report["variant"] = json.loads(lab.read_text()).get("variant") if lab.exists() else None
    report["healthy"] = (all(report["namespaces"].values()) and all(report["processes"].values())
                         and lab.exists() and len(report["guests"]) == len(json.loads(lab.read_text())["guests"])
                         # lab-up promises every guest on hv1 in the seed's steady state
                         and all(g == {"hypervisor": "hv1", "state": "steady"} for g in report["guests"].values()))
    return report


def up(count, memory_mib, domain_type, variant, platforms, vfs):
    started = time.monotonic()
    build_image()
    for platform in set(platforms.values()):
        platform_tree(platform)  # a missing tree is refused before anything is torn down
    if count > vfs["hv1"]:
        raise SystemExit("NFLAB_GUESTS={0}: the guests start on hv1, which has {1} VFs (NFLAB_VFS): give it at least "
                         "one VF per guest".format(count, vfs["hv1"]))
    current = status()
    if current["healthy"] and current["variant"] == variant and len(current["guests"]) == count \
            and current["hypervisors"] == list(HYPERVISORS) and current["platforms"] == platforms \
            and current["vfs"] == vfs and current["guest_memory_mib"] == memory_mib:
        log("lab already up")
        return
    down()  # recover from a half-built lab, or one of another size: start from nothing
    STATE.mkdir(parents=True, exist_ok=True)
    prepare_ssh()
    create_networks()
    for hv in HYPERVISORS:
        start_hypervisor(hv, platforms[hv], vfs[hv])
    write_inventory(count, variant, platforms, vfs, memory_mib)
    start_guests(count, memory_mib, domain_type, variant)
    log("lab up in {0:.1f} s ({1}); inventory: {2}".format(
        time.monotonic() - started, ", ".join("{0} {1}, {2} VFs".format(hv, platforms[hv], vfs[hv]) for hv in HYPERVISORS),
        STATE / "inventory.json"))


def destroy_guests(hv):
    if not (hv_dir(hv) / "run" / "libvirt-sock").exists() or not alive(read_pid(hv_pid_files(hv)["libvirtd"])):
        return
    import libvirt  # pylint: disable=import-outside-toplevel
    try:
        connection = libvirt.open(hv_uri(hv))
    except libvirt.libvirtError:
        return
    for domain in connection.listAllDomains(0):
        if domain.isActive():
            domain.destroy()
        domain.undefine()
    connection.close()


def down():
    for hv in ALL_HYPERVISORS:  # what is not there is skipped
        qemu_pids = [read_pid(path) for path in qemu_pid_files(hv)]
        destroy_guests(hv)
        for pid in qemu_pids:
            stop_pid(pid, hv + " qemu")
        for daemon in ("sshd", "libvirtd", "virtlogd"):
            stop_pid(read_pid(hv_pid_files(hv)[daemon]), hv + " " + daemon)
        holder = read_pid(pid_file(hv + "-namespaces"))
        # What the daemons left behind inside the hypervisor (SSH sessions kept open by Ansible's ControlPersist)
        for pid in processes_in_mount_namespace_of(holder):
            stop_pid(pid, hv + " leftover process")
        stop_pid(holder, hv + " namespace holder")
        for path in [pid_file(hv + "-namespaces"), hv_dir(hv) / "platform"] + list(hv_pid_files(hv).values()):
            if path.exists():
                path.unlink()
    for name in [hv_namespace(hv) for hv in ALL_HYPERVISORS] + [NET_NS]:
        if netns_exists(name):
            # e.g. the ProxyCommand netcats of SSH connections into the lab, and probes
            for pid in processes_in_network_namespace(name):
                stop_pid(pid, name + " process")
            run("ip", "netns", "delete", name)  # takes the veths and bridges inside it along
    shutil.rmtree(SSH_DIR / "cp", ignore_errors=True)  # SSH control sockets of connections into this lab
    for stale in (STATE / "lab.json", STATE / "inventory.json"):
        if stale.exists():
            stale.unlink()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("up", "down", "status", "build-image", "libvirtd", "busy"))
    parser.add_argument("target", nargs="*", help="for libvirtd: HYPERVISOR stop|kill|start (fault injection)")
    parser.add_argument("--guests", type=int, default=int(os.environ.get("NFLAB_GUESTS", "1")))
    parser.add_argument("--memory", type=int, default=int(os.environ.get("NFLAB_GUEST_MEMORY", "256")),
                        help="MiB per guest (NFLAB_GUEST_MEMORY)")
    parser.add_argument("--domain-type", default=os.environ.get("NFLAB_DOMAIN_TYPE", "qemu"),
                        help="qemu (TCG, the default: nested KVM fails on this kind of machine) or kvm")
    parser.add_argument("--variant", choices=("manual", "teaming"), default=os.environ.get("NFLAB_VARIANT", "manual"),
                        help="teaming: QEMU drives the VF unplug at migration (failover_pair_id on the emulated VF)")
    parser.add_argument("--platform", default=os.environ.get("NFLAB_PLATFORM", DEFAULT_PLATFORM),
                        help="the hypervisors' libvirt/QEMU: current (libvirt 11.3, QEMU 10.0; the default), debian12 "
                             "(libvirt 9.0, QEMU 7.2), or one each: hv1=debian12,hv2=current")
    args = parser.parse_args()
    if args.action == "up":
        up(args.guests, args.memory, args.domain_type, args.variant, parse_platforms(args.platform),
           parse_vfs(os.environ.get("NFLAB_VFS", str(DEFAULT_VFS)), HYPERVISORS))
    elif args.action == "down":
        down()
        log("lab down")
    elif args.action == "build-image":
        build_image()
    elif args.action == "busy":
        keep_guests_busy()
    elif args.action == "libvirtd":
        hypervisor, what = args.target
        control_libvirtd(hypervisor, what)
    else:
        print(json.dumps(status(), indent=2))


if __name__ == "__main__":
    main()
