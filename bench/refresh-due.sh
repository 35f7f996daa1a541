#!/usr/bin/env bash
# The old tooling's `refresh`, for comparison only: jq reads the refresh token, curl
# POSTs it (from stdin, never in argv), jq adds the two dates, mv replaces the file.
set -euo pipefail
file=$HH_TOKEN_FILE
exp=$(jq -r '.expires_at // empty' "$file")
if [ -n "$exp" ] && [ "$(date -d "$exp" +%s)" -gt "$(date +%s)" ]; then
  echo "not due: valid until $exp" >&2
  exit 0
fi
response=$(jq -j .refresh_token "$file" | curl -sS --fail-with-body -X POST \
  -H "User-Agent: $HH_USER_AGENT" -H "HH-User-Agent: $HH_USER_AGENT" \
  --data-urlencode grant_type=refresh_token --data-urlencode refresh_token@- "$HH_TOKEN_URL")
now=$(date -u +%s)
temp=$(mktemp "$file.XXXXXX")
jq --arg now "$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%S.000Z)" --argjson t "$now" \
  '. + {obtained_at: $now, expires_at: (($t + .expires_in) | todate | sub("Z$"; ".000Z"))}' <<<"$response" >"$temp"
sync "$temp"
mv "$temp" "$file"
