#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis servers for the test suite.
#
#   scripts/services.sh install        # apt-get install what is missing (postgresql, redis-server)
#   scripts/services.sh start          # install if needed, start both, print `export ...` lines
#   scripts/services.sh stop DIR       # stop the servers of one run and delete DIR
#   scripts/services.sh reap           # stop/delete leftovers of runs whose owner process is gone
#
# Typical use (this is what scripts/test.sh does):
#   eval "$(scripts/services.sh start)"
#   trap 'scripts/services.sh stop "$LEADFLOW_SERVICES_DIR"' EXIT
#
# `start` prints:
#   LEADFLOW_TEST_PG_URL=postgresql+psycopg://leadflow@127.0.0.1:PORT/leadflow_test
#   LEADFLOW_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#   LEADFLOW_SERVICES_DIR=/tmp/leadflow-services.XXXXXX   (everything of this run lives here)
# Both servers listen on 127.0.0.1 only, on spare ports, keep no data beyond the run,
# and never touch a system cluster. PostgreSQL refuses to run as root, so as root the
# cluster runs as the `postgres` system user (created by Debian's package) or, failing
# that, a `leadflow-pg` system user made here.
#
# Environment:
#   LEADFLOW_SERVICES_ROOT  parent of the per-run dirs (default /tmp; must be reachable by the pg user)
#   LEADFLOW_SERVICES_OWNER pid whose death marks a run as stale (default: the caller, $PPID)
#   LEADFLOW_FORCE_APT=1    run the apt step even if everything is present (for testing the script)
set -euo pipefail

ROOT_DIR="${LEADFLOW_SERVICES_ROOT:-/tmp}"
PREFIX="leadflow-services."
PG_SUPERUSER="leadflow"
PG_DB="leadflow_test"

