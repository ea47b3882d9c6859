"""cnp_core internals: inference (private; use cnp_core, cnp_core.plugin or cnp_core.testing)."""
