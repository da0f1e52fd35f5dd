//! What phx-features does with each feature name the loader accepts
//! (phx_common's `FEATURES`): a recipe it plans, a feature phx-ca provides,
//! or one not handled yet, which is warned about once per run.

/// A feature phx-features installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    BaseSetup,
    Docker,
    PythonApiService,
    Portainer,
    Vllm,
    Ollama,
    /// A container's; on a VM it stays "not yet" (GPU passthrough to a VM
    /// is VFIO: vm.rs).
    Nvidia,
}

impl Recipe {
    pub fn name(self) -> &'static str {
        match self {
            Recipe::BaseSetup => "base_setup",
            Recipe::Docker => "docker",
            Recipe::PythonApiService => "python_api_service",
            Recipe::Portainer => "portainer",
            Recipe::Vllm => "vllm",
            Recipe::Ollama => "ollama",
            Recipe::Nvidia => "nvidia",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Recipe(Recipe),
    /// phx-ca installs it (Step-CA, Traefik, the root in the trust store).
    ByCa,
    /// Known, not installed yet: why, for the warning.
    NotYet(&'static str),
}

pub fn kind(feature: &str) -> Kind {
    match feature {
        "base_setup" => Kind::Recipe(Recipe::BaseSetup),
        "docker" => Kind::Recipe(Recipe::Docker),
        "python_api_service" => Kind::Recipe(Recipe::PythonApiService),
        "portainer" => Kind::Recipe(Recipe::Portainer),
        "vllm" => Kind::Recipe(Recipe::Vllm),
        "ollama" => Kind::Recipe(Recipe::Ollama),
        "step_ca" | "traefik" | "trusted_ca" => Kind::ByCa,
        "nvidia" => Kind::Recipe(Recipe::Nvidia),
        // A name the loader accepts and no arm above knows (a new one).
        _ => Kind::NotYet("its recipe is not written yet"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_the_loader_accepts_has_a_kind_and_seven_are_recipes() {
        let recipes: Vec<&str> = phx_common::config::parse::tokens::FEATURES
            .iter()
            .filter(|f| matches!(kind(f), Kind::Recipe(_)))
            .copied()
            .collect();
        assert_eq!(
            recipes,
            [
                "base_setup",
                "docker",
                "nvidia",
                "ollama",
                "portainer",
                "python_api_service",
                "vllm"
            ]
        );
        for f in phx_common::config::parse::tokens::FEATURES {
            if let Kind::Recipe(r) = kind(f) {
                assert_eq!(r.name(), f);
            }
        }
        for f in ["step_ca", "traefik", "trusted_ca"] {
            assert_eq!(kind(f), Kind::ByCa);
        }
    }
}
