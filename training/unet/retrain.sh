#!/usr/bin/env bash
# Retrain one bundled U-Net from scratch: generate data → train → export (ONNX + card, engine-checked).
#   training/unet/retrain.sh nuclei|cells [iters (nuclei 12000, cells 4000)] [out-dir]
# Env: SEED (default 1), COUNT (generated volumes; default 120 nuclei / 80 cells), THREADS (default 2),
#      DATA (generated-data folder; default /tmp/tessera-train/<kind>).
set -euo pipefail
KIND=${1:?usage: retrain.sh nuclei|cells [iters] [out-dir]}
OUT=${3:-training/unet/runs/$KIND}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
if [ "$KIND" = nuclei ]; then COUNT=${COUNT:-120}; ITERS=${2:-12000}; else COUNT=${COUNT:-80}; ITERS=${2:-4000}; fi
DATA=${DATA:-/tmp/tessera-train/$KIND}
cd "$(dirname "$0")/../.."
if [ ! -f "$DATA/manifest.json" ]; then
  npx tessera generate-training-data --kind "$KIND" --count "$COUNT" --out "$DATA" --seed "$SEED"
fi
/usr/bin/python3 training/unet/train.py --kind "$KIND" --data "$DATA" --out "$OUT" --iters "$ITERS" --seed "$SEED" --threads "$THREADS"
# nuclei: the instance step is also tuned on the generated training volumes (cells: the real training half decides)
GEN_TUNE=(); if [ "$KIND" = nuclei ]; then GEN_TUNE=(--generated "$DATA"); fi
/usr/bin/python3 training/unet/tune_postprocess.py --checkpoint "$OUT/model.pt" --json "$OUT/tuned.json" "${GEN_TUNE[@]}"
/usr/bin/python3 training/unet/export.py --checkpoint "$OUT/model.pt" --tuned "$OUT/tuned.json" --out "$OUT/export"
