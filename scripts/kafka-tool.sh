#!/usr/bin/env bash
# Runs one of Kafka 3.9's command-line tools from the Maven jars in .kafka/lib (fetched by
# scripts/kafka-jars.sh), as the distribution's bin/<tool>.sh would, without the tarball.
#
#   scripts/kafka-tool.sh <tool> [args...]     e.g. scripts/kafka-tool.sh kafka-topics --bootstrap-server 127.0.0.1:9092 --list
#   scripts/kafka-tool.sh --list               the tools it knows
#
# Logging goes to stderr at ERROR (KAFKA_TOOL_LOG_LEVEL=WARN|INFO|DEBUG for more), so stdout is
# what the tool prints. Env: KAFKA_TWIN_DIR (default <repo>/.kafka), KAFKA_TOOL_HEAP (default
# -Xmx256m), JAVA (default java).
set -euo pipefail

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS_DIR/.." && pwd)"
KAFKA_DIR="${KAFKA_TWIN_DIR:-$ROOT/.kafka}"
LIB="$KAFKA_DIR/lib"

# bin/<tool>.sh -> main class, as Kafka 3.9.2's bin/ scripts name them: TopicCommand,
# ConsoleConsumer, ConsumerGroupCommand and the Verifiable* clients are in kafka-tools;
# ConsoleProducer is still in kafka_2.13 (core) in 3.9.
class_of() {
  case "$1" in
    kafka-topics) echo org.apache.kafka.tools.TopicCommand ;;
    kafka-console-producer) echo kafka.tools.ConsoleProducer ;;
    kafka-console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    kafka-consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    kafka-verifiable-producer) echo org.apache.kafka.tools.VerifiableProducer ;;
    kafka-verifiable-consumer) echo org.apache.kafka.tools.VerifiableConsumer ;;
    kafka-get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    kafka-configs) echo kafka.admin.ConfigCommand ;;
    kafka-reassign-partitions) echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    kafka-broker-api-versions) echo kafka.admin.BrokerApiVersionsCommand ;;
    kafka-producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
    kafka-consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
    *) return 1 ;;
  esac
}
TOOLS="kafka-topics kafka-console-producer kafka-console-consumer kafka-consumer-groups kafka-verifiable-producer kafka-verifiable-consumer kafka-get-offsets kafka-configs kafka-reassign-partitions kafka-broker-api-versions kafka-producer-perf-test kafka-consumer-perf-test"

case "${1:-}" in
  ""|-h|--help) sed -n '2,10p' "$0"; exit 2 ;;
  --list) for t in $TOOLS; do echo "$t $(class_of "$t")"; done; exit 0 ;;
esac
tool="${1%.sh}"
shift
if ! main="$(class_of "$tool")"; then
  echo "kafka-tool: unknown tool '$tool' (known: $TOOLS)" >&2
  exit 2
fi
JAVA="${JAVA:-java}"
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "kafka-tool: '$JAVA' is not installed (need a JDK 17+; on Debian: apt-get install -y openjdk-17-jdk-headless)" >&2
  exit 1
fi
if ! ls "$LIB"/kafka-tools-*.jar >/dev/null 2>&1 || ! ls "$LIB"/kafka_2.13-*.jar >/dev/null 2>&1; then
  echo "kafka-tool: Kafka's jars are not in $LIB; fetch them with 'npm run kafka:jars' (scripts/kafka-jars.sh)" >&2
  exit 1
fi

# shellcheck disable=SC2086
exec "$JAVA" ${KAFKA_TOOL_HEAP:--Xmx256m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  "-Dlog4j.configuration=file:$SCRIPTS_DIR/kafka/tools-log4j.properties" \
  "-Dkafka.tool.log.level=${KAFKA_TOOL_LOG_LEVEL:-ERROR}" \
  -cp "$LIB/*" "$main" "$@"
