#!/usr/bin/env bash
# The CUDA paths once, on a machine with an NVIDIA GPU and cnp installed (README "On CUDA").
# Usage: bash benchmarks/cuda_check.sh [RESULTS_DIR]     (PY=python3 by default)
# - `cnp eval --demo` for M, L and XS on CUDA (optimised and literal) against the CPU: the largest
#   difference over the total and the per-action numbers;
# - `cnp benchmark` on CUDA; `cnp predict` on CUDA against the CPU;
# - `cnp train --amp`, torchrun (NCCL) and `cnp eval --model-dir` on its snapshots.
set -u
export PYTHONUNBUFFERED=1
PY=${PY:-python3}
RES=$(realpath -m "${1:-cuda_check}")
export CNP_CACHE_DIR=${CNP_CACHE_DIR:-$RES/cache} RES
W=$RES/work
rm -rf "$W" && mkdir -p "$RES" "$W" && cd "$W" || exit 1
CNP="$PY -m cnp_cli"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
$PY -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name())" || exit 1
for v in M L XS; do
  $CNP eval --variant "$v" --demo --device cuda --json >"$RES/${v}_opt.json" 2>/dev/null || echo "eval $v on cuda failed"
  $CNP eval --variant "$v" --demo --device cuda --no-optimize --json >"$RES/${v}_literal.json" 2>/dev/null || echo "eval $v literal on cuda failed"
  $CNP eval --variant "$v" --demo --device cpu --json >"$RES/${v}_cpu.json" 2>/dev/null || echo "eval $v on cpu failed"
done
$PY - <<'PY'
import json, os
res = os.environ["RES"]
for v in ("M", "L", "XS"):
    r = {k: json.load(open(f"{res}/{v}_{k}.json"))[0] for k in ("opt", "literal", "cpu")}
    for k in ("opt", "literal"):
        pairs = zip(r[k]["per_action_mm"].values(), r["cpu"]["per_action_mm"].values())
        d = max([abs(r[k]["total_mm"] - r["cpu"]["total_mm"])] + [abs(a - b) for a, b in pairs if a is not None])
        print(f"{v} {k}: max |cuda - cpu| over total and per-action = {d:.2e} mm")
PY
$CNP benchmark --variant XS,M,L --batch-size 1,16,64 --device cuda --json >"$RES/bench.json" 2>/dev/null
$PY - <<'PY'
import json, os
for r in json.load(open(os.environ["RES"] + "/bench.json")):
    for mode, rows in r["modes"].items():
        print(r["variant"], mode, "images/s by batch:", {x["batch_size"]: x["images_per_s"] for x in rows})
PY
IMG=$(find "$CNP_CACHE_DIR/demo" -name '*.jpg' | head -1)
CK=$(find "$CNP_CACHE_DIR/demo" -name 'ConvNeXtPose_M.tar' | head -1)
for d in cuda cpu; do
  $CNP predict "$IMG" --variant M --checkpoint "$CK" --device $d --json >"$RES/predict_$d.json" 2>/dev/null || echo "predict on $d failed"
done
$PY -c "
import json, os, numpy as np
a, b = (np.array(json.load(open(os.environ['RES'] + f'/predict_{d}.json'))['joints_3d_mm']) for d in ('cuda', 'cpu'))
print(f'predict: max |cuda - cpu| = {np.abs(a - b).max():.2e} mm')
"
$CNP data synth "$W/h36m" --train --frames 4 --cameras 1 --subactions 1 --force >/dev/null
$CNP train --variant XS --data-dir "$W/h36m" --output "$W/amp" --epochs 2 --batch-size 16 --warmup-epochs 0.5 \
  --device cuda --amp --eval-every 1 --json >"$RES/train_amp.json" 2>"$RES/train_amp.log" && echo "train --amp: ok" || echo "train --amp failed"
$PY -m torch.distributed.run --standalone --nproc-per-node 1 -m cnp_cli train --variant XS --data-dir "$W/h36m" \
  --output "$W/ddp" --epochs 1 --batch-size 16 --warmup-epochs 0.5 --device cuda --amp >/dev/null 2>"$RES/ddp.log" \
  && echo "torchrun (nccl): ok" || echo "torchrun failed"
$CNP eval --model-dir "$W/amp" --epochs 1 --variant XS --data-dir "$W/h36m" --device cuda --json >"$RES/eval_snapshots.json" 2>/dev/null \
  && echo "eval --model-dir: ok" || echo "eval --model-dir failed"
