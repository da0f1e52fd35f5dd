"""qm-cloudinit.py: what cloud-init does in a VM's root when qm-double
starts it (loaded by qm-double, not run by itself). A stand-in for the
guest's first boot, modelling only what Phoenix relies on: the QEMU guest
agent arriving through cloud-init `packages`.

The instance: Proxmox's nocloud meta-data gives `instance-id: sha1(user
data . network data)` (proxmox/qemu-server e6352be,
src/PVE/QemuServer/Cloudinit.pm:603-607 nocloud_gen_metadata; a `meta=`
snippet replaces it, :617-619), so vendor data is NOT part of it. Here the
user data is the `user=` snippet's text or the conf keys Proxmox generates
it from (Cloudinit.pm:145 cloudinit_userdata), the network data the
`network=` snippet's or the conf keys it is made from.

cloud-init runs `packages` (cc_package_update_upgrade_install) and
`runcmd` once per instance (frequency PER_INSTANCE, canonical/cloud-init
cloudinit/config/cc_package_update_upgrade_install.py:27, cc_runcmd.py:30):
at a boot whose instance-id differs from the root's
/var/lib/cloud/data/instance-id. User cloud-config is merged over vendor
cloud-config key by key (doc/rtd/explanation/vendordata.rst; helpers.py
ConfigMerger, util.mergemanydict: the first source's key wins), and user
data `vendor_data: {enabled: false}` turns vendor data off (stages.py
_consume_vendordata).

At such a boot, a merged `packages` naming qemu-guest-agent writes it into
the root's dpkg status (the one package whose effect the double can show:
qm-guest.py's agent answers when it is installed). Debian's and Ubuntu's
qemu-guest-agent unit is static, started by udev when the agent's virtio
port appears at boot — before the package was there — so on that first
boot the agent runs only when `runcmd` starts it (`systemctl start` or
`enable --now`, `restart`); otherwise it answers from the next boot on.
Other listed packages are not modelled: they are written to the root's
/var/log/cloud-init-double.log, not installed.

Every boot also does what systemd does first (machine-id(5),
systemd-machine-id-setup): an empty or missing /etc/machine-id gets a new
random ID, so a clone of a template whose ID was emptied gets its own.

The default user: Proxmox's user data names it (`user: <ciuser>`,
Cloudinit.pm cloudinit_userdata; Phoenix's own user snippet does the same),
and cloud-init's users-groups module creates it once per instance
(cc_users_groups.py, PER_INSTANCE): at such a boot it is added to the
root's /etc/passwd and /etc/group, with its home, unless it exists.
"""

import hashlib
import os
import re

try:
    import yaml
except ImportError:  # pragma: no cover - the test machine has python3-yaml
    yaml = None

AGENT = "qemu-guest-agent"
# Marks a VM whose agent was installed at this boot but not started.
AGENT_DOWN = "agent-not-started"


def snippet_text(q, vol):
    """The text of a `<storage>:snippets/<file>` volume (check_cicustom
    already refused a missing one)."""
    storage, _, name = vol.partition(":")
    st = q.storage_content(storage)
    with open(os.path.join(q.ROOT, (st["path"] or "/var/lib/vz").lstrip("/"), name)) as f:
        return f.read()


def parts(main):
    out = {}
    for part in filter(None, main.keys.get("cicustom", "").split(",")):
        k, _, v = part.partition("=")
        out[k.strip()] = v.strip()
    return out


def instance_id(q, main, custom):
    """sha1(user . network) as Proxmox writes the nocloud meta-data."""
    if "meta" in custom:
        return hashlib.sha1(snippet_text(q, custom["meta"]).encode()).hexdigest()
    keys = main.keys
    if "user" in custom:
        user = snippet_text(q, custom["user"])
    else:
        user = "\n".join("%s=%s" % (k, keys.get(k, "")) for k in
                         ("name", "ciuser", "cipassword", "sshkeys", "searchdomain", "ciupgrade"))
    if "network" in custom:
        network = snippet_text(q, custom["network"])
    else:
        network = "\n".join("%s=%s" % (k, keys[k]) for k in sorted(keys)
                            if k.startswith(("ipconfig", "net")) or k in ("nameserver", "searchdomain"))
    return hashlib.sha1((user + network).encode()).hexdigest()


