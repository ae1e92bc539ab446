#!/usr/bin/env bash
# record.sh: run every Dokku command the server uses against a real, freshly installed Dokku and
# write what it printed into the fixtures next to this script (dokku-<version>/<scenario>.json).
#
# usage (as root):  server/sim/tests/recordings/record.sh [SCENARIO...]
#
# The fixtures are what the simulator's fidelity test (server/sim/tests/sim/recordings.rs) and the
# parsers' tests (server/src/host/parse/recorded.rs) replay, so a divergence from real Dokku fails
# a test. Re-run this script when Dokku or a plugin version changes, or when the server starts
# using a new command (add it to a scenario below), and review the diff.
#
# Why a private Dokku: the scenarios need states such as "no apps at all" and "no global domain",
# and re-running must give the same fixtures. A Dokku shared with other tests cannot promise
# either, so the script keeps its own instance built by the real-dokku scripts: it is set up once
# (setup.sh, about 3 to 4 minutes), copied aside as a pristine snapshot, and every run starts from
# a fresh copy of that snapshot, serves it on its own port, records, and stops it again.
#
# Environment (all optional):
#   REAL_DOKKU_DIR   the real-dokku scripts (setup.sh, start.sh, stop.sh, seed-postgres.sh);
#                    default ../shared/real-dokku next to the repository
#   REC_DOKKU_DIR    where the private instance lives (root/, build/, pristine/);
#                    default /srv/dokku-rec
#   REC_DOKKU_PORT   its sshd port on 127.0.0.1; default 2231
#
# What a fixture holds, per step: argv (after `dokku`), whether it ran as root (the root login:
# `ssh-keys:add/remove`), stdin (test data only), stdout, stderr and the exit status, plus an
# optional note saying what the step shows. Some steps are no Dokku command: `seed` writes a
# postgres service the way `postgres:create` would and `unseed` removes it (the test host has
# no Docker to create or destroy one); `hold_deploy_lock` and `release_deploy_lock` start and
# stop another deploy of the app (a process holding its deploy lock).
#
# Normalised (only what differs between two runs on fresh hosts), in stdout and stderr alike:
#   <created-at>         an app's creation time (apps:report)
#   <random-port>        the proxy port apps:create picks when vhosts are off ("Random port N")
#   <admin-fingerprint>  the SHA256 fingerprint of this instance's admin key (made by setup.sh)
#   <admin-public-key>   that key's public line ("ssh-ed25519 AAAA... real-dokku-admin")
# Everything else is kept byte for byte, including output that only this test environment
# prints (nginx is not running, Docker is a stub); the fidelity test says which it ignores.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../../.." && pwd)"
REAL_DOKKU_DIR="${REAL_DOKKU_DIR:-$REPO/../shared/real-dokku}"
REC="${REC_DOKKU_DIR:-/srv/dokku-rec}"
PORT="${REC_DOKKU_PORT:-2231}"
ROOT="$REC/root"
BUILD="$REC/build"
PRISTINE="$REC/pristine"
SSH_CONFIG="$BUILD/ssh/ssh_config"
# The seeded service's password: fixed test data, so the DSN it shows is the same every run.
SEED_PASSWORD="5ca1ab1e0ddba11c0ffeec0de5eed001"
# Two committed test keys for ssh-keys:add (their fingerprints are stable).
KEY_ALICE="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS alice@example"
KEY_BOB="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDqoJvV7S4zOMeGFjljjM53wsR4o9EqgYR0x0Ef1fOgONlxMMssmBJytXwZXAZuSRALyTuR1kdDhvZt1VxCNH3jQXHuuCHWhlxCOQ65YAy9PHLxvG5RHegN2P3wPkuVZj8x3KD1bJSY7lE6c43E3HXGwlABaIaBjGnCcMFg69LdFzxxr8ipeep6hlZOKOy8u/RL91H0mE7nbpsAa61LPFwZinIdRZdeEgoFTrj1U4NNvso3v76I7sINP2hkXdsgbTdiLrn/AAAkKioBfkZ72Fn8/wd+Kesn5IabKwCd+vYLP/koRrHhMlFXsslRd2eWwYHBgygWwRiHimAThEo2c0W5 bob"

