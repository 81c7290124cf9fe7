#!/usr/bin/env bash
# Starts the PostgreSQL and Redis servers the tests talk to, when they are not up.
# Both listen on loopback only: PostgreSQL 127.0.0.1:5432 (trust auth), Redis 127.0.0.1:6379.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  else
    echo "PostgreSQL is not installed; install it (apt-get install postgresql) with trust auth on 127.0.0.1." >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  if ! command -v redis-server >/dev/null; then
    echo "Redis is not installed; install it (apt-get install redis-server)." >&2
    exit 1
  fi
  mkdir -p /tmp/memory-studio-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/memory-studio-redis --logfile /tmp/memory-studio-redis/redis.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 -p 6379 ping
fi
