#!/usr/bin/env bash
# Fetches the Apache Kafka 3.9 broker and all its runtime jars from Maven Central
# into .kafka/lib/ (see scripts/kafka/pom.xml). Idempotent: does nothing when the
# jars for the current pom are already there.
#
#   scripts/kafka-jars.sh            # fetch if needed
#   scripts/kafka-jars.sh --force    # fetch again
#
# Env: KAFKA_TWIN_DIR (default <repo>/.kafka), MAVEN_ARGS_EXTRA (extra mvn flags).
set -euo pipefail

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS_DIR/.." && pwd)"
KAFKA_DIR="${KAFKA_TWIN_DIR:-$ROOT/.kafka}"
LIB="$KAFKA_DIR/lib"
POM="$SCRIPTS_DIR/kafka/pom.xml"
MARKER="$LIB/.kafka-twin-jars"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "kafka-jars: unknown argument: $1" >&2; exit 2 ;;
esac

# The marker records the pom's hash, so changing a version in the pom re-fetches.
want="$(sha256sum "$POM" | cut -d' ' -f1)"
if [ "$force" = 0 ] && [ -f "$MARKER" ] && [ "$(head -n1 "$MARKER")" = "$want" ]; then
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "kafka-jars: '$tool' is not installed (need a JDK 17+ and Maven; on Debian: apt-get install -y openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done

mkdir -p "$KAFKA_DIR/logs"
tmp="$KAFKA_DIR/lib.tmp.$$"
log="$KAFKA_DIR/logs/kafka-jars.mvn.log"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "kafka-jars: fetching Kafka broker jars with Maven into $LIB (log: $log) ..." >&2
start=$(date +%s)
# shellcheck disable=SC2086
if ! mvn -B -ntp -f "$POM" \
      "-Dkafka.lib.dir=$tmp" "-Dkafka.mvn.dir=$KAFKA_DIR/mvn-target" \
      ${MAVEN_ARGS_EXTRA:-} \
      dependency:copy-dependencies >"$log" 2>&1; then
  echo "kafka-jars: ERROR: Maven failed to fetch the Kafka jars. Last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

count=$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)
if ! ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || ! ls "$tmp"/reload4j-*.jar >/dev/null 2>&1; then
  echo "kafka-jars: ERROR: Maven succeeded but kafka_2.13/reload4j jars are missing in $tmp ($count jars). See $log" >&2
  exit 1
fi

version=$(find "$tmp" -maxdepth 1 -name 'kafka_2.13-*.jar' -printf '%f\n' | head -n1 | sed -e 's/^kafka_2\.13-//' -e 's/\.jar$//')
printf '%s\nkafka=%s\njars=%s\n' "$want" "$version" "$count" >"$tmp/.kafka-twin-jars"
rm -rf "$LIB"
mv "$tmp" "$LIB"
rm -rf "$KAFKA_DIR/mvn-target"
echo "kafka-jars: Kafka $version, $count jars, $(du -sh "$LIB" | cut -f1) in $LIB ($(( $(date +%s) - start ))s)" >&2