die() { echo "record.sh: ERROR: $*" >&2; exit 1; }
info() { echo "record.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (it copies and starts a Dokku chroot)"
for f in setup.sh start.sh stop.sh seed-postgres.sh; do
  [ -x "$REAL_DOKKU_DIR/$f" ] || die "$REAL_DOKKU_DIR/$f not found: set REAL_DOKKU_DIR to the real-dokku scripts"
done
command -v jq >/dev/null || die "jq is required"
command -v ssh-keygen >/dev/null || die "ssh-keygen is required"

export DOKKU_CHROOT="$ROOT" DOKKU_BUILD="$BUILD" DOKKU_SSH_PORT="$PORT"

# ---- the private instance ------------------------------------------------------------------
if [ ! -d "$PRISTINE" ]; then
  info "setting up the private Dokku in $REC (once; a few minutes)"
  "$REAL_DOKKU_DIR/stop.sh" >/dev/null 2>&1 || true
  "$REAL_DOKKU_DIR/setup.sh" >&2
  cp -a "$ROOT" "$PRISTINE.tmp"
  mv "$PRISTINE.tmp" "$PRISTINE"
fi
"$REAL_DOKKU_DIR/stop.sh" >/dev/null
info "fresh copy of the pristine instance"
rm -rf "$ROOT"
cp -a "$PRISTINE" "$ROOT"
"$REAL_DOKKU_DIR/start.sh" >&2
trap '"$REAL_DOKKU_DIR/stop.sh" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
TMP="$(mktemp -d)"

VERSION="$(ssh -F "$SSH_CONFIG" real-dokku version </dev/null | awk '{print $3}')"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "unexpected version answer: $VERSION"
OUT="$HERE/dokku-$VERSION"
mkdir -p "$OUT"
ADMIN_PUB="$(cut -d' ' -f1-3 "$BUILD/ssh/id_ed25519.pub")"
ADMIN_FP="$(ssh-keygen -lf "$BUILD/ssh/id_ed25519.pub" | awk '{print $2}')"

# ---- recording -----------------------------------------------------------------------------
SCENARIO=""
NOTE=""

# Every word of a recorded command must survive the SSH command line unchanged: sshd's shell and
# Dokku's re-parse split on whitespace and interpret quotes, so only plain words are allowed.
check_words() {
  local w
  for w in "$@"; do
    [[ "$w" =~ ^[A-Za-z0-9@%+=:,./_-]+$ ]] || die "scenario $SCENARIO: argument '$w' is not a plain word"
  done
}

# A literal for a sed ERE with `/` delimiters (base64 has `/` and `+`).
ere_literal() { printf '%s' "$1" | sed -e 's/[][\/.^$*+?(){}|]/\\&/g'; }

normalise() { # FILE: rewrite the volatile values in place
  sed -i -E \
    -e "s/\"(app-)?created-at\":\"[0-9]+\"/\"\1created-at\":\"<created-at>\"/g" \
    -e "s/^(       App created at: +)[0-9]+$/\1<created-at>/" \
    -e "s/Random port [0-9]+/Random port <random-port>/g" \
    -e "s/$(ere_literal "$ADMIN_FP")/<admin-fingerprint>/g" \
    -e "s/$(ere_literal "$ADMIN_PUB")/<admin-public-key>/g" \
    "$1"
}

begin() { # NAME DESCRIPTION
  SCENARIO="$1"
  : >"$TMP/steps.jsonl"
  jq -n --arg d "$2" '$d' >"$TMP/description.json"
  # Every scenario starts on an empty host: no apps, no services, only the admin key.
  local apps services keys
  apps="$(ssh -F "$SSH_CONFIG" real-dokku -- --quiet apps:list </dev/null 2>/dev/null || true)"
  services="$(ls -A "$ROOT/var/lib/dokku/services/postgres" 2>/dev/null || true)"
  keys="$(grep -c . "$ROOT/home/dokku/.ssh/authorized_keys" || true)"
  [ -z "$apps" ] && [ -z "$services" ] && [ "$keys" = 1 ] \
    || die "scenario $SCENARIO: the host is not empty (apps: $apps; services: $services; keys: $keys): an earlier scenario did not clean up"
  info "scenario $SCENARIO"
}

note() { NOTE="$1"; }

# run [--root] [--stdin TEXT] ARGS...: one Dokku command, recorded.
run() {
  local root=false stdin_json=null
  : >"$TMP/stdin"
  while :; do
    case "$1" in
      --root) root=true; shift ;;
      --stdin) printf '%s' "$2" >"$TMP/stdin"; stdin_json="$(jq -n --arg s "$2" '$s')"; shift 2 ;;
      *) break ;;
    esac
  done
  check_words "$@"
  local status=0
  if [ "$root" = true ]; then
    ssh -F "$SSH_CONFIG" real-dokku-root dokku "$@" <"$TMP/stdin" >"$TMP/stdout" 2>"$TMP/stderr" || status=$?
  else
    ssh -F "$SSH_CONFIG" real-dokku -- "$@" <"$TMP/stdin" >"$TMP/stdout" 2>"$TMP/stderr" || status=$?
  fi
  [ "$status" != 255 ] || die "scenario $SCENARIO: ssh failed for '$*': $(cat "$TMP/stderr")"
  normalise "$TMP/stdout"
  normalise "$TMP/stderr"
  jq -n -c --arg note "$NOTE" --argjson root "$root" --argjson stdin "$stdin_json" \
    --rawfile stdout "$TMP/stdout" --rawfile stderr "$TMP/stderr" --argjson status "$status" \
    '{argv: $ARGS.positional}
     + (if $note == "" then {} else {note: $note} end)
     + (if $root then {root: true} else {} end)
     + (if $stdin == null then {} else {stdin: $stdin} end)
     + {stdout: $stdout, stderr: $stderr, status: $status}' \
    --args -- "$@" >>"$TMP/steps.jsonl"
  NOTE=""
}

