#!/usr/bin/env bash
# Runs a real Apache Kafka 3.9 cluster (KRaft) on 127.0.0.1 for the conformance
# suite. Everything lives under .kafka/ (lib/ jars, run/ configs+pids, logs/, data/).
#
#   scripts/kafka.sh start [--brokers N] [--controller combined|dedicated]
#        format storage, start brokers 1..N, wait until every broker answers.
#        combined (default): each node is broker+controller (process.roles=broker,controller),
#          node ids 1..N are the controller quorum too.
#        dedicated: brokers 1..N are broker-only, plus one controller-only node (id 100) that
#          clients never see; any number of brokers can then be stopped without losing the quorum.
#   scripts/kafka.sh stop              stop every node (SIGTERM, then SIGKILL), delete data; safe when nothing runs
#   scripts/kafka.sh status            show nodes, pids, ports, RSS; exit 0 only if every node runs
#   scripts/kafka.sh stop-broker ID [--kill]
#        stop one node: SIGTERM = graceful (controlled shutdown), --kill = SIGKILL (a crash). Keeps its data.
#   scripts/kafka.sh start-broker ID   start a node stopped with stop-broker; wait until it is registered again
#   scripts/kafka.sh bootstrap         print the bootstrap list, e.g. 127.0.0.1:19092,127.0.0.1:19093
#   scripts/kafka.sh jars [--force]    only fetch the jars (scripts/kafka-jars.sh)
#
# Ports (PORT_BASE = $KAFKA_TWIN_PORT_BASE, default 19092): broker i serves clients on
# PORT_BASE+i-1; the controller listener of node i is PORT_BASE+100+i-1 (combined), or
# PORT_BASE+100 for the dedicated controller.
#
# Env:
#   KAFKA_TWIN_PORT_BASE     client port of broker 1 (default 19092)
#   KAFKA_TWIN_HEAP_OPTS     heap per broker (default "-Xmx512m -Xms256m")
#   KAFKA_TWIN_CONTROLLER_HEAP_OPTS  heap of the dedicated controller (default "-Xmx256m -Xms128m")
#   KAFKA_TWIN_JVM_OPTS      JVM flags (default: the Kafka distribution's G1 flags)
#   KAFKA_TWIN_EXTRA_CONFIG  extra server.properties lines (newline-separated key=value), appended last so they win
#   KAFKA_TWIN_CONTROLLER    default for --controller (combined)
#   KAFKA_TWIN_WAIT_TIMEOUT  seconds start/start-broker wait for the brokers (default 90)
#   KAFKA_TWIN_STOP_TIMEOUT  seconds from SIGTERM to SIGKILL (default 15 for stop, 60 for stop-broker)
#   KAFKA_TWIN_DIR           state folder (default <repo>/.kafka)
set -euo pipefail

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS_DIR/.." && pwd)"
KAFKA_DIR="${KAFKA_TWIN_DIR:-$ROOT/.kafka}"
LIB="$KAFKA_DIR/lib"
RUN="$KAFKA_DIR/run"
LOGS="$KAFKA_DIR/logs"
DATA="$KAFKA_DIR/data"
CLUSTER_ENV="$RUN/cluster.env"
LOG4J="$SCRIPTS_DIR/kafka/log4j.properties"

HEAP_OPTS="${KAFKA_TWIN_HEAP_OPTS:--Xmx512m -Xms256m}"
CONTROLLER_HEAP_OPTS="${KAFKA_TWIN_CONTROLLER_HEAP_OPTS:--Xmx256m -Xms128m}"
# Same GC flags as the distribution's kafka-server-start.sh / kafka-run-class.sh.
JVM_OPTS="${KAFKA_TWIN_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15}"
WAIT_TIMEOUT="${KAFKA_TWIN_WAIT_TIMEOUT:-90}"
DEDICATED_CONTROLLER_ID=100

