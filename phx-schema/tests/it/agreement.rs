//! The schema and the loader agree, checked with an independent validator
//! (python3-jsonschema): what Phoenix accepts validates, and every bad-input
//! case of the loader's and the tools' tests fails the schema at its path,
//! unless it is a rule between values that a schema cannot express (listed,
//! with the reason, in bad_inputs.json).

use crate::common;

use common::*;
use phx_schema::File;
use serde_json::{json, Value};

#[test]
fn the_upstream_fixture_and_the_example_validate() {
    let mut docs = Vec::new();
    for dir in ["tests/fixtures/phoenix-upstream", "examples/etc"] {
        let parsed = documents(dir);
        // The loader takes them too (strict: no key it does not know).
        load(&parsed, true).unwrap_or_else(|p| panic!("{dir}: {p}"));
        docs.extend(File::ALL.into_iter().zip(parsed));
    }
    let Some(result) = validate(&docs) else {
        return;
    };
    for ((file, _), errors) in docs.iter().zip(result) {
        assert!(errors.is_empty(), "{file:?}: {errors:#?}");
    }
}

/// A corpus case applied to the example: the edited documents, and the
/// paths of the edits in the file they name.
struct Case {
    from: String,
    file: File,
    docs: [Value; 3],
    paths: Vec<String>,
    strict: bool,
    refused_by: Option<String>,
    cross_field: Option<String>,
}

fn file_named(v: &Value) -> File {
    File::parse(v.as_str().unwrap()).unwrap()
}

fn apply(docs: &mut [Value; 3], edit: &Value) -> (File, Vec<String>) {
    let file = file_named(&edit["file"]);
    let doc = &mut docs[index(file)];
    let mut paths = Vec::new();
    for (pointer, value) in edit["set"].as_object().into_iter().flatten() {
        set(doc, pointer, value.clone());
        paths.push(pointer_path(doc, pointer));
    }
    for pointer in edit["remove"].as_array().into_iter().flatten() {
        let pointer = pointer.as_str().unwrap();
        paths.push(pointer_path(doc, pointer));
        remove(doc, pointer);
    }
    (file, paths)
}

fn corpus() -> (Vec<Case>, Value) {
    let text = std::fs::read_to_string(repo("phx-schema/tests/bad_inputs.json")).unwrap();
    let corpus: Value = serde_json::from_str(&text).unwrap();
    let cases = corpus["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut docs = example();
            let (file, paths) = apply(&mut docs, c);
            if c.get("also").is_some() {
                apply(&mut docs, &c["also"]);
            }
            Case {
                from: c["from"].as_str().unwrap().to_string(),
                file,
                docs,
                paths,
                strict: c["strict"].as_bool().unwrap_or(false),
                refused_by: c["refused_by"].as_str().map(str::to_string),
                cross_field: c["cross_field"]
                    .as_str()
                    .or(c["not_expressed"].as_str())
                    .map(str::to_string),
            }
        })
        .collect();
    (cases, corpus)
}

/// Control characters in a rule comment, an alias name and a raw LXC line
/// (input_trust.rs control_characters_are_refused_in_strings_that_reach_files).
fn control_character_cases() -> Vec<Case> {
    let unsafe_chars = [
        '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}', '\u{1B}', '\u{7F}', '\u{FEFF}',
    ];
    let chars = unsafe_chars.into_iter().chain((0u8..0x20).map(char::from));
    let from = "input_trust.rs control_characters_are_refused_in_strings_that_reach_files";
    let mut cases = Vec::new();
    for c in chars {
        let edits = [
            json!({"file": "hypervisor", "set": {"/firewall/global_firewall_rules/0/comment": format!("ssh{c}x")}}),
            json!({"file": "hypervisor", "set": {format!("/firewall/aliases/lan{c}x"): "10.0.0.0/24"}}),
            json!({"file": "lxc", "set": {"/lxc_configs/111/lxc_options": [format!("lxc.environment=A{c}B")]}}),
        ];
        for edit in edits {
            let mut docs = example();
            let (file, paths) = apply(&mut docs, &edit);
            cases.push(Case {
                from: format!("{from} ({c:?})"),
                file,
                docs,
                paths,
                strict: false,
                refused_by: None,
                cross_field: None,
            });
        }
    }
    cases
}

