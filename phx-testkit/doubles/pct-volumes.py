"""pct-volumes.py: the pct double's volumes (a TEST DOUBLE's helper, loaded
by pct-double): what storage.cfg says of a storage, the names pct gives new
volumes, and `pct move-volume`.

Names follow pve-container src/PVE/LXC.pm:2581 alloc_disk and pve-storage:
a zfspool gets `subvol-<vmid>-disk-N`, a storage with a path (dir, nfs…)
`<vmid>/vm-<vmid>-disk-N.raw`, any other (lvmthin…) `vm-<vmid>-disk-N`; N is
the lowest number not used by that guest on THAT storage
(src/PVE/Storage/Plugin.pm:970 get_next_vm_diskname, over the storage's
list_images), so numbers restart on each storage. The double keeps no
storage state: a volume exists while a conf (any container's, snapshots and
pending included) or an `unusedN` names it, or, on a zfspool, while a
`subvol-*` directory is at the storage's mount point under $PHX_ROOT
(`mountpoint`, else `/<pool>`: src/PVE/Storage/ZFSPoolPlugin.pm:185) — what
a left-over dataset would be.
"""

import os
import re

# As phx-lxc names them (one_volume.rs); btrfs and others name volumes their own way, not modelled.
PATH_TYPES = {"dir", "nfs", "cifs", "cephfs", "glusterfs"}


def storage_cfg(root, props=None):
    """({id: type}, {id: set(content)}) from $PHX_ROOT/etc/pve/storage.cfg;
    `props`, when given, gets {id: {key: value}}."""
    cfg = os.path.join(root, "etc/pve/storage.cfg")
    kinds, content, cur = {}, {}, None
    props = {} if props is None else props
    if not os.path.exists(cfg):
        return kinds, content
    for line in open(cfg).read().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            kind, _, cur = (x.strip() for x in line.partition(":"))
            kinds[cur] = kind
        elif cur is not None:
            k, _, v = line.strip().partition(" ")
            props.setdefault(cur, {})[k] = v.strip()
            if k == "content":
                content[cur] = set(filter(None, re.split(r"[,; ]", v)))
    return kinds, content


def template_file(root, volid):
    """The file a `STORAGE:vztmpl/FILE` template is on the host, under
    `root`, when storage.cfg lists the storage with a path (`local`
    without one is /var/lib/vz, pve-storage src/PVE/Storage/Plugin.pm:
    565-585); None when nothing says where it is."""
    storage, _, rest = volid.partition(":")
    props = {}
    kinds, _ = storage_cfg(root, props)
    if storage not in kinds:
        return None
    path = props.get(storage, {}).get("path")
    if path is None and storage == "local":
        path = "/var/lib/vz"
    if path is None or kinds[storage] not in PATH_TYPES:
        return None
    name = rest.split("/", 1)[1]
    return os.path.join(root, path.strip("/"), "template/cache", name)


def all_volumes(conf_dir):
    """Every volume ID any container conf names (rootfs, mpN, unusedN)."""
    out = []
    for f in os.listdir(conf_dir):
        if not re.match(r"^\d+\.conf$", f):
            continue
        for line in open(os.path.join(conf_dir, f)).read().splitlines():
            m = re.match(r"^(rootfs|mp\d+|unused\d+):\s*([^,\s]+)", line)
            if m:
                out.append(m.group(2))
    return out


def disk_number(volid, storage, vmid):
    m = re.match(r"^%s:(?:\d+/)?(?:vm|subvol)-%d-disk-(\d+)(?:\.\w+)?$" % (re.escape(storage), vmid), volid)
    return int(m.group(1)) if m else None


