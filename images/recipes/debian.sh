#!/bin/bash
# debian: plain Debian 12 (PURE_OS) with cloud-init from yun's metadata service and SSH.
. "$(dirname "$0")/../lib/base.sh"
image_begin "$@"
manifest blueprint_type PURE_OS
manifest display_name "Debian 12"
manifest description "Debian 12 (bookworm) minimal system: systemd, OpenSSH, cloud-init reading yun's metadata service"
manifest required_memory_mib 512
manifest app_port 22
manifest ready_path "tcp:22"
manifest scene "os"
manifest version "12"
image_end
