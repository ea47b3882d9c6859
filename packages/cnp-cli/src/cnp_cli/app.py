"""The root ``cnp`` Typer app: command groups, plugin commands and the entry point."""

from __future__ import annotations

from typing import Any

import typer

from cnp_cli.commands import (
    benchmark,
    cache,
    checkpoints,
    compare,
    convert,
    export,
    inspect,
    plugins,
    predict,
    report,
    train,
    variants,
)

app = typer.Typer(
    name="cnp",
    help="Evaluate, compare and extend ConvNeXtPose 3D human-pose models on Human3.6M.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)

app.command("variants")(variants.variants_command)
app.command("inspect")(inspect.inspect_command)
app.command("convert")(convert.convert_command)
app.command("plugins")(plugins.plugins_command)
app.command("cache")(cache.cache_command)
app.add_typer(checkpoints.app, name="checkpoints")


def _register_eval_commands() -> None:
    from cnp_cli.commands import eval as eval_cmd

    app.command("eval")(eval_cmd.eval_command)
    app.command("compare")(compare.compare_command)
    app.command("report")(report.report_command)
    app.command("benchmark")(benchmark.benchmark_command)
    app.command("predict")(predict.predict_command)
    app.command("export")(export.export_command)
    app.command("train")(train.train_command)


_register_eval_commands()

_plugin_commands_added = False


def add_plugin_commands() -> None:
    """Let plugins add commands through ``cnp_register_commands(app)`` (once per process)."""
    global _plugin_commands_added
    if _plugin_commands_added:
        return
    _plugin_commands_added = True
    import warnings

    from cnp_core import PluginLoadWarning, get_host

    host = get_host()
    _add_dataset_options(host)
    for plugin_name, call in host.per_plugin("cnp_register_commands"):  # load order, through pluggy
        before = _command_names()
        try:
            call(app=app)
        except Exception as exc:  # one plugin's broken commands must not take every command down
            warnings.warn(
                f"cnp plugin {plugin_name!r}: cnp_register_commands failed: {type(exc).__name__}: {exc}",
                PluginLoadWarning,
                stacklevel=2,
            )
        added = [name for name in _command_names() if name not in before]
        if added:
            host.note_registered(plugin_name, "command", added)


def _command_names() -> list[str]:
    """The names of the root app's commands, command groups and the groups' commands (``data synth``)."""
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    for group in app.registered_groups:
        names.append(group.name or "")
        if group.typer_instance is not None:
            names += [f"{group.name} {c.name}" for c in group.typer_instance.registered_commands if c.name]
    return names


def _add_dataset_options(host: Any) -> None:
    """``cnp eval`` (and ``cnp train``) gain the options every registered dataset declares (``--protocol``, ...)."""
    import warnings

    from cnp_cli.commands import eval as eval_cmd
    from cnp_core import PluginLoadWarning

    try:
        entries = host.registry("dataset").entries()
    except Exception as exc:  # the datasets' plugins failed: eval keeps its own options
        warnings.warn(f"cnp datasets could not be listed: {type(exc).__name__}: {exc}", PluginLoadWarning, stacklevel=2)
        return
    # A dataset option never shadows a flag of cnp's own: the names are those of the commands' parameters.
    own = {
        "eval": eval_cmd.own_parameters(eval_cmd.eval_command),
        "train": eval_cmd.own_parameters(train.train_command),
    }
    for entry in entries:
        for option in entry.obj.info.options:
            taken = [command for command, names in own.items() if option.name in names]
            if taken:
                warnings.warn(
                    f"cnp plugin {entry.plugin!r}: dataset {entry.name}'s option {option.name!r} has the name of "
                    f"`cnp {'` and `cnp '.join(taken)}`'s own --{option.name.replace('_', '-')}; it is not offered on the "
                    "command line (rename the option)",
                    PluginLoadWarning,
                    stacklevel=2,
                )
    datasets = [(entry.name, entry.obj.info) for entry in entries]
    commands = {
        "eval": eval_cmd.with_dataset_options(eval_cmd.eval_command, datasets),
        "train": eval_cmd.with_dataset_options(train.train_command, [(n, i) for n, i in datasets if i.train_split]),
    }
    for info in app.registered_commands:
        if info.name in commands:
            info.callback = commands[info.name]


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a scheduler's stop, ``kill``) ends a run like Ctrl-C: one line, nothing half-written."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _one_line_warnings() -> None:
    """Warnings (a broken plugin, a deprecated torch call) as one `warning:` line on stderr each."""
    import sys
    import warnings

    def show(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)

    warnings.showwarning = show


def main() -> None:
    """Console-script entry point."""
    _one_line_warnings()
    _interrupt_on_sigterm()
    add_plugin_commands()
    app()
