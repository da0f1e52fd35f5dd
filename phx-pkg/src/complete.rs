//! Shell completions: clap_complete's scripts, with what it gets wrong or
//! cannot know put right. Tests judge the scripts by what a real bash, fish
//! and zsh offer with them (tests/it/completions/), never by their text,
//! so each repair here may become a no-op when clap_complete changes.

use clap_complete::Shell;

/// The completion script of `cmd` for `shell`.
pub fn script(shell: Shell, cmd: &clap::Command) -> String {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd.clone(), &name, &mut out);
    let text = String::from_utf8(out).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => {
            let mut text = bash_labels_agree(&text, &name);
            text.push_str(&crate::guest_ids::bash_hook(cmd, &text));
            text
        }
        Shell::Fish => {
            let mut text = fish_positional_values(&text, cmd);
            text.push_str(&crate::guest_ids::fish_hook(cmd, &text));
            text
        }
        Shell::Zsh => {
            let text = zsh_subcommand_after_options(&text, cmd.get_name());
            crate::guest_ids::zsh_with_ids(cmd, &text)
        }
        _ => text,
    }
}

/// clap_complete's zsh script (4.6), for a program taking both optional
/// positional arguments and subcommands (every planner: `phx-fw [FILES]…
/// [COMMAND]`), lists the positional first, so `_arguments` takes the
/// subcommand's name for a file and `phx-fw simulate --<TAB>` offers
/// phx-fw's own options, never simulate's. The first word is made to offer
/// the subcommands and the positional's completion together, and the state
/// code reads the subcommand from the first positional slot. Nothing
/// changes unless the script has exactly that shape.
fn zsh_subcommand_after_options(text: &str, name: &str) -> String {
    let commands = format!("\":: :_{name}_commands\" \\");
    let lines: Vec<&str> = text.lines().collect();
    let Some(at) = lines.iter().position(|l| *l == commands) else {
        return text.to_string();
    };
    let Some(positional) = at.checked_sub(1).map(|i| lines[i]) else {
        return text.to_string();
    };
    let is_positional = positional.starts_with("'::") || positional.starts_with("'*::");
    // The positional's action, the spec's last field: `…:_files' \`.
    let action = positional
        .strip_suffix("' \\")
        .and_then(|spec| spec.rsplit(':').next())
        .filter(|a| a.starts_with('_') && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let Some(action) = action.filter(|_| is_positional) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for (i, line) in lines.iter().enumerate() {
        if i == at - 1 {
            continue;
        }
        if i == at {
            out.push_str(&format!("\":: :{{_{name}_commands; {action}}}\" \\\n"));
            continue;
        }
        out.push_str(&line.replace("$line[2]", "$line[1]"));
        out.push('\n');
    }
    out
}

/// clap_complete's fish script (4.6) offers a subcommand's options but not
/// the fixed values of its positional arguments (`phoenix-cli check <TAB>`:
/// net, storage, dns…), which its bash and zsh scripts do offer. One
/// `complete` line per such argument adds them, guarded by the script's
/// own "using subcommand" function; should clap_complete add them too, fish
/// shows each value once all the same.
fn fish_positional_values(text: &str, cmd: &clap::Command) -> String {
    let Some(using) = text
        .split(|c: char| c.is_whitespace() || c == '"')
        .find(|w| w.starts_with("__fish_") && w.ends_with("_using_subcommand"))
    else {
        return text.to_string();
    };
    let mut out = text.to_string();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_positionals().filter(|a| !a.is_hide_set()) {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                out.push_str(&format!(
                    "complete -c {} -n \"{using} {}\" -f -a \"{}\"\n",
                    cmd.get_name(),
                    sub.get_name(),
                    values.join(" ")
                ));
            }
        }
    }
    out
}

/// clap_complete's bash script (4.6, clap-rs/clap#6421) names a state two
/// ways when the program's name has a hyphen: the loop over the words sets
/// `cmd="phx__fw__subcmd__simulate"`, the `case "${cmd}"` arms test
/// `phx__subcmd__fw__subcmd__simulate)`. No arm below the top level ever
/// matches, so nothing after a subcommand completes. The arms are respelt
/// as the loop spells them (only arm lines, only their leading label), which
/// changes nothing once clap_complete spells both alike.
fn bash_labels_agree(text: &str, name: &str) -> String {
    let wrong = name.replace('-', "__subcmd__");
    let right = name.replace('-', "__");
    if wrong == right {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let is_arm = body.trim_end().ends_with(')');
        match body.strip_prefix(wrong.as_str()) {
            Some(rest) if is_arm && (rest.starts_with("__subcmd__") || rest.starts_with(')')) => {
                out.push_str(indent);
                out.push_str(&right);
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// `cmd` with each pass-through verb (phoenix-cli's graph, schema, verify,
/// migrate: `PassArgs`, every word handed to a program) given the program's
/// own arguments, so `phoenix-cli verify --<TAB>` offers phx-verify's flags.
/// For completions only: the binary still parses the words as one list and
/// its man page still says "see phx-verify(1)".
pub fn with_passed_programs(cmd: &clap::Command) -> clap::Command {
    let passes: Vec<(&'static str, clap::Command)> = cmd
        .get_subcommands()
        .filter(|s| s.get_arguments().any(|a| a.is_trailing_var_arg_set()))
        .filter_map(|s| {
            let program = phx_common::registry::program_of_verb(s.get_name())?;
            Some((program.verb?, crate::command(program.binary)?))
        })
        .collect();
    passes
        .into_iter()
        .fold(cmd.clone(), |cmd, (verb, program)| {
            cmd.mut_subcommand(verb, |old| {
                let program = program.name(verb);
                match old.get_about() {
                    Some(about) => program.about(about.clone()),
                    None => program,
                }
            })
        })
}
