"""cnp_core internals: model (private; use cnp_core, cnp_core.plugin or cnp_core.testing)."""
