#!/usr/bin/env bash
# Token Runtime against a real peer, in one go: installs Portkey's open-source gateway (@portkey-ai/gateway, the
# version and every dependency pinned by bench/peer/portkey/package-lock.json, integrity-checked by npm ci) into a
# cache directory, builds the CLI and the bench, then, inside a network namespace with only loopback up (Portkey
# listens on every interface), starts a fake OpenAI upstream, tokenrt serve with its full pipeline, tokenrt serve
# bare, and Portkey, drives them all with the open-loop generator and writes
# bench/results/gateway-compare-<date>.md, .csv and .png. Everything it starts is stopped at the end, on Ctrl-C
# and on failure; the run is bounded by COMPARE_TIMEOUT seconds (default 7200).
#
# Usage: bench/compare.sh [CompareBench options]          (bench/compare.sh --help lists them)
#   bench/compare.sh                                        # every scenario and path, 3 repeats
#   bench/compare.sh --rates "chat=500,2000" --repeats 1 --duration-s 5 --tag -smoke
#   bench/compare.sh --rates "" --paths tokenrt-full --soak-s 600 --tag -soak   # the soak alone
# Environment: COMPARE_SKIP_BUILD=1 to reuse the last build, PORTKEY_DIR (default ~/.cache/tokenrt/portkey),
# COMPARE_TIMEOUT (s), BENCH_JAVA_OPTS for the bench's JVM. Needs root (or user namespaces) for unshare -n.
set -euo pipefail
cd "$(dirname "$0")/.."

. bin/jdk.sh
JAVA_HOME=$(tokenrt_find_jdk) || { echo "compare.sh: needs a JDK 21 or newer" >&2; exit 2; }
export JAVA_HOME
portkey_dir=${PORTKEY_DIR:-$HOME/.cache/tokenrt/portkey}

if [ "${TOKENRT_IN_NETNS:-0}" != 1 ]; then
  # Outside the namespace: what needs the package registries.
  if [ "${COMPARE_SKIP_BUILD:-0}" != 1 ]; then
    echo "[compare] building tokenrt-cli and bench" >&2
    ./mvnw -q -DskipTests package -pl tokenrt-cli,bench -am
  fi
  command -v node >/dev/null || { echo "compare.sh: needs node (the peer runs on it)" >&2; exit 2; }
  mkdir -p "$portkey_dir"
  want=$(sha256sum bench/peer/portkey/package-lock.json | cut -d' ' -f1)
  have=$(cat "$portkey_dir/.lock-sha256" 2>/dev/null || true)
  if [ "$want" != "$have" ] || [ ! -d "$portkey_dir/node_modules/@portkey-ai/gateway" ]; then
    echo "[compare] installing the peer into $portkey_dir (npm ci from the committed lockfile)" >&2
    cp bench/peer/portkey/package.json bench/peer/portkey/package-lock.json "$portkey_dir/"
    # Its postinstall (patch-package) has no patches in the published package; skip install scripts altogether.
    (cd "$portkey_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$want" > "$portkey_dir/.lock-sha256"
  fi
  version=$(cd "$portkey_dir" && node -p "require('./node_modules/@portkey-ai/gateway/package.json').version")
  [ "$version" = 1.15.2 ] || { echo "compare.sh: expected @portkey-ai/gateway 1.15.2, found $version" >&2; exit 2; }
  # Record the command as typed, then run the rest of this script in a fresh network namespace.
  export COMPARE_COMMAND="bench/compare.sh${*:+ $(printf '%q ' "$@")}"
  exec unshare -n -- env TOKENRT_IN_NETNS=1 bash "$0" "$@"
fi

# Inside the namespace: loopback only.
ip link set lo up
if ip -o link show up | grep -v ': lo:' | grep -q .; then
  echo "compare.sh: interfaces other than lo are up in the namespace; refusing to run" >&2
  exit 2
fi

. bench/supervise.sh
command="${COMPARE_COMMAND:-bench/compare.sh}"
supervise compare "${COMPARE_TIMEOUT:-7200}" "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms1g -Xmx2g} \
    -Djava.awt.headless=true -cp bench/target/benchmarks.jar dev.tokenrt.bench.load.CompareBench \
    --portkey-dir "$portkey_dir" --command "${command% }" "$@"
