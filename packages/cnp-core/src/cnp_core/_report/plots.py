"""Headless matplotlib figures: per-action comparison bars and pose renderings, saved atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core._output.atomic import atomic_path


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        from cnp_core._errors import CnpError

        raise CnpError("plots need matplotlib: pip install 'cnp-core[report]'") from None

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


SOFTWARE_TAG = "cnp"  # PNG "Software" text chunk: marks a picture cnp drew (so cnp may replace it)


def drawn_by_cnp(path: Path) -> bool:
    """A PNG that :func:`_save` wrote (its Software chunk says cnp)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    return head.startswith(b"\x89PNG") and b"tEXtSoftware\x00" + SOFTWARE_TAG.encode() in head


def _save(fig: Any, path: Path) -> Path:
    plt = _pyplot()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight", metadata={"Software": SOFTWARE_TAG})
    plt.close(fig)
    return Path(path)


def comparison_plot(comparison: dict[str, Any], path: Path) -> Path:
    """Grouped bars: one group per action (plus the total), one bar per run; the paper's totals marked."""
    plt = _pyplot()
    rows, actions = comparison["rows"], comparison["actions"]
    groups = [*actions, "Total"]
    width = 0.8 / max(1, len(rows))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * len(groups) * max(1, len(rows)) ** 0.5), 4.5))
    x = np.arange(len(groups))
    for k, row in enumerate(rows):
        values = [row["per_action"].get(a) for a in actions] + [row["total"]]
        heights = [np.nan if v is None else v for v in values]
        action_ci = row.get("per_action_ci95") or {}
        intervals = [*(action_ci.get(a) for a in actions), row.get("total_ci95")]
        low = [np.nan if c is None or np.isnan(h) else h - c[0] for h, c in zip(heights, intervals, strict=True)]
        high = [np.nan if c is None or np.isnan(h) else c[1] - h for h, c in zip(heights, intervals, strict=True)]
        has_ci = any(c is not None for c in intervals)
        ax.bar(
            x + (k - (len(rows) - 1) / 2) * width,
            heights,
            width,
            label=row["label"],
            yerr=[low, high] if has_ci else None,
            error_kw={"elinewidth": 0.8, "capsize": 1.5},
        )
        if row["paper"] is not None:
            pos = x[-1] + (k - (len(rows) - 1) / 2) * width
            ax.plot([pos - width / 2, pos + width / 2], [row["paper"]] * 2, color="black", linewidth=2)
    metric = rows[0]["metric"] if rows else ""
    ax.set_xticks(x, groups, rotation=45, ha="right")
    ax.set_ylabel(axis_label(metric, rows))
    title = f"{metric} per action" + (" (black line: paper)" if any(r["paper"] for r in rows) else "")
    if any(r.get("total_ci95") for r in rows):
        title += "; whiskers: 95% bootstrap intervals"
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def pose_plot(
    image_bgr: np.ndarray,
    joints_2d: np.ndarray,
    joints_3d: np.ndarray,
    skeleton: Sequence[tuple[int, int]],
    path: Path,
    bbox: Sequence[float] | None = None,
) -> Path:
    """The 2D skeleton over the image and a 3D view of the root-relative pose (camera axes: y down)."""
    plt = _pyplot()
    fig = plt.figure(figsize=(11, 5))
    ax2 = fig.add_subplot(1, 2, 1)
    ax2.imshow(image_bgr[:, :, ::-1])
    colors = plt.get_cmap("tab20")(np.linspace(0, 1, max(1, len(skeleton))))
    for (a, b), color in zip(skeleton, colors, strict=False):
        ax2.plot(joints_2d[[a, b], 0], joints_2d[[a, b], 1], color=color, linewidth=2.5)
    ax2.scatter(joints_2d[:, 0], joints_2d[:, 1], s=12, color="white", edgecolors="black", zorder=3)
    if bbox is not None:
        x, y, w, h = bbox
        ax2.add_patch(plt.Rectangle((x, y), w, h, fill=False, edgecolor="yellow", linewidth=1.5))
    ax2.set_axis_off()
    ax2.set_title("2D joints")
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    # camera X right, Y down, Z forward -> plot X, Z (depth), -Y (up)
    xs, ys, zs = joints_3d[:, 0], joints_3d[:, 2], -joints_3d[:, 1]
    for (a, b), color in zip(skeleton, colors, strict=False):
        ax3.plot(xs[[a, b]], ys[[a, b]], zs[[a, b]], color=color, linewidth=2.5)
    ax3.scatter(xs, ys, zs, s=10, color="black")
    span = float(max(np.ptp(xs), np.ptp(ys), np.ptp(zs), 1.0)) / 2
    mid = [(v.max() + v.min()) / 2 for v in (xs, ys, zs)]
    ax3.set_xlim(mid[0] - span, mid[0] + span)
    ax3.set_ylim(mid[1] - span, mid[1] + span)
    ax3.set_zlim(mid[2] - span, mid[2] + span)
    ax3.set_xlabel("X (mm)")
    ax3.set_ylabel("Z depth (mm)")
    ax3.set_zlabel("-Y up (mm)")
    ax3.set_title("3D joints, root-relative")
    return _save(fig, path)


