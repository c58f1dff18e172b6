#!/bin/sh
# Regenerates the bundled pricing catalog and its cross-check report from the public catalogs:
#   LiteLLM's model_prices_and_context_window.json (BerriAI/litellm, MIT) and pydantic's genai-prices (MIT).
# By default they are read from ../shared/data/pricing beside the repository; point elsewhere with
#   bin/update-pricing.sh --data DIR      (or TOKENRT_PRICING_DATA=DIR)
# DIR must hold litellm_model_prices_and_context_window.json and genai-prices/data.json.
# Any further arguments go to dev.tokenrt.pricing.CatalogBuilder, for example
#   --date 2026-11-23 (the build / "as of" date, default today UTC), --genai-prices-commit SHA,
#   --litellm-commit SHA, --genai-prices-date YYYY-MM-DD.
# Review the diff of catalog.json and docs/pricing/catalog-crosscheck.md before committing them.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
data=${TOKENRT_PRICING_DATA:-$root/../shared/data/pricing}
if [ "${1:-}" = "--data" ]; then
  [ $# -ge 2 ] || { echo "update-pricing: --data needs a directory" >&2; exit 2; }
  data=$2
  shift 2
fi
litellm="$data/litellm_model_prices_and_context_window.json"
genai="$data/genai-prices"
for f in "$litellm" "$genai/data.json"; do
  if [ ! -f "$f" ]; then
    echo "update-pricing: $f is missing (use --data DIR or TOKENRT_PRICING_DATA)" >&2
    exit 2
  fi
done
out="$root/tokenrt-core/src/main/resources/dev/tokenrt/pricing/catalog.json"
report="$root/docs/pricing/catalog-crosscheck.md"

# exec:java splits exec.args on blanks but honours double quotes, so quote every path.
args="--litellm \"$litellm\" --genai-prices \"$genai\" --out \"$out\" --report \"$report\""
for a in "$@"; do
  args="$args \"$a\""
done
cd "$root"
exec ./mvnw -q -pl tokenrt-core compile exec:java \
  -Dexec.mainClass=dev.tokenrt.pricing.CatalogBuilder "-Dexec.args=$args"
