"""``cnp cache``: what the cache folder holds (split cache, patch cache, demo, sizes), and clearing it."""

from __future__ import annotations

from typing import Annotated

import typer

from cnp_cli.console import err, out, print_json, user_errors


@user_errors
def cache_command(
    clear: Annotated[
        list[str] | None,
        typer.Option(help="Remove one part (splits, patches, demo, variant_sizes.json; repeatable), or all."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Show how much disk each part of cnp's cache folder (CNP_CACHE_DIR) takes; --clear removes parts."""
    from cnp_core import cache_report, clear_cache

    if clear:
        freed, left = clear_cache(parts=tuple(clear))
        err.print(f"freed {freed / 1e9:.2f} GB ({', '.join(cache_report()) if 'all' in clear else ', '.join(clear)})")
        for line in left:
            err.print(f"[yellow]kept:[/] {line}")
    report = cache_report()
    if json_out:
        print_json(report)
        return
    for name, entry in report.items():
        out.print(f"{name:20s} {entry['bytes'] / 1e9:8.2f} GB  {entry['what']}  ({entry['path']})")
