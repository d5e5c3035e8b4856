#!/usr/bin/env bash
# Create the journey topics explicitly (auto-created ones get broker defaults). Idempotent:
# an existing topic is left as it is (its configuration is not changed).
# Compose runs it with the defaults; a real cluster needs REPLICATION_FACTOR=3 MIN_INSYNC_REPLICAS=2
# (see deploy/README.md).
set -euo pipefail

BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
PARTITIONS="${PARTITIONS:-3}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
MIN_INSYNC_REPLICAS="${MIN_INSYNC_REPLICAS:-}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
# client properties for a secured cluster (SASL_SSL admin: compose passes its admin.properties)
COMMAND_CONFIG="${COMMAND_CONFIG:-}"
CLIENT=(--bootstrap-server "$BOOTSTRAP")
if [[ -n "$COMMAND_CONFIG" ]]; then
  CLIENT+=(--command-config "$COMMAND_CONFIG")
fi

create() {
  local topic=$1
  shift
  local configs=("$@")
  if [[ -n "$MIN_INSYNC_REPLICAS" ]]; then
    configs+=(--config "min.insync.replicas=$MIN_INSYNC_REPLICAS")
  fi
  "$KAFKA_TOPICS" "${CLIENT[@]}" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR" \
    ${configs[@]+"${configs[@]}"}
}

# The journey topics are the history read models are rebuilt from: kept forever (retention.ms=-1).
# journey.identity is compacted instead (latest details per pupil; erasure publishes tombstones).
create journey.referrals --config retention.ms=-1
create journey.identity --config cleanup.policy=compact
create journey.providers --config retention.ms=-1
create journey.placements --config retention.ms=-1
create journey.outcomes --config retention.ms=-1
create journey.deadletter

"$KAFKA_TOPICS" "${CLIENT[@]}" --list
