# Sourced by ./tokenrt and ./mvnw: selects a JDK 21 or newer.
# (No globbing: ./mvnw runs under `set -f`.)
# Order: JAVA_HOME when it is new enough, then the newest JDK installed beside the default `java`
# (on Debian that is /usr/lib/jvm, where Temurin sits next to the system OpenJDK 17).

tokenrt_java_major() { # $1 = a java binary; prints its feature version, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

tokenrt_find_jdk() { # prints a JAVA_HOME with java and javac >= 21, or fails
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    v=$(tokenrt_java_major "$JAVA_HOME/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then printf '%s\n' "$JAVA_HOME"; return 0; fi
  fi
  roots=""
  if command -v java >/dev/null 2>&1; then
    default_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    roots="$(dirname "$default_home")"
  fi
  best="" best_v=0
  for root in $roots /usr/lib/jvm /usr/local/lib/jvm /opt/java; do
    [ -d "$root" ] || continue
    for home in $(find "$root" -mindepth 1 -maxdepth 1 | sort); do
      [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
      v=$(tokenrt_java_major "$home/bin/java")
      if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$home" best_v="$v"; fi
    done
  done
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}