# seed_postgres NAME: the service directory `postgres:create NAME` would leave, with a fixed
# password and the database name create derives (dots and dashes become underscores).
seed_postgres() {
  "$REAL_DOKKU_DIR/seed-postgres.sh" "$1" >/dev/null
  local dir="$ROOT/var/lib/dokku/services/postgres/$1"
  printf '%s' "$SEED_PASSWORD" >"$dir/PASSWORD"
  echo "$1" | tr .- _ >"$dir/DATABASE_NAME"
  jq -n -c --arg name "$1" --arg password "$SEED_PASSWORD" \
    '{seed: {datastore: "postgres", name: $name, password: $password}}' >>"$TMP/steps.jsonl"
}

# hold_deploy_lock APP: another deploy of APP in progress, i.e. a process of the dokku user holding
# the flock on the app's deploy lock file (what a build does while it runs), in the background.
hold_deploy_lock() {
  local lock="/var/lib/dokku/data/apps/$1/.deploy.lock"
  ssh -F "$SSH_CONFIG" real-dokku-root \
    "cd / && (setsid runuser -u dokku -- flock $lock sleep 600 >/dev/null 2>&1 </dev/null &); sleep 1; pgrep -f 'flock $lock' >/dev/null" </dev/null \
    || die "scenario $SCENARIO: could not hold the deploy lock of $1"
  jq -n -c --arg app "$1" '{hold_deploy_lock: $app}' >>"$TMP/steps.jsonl"
}

release_deploy_lock() {
  ssh -F "$SSH_CONFIG" real-dokku-root "pkill -f 'flock /var/lib/dokku/data/apps/$1/.deploy.lock'" </dev/null || true
  jq -n -c --arg app "$1" '{release_deploy_lock: $app}' >>"$TMP/steps.jsonl"
}

# unseed_postgres NAME: the service's directories removed (as destroy would, without Docker).
unseed_postgres() {
  rm -rf "$ROOT/var/lib/dokku/services/postgres/$1" "$ROOT/var/lib/dokku/config/postgres/$1"
  jq -n -c --arg name "$1" '{unseed: {datastore: "postgres", name: $name}}' >>"$TMP/steps.jsonl"
}

finish() {
  jq -s --arg version "$VERSION" --arg scenario "$SCENARIO" --slurpfile d "$TMP/description.json" \
    '{dokku_version: $version, scenario: $scenario, description: $d[0], steps: .}' \
    "$TMP/steps.jsonl" >"$OUT/$SCENARIO.json"
  SCENARIO=""
}

# ---- scenarios -----------------------------------------------------------------------------
# Each scenario starts on an empty host and leaves it empty again. App and service names start
# with `rec-`.

