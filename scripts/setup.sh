#!/usr/bin/env bash
# Installs what yun needs on Debian 12, only what is missing: build tools and libraries,
# QEMU and guest-image tools, the object-store test clients, and the npm packages of the tests.
# Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential clang clang-format pkg-config
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libssl-dev libargon2-dev libcurl4-openssl-dev
  libexpat1-dev zlib1g-dev libcmocka-dev libisal-dev libpq-dev postgresql-15 libmnl-dev libnftables-dev
  wrk curl sqlite3
  qemu-system-x86 qemu-utils lz4 cpio kmod e2fsprogs binutils openssh-client iproute2 nftables iputils-ping procps strace
  debootstrap util-linux bc
  awscli s3cmd rclone python3-boto3 nginx-light jq
  chromium fonts-wqy-microhei
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from Debian or from NodeSource (whose nodejs bundles npm): check the commands
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages of the test clients, pinned by package-lock.json
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# the web console's build tools and libraries, pinned by console/package-lock.json (make console builds it)
if [ ! -d console/node_modules ] || [ console/package-lock.json -nt console/node_modules/.package-lock.json ]; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
fi
