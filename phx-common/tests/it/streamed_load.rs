//! The loader's two memory savers must not change what it finds: LXC entries
//! checked while their document is parsed, with Phoenix's defaults until the
//! hypervisor document's are known (files, in any order), give the same
//! inventory and the same problems, in the same order, as entries collected
//! by a plain parse and checked afterwards (a stdin stream). The same holds
//! for the cluster firewall's rules, checked as they are read; and firewall
//! rules loaded with `Rules::CheckOnly` are checked exactly as when they are kept.
//! Files are digested on two threads: loading them as `--config-dir` does
//! and LXC file first covers both ways they can be split.

use phx_common::config::load::{load_stream, load_with, Options, Rules};
use phx_common::config::{Input, Inventory, Problems};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const HYP: &str = "phoenix_hypervisor_config.json";
const LXC: &str = "phoenix_lxc_configs.json";
const VM: &str = "phoenix_vm_configs.json";

fn example(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/etc")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write(dir: &Path, file: &str, doc: &Value) {
    std::fs::write(dir.join(file), serde_json::to_vec_pretty(doc).unwrap()).unwrap();
}

/// The example with `lxc` as its LXC document, in a fresh directory.
fn with_lxc(lxc: &Value) -> tempfile::TempDir {
    with_docs(&example(HYP), lxc)
}

fn with_docs(hyp: &Value, lxc: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), HYP, hyp);
    write(dir.path(), LXC, lxc);
    write(dir.path(), VM, &example(VM));
    dir
}

/// Loaded as `--config-dir` does, from the same files with the LXC document
/// first (its entries then wait for the hypervisor's defaults), and as a
/// stdin stream (entries collected, then checked).
fn every_way(dir: &Path, opts: Options) -> [Result<Inventory, Problems>; 3] {
    let lxc_first = Input::Files(vec![dir.join(LXC), dir.join(VM), dir.join(HYP)]);
    let mut stream = Vec::new();
    for f in [HYP, LXC, VM] {
        stream.extend(std::fs::read(dir.join(f)).unwrap());
    }
    [
        load_with(&Input::Dir(dir.to_path_buf()), opts),
        load_with(&lxc_first, opts),
        load_stream(&mut stream.as_slice(), opts),
    ]
}

/// Problems name the file: `<stdin document 2>` there, the path here.
fn named_alike(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| {
            l.split_once(": ")
                .map_or(l.clone(), |(_, rest)| rest.to_string())
        })
        .collect()
}

/// The problems, the same whichever way the files were loaded (but for
/// how stdin names its documents).
fn same_problems(ways: [Result<Inventory, Problems>; 3]) -> Vec<String> {
    let [streamed, lxc_first, collected] = ways;
    let (streamed, lxc_first) = (problems(streamed), problems(lxc_first));
    assert_eq!(streamed, lxc_first);
    assert_eq!(
        named_alike(streamed.clone()),
        named_alike(problems(collected))
    );
    streamed
}

fn problems(r: Result<Inventory, Problems>) -> Vec<String> {
    let p = r.expect_err("the inventory has problems");
    let mut lines: Vec<String> = p.list.iter().map(|p| p.to_string()).collect();
    lines.extend(p.more());
    lines
}

#[test]
fn streamed_entries_load_as_collected_ones() {
    let dir = with_lxc(&example(LXC));
    let [streamed, lxc_first, collected] = every_way(dir.path(), Options::default());
    let (streamed, lxc_first) = (streamed.unwrap(), lxc_first.unwrap());
    let collected = collected.unwrap();
    let entries = example(LXC)["lxc_configs"].as_object().unwrap().len();
    assert_eq!(streamed.lxcs.len(), entries);
    // The containers as loaded, their file's name left out (stdin names it otherwise).
    let shown = |inv: &Inventory| format!("{:?}", inv.lxcs).replace(&inv.sources.lxc, "FILE");
    assert!(
        shown(&streamed) == shown(&collected),
        "streamed and collected differ"
    );
    assert!(
        shown(&lxc_first) == shown(&collected),
        "LXC-first and collected differ"
    );
    assert_eq!(streamed.warnings, lxc_first.warnings);
}

