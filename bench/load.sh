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

. bench/supervise.sh
command="bench/load.sh${*:+ $(printf '%q ' "$@")}"
supervise load "${LOAD_TIMEOUT:-3600}" "$java" ${BENCH_JAVA_OPTS:--Xms512m -Xmx2g} -cp bench/target/benchmarks.jar \
    dev.tokenrt.bench.load.GatewayLoadBench --command "${command% }" "$@"
