#!/usr/bin/env bash
# The agency API against its own OpenAPI document (issue 15): schemathesis
# generates requests from the document the server serves
# (/api/v1/openapi.json), sends them to `panke serve --demo`, and fails on
# any finding: a 5xx, a status code, content type or body the document does
# not describe, a schema-valid request refused or an invalid one accepted,
# a created resource not found, an operation that ignores its key, ...
#
#   .ci/schemathesis.sh target/debug/panke
#
# Bounded: at most $PANKE_ST_EXAMPLES (50) test cases per operation and
# phase, with a fixed seed ($PANKE_ST_SEED), so a red run is reproduced by
# running the script again; set another seed to explore further. The
# settings (keys per security scheme, test data, stateful links) are in
# .ci/schemathesis.toml, the hooks in .ci/schemathesis_hooks.py.
# PANKE_ST_SPEC=static/openapi.json checks an edited document against the
# binary without rebuilding it (CI checks the served one).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:?usage: .ci/schemathesis.sh path/to/panke}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
examples="${PANKE_ST_EXAMPLES:-50}"
seed="${PANKE_ST_SEED:-20261115}"
version="4.32.5"
venv="${PANKE_ST_VENV:-target/schemathesis-venv}"

# schemathesis in its own virtualenv (kept under target/ between runs).
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free port, and a copy of the configuration serving on it; the demo's
# database and secrets are written under the temporary directory.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
cp -r kiosk-config "$work/kiosk-config"
sed -i -e "s|^listen = .*|listen = \"127.0.0.1:$port\"|" -e "s|^public_url = .*|public_url = \"$base\"|" \
  "$work/kiosk-config/panke.toml"
(cd "$work" && NO_COLOR=1 exec "$bin" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1) &
server=$!

for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "$base/health" 2>/dev/null && grep -q "developer API key" "$work/serve.log"; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$work/serve.log"; echo "schemathesis: panke serve --demo exited" >&2; exit 1; fi
  sleep 0.5
done
agency_key="$(grep -o 'agency API key (shown once): pk_[a-z0-9]*' "$work/serve.log" | grep -o 'pk_[a-z0-9]*' || true)"
developer_key="$(grep -o 'developer API key (shown once): pd_[a-z0-9]*' "$work/serve.log" | grep -o 'pd_[a-z0-9]*' || true)"
if [ -z "$agency_key" ] || [ -z "$developer_key" ]; then
  cat "$work/serve.log"
  echo "schemathesis: the demo printed no agency or developer key" >&2
  exit 1
fi
export PANKE_AGENCY_KEY="$agency_key" PANKE_DEVELOPER_KEY="$developer_key"
# Hypothesis' own files (caches) go to the temporary directory, not the work tree.
export HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"

# Every check (`--checks all`); none is excluded. One run covers both
# kinds of key: the configuration gives each security scheme its key.
# --generation-database none: no examples carried over from an earlier
# run, so the seed alone decides what is sent.
status=0
if [ -n "${PANKE_ST_SPEC:-}" ]; then spec=("$PANKE_ST_SPEC" --url "$base"); else spec=("$base/api/v1/openapi.json"); fi
"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml --no-color run "${spec[@]}" \
  --checks all \
  --max-examples "$examples" \
  --seed "$seed" \
  --workers 1 \
  --generation-database none \
  --request-timeout 30 \
  --wait-for-schema 30 || status=$?
if [ "$status" -ne 0 ]; then
  echo "== panke serve --demo log (tail)"
  tail -n 40 "$work/serve.log"
  echo "schemathesis: findings (exit $status); reproduce with: .ci/schemathesis.sh $1 (seed $seed)" >&2
fi
exit "$status"