#[test]
fn entries_without_memory_or_cores_get_the_hypervisor_defaults_in_any_order() {
    let mut lxc = example(LXC);
    let configs = lxc["lxc_configs"].as_object_mut().unwrap();
    configs["103"].as_object_mut().unwrap().remove("memory_mb");
    configs["102"].as_object_mut().unwrap().remove("cores");
    configs["110"]["memory_mb"] = Value::Null;
    let dir = with_lxc(&lxc);
    let hyp = example(HYP);
    let d = &hyp["proxmox_defaults"]["lxc"];
    let (memory, cores) = (
        d["memory_mb"].as_u64().unwrap(),
        d["cores"].as_u64().unwrap(),
    );
    // Not Phoenix's own defaults (2048 MB, 2 cores), or this would prove nothing.
    assert_ne!(memory, 2048);
    for inv in every_way(dir.path(), Options::default()) {
        let inv = inv.unwrap();
        assert_eq!(inv.lxcs[&103].memory_mb, memory);
        assert_eq!(inv.lxcs[&110].memory_mb, memory);
        assert_eq!(inv.lxcs[&102].cores, cores);
        assert_eq!(inv.lxcs[&102].memory_mb, 512, "a given value stays");
        assert_eq!(inv.lxcs[&111].cores, 2, "a given value stays");
    }
}

#[test]
fn streamed_entries_report_the_same_problems_in_the_same_order() {
    let mut lxc = example(LXC);
    let configs = lxc["lxc_configs"].as_object_mut().unwrap();
    configs["103"]["memory_mb"] = json!("lots");
    configs["103"]["memroy_mb"] = json!(512);
    configs.insert("07".into(), json!({"name": "leading-zero"}));
    configs.insert("line\nbreak".into(), json!({}));
    configs["110"]["network_config"]["ip"] = json!("10.0.0.999/24");
    // Over 100 problems: the cut and the "… and N more" line must match too.
    for id in 5000..5120 {
        configs.insert(id.to_string(), json!({"cores": 0}));
    }
    lxc["surplus"] = json!(true);
    let dir = with_lxc(&lxc);
    let streamed = same_problems(every_way(dir.path(), Options::default()));
    assert!(
        streamed.iter().any(|p| p.contains("memory_mb")),
        "{streamed:#?}"
    );
    assert!(
        streamed.iter().any(|p| p.contains("\"07\"")),
        "{streamed:#?}"
    );
    assert!(
        streamed.last().unwrap().starts_with("… and "),
        "{streamed:#?}"
    );
}

#[test]
fn invalid_json_after_bad_entries_reports_only_itself() {
    let mut lxc = example(LXC);
    lxc["lxc_configs"]["103"]["memory_mb"] = json!("lots");
    let dir = with_lxc(&lxc);
    let text = std::fs::read_to_string(dir.path().join(LXC)).unwrap();
    let broken = format!("{}, ]", text.trim_end().trim_end_matches('}'));
    std::fs::write(dir.path().join(LXC), broken).unwrap();
    let [streamed, lxc_first, _] = every_way(dir.path(), Options::default());
    for r in [streamed, lxc_first] {
        let p = problems(r);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].contains("invalid JSON"), "{p:#?}");
    }
}

