#!/usr/bin/env bash
# Makes sure a streaming replica of the PostgreSQL cluster on 127.0.0.1:5432 runs on 127.0.0.1:5433
# (a Debian cluster named `replica`), for test/read-replica.test.ts. Run as root, before the tests:
# when the primary does not allow replication yet, it is changed and, if WAL settings must change,
# restarted, which the other suites must not see happen. Safe to run again: an existing replica
# that streams is left alone, one that cannot catch up any more is made again.
#
#   bash test/support/start-replica.sh    then   TEST_DATABASE_READ_URL=postgres://root@127.0.0.1:5433/test
set -euo pipefail

VERSION=${PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -n 1)}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
NAME=${REPLICA_CLUSTER:-replica}
PRIMARY_CONF=/etc/postgresql/$VERSION/main
REPLICA_CONF=/etc/postgresql/$VERSION/$NAME
REPLICA_DATA=/var/lib/postgresql/$VERSION/$NAME
MARK='# qingyun: streaming replica for the read-replica test'

ask() { psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc "$2"; }
ctl() { pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$@"; }
wait_ready() { for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p "$1" -q && return 0; sleep 0.5; done; return 1; }

# The primary: WAL for a standby (Debian's defaults already are) and replication connections from
# 127.0.0.1, allowed the way the primary already allows ordinary ones there (trust on the CI box).
if [ "$(ask "$PRIMARY_PORT" 'SHOW wal_level')" = minimal ] || [ "$(ask "$PRIMARY_PORT" 'SHOW max_wal_senders')" = 0 ]; then
  printf '%s\nwal_level = replica\nmax_wal_senders = 10\n' "$MARK" >"$PRIMARY_CONF/conf.d/91-replication.conf"
  ctl main restart
  wait_ready "$PRIMARY_PORT"
fi
if ! grep -qF "$MARK" "$PRIMARY_CONF/pg_hba.conf"; then
  method=$(awk '$1 == "host" && $2 == "all" && $3 == "all" && $4 == "127.0.0.1/32" { print $5; exit }' "$PRIMARY_CONF/pg_hba.conf")
  if [ -z "$method" ]; then
    echo "start-replica: $PRIMARY_CONF/pg_hba.conf has no 'host all all 127.0.0.1/32' line to follow" >&2
    exit 1
  fi
  # First in the file: the first line that matches a connection decides it.
  sed -i "1i $MARK\nhost replication all 127.0.0.1/32 $method" "$PRIMARY_CONF/pg_hba.conf"
  ask "$PRIMARY_PORT" 'SELECT pg_reload_conf()' >/dev/null
fi

make_replica() {
  if pg_lsclusters -h | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n { found = 1 } END { exit !found }'; then
    pg_dropcluster --stop "$VERSION" "$NAME"
  fi
  pg_createcluster "$VERSION" "$NAME" -p "$REPLICA_PORT" >/dev/null
  # The standby is a copy of the primary's data directory, roles and databases included.
  rm -rf "${REPLICA_DATA:?}"/*
  su postgres -c "pg_basebackup -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D '$REPLICA_DATA' -R -X stream -c fast"
  # The same client rules as the primary (the tests connect as root over TCP).
  cp "$PRIMARY_CONF/pg_hba.conf" "$REPLICA_CONF/pg_hba.conf"
  printf "%s\nlisten_addresses = '127.0.0.1'\nport = %s\nhot_standby = on\nhot_standby_feedback = on\n" \
    "$MARK" "$REPLICA_PORT" >"$REPLICA_CONF/conf.d/90-replica.conf"
  ctl "$NAME" start
}

streaming() {
  for _ in $(seq 1 60); do
    [ "$(ask "$REPLICA_PORT" 'SELECT status FROM pg_stat_wal_receiver' 2>/dev/null)" = streaming ] && return 0
    sleep 0.5
  done
  return 1
}

if [ -f "$REPLICA_DATA/standby.signal" ]; then
  pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q || ctl "$NAME" start || true
  # Down too long without a slot, a standby may need WAL the primary no longer has: make it again.
  if ! { wait_ready "$REPLICA_PORT" && streaming; }; then
    echo "start-replica: the replica on port $REPLICA_PORT does not stream; making it again" >&2
    make_replica
  fi
else
  make_replica
fi
wait_ready "$REPLICA_PORT"
streaming || { echo "start-replica: the replica on port $REPLICA_PORT does not stream" >&2; exit 1; }
echo "start-replica: $VERSION/$NAME on port $REPLICA_PORT streams from port $PRIMARY_PORT"
