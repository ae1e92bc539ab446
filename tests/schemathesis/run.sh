#!/usr/bin/env bash
# Schemathesis against `dokku-pro-api serve --sim`, twice, with the checks for server errors,
# status code, content type and response schema conformance:
#
# 1. the seed: every operation of the seed document. The only deviations it accepts are the
#    documented additions of spec/contract-diff.txt, merged into the seed from the served document
#    by merge_additions.py;
# 2. the served document, as the running server serves it at /@api/openapi.json: the seed's
#    operations as served and our extensions (the reference page, the job queue, its event
#    stream, ...), which is what clients and tools generated from it read.
#
# Zero failures in both is the bar.
#
# Builds nothing: it runs target/debug/dokku-pro-api (built by `cargo test --workspace`) and the
# schemathesis of target/schemathesis-venv (created by .ci/run from requirements.txt). Override
# with DOKKU_PRO_API_BIN and SCHEMATHESIS_VENV; SCHEMATHESIS_MAX_EXAMPLES (default 50) sets the
# cases per operation. Extra arguments go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

bin=${DOKKU_PRO_API_BIN:-$root/target/debug/dokku-pro-api}
venv=${SCHEMATHESIS_VENV:-$root/target/schemathesis-venv}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
# Deterministic generation (the same cases on every run, so a failure found in CI is found again
# on a laptop and nothing flakes); SCHEMATHESIS_SEED=N explores other cases instead.
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  generation=(--seed "$SCHEMATHESIS_SEED")
else
  generation=(--generation-deterministic)
fi

if [ ! -x "$bin" ]; then
  echo "no $bin: build it first (cargo build -p dokku-pro-server, or cargo test --workspace)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "no schemathesis in $venv: python3 -m venv $venv && $venv/bin/pip install -r tests/schemathesis/requirements.txt" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dokku-pro-schemathesis.XXXXXX")
server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the server picks a free port and prints the URL it listens on.
"$bin" serve --sim --bind 127.0.0.1:0 --data-dir "$work/data" --log-level warn \
  >"$work/server.out" 2>"$work/server.log" &
server_pid=$!

base=
for _ in $(seq 1 300); do
  base=$(sed -n 's/^dokku-pro-api listening on \(http:[^ ]*\).*/\1/p' "$work/server.log")
  [ -n "$base" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited at start:" >&2
    cat "$work/server.out" "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "the server did not say where it listens within 30 s" >&2
  exit 1
fi
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/health" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "$base/health"

# A bearer token through POST /tokens with the initial admin password.
password=$(cat "$work/data/initial-admin-password")
token=$(curl -fsS -u "admin:$password" -X POST "$base/tokens" |
  "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["id"])')

# Fixtures named like the seed's examples (node-js-app, lollipop, ...), and hooks that steer most
# of the generated ids toward them: the examples and coverage phases start from those values, and
# the hooks do the same for fuzzing and stateful, so cases reach the code behind the not-found
# checks instead of answering 404 every time. See hooks.py.
export DOKKU_PRO_ST_BASE=$base DOKKU_PRO_ST_TOKEN=$token
# POST /tokens logs in with the password (see schemathesis.toml).
DOKKU_PRO_ST_BASIC=$(printf 'admin:%s' "$password" | base64 -w0)
export DOKKU_PRO_ST_BASIC
export PYTHONPATH=$root/tests/schemathesis SCHEMATHESIS_HOOKS=hooks PYTHONDONTWRITEBYTECODE=1
"$venv/bin/python" -c 'import hooks; hooks.create_fixtures()'

"$venv/bin/python" tests/schemathesis/merge_additions.py \
  spec/dokku-pro.openapi.yaml spec/generated/dokku-pro.json "$work/seed.json"
# The document the running server serves, as clients and tools read it: the seed's operations as
# served plus our extensions (the reference page, the job queue and its event stream, ...).
curl -fsS -o "$work/served.json" "$base/openapi.json"

status=0
summary=()
# run_schemathesis LABEL SCHEMA [extra arguments]: one run, its failures and its case count.
run_schemathesis() {
  local label=$1 schema=$2
  shift 2
  local command=(
    "$venv/bin/schemathesis" --config-file tests/schemathesis/schemathesis.toml
    run "$schema"
    --url "$base"
    --header "Authorization: Bearer $token"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
    --max-examples "$max_examples"
    "${generation[@]}"
    --workers 1
    --no-color
    "$@"
  )
  echo "+ ${command[*]//$token/\$TOKEN}"
  set +e
  "${command[@]}" 2>&1 | tee "$work/schemathesis-$label.out"
  local run_status=${PIPESTATUS[0]}
  set -e
  local cases
  cases=$(sed -n '/^Test cases:/{n;s/^ *//;p;}' "$work/schemathesis-$label.out")
  echo "schemathesis test cases ($label document): ${cases:-none reported}"
  summary+=("$label: ${cases:-none reported}")
  if [ "$run_status" -ne 0 ]; then
    status=1
  fi
  # Schemathesis only warns when operations saw nothing but 401/403; here that means the run's
  # token died during the run and those operations were never exercised: a failure.
  if grep -q 'Authentication failed' "$work/schemathesis-$label.out"; then
    echo "schemathesis ($label document): operations answered only 401/403; the run's token did not last the run" >&2
    status=1
  fi
}

run_schemathesis seed "$work/seed.json" "$@"
run_schemathesis served "$work/served.json" "$@"
echo "schemathesis test cases by document:"
printf '  %s\n' "${summary[@]}"

server_status=0
kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" || server_status=$?
server_pid=
if [ "$server_status" -ne 0 ]; then
  echo "the server exited with status $server_status on SIGTERM; its log:" >&2
  tail -n 50 "$work/server.log" >&2
  status=1
fi
if grep -n 'panicked' "$work/server.log" >&2; then
  echo "the server panicked during the run (above)" >&2
  status=1
fi
exit "$status"
