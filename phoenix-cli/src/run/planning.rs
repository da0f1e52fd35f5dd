//! Planning a phase: each planner into its own file under the scratch
//! directory, and `all`'s second plan of LetsGo once setup changed the host.

use super::in_process::{self, Job};
use super::{not_interrupted, Run, Stop};
use phx_common::config::Rules;
use phx_common::registry::{Phase, Planner};
use phx_plan::exit::EXIT_OK;
use std::ffi::OsString;
use std::path::PathBuf;

impl Run<'_> {
    /// Runs each planner into its own file under the scratch directory's
    /// `dir`; the first refusal stops everything.
    pub(super) fn plan(&self, dir: &str, planners: &[&Planner]) -> Result<Vec<PathBuf>, Stop> {
        self.plan_into(dir, planners, None, "nothing was applied")
    }

    /// [`Self::plan`] with the planners' stderr shown only on a refusal.
    pub(super) fn plan_quietly(
        &self,
        dir: &str,
        planners: &[&Planner],
    ) -> Result<Vec<PathBuf>, Stop> {
        let mut said = Vec::new();
        self.plan_into(dir, planners, Some(&mut said), "nothing was applied")
    }

    /// [`Self::plan`]; with `said`, each planner's stderr is kept there
    /// instead of shown (a refusal's is shown).
    fn plan_into(
        &self,
        dir: &str,
        planners: &[&Planner],
        mut said: Option<&mut Vec<u8>>,
        outcome: &str,
    ) -> Result<Vec<PathBuf>, Stop> {
        let dir = match &self.args.keep_plans {
            Some(keep) => keep.join(dir),
            None => self.scratch.path().join(dir),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| Stop::Failed(format!("{}: {e}", dir.display())))?;
        self.load_once(planners)?;
        let jobs: Vec<Job> = planners
            .iter()
            .enumerate()
            .map(|(n, p)| Job {
                planner: p,
                plan: dir.join(format!("{}-{}.jsonl", n + 1, p.subsystem)),
                argv: self.argv(p, &[], p.own_flags),
            })
            .collect();
        let loaded = self.loaded.get().expect("load_once read it");
        if in_process::rules_for(planners) == Rules::Keep && loaded.rules != Rules::Keep {
            return Err(Stop::Failed(
                "the configuration was read without its firewall rules, which this run's planners need".into(),
            ));
        }
        let outcomes = in_process::plan_each(&self.bins, &loaded.inv, loaded.took, &jobs)
            .map_err(Stop::Failed)?;
        not_interrupted()?;
        let mut files = Vec::new();
        for (job, o) in jobs.into_iter().zip(outcomes) {
            match said.as_deref_mut() {
                None => eprint!("{}", self.not_yet_said(&o.said)),
                Some(said) => said.extend_from_slice(&o.said),
            }
            if o.code != EXIT_OK {
                eprintln!(
                    "{}phoenix-cli: {} refused to plan (exit {}); {outcome}",
                    said.as_deref()
                        .map(|s| self.not_yet_said(s))
                        .unwrap_or_default(),
                    job.planner.binary,
                    o.code
                );
                return Err(Stop::Exit(o.code));
            }
            files.push(job.plan);
        }
        Ok(files)
    }

    /// The command line `p`'s binary would be given: its subcommand `sub`,
    /// the arguments every planner gets, and those of its `own` flags given.
    pub(super) fn argv(&self, p: &Planner, sub: &[&str], own: &[&str]) -> Vec<OsString> {
        let mut argv: Vec<OsString> = vec![p.binary.into()];
        argv.extend(sub.iter().map(OsString::from));
        argv.extend(self.tool_args.iter().cloned());
        argv.extend(self.args.flags_for(own).into_iter().map(OsString::from));
        argv
    }

    /// `phase` planned again into `plans` after an earlier group ran: kept
    /// as it was (and the planners' second say not shown) when the new
    /// plans are the same.
    pub(super) fn plan_again(
        &self,
        phase: Phase,
        plans: &mut Vec<PathBuf>,
        planners: &[&Planner],
    ) -> Result<(), Stop> {
        let mut said = Vec::new();
        let again = self.plan_into(
            &format!("{}-again", phase.key()),
            planners,
            Some(&mut said),
            "planned again after setup: what setup changed stays, nothing of LetsGo was applied",
        )?;
        let read = |p: &PathBuf| std::fs::read(p).unwrap_or_default();
        if again.iter().map(read).eq(plans.iter().map(read)) {
            return Ok(());
        }
        eprintln!(
            "phoenix-cli: {} planned again, after what setup changed:",
            phase.key()
        );
        eprint!("{}", self.not_yet_said(&said));
        *plans = again;
        Ok(())
    }

    /// A planner's stderr without the warnings an earlier planner of this
    /// run said (`phx-x: warning: TEXT`, the same TEXT from any planner).
    pub(super) fn not_yet_said(&self, stderr: &[u8]) -> String {
        let mut warned = self.warned.borrow_mut();
        let mut out = String::new();
        for line in String::from_utf8_lossy(stderr).split_inclusive('\n') {
            let warning = line
                .split_once(": warning: ")
                .filter(|(who, _)| !who.contains(' '));
            if let Some((_, text)) = warning {
                if !warned.insert(text.trim_end_matches('\n').to_string()) {
                    continue;
                }
            }
            out.push_str(line);
        }
        out
    }
}

