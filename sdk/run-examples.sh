#!/usr/bin/env bash
# Runs the PHP, Java, Python and Go SDKs' examples against a fresh platform on the embedded database
# (npm start with a temporary data dir and a free port; the demo merchant and app are seeded there).
# Each example checks its signing against sdk/testdata/signing-vectors.json, then creates a sandbox
# order, pays it, queries it, refunds it, closes another order, and verifies the notifies it gets;
# then pays an order signed with RSA through a second app and verifies its RSA-signed notify.
# One line per SDK; a failure prints that SDK's output and the platform's log tail, and exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

for tool in php go java javac python3 node; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-examples: '$tool' is not installed (apt-get install php-cli golang-go default-jdk-headless python3)" >&2
    exit 1
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qy-sdk-examples.XXXXXX")
PLATFORM_PID=
cleanup() {
  if [ -f "$WORK/data/control.json" ]; then
    # The server's own pid (it writes it there): stopped first, it shuts down cleanly.
    kill -TERM "$(node -p "require('$WORK/data/control.json').pid" 2>/dev/null)" 2>/dev/null
  fi
  if [ -n "$PLATFORM_PID" ]; then
    # npm start runs in its own process group (setsid): stop the group, npm and the server under it.
    kill -TERM -- "-$PLATFORM_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 -- "-$PLATFORM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$PLATFORM_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
started=$(date +%s)
PORT=$PORT HOST=127.0.0.1 QY_DATA_DIR="$WORK/data" LOG_LEVEL=warn setsid npm start >"$WORK/platform.log" 2>&1 &
PLATFORM_PID=$!

BASE_URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 240); do
  if [ -f "$WORK/data/demo-credentials.json" ] && curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$PLATFORM_PID" 2>/dev/null; then break; fi
  sleep 0.5
done
if [ ! -f "$WORK/data/demo-credentials.json" ] || ! curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1; then
  echo "run-examples: FAILED: the platform did not start; its log:" >&2
  tail -n 40 "$WORK/platform.log" >&2
  exit 1
fi
echo "platform up at $BASE_URL in $(($(date +%s) - started)) s"

credential() { node -p "require('$WORK/data/demo-credentials.json').merchant.$1"; }
export QY_BASE_URL=$BASE_URL
QY_MCH_NO=$(credential mchNo)
QY_APP_ID=$(credential appId)
QY_APP_SECRET=$(credential appSecret)
QY_PRODUCT=$(credential productCode)
export QY_MCH_NO QY_APP_ID QY_APP_SECRET QY_PRODUCT
export QY_VECTORS="$ROOT/sdk/testdata/signing-vectors.json"

# A second app of the demo merchant that takes only RSA requests (the test key of sdk/testdata) and
# signs its notifies with RSA, opened through the operator console's API.
if ! QY_RSA_APP_ID=$("$ROOT/node_modules/.bin/tsx" sdk/rsa-app.ts "$BASE_URL" "$WORK/data/demo-credentials.json" \
  "$WORK/platform-public-key.pem" 2>"$WORK/rsa-app.log"); then
  echo "run-examples: FAILED: could not open the RSA app:" >&2
  cat "$WORK/rsa-app.log" >&2
  exit 1
fi
export QY_RSA_APP_ID
export QY_RSA_PRIVATE_KEY_FILE="$ROOT/sdk/testdata/merchant-test-key.pem"
export QY_PLATFORM_PUBLIC_KEY_FILE="$WORK/platform-public-key.pem"

# The four run side by side (each has its own order numbers and notify listener); results in order.
start_example() {
  local name=$1
  shift
  (
    t0=$(date +%s.%N)
    if (cd "$ROOT/sdk/$name" && "$@") >"$WORK/$name.log" 2>&1; then
      echo "ok $(awk "BEGIN{print $(date +%s.%N) - $t0}")" >"$WORK/$name.result"
    else
      echo "FAILED" >"$WORK/$name.result"
    fi
  ) &
  example_pids+=($!)
}
example_pids=()

start_example php php examples/sandbox_flow.php
start_example python python3 examples/sandbox_flow.py
start_example go go run ./examples/sandbox
start_example java bash -c "javac -encoding UTF-8 -d '$WORK/java-build' \$(find src/main/java examples -name '*.java') && java -cp '$WORK/java-build' SandboxFlow"
wait "${example_pids[@]}"

failed=()
for name in php python go java; do
  read -r outcome seconds <"$WORK/$name.result"
  if [ "$outcome" = ok ]; then
    printf 'ok      %-7s %5.1f s  %s notifies verified (HMAC and RSA)\n' "$name" "$seconds" "$(grep -c 'verified' "$WORK/$name.log")"
  else
    failed+=("$name")
    printf 'FAILED  %s\n' "$name"
    sed 's/^/    /' "$WORK/$name.log"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "run-examples: FAILED: ${failed[*]}; the platform's log ends:" >&2
  tail -n 20 "$WORK/platform.log" | sed 's/^/    /' >&2
  exit 1
fi
echo "run-examples: all 4 SDK examples passed in $(($(date +%s) - started)) s"
