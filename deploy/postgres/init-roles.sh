#!/usr/bin/env bash
# PostgreSQL roles per service (docker-entrypoint-initdb.d: runs once, on an empty data
# directory). Each service gets a login role that owns its own database and nothing else; no
# role but the owner may connect to a service's database. The services connect to `postgres`
# only to check that their database exists (they cannot create one: NOCREATEDB).
set -euo pipefail

for service in referral placement outcomes reporting; do
  var="POSTGRES_${service^^}_PASSWORD"
  password="${!var:?$var must be set}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set=role="$service" --set=password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"role" TO :"role";
SQL
done