def new_volume(root, conf_dir, storage, vmid, taken):
    """The volume ID pct gives a new volume of `vmid` on `storage`; `taken`
    holds volume IDs already handed out in this call (appended to)."""
    props = {}
    kinds, _ = storage_cfg(root, props)
    found = []
    if kinds.get(storage) == "zfspool":
        p = props.get(storage, {})
        at = p.get("mountpoint") or ("/" + p["pool"] if "pool" in p else None)
        d = os.path.join(root, at.lstrip("/")) if at else None
        if d and os.path.isdir(d):
            found = ["%s:%s" % (storage, n) for n in os.listdir(d) if n.startswith("subvol-")]
    used = {disk_number(v, storage, vmid) for v in all_volumes(conf_dir) + taken + found}
    n = next(i for i in range(10000) if i not in used)
    kind = kinds.get(storage, "")
    if kind == "zfspool":
        volid = "%s:subvol-%d-disk-%d" % (storage, vmid, n)
    elif kind in PATH_TYPES:
        volid = "%s:%d/vm-%d-disk-%d.raw" % (storage, vmid, vmid, n)
    else:
        volid = "%s:vm-%d-disk-%d" % (storage, vmid, n)
    taken.append(volid)
    return volid


def move_volume(pct, args):
    """`pct move-volume <vmid> <volume> [<storage>] [OPTIONS]` to another
    storage (pve-container src/PVE/API2/LXC.pm:2479 move_volume): the
    volume is copied to a new volume on the storage and the conf points at
    it; the old one is freed with --delete 1, else kept as unusedN."""
    pct.need(args, 2, "pct move-volume <vmid> <volume> [<storage>] [<target-vmid>] [<target-volume>] [OPTIONS]")
    vmid = pct.vmid_arg(args[0])
    key = args[1]
    rest = args[2:]
    storage = None
    if rest and not rest[0].startswith("-"):
        storage, rest = rest[0], rest[1:]
    opts = dict(pct.parse_opts(rest))
    for k in opts:
        if k not in ("storage", "delete", "digest", "bwlimit", "target-vmid", "target-volume", "target-digest"):
            pct.die("400 Parameter verification failed.\n%s: property is not defined in schema and the schema does not allow additional properties" % k)
    storage = storage or opts.get("storage")
    if "target-vmid" in opts:
        pct.die("pct-double: move-volume to another container is not modelled")
    if not storage:
        # LXC.pm:2911
        pct.die("400 Parameter verification failed.\ntarget-vmid: both 'storage' and 'target-vmid' missing, either needs to be set")
    if not (key == "rootfs" or re.match(r"^(mp|unused)\d+$", key)):
        pct.die("400 Parameter verification failed.\nvolume: value '%s' does not have a value in the enumeration" % key)
    delete = pct.norm_bool("delete", opts.get("delete", "0")) == "1"
    main, pending, snaps = pct.load(vmid)
    # LXC.pm:2594-2621 move_to_storage_checks
    if main.keys.get("lock"):
        pct.die("CT is locked (%s)" % main.keys["lock"])
    if vmid in pct.running():
        pct.die("cannot move volumes of a running container")
    if key.startswith("unused"):
        pct.die("cannot move volume '%s', only configured volumes can be moved to another storage" % key)
    if key not in main.keys:
        # src/PVE/LXC/Config.pm:1453: an absent key parses as '', which
        # lacks the required volume.
        pct.die("format error\nvolume: property is missing")
    p = pct.parse_props(key, main.keys[key], head="volume")
    old = p["volume"]
    if delete and any(key in s.keys and s.keys[key].split(",")[0] == old for s in snaps.values()):
        pct.die("you can't move a volume with snapshots and delete the source")
    # src/PVE/LXC.pm:3372 copy_volume
    if old.startswith("/"):
        pct.die("cannot copy volumes of type bind")
    # alloc_disk (src/PVE/LXC.pm:2611) on a storage without rootdir
    kinds, content = storage_cfg(pct.ROOT)
    if storage in kinds and storage in content and "rootdir" not in content[storage]:
        pct.die("content type 'rootdir' is not available or configured on storage '%s'" % storage)
    p["volume"] = new_volume(pct.ROOT, pct.CONF_DIR, storage, vmid, [])
    order = ["volume"] + (["mp"] if "mp" in p else []) + sorted(x for x in p if x not in ("volume", "mp"))
    main.keys[key] = ",".join(p[x] if x == "volume" else "%s=%s" % (x, p[x]) for x in order)
    if not delete:
        n = next(i for i in range(256) if "unused%d" % i not in main.keys)
        main.keys["unused%d" % n] = old
    pct.save(vmid, main, pending, snaps)
