//! Where a container's model servers listen: the `vllm` and `ollama`
//! recipes configure them there, and phx-verify asks them there.

use super::gpu::ArgValue;
use super::model::Lxc;

/// vLLM's own default for `--port` (vllm/entrypoints/openai/cli_args.py).
pub const VLLM_DEFAULT_PORT: u16 = 8000;
/// Ollama's default port (OLLAMA_HOST's, envconfig/config.go).
pub const OLLAMA_DEFAULT_PORT: u16 = 11434;

/// `vllm_engine_config`'s `port` (the loader holds it to 1-65535), else
/// vLLM's default.
pub fn vllm_port(c: &Lxc) -> u16 {
    match c.vllm_engine_config.as_ref().and_then(|e| e.get("port")) {
        Some(ArgValue::Num(n)) => n
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(VLLM_DEFAULT_PORT),
        _ => VLLM_DEFAULT_PORT,
    }
}

/// The guest side of the container's first `ports` entry
/// (`"11434:11434"`), else Ollama's default.
pub fn ollama_port(c: &Lxc) -> u16 {
    c.ports.first().map_or(OLLAMA_DEFAULT_PORT, |p| p.guest)
}
