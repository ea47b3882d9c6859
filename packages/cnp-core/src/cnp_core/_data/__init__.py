"""cnp_core internals: data (private; use cnp_core, cnp_core.plugin or cnp_core.testing)."""
