#!/usr/bin/env bash
# Installs everything the test suite needs on Debian 12 as root. Idempotent: a second run only
# checks. apt packages: Chromium (Playwright's browser and SwiftShader's Vulkan ICD), PostgreSQL
# (the scale-out database the tests run against), Debian's scipy/skimage/nibabel (goldens, peers),
# python3-torch (the U-Net recipe's export test: training/unet).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(chromium libvulkan1 postgresql python3-scipy python3-skimage python3-nibabel python3-numpy python3-torch)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-test: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Vulkan for Dawn in Node: Debian 12's lavapipe (Mesa 22) is rejected by Dawn; Mesa 25's from
# bookworm-backports works (ICD /usr/share/vulkan/icd.d/lvp_icd.json).
if [ ! -f /usr/share/vulkan/icd.d/lvp_icd.json ]; then
  echo "setup-test: Mesa 25 lavapipe from bookworm-backports"
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 >/dev/null
fi

# npm dependencies: `npm ci` unless node_modules already matches package-lock.json.
stamp=node_modules/.tessera-lock.sha256
want=$(sha256sum package-lock.json | cut -c1-64)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup-test: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
else
  echo "setup-test: node_modules up to date"
  node scripts/prisma-generate.mjs
fi