#[test]
fn rules_dropped_are_still_checked() {
    let lean = Options {
        rules: Rules::CheckOnly,
        ..Options::default()
    };
    let dir = with_lxc(&example(LXC));
    let kept = load_with(&Input::Dir(dir.path().to_path_buf()), Options::default()).unwrap();
    let dropped = load_with(&Input::Dir(dir.path().to_path_buf()), lean).unwrap();
    let rules = |inv: &Inventory| {
        let host = inv.host.firewall.as_ref().map_or(0, |f| f.rules.len());
        let guests: usize = inv
            .guests()
            .filter_map(|g| g.firewall())
            .map(|f| f.rules.len())
            .sum();
        host + guests
    };
    assert!(rules(&kept) > 0);
    assert_eq!(rules(&dropped), 0);
    assert_eq!(kept.warnings, dropped.warnings);

    let mut lxc = example(LXC);
    let configs = lxc["lxc_configs"].as_object_mut().unwrap();
    let guest = configs
        .values_mut()
        .find(|c| c.get("firewall").is_some())
        .unwrap();
    guest["firewall"]["rules"] = json!([{"type": "sideways", "action": "ACCEPT"}]);
    let dir = with_lxc(&lxc);
    let kept = every_way(dir.path(), Options::default()).map(problems);
    let dropped = every_way(dir.path(), lean).map(problems);
    assert!(kept[0].iter().any(|p| p.contains("sideways")), "{kept:#?}");
    assert_eq!(kept, dropped);
}

#[test]
fn cluster_rules_checked_as_read_load_and_report_as_collected_ones() {
    let dir = with_lxc(&example(LXC));
    let [streamed, lxc_first, collected] = every_way(dir.path(), Options::default());
    let shown = |inv: Inventory| {
        format!("{:?}", inv.host.firewall).replace(&inv.sources.hypervisor, "FILE")
    };
    let (streamed, collected) = (shown(streamed.unwrap()), shown(collected.unwrap()));
    assert!(streamed.contains("global_firewall_rules[0]"), "{streamed}");
    assert!(streamed == collected, "streamed and collected rules differ");
    assert_eq!(shown(lxc_first.unwrap()), collected);

    // Keys are written sorted: `firewall` comes before `network`, and the
    // rules before `ipsets` and `options`, all of which are checked first.
    let mut hyp = example(HYP);
    hyp["network"] = json!("vmbr0");
    let fw = &mut hyp["firewall"];
    fw["default_input_policy"] = json!("MAYBE");
    fw["options"]["Bad Option"] = json!(1);
    fw["ipsets"]["management"] = json!(42);
    let rules = fw["global_firewall_rules"].as_array_mut().unwrap();
    rules[1]["type"] = json!("sideways");
    rules[2]["colour"] = json!("red");
    rules.push(json!("not a rule"));
    // Over 100 problems: the cut and the "… and N more" line must match too.
    for _ in 0..110 {
        rules.push(json!({"type": "in"}));
    }
    // `global_firewall_rules` is the list read: these are never checked.
    fw["rules"] = json!([{"type": "nowhere", "action": "ACCEPT"}]);
    let dir = with_docs(&hyp, &example(LXC));
    let lean = Options {
        rules: Rules::CheckOnly,
        ..Options::default()
    };
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    for opts in [Options::default(), lean, strict] {
        let ways = every_way(dir.path(), opts);
        let warnings = |r: &Result<Inventory, Problems>| r.as_ref().unwrap_err().warnings.clone();
        assert_eq!(
            named_alike(warnings(&ways[0])),
            named_alike(warnings(&ways[2]))
        );
        let colour = |lines: &[String]| lines.iter().any(|l| l.contains("colour"));
        // An unknown key in a rule: a warning, or under --strict a problem.
        assert_eq!(colour(&warnings(&ways[0])), !opts.strict, "{:#?}", ways[0]);
        let streamed = same_problems(ways);
        assert_eq!(colour(&streamed), opts.strict, "{streamed:#?}");
        let at = |needle: &str| streamed.iter().position(|p| p.contains(needle));
        assert!(at("MAYBE") < at("Bad Option"), "{streamed:#?}");
        assert!(at("management") < at("sideways"), "{streamed:#?}");
        assert!(at("\"not a rule\"").is_some(), "{streamed:#?}");
        assert_eq!(at("nowhere"), None, "{streamed:#?}");
        assert!(
            streamed.last().unwrap().starts_with("… and "),
            "{streamed:#?}"
        );
    }
}

