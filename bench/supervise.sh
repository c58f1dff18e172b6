# Sourced by bench/load.sh and bench/compare.sh: runs a bench JVM in its own session (process group), so that
# whatever it starts (gateways, peers) is stopped with it on Ctrl-C, on failure and when the time limit passes,
# even if it is killed before its own shutdown hook runs.
#
# Usage: supervise LABEL LIMIT_SECONDS command [args...]; exits with the command's status (130 when interrupted).
supervise() {
  local label=$1 limit=$2
  shift 2
  setsid "$@" &
  _sv_pid=$!
  _sv_label=$label
  _sv_watchdog=
  trap '_supervise_stop; exit 130' INT TERM
  trap _supervise_stop EXIT
  ( sleeper=
    trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$limit" & sleeper=$!
    wait "$sleeper"
    echo "[$label] time limit of $limit s reached" >&2; kill -TERM -- "-$_sv_pid" 2>/dev/null ) &
  _sv_watchdog=$!
  local status=0
  wait "$_sv_pid" || status=$?
  exit "$status"
}

_supervise_stop() {
  trap - INT TERM EXIT
  [ -z "$_sv_watchdog" ] || kill "$_sv_watchdog" 2>/dev/null || true
  if kill -0 "$_sv_pid" 2>/dev/null; then
    echo "[$_sv_label] stopping the bench (pid $_sv_pid) and what it started" >&2
    kill -TERM -- "-$_sv_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$_sv_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$_sv_pid" 2>/dev/null || true
  fi
}
