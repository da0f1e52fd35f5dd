//! The CA's passwords are made inside the CA guest and never leave it: not
//! in the plan, the report (text or JSON), `--diff`, nor any process's
//! arguments (the pct double logs every call's argv).

use crate::common;
use common::*;
use phx_apply::report;

#[test]
fn the_ca_passwords_appear_nowhere() {
    let cfg = copy_config(&example_dir());
    let root = estate(cfg.path());
    let r = root.path();
    let steps = plan(cfg.path());
    let mut plan_text = Vec::new();
    let mut p = phx_plan::Plan::new("phx-ca");
    p.steps = steps.clone();
    p.write_jsonl(&mut plan_text).unwrap();
    let first = run_with(&steps, r, false, true);
    assert!(first.failed().is_none(), "{:?}", first.failed());
    let check = run_with(&steps, r, true, true);
    let mut seen = String::from_utf8(plan_text).unwrap();
    for rep in [&first, &check] {
        seen.push_str(&serde_json::to_string(rep).unwrap());
        seen.push_str(&report::text(rep, false));
        for d in rep.outcomes.iter().filter_map(|o| o.diff.as_deref()) {
            seen.push_str(d);
        }
    }
    assert!(
        first.outcomes.iter().any(|o| o.diff.is_some()),
        "diffs were asked for and made"
    );
    seen.push_str(&pct_log(r));
    seen.push_str(&double_logs(r));
    let secrets = rootfs(r, 103).join("etc/step-ca/secrets");
    for f in ["password.txt", "provisioner-password.txt"] {
        let pw = read(secrets.join(f));
        assert_eq!(pw.len(), 64, "a real password was made");
        assert!(!seen.contains(pw.trim()), "{f}'s content leaked");
        // Not a fragment either (a truncated print would still leak).
        assert!(!seen.contains(&pw[..16]), "{f}'s content leaked in part");
    }
}