#[test]
fn odd_cluster_firewalls_read_as_read_report_as_collected_ones() {
    let bad_rule = json!({"type": "sideways", "action": "ACCEPT"});
    let cases: Vec<(&str, Value)> = vec![
        ("firewall null", Value::Null),
        ("firewall a string", json!("on")),
        ("firewall an array", json!([bad_rule])),
        ("rules null", json!({"global_firewall_rules": null})),
        ("rules a string", json!({"global_firewall_rules": "all"})),
        (
            "rules an object",
            json!({"global_firewall_rules": {"a": bad_rule}}),
        ),
        ("only rules", json!({"rules": [bad_rule, {"type": "in"}]})),
    ];
    for (case, fw) in cases {
        let mut hyp = example(HYP);
        hyp["firewall"] = fw;
        hyp["network"] = json!("vmbr0"); // so every case has a problem
        let dir = with_docs(&hyp, &example(LXC));
        let streamed = same_problems(every_way(dir.path(), Options::default()));
        assert!(!streamed.is_empty(), "{case}");
    }

    // A key given twice: a problem, read any way (serde alone would keep
    // the last list and drop the first without a word).
    let dir = tempfile::tempdir().unwrap();
    let hyp = serde_json::to_string(&example(HYP)).unwrap();
    let twice = hyp.replacen(
        "\"firewall\":{",
        r#""firewall":{"global_firewall_rules":[{"type":"nowhere","action":"ACCEPT"}],"#,
        1,
    );
    assert_ne!(twice, hyp);
    std::fs::write(dir.path().join(HYP), twice).unwrap();
    write(dir.path(), LXC, &example(LXC));
    write(dir.path(), VM, &example(VM));
    let streamed = same_problems(every_way(dir.path(), Options::default()));
    assert!(
        streamed
            .iter()
            .any(|p| p.contains("firewall.global_firewall_rules: (duplicate key, lines 1 and 1)")),
        "{streamed:?}"
    );

    // An LXC document with a `firewall` key: it is not the hypervisor's.
    let mut lxc = example(LXC);
    lxc["firewall"] = json!({"global_firewall_rules": [bad_rule]});
    let dir = with_lxc(&lxc);
    for r in every_way(dir.path(), Options::default()) {
        assert!(
            !format!("{r:?}").contains("sideways"),
            "the LXC document's firewall is not checked as the cluster's"
        );
    }
}

/// `hyp` with its top-level firewall moved to `shared_volumes.firewall`,
/// where the original's files keep it, after any volumes.
fn original_layout(hyp: &Value) -> Value {
    let mut hyp = hyp.clone();
    let fw = hyp.as_object_mut().unwrap().remove("firewall").unwrap();
    let volumes = hyp
        .as_object_mut()
        .unwrap()
        .entry("shared_volumes")
        .or_insert_with(|| json!({}));
    volumes["firewall"] = fw;
    hyp
}

#[test]
fn cluster_rules_under_shared_volumes_load_and_report_as_collected_ones() {
    let dir = with_docs(&original_layout(&example(HYP)), &example(LXC));
    let [streamed, lxc_first, collected] = every_way(dir.path(), Options::default());
    let shown = |inv: Inventory| {
        format!("{:?}", inv.host.firewall).replace(&inv.sources.hypervisor, "FILE")
    };
    let (streamed, collected) = (shown(streamed.unwrap()), shown(collected.unwrap()));
    assert!(
        streamed.contains("shared_volumes.firewall.global_firewall_rules[0]"),
        "{streamed}"
    );
    assert!(streamed == collected, "streamed and collected rules differ");
    assert_eq!(shown(lxc_first.unwrap()), collected);

    let mut hyp = example(HYP);
    hyp["network"] = json!("vmbr0");
    let rules = hyp["firewall"]["global_firewall_rules"]
        .as_array_mut()
        .unwrap();
    rules[1]["type"] = json!("sideways");
    rules[2]["colour"] = json!("red");
    rules.push(json!("not a rule"));
    let mut hyp = original_layout(&hyp);
    hyp["shared_volumes"]["certs"] = json!({"host_path": "relative", "mounts": {}});
    let dir = with_docs(&hyp, &example(LXC));
    for opts in [
        Options::default(),
        Options {
            strict: true,
            ..Options::default()
        },
    ] {
        let streamed = same_problems(every_way(dir.path(), opts));
        let at = |needle: &str| streamed.iter().position(|p| p.contains(needle));
        let rule = |i: usize| format!("shared_volumes.firewall.global_firewall_rules[{i}]");
        assert!(at(&rule(1)).is_some(), "{streamed:#?}");
        assert!(at(&rule(8)).is_some(), "{streamed:#?}");
        assert_eq!(at(&rule(2)).is_some(), opts.strict, "{streamed:#?}");
        // The volumes are checked first, as when the rules were collected.
        assert!(at("shared_volumes.certs") < at(&rule(1)), "{streamed:#?}");
    }
}

