"""torch.distributed for evaluation under ``torchrun``: who am I, and gathering shards to rank 0.

Launched by ``torchrun`` (``WORLD_SIZE`` > 1 in the environment), :func:`distributed_session` joins
the process group (gloo on CPU, nccl on CUDA) and leaves it on exit. Without torchrun it is a
single process of world size 1 and nothing is initialised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as torch_dist

from cnp_core._errors import CnpError


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the run. ``device``: the device spec this rank should use."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "auto"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        """Wait for every rank (nothing to wait for in a single process)."""
        if self.active:
            barrier()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def rank_device(device: str, local_rank: int) -> str:
    """``auto``/``cuda`` -> this rank's own GPU when CUDA is there; otherwise ``device`` unchanged."""
    if device in ("auto", "cuda") and torch.cuda.is_available():
        return f"cuda:{local_rank}"
    return "cpu" if device == "auto" else device


@contextmanager
def distributed_session(device: str = "auto") -> Iterator[DistInfo]:
    """Join the torchrun process group for the duration (no-op for a single process)."""
    if not launched_by_torchrun():
        yield DistInfo(device=device)
        return
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    spec = rank_device(device, local_rank)
    backend = "nccl" if spec.startswith("cuda") else "gloo"
    if spec.startswith("cuda"):
        torch.cuda.set_device(torch.device(spec))
    owned = not torch_dist.is_initialized()
    if owned:
        torch_dist.init_process_group(backend=backend)
    try:
        yield DistInfo(torch_dist.get_rank(), torch_dist.get_world_size(), local_rank, spec)
    finally:
        if owned and torch_dist.is_initialized():
            torch_dist.destroy_process_group()


def current() -> DistInfo:
    """The process group this process is in (world size 1 when none)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        return DistInfo(torch_dist.get_rank(), torch_dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    return DistInfo()


def all_gather(payload: Any) -> list[Any]:
    """Every rank's ``payload``, in rank order (a one-element list for a single process)."""
    info = current()
    if not info.active:
        return [payload]
    gathered: list[Any] = [None] * info.world_size
    torch_dist.all_gather_object(gathered, payload)
    return gathered


def barrier() -> None:
    if current().active:
        torch_dist.barrier()


def gather_shards(run: Any) -> list[Any]:
    """Run ``run()`` on every rank and collect the results; a rank's failure fails all, naming it.

    Each rank catches its own error and reports it through the gather, so no rank waits forever
    and every rank raises the same one-line message. A single process just runs ``run()``.
    """
    if not current().active:
        return [run()]
    try:
        payload: tuple[bool, Any] = (True, run())
    except CnpError as exc:
        payload = (False, str(exc))
    except Exception as exc:
        payload = (False, f"{type(exc).__name__}: {exc}")
    results = all_gather(payload)
    for rank, (ok, value) in enumerate(results):
        if not ok:
            prefix = f"rank {rank} of {len(results)} failed: " if len(results) > 1 else ""
            raise CnpError(f"{prefix}{value}")
    return [value for _, value in results]


__all__ = ["DistInfo", "all_gather", "barrier", "current", "distributed_session", "gather_shards", "rank_device"]
