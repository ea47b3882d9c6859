"""``cnp train``: train or fine-tune a variant with the official recipe (SPEC section 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, print_json, user_errors


@user_errors
def train_command(
    variant: Annotated[
        str, typer.Option("--variant", "-v", help="Model variant (XS, S, M, L or a plugin's).", autocompletion=variant_names)
    ],
    data_dir: Annotated[Path, typer.Option(help="The dataset's folder (Human3.6M: images/, annotations/).")] = Path(
        "data/Human36M"
    ),
    dataset: Annotated[str, typer.Option(help="Registered dataset with a training split.")] = "h36m",
    output: Annotated[Path | None, typer.Option(help="Folder for snapshots and logs (default output/train/VARIANT).")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file of recipe settings (options given here win).")] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Epochs (official: 70).")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Images per step (official: 32).")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate (official: 1e-3).")] = None,
    warmup_epochs: Annotated[float | None, typer.Option(help="Linear warm-up epochs (official: 5).")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="AdamW weight decay (official: 0.1).")] = None,
    drop_path: Annotated[float | None, typer.Option(help="Stochastic depth rate of the last block (official: 0.1).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of shuffling, augmentation and stochastic depth.")] = None,
    augment: Annotated[bool | None, typer.Option("--augment/--no-augment", help="Official augmentation (default on).")] = None,
    shuffle: Annotated[bool | None, typer.Option("--shuffle/--no-shuffle", help="Shuffle every epoch (default on).")] = None,
    deterministic: Annotated[
        bool, typer.Option("--deterministic", help="Check mode: no augmentation, no shuffling, no stochastic depth.")
    ] = False,
    init: Annotated[Path | None, typer.Option(help="Start from this checkpoint (any readable form; fine-tuning).")] = None,
    freeze_backbone: Annotated[
        bool | None, typer.Option("--freeze-backbone", help="Train the head only (backbone weights and BN statistics fixed).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last snapshot in --output.")] = False,
    resume_changed: Annotated[
        bool,
        typer.Option(
            "--resume-changed", help="With --resume: continue although the recipe changed (train_config.json records it)."
        ),
    ] = False,
    mix: Annotated[
        list[str] | None,
        typer.Option(help="Another training set, DATASET=FOLDER (repeatable), e.g. mpii=data/MPII: 3D and 2D sets are balanced."),
    ] = None,
    eval_every: Annotated[int | None, typer.Option(min=0, help="Evaluate the test split every N epochs (0: never).")] = None,
    amp: Annotated[bool | None, typer.Option("--amp", help="Mixed precision (float16 autocast; CUDA only).")] = None,
    workers: Annotated[str, typer.Option(help="DataLoader processes, or auto.")] = "auto",
    device: Annotated[str, typer.Option(help="auto (CUDA if available), cpu, cuda, cuda:N.")] = "auto",
    json_out: Annotated[bool, typer.Option("--json", help="Print the run's summary as JSON on stdout.")] = False,
    dataset_options: dict[str, Any] | None = None,
) -> None:
    """Train VARIANT on a dataset's training split; snapshot_{epoch}.pth.tar every epoch (official form)."""
    from cnp_cli.commands.eval import parse_workers
    from cnp_core import distributed_session, train_model

    recipe = _recipe(
        config, deterministic, epochs=epochs, batch_size=batch_size, lr=lr, warmup_epochs=warmup_epochs,
        weight_decay=weight_decay, drop_path=drop_path, seed=seed, augment=augment, shuffle=shuffle,
        freeze_backbone=freeze_backbone, eval_every=eval_every, amp=amp,
    )  # fmt: skip
    out = output or Path("output/train") / variant
    with distributed_session(device) as dist:  # under torchrun: one rank per process, rank 0 writes
        records = train_model(
            variant,
            data_dir,
            dataset=dataset,
            output_dir=out,
            options=dataset_options,
            config=recipe,
            init=init,
            resume=resume,
            resume_changed=resume_changed,
            device=dist.device,
            workers=parse_workers(workers),
            mix=[_pair(m) for m in mix or ()],
        )
        if not dist.is_main:
            return
    _report(records, out, recipe, json_out)


def _recipe(config: Path | None, deterministic: bool, **given: Any) -> Any:
    """The recipe: the TOML file's (or the official) settings, then every flag given."""
    from dataclasses import replace

    from cnp_core import TrainConfig, load_train_config

    recipe = load_train_config(config) if config is not None else TrainConfig()
    if deterministic:
        given.update(augment=False, shuffle=False, drop_path=0.0)
    return replace(recipe, **{k: v for k, v in given.items() if v is not None})


def _report(records: list[dict[str, Any]], out: Path, recipe: Any, json_out: bool) -> None:
    steps = [r for r in records if "loss" in r]
    summary = {
        "output": str(out),
        "steps": len(steps),
        "first_loss": steps[0]["loss"] if steps else None,
        "last_loss": steps[-1]["loss"] if steps else None,
        "evaluations": [r for r in records if "eval" in r],
        "config": recipe.to_dict(),
    }
    if json_out:
        print_json(summary)
    else:
        err.print(f"trained {summary['steps']} steps; loss {summary['first_loss']} -> {summary['last_loss']}; snapshots in {out}")


def _pair(value: str) -> tuple[str, Path]:
    from cnp_core import ParameterError

    name, sep, folder = value.partition("=")
    if not sep or not name or not folder:
        raise ParameterError("mix", value, "use DATASET=FOLDER, e.g. mpii=data/MPII")
    return name, Path(folder)
