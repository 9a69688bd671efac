#!/usr/bin/env bash
# Real TestRail clients, unmodified, against `trailstore serve`: testrail-api, trcli (parse_junit),
# the pytest-testrail plugin, and curl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --quiet --bin trailstore
venv=target/clients-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/clients
