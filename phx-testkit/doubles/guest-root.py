"""guest-root.py: the per-guest root file system the pct and qm test doubles
share (loaded by pct-double and qm-double, not run by itself).

A guest's root is a directory, made when the guest is created (a copy of
its clone source's, or of a skeleton: what its template or image would
bring) and run in by `pct exec` / `qm guest exec`: in a private mount
namespace with no network (`unshare -m -n`), chrooted, with the host's
/usr, /bin, /sbin and /lib* bound read-only and the guest's own /etc, /var,
/root, /tmp and /usr/local (writable). Test doubles of guest programs go in
the guest's /usr/local/bin, which comes first on its PATH.
"""

import os
import shutil
import subprocess

# Host directories shared read-only with every guest; the rest is its own.
SHARED_RO = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]
OWN_DIRS = ["etc", "var/lib/dpkg", "var/log", "var/tmp", "root", "tmp", "run", "dev", "proc",
            "usr/local/bin", "usr/local/sbin", "usr/local/share"]
GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def is_real_root(r):
    """Whether root `r` brings its own /usr (an unpacked real root), rather
    than being a skeleton that borrows the host's at exec time."""
    return os.path.lexists(os.path.join(r, "usr/bin/env"))


def copy_root(src, dst):
    """`cp -a`: a real root holds device nodes in /dev, which a Python
    copytree would try to read; owners and modes are kept as unpacked."""
    os.makedirs(dst, exist_ok=True)
    subprocess.run(["cp", "-a", "--", src + "/.", dst], check=True)


def make(r, hostname, skeleton=None, copy_of=None):
    """The root at `r`, made unless it exists: a copy of `copy_of` (a clone
    source's root) when that exists, else a minimal Debian-like root (own
    /etc with root in passwd/group, /var with an empty dpkg status, /tmp)
    with `skeleton` copied over it. The host's /usr and /lib* come at exec
    time. A skeleton that is a real root (is_real_root) is copied whole,
    only /etc/hostname written, as pct does."""
    if os.path.isdir(r):
        return r
    if copy_of is not None and os.path.isdir(copy_of):
        copy_root(copy_of, r)
        return r
    if skeleton is not None and os.path.isdir(skeleton) and is_real_root(skeleton):
        copy_root(skeleton, r)
        for d in ("dev", "proc"):
            os.makedirs(os.path.join(r, d), exist_ok=True)
        with open(os.path.join(r, "etc/hostname"), "w") as f:
            f.write(hostname + "\n")
        return r
    for d in OWN_DIRS:
        os.makedirs(os.path.join(r, d), exist_ok=True)
    if skeleton is not None and os.path.isdir(skeleton):
        copy_root(skeleton, r)
    os.chmod(os.path.join(r, "tmp"), 0o1777)
    for d in SHARED_RO:
        host = "/" + d
        if os.path.islink(host):
            if not os.path.lexists(os.path.join(r, d)):
                os.symlink(os.readlink(host), os.path.join(r, d))
        elif os.path.isdir(host):
            os.makedirs(os.path.join(r, d), exist_ok=True)
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "etc/group": "root:x:0:\nnogroup:x:65534:\n",
        "etc/hostname": hostname + "\n",
        "var/lib/dpkg/status": "",
    }
    for rel, text in files.items():
        if not os.path.exists(os.path.join(r, rel)):
            with open(os.path.join(r, rel), "w") as f:
                f.write(text)
    return r


# Runs inside `unshare -m` (mounts stay private to that namespace).
EXEC_SH = r"""set -e
R=$1; S=$2; shift 2
mount --bind "$R/usr/local" "$S"
mount --bind -o ro /usr "$R/usr"
mount --bind "$S" "$R/usr/local"
for d in bin sbin lib lib32 lib64 libx32; do
    if [ -d "/$d" ] && [ ! -L "/$d" ] && [ ! -L "$R/$d" ]; then mount --bind -o ro "/$d" "$R/$d"; fi
done
mount --bind /dev "$R/dev"
mount --bind /proc "$R/proc"
exec chroot "$R" /usr/bin/env -i PATH=%s HOME=/root LANG=C.UTF-8 "$@"
""" % GUEST_PATH


# The same for a real root: nothing of the host's but /dev (recursively, for
# /dev/pts, which dpkg's terminal handling looks for) and /proc.
EXEC_REAL_SH = r"""set -e
R=$1; shift
mount --rbind /dev "$R/dev"
mount --bind /proc "$R/proc"
exec chroot "$R" /usr/bin/env -i PATH=%s HOME=/root LANG=C.UTF-8 "$@"
""" % GUEST_PATH


def exec_argv(r, stage, argv, name, network=False):
    """The host argv that runs `argv` in root `r`. `stage` is a directory
    of the guest's own (beside its root) the guest's /usr/local passes
    through while the host's /usr is bound over the root's (a real root
    keeps its own /usr). -n: a fresh network namespace with no interface
    up, so nothing a test runs "inside a guest" can reach any network,
    whatever it calls — unless `network`, which only the real-root test
    asks for (then the host's resolv.conf is copied into the root)."""
    unshare = ["unshare", "-m", "--propagation", "private"]
    if network:
        resolv = os.path.join(r, "etc/resolv.conf")
        if os.path.lexists(resolv):
            os.remove(resolv)
        shutil.copyfile("/etc/resolv.conf", resolv)
    else:
        unshare.append("-n")
    if is_real_root(r):
        return unshare + ["sh", "-c", EXEC_REAL_SH, name, r] + list(argv)
    os.makedirs(stage, exist_ok=True)
    return unshare + ["sh", "-c", EXEC_SH, name, r, stage] + list(argv)


def dpkg_installed(r, package):
    """Whether the root's dpkg status lists `package` as installed."""
    try:
        with open(os.path.join(r, "var/lib/dpkg/status")) as f:
            text = f.read()
    except FileNotFoundError:
        return False
    for para in text.split("\n\n"):
        fields = dict(l.split(": ", 1) for l in para.splitlines() if ": " in l)
        if fields.get("Package") == package and fields.get("Status") in (
                "install ok installed", "hold ok installed"):
            return True
    return False
