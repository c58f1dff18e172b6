#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL when it is missing (PgVectorIndex and its tests need it).
#
# Debian 12 packages no pgvector, but Debian's own source package (from the next release, trixie) builds against
# postgresql-server-dev-NN in seconds. The deb-src entry is derived from this machine's apt configuration (the same
# archive URIs and keyring as its deb entries), kept in a private apt directory: the system's sources stay as they are.
#
# Usage: bin/install-pgvector.sh [PG_MAJOR]   (default: the newest cluster under /etc/postgresql)
# Needs root (apt-get install, make install). A no-op when vector.control is already installed.
set -euo pipefail

major=${1:-$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)}
[ -n "$major" ] || { echo "install-pgvector: no PostgreSQL cluster under /etc/postgresql" >&2; exit 1; }
pg_config=/usr/lib/postgresql/$major/bin/pg_config
sharedir=/usr/share/postgresql/$major
if [ -f "$sharedir/extension/vector.control" ]; then
  echo "== pgvector: already installed for PostgreSQL $major"
  exit 0
fi
echo "== pgvector: building Debian's source package for PostgreSQL $major"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt downloads as its _apt user
mkdir -p "$work/lists/partial" "$work/src"

# deb-src entries: every deb822 stanza of the machine's Debian archive (not the security archive, which has no
# trixie suite here), with Types deb-src and Suites trixie. One-line sources.list entries are converted the same way.
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk 'BEGIN { RS = ""; FS = "\n" }
       /(^|\n)Types:[^\n]*deb/ && /debian-archive-keyring/ && !/security/ {
         out = ""
         for (i = 1; i <= NF; i++) {
           line = $i
           if (line ~ /^Types:/) line = "Types: deb-src"
           else if (line ~ /^Suites:/) line = "Suites: trixie"
           if (line !~ /^#/) out = out line "\n"
         }
         print out
       }' "$f"
done > "$work/src.sources"
if [ -f /etc/apt/sources.list ]; then
  awk '$1 == "deb" && $0 !~ /security/ { $1 = "deb-src"; $3 = "trixie"; print }' /etc/apt/sources.list > "$work/src.list"
fi
if ! grep -q . "$work/src.sources" && ! grep -qs . "$work/src.list"; then
  echo "install-pgvector: no Debian archive entry in /etc/apt/sources.list*, cannot derive a deb-src line" >&2
  exit 1
fi
mkdir -p "$work/parts"
if [ -s "$work/src.sources" ]; then cp "$work/src.sources" "$work/parts/src.sources"; fi
if [ -s "$work/src.list" ]; then cp "$work/src.list" "$work/parts/src.list"; fi
apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/parts" -o "Dir::State::Lists=$work/lists")

# Build dependencies from the machine's normal sources.
if ! [ -x "$pg_config" ] || ! dpkg -s "postgresql-server-dev-$major" >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-server-dev-$major" make gcc
fi

apt-get "${apt_opts[@]}" update -q
(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only pgvector)
orig=$(ls "$work"/src/pgvector_*.orig.tar.* | head -n 1)
tar -xf "$orig" -C "$work/src"
dir=$(find "$work/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)
# OPTFLAGS="": no -march=native, as Debian builds it, so the library runs on any x86-64 machine.
make -C "$dir" -s PG_CONFIG="$pg_config" USE_PGXS=1 OPTFLAGS=""
make -C "$dir" -s PG_CONFIG="$pg_config" USE_PGXS=1 install
echo "== pgvector: installed $(basename "$dir") for PostgreSQL $major"
