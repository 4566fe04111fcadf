#!/usr/bin/env bash
# The issue #5 real-GPU check (bench/unet-devices.ts) on a lent device machine, which has no Node
# and no registry: `pack` (here) fills .dev/ (git-ignored through .git/info/exclude) with what it
# needs; `run` (there, from the repo root, with `.dev` carried) unpacks and runs it.
#   bash bench/device/unet-devices.sh pack
#   device run: bash bench/device/unet-devices.sh run        (results in $OUT/unet-devices-h200.{md,json})
# .dev/ = the esbuild bundle of bench/unet-devices.ts, node (xz), the native parts of webgpu (Dawn)
# and onnxruntime-node, the Vulkan/GL loader debs the NVIDIA ICD needs, and the two real crops.
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
pack)
  grep -qx '/.dev/' .git/info/exclude 2>/dev/null || echo /.dev/ >> .git/info/exclude
  mkdir -p .dev/data/cells/plantseg
  cp ../shared/data/cells/plantseg/*.nii.gz .dev/data/cells/plantseg/
  npx esbuild bench/unet-devices.ts --bundle --platform=node --format=esm --target=node20 \
    --outfile=.dev/unet-devices.mjs --external:webgpu --external:onnxruntime-node \
    --banner:js="import {createRequire as __cr} from 'module'; const require = __cr(import.meta.url);"
  (cd node_modules && tar cf - webgpu/package.json webgpu/index.js webgpu/dist/linux-x64 onnxruntime-node/package.json \
    onnxruntime-node/dist onnxruntime-node/bin/napi-v6/linux/x64 onnxruntime-common) | xz -T0 -6 > .dev/nm.tar.xz
  [ -f .dev/node.xz ] || xz -T0 -6 -c "$(command -v node)" > .dev/node.xz
  (cd .dev && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  du -sh .dev ;;
run)
  OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
  for f in .dev/*.deb; do dpkg -x "$f" /; done; ldconfig
  mkdir -p /tmp/nodebin && xz -dc .dev/node.xz > /tmp/nodebin/node && chmod +x /tmp/nodebin/node
  mkdir -p node_modules && tar xJf .dev/nm.tar.xz -C node_modules
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$icd" ]; then export VK_ICD_FILENAMES=$icd; fi
  nvidia-smi -L 2>/dev/null || true
  /tmp/nodebin/node .dev/unet-devices.mjs --data .dev/data --reps "${REPS:-3}" ${ARGS:-} \
    --out "$OUT/unet-devices-h200.md" --json "$OUT/unet-devices-h200.json" 2>&1 | grep -v 'artificially reduced' | tee "$OUT/log.txt" ;;
*) echo "usage: $0 pack|run" >&2; exit 2 ;;
esac
