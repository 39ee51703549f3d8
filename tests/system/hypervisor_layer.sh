#!/bin/bash
# The control plane never knows it is QEMU (docs/architecture.md, like libvirt's driver tables): outside
# src/host no code speaks QMP, runs a qemu tool, names the QEMU driver's table or the files of its run
# directory. Everything reaches the hypervisor through hv_driver() (src/host/hypervisor.h). No yund runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
pattern='host/qmp\.h|\bqmp_[a-z_]+\(|\bqemu_ops\b|"qemu-(img|system|io)|qmp\.sock|serial\.(log|sock)|qemu\.pid|hv\.pid'
bad=$(grep -rnE "$pattern" src --include='*.c' --include='*.h' | grep -v '^src/host/')
if [ -n "$bad" ]; then
    echo "FAIL: the hypervisor is reached around its driver table:"
    echo "$bad"
    exit 1
fi
# the check can fail: the driver itself matches
grep -qE "$pattern" src/host/qemu.c || { echo "FAIL: the pattern no longer matches the QEMU driver"; exit 1; }
echo "ok: only src/host speaks to QEMU"