say() { echo "kafka: $*" >&2; }
die() { echo "kafka: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- topology
# Set by start or by load_cluster_env: BROKERS, PORT_BASE, CONTROLLER_MODE, CLUSTER_ID.

is_dedicated_controller() { [ "$CONTROLLER_MODE" = dedicated ] && [ "$1" = "$DEDICATED_CONTROLLER_ID" ]; }
node_name() { if is_dedicated_controller "$1"; then echo "controller-$1"; else echo "broker-$1"; fi; }
client_port() { echo $(( PORT_BASE + $1 - 1 )); }
controller_port() {
  if is_dedicated_controller "$1"; then echo $(( PORT_BASE + 100 )); else echo $(( PORT_BASE + 100 + $1 - 1 )); fi
}
broker_ids() { seq 1 "$BROKERS"; }
controller_ids() { if [ "$CONTROLLER_MODE" = dedicated ]; then echo "$DEDICATED_CONTROLLER_ID"; else broker_ids; fi; }
all_node_ids() { broker_ids; [ "$CONTROLLER_MODE" = dedicated ] && echo "$DEDICATED_CONTROLLER_ID"; return 0; }

bootstrap_list() {
  local i out=""
  for i in $(broker_ids); do out+="${out:+,}127.0.0.1:$(client_port "$i")"; done
  echo "$out"
}

load_cluster_env() {
  [ -f "$CLUSTER_ENV" ] || return 1
  # shellcheck disable=SC1090
  . "$CLUSTER_ENV"
  CONTROLLER_MODE="${CONTROLLER_MODE:-combined}"
}

# ---------------------------------------------------------------- processes

# The pid of node $1 if it is alive and really is our Kafka JVM, else nothing.
node_pid() {
  local f pid
  f="$RUN/$(node_name "$1").pid"
  [ -f "$f" ] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [ -n "$pid" ] || return 0
  is_alive "$pid" || return 0
  local cmdline; cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  if [[ "$cmdline" == *"-Dkafka.twin.dir=$KAFKA_DIR -Dkafka.twin.node=$1 "* ]]; then
    echo "$pid"
  fi
}

# Kafka JVMs started from this .kafka folder (recognised by the marker property on
# their command line), including ones whose pid file is gone.
marked_pids() {
  local pid
  for pid in $(pgrep -f -- "-Dkafka.twin.dir=$KAFKA_DIR " 2>/dev/null || true); do
    [ "$pid" != "$$" ] && echo "$pid"
  done
  return 0
}

# Alive = exists and is not a zombie (a killed JVM whose parent has not reaped it yet).
is_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat; stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat:0:1}" != Z ]
}

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

