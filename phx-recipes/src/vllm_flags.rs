//! `vllm_engine_config` as the command line vLLM 0.10.2 parses (the
//! version [`crate::vllm::VERSION`] installs). Read from the vllm-0.10.2
//! sdist (PyPI), file:line there:
//!
//! - vllm/engine/arg_utils.py:163-265 `_compute_kwargs`: a config field
//!   typed `bool` (also `Optional[bool]`) gets
//!   `argparse.BooleanOptionalAction` (:203-205), so `--<flag>` and
//!   `--no-<flag>` both exist; several default to ON or to "vLLM decides"
//!   (`enable_prefix_caching: Optional[bool] = None`, engine/arg_utils.py:336),
//!   so a `false` left out would be silently ignored: it is `--no-<flag>`.
//!   A field typed `list[...]` (also `Optional[Union[str, list[str]]]`, as
//!   `served_model_name`, config/__init__.py:401) gets `nargs="+"`
//!   (:215-226): repeating the flag keeps the last value only, so a list is
//!   the flag once followed by its items, and an empty list is refused
//!   (argparse wants one item at least).
//! - The few `action="store_true"` flags added by hand with no negative
//!   form: `--disable-async-output-proc` (arg_utils.py:551-556, default
//!   `not use_async_output_proc` = False, config/__init__.py:423),
//!   `--enable-multimodal-encoder-data-parallel` (:730-733),
//!   `--disable-mm-preprocessor-cache` (:782-784), `--disable-log-stats`
//!   (:913-915) and the server's `--headless` (entrypoints/openai/
//!   cli_args.py:242-246). Each defaults to False, so `false` left out is
//!   exactly what was asked: omitted, no warning.
//! - `--hf-token` (arg_utils.py:561-566): `nargs="?"`, `const=True`, no
//!   negative form, default None: `true` is the bare flag, `false` cannot be
//!   said and is refused (exit 2).
//! - The server's own args (cli_args.py:186-215, `FrontendArgs`):
//!   `--allowed-origins`, `--allowed-methods`, `--allowed-headers` lose
//!   `nargs` and take ONE JSON word (`type=json.loads`, :194-199), so a list
//!   is one JSON array; `--middleware` is `action="append"` (:206-211), so
//!   a list repeats the flag; `--lora-modules` and `--api-key` keep
//!   `nargs="+"` (:92, :96, :203-204).
//! - null: `optional_type` (arg_utils.py:81-89, :262) would read "None" for
//!   an Optional field, but not for a bool, an int that is not Optional or a
//!   `Literal`, and leaving the flag out gives vLLM's default, which is None
//!   for most Optional fields but not all (`lora_dtype` "auto", the server's
//!   `log_config_file` from VLLM_LOGGING_CONFIG_PATH, cli_args.py:157). So
//!   null is omitted, with a warning saying vLLM's default applies.
//! - `FlexibleArgumentParser` (vllm/utils/__init__.py:1730, :1819-1834)
//!   takes `--a_b` as `--a-b`; the flags here are kebab case anyway.

use phx_common::config::{ArgValue, Problems};

/// One engine-config section: its keys and values in file order.
pub type Section = (String, Vec<(String, ArgValue)>);

/// How vLLM 0.10.2 parses one flag (see the module doc for the lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The rule (`_compute_kwargs`): a bool `--f`/`--no-f`, a list
    /// `nargs="+"`, anything else one value.
    Typed,
    /// `store_true`, default False: `false` is left out.
    StoreTrue,
    /// `--hf-token`: `nargs="?"`, `const=True`: no `false`.
    OptionalValue,
    /// `type=json.loads`: a list is one JSON array word.
    JsonList,
    /// `action="append"`: the flag once per item.
    Append,
}