#[test]
fn every_bad_input_fails_the_schema_or_is_a_rule_it_cannot_express() {
    let (mut cases, corpus) = corpus();
    assert!(cases.len() >= 110, "the corpus lost cases: {}", cases.len());
    assert!(!corpus["not_documents"].as_array().unwrap().is_empty());
    cases.extend(control_character_cases());
    let mut wrong = Vec::new();
    // The corpus is right about the loader: it refuses what the loader's
    // tests say it refuses, and accepts what only a tool refuses (that
    // tool's own test, named in `from`, proves the refusal).
    for c in &cases {
        let loaded = load(&c.docs, c.strict);
        match (c.refused_by.as_deref(), loaded) {
            (None, Ok(_)) => wrong.push(format!("{}: the loader accepts it", c.from)),
            (Some(tool), Err(p)) => wrong.push(format!(
                "{}: the loader refuses it, not only {tool}: {p}",
                c.from
            )),
            // phx-fw's refusal is checked here too; the other tools' by their own tests.
            (Some("phx-fw"), Ok(_)) if refusals(&c.docs, c.strict).is_empty() => {
                wrong.push(format!("{}: phx-fw accepts it", c.from))
            }
            _ => {}
        }
    }
    let docs: Vec<(File, Value)> = cases
        .iter()
        .flat_map(|c| File::ALL.into_iter().zip(c.docs.iter().cloned()))
        .collect();
    if let Some(result) = validate(&docs) {
        for (c, per_file) in cases.iter().zip(result.chunks(3)) {
            let errors = &per_file[index(c.file)];
            let others: Vec<_> = per_file
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index(c.file))
                .flat_map(|(_, e)| e)
                .collect();
            let at_edit = errors
                .iter()
                .any(|e| c.paths.iter().any(|p| related(&e.path, p)));
            match &c.cross_field {
                None if !at_edit => wrong.push(format!(
                    "{}: the schema does not refuse {:?} at {:?}; violations: {errors:?} {others:?}",
                    c.from, c.file, c.paths
                )),
                Some(why) if !errors.is_empty() || !others.is_empty() => wrong.push(format!(
                    "{}: listed as a rule the schema cannot express ({why}), but the schema refuses it: {errors:?} {others:?} — move it to the schema's cases",
                    c.from
                )),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// What the loader's tests accept, beyond the two configurations.
#[test]
fn accepted_variants_validate() {
    let variants = [
        // validation.rs firewall_may_live_at_top_level_or_under_shared_volumes
        json!({"file": "hypervisor", "move": ["/firewall", "/shared_volumes/firewall"]}),
        // validation.rs a_wildcard_and_an_exact_record_of_one_name_may_differ
        json!({"file": "vm", "set": {"/vms/2/dns_records": [
            {"hostname": "*.apps.internal.thinkheads.ai", "ip": "10.0.0.12"},
            {"hostname": "apps.internal.thinkheads.ai", "ip": "10.0.0.102"}]}}),
        // validation.rs pct_features_in_every_spelling_pct_accepts_load
        json!({"file": "lxc", "set": {"/lxc_configs/102/pct_options": ["nesting=1,keyctl=yes", "fuse=off", "mount=nfs;cifs"]}}),
        json!({"file": "hypervisor", "set": {"/proxmox_defaults/lxc/features": "nesting=true", "/zfs/datasets/0/name": "persistent/data"}}),
        // input_trust.rs an_empty_estate_is_said_explicitly
        json!({"file": "lxc", "set": {"": {"lxc_configs": {}}}, "also": {"file": "vm", "set": {"": {"vms": []}}}}),
        // input_trust.rs an_apparmor_profile_that_contradicts_a_raw_line_is_an_error (the same profile twice)
        json!({"file": "lxc", "set": {"/lxc_configs/111/apparmor_profile": "unconfined", "/lxc_configs/111/lxc_options": ["lxc.apparmor.profile: unconfined"]}}),
        // raw::read: null reads as absent.
        json!({"file": "lxc", "set": {"/lxc_configs/110/memory_mb": null, "/lxc_configs/110/dns_records": null}}),
        // Reader::int and Reader::bool leniencies the original's files use.
        json!({"file": "lxc", "set": {"/lxc_configs/110/memory_mb": " 2048 ", "/lxc_configs/110/unprivileged": 1}}),
    ];
    let mut docs = Vec::new();
    for v in &variants {
        let mut edited = example();
        if let Some(m) = v.get("move") {
            let (from, to) = (m[0].as_str().unwrap(), m[1].as_str().unwrap());
            let doc = &mut edited[index(file_named(&v["file"]))];
            let value = doc.pointer(from).unwrap().clone();
            remove(doc, from);
            set(doc, to.rsplit_once('/').unwrap().0, json!({}));
            set(doc, to, value);
        } else {
            apply(&mut edited, v);
        }
        if let Some(also) = v.get("also") {
            apply(&mut edited, also);
        }
        load(&edited, true).unwrap_or_else(|p| panic!("{v}: the loader refuses it: {p}"));
        docs.extend(File::ALL.into_iter().zip(edited));
    }
    let Some(result) = validate(&docs) else {
        return;
    };
    for (i, errors) in result.iter().enumerate() {
        assert!(errors.is_empty(), "{}: {errors:#?}", variants[i / 3]);
    }
}
