#!/usr/bin/env bash
# Installs (from Debian) and starts a local PostgreSQL for the tests, creates the role
# `hotline` allowed to create databases, and prints a URL for it. Idempotent.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
    pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
for _ in $(seq 1 30); do
    su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
    sleep 1
done
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'hotline'\"" | grep -q 1 ||
    su postgres -c "psql -p $port -qc \"CREATE ROLE hotline LOGIN PASSWORD 'hotline' CREATEDB\"" >&2
# Each test creates its own database; clear out those of earlier runs.
for db in $(su postgres -c "psql -p $port -qtAc \"SELECT datname FROM pg_database WHERE datname LIKE 'hotline_test_%'\""); do
    su postgres -c "psql -p $port -qc 'DROP DATABASE IF EXISTS $db'" >&2
done
echo "postgres://hotline:hotline@127.0.0.1:$port/postgres"
