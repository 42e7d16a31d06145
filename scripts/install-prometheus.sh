#!/usr/bin/env bash
# Installs a real Prometheus server and promtool (Debian package `prometheus`) for the
# connector tests (test/helpers/prometheus-server.ts). Idempotent: does nothing when both
# binaries are already on PATH. Progress goes to stderr.
set -euo pipefail

log() { echo "install-prometheus: $*" >&2; }

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  log "already installed: $(command -v prometheus)"
  exit 0
fi

command -v apt-get >/dev/null || { log "apt-get not found: install Prometheus (prometheus and promtool) by hand"; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

log "installing the Debian package prometheus"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update >&2
# --no-install-recommends: the exporters and web console extras are not needed for tests.
$sudo apt-get install -y --no-install-recommends prometheus >&2
# The package starts a system service where an init system runs; tests start their own server.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  $sudo systemctl stop prometheus || true
fi
log "installed: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n1))"