/// The shape of `flag` (`--kebab-case`) in vLLM 0.10.2.
pub fn shape(flag: &str) -> Shape {
    match flag {
        "--disable-async-output-proc"
        | "--enable-multimodal-encoder-data-parallel"
        | "--disable-mm-preprocessor-cache"
        | "--disable-log-stats"
        | "--headless" => Shape::StoreTrue,
        "--hf-token" => Shape::OptionalValue,
        "--allowed-origins" | "--allowed-methods" | "--allowed-headers" => Shape::JsonList,
        "--middleware" => Shape::Append,
        _ => Shape::Typed,
    }
}

/// `gpu_memory_utilization` → `--gpu-memory-utilization`; a camelCase key
/// (`trustRemoteCode`) the original's sed turned into kebab case too.
pub fn flag(key: &str) -> String {
    let mut out = String::from("--");
    for ch in key.chars() {
        match ch {
            '_' => out.push('-'),
            c if c.is_ascii_uppercase() => {
                out.push('-');
                out.push(c.to_ascii_lowercase());
            }
            c => out.push(c),
        }
    }
    out
}

/// `--enable-prefix-caching` → `--no-enable-prefix-caching`, the form
/// `BooleanOptionalAction` adds.
fn negative(flag: &str) -> String {
    format!("--no-{}", flag.trim_start_matches("--"))
}

