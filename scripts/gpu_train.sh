#!/usr/bin/env bash
# A training on a lent GPU machine that reaches no registry, inside one command's time limit.
#
# Carried beside the repository: .pack/train (`trackprop data pack --split train --out
# .pack/train`, 13 MiB) and .whl (the wheel of segmentation-models-pytorch; torch, timm and
# OpenCV are there). There it composites fresh train videos from the pack on every core, trains
# NETWORK from the shipped checkpoint for the time left (`--minutes`, so the schedule ends
# annealed inside the limit), and leaves the fp16 checkpoint and its log in $OUT.
#
#   NETWORK=propagation|first|refine  BUDGET=seconds for the whole script  SEED=synth seed
set -u
started=$(date +%s)
BUDGET=${BUDGET:-580}
NETWORK=${NETWORK:-propagation}
SEED=${SEED:-7000}
VIDEOS=${VIDEOS:-600}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-/tmp/gpu_out}
WORK=${WORK:-/tmp/gpu_work}
PYTHON=${PYTHON:-python3}
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc obeys OMP_NUM_THREADS
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1  # one core per process: the workers take the rest
mkdir -p "$OUT" "$WORK"
if ls .whl/*.whl >/dev/null 2>&1; then
  $PYTHON -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
fi
stamp() { echo "$(($(date +%s) - started)) s: $*" | tee -a "$OUT/steps.txt"; }
entry='import sys; from trackprop.cli import main; sys.exit(main())'  # not installed there
trackprop() { $PYTHON -c "$entry" "$@"; }
nvidia-smi --query-gpu=name,memory.total --format=csv >"$OUT/gpu.txt" 2>&1
stamp "start on $cores cores"
[ -d "$WORK/train" ] || trackprop data synth --cache .pack/train --out "$WORK/train" --videos "$VIDEOS" --frames 30 \
  --seed "$SEED" --split train --cartoon-objects 0.3 --workers "$cores" || exit 1
[ -d "$WORK/val" ] || trackprop data synth --cache .pack/train --out "$WORK/val" --videos 12 --frames 30 --seed 500 \
  --split train --workers "$cores" || exit 1
stamp "synthesised"
# What follows the schedule: loading, validation, saving, the ONNX export (not needed here).
left=$((BUDGET - ($(date +%s) - started) - 75))
minutes=$($PYTHON -c "print(max($left, 30) / 60)")
case $NETWORK in
  propagation) command=(train propagation --init trackprop/weights/propagation.pt --lr 5e-4 --size 192) ;;
  first) command=(train interaction --round first --init trackprop/weights/interaction_first.pt --lr 3e-4 --size 192) ;;
  refine) command=(train interaction --round refine --init trackprop/weights/interaction_refine.pt --lr 2e-4 --size 320) ;;
  *) echo "NETWORK: propagation, first or refine" >&2; exit 2 ;;
esac
timeout $((left + 90)) $PYTHON -c "$entry" \
  "${command[@]}" --data "$WORK/train" --val "$WORK/val" --val-split train \
  --out "$WORK/$NETWORK.pt" --steps 1000000 --batch 32 --workers $((cores > 2 ? cores - 2 : 0)) \
  --minutes "$minutes" --threads 2 --device "$DEVICE" 2>&1 | tr '\r' '\n' >"$OUT/train.txt"
stamp "trained ($minutes min schedule)"
cp "$WORK/$NETWORK.pt" "$WORK/$NETWORK.log" "$OUT/" 2>/dev/null
stamp "done"
