"""qm-guest.py: `qm guest exec`, `qm guest cmd <vmid> ping` and its alias
`qm agent <vmid> ping`, for qm-double (loaded by it, not run by itself).

Each VM has a root, $PHX_ROOT/var/lib/qm-double/vm/<vmid>/rootfs, made at
`qm create` (from $PHX_ROOT/var/lib/qm-double/template-root when that
exists: what the VM's image would bring) and copied by `qm clone`; commands
run there as guest-root.py runs them for pct-double.

Refusals follow qemu-server (proxmox/qemu-server, e6352be):
src/PVE/QemuServer/Agent.pm:109-113 assert_agent_available, in its order:
"No QEMU guest agent configured" when the config has no `agent` key at all,
"VM <vmid> is not running", then "QEMU guest agent is not running" when the
agent does not answer guest-ping. Here it answers when the config enables it
(`agent: 1`, `agent: enabled=1,…`, `agent: 1,…`; a disabled one gives the VM
no agent device, Agent.pm:64-73) and the VM's root has the
qemu-guest-agent package installed (its dpkg status says so: the agent
runs in the guest, so an image without it has none), unless cloud-init
installed it at this boot without starting it (qm-cloudinit.py).

`guest exec` (src/PVE/CLI/qm.pm:962-1056): `--timeout` only with
`--synchronous` (default 1), stdin read with `--pass-stdin` and refused over
1 MiB (:1017-1023), "command or input-data (or both) required" (Agent.pm:137),
a program that cannot be started is "Agent error: …" (Agent.pm:94, from
qemu-ga's guest-exec); it waits up to `--timeout` seconds (default 30, 0 =
forever), then prints the result as `$print_agent_result` does (qm.pm:1292:
JSON pretty and canonical): `exited`, `exitcode` (or `signal`), `out-data`
and `err-data` only when not empty (qemu-ga's guest-exec-status), each output
byte one character (qm base64-decodes the agent's data into a byte string
and prints it with utf8 => 1, Agent.pm:153-181). At the timeout it warns
"timeout reached, returning pid" and prints only the pid; the command keeps
running. qm exits 0 whatever the command did; an error exits 255.
"""

import json
import os
import re
import subprocess
import sys


def vm_dir(q, vmid):
    return os.path.join(q.STATE_DIR, "vm", str(vmid))


def rootfs(q, vmid):
    return os.path.join(vm_dir(q, vmid), "rootfs")


def make_root(q, vmid, copy_of=None):
    return q.guest_root.make(rootfs(q, vmid), "vm%d" % vmid,
                             skeleton=os.path.join(q.STATE_DIR, "template-root"),
                             copy_of=rootfs(q, copy_of) if copy_of is not None else None)


def agent_enabled(value):
    """parse_guest_agent (Agent.pm:64): the first, keyless, value is `enabled`."""
    enabled = "0"
    for i, part in enumerate(value.split(",")):
        k, eq, v = part.partition("=")
        if not eq and i == 0:
            enabled = k
        elif k == "enabled":
            enabled = v
    return enabled.lower() in ("1", "yes", "on", "true")


def assert_agent_available(q, vmid):
    main, _, _ = q.load(vmid)
    if "agent" not in main.keys:
        q.die("No QEMU guest agent configured")
    if vmid not in q.running():
        q.die("VM %d is not running" % vmid)
    root = make_root(q, vmid)
    if not agent_enabled(main.keys["agent"]) or not q.guest_root.dpkg_installed(root, "qemu-guest-agent") \
            or os.path.exists(os.path.join(vm_dir(q, vmid), q.cloudinit.AGENT_DOWN)):
        q.die("QEMU guest agent is not running")
    return root


AGENT_COMMANDS = {"ping", "get-time", "info", "fsfreeze-status", "fsfreeze-freeze", "fsfreeze-thaw",
                  "fstrim", "get-fsinfo", "get-host-name", "get-memory-block-info",
                  "get-memory-blocks", "get-osinfo", "get-timezone", "get-users", "get-vcpus",
                  "network-get-interfaces", "shutdown", "suspend-disk", "suspend-hybrid",
                  "suspend-ram"}


def cmd_agent(q, args):
    """`qm guest cmd <vmid> <command>` (API2/Qemu/Agent.pm:226-243): only
    ping is answered here; its result is {}, which qm prints as nothing."""
    q.need(args, 2, "guest cmd <vmid> <command>")
    vmid = q.vmid_arg(args[0])
    command = args[1]
    if command not in AGENT_COMMANDS:
        q.param_error("command", "value '%s' does not have a value in the enumeration '%s'"
                      % (command, ", ".join(sorted(AGENT_COMMANDS))))
    assert_agent_available(q, vmid)
    if command != "ping":
        q.die("qm-double: guest cmd %s is not implemented" % command)


