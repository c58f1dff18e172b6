#!/usr/bin/env bash
# Usage-ledger durability under kill -9, and sustained write throughput (SQLite and PostgreSQL).
# Writes bench/results/ledger-kill9-<date>.md. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust,
# database "test") for the throughput line; override with TOKENRT_BENCH_PG=jdbc:postgresql://...
# Usage: bench/ledger-kill9.sh [runs=5] [rows-per-second=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rate=${2:-2000}
pg=${TOKENRT_BENCH_PG:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}

. bin/jdk.sh
JAVA_HOME=$(tokenrt_find_jdk)
java="$JAVA_HOME/bin/java"

./mvnw -q -pl tokenrt-store -am test-compile
./mvnw -q -pl tokenrt-store -am dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
# This checkout's own modules, never a copy installed in the local repository.
deps=$(tr ':' '\n' < tokenrt-store/target/cp.txt | grep -v '/dev/tokenrt/' | paste -sd: -)
cp="tokenrt-store/target/test-classes:tokenrt-store/target/classes:tokenrt-core/target/classes:$deps"

date=$(date -u +%Y-%m-%d)
out="bench/results/ledger-kill9-$date.md"
tmpfs=$(df -PT "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}')
{
  echo "# Usage ledger: durability under kill -9, and write throughput ($date)"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); temp files on $tmpfs"
  echo "- Load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared with other builds)"
  echo "- JDK: $("$java" -version 2>&1 | head -1)"
  echo "- Command: \`bench/ledger-kill9.sh $runs $rate\` (main classes LedgerKill9Harness and LedgerThroughput in tokenrt-store test sources)"
  echo "- Ledger defaults: queue 65,536 rows, batches of up to 1,000 rows committed every 50 ms, SQLite WAL with synchronous=NORMAL"
  echo
  echo "## kill -9 while appending $rate rows/s to SQLite"
  echo
  echo "A child JVM appends rows at a steady rate and prints each request id after append() returned (acknowledged"
  echo "to a client); it is killed with SIGKILL after 3 to 6 s, then the database is reopened and every acknowledged"
  echo "id looked up. \"Missing span\" is the time between the first and last missing acknowledgement; \"age at kill\""
  echo "is how long before the kill the oldest missing row was acknowledged."
  echo
  "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.tokenrt.store.ledger.LedgerKill9Harness "$runs" "$rate" 3 6
  echo
  echo "## Sustained write throughput"
  echo
  echo "One thread appends 300,000 rows (back-pressure set to wait, so none are dropped); the clock stops when close()"
  echo "has committed the last row. PostgreSQL 15 runs on the same machine (loopback)."
  echo
  echo "| engine | rows | seconds | rows/s |"
  echo "|---|---:|---:|---:|"
  "$java" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" \
      dev.tokenrt.store.ledger.LedgerThroughput 300000 "$pg"
} | tee "$out"
echo "wrote $out" >&2
