//! Guest IDs in phoenix-cli's bash, fish and zsh completions: `phoenix-cli
//! converge <TAB>` offers the IDs of the configuration's containers and VMs.
//! clap only knows static values, so a small shell function reads them from
//! the files of `--config-dir` (or the default directory) when TAB is pressed.
//!
//! Reading JSON without jq (not on every Proxmox VE host) nor python3: the
//! newlines are dropped and a regular expression picks out the container
//! entries (`"110": {`) and the VMs' `"vmid": 1001`. It offers what looks
//! like an ID; the loader still judges the files when the command runs.

use phx_common::cli::DEFAULT_CONFIG_DIR;
use phx_common::config::load::{LXC_FILE, VM_FILE};

/// phoenix-cli's verbs that take guest IDs as their positional arguments.
pub const GUEST_VERBS: [&str; 6] = ["converge", "start", "stop", "restart", "status", "delete"];

/// Bash appended to the completion of `cmd` (clap_complete's `script`):
/// empty unless `cmd` has a guest verb. It wraps clap's completion
/// function `function` and registers the wrapper for the program in its
/// place, with the same options.
pub fn bash_hook(cmd: &clap::Command, script: &str) -> String {
    let verbs = guest_verbs(cmd);
    let Some(function) = completion_function(script) else {
        return String::new();
    };
    if verbs.is_empty() {
        return String::new();
    }
    // Options whose next word is their value, not an ID.
    let mut valued: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| verbs.contains(&s.get_name()))
        .flat_map(|s| s.get_arguments())
        .filter(|a| !a.is_positional() && a.get_action().takes_values())
        .flat_map(|a| {
            let long = a.get_long().map(|l| format!("--{l}"));
            let short = a.get_short().map(|c| format!("-{c}"));
            long.into_iter().chain(short)
        })
        .collect();
    valued.sort();
    valued.dedup();
    let valued = if valued.is_empty() {
        "--phx-none--".to_string()
    } else {
        valued.join("|")
    };
    let program = cmd.get_name();
    let verbs = verbs.join("|");
    let ids = format!("{function}__guest_ids");
    let wrapper = format!("{function}__with_guest_ids");
    format!(
        r#"
# Guest IDs for {program}'s per-guest verbs, read from --config-dir (or
# {DEFAULT_CONFIG_DIR}) when TAB is pressed; written by phx-gen-docs
# (phx-pkg/src/guest_ids.rs), not by clap_complete.
{ids}() {{
    local dir={DEFAULT_CONFIG_DIR} i w
    # bash splits `--config-dir=DIR` into three words (COMP_WORDBREAKS has
    # `=`), unless the user took `=` out of it.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${{COMP_WORDS[i]}}
        case $w in
            --config-dir=*) dir=${{w#--config-dir=}} ;;
            --config-dir)
                if [[ ${{COMP_WORDS[i+1]}} == = ]]; then
                    [[ $((i + 2)) -lt $COMP_CWORD ]] && dir=${{COMP_WORDS[i+2]}}
                elif [[ $((i + 1)) -lt $COMP_CWORD ]]; then
                    dir=${{COMP_WORDS[i+1]}}
                fi
                ;;
        esac
    done
    [[ $dir == "~/"* ]] && dir=$HOME/${{dir#"~/"}}
    if [[ -r $dir/{LXC_FILE} ]]; then
        tr '\n' ' ' <"$dir/{LXC_FILE}" | grep -oE '"[0-9]+"[[:space:]]*:[[:space:]]*\{{' | grep -oE '[0-9]+'
    fi
    if [[ -r $dir/{VM_FILE} ]]; then
        tr '\n' ' ' <"$dir/{VM_FILE}" | grep -oE '"vmid"[[:space:]]*:[[:space:]]*[0-9]+' | grep -oE '[0-9]+$'
    fi
}}
{wrapper}() {{
    {function} "$@"
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}} verb="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${{COMP_WORDS[i]}} == -* ]] && continue
        verb=${{COMP_WORDS[i]}}
        break
    done
    case $verb in
        {verbs}) ;;
        *) return 0 ;;
    esac
    [[ $cur == -* ]] && return 0
    [[ $prev == = && $COMP_CWORD -ge 2 ]] && prev=${{COMP_WORDS[COMP_CWORD-2]}}
    case $prev in
        {valued}) return 0 ;;
    esac
    COMPREPLY+=($(compgen -W "$({ids} | sort -un)" -- "$cur"))
}}
if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F {wrapper} -o nosort -o bashdefault -o default {program}
else
    complete -F {wrapper} -o bashdefault -o default {program}
fi
"#
    )
}

/// `cmd`'s subcommands among [`GUEST_VERBS`].
fn guest_verbs(cmd: &clap::Command) -> Vec<&str> {
    cmd.get_subcommands()
        .map(|s| s.get_name())
        .filter(|n| GUEST_VERBS.contains(n))
        .collect()
}

