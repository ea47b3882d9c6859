"""cnp_core internals: output (private; use cnp_core, cnp_core.plugin or cnp_core.testing)."""
