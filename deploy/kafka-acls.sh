#!/usr/bin/env bash
# Kafka ACLs: one principal per service. Each service may write only the topics it owns (and
# journey.deadletter, where a consumer parks poison); each reads only what it consumes; only
# reporting may read journey.identity. Idempotent (an existing ACL is left as it is). The broker
# denies whatever no ACL allows (allow.everyone.if.no.acl.found=false); the admin is super user.
set -euo pipefail

BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
COMMAND_CONFIG="${COMMAND_CONFIG:-/etc/kafka/admin/admin.properties}"
KAFKA_ACLS="${KAFKA_ACLS:-/opt/kafka/bin/kafka-acls.sh}"

# principal operation topic (tests/e2e/test_privacy_deploy.py checks this table against the code)
TOPIC_ACLS=(
  "referral Write journey.referrals"
  "referral Write journey.identity"
  "placement Write journey.providers"
  "placement Write journey.placements"
  "placement Write journey.deadletter"
  "placement Read journey.referrals"
  "outcomes Write journey.outcomes"
  "outcomes Write journey.deadletter"
  "outcomes Read journey.referrals"
  "outcomes Read journey.placements"
  "reporting Write journey.deadletter"
  "reporting Read journey.referrals"
  "reporting Read journey.identity"
  "reporting Read journey.providers"
  "reporting Read journey.placements"
  "reporting Read journey.outcomes"
)
# principals whose consumer groups are named "<service>.<consumer>.<topic>"
CONSUMER_GROUPS=(placement outcomes reporting)

acl() {
  "$KAFKA_ACLS" --bootstrap-server "$BOOTSTRAP" --command-config "$COMMAND_CONFIG" --add "$@"
}

for entry in "${TOPIC_ACLS[@]}"; do
  read -r principal operation topic <<<"$entry"
  acl --allow-principal "User:$principal" --operation "$operation" --operation Describe \
    --topic "$topic"
done
for principal in "${CONSUMER_GROUPS[@]}"; do
  acl --allow-principal "User:$principal" --operation Read --operation Describe \
    --group "$principal." --resource-pattern-type prefixed
done

"$KAFKA_ACLS" --bootstrap-server "$BOOTSTRAP" --command-config "$COMMAND_CONFIG" --list
