#!/usr/bin/env bash
# Makes sure the local PostgreSQL server runs and holds the role and database the tests use.
# Idempotent: safe to run before every `make test`. Needs only a local server with trust or peer auth for the
# superuser, as on the CI machine; installs PostgreSQL from Debian's packages when none is present.
set -euo pipefail

url=${TEST_PG_URL:-postgresql+psycopg://apex_test:apex_test@127.0.0.1:5432/apex_test}
role=apex_test
password=apex_test
dbname=apex_test
port=$(printf '%s' "$url" | sed -E 's#.*@[^:/]+:([0-9]+)/.*#\1#')
case "$port" in ''|*[!0-9]*) port=5432 ;; esac

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" = 0 ]; then su postgres -c "$(printf '%q ' "$@")"; else sudo -u postgres "$@"; fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing it from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
  else
    echo "PostgreSQL is not installed and cannot be installed here (need root and apt-get)" >&2
    exit 1
  fi
fi

if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
  # The cluster that listens on the port (pg_lsclusters: version, name, port, ...); a new install has 15/main.
  cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p {print $1, $2; exit}')
  [ -n "$cluster" ] || cluster="$(ls /etc/postgresql | sort -V | tail -n 1) main"
  echo "PostgreSQL is not running on port $port: starting cluster ${cluster/ //}"
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $cluster start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "PostgreSQL did not come up on 127.0.0.1:$port" >&2; exit 1; }

psql_super() { as_postgres psql -v ON_ERROR_STOP=1 -q -X -p "$port" -d postgres "$@"; }
if [ "$(psql_super -tAc "select 1 from pg_roles where rolname = '$role'")" != 1 ]; then
  psql_super -c "create role $role login password '$password'"
fi
for db in "$dbname" "${dbname}_dagster"; do
  if [ "$(psql_super -tAc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
    psql_super -c "create database $db owner $role"
  fi
done
echo "PostgreSQL ready on 127.0.0.1:$port: role $role, databases $dbname and ${dbname}_dagster"