def axis_label(metric: str, rows: Sequence[dict[str, Any]]) -> str:
    """``MPJPE (mm, lower is better)`` from the comparison rows' declaration."""
    if not rows:
        return metric
    unit = rows[0].get("unit", "mm")
    direction = "higher is better" if rows[0].get("higher_is_better") else "lower is better"
    return f"{metric} ({unit + ', ' if unit else ''}{direction})"


def cdf_plot(errors: dict[str, np.ndarray], metric: str, path: Path, unit: str = "mm") -> Path:
    """Cumulative distribution of the per-sample headline of each run (one curve per run)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for label, values in errors.items():
        ordered = np.sort(np.asarray(values, dtype=np.float64))
        ax.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post", label=label)
    ax.set_xlabel(f"per-sample {metric}" + (f" ({unit})" if unit else ""))
    ax.set_ylabel("fraction of samples")
    ax.set_ylim(0, 1.0)
    ax.set_title(f"Distribution of per-sample {metric}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def joint_plot(rows: Sequence[dict[str, Any]], metric: str, path: Path) -> Path:
    """Per-joint errors, one bar per run side by side."""
    plt = _pyplot()
    joints: list[str] = []
    for row in rows:
        joints += [j for j in row["per_joint"] if j not in joints]
    width = 0.8 / max(1, len(rows))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.55 * len(joints) * max(1, len(rows)) ** 0.5), 4.5))
    x = np.arange(len(joints))
    for k, row in enumerate(rows):
        heights = [row["per_joint"].get(j, np.nan) for j in joints]
        ax.bar(x + (k - (len(rows) - 1) / 2) * width, heights, width, label=row["label"])
    ax.set_xticks(x, joints, rotation=45, ha="right")
    ax.set_ylabel(axis_label(metric, rows))
    ax.set_title(f"{metric} per joint")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def worst_frames_plot(frames: Sequence[dict[str, Any]], skeleton: Sequence[tuple[int, int]], title: str, path: Path) -> Path:
    """One row per frame: prediction (colour) and ground truth (grey) over the image crop, and in 3D.

    Each frame: ``crop`` (BGR image or None), ``pred_2d``/``gt_2d`` (J, 2) crop pixels,
    ``pred_3d``/``gt_3d`` (J, 3) root-relative mm, ``caption``.
    """
    plt = _pyplot()
    fig = plt.figure(figsize=(10, 4.2 * len(frames)))
    for i, frame in enumerate(frames):
        ax2 = fig.add_subplot(len(frames), 2, 2 * i + 1)
        if frame["crop"] is not None:
            ax2.imshow(frame["crop"][:, :, ::-1])
        else:
            ax2.text(0.5, 0.5, "image not found", ha="center", va="center", transform=ax2.transAxes)
        for name, joints, color in (("ground truth", frame["gt_2d"], "0.6"), ("prediction", frame["pred_2d"], "tab:red")):
            for a, b in skeleton:
                ax2.plot(joints[[a, b], 0], joints[[a, b], 1], color=color, linewidth=2)
            ax2.scatter(joints[:, 0], joints[:, 1], s=8, color=color, label=name, zorder=3)
        if frame["crop"] is None:
            ax2.invert_yaxis()
        ax2.set_axis_off()
        ax2.set_title(frame["caption"], fontsize=9)
        if i == 0:
            ax2.legend(fontsize=8, loc="lower left")
        ax3 = fig.add_subplot(len(frames), 2, 2 * i + 2, projection="3d")
        for joints, color in ((frame["gt_3d"], "0.6"), (frame["pred_3d"], "tab:red")):
            xs, ys, zs = joints[:, 0], joints[:, 2], -joints[:, 1]  # camera X right, Y down, Z forward
            for a, b in skeleton:
                ax3.plot(xs[[a, b]], ys[[a, b]], zs[[a, b]], color=color, linewidth=2)
            ax3.scatter(xs, ys, zs, s=6, color=color)
        both = np.concatenate([frame["gt_3d"], frame["pred_3d"]])
        span = float(max(np.ptp(both, axis=0).max(), 1.0)) / 2
        mid = (both.max(axis=0) + both.min(axis=0)) / 2
        ax3.set_xlim(mid[0] - span, mid[0] + span)
        ax3.set_ylim(mid[2] - span, mid[2] + span)
        ax3.set_zlim(-mid[1] - span, -mid[1] + span)
        ax3.set_xlabel("X (mm)", fontsize=7)
        ax3.set_ylabel("Z (mm)", fontsize=7)
        ax3.set_zlabel("-Y (mm)", fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def training_plot(steps: Sequence[dict[str, Any]], evaluations: Sequence[dict[str, Any]], title: str, path: Path) -> Path:
    """Loss per step (with a moving average), the learning rate, and the test error of each evaluation."""
    plt = _pyplot()
    fig, (ax_loss, ax_lr) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"wspace": 0.45})
    x = np.array([s["step"] for s in steps], dtype=np.float64)
    loss = np.array([s["loss"] for s in steps], dtype=np.float64)
    ax_loss.plot(x, loss, color="tab:blue", alpha=0.35, linewidth=1, label="loss")
    window = max(1, len(loss) // 20)
    if window > 1:
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
        ax_loss.plot(x[window - 1 :], smooth, color="tab:blue", linewidth=2, label=f"mean of {window} steps")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("training loss")
    ax_loss.grid(alpha=0.3)
    if evaluations:
        per_epoch = len(steps) / max(1, len({s["epoch"] for s in steps}))
        ax_eval = ax_loss.twinx()
        ex = [(e["epoch"] + 1) * per_epoch for e in evaluations]
        first = evaluations[0]["eval"]
        totals = [e["eval"].get("total", e["eval"].get("total_mm")) for e in evaluations]
        ax_eval.plot(ex, totals, "o-", color="tab:red", label="test result")
        unit = first.get("unit", "mm")
        ax_eval.set_ylabel(f"test {first.get('metric', 'result')}" + (f" ({unit})" if unit else ""), color="tab:red")
    ax_loss.legend(fontsize=8, loc="upper right")
    ax_lr.plot(x, [s["lr"] for s in steps], color="tab:green")
    ax_lr.set_xlabel("step")
    ax_lr.set_ylabel("learning rate")
    ax_lr.grid(alpha=0.3)
    fig.suptitle(title)
    return _save(fig, path)


__all__ = ["cdf_plot", "comparison_plot", "joint_plot", "pose_plot", "training_plot", "worst_frames_plot"]