/// The original's layout and Phoenix's give one inventory: the upstream
/// fixture as it is (firewall under `shared_volumes`, beside six volumes)
/// and with its firewall moved to the top load alike but for the paths
/// that say where the firewall was, so every planner plans alike.
#[test]
fn both_layouts_of_the_upstream_fixture_load_the_same_inventory() {
    let upstream =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(upstream.join(f)).unwrap()).unwrap()
    };
    let original = read(HYP);
    let mut phoenix = original.clone();
    let fw = phoenix["shared_volumes"]
        .as_object_mut()
        .unwrap()
        .remove("firewall")
        .unwrap();
    phoenix["firewall"] = fw;
    let load = |hyp: &Value, opts: Options| {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), HYP, hyp);
        write(dir.path(), LXC, &read(LXC));
        write(dir.path(), VM, &read(VM));
        let inv = load_with(&Input::Dir(dir.path().to_path_buf()), opts)
            .unwrap_or_else(|p| panic!("{p}"));
        let root = dir.path().display().to_string();
        format!(
            "{:?} {:?} {:?} {:?}",
            inv.host, inv.lxcs, inv.vms, inv.warnings
        )
        .replace(&root, "DIR")
    };
    for opts in [
        Options::default(),
        Options {
            rules: Rules::CheckOnly,
            ..Options::default()
        },
    ] {
        let (o, p) = (load(&original, opts), load(&phoenix, opts));
        assert!(o.contains("shared_volumes.firewall.global_firewall_rules"));
        assert!(
            o.replace("shared_volumes.firewall", "firewall") == p,
            "the two layouts load differently"
        );
    }
}

/// The files are digested largest first, each by whichever thread is free,
/// but the loader takes them in the order given: their problems come in
/// that order (an LXC file's wait for the hypervisor file's defaults), not
/// in the order of their sizes or of which thread finished first.
#[test]
fn problems_follow_the_files_order_whatever_their_sizes() {
    let mut hyp = example(HYP);
    hyp["mount_point_base"] = json!(5);
    let mut lxc = example(LXC);
    let first = lxc["lxc_configs"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    lxc["lxc_configs"][&first]["memory_mb"] = json!("lots");
    let mut vm = example(VM);
    vm["vms"][0]["cores"] = json!("many");
    // The VM file the largest, the hypervisor file the smallest.
    vm["padding_for_size"] = json!("x".repeat(200_000));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), HYP, &hyp);
    write(dir.path(), LXC, &lxc);
    write(dir.path(), VM, &vm);
    let order = |files: [&str; 3]| {
        let input = Input::Files(files.iter().map(|f| dir.path().join(f)).collect());
        let p = load_with(&input, Options::default()).unwrap_err();
        let mut seen: Vec<String> = Vec::new();
        for file in p.list.iter().map(|p| p.file.clone()) {
            let name = Path::new(&file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            if seen.last() != Some(&name) {
                seen.push(name);
            }
        }
        seen
    };
    assert_eq!(order([HYP, LXC, VM]), [HYP, LXC, VM]);
    // The LXC file waits for the hypervisor's defaults, so its problems follow them.
    assert_eq!(order([VM, HYP, LXC]), [VM, HYP, LXC]);
    assert_eq!(order([LXC, VM, HYP]), [VM, HYP, LXC]);
}