def parse_bool(q, key, v):
    return q.norm_bool(key, "1" if v == "" else v) == "1"


def parse_exec_args(q, args):
    """Getopt::Long as pve-common's get_options uses it: options anywhere
    before `--`, which ends them; the first plain argument is the vmid, the
    rest (and all after `--`) the command."""
    opts, plain, i = {}, [], 0
    rest = []
    while i < len(args):
        a = args[i]
        if a == "--":
            rest = args[i + 1:]
            break
        m = re.match(r"^--?([a-z-]+)(?:=(.*))?$", a)
        if m:
            k = m.group(1)
            if k not in ("timeout", "pass-stdin", "synchronous"):
                sys.stderr.write("Unknown option: %s\n" % k)
                q.die("400 unable to parse option")
            if k in opts:
                q.param_error(k, "duplicate parameter")
            if m.group(2) is not None:
                v = m.group(2)
            elif i + 1 < len(args) and not args[i + 1].startswith("-"):
                v = args[i + 1]
                i += 1
            elif k == "timeout":
                q.die("Option timeout requires an argument\n400 unable to parse option")
            else:
                v = ""
            opts[k] = v
        else:
            plain.append(a)
        i += 1
    if not plain:
        q.die("400 not enough arguments\nqm guest exec <vmid> [<extra-args>] [OPTIONS]")
    return opts, plain[0], plain[1:] + rest


def exec_json(result):
    """$print_agent_result: to_json(pretty, canonical, utf8) — three-space
    indent, ` : ` between key and value."""
    return json.dumps(result, indent=3, sort_keys=True, separators=(",", " : "),
                      ensure_ascii=False) + "\n"


def cmd_exec(q, args):
    opts, vmid_s, argv = parse_exec_args(q, args)
    vmid = q.vmid_arg(vmid_s)
    sync = parse_bool(q, "synchronous", opts["synchronous"]) if "synchronous" in opts else True
    if "timeout" in opts:
        if not re.match(r"^\d+$", opts["timeout"]):
            q.param_error("timeout", "type check ('integer') failed - got '%s'" % opts["timeout"])
        if not sync:
            q.param_error("synchronous", "needs to be set for 'timeout'")
    pass_stdin = "pass-stdin" in opts and parse_bool(q, "pass-stdin", opts["pass-stdin"])
    data = None
    if pass_stdin:
        data = sys.stdin.buffer.read()
        if len(data) > 1024 * 1024:
            q.die("'input-data' (STDIN) is limited to 1 MiB, aborting")
    q.load(vmid)
    if not argv and data is None:
        q.die("command or input-data (or both) required")
    root = assert_agent_available(q, vmid)
    if not argv:
        # Input without a command: qemu-ga has nothing to run it with.
        q.die("Agent error: Invalid parameter 'path'")
    host = q.guest_root.exec_argv(root, os.path.join(vm_dir(q, vmid), ".usr-local"), argv, "qm-guest-exec")
    proc = subprocess.Popen(host, stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    timeout = int(opts.get("timeout", "30"))
    try:
        out, err = proc.communicate(input=data, timeout=(timeout or None) if sync else 0.01)
    except subprocess.TimeoutExpired:
        if sync:
            sys.stderr.write("timeout reached, returning pid\n")
        sys.stdout.write(exec_json({"pid": proc.pid}))
        return
    if proc.returncode in (126, 127) and re.match(rb"^(\S*/)?env: ", err):
        # env in the chroot could not start it: qemu-ga's spawn fails the same way.
        why = "No such file or directory" if proc.returncode == 127 else "Permission denied"
        q.die("Agent error: Failed to execute child process \u201c%s\u201d (%s)" % (argv[0], why))
    res = {"exited": 1}
    if proc.returncode < 0:
        res["signal"] = -proc.returncode
    else:
        res["exitcode"] = proc.returncode
    if out:
        res["out-data"] = out.decode("latin-1")
    if err:
        res["err-data"] = err.decode("latin-1")
    sys.stdout.buffer.write(exec_json(res).encode("utf-8"))


def cmd_guest(q, args):
    if not args or args[0] not in ("exec", "cmd"):
        q.die("400 unknown command 'qm guest %s'" % " ".join(args[:1]))
    if args[0] == "exec":
        cmd_exec(q, args[1:])
    else:
        cmd_agent(q, args[1:])
