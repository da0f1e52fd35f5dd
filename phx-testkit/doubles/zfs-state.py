"""Shared state of the zpool, zfs, wipefs and lsblk TEST DOUBLES (not a
double itself: imported by them). Everything lives under $PHX_ROOT:

  var/lib/zfs-double/state.json    {"pools": {name: {"vdev": kw, "disks": [..]}},
                                     "datasets": {name: {prop: value as set}}}
  var/lib/disks-double/disks.json  {"/dev/...": {"signatures": [{"type", "offset",
                                     "label"}], "partitions": [{"name", "fstype",
                                     "mountpoint"}], "mountpoint": null}}
                                    a device not listed does not exist.

Each double logs its calls to $PHX_ROOT/<prog>.log.
"""

import json
import os
import shlex
import sys

ROOT = os.environ.get("PHX_ROOT")


def die(msg, code=1):
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.exit(code)


def start(prog):
    if not ROOT:
        die("%s-double: PHX_ROOT is not set; this test double never touches a real disk" % prog, 2)
    with open(os.path.join(ROOT, prog + ".log"), "a") as log:
        log.write(shlex.join([prog] + sys.argv[1:]) + "\n")


def _path(*parts):
    return os.path.join(ROOT, *parts)


def _load(rel, empty):
    p = _path(rel)
    if not os.path.exists(p):
        return empty
    with open(p) as f:
        return json.load(f)


def _save(rel, data):
    p = _path(rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p + ".tmp", "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(p + ".tmp", p)


ZFS = "var/lib/zfs-double/state.json"
DISKS = "var/lib/disks-double/disks.json"


def load_zfs():
    return _load(ZFS, {"pools": {}, "datasets": {}})


def save_zfs(s):
    _save(ZFS, s)


def load_disks():
    return _load(DISKS, {})


def save_disks(d):
    _save(DISKS, d)


# Byte-count properties, printed in bytes by `zfs get -p`
# (OpenZFS module/zcommon/zfs_prop.c registers them as numbers).
SIZES = {"quota", "refquota", "reservation", "refreservation", "recordsize",
         "volsize", "volblocksize", "special_small_blocks"}
DEFAULTS = {"recordsize": "131072", "compression": "off", "atime": "on",
            "sync": "standard", "quota": "0", "refquota": "0",
            "reservation": "0", "refreservation": "0", "type": "filesystem"}
INHERITABLE = {"compression", "atime", "sync", "recordsize"}


def size_bytes(v):
    """zfs_nicestrtonum (OpenZFS lib/libzfs/libzfs_util.c:1670, str2shift
    at 1627): a number, then B/K/M/G/T/P/E, optionally followed by B or iB."""
    if v == "none":
        return 0
    i = 0
    while i < len(v) and (v[i].isdigit() or v[i] == "."):
        i += 1
    num, suf = v[:i], v[i:].upper()
    if not num:
        return None
    shift = 0
    if suf:
        ends = "BKMGTPEZ"
        if suf[0] not in ends or suf[1:] not in ("", "B", "IB") or (suf[0] == "B" and suf[1:]):
            return None
        shift = 10 * ends.index(suf[0])
    if "." in num:
        return int(float(num) * (1 << shift))
    return int(num) << shift


def parsable(prop, value):
    if prop in SIZES:
        return str(size_bytes(value))
    return value


def get(state, name, prop):
    """A property's value as `zfs get -p` prints it: set here, inherited, or
    the default."""
    ds = state["datasets"]
    if prop in ds[name]:
        return parsable(prop, ds[name][prop])
    if prop == "mountpoint":
        parent = name.rpartition("/")[0]
        if parent and "mountpoint" in ds.get(parent, {}):
            return get(state, parent, "mountpoint") + "/" + name.rpartition("/")[2]
        return "/" + name
    if prop in INHERITABLE:
        parent = name.rpartition("/")[0]
        while parent:
            if prop in ds.get(parent, {}):
                return parsable(prop, ds[parent][prop])
            parent = parent.rpartition("/")[0]
    return DEFAULTS.get(prop, "-")
