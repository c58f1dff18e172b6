#!/usr/bin/env bash
# The gateway's load benchmark in one go: builds the CLI and the bench, starts a fake OpenAI upstream and
# `tokenrt serve` (its own JVM) on loopback, drives both with an open-loop generator at each rate, and writes
# bench/results/gateway-load-<date>.md and .csv. Everything it starts is stopped at the end, on Ctrl-C and on
# failure; the whole run is bounded by LOAD_TIMEOUT seconds (default 3600; waiting for a quiet machine counts).
#
# Usage: bench/load.sh [GatewayLoadBench options]      (bench/load.sh --help lists them)
#   bench/load.sh                                       # 500, 1000, 2000/s; streamed at 500/s; 20k-token prompt at 20/s
#   bench/load.sh --rates 1000 --stream-rate 0 --large-rate 0 \
#       --gateway-java-opts "-XX:StartFlightRecording=filename=/tmp/gw.jfr,settings=profile" --tag -jfr
# Environment: LOAD_TIMEOUT (s), LOAD_SKIP_BUILD=1 to reuse the last build, BENCH_JAVA_OPTS for the bench's JVM.
set -euo pipefail
cd "$(dirname "$0")/.."

. bin/jdk.sh
JAVA_HOME=$(tokenrt_find_jdk) || { echo "load.sh: needs a JDK 21 or newer" >&2; exit 2; }
export JAVA_HOME
java="$JAVA_HOME/bin/java"

if [ "${LOAD_SKIP_BUILD:-0}" != 1 ]; then
  echo "[load] building tokenrt-cli and bench" >&2
  ./mvnw -q -DskipTests package -pl tokenrt-cli,bench -am
fi

# The bench runs in its own session (process group) so that whatever it started can be stopped with it, even if
# it is killed before its own shutdown hook runs.
command="bench/load.sh${*:+ $(printf '%q ' "$@")}"
setsid "$java" ${BENCH_JAVA_OPTS:--Xms512m -Xmx2g} -cp bench/target/benchmarks.jar \
    dev.tokenrt.bench.load.GatewayLoadBench --command "${command% }" "$@" &
pid=$!
stop() {
  trap - INT TERM EXIT
  if kill -0 "$pid" 2>/dev/null; then
    echo "[load] stopping the bench (pid $pid) and what it started" >&2
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

limit=${LOAD_TIMEOUT:-3600}
( sleep "$limit"; echo "[load] time limit of $limit s reached" >&2; kill -TERM -- "-$pid" 2>/dev/null ) &
watchdog=$!
status=0
wait "$pid" || status=$?
kill "$watchdog" 2>/dev/null || true
wait "$watchdog" 2>/dev/null || true
exit "$status"