/// `--keep-plans DIR`: the plans an earlier run kept there are removed
/// first (`DIR/PHASE/N-SUBSYSTEM.jsonl`, and a directory they leave
/// empty), so DIR holds this run's plans only: `phx-apply DIR/plan/*.jsonl`
/// must not apply an older run's plan beside them. Other files are left.
pub(super) fn clear_kept(dir: &std::path::Path) -> std::io::Result<()> {
    let Ok(phases) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let subsystems: Vec<&str> = phx_common::registry::PLANNERS
        .iter()
        .map(|p| p.subsystem)
        .collect();
    let is_plan = |name: &str| {
        name.strip_suffix(".jsonl")
            .and_then(|n| n.split_once('-'))
            .is_some_and(|(n, sub)| n.parse::<u32>().is_ok() && subsystems.contains(&sub))
    };
    for phase in phases {
        let phase = phase?.path();
        if !phase.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&phase)? {
            let file = file?;
            if is_plan(&file.file_name().to_string_lossy()) {
                std::fs::remove_file(file.path())?;
            }
        }
        // Left when the operator keeps something of theirs there.
        let _ = std::fs::remove_dir(&phase);
    }
    Ok(())
}

/// Whether a plan file holds a step: a line that is not a trailer (the
/// first line says, in any plan with steps). A plan that cannot be read
/// counts: phx-apply says what is wrong with it.
pub(super) fn has_steps(plan: &std::path::Path) -> bool {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(plan) else {
        return true;
    };
    std::io::BufReader::new(f).lines().any(|line| match line {
        Ok(l) => !l.trim().is_empty() && serde_json::from_str::<phx_plan::Trailer>(&l).is_err(),
        Err(_) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::{clear_kept, has_steps};

    #[test]
    fn an_earlier_runs_kept_plans_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let put = |p: &str| {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        };
        for p in [
            "plan/1-net.jsonl",
            "plan/3-dns.jsonl",
            "plan/notes.txt",
            "guests-again/1-vm.jsonl",
            "mine/1-net.txt",
        ] {
            put(p);
        }
        clear_kept(dir.path()).unwrap();
        let left = |p: &str| dir.path().join(p).exists();
        assert!(!left("plan/1-net.jsonl") && !left("plan/3-dns.jsonl"));
        assert!(
            left("plan/notes.txt"),
            "not a plan: kept, and its directory"
        );
        assert!(!left("guests-again"), "emptied, so removed");
        assert!(left("mine/1-net.txt"));
        // Nothing there yet: nothing to do.
        clear_kept(&dir.path().join("absent")).unwrap();
    }

    #[test]
    fn a_plan_of_trailers_only_has_no_step() {
        let dir = tempfile::tempdir().unwrap();
        let plan = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let empty = plan(
            "1-ca.jsonl",
            "{\"v\":1,\"tool\":\"phx-ca\",\"kind\":\"end\",\"steps\":0}\n\n",
        );
        assert!(!has_steps(&empty));
        let one = plan(
            "2-dns.jsonl",
            "{\"v\":1,\"tool\":\"phx-dns\",\"id\":\"dns:install\",\"kind\":\"command\",\"argv\":[\"true\"]}\n\
             {\"v\":1,\"tool\":\"phx-dns\",\"kind\":\"end\",\"steps\":1}\n",
        );
        assert!(has_steps(&one));
        // Unreadable: phx-apply is run, and says why it refuses it.
        assert!(has_steps(&dir.path().join("missing.jsonl")));
    }
}
