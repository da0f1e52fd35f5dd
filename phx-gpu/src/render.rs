//! The two files phx-gpu writes on the host.

/// The nouveau blacklist, as the original wrote it: the open driver must not
/// claim the GPU before NVIDIA's, and `modeset=0` keeps it from taking the
/// console even when something loads it anyway.
pub fn blacklist() -> String {
    "# Written by phx-gpu: the NVIDIA driver owns this node's GPUs.\n\
     blacklist nouveau\n\
     options nouveau modeset=0\n"
        .to_string()
}

/// `nvidia-gpu-init.service`: at boot, before Proxmox starts its guests
/// (`pve-guests.service`), load the driver and make every device node a
/// container's `dev`/`lxc.mount.entry` lines bind, so a GPU container never
/// starts against a missing /dev/nvidia*:
///
/// - `nvidia-modprobe -u -c=0` loads nvidia-uvm and makes /dev/nvidia-uvm
///   and /dev/nvidia-uvm-tools (CUDA needs them; nothing else makes them
///   without a CUDA program running on the host). With `-u`, `-c=0` names
///   the UVM device's minor, not /dev/nvidia0 (NVIDIA/nvidia-modprobe
///   nvidia-modprobe.c: the `uvm_modprobe` branch mknods only UVM nodes);
/// - `nvidia-smi -pm 1` turns persistence mode on: the driver stays
///   initialised with no client, so a container's first CUDA call does not
///   pay the GPU's initialisation, and `nvidia-smi` itself makes
///   /dev/nvidiactl and every /dev/nvidiaN (the original ran plain
///   `nvidia-smi` for that).
///
/// Both come with the runfile (`/usr/bin`); the unit fails (visibly, in the
/// journal) on a node where the driver is not installed yet, and does not
/// hold up the guests: `Before=` orders, it does not require.
pub fn unit() -> String {
    "# Written by phx-gpu.\n\
     [Unit]\n\
     Description=NVIDIA GPU initialisation (persistence mode, device nodes) before the guests start\n\
     Before=pve-guests.service\n\
     After=systemd-modules-load.service\n\
     \n\
     [Service]\n\
     Type=oneshot\n\
     RemainAfterExit=yes\n\
     ExecStart=/usr/bin/nvidia-modprobe -u -c=0\n\
     ExecStart=/usr/bin/nvidia-smi -pm 1\n\
     \n\
     [Install]\n\
     WantedBy=multi-user.target\n"
        .to_string()
}
