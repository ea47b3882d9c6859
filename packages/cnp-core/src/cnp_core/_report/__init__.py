"""cnp_core internals: the Markdown report and its plots (needs the report extra: matplotlib)."""