/// A value as one ExecStart word: systemd splits on whitespace and reads
/// quotes and backslashes, expands `$VAR` and `%` specifiers
/// (systemd.service(5), "Command lines"; systemd.unit(5), "Specifiers"),
/// so `$` and `%` are doubled and a word that needs it is double-quoted.
pub fn word(text: &str) -> String {
    let text = text.replace('%', "%%").replace('$', "$$");
    let plain = !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    if plain {
        return text;
    }
    let mut q = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A list item as its text: a string or a number (`check` refuses others).
fn item(v: &ArgValue) -> Option<String> {
    match v {
        ArgValue::Str(s) => Some(s.clone()),
        ArgValue::Num(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list as the one JSON array `json.loads` reads.
fn json_array(items: &[ArgValue]) -> String {
    let vals: Vec<serde_json::Value> = items
        .iter()
        .filter_map(|v| match v {
            ArgValue::Str(s) => Some(serde_json::Value::String(s.clone())),
            ArgValue::Num(n) => Some(serde_json::Value::Number(n.clone())),
            _ => None,
        })
        .collect();
    serde_json::Value::Array(vals).to_string()
}

/// The words for one key: see the module doc for each case.
fn one(out: &mut Vec<String>, f: &str, v: &ArgValue) {
    let sh = shape(f);
    match v {
        ArgValue::Null => {}
        ArgValue::Bool(true) => out.push(f.to_string()),
        // StoreTrue: False is its default; the others are refused by `check`.
        ArgValue::Bool(false) => {
            if sh == Shape::Typed {
                out.push(negative(f));
            }
        }
        ArgValue::Str(s) => out.extend([f.to_string(), word(s)]),
        ArgValue::Num(n) => out.extend([f.to_string(), n.to_string()]),
        ArgValue::List(items) => match sh {
            Shape::JsonList => out.extend([f.to_string(), word(&json_array(items))]),
            Shape::Append => {
                for i in items.iter().filter_map(item) {
                    out.extend([f.to_string(), word(&i)]);
                }
            }
            _ if items.is_empty() => {}
            _ => {
                out.push(f.to_string());
                out.extend(items.iter().filter_map(item).map(|i| word(&i)));
            }
        },
    }
}

/// The words after the interpreter: each key of each section in file
/// order as vLLM 0.10.2 parses it (module doc).
pub fn args(sections: &[Section]) -> Vec<String> {
    let mut out = Vec::new();
    for (_, keys) in sections {
        for (k, v) in keys {
            one(&mut out, &flag(k), v);
        }
    }
    out
}

/// The engine args that hold a secret, and the environment variable vLLM
/// reads instead (cli_args.py's `--api-key` falls back to VLLM_API_KEY;
/// huggingface_hub reads HF_TOKEN when `--hf-token` is not given).
fn secret_env(flag: &str) -> Option<&'static str> {
    match flag.trim_start_matches('-') {
        "api-key" => Some("VLLM_API_KEY"),
        "hf-token" => Some("HF_TOKEN"),
        _ => None,
    }
}

/// What vLLM 0.10.2 could not take or would read otherwise than written:
/// a problem (exit 2) or a warning, at the key's path (`path` is the
/// entry's `vllm_engine_config`).
pub fn check(
    file: &str,
    path: &str,
    sections: &[Section],
    p: &mut Problems,
    warnings: &mut Vec<String>,
) {
    for (sec, keys) in sections {
        for (k, v) in keys {
            let at = format!("{path}.{sec}.{k}");
            let f = flag(k);
            let sh = shape(&f);
            let shown = v.to_string();
            if let Some(var) = secret_env(&f) {
                // The unit is a file step's content, so a plan, a diff and
                // `ps` would all show it.
                if matches!(v, ArgValue::Str(_) | ArgValue::Num(_) | ArgValue::List(_)) {
                    p.push(
                        file,
                        &at,
                        "(a secret, not shown)",
                        format!("no secret in vllm_engine_config: {f} would be in the plan, its diff and the server's command line; set {var} inside the container instead (an EnvironmentFile drop-in for vllm_model_server.service), which vLLM reads when {f} is not given"),
                    );
                    continue;
                }
            }
            match v {
                ArgValue::Null => warnings.push(format!(
                    "{file}: {at}: null: {f} is left out, so vLLM {}'s own default for it applies (None for most optional engine args, not all)",
                    crate::vllm::VERSION
                )),
                ArgValue::Bool(false) if sh == Shape::OptionalValue => p.push(
                    file,
                    &at,
                    shown,
                    format!("true or a string: vLLM {}'s {f} has no negative form (nargs=\"?\", const=True); leave the key out for none", crate::vllm::VERSION),
                ),
                ArgValue::Bool(_) if matches!(sh, Shape::JsonList | Shape::Append) => p.push(
                    file,
                    &at,
                    shown,
                    format!("a list of strings: vLLM {}'s {f} takes values, not true/false", crate::vllm::VERSION),
                ),
                ArgValue::List(_) if matches!(sh, Shape::StoreTrue | Shape::OptionalValue) => {
                    p.push(file, &at, shown, format!("true or false: vLLM {}'s {f} takes no list", crate::vllm::VERSION))
                }
                ArgValue::List(items) if items.iter().any(|i| item(i).is_none()) => p.push(
                    file,
                    &at,
                    shown,
                    format!("a list of strings or numbers: each item is one word after {f}"),
                ),
                ArgValue::List(items) if items.is_empty() && sh == Shape::Typed => p.push(
                    file,
                    &at,
                    shown,
                    format!("a list of one item at least (vLLM {}'s {f} is nargs=\"+\"), or no key for its default", crate::vllm::VERSION),
                ),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArgValue::{Bool, List, Null, Num, Str};

    fn s(t: &str) -> ArgValue {
        Str(t.into())
    }
    fn n(t: &str) -> ArgValue {
        Num(t.parse().unwrap())
    }

    fn sec(name: &str, keys: &[(&str, ArgValue)]) -> Section {
        (
            name.into(),
            keys.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn checked(secs: &[Section]) -> (Vec<String>, Vec<String>) {
        let mut p = Problems::default();
        let mut w = Vec::new();
        check(
            "lxc.json",
            "lxc_configs.801.vllm_engine_config",
            secs,
            &mut p,
            &mut w,
        );
        let probs = p
            .list
            .iter()
            .map(|x| format!("{}={}", x.path, x.value))
            .collect();
        (probs, w)
    }

    #[test]
    fn each_key_is_its_flag_in_file_order() {
        let s = [
            sec(
                "ModelConfig",
                &[
                    ("model", s("ibm-granite/granite-embedding-english-r2")),
                    ("trust_remote_code", Bool(true)),
                    ("max_model_len", n("1024")),
                ],
            ),
            sec("CacheConfig", &[("gpu_memory_utilization", n("0.1"))]),
            sec("ServerConfig", &[("chat_template", s("100% $HOME"))]),
        ];
        assert_eq!(
            args(&s),
            [
                "--model",
                "ibm-granite/granite-embedding-english-r2",
                "--trust-remote-code",
                "--max-model-len",
                "1024",
                "--gpu-memory-utilization",
                "0.1",
                "--chat-template",
                "\"100%% $$HOME\"",
            ]
        );
    }

    /// vLLM's bool fields are BooleanOptionalAction and several default
    /// ON: `false` must reach vLLM as `--no-<flag>`, not vanish.
    #[test]
    fn false_is_the_negative_flag() {
        let s = [sec(
            "CacheConfig",
            &[
                ("enable_prefix_caching", Bool(false)),
                ("enforceEager", Bool(false)),
            ],
        )];
        assert_eq!(
            args(&s),
            ["--no-enable-prefix-caching", "--no-enforce-eager"]
        );
    }

    /// A store_true-only flag defaults to False: its `false` is left out,
    /// with neither problem nor warning, as vLLM reads it the same.
    #[test]
    fn store_true_false_is_its_default() {
        let s = [sec(
            "X",
            &[
                ("disable_log_stats", Bool(false)),
                ("disable_async_output_proc", Bool(true)),
            ],
        )];
        assert_eq!(args(&s), ["--disable-async-output-proc"]);
        assert_eq!(checked(&s), (vec![], vec![]));
    }

    /// nargs="+": repeating the flag keeps the last value, so a list is
    /// the flag once followed by its items.
    #[test]
    fn list_is_one_flag_then_its_items() {
        let s = [sec(
            "ServerConfig",
            &[
                ("served_model_name", List(vec![s("a"), s("b c")])),
                ("lora-modules", List(vec![s("x=/m/x"), n("7")])),
            ],
        )];
        assert_eq!(
            args(&s),
            [
                "--served-model-name",
                "a",
                "\"b c\"",
                "--lora-modules",
                "x=/m/x",
                "7"
            ]
        );
    }

    /// The server's allowed_* are one json.loads word; middleware appends.
    #[test]
    fn server_lists_as_vllm_reads_them() {
        let s = [sec(
            "ServerConfig",
            &[
                ("allowedOrigins", List(vec![s("a"), s("b c")])),
                ("middleware", List(vec![s("m.one"), s("m.two")])),
            ],
        )];
        assert_eq!(
            args(&s),
            [
                "--allowed-origins",
                "\"[\\\"a\\\",\\\"b c\\\"]\"",
                "--middleware",
                "m.one",
                "--middleware",
                "m.two"
            ]
        );
    }

    /// null is left out (vLLM's default applies) and said so.
    #[test]
    fn null_is_left_out_with_a_warning() {
        let s = [sec("ModelConfig", &[("revision", Null)])];
        assert!(args(&s).is_empty());
        let (p, w) = checked(&s);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("lxc_configs.801.vllm_engine_config.ModelConfig.revision")
                && w[0].contains("--revision")
                && w[0].contains("default"),
            "{w:?}"
        );
    }

    /// What vLLM 0.10.2 cannot take is exit 2 at its path.
    #[test]
    fn what_vllm_cannot_take_is_refused() {
        let s = [sec(
            "ModelConfig",
            &[
                ("hf_token", Bool(false)),
                ("served_model_name", List(vec![])),
                ("lora_modules", List(vec![Bool(true)])),
                ("allowed_origins", Bool(true)),
                ("headless", List(vec![s("x")])),
                ("middleware", List(vec![])),
                ("allowed_headers", List(vec![])),
            ],
        )];
        let (p, w) = checked(&s);
        let at = "lxc_configs.801.vllm_engine_config.ModelConfig";
        assert_eq!(
            p,
            [
                format!("{at}.hf_token=false"),
                format!("{at}.served_model_name=[]"),
                format!("{at}.lora_modules=[true]"),
                format!("{at}.allowed_origins=true"),
                format!("{at}.headless=[\"x\"]"),
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }
}
