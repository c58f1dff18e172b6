#!/usr/bin/env bash
# Builds the mixed counting corpus for CountingBenchmark from Debian packages, into bench/work/ (gitignored):
#   English  the King James Bible (bible-kjv-text; its data file is compressed in its own format, so the `bible`
#            program of bible-kjv prints it)
#   Chinese  the zh_CN manual pages of manpages-zh (troff source around Chinese prose)
#   code     Python: the reStructuredText sources of python3.11-doc (prose with code blocks) and library
#            modules of libpython3.11-stdlib
# and concatenates them to bench/work/corpus.txt (about 15 MB), with a manifest of what went in.
# Needs apt-get (run `apt-get update` once first), dpkg-deb and zcat. Re-running reuses downloaded packages.
set -euo pipefail

bench=$(cd "$(dirname "$0")/.." && pwd)
work="$bench/work"
debs="$work/debs"
root="$work/root"
mkdir -p "$debs" "$root"

packages=(bible-kjv-text bible-kjv manpages-zh python3.11-doc libpython3.11-stdlib)
cd "$debs"
for p in "${packages[@]}"; do
  if ! ls "${p}"_*.deb >/dev/null 2>&1; then
    apt-get download "$p" || { echo "cannot download $p (run 'apt-get update' first?)" >&2; exit 1; }
  fi
done
for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$root"; done

english="$work/english-kjv.txt"
chinese="$work/chinese-manpages-zh.txt"
docs="$work/code-python-docs.txt"
code="$work/code-python-stdlib.txt"

# -f turns pretty-printing off: one verse a line, with its reference.
"$root/usr/bin/bible" -p "$root/usr/lib" -f "Gen1:1-Rev22:21" > "$english"

find "$root/usr/share/man/zh_CN" -name '*.gz' -print0 | LC_ALL=C sort -z | xargs -0 zcat > "$chinese"

# The first $2 bytes of the files under $1 named $3, cut at a whole line so that no UTF-8 character is split.
# (head closes the pipe early; the writer's SIGPIPE is expected, hence the `|| true`.)
take() {
  { find "$1" -name "$3" -not -path '*/test/*' -print0 | LC_ALL=C sort -z | xargs -0 cat || true; } \
    | head -c "$2" | sed '$d'
}
take "$root/usr/share/doc/python3.11/html/_sources" 3000000 '*.txt' > "$docs"
take "$root/usr/lib/python3.11" 2000000 '*.py' > "$code"

cat "$english" "$chinese" "$docs" "$code" > "$work/corpus.txt"

{
  echo "# corpus.txt, built $(date -u +%Y-%m-%dT%H:%M:%SZ) by bench/corpus/build-corpus.sh"
  for d in "$debs"/*.deb; do echo "package $(dpkg-deb -f "$d" Package) $(dpkg-deb -f "$d" Version)"; done
  for f in "$english" "$chinese" "$docs" "$code" "$work/corpus.txt"; do
    echo "$(basename "$f") $(wc -c < "$f") bytes $(wc -m < "$f") chars"
  done
} > "$work/corpus.manifest"
cat "$work/corpus.manifest"
