//! The schema cannot drift from the loader: every section the loader
//! declares (`section!` in phx-common/src/config/parse/) has an object
//! schema, and its keys are exactly the keys the loader reads there, both
//! ways. A key added to the loader without a schema fails here, and so
//! does a schema key the loader does not read. The shipped copies in
//! schemas/ are what phx-schema prints.

use phx_schema::builder::Seen;
use phx_schema::File;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

/// The section structs declared in the loader's sources, each with the
/// section whose keys it shares (`shared: guest: RawGuestCommon`).
fn declared_sections() -> BTreeMap<String, Option<String>> {
    let dir = repo("phx-common/src/config/parse");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for block in text.split("section! {").skip(1) {
            let name = block
                .lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix("pub struct "))
                .and_then(|rest| rest.split_whitespace().next())
                .expect("a section! block declares a struct");
            let body = block.split("\n}").next().unwrap();
            let shared = body
                .lines()
                .find_map(|l| l.trim().strip_prefix("shared: "))
                .and_then(|s| s.split(':').nth(1))
                .map(|t| t.trim().trim_end_matches(',').to_string());
            out.insert(name.to_string(), shared);
        }
    }
    out
}

fn sorted<S: AsRef<str>>(keys: &[S]) -> BTreeSet<String> {
    keys.iter().map(|k| k.as_ref().to_string()).collect()
}

#[test]
fn every_section_the_loader_declares_has_a_schema() {
    let declared = declared_sections();
    assert!(declared.len() >= 27, "the source scan found {declared:?}");
    let mut covered: BTreeSet<String> = phx_schema::coverage()
        .iter()
        .map(|s| s.section.to_string())
        .collect();
    // A shared section's keys are checked as part of each section sharing it.
    for (name, shared) in &declared {
        if let (true, Some(s)) = (covered.contains(name), shared) {
            covered.insert(s.clone());
        }
    }
    assert!(
        declared.values().any(Option::is_some),
        "no shared section found"
    );
    let missing: Vec<_> = declared.keys().filter(|d| !covered.contains(*d)).collect();
    assert!(missing.is_empty(), "sections without a schema: {missing:?}");
}

#[test]
fn each_sections_keys_are_the_loaders_both_ways() {
    let mut by_section: BTreeMap<&str, (BTreeSet<String>, &Seen)> = BTreeMap::new();
    let coverage = phx_schema::coverage();
    let mut wrong = Vec::new();
    for seen in &coverage {
        let schema = sorted(&seen.schema_keys);
        let loader = sorted(&seen.loader_keys);
        let extra: Vec<_> = schema.difference(&loader).collect();
        if !extra.is_empty() {
            wrong.push(format!(
                "{}: schema keys the loader does not read: {extra:?}",
                seen.section
            ));
        }
        let quiet = sorted(&seen.quiet);
        if let Some(both) = quiet.intersection(&schema).next() {
            wrong.push(format!(
                "{}: {both} is read and quiet at once",
                seen.section
            ));
        }
        let entry = by_section
            .entry(seen.section)
            .or_insert((BTreeSet::new(), seen));
        entry.0.extend(schema);
    }
    // The document's keys are split over the three files; every other
    // section is whole wherever it appears.
    for seen in &coverage {
        let schema = if seen.section == "Document" {
            by_section[seen.section].0.clone()
        } else {
            sorted(&seen.schema_keys)
        };
        let missing: Vec<_> = sorted(&seen.loader_keys)
            .difference(&schema)
            .cloned()
            .collect();
        if !missing.is_empty() {
            wrong.push(format!(
                "{}: keys the loader reads without a schema: {missing:?}",
                seen.section
            ));
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn quiet_keys_are_accepted_and_others_refused() {
    // The schema's object for a section lists the quiet keys as accepted
    // and refuses the rest (additionalProperties false), as --strict does.
    let lxc = phx_schema::schema(File::Lxc);
    let ct = &lxc["definitions"]["lxc"];
    assert_eq!(ct["additionalProperties"], serde_json::json!(false));
    for quiet in ["tests", "vllm_engine_config", "portainer_role"] {
        assert!(ct["properties"].get(quiet).is_some(), "{quiet}");
    }
    assert!(lxc["properties"].get("$schema").is_some());
}

#[test]
fn the_shipped_schemas_are_the_generated_ones() {
    for f in File::ALL {
        let path = repo("schemas").join(f.schema_name());
        let shipped =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            shipped == phx_schema::text(f),
            "{} is stale: regenerate with `cargo run -p phx-schema -- --out schemas`",
            path.display()
        );
    }
}
