#!/bin/sh
# Compose only: a local CA, and TLS certificates for the Kafka broker and PostgreSQL, written to
# separate volumes so that each container mounts only what it needs (services: the CA alone).
# Also writes the Kafka admin client's properties (admin volume: broker-side steps only).
# Idempotent: existing certificates are kept. Production certificates come from the LA's PKI.
set -eu

CA_DIR="${CA_DIR:-/tls/ca}"
KAFKA_DIR="${KAFKA_DIR:-/tls/kafka}"
POSTGRES_DIR="${POSTGRES_DIR:-/tls/postgres}"
ADMIN_DIR="${ADMIN_DIR:-/tls/admin}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CA_DIR" "$KAFKA_DIR" "$POSTGRES_DIR" "$ADMIN_DIR"

# sign HOST: a key and a certificate for HOST (and localhost), signed by the local CA
sign() {
  host=$1
  openssl req -new -nodes -newkey rsa:2048 -keyout "$WORK/$host.key" \
    -out "$WORK/$host.csr" -subj "/CN=$host"
  printf 'subjectAltName=DNS:%s,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' \
    "$host" > "$WORK/$host.ext"
  openssl x509 -req -in "$WORK/$host.csr" -CA "$CA_DIR/ca.pem" -CAkey "$WORK/ca.key" \
    -CAcreateserial -CAserial "$WORK/ca.srl" -out "$WORK/$host.crt" -days 825 \
    -extfile "$WORK/$host.ext"
}

if [ ! -f "$CA_DIR/ca.pem" ]; then
  openssl req -x509 -new -nodes -newkey rsa:3072 -keyout "$WORK/ca.key" \
    -out "$CA_DIR/ca.pem" -days 825 -subj "/CN=AP Journey local CA"
  sign kafka
  sign postgres
  # Kafka reads a PEM key store: the PKCS#8 key followed by the certificate.
  openssl pkcs8 -topk8 -nocrypt -in "$WORK/kafka.key" -out "$WORK/kafka.pk8"
  cat "$WORK/kafka.pk8" "$WORK/kafka.crt" > "$KAFKA_DIR/kafka.keystore.pem"
  cp "$CA_DIR/ca.pem" "$KAFKA_DIR/ca.pem"
  cp "$WORK/postgres.crt" "$POSTGRES_DIR/server.crt"
  cp "$WORK/postgres.key" "$POSTGRES_DIR/server.key"
  # The CA key is not kept: nothing here can mint another certificate.
fi
chmod 0644 "$CA_DIR/ca.pem" "$KAFKA_DIR/ca.pem"
chown 1000:1000 "$KAFKA_DIR/kafka.keystore.pem"   # appuser of the apache/kafka image
chmod 0600 "$KAFKA_DIR/kafka.keystore.pem"
chown 70:70 "$POSTGRES_DIR/server.key" "$POSTGRES_DIR/server.crt"  # postgres of the alpine image
chmod 0600 "$POSTGRES_DIR/server.key"

# The admin principal's client settings, for the health check, topic and ACL steps.
cat > "$ADMIN_DIR/admin.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD:?KAFKA_ADMIN_PASSWORD must be set}";
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/tls/ca.pem
PROPS
chown 1000:1000 "$ADMIN_DIR/admin.properties"
chmod 0600 "$ADMIN_DIR/admin.properties"
echo "certificates ready"