scenario_empty_host() {
  begin empty-host "A host with no apps and no services: the start-up probes and every listing."
  note "the start-up probe"
  run version
  note "the plugin probe (JSON from 0.38.22)"
  run plugin:list --format json
  note "the plugin probe before 0.38.22"
  run plugin:list
  note "the proxy probe of doctor and /health (--global reports from 0.38.0)"
  run proxy:report --global --proxy-computed-type
  note "the nginx probe of doctor and /health: nginx -t passes, and nothing is printed"
  run nginx:validate-config
  note "GET /apps: with no apps only a warning, exit 0"
  run apps:report --format json
  note "the header is printed even with no apps"
  run apps:list
  run --quiet apps:list
  run apps:list --format json
  run ssh-keys:list --format json
  run ssh-keys:list
  note "datastore listing with no service: a warning, exit 0"
  run --quiet postgres:list
  note "a datastore that is not installed"
  run --quiet mysql:list
  run apps:report rec-missing --format json
  note "the plugin lists apps before it looks at the argument"
  run http-auth:report rec-missing
  run maintenance:report rec-missing --maintenance-enabled
  run config:export --format json rec-missing
  finish
}

scenario_apps() {
  begin apps "Creating, reporting, locking, unlocking and destroying apps."
  note "no global domain: vhosts off, a random proxy port"
  run apps:create rec-app
  note "duplicate name"
  run apps:create rec-app
  note "not a valid app name"
  run apps:create Rec_Bad
  run apps:create rec-second
  run apps:report rec-app --format json
  note "every app, one JSON object per line"
  run apps:report --format json
  run apps:report rec-app
  run apps:list
  run apps:list --format json
  run apps:locked rec-app
  run apps:lock rec-app
  run apps:locked rec-app
  note "locking twice is no error"
  run apps:lock rec-app
  run apps:report rec-app --format json
  run apps:unlock rec-app
  note "unlocking an unlocked app fails"
  run apps:unlock rec-app
  run apps:exists rec-app
  run apps:exists rec-missing
  run --force apps:destroy rec-second
  run --force apps:destroy rec-missing
  run --force apps:destroy rec-app
  run apps:report --format json
  finish
}

scenario_global_domain() {
  begin global-domain "With a global domain new apps get a vhost (and no NO_VHOST)."
  run domains:set-global rec.example.com
  run domains:report --global --format json
  run apps:create rec-web
  run config:export --format json rec-web
  run domains:report rec-web --format json
  run --force apps:destroy rec-web
  run domains:clear-global
  run domains:report --global --format json
  finish
}

scenario_envs() {
  begin envs "Reading and changing an app's environment as the server does."
  run apps:create rec-env
  note "a new app on a host without a global domain has NO_VHOST=1"
  run config:export --format json rec-env
  run --stdin '{"GREETING":"hello world","EMPTY":""}' --quiet config:import --no-restart --format json rec-env -
  run config:export --format json rec-env
  note "SECRET=s3cr3t value with spaces, base64"
  run --quiet config:set --no-restart --encoded rec-env SECRET=czNjcjN0IHZhbHVlIHdpdGggc3BhY2Vz
  run config:export --format json rec-env
  run --quiet config:unset --no-restart rec-env GREETING
  note "unsetting a key that is not set"
  run --quiet config:unset --no-restart rec-env GREETING
  run config:export --format json rec-env
  run --quiet config:set --no-restart --encoded rec-missing K=dg==
  run --force apps:destroy rec-env
  finish
}

scenario_ps() {
  begin ps "Scaling, restarting and rebuilding, on an unlocked and a locked app (nothing deployed)."
  run apps:create rec-ps
  note "no scale stored yet"
  run ps:scale rec-ps --format json
  run --quiet ps:scale rec-ps
  run ps:scale --skip-deploy rec-ps web=2 worker=1
  run ps:scale rec-ps --format json
  run --quiet ps:scale rec-ps
  run ps:scale rec-ps
  note "the apply job's scale: without --skip-deploy, on an app that was never deployed"
  run ps:scale rec-ps web=1 worker=0
  run ps:scale rec-ps --format json
  run ps:report rec-ps --deployed
  run ps:restart rec-ps
  run ps:rebuild rec-ps
  run apps:lock rec-ps
  note "restart takes no deploy lock"
  run ps:restart rec-ps
  note "apps:lock only creates the lock file; a build takes it (flock) and removes it when done"
  run ps:rebuild rec-ps
  note "the rebuild removed the lock"
  run apps:locked rec-ps
  run apps:lock rec-ps
  hold_deploy_lock rec-ps
  note "a deploy in progress: the build fails at once (the message comes twice, on stdout)"
  run ps:rebuild rec-ps
  run ps:restart rec-ps
  run apps:locked rec-ps
  release_deploy_lock rec-ps
  run ps:scale rec-ps web=2
  run ps:scale --skip-deploy rec-ps web=3
  run ps:scale rec-ps --format json
  run apps:unlock rec-ps
  run ps:report rec-missing --deployed
  run ps:restart rec-missing
  run ps:scale rec-missing --format json
  run --force apps:destroy rec-ps
  finish
}