rss_of() { awk '/^VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

elapsed() { local ms=$(( $(date +%s%3N) - $1 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }

# SIGTERM the given pids, wait up to $1 seconds for all of them, then SIGKILL the rest.
terminate() {
  local timeout=$1; shift
  [ $# -gt 0 ] || return 0
  local pid waited=0 alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  while :; do
    alive=()
    for pid in "$@"; do is_alive "$pid" && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && return 0
    if (( waited >= timeout * 10 )); then
      say "pid(s) ${alive[*]} still alive ${timeout}s after SIGTERM; sending SIGKILL"
      for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.3
      return 0
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

gen_cluster_id() {
  # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding, not starting with '-'.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [ "${id:0:1}" != "-" ] && [ "${#id}" = 22 ] && break
  done
  echo "$id"
}

# ---------------------------------------------------------------- config

write_config() {
  local id=$1
  local name; name="$(node_name "$id")"
  local conf="$RUN/$name.properties" voters="" c
  for c in $(controller_ids); do voters+="${voters:+,}$c@127.0.0.1:$(controller_port "$c")"; done
  local rf=$(( BROKERS < 3 ? BROKERS : 3 ))
  local min_isr=$(( rf < 2 ? 1 : 2 ))

  local roles listeners advertised
  if is_dedicated_controller "$id"; then
    roles=controller
    listeners="CONTROLLER://127.0.0.1:$(controller_port "$id")"
    advertised=""
  elif [ "$CONTROLLER_MODE" = dedicated ]; then
    roles=broker
    listeners="PLAINTEXT://127.0.0.1:$(client_port "$id")"
    advertised="advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$id")"
  else
    roles=broker,controller
    listeners="PLAINTEXT://127.0.0.1:$(client_port "$id"),CONTROLLER://127.0.0.1:$(controller_port "$id")"
    advertised="advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$id")"
  fi

  cat >"$conf" <<EOF
# Generated by scripts/kafka.sh: node $id ($roles) of a $BROKERS-broker cluster, $CONTROLLER_MODE controller.
process.roles=$roles
node.id=$id
controller.quorum.voters=$voters
listeners=$listeners
$advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA/$name

# Topic defaults (Kafka's own defaults, stated so the suite can rely on them).
auto.create.topics.enable=true
num.partitions=1
default.replication.factor=1
unclean.leader.election.enable=false
delete.topic.enable=true

# Internal topics sized for the cluster (offsets.topic.num.partitions stays 50, as in Kafka and the twin).
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr

# Test-friendly timings.
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=1000
log.initial.task.delay.ms=0
log.cleaner.backoff.ms=1000
# Controlled shutdown (stop-broker) waits for the other brokers' heartbeats to
# catch up with the metadata log: 500 ms instead of 2 s cuts it from ~4 s to ~1 s.
# broker.session.timeout.ms (crash detection, default 9 s) is left alone.
broker.heartbeat.interval.ms=500

# Small footprint: 2 cores, several JVMs. The cleaner allocates its dedupe
# buffer on the heap (default 128 MiB); Kafka requires strictly more than 1 MiB per thread.
log.cleaner.dedupe.buffer.size=2097152
log.cleaner.threads=1
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
  if [ -n "${KAFKA_TWIN_EXTRA_CONFIG:-}" ]; then
    printf '\n# KAFKA_TWIN_EXTRA_CONFIG\n%s\n' "$KAFKA_TWIN_EXTRA_CONFIG" >>"$conf"
  fi
}

# ---------------------------------------------------------------- launching

format_node() {
  local name; name="$(node_name "$1")"
  java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "-Dlog4j.configuration=file:$LOG4J" \
    -cp "$LIB/*" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$RUN/$name.properties" \
    >"$LOGS/format-$name.log" 2>&1
}

launch_node() {
  local id=$1
  local name; name="$(node_name "$id")"
  local log="$LOGS/$name.log" heap_s="$HEAP_OPTS"
  is_dedicated_controller "$id" && heap_s="$CONTROLLER_HEAP_OPTS"
  local -a heap jvm cmd launcher=()
  read -r -a heap <<<"$heap_s"
  read -r -a jvm <<<"$JVM_OPTS"
  # The two marker properties let node_pid()/marked_pids() recognise our JVMs.
  cmd=(java "${heap[@]}" "${jvm[@]}" -Djava.awt.headless=true
       "-Dlog4j.configuration=file:$LOG4J" "-Dkafka.logs.dir=$LOGS"
       "-Dkafka.twin.dir=$KAFKA_DIR" "-Dkafka.twin.node=$id"
       -cp "$LIB/*" kafka.Kafka "$RUN/$name.properties")
  echo "=== $(date -Is) starting node $id: ${cmd[*]}" >>"$log"
  # setsid: the JVM gets its own session, so a Ctrl-C aimed at the caller does
  # not reach it (stop/with-kafka shut it down themselves).
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  "${launcher[@]}" "${cmd[@]}" >>"$log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

show_log_tails() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

all_logs() { local i; for i in $(all_node_ids); do echo "$LOGS/$(node_name "$i").log"; done; }

# Waits until every broker in $1 (comma-separated ids) answers and is registered.
wait_for_brokers() {
  command -v node >/dev/null 2>&1 || die "node is not installed (needed for scripts/wait-for-kafka.mjs)"
  [ -d "$ROOT/node_modules/kafkajs" ] || die "kafkajs is missing: run 'npm ci' in $ROOT first"
  local i pid pids=""
  for i in $(all_node_ids); do
    pid="$(node_pid "$i")"
    [ -z "$pid" ] || pids+="${pids:+,}$pid"
  done
  node "$SCRIPTS_DIR/wait-for-kafka.mjs" --brokers "$BROKERS" --port-base "$PORT_BASE" --ids "$1" \
    --timeout "$WAIT_TIMEOUT" ${pids:+--pids "$pids"}
}

wait_for_port() {
  local port=$1 deadline=$(( $(date +%s) + WAIT_TIMEOUT ))
  until port_busy "$port"; do
    (( $(date +%s) < deadline )) || return 1
    sleep 0.3
  done
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local n=1 mode="${KAFKA_TWIN_CONTROLLER:-combined}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --brokers) n="${2:-}"; shift 2 ;;
      --brokers=*) n="${1#*=}"; shift ;;
      --controller) mode="${2:-}"; shift 2 ;;
      --controller=*) mode="${1#*=}"; shift ;;
      *) die "start: unknown argument: $1" ;;
    esac
  done
  [[ "$n" =~ ^[1-9]$ ]] || die "start: --brokers must be 1..9 (got '$n')"
  [[ "$mode" =~ ^(combined|dedicated)$ ]] || die "start: --controller must be combined or dedicated (got '$mode')"

  # Refuse to start over a running cluster: stale state would leak into tests.
  local running="" pid
  for pid in $(marked_pids); do running+=" $pid"; done
  [ -z "$running" ] || die "Kafka is already running from $KAFKA_DIR (pid(s)$running). Run 'scripts/kafka.sh stop' first."

  BROKERS=$n
  CONTROLLER_MODE=$mode
  PORT_BASE="${KAFKA_TWIN_PORT_BASE:-19092}"
  if ! [[ "$PORT_BASE" =~ ^[0-9]+$ ]] || (( PORT_BASE < 1024 || PORT_BASE + 200 >= 65536 )); then
    die "KAFKA_TWIN_PORT_BASE must be a number in 1024..65335 (got '$PORT_BASE')"
  fi
  local i p
  for i in $(all_node_ids); do
    for p in $(is_dedicated_controller "$i" || client_port "$i") $(controller_port "$i"); do
      ! port_busy "$p" || die "port 127.0.0.1:$p is already in use; set KAFKA_TWIN_PORT_BASE to another base (now $PORT_BASE)"
    done
  done

  "$SCRIPTS_DIR/kafka-jars.sh"
  command -v java >/dev/null 2>&1 || die "java is not installed (need a JDK 17+)"

  local t0; t0=$(date +%s%3N)
  # From here on, any failure (or Ctrl-C) tears down what was started.
  trap 'trap - EXIT; say "start failed; cleaning up"; cmd_stop >&2 || true' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  rm -rf "$DATA" "$RUN"
  mkdir -p "$DATA" "$RUN" "$LOGS"
  CLUSTER_ID="$(gen_cluster_id)"
  cat >"$CLUSTER_ENV" <<EOF
BROKERS=$BROKERS
CONTROLLER_MODE=$CONTROLLER_MODE
PORT_BASE=$PORT_BASE
CLUSTER_ID=$CLUSTER_ID
BOOTSTRAP=$(bootstrap_list)
EOF
  for i in $(all_node_ids); do
    write_config "$i"
    : >"$LOGS/$(node_name "$i").log"
  done

  say "formatting KRaft storage: $BROKERS broker(s), $CONTROLLER_MODE controller, cluster id $CLUSTER_ID"
  local -a ids pids
  read -r -a ids <<<"$(all_node_ids | tr '\n' ' ')"
  pids=()
  for i in "${ids[@]}"; do format_node "$i" & pids+=($!); done
  local k failed=0
  for k in "${!ids[@]}"; do
    wait "${pids[$k]}" || { failed=1; show_log_tails "$LOGS/format-$(node_name "${ids[$k]}").log"; }
  done
  [ "$failed" = 0 ] || die "kafka.tools.StorageTool format failed"

  say "starting node(s) ${ids[*]}; brokers on $(bootstrap_list) (logs: $LOGS/)"
  for i in "${ids[@]}"; do launch_node "$i"; done

  if ! wait_for_brokers "$(broker_ids | paste -sd,)"; then
    # shellcheck disable=SC2046
    show_log_tails $(all_logs)
    die "the cluster did not come up (see the logs above and in $LOGS/); stopping it"
  fi
  trap - EXIT INT TERM
  say "cluster is up after $(elapsed "$t0")s: $(bootstrap_list)"
  bootstrap_list
}