/// Fish appended to the completion of `cmd`: empty unless `cmd` has a guest
/// verb. The IDs are offered where the verb's other words go, guarded by the
/// script's own "using subcommand" function; fish itself keeps them away
/// from an option's value.
pub fn fish_hook(cmd: &clap::Command, script: &str) -> String {
    let verbs = guest_verbs(cmd);
    let using = script
        .split(|c: char| c.is_whitespace() || c == '"')
        .find(|w| w.starts_with("__fish_") && w.ends_with("_using_subcommand"));
    let (Some(using), false) = (using, verbs.is_empty()) else {
        return String::new();
    };
    let program = cmd.get_name();
    let ids = using.replace("_using_subcommand", "_guest_ids");
    let verbs = verbs.join(" ");
    format!(
        r#"
# Guest IDs for {program}'s per-guest verbs, read from --config-dir (or
# {DEFAULT_CONFIG_DIR}) when TAB is pressed; written by phx-gen-docs
# (phx-pkg/src/guest_ids.rs), not by clap_complete.
function {ids}
    set -l words (commandline -opc)
    set -l dir {DEFAULT_CONFIG_DIR}
    for i in (seq (count $words))
        switch $words[$i]
            case '--config-dir=*'
                set dir (string replace -- --config-dir= '' $words[$i])
            case --config-dir
                test $i -lt (count $words); and set dir $words[(math $i + 1)]
        end
    end
    set dir (string replace -r '^~/' "$HOME/" -- $dir)
    begin
        test -r $dir/{LXC_FILE}; and string join ' ' <$dir/{LXC_FILE} | string match -ar -g '"([0-9]+)"\s*:\s*\{{'
        test -r $dir/{VM_FILE}; and string join ' ' <$dir/{VM_FILE} | string match -ar -g '"vmid"\s*:\s*([0-9]+)'
    end | sort -un
end
complete -c {program} -n "{using} {verbs}" -f -a "({ids})"
"#
    )
}

/// Zsh: `cmd`'s script (`script`) with each guest verb's free positional
/// (`'*::ids:_default'`) completed by a function offering the IDs, which is
/// defined before the script's closing `compdef`. Unchanged unless `cmd`
/// has a guest verb and the script has that shape.
pub fn zsh_with_ids(cmd: &clap::Command, script: &str) -> String {
    let verbs = guest_verbs(cmd);
    let program = cmd.get_name();
    let closing = format!("if [ \"$funcstack[1]\" = \"_{program}\" ]; then");
    let Some(at) = script.find(&closing).filter(|_| !verbs.is_empty()) else {
        return script.to_string();
    };
    let ids = format!("_{program}_guest_ids");
    let mut out = String::with_capacity(script.len() + 1024);
    let mut in_verb = false;
    for line in script[..at].split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(arm) = trimmed.strip_prefix('(').and_then(|a| a.strip_suffix(')')) {
            in_verb = verbs.contains(&arm);
        } else if trimmed == ";;" {
            in_verb = false;
        }
        let positional = trimmed.starts_with("'*::") || trimmed.starts_with("'::");
        match line.strip_suffix(":_default' \\\n") {
            Some(head) if in_verb && positional => {
                out.push_str(&format!("{head}:{ids}' \\\n"));
            }
            _ => out.push_str(line),
        }
    }
    out.push_str(&format!(
        r#"# Guest IDs for {program}'s per-guest verbs, read from --config-dir (or
# {DEFAULT_CONFIG_DIR}) when TAB is pressed; written by phx-gen-docs
# (phx-pkg/src/guest_ids.rs), not by clap_complete.
(( $+functions[{ids}] )) ||
{ids}() {{
    # _arguments keeps option values quoted (a space as `\ `).
    local dir=${{(Q)${{opt_args[--config-dir]:-{DEFAULT_CONFIG_DIR}}}}}
    [[ $dir == '~/'* ]] && dir=$HOME/${{dir#'~/'}}
    local -a ids
    if [[ -r $dir/{LXC_FILE} ]]; then
        ids+=(${{(f)"$(tr '\n' ' ' <$dir/{LXC_FILE} | grep -oE '"[0-9]+"[[:space:]]*:[[:space:]]*\{{' | grep -oE '[0-9]+')"}})
    fi
    if [[ -r $dir/{VM_FILE} ]]; then
        ids+=(${{(f)"$(tr '\n' ' ' <$dir/{VM_FILE} | grep -oE '"vmid"[[:space:]]*:[[:space:]]*[0-9]+' | grep -oE '[0-9]+$')"}})
    fi
    _wanted guests expl 'guest ID' compadd -a ids
}}

"#
    ));
    out.push_str(&script[at..]);
    out
}

/// The function clap_complete's bash script defines (`_phoenix__cli`), by
/// its `complete -F NAME` line.
fn completion_function(script: &str) -> Option<&str> {
    script
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("complete -F "))
        .and_then(|rest| rest.split_whitespace().next())
}
