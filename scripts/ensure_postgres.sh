#!/usr/bin/env bash
# Makes sure the local PostgreSQL server runs and holds the role and database the tests use.
# Idempotent: safe to run before every `make test`. Needs only a local server with trust or peer auth for the
# superuser, as on the CI machine; installs PostgreSQL from Debian's packages when none is present.
set -euo pipefail

role=apex_test
password=apex_test
dbname=apex_test

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

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "PostgreSQL is not running: starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }

psql_super() { as_postgres psql -v ON_ERROR_STOP=1 -q -X -d postgres "$@"; }
if [ "$(psql_super -tAc "select 1 from pg_roles where rolname = '$role'")" != 1 ]; then
  psql_super -c "create role $role login password '$password'"
fi
for db in "$dbname" "${dbname}_dagster"; do
  if [ "$(psql_super -tAc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
    psql_super -c "create database $db owner $role"
  fi
done
echo "PostgreSQL ready on 127.0.0.1:5432: role $role, databases $dbname and ${dbname}_dagster"
