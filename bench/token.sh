#!/usr/bin/env bash
# The old tooling's way to get the access token for a script, for comparison only.
set -euo pipefail
jq -r .access_token "$HH_TOKEN_FILE"