scenario_buildpacks() {
  begin buildpacks "An app's buildpack list."
  run apps:create rec-bp
  run buildpacks:report rec-bp --format json
  run buildpacks:add rec-bp heroku/nodejs
  run buildpacks:add --index 1 rec-bp https://github.com/heroku/heroku-buildpack-ruby.git
  run buildpacks:add rec-bp https://github.com/heroku/heroku-buildpack-nodejs.git
  run buildpacks:report rec-bp --format json
  run --quiet buildpacks:remove rec-bp https://github.com/heroku/heroku-buildpack-nodejs.git
  run buildpacks:report rec-bp --format json
  run --quiet buildpacks:remove rec-bp https://github.com/heroku/heroku-buildpack-nodejs.git
  run buildpacks:add rec-bp not-a-buildpack
  run buildpacks:report rec-missing --format json
  run --force apps:destroy rec-bp
  finish
}

scenario_builder_scheduler() {
  begin builder-scheduler "Builder and scheduler settings."
  run apps:create rec-bs
  run builder:report rec-bs --format json
  run builder:set rec-bs selected dockerfile
  run builder:report rec-bs --format json
  run builder:set rec-bs selected
  run builder:report rec-bs --format json
  run scheduler:report rec-bs --format json
  run scheduler:set rec-bs selected docker-local
  run scheduler:report rec-bs --format json
  run scheduler:set rec-bs selected
  run scheduler:report rec-bs --format json
  run builder:report rec-missing --format json
  run --force apps:destroy rec-bs
  finish
}

scenario_domains() {
  begin domains "An app's domains."
  run apps:create rec-dom
  run domains:report rec-dom --format json
  run domains:report rec-dom --domains-app-vhosts
  run domains:add rec-dom rec.example.com
  note "adding a domain that is there already"
  run domains:add rec-dom rec.example.com
  run domains:report rec-dom --format json
  run domains:report rec-dom --domains-app-vhosts
  run domains:set rec-dom a.rec.example.com b.rec.example.com
  run domains:report rec-dom --format json
  run domains:remove rec-dom a.rec.example.com
  run domains:report rec-dom --format json
  run domains:add rec-dom not_valid..
  run domains:report rec-missing --format json
  run --force apps:destroy rec-dom
  finish
}

scenario_resources() {
  begin resources "Resource limits and reservations."
  run apps:create rec-res
  note "nothing set: an empty object"
  run resource:report rec-res --format json
  run resource:limit --memory 512m rec-res
  run resource:limit --cpu 2 --process-type web rec-res
  run resource:reserve --memory 256m rec-res
  run resource:report rec-res --format json
  run resource:limit --memory clear rec-res
  run resource:limit --cpu clear --process-type web rec-res
  run resource:report rec-res --format json
  run resource:report rec-missing --format json
  run --force apps:destroy rec-res
  finish
}

scenario_http_auth() {
  begin http-auth "HTTP basic auth: off, on without users, on with users, allowed addresses."
  run apps:create rec-auth
  run http-auth:report rec-auth
  run http-auth:enable rec-auth
  note "enabled, no users"
  run http-auth:report rec-auth
  run http-auth:enable rec-auth
  run http-auth:add-user rec-auth rec-user rec-password
  run http-auth:add-user rec-auth rec-other rec-password2
  note "enabled with users"
  run http-auth:report rec-auth
  run http-auth:remove-user rec-auth rec-other
  run http-auth:remove-user rec-auth rec-absent
  run http-auth:report rec-auth
  run http-auth:add-allowed-ip rec-auth 10.0.0.1
  run http-auth:add-allowed-ip rec-auth 10.0.0.0/24
  run http-auth:report rec-auth
  run http-auth:remove-allowed-ip rec-auth 10.0.0.1
  run http-auth:report rec-auth
  run http-auth:disable rec-auth
  note "disabled, with a user and an address kept"
  run http-auth:report rec-auth
  run http-auth:disable rec-auth
  note "adding an allowed address to a disabled app"
  run http-auth:add-allowed-ip rec-auth 10.0.0.2
  run http-auth:report rec-auth
  run http-auth:disable rec-auth
  note "user changes need auth to be on"
  run http-auth:add-user rec-auth rec-user2 rec-password
  run http-auth:remove-user rec-auth rec-user
  run --force apps:destroy rec-auth
  finish
}

