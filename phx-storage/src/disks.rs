//! What is on a disk, from `wipefs -n -J` (every signature libblkid finds:
//! partition tables, filesystems, RAID and ZFS labels) and `lsblk -J`
//! (partitions and where they are mounted), in words for the refusal.

use serde_json::Value;

/// One disk of a pool to be created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disk {
    /// `gpt at 0x200`, `ext4 at 0x438`…; empty on a blank disk.
    pub signatures: Vec<String>,
    /// `sdb1 (ext4)`…
    pub partitions: Vec<String>,
    /// Mount points of the disk or its partitions: never wiped.
    pub mounted: Vec<String>,
}

impl Disk {
    pub fn is_blank(&self) -> bool {
        self.signatures.is_empty() && self.partitions.is_empty() && self.mounted.is_empty()
    }

    /// What is on it, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.signatures.is_empty() {
            parts.push(format!("signatures {}", self.signatures.join(", ")));
        }
        if !self.partitions.is_empty() {
            parts.push(format!("partitions {}", self.partitions.join(", ")));
        }
        if !self.mounted.is_empty() {
            parts.push(format!("mounted at {}", self.mounted.join(", ")));
        }
        parts.join("; ")
    }
}

/// `wipefs -n -J DEV`'s signatures; wipefs prints nothing when there are none.
pub fn signatures(json: &str) -> Result<Vec<String>, String> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_str(json).map_err(|e| format!("wipefs -J: {e}"))?;
    let list = v["signatures"]
        .as_array()
        .ok_or("wipefs -J: no \"signatures\" list")?;
    Ok(list
        .iter()
        .map(|s| {
            format!(
                "{} at {}",
                s["type"].as_str().unwrap_or("unknown"),
                s["offset"].as_str().unwrap_or("?")
            )
        })
        .collect())
}

/// `lsblk -J -o NAME,FSTYPE,MOUNTPOINT DEV`: its partitions and mount points.
pub fn layout(json: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("lsblk -J: {e}"))?;
    let devs = v["blockdevices"]
        .as_array()
        .ok_or("lsblk -J: no \"blockdevices\" list")?;
    let (mut parts, mut mounted) = (Vec::new(), Vec::new());
    for d in devs {
        collect(d, 0, &mut parts, &mut mounted);
    }
    Ok((parts, mounted))
}

fn collect(d: &Value, depth: usize, parts: &mut Vec<String>, mounted: &mut Vec<String>) {
    let name = d["name"].as_str().unwrap_or("?");
    if let Some(m) = d["mountpoint"].as_str() {
        mounted.push(format!("{m} ({name})"));
    }
    if depth > 0 {
        parts.push(match d["fstype"].as_str() {
            Some(fs) => format!("{name} ({fs})"),
            None => name.to_string(),
        });
    }
    for c in d["children"].as_array().into_iter().flatten() {
        collect(c, depth + 1, parts, mounted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_used_disk_is_described() {
        let sig = r#"{"signatures":[{"device":"sdb","offset":"0x200","type":"gpt","uuid":"x","label":null}]}"#;
        let lsblk = r#"{"blockdevices":[{"name":"sdb","fstype":null,"mountpoint":null,
            "children":[{"name":"sdb1","fstype":"ext4","mountpoint":"/srv"}]}]}"#;
        let (partitions, mounted) = layout(lsblk).unwrap();
        let d = Disk {
            signatures: signatures(sig).unwrap(),
            partitions,
            mounted,
        };
        assert!(!d.is_blank());
        assert_eq!(
            d.describe(),
            "signatures gpt at 0x200; partitions sdb1 (ext4); mounted at /srv (sdb1)"
        );
    }

    #[test]
    fn a_blank_disk() {
        let (p, m) =
            layout(r#"{"blockdevices":[{"name":"sdc","fstype":null,"mountpoint":null}]}"#).unwrap();
        let d = Disk {
            signatures: signatures("").unwrap(),
            partitions: p,
            mounted: m,
        };
        assert!(d.is_blank());
    }
}
