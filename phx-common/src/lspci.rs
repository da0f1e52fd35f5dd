//! The node's PCI devices as `lspci -mm -n` prints them (pciutils ls.c
//! `show_machine`, the non-verbose branch): one line per device,
//!
//! ```text
//! 01:00.0 "0300" "10de" "2204" -ra1 "1458" "403b"
//! ```
//!
//! the slot, then quoted class, vendor and device IDs in hex (`-n`: numbers,
//! not names), then `-rXX` (revision) and `-pXX` (programming interface)
//! when not zero, then the quoted subsystem vendor and device (`""` when
//! none). Machine-readable on purpose: the names lspci prints without `-n`
//! change with the pci.ids database, the numbers do not.

/// NVIDIA's PCI vendor ID (pci.ids: `10de  NVIDIA Corporation`).
pub const NVIDIA: &str = "10de";
/// Display controller classes the driver binds (pci.ids class 03):
/// `0300` VGA compatible (GeForce, RTX workstation cards), `0302` 3D
/// controller (data-centre GPUs: A100, H100, L40S, which have no VGA).
/// NVIDIA's audio (`0403`) and USB-C (`0c03`) functions on the same card
/// are not GPUs.
pub const GPU_CLASSES: [&str; 2] = ["0300", "0302"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub slot: String,
    pub class: String,
    pub vendor: String,
    pub device: String,
}

impl Device {
    pub fn is_nvidia_gpu(&self) -> bool {
        self.vendor.eq_ignore_ascii_case(NVIDIA)
            && GPU_CLASSES
                .iter()
                .any(|c| self.class.eq_ignore_ascii_case(c))
    }
}

/// The quoted fields of one line, in order (lspci escapes no quote inside
/// them: IDs in hex never hold one).
fn quoted(rest: &str) -> Vec<&str> {
    rest.split('"').skip(1).step_by(2).collect()
}

/// Every device line of `lspci -mm -n`; lines that are not one are skipped
/// (lspci prints nothing else on stdout in this mode).
pub fn parse(out: &str) -> Vec<Device> {
    out.lines()
        .filter_map(|l| {
            let (slot, rest) = l.split_once(' ')?;
            let q = quoted(rest);
            let [class, vendor, device, ..] = q.as_slice() else {
                return None;
            };
            Some(Device {
                slot: slot.to_string(),
                class: class.to_string(),
                vendor: vendor.to_string(),
                device: device.to_string(),
            })
        })
        .collect()
}

/// The NVIDIA GPUs among `devices`.
pub fn nvidia_gpus(devices: &[Device]) -> Vec<&Device> {
    devices.iter().filter(|d| d.is_nvidia_gpu()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A node with an Intel iGPU, an RTX 3090 (VGA + its HDMI audio) and an
    // H100 (3D controller), as `lspci -mm -n` prints them.
    const OUT: &str = "00:02.0 \"0300\" \"8086\" \"3e92\" \"1028\" \"0869\"\n\
01:00.0 \"0300\" \"10de\" \"2204\" -ra1 \"1458\" \"403b\"\n\
01:00.1 \"0403\" \"10de\" \"1aef\" -ra1 \"1458\" \"403b\"\n\
02:00.0 \"0302\" \"10de\" \"2330\" -ra1 \"10de\" \"16c1\"\n\
03:00.0 \"0c03\" \"10de\" \"1ad7\" -ra1 -p30 \"\" \"\"\n";

    #[test]
    fn only_display_and_3d_controllers_of_nvidia_are_gpus() {
        let d = parse(OUT);
        assert_eq!(d.len(), 5);
        assert_eq!(d[1].slot, "01:00.0");
        let gpus: Vec<&str> = nvidia_gpus(&d).iter().map(|d| d.slot.as_str()).collect();
        assert_eq!(gpus, ["01:00.0", "02:00.0"]);
    }

    #[test]
    fn no_nvidia_no_gpu() {
        let d = parse("00:02.0 \"0300\" \"8086\" \"3e92\" \"1028\" \"0869\"\n");
        assert!(nvidia_gpus(&d).is_empty());
        assert!(parse("").is_empty());
    }
}
