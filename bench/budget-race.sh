#!/usr/bin/env bash
# The budget race: one global hard budget ($0.05 total, cost_usd, deny), 1,000 chat requests all in flight at
# once, against (a) one gateway process with SQLite (ledger and counters) and (b) three gateway processes sharing
# Redis counters and a PostgreSQL ledger. Reports per run: answers (200/429/other), the ledger's settled spend
# (must be <= the limit), the fraction of the budget used, and the budget counter (must equal the ledger, with
# nothing still held). Writes bench/results/budget-race-<date>.md.
#
# Needs redis-server on 127.0.0.1:6379 (database 13 by default, which must hold no budget keys; the run deletes
# the keys it created) and PostgreSQL on 127.0.0.1:5432 (user postgres, trust; each run creates and drops its own
# database). Override with TOKENRT_BENCH_REDIS=redis://host:port/db, TOKENRT_BENCH_PG=jdbc:postgresql://...
# Runs (a) and (b) at max_tokens=16, (b) again with a 2 s Redis command timeout, then both at max_tokens 32 and 64,
# and both at max_tokens 256 with action: queue.
# Usage: bench/budget-race.sh [runs=3] [extra BudgetRace options, appended to every race, e.g. --requests 500]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
redis=${TOKENRT_BENCH_REDIS:-redis://127.0.0.1:6379/13}
pg=${TOKENRT_BENCH_PG:-jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}

. bin/jdk.sh
JAVA_HOME=$(tokenrt_find_jdk)
java="$JAVA_HOME/bin/java"

# One reactor build, so that a fresh clone (nothing of ours installed in the local repository) resolves too.
./mvnw -q -pl bench -am compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=runtime
# This checkout's own modules, never a copy installed in the local repository.
deps=$(tr ':' '\n' < bench/target/cp.txt | grep -v '/dev/tokenrt/' | paste -sd: -)
cp="bench/target/classes"
for m in tokenrt-core tokenrt-store tokenrt-testkit tokenrt-semantic tokenrt-gateway tokenrt-cli; do
  cp="$cp:$m/target/classes"
done
cp="$cp:$deps"

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenrt-budget-race.XXXXXX")
trap 'rm -rf "$work"' EXIT
date=$(date -u +%Y-%m-%d)
out="bench/results/budget-race-$date.md"
opts=(--runs "$runs" --redis "$redis" --pg "$pg" --work-dir "$work" "$@")
{
  echo "# Budget race: 1,000 concurrent requests against a \$0.05 hard budget ($date)"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "- Load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared with other builds)"
  echo "- JDK: $("$java" -version 2>&1 | head -1); Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2); $(psql --version 2>/dev/null || echo 'PostgreSQL')"
  echo "- Command: \`bench/budget-race.sh $runs${*:+ $*}\` (main class dev.tokenrt.bench.BudgetRace)"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/results' || echo ' (with local changes)')"
  echo
  race() { "$java" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" dev.tokenrt.bench.BudgetRace "${opts[@]}" "$@" \
      || echo "**BudgetRace exited with $?: a check failed (see the verdict column)**"; }
  echo "Each request: gpt-4o (catalog: \$2.50/M input, \$10/M output), one user message the gateway counts as 11 prompt"
  echo "tokens (exact, o200k_base), non-streamed; the fake upstream answers after 30 ms with 16 completion tokens and"
  echo "reports 10 prompt tokens. Worst case held per request at max_tokens=16: 11 x 2,500 + 16 x 10,000 = 187,500 nano-USD"
  echo "(0.375% of the budget); actual: 10 x 2,500 + 16 x 10,000 = 185,000 (98.7% of the hold). 1,000 requests would cost"
  echo "\$0.185, 3.7 times the budget. \"held per request\" is read from a 429's message; \"peak in flight\" counts requests"
  echo "sent and not yet answered at one instant (1,000 means every request was sent before the first answer came back)."
  echo
  echo "## (a) one gateway process, SQLite ledger, embedded counters (in memory, persisted to SQLite) (max_tokens=16)"
  echo
  race --scenario single
  echo
  echo "## (b) three gateway processes, Redis counters, PostgreSQL ledger (max_tokens=16, Redis command timeout 1 s: the default)"
  echo
  race --scenario multi
  echo
  echo "## (b') the same with budgets.redis_timeout_ms: 2000"
  echo
  race --scenario multi --redis-timeout-ms 2000
  echo
  echo "## Sensitivity: a looser max_tokens (actual usage a smaller share of the hold)"
  echo
  for mt in 32 64; do
    echo "### (a) one gateway, max_tokens=$mt"
    echo
    race --scenario single --max-tokens "$mt"
    echo
    echo "### (b) three gateways, max_tokens=$mt, budgets.redis_timeout_ms: 2000"
    echo
    race --scenario multi --max-tokens "$mt" --redis-timeout-ms 2000
    echo
  done
  echo "## A loose max_tokens=256 (the hold 14 times the answer) with action: queue"
  echo
  echo "A denied request is lost to the budget even when the holds that crowded it out settle far below their worst"
  echo "case; with \`action: queue\` it waits (polling every second, up to budgets.queue_max_wait_ms, 30 s) for them to"
  echo "settle and then takes the room they left."
  echo
  echo "### (a) one gateway, max_tokens=256, queue"
  echo
  race --scenario single --max-tokens 256 --action queue
  echo
  echo "### (b) three gateways, max_tokens=256, queue, budgets.redis_timeout_ms: 2000"
  echo
  race --scenario multi --max-tokens 256 --action queue --redis-timeout-ms 2000
  echo
} | tee "$out"
echo "wrote $out" >&2