log() { echo "services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- binaries

pg_bindir() {
  # Newest Debian server install first, then whatever is on PATH.
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"; return 0
    fi
  done
  local initdb
  if initdb="$(command -v initdb 2>/dev/null)"; then
    d="$(dirname "$(readlink -f "$initdb")")"
    if [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  fi
  return 1
}

redis_server_bin() { command -v redis-server 2>/dev/null || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; }; }
redis_cli_bin() { command -v redis-cli 2>/dev/null || { [ -x /usr/bin/redis-cli ] && echo /usr/bin/redis-cli; }; }

# Debian packages to install when a needed program is missing. Add more here
# (e.g. chromium) as the test suite grows.
missing_packages() {
  local pkgs=()
  pg_bindir >/dev/null || pkgs+=(postgresql)
  command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client)
  redis_server_bin >/dev/null || pkgs+=(redis-server)
  redis_cli_bin >/dev/null || pkgs+=(redis-tools)
  if [ "${LEADFLOW_FORCE_APT:-0}" = 1 ] && [ ${#pkgs[@]} -eq 0 ]; then
    pkgs=(postgresql redis-server)
  fi
  # de-duplicate while keeping order
  printf '%s\n' "${pkgs[@]}" | awk 'NF && !seen[$0]++'
}

cmd_install() {
  local pkgs
  mapfile -t pkgs < <(missing_packages)
  if [ ${#pkgs[@]} -eq 0 ]; then
    return 0
  fi
  local sudo=()
  if ! is_root; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "missing Debian packages: ${pkgs[*]}; install them (apt-get install ${pkgs[*]}) or run as root / with passwordless sudo"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages ${pkgs[*]} and no apt-get to install them"
  log "installing Debian packages: ${pkgs[*]}"
  local apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update -qq </dev/null >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq \
    --no-install-recommends "${pkgs[@]}" </dev/null >&2
  pg_bindir >/dev/null || die "PostgreSQL server binaries still not found after installing"
  redis_server_bin >/dev/null || die "redis-server still not found after installing"
}

# ---------------------------------------------------------------- helpers

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# The OS user that runs PostgreSQL (empty: the current user).
pg_os_user() {
  if ! is_root; then echo ""; return 0; fi
  if id -u postgres >/dev/null 2>&1; then echo postgres; return 0; fi
  if id -u leadflow-pg >/dev/null 2>&1; then echo leadflow-pg; return 0; fi
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin leadflow-pg >&2
    echo leadflow-pg; return 0
  fi
  echo nobody
}

# Run a command as the pg OS user, from a directory it can read.
as_pg() {
  local user="$1"; shift
  if [ -z "$user" ]; then
    (cd / && "$@")
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u "$user" -- "$@")
  else
    (cd / && su -s /bin/sh "$user" -c "$(printf '%q ' "$@")")
  fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- stop / reap

stop_dir() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  case "$(basename "$dir")" in
    "$PREFIX"*) ;;
    *) die "refusing to clean $dir: not a leadflow services dir" ;;
  esac
  local user="" bindir="" pid
  [ -f "$dir/pg_user" ] && user="$(cat "$dir/pg_user")"
  [ -f "$dir/pg_bindir" ] && bindir="$(cat "$dir/pg_bindir")"

  # PostgreSQL: pg_ctl stop, then make sure the postmaster is gone.
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    pid="$(head -1 "$dir/pg/data/postmaster.pid" 2>/dev/null || true)"
    if [ -n "$bindir" ] && [ -x "$bindir/pg_ctl" ]; then
      as_pg "$user" "$bindir/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if pid_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi

  # Redis: kill the pid from its pidfile (only if it really is a redis-server).
  if [ -f "$dir/redis/redis.pid" ]; then
    pid="$(cat "$dir/redis/redis.pid" 2>/dev/null || true)"
    if pid_alive "$pid" && grep -q redis "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

cmd_stop() {
  local dir="${1:-${LEADFLOW_SERVICES_DIR:-}}"
  [ -n "$dir" ] || die "usage: $0 stop DIR"
  trap '' INT TERM HUP   # finish stopping even if interrupted
  stop_dir "$dir"
  log "stopped and removed $dir"
}

cmd_reap() {
  local dir owner
  for dir in "$ROOT_DIR/$PREFIX"*; do
    [ -d "$dir" ] || continue
    owner="$(cat "$dir/owner.pid" 2>/dev/null || true)"
    if pid_alive "$owner"; then continue; fi
    log "cleaning up stale run $dir"
    stop_dir "$dir" || true
  done
}

# ---------------------------------------------------------------- start

start_pg() {
  local dir="$1" user="$2" bindir="$3" port
  mkdir -p "$dir/pg"
  [ -n "$user" ] && chown "$user" "$dir/pg"
  chmod 700 "$dir/pg"
  as_pg "$user" "$bindir/initdb" -D "$dir/pg/data" -U "$PG_SUPERUSER" -A trust -E UTF8 --no-locale --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  echo "include = '$dir/pg/port.conf'" >>"$dir/pg/data/postgresql.conf"
  local attempt
  for attempt in 1 2 3; do
    port="$(free_port)"
    cat >"$dir/pg/port.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/pg'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
    [ -n "$user" ] && chown "$user" "$dir/pg/port.conf"
    if as_pg "$user" "$bindir/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start >/dev/null 2>&1; then
      echo "$port" >"$dir/pg_port"
      break
    fi
    log "PostgreSQL did not start on port $port (attempt $attempt):"
    tail -n 20 "$dir/pg/server.log" >&2 || true
    [ "$attempt" = 3 ] && die "could not start PostgreSQL"
  done
  "$bindir/psql" -X -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE DATABASE $PG_DB" >/dev/null || die "could not create database $PG_DB"
}

start_redis() {
  local dir="$1" server cli port
  server="$(redis_server_bin)"
  cli="$(redis_cli_bin || true)"
  mkdir -p "$dir/redis"
  local attempt
  for attempt in 1 2 3; do
    port="$(free_port)"
    rm -f "$dir/redis/redis.pid"
    if "$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
         --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" >/dev/null 2>&1; then
      for _ in $(seq 100); do
        if [ -n "$cli" ]; then
          [ "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && { echo "$port" >"$dir/redis_port"; return 0; }
        elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
          echo "$port" >"$dir/redis_port"; return 0
        fi
        sleep 0.1
      done
    fi
    log "Redis did not start on port $port (attempt $attempt):"
    tail -n 20 "$dir/redis/redis.log" >&2 || true
    # kill a half-started server before retrying
    if [ -f "$dir/redis/redis.pid" ]; then kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true; fi
  done
  die "could not start Redis"
}

cmd_start() {
  cmd_install
  cmd_reap

  local bindir user dir
  bindir="$(pg_bindir)" || die "PostgreSQL server binaries not found"
  user="$(pg_os_user)"
  mkdir -p "$ROOT_DIR"
  dir="$(mktemp -d "$ROOT_DIR/${PREFIX}XXXXXX")"
  chmod 755 "$dir"   # the pg user must be able to reach $dir/pg
  echo "${LEADFLOW_SERVICES_OWNER:-$PPID}" >"$dir/owner.pid"
  echo "$user" >"$dir/pg_user"
  echo "$bindir" >"$dir/pg_bindir"
  # On any failure below, stop whatever this run already started.
  trap 'rc=$?; if [ $rc -ne 0 ]; then stop_dir "'"$dir"'" || true; fi; exit $rc' EXIT

  start_pg "$dir" "$user" "$bindir"
  start_redis "$dir"

  local pg_port redis_port
  pg_port="$(cat "$dir/pg_port")"
  redis_port="$(cat "$dir/redis_port")"
  log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (as ${user:-$(id -un)}), Redis on 127.0.0.1:$redis_port, in $dir"
  cat <<EOF
export LEADFLOW_SERVICES_DIR='$dir'
export LEADFLOW_TEST_PG_URL='postgresql+psycopg://$PG_SUPERUSER@127.0.0.1:$pg_port/$PG_DB'
export LEADFLOW_TEST_REDIS_URL='redis://127.0.0.1:$redis_port/0'
EOF
  trap - EXIT
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  reap) cmd_reap ;;
  *) echo "usage: $0 {install|start|stop DIR|reap}" >&2; exit 2 ;;
esac
