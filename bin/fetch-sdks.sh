#!/bin/sh
# Installs the official client SDKs that RealClientsIT drives the gateway with (the OpenAI and Anthropic
# Node SDKs, pinned), into a cache directory outside the repository: they are not committed.
#
# Usage: bin/fetch-sdks.sh [DIR]     (default: $TOKENRT_SDK_CACHE, then $HOME/.cache/tokenrt/sdk-check)
# Result: DIR/node_modules/{openai,@anthropic-ai/sdk}. Idempotent and quick when already installed; fails
# loudly when npm is missing or the registry cannot be reached.
set -eu
dir=${1:-${TOKENRT_SDK_CACHE:-${HOME:?HOME is not set}/.cache/tokenrt/sdk-check}}
openai=6.30.1
anthropic=0.71.0
stamp="$dir/.installed-openai-$openai-anthropic-$anthropic"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "fetch-sdks: npm is not installed (Debian: apt-get install npm)" >&2; exit 1; }
mkdir -p "$dir"
printf '{"name":"tokenrt-sdk-check","private":true,"type":"module"}\n' > "$dir/package.json"
echo "fetch-sdks: installing openai@$openai and @anthropic-ai/sdk@$anthropic into $dir" >&2
(cd "$dir" && npm install --silent --no-audit --no-fund --no-package-lock "openai@$openai" "@anthropic-ai/sdk@$anthropic") ||
  { echo "fetch-sdks: npm install failed (is the npm registry reachable?)" >&2; exit 1; }
touch "$stamp"