scenario_maintenance() {
  begin maintenance "Maintenance mode."
  run apps:create rec-mnt
  run maintenance:report rec-mnt --maintenance-enabled
  run maintenance:enable rec-mnt
  run maintenance:report rec-mnt --maintenance-enabled
  run maintenance:enable rec-mnt
  run maintenance:disable rec-mnt
  run maintenance:disable rec-mnt
  run maintenance:report rec-mnt --maintenance-enabled
  run maintenance:enable rec-missing
  run --force apps:destroy rec-mnt
  finish
}

scenario_ssh_keys() {
  begin ssh-keys "SSH keys: listing, adding and removing as root."
  run ssh-keys:list --format json
  run --root --stdin "$KEY_ALICE"$'\n' ssh-keys:add rec-alice
  run ssh-keys:list --format json
  run ssh-keys:list
  note "the same name again"
  run --root --stdin "$KEY_BOB"$'\n' ssh-keys:add rec-alice
  note "the same key under another name"
  run --root --stdin "$KEY_ALICE"$'\n' ssh-keys:add rec-alice2
  note "not a key"
  run --root --stdin $'not a key\n' ssh-keys:add rec-bad
  run --root --stdin "$KEY_BOB"$'\n' ssh-keys:add rec-bob
  run ssh-keys:list --format json
  run --root ssh-keys:remove --fingerprint SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8
  run ssh-keys:list --format json
  run --root ssh-keys:remove --fingerprint SHA256:eCfbgqyaaFaW9NIucoy+xNO2jN192F3viwgfGmIVWvo
  note "removing a fingerprint that is not there"
  run --root ssh-keys:remove --fingerprint SHA256:eCfbgqyaaFaW9NIucoy+xNO2jN192F3viwgfGmIVWvo
  run ssh-keys:list
  finish
}

scenario_services() {
  begin services "A postgres service (seeded: the test host cannot run containers) and its links."
  run --quiet postgres:list
  seed_postgres rec-db
  run --quiet postgres:list
  run postgres:exists rec-db
  run postgres:exists rec-missing
  run postgres:info rec-db
  run postgres:info rec-missing
  run apps:create rec-svc
  run apps:create rec-svc2
  run postgres:app-links rec-svc
  run postgres:linked rec-db rec-svc
  note "with --no-restart, as the server links all but the last service of a request"
  run postgres:link rec-db rec-svc --no-restart
  run postgres:link rec-db rec-svc2
  run postgres:link rec-db rec-svc
  run postgres:linked rec-db rec-svc
  run postgres:app-links rec-svc
  run postgres:links rec-db
  run config:export --format json rec-svc
  run postgres:info rec-db
  note "a linked service cannot be destroyed"
  run --force postgres:destroy rec-db
  run postgres:unlink rec-db rec-svc --no-restart
  run postgres:unlink rec-db rec-svc2
  run postgres:unlink rec-db rec-svc
  run config:export --format json rec-svc
  note "destroying a service whose container is gone"
  run --force postgres:destroy rec-db
  run --quiet postgres:list
  run postgres:app-links rec-missing
  run postgres:link rec-missing rec-svc
  note "create needs Docker, which the test host does not have"
  run postgres:create rec-new --image postgres --image-version 17.2
  run --force apps:destroy rec-svc
  run --force apps:destroy rec-svc2
  unseed_postgres rec-db
  unseed_postgres rec-new
  run --quiet postgres:list
  finish
}

ALL=(empty_host apps global_domain envs ps buildpacks builder_scheduler domains resources http_auth maintenance ssh_keys services)
if [ "$#" -gt 0 ]; then ALL=("$@"); fi
for s in "${ALL[@]}"; do
  declare -F "scenario_${s//-/_}" >/dev/null || die "no scenario '$s' (known: ${ALL[*]})"
  "scenario_${s//-/_}"
done
info "wrote $(ls "$OUT" | wc -l) fixtures to $OUT (Dokku $VERSION)"