def cloud_config(q, vmid, text):
    """A `#cloud-config` document as a dict ({} for anything else)."""
    if text is None or not text.startswith("#cloud-config"):
        return {}
    if yaml is None:
        q.die("qm-double: python3-yaml is needed to read VM %d's cloud-config" % vmid)
    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as e:
        q.die("qm-double: VM %d's cloud-config is not YAML: %s" % (vmid, e))
    return cfg if isinstance(cfg, dict) else {}


def starts_agent(runcmd):
    for cmd in runcmd or []:
        words = cmd if isinstance(cmd, list) else str(cmd).split()
        words = [str(w) for w in words]
        if AGENT in words and "systemctl" in words[0:1] and (
                "start" in words or "restart" in words or "--now" in words):
            return True
    return False


def install(root, package):
    status = os.path.join(root, "var/lib/dpkg/status")
    os.makedirs(os.path.dirname(status), exist_ok=True)
    text = open(status).read() if os.path.exists(status) else ""
    if text and not text.endswith("\n\n"):
        text = text.rstrip("\n") + "\n\n"
    text += "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:8.2\n\n" % package
    with open(status, "w") as f:
        f.write(text)


def default_user(root, name):
    """The user cloud-init creates: its own group, its home, a shell."""
    if not re.match(r"^[a-z_][a-z0-9_-]*$", name):
        return
    passwd = os.path.join(root, "etc/passwd")
    group = os.path.join(root, "etc/group")
    have = open(passwd).read() if os.path.exists(passwd) else ""
    if any(l.split(":", 1)[0] == name for l in have.splitlines()):
        return
    ids = [int(l.split(":")[2]) for l in have.splitlines() if l.count(":") >= 3 and l.split(":")[2].isdigit()]
    uid = max([i for i in ids if 1000 <= i < 60000] + [999]) + 1
    with open(passwd, "a") as f:
        f.write("%s:x:%d:%d::/home/%s:/bin/bash\n" % (name, uid, uid, name))
    with open(group, "a") as f:
        f.write("%s:x:%d:\n" % (name, uid))
    os.makedirs(os.path.join(root, "home", name), exist_ok=True)


def boot(q, vmid):
    """The guest's boot, after qm built its cloud-init drive."""
    main = q.load(vmid)[0]
    root = q.guest.make_root(q, vmid)
    down = os.path.join(q.guest.vm_dir(q, vmid), AGENT_DOWN)
    if os.path.exists(down):
        # udev starts an installed agent at every boot.
        os.remove(down)
    machine_id = os.path.join(root, "etc/machine-id")
    if not os.path.exists(machine_id) or os.path.getsize(machine_id) == 0:
        os.makedirs(os.path.dirname(machine_id), exist_ok=True)
        with open(machine_id, "w") as f:
            f.write(os.urandom(16).hex() + "\n")
    # No cloud-init drive, no datasource: cloud-init does nothing.
    if not any(re.match(q.DISK_RE, k) and "-cloudinit" in v.split(",")[0]
               for k, v in main.keys.items()):
        return
    custom = parts(main)
    iid = instance_id(q, main, custom)
    iid_file = os.path.join(root, "var/lib/cloud/data/instance-id")
    if os.path.exists(iid_file) and open(iid_file).read().strip() == iid:
        return
    user = cloud_config(q, vmid, snippet_text(q, custom["user"]) if "user" in custom else None)
    vendor = {}
    vd = user.get("vendor_data", {})
    if "vendor" in custom and not (isinstance(vd, dict) and vd.get("enabled") in (False, "false")):
        vendor = cloud_config(q, vmid, snippet_text(q, custom["vendor"]))
    merged = dict(vendor)
    merged.update(user)
    name = merged.get("user") if "user" in custom else main.keys.get("ciuser")
    if isinstance(name, dict):
        name = name.get("name")
    if name:
        default_user(root, str(name))
    packages = [p[0] if isinstance(p, list) else str(p) for p in merged.get("packages") or []]
    others = [p for p in packages if p != AGENT]
    if others:
        log = os.path.join(root, "var/log/cloud-init-double.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "a") as f:
            f.write("instance %s: packages not modelled: %s\n" % (iid, " ".join(others)))
    if AGENT in packages and not q.guest_root.dpkg_installed(root, AGENT):
        install(root, AGENT)
        if not starts_agent(merged.get("runcmd")):
            open(down, "w").close()
    os.makedirs(os.path.dirname(iid_file), exist_ok=True)
    with open(iid_file, "w") as f:
        f.write(iid + "\n")
