# Sourced by .ci/run: install PostgreSQL from Debian if needed, start it on loopback, create a
# database for the suite, export SOPDESK_TEST_DATABASE_URL, and stop the server on exit.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "==> installing PostgreSQL from Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

cluster_line="$(pg_lsclusters --no-header | head -n 1 || true)"
if [[ -z "$cluster_line" ]]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    pg_createcluster "$version" main >/dev/null
    cluster_line="$(pg_lsclusters --no-header | head -n 1)"
fi
read -r pg_version pg_cluster pg_port pg_status _ <<<"$cluster_line"

pg_started_here=0
if [[ "$pg_status" != "online" ]]; then
    echo "==> starting PostgreSQL $pg_version/$pg_cluster on port $pg_port"
    pg_ctlcluster "$pg_version" "$pg_cluster" start -- -o "-c listen_addresses=127.0.0.1"
    pg_started_here=1
fi
stop_postgres() {
    if [[ "$pg_started_here" == 1 ]]; then
        echo "==> stopping PostgreSQL"
        pg_ctlcluster "$pg_version" "$pg_cluster" stop || true
    fi
}
trap stop_postgres EXIT

su postgres -c "psql -q -p $pg_port -tc \"SELECT 1 FROM pg_roles WHERE rolname='sopdesk_ci'\" | grep -q 1 || psql -q -p $pg_port -c \"CREATE ROLE sopdesk_ci LOGIN CREATEDB PASSWORD 'sopdesk_ci'\""
su postgres -c "psql -q -p $pg_port -tc \"SELECT 1 FROM pg_database WHERE datname='sopdesk_ci'\" | grep -q 1 || createdb -p $pg_port -O sopdesk_ci sopdesk_ci"
export SOPDESK_TEST_DATABASE_URL="postgres://sopdesk_ci:sopdesk_ci@127.0.0.1:$pg_port/sopdesk_ci"
