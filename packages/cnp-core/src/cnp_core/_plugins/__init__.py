"""cnp_core internals: plugins (private; use cnp_core, cnp_core.plugin or cnp_core.testing)."""
