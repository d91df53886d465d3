#!/usr/bin/env bash
# Debian packages the tests need: nats-server (real NATS in integration tests), glpk-utils and
# coinor-cbc (independent re-solves of exported LP files), chromium (report.html drawn in a headless
# browser). Installs only what is missing.
set -euo pipefail
need=()
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v glpsol >/dev/null 2>&1 || need+=(glpk-utils)
command -v cbc >/dev/null 2>&1 || need+=(coinor-cbc)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
