//! Planning a phase: each planner into its own file under the scratch
//! directory, and `all`'s second plan of LetsGo once setup changed the host.

use super::in_process::{self, Job};
use super::{not_interrupted, Run, Stop};
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
        self.load_once()?;
        let jobs: Vec<Job> = planners
            .iter()
            .enumerate()
            .map(|(n, p)| {
                let mut argv: Vec<OsString> = vec![p.binary.into()];
                argv.extend(self.tool_args.iter().cloned());
                argv.extend(
                    self.args
                        .flags_for(p.own_flags)
                        .into_iter()
                        .map(OsString::from),
                );
                Job {
                    planner: p,
                    plan: dir.join(format!("{}-{}.jsonl", n + 1, p.subsystem)),
                    argv,
                }
            })
            .collect();
        let (inv, loaded) = self.loaded.get().expect("load_once read it");
        let outcomes =
            in_process::plan_each(&self.bins, inv, *loaded, &jobs).map_err(Stop::Failed)?;
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
    use super::has_steps;

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
