#!/usr/bin/env bash
# Starts a real Kafka cluster, runs a command against it, and always stops the
# cluster again; exits with the command's status.
#
#   scripts/with-kafka.sh [--brokers N] [--controller combined|dedicated] -- <command...>
#
# Options before "--" go to 'scripts/kafka.sh start'.
# The command sees KAFKA_BOOTSTRAP_SERVERS (e.g. 127.0.0.1:19092,127.0.0.1:19093),
# KAFKA_TWIN_BROKERS (N) and KAFKA_TWIN_PORT_BASE. Other env: see scripts/kafka.sh.
set -uo pipefail

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA="$SCRIPTS_DIR/kafka.sh"

usage() { echo "usage: scripts/with-kafka.sh [--brokers N] [--controller combined|dedicated] -- <command...>" >&2; }
start_args=()
brokers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    --brokers) brokers="${2:-}"; start_args+=("$1" "${2:-}"); shift 2 ;;
    --brokers=*) brokers="${1#*=}"; start_args+=("$1"); shift ;;
    --controller) start_args+=("$1" "${2:-}"); shift 2 ;;
    --controller=*) start_args+=("$1"); shift ;;
    *) echo "with-kafka: unknown option $1 (the command goes after --)" >&2; usage; exit 2 ;;
  esac
done
if [ $# -eq 0 ]; then
  usage
  exit 2
fi

stopped=0
child=""
cleanup() {
  [ "$stopped" = 1 ] && return
  stopped=1
  "$KAFKA" stop || echo "with-kafka: WARNING: 'kafka.sh stop' failed" >&2
}
# shellcheck disable=SC2317  # invoked from the traps below
# On Ctrl-C / SIGTERM: end the command (SIGTERM; a background child of a
# non-interactive shell ignores SIGINT), stop Kafka, exit 128+signal.
on_signal() {
  trap - INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    # The command runs in its own process group (setsid): end all of it.
    kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  cleanup
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

if ! bootstrap="$("$KAFKA" start "${start_args[@]}")"; then
  echo "with-kafka: ERROR: could not start a $brokers-node Kafka cluster" >&2
  exit 1
fi

export KAFKA_BOOTSTRAP_SERVERS="$bootstrap"
export KAFKA_TWIN_BROKERS="$brokers"
export KAFKA_TWIN_PORT_BASE="${KAFKA_TWIN_PORT_BASE:-19092}"

# Not exec: Kafka must be stopped after the command. In the background (stdin
# kept) so that a signal to this script is handled at once, not after the
# command; in its own process group so that the signal reaches all of it.
launcher=()
command -v setsid >/dev/null 2>&1 && launcher=(setsid)
"${launcher[@]}" "$@" <&0 &
child=$!
wait "$child"
status=$?
child=""
cleanup
exit "$status"