cmd_stop() {
  local timeout="${KAFKA_TWIN_STOP_TIMEOUT:-15}" pid id first=() last=() t0
  t0=$(date +%s%3N)
  if load_cluster_env; then
    # Brokers first, a dedicated controller last, so the brokers' controlled
    # shutdowns still have a quorum to talk to. (In combined mode all nodes go at
    # once; the last voters may then wait for a quorum that is gone until SIGKILL.)
    for id in $(all_node_ids); do
      pid="$(node_pid "$id")"
      [ -n "$pid" ] || continue
      if is_dedicated_controller "$id"; then last+=("$pid"); else first+=("$pid"); fi
    done
  fi
  # Any other JVM of ours (e.g. pid files lost) goes in the last round.
  for pid in $(marked_pids); do
    [[ " ${first[*]:-} ${last[*]:-} " == *" $pid "* ]] || last+=("$pid")
  done
  if [ $(( ${#first[@]} + ${#last[@]} )) -eq 0 ]; then
    say "no Kafka node is running"
  else
    say "stopping pid(s) ${first[*]:-} ${last[*]:-} (SIGTERM, SIGKILL after ${timeout}s)"
    terminate "$timeout" "${first[@]}"
    terminate "$timeout" "${last[@]}"
    say "stopped after $(elapsed "$t0")s"
  fi
  rm -rf "$DATA" "$RUN"
}

cmd_status() {
  if ! load_cluster_env; then
    say "no cluster (run 'scripts/kafka.sh start')"
    local o; o="$(marked_pids | tr '\n' ' ')"
    [ -z "$o" ] || say "but Kafka JVMs of $KAFKA_DIR are running without a cluster file: $o(run 'scripts/kafka.sh stop')"
    return 1
  fi
  local i pid up=0 total=0 ports
  echo "cluster $CLUSTER_ID: $BROKERS broker(s), $CONTROLLER_MODE controller, bootstrap $BOOTSTRAP"
  for i in $(all_node_ids); do
    total=$((total + 1))
    if is_dedicated_controller "$i"; then ports="controller 127.0.0.1:$(controller_port "$i")"
    elif [ "$CONTROLLER_MODE" = dedicated ]; then ports="client 127.0.0.1:$(client_port "$i")"
    else ports="client 127.0.0.1:$(client_port "$i")  controller 127.0.0.1:$(controller_port "$i")"; fi
    pid="$(node_pid "$i")"
    if [ -n "$pid" ]; then
      up=$((up + 1))
      echo "node $i: running  pid $pid  $ports  RSS $(rss_of "$pid")"
    else
      echo "node $i: stopped  $ports"
    fi
  done
  [ "$up" = "$total" ]
}

check_id() {
  load_cluster_env || die "no cluster is running (run 'scripts/kafka.sh start' first)"
  local i
  for i in $(all_node_ids); do [ "$i" = "${1:-}" ] && return 0; done
  die "node id must be one of: $(all_node_ids | paste -sd' ') (got '${1:-}')"
}

cmd_stop_broker() {
  local id="${1:-}" sig=TERM
  [ "${2:-}" = "--kill" ] && sig=KILL
  check_id "$id"
  local pid; pid="$(node_pid "$id")"
  if [ -z "$pid" ]; then say "node $id is not running"; return 0; fi
  local t0; t0=$(date +%s%3N)
  say "stopping node $id (pid $pid) with SIG$sig"
  if [ "$sig" = KILL ]; then
    kill -KILL "$pid" 2>/dev/null || true
    while is_alive "$pid"; do sleep 0.05; done
  else
    terminate "${KAFKA_TWIN_STOP_TIMEOUT:-60}" "$pid"
  fi
  rm -f "$RUN/$(node_name "$id").pid"
  say "node $id stopped after $(elapsed "$t0")s"
}

cmd_start_broker() {
  local id="${1:-}"
  check_id "$id"
  if [ -n "$(node_pid "$id")" ]; then say "node $id is already running"; return 0; fi
  local name; name="$(node_name "$id")"
  [ -f "$DATA/$name/meta.properties" ] || die "node $id has no formatted storage in $DATA/$name"
  local t0; t0=$(date +%s%3N)
  launch_node "$id"
  if is_dedicated_controller "$id"; then
    wait_for_port "$(controller_port "$id")" || { show_log_tails "$LOGS/$name.log"; die "controller $id did not come back"; }
  elif ! wait_for_brokers "$id"; then
    show_log_tails "$LOGS/$name.log"
    die "node $id did not come back"
  fi
  say "node $id is up again after $(elapsed "$t0")s"
}

usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; }

action="${1:-}"; [ $# -gt 0 ] && shift
case "$action" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  stop-broker) cmd_stop_broker "$@" ;;
  start-broker) cmd_start_broker "$@" ;;
  bootstrap) load_cluster_env || die "no cluster is running"; echo "$BOOTSTRAP" ;;
  jars) exec "$SCRIPTS_DIR/kafka-jars.sh" "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
