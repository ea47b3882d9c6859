"""cnp_core internals: evaluation (private; use cnp_core, cnp_core.plugin or cnp_core.testing)."""
