#!/usr/bin/env bash
# Prepares everything the opsdeck test suite needs on a Debian 12 machine (run as root):
# apt packages, node_modules, a running dockerd, a dedicated `opsdeck` SSH user served by a
# private sshd on 127.0.0.1:2222, locally built busybox test images, and .test-env/env.json.
#
# Idempotent and fast when everything is already in place: it runs before every test run.
# Needs no network except the Debian apt mirrors and the npm registry (and those only when
# something is missing).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
ENV_DIR="$REPO/.test-env"

TEST_USER=opsdeck
TEST_HOME=/home/opsdeck
PREVIEWS_DIR="$TEST_HOME/previews"
SSH_HOST=127.0.0.1
SSH_PORT=2222
KEY="$ENV_DIR/id_ed25519"
SSHD_CONFIG="$ENV_DIR/sshd_config"
SSHD_PID="$ENV_DIR/sshd.pid"
SSHD_LOG="$ENV_DIR/sshd.log"
KNOWN_HOSTS="$ENV_DIR/known_hosts"
DOCKERD_LOG=/tmp/opsdeck-dockerd.log
DOCKER_SOCKET=/var/run/docker.sock
BUSYBOX_IMAGE=opsdeck-test/busybox:1
APP_VERSIONS=(v1 v2 v3)
# Bump when the image recipe below changes: images with another revision label are rebuilt.
IMAGE_REV=2
IMAGE_REV_LABEL=org.opsdeck.test-image-rev

PACKAGES=(openssh-server docker.io docker-compose busybox-static postgresql redis-server util-linux iproute2 restic caddy curl)

T0=$(date +%s%N)
step() { printf '[test-setup] %s\n' "$*"; }
die() { printf '[test-setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages, creates the '$TEST_USER' user and starts dockerd/sshd)"

mkdir -p "$ENV_DIR"
chmod 700 "$ENV_DIR"

# Serialise concurrent runs (e.g. two test runs started at once).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ENV_DIR/setup.lock"
  flock 9
fi

# --- 1. apt packages -------------------------------------------------------------------------
missing=()
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)"
for p in "${PACKAGES[@]}"; do
  grep -qx "$p install ok installed" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/tmp/opsdeck-apt.log 2>&1 \
    || { tail -n 30 /tmp/opsdeck-apt.log >&2; die "apt-get install failed (full log: /tmp/opsdeck-apt.log)"; }
else
  step "apt: all ${#PACKAGES[@]} packages present"
fi
for cmd in ssh ssh-keygen /usr/sbin/sshd dockerd docker ss /bin/busybox; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found after package installation"
done

# --- 2. node_modules -------------------------------------------------------------------------
command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 20 first"
if [ ! -d "$REPO/node_modules" ] || [ "$REPO/package-lock.json" -nt "$REPO/node_modules/.package-lock.json" ]; then
  step "npm: running npm ci"
  (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=error)
else
  step "npm: node_modules up to date"
fi

# --- 3. docker group + dockerd ---------------------------------------------------------------
# The group must exist before dockerd starts, so that dockerd hands the socket to it.
getent group docker >/dev/null || groupadd --system docker

docker_up() { [ -n "$(docker info --format '{{.ServerVersion}}' 2>/dev/null)" ]; }
dockerd_alive() { grep -qsx dockerd /proc/[0-9]*/comm 2>/dev/null; }

start_dockerd() {
  printf '\n=== %s: dockerd %s ===\n' "$(date -Is)" "$*" >>"$DOCKERD_LOG"
  # setsid + nohup: dockerd gets its own session and survives this script and its terminal.
  nohup setsid dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &  # 9: the setup lock must not outlive this script
}

wait_docker() { # $1 = seconds
  local i
  for ((i = 0; i < $1 * 5; i++)); do
    docker_up && return 0
    # Give up early if dockerd died (after a short grace period for setsid/startup).
    if [ "$i" -ge 10 ] && ! dockerd_alive; then return 1; fi
    sleep 0.2
  done
  return 1
}

if docker_up; then
  step "docker: daemon running ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
else
  step "docker: starting dockerd (log: $DOCKERD_LOG)"
  if dockerd_alive; then
    # A dockerd is starting up (or is stuck); give it the full time before doing anything else.
    wait_docker 30 || die "a dockerd process exists but the API does not answer; see $DOCKERD_LOG"
  else
    start_dockerd
    if ! wait_docker 30; then
      dockerd_alive && die "dockerd did not answer within 30 s; see $DOCKERD_LOG"
      # Typical in containers without iptables/NAT support: retry without them. User-defined
      # bridge networks still work with --bridge=none.
      step "docker: dockerd exited; retrying with --iptables=false --bridge=none"
      start_dockerd --iptables=false --bridge=none
      wait_docker 30 || die "dockerd failed to start; see $DOCKERD_LOG"
    fi
  fi
  step "docker: daemon up ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
fi
# If dockerd was started before the docker group existed, the socket belongs to root:root.
if [ -S "$DOCKER_SOCKET" ] && [ "$(stat -c %G "$DOCKER_SOCKET")" != docker ]; then
  chgrp docker "$DOCKER_SOCKET"
  chmod 660 "$DOCKER_SOCKET"
fi

# --- 4. test user ----------------------------------------------------------------------------
if ! id -u "$TEST_USER" >/dev/null 2>&1; then
  step "user: creating $TEST_USER"
  mkdir -p "$(dirname "$TEST_HOME")"
  useradd --create-home --home-dir "$TEST_HOME" --shell /bin/sh --user-group "$TEST_USER"
else
  step "user: $TEST_USER exists"
fi
[ "$(getent passwd "$TEST_USER" | cut -d: -f7)" = /bin/sh ] || usermod --shell /bin/sh "$TEST_USER"
# sshd without PAM refuses even key logins for "locked" accounts ('!' password): use '*'.
case "$(getent shadow "$TEST_USER" | cut -d: -f2)" in
  '!'*) usermod --password '*' "$TEST_USER" ;;
esac
[[ " $(id -nG "$TEST_USER") " == *" docker "* ]] || usermod -aG docker "$TEST_USER"
mkdir -p "$TEST_HOME"
chown "$TEST_USER:$TEST_USER" "$TEST_HOME"
chmod go-w "$TEST_HOME" # sshd StrictModes
install -d -o "$TEST_USER" -g "$TEST_USER" -m 755 "$PREVIEWS_DIR"

# --- 5. keys ---------------------------------------------------------------------------------
gen_key() { # $1 = type, $2 = file, $3 = comment
  if [ ! -f "$2" ]; then
    ssh-keygen -q -t "$1" -N '' -C "$3" -f "$2" </dev/null
  elif [ ! -f "$2.pub" ]; then
    ssh-keygen -y -f "$2" >"$2.pub"
  fi
  chmod 600 "$2"
}
gen_key ed25519 "$KEY" opsdeck-test-client
gen_key ed25519 "$ENV_DIR/ssh_host_ed25519_key" opsdeck-test-host
gen_key ecdsa "$ENV_DIR/ssh_host_ecdsa_key" opsdeck-test-host

install -d -o "$TEST_USER" -g "$TEST_USER" -m 700 "$TEST_HOME/.ssh"
AUTH_KEYS="$TEST_HOME/.ssh/authorized_keys"
PUBKEY="$(cat "$KEY.pub")"
if ! grep -qxF "$PUBKEY" "$AUTH_KEYS" 2>/dev/null; then
  printf '%s\n' "$PUBKEY" >>"$AUTH_KEYS"
fi
chown "$TEST_USER:$TEST_USER" "$AUTH_KEYS"
chmod 600 "$AUTH_KEYS"

known_hosts_tmp="$(mktemp "$ENV_DIR/.known_hosts.XXXXXX")"
for k in ed25519 ecdsa; do
  printf '[%s]:%s %s\n' "$SSH_HOST" "$SSH_PORT" "$(cut -d' ' -f1,2 "$ENV_DIR/ssh_host_${k}_key.pub")"
done >"$known_hosts_tmp"
if cmp -s "$known_hosts_tmp" "$KNOWN_HOSTS"; then rm -f "$known_hosts_tmp"; else mv -f "$known_hosts_tmp" "$KNOWN_HOSTS"; fi
step "keys: client key $KEY"

# --- 6. private sshd on 127.0.0.1:2222 -------------------------------------------------------
sshd_tmp="$(mktemp "$ENV_DIR/.sshd_config.XXXXXX")"
cat >"$sshd_tmp" <<EOF
# Generated by scripts/test-setup.sh: private sshd for the test suite (not the system sshd).
ListenAddress $SSH_HOST
Port $SSH_PORT
HostKey "$ENV_DIR/ssh_host_ed25519_key"
HostKey "$ENV_DIR/ssh_host_ecdsa_key"
PidFile "$SSHD_PID"
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $TEST_USER
AuthorizedKeysFile .ssh/authorized_keys
UsePAM no
MaxSessions 50
MaxStartups 100
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
PrintMotd no
PrintLastLog no
Subsystem sftp internal-sftp
# The post-quantum default KEX costs ~150 ms of client CPU per connection; tests open many.
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group14-sha256
EOF
sshd_listening() { [ -n "$(ss -ltnH "sport = :$SSH_PORT" 2>/dev/null)" ]; }
our_sshd_pid() { # prints the pid of the sshd started by this script, if alive
  local pid
  pid="$(cat "$SSHD_PID" 2>/dev/null || true)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && echo "$pid"
}
if ! cmp -s "$sshd_tmp" "$SSHD_CONFIG"; then
  mv -f "$sshd_tmp" "$SSHD_CONFIG"
  pid="$(our_sshd_pid || true)"
  if [ -n "$pid" ]; then
    step "sshd: config changed, restarting pid $pid"
    kill "$pid"
    for ((i = 0; i < 50; i++)); do sshd_listening || break; sleep 0.1; done
  fi
else
  rm -f "$sshd_tmp"
fi
chmod 600 "$SSHD_CONFIG"
pid="$(our_sshd_pid || true)"
# A test sshd of another checkout (another .test-env, so other host keys) may hold the port:
# stop it and start ours, or every known_hosts check here would fail.
if [ -z "$pid" ] && sshd_listening; then
  for other in $(ss -ltnpH "sport = :$SSH_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    if tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null | grep -q '/.test-env/sshd_config'; then
      step "sshd: stopping another checkout's test sshd (pid $other)"
      kill "$other" || true
    fi
  done
  for ((i = 0; i < 50; i++)); do sshd_listening || break; sleep 0.1; done
fi
if sshd_listening; then
  step "sshd: listening on $SSH_HOST:$SSH_PORT${pid:+ (pid $pid)}"
else
  step "sshd: starting on $SSH_HOST:$SSH_PORT (log: $SSHD_LOG)"
  mkdir -p /run/sshd # privilege separation directory
  chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$SSHD_CONFIG" || die "invalid $SSHD_CONFIG"
  # sshd daemonizes itself (fork + setsid), so it survives this script.
  /usr/sbin/sshd -f "$SSHD_CONFIG" -E "$SSHD_LOG" 9>&-  # 9: the setup lock must not outlive this script
  for ((i = 0; i < 50; i++)); do sshd_listening && break; sleep 0.1; done
  sshd_listening || die "sshd did not start; see $SSHD_LOG"
fi
ssh_out="$(ssh -i "$KEY" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10 "$TEST_USER@$SSH_HOST" \
  'true && id -nG && docker ps -q >/dev/null && echo docker-ok' 2>&1)" \
  || die "ssh $TEST_USER@$SSH_HOST:$SSH_PORT failed: $ssh_out (sshd log: $SSHD_LOG)"
grep -qw docker <<<"$(head -n 1 <<<"$ssh_out")" || die "$TEST_USER is not in the docker group over ssh: $ssh_out"
grep -qx docker-ok <<<"$ssh_out" || die "'docker ps' fails over ssh: $ssh_out"
step "sshd: ssh $TEST_USER@$SSH_HOST:$SSH_PORT ok, docker ps over ssh ok"

# --- 7. test images --------------------------------------------------------------------------
# No registry is reachable: images are `docker import`ed from a rootfs holding Debian's static
# busybox and one symlink per applet. PID 1 is a tiny sh wrapper that exits on SIGTERM, so
# `docker stop` is instant (a bare httpd as PID 1 ignores SIGTERM and costs 10 s per stop).
APP_IMAGES=()
for v in "${APP_VERSIONS[@]}"; do APP_IMAGES+=("opsdeck-test/app:$v"); done
# One inspect call for all images (missing ones just produce no line).
image_state="$(docker image inspect -f "{{range .RepoTags}}{{.}} {{end}}rev={{index .Config.Labels \"$IMAGE_REV_LABEL\"}}" \
  "$BUSYBOX_IMAGE" "${APP_IMAGES[@]}" 2>/dev/null || true)"
image_current() { grep -qE "(^| )$(sed 's/[.]/[.]/g' <<<"$1") .*rev=$IMAGE_REV\$" <<<"$image_state"; }
BUILD_DIR=""
cleanup() { if [ -n "$BUILD_DIR" ]; then rm -rf "$BUILD_DIR"; fi; }
trap cleanup EXIT
build_image() { # $1 = tag, $2 = index.html content
  local rootfs
  if [ -z "$BUILD_DIR" ]; then BUILD_DIR="$(mktemp -d /tmp/opsdeck-image.XXXXXX)"; fi
  rootfs="$BUILD_DIR/rootfs"
  if [ ! -d "$rootfs" ]; then
    mkdir -p "$rootfs"/{bin,etc,www,root,tmp,var/log}
    chmod 1777 "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
      [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  fi
  printf '%s' "$2" >"$rootfs/www/index.html"
  tar -C "$rootfs" --owner=0 --group=0 --numeric-owner -cf - . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'WORKDIR /' \
      --change 'EXPOSE 8080' \
      --change "LABEL $IMAGE_REV_LABEL=$IMAGE_REV" \
      --change 'HEALTHCHECK --interval=1s --timeout=3s --retries=3 CMD ["wget","-q","-O","/dev/null","http://127.0.0.1:8080/"]' \
      --change 'CMD ["sh","-c","trap \"exit 0\" TERM INT; httpd -f -p 8080 -h /www & wait"]' \
      - "$1" >/dev/null
  step "images: built $1"
}
built=0
if ! image_current "$BUSYBOX_IMAGE"; then build_image "$BUSYBOX_IMAGE" "opsdeck-test busybox"; built=$((built + 1)); fi
for v in "${APP_VERSIONS[@]}"; do
  if ! image_current "opsdeck-test/app:$v"; then build_image "opsdeck-test/app:$v" "version $v"; built=$((built + 1)); fi
done
[ "$built" -gt 0 ] || step "images: $BUSYBOX_IMAGE ${APP_IMAGES[*]} present"

# --- 7b. caddy (preview proxy tests) ---------------------------------------------------------
# Run as the test user (its admin socket must be reachable over SSH as that user), loopback only:
# admin API on a unix socket, the preview server on 127.0.0.1:$CADDY_HTTPS_PORT, no HTTP redirect
# listener, the local CA not installed into any trust store. Reused when already answering.
CADDY_DIR="$TEST_HOME/.opsdeck-test-caddy"
CADDY_ADMIN_SOCKET="$CADDY_DIR/admin.sock"
CADDY_HTTPS_PORT=8443
CADDY_HTTP_PORT=8480
CADDY_ROOT_CERT="$CADDY_DIR/data/caddy/pki/authorities/local/root.crt"
caddy_up() { curl -fsS --max-time 2 --unix-socket "$CADDY_ADMIN_SOCKET" -H 'Host;' http://caddy/config/ >/dev/null 2>&1; }
install -d -o "$TEST_USER" -g "$TEST_USER" -m 700 "$CADDY_DIR"
if caddy_up; then
  step "caddy: admin API answering on $CADDY_ADMIN_SOCKET"
else
  cat >"$CADDY_DIR/caddy.json" <<EOF
{"admin": {"listen": "unix/$CADDY_ADMIN_SOCKET"},
 "apps": {"pki": {"certificate_authorities": {"local": {"install_trust": false}}},
  "http": {"http_port": $CADDY_HTTP_PORT, "https_port": $CADDY_HTTPS_PORT,
   "servers": {"srv0": {"listen": ["127.0.0.1:$CADDY_HTTPS_PORT"], "routes": [], "automatic_https": {"disable_redirects": true}}}}}}
EOF
  chown "$TEST_USER:$TEST_USER" "$CADDY_DIR/caddy.json"
  rm -f "$CADDY_ADMIN_SOCKET"
  step "caddy: starting (log: $CADDY_DIR/caddy.log)"
  # exec first: the `cd && … &` list runs in a subshell of its own that waits for caddy; it must not
  # hold the setup lock (a later test-setup would wait on it for ever) nor our stdout (a pipe reading
  # this script's output would never see its end).
  (exec 9>&- >/dev/null 2>&1; cd "$CADDY_DIR" && HOME="$CADDY_DIR" XDG_DATA_HOME="$CADDY_DIR/data" XDG_CONFIG_HOME="$CADDY_DIR/config" \
    setsid setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups caddy run --config "$CADDY_DIR/caddy.json" \
    >"$CADDY_DIR/caddy.log" 2>&1 </dev/null 9>&- &)
  for _ in $(seq 1 50); do caddy_up && break; sleep 0.2; done
  caddy_up || { tail -n 20 "$CADDY_DIR/caddy.log" >&2; die "caddy did not start"; }
  step "caddy: admin API on $CADDY_ADMIN_SOCKET, https on 127.0.0.1:$CADDY_HTTPS_PORT"
fi

# --- 8. env.json -----------------------------------------------------------------------------
PG_BIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
  [ -x "$d/pg_ctl" ] && PG_BIN="$d"
done
[ -n "$PG_BIN" ] || die "pg_ctl not found under /usr/lib/postgresql/*/bin"
REDIS_SERVER="$(command -v redis-server || true)"
[ -n "$REDIS_SERVER" ] || die "redis-server not found"

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
app_json=""
for img in "${APP_IMAGES[@]}"; do app_json+="${app_json:+, }$(json_str "$img")"; done
env_tmp="$(mktemp "$ENV_DIR/.env.json.XXXXXX")"
cat >"$env_tmp" <<EOF
{
  "sshHost": $(json_str "$SSH_HOST"),
  "sshPort": $SSH_PORT,
  "sshUser": $(json_str "$TEST_USER"),
  "sshKeyPath": $(json_str "$KEY"),
  "knownHostsPath": $(json_str "$KNOWN_HOSTS"),
  "previewsDir": $(json_str "$PREVIEWS_DIR"),
  "dockerSocket": $(json_str "$DOCKER_SOCKET"),
  "images": {
    "busybox": $(json_str "$BUSYBOX_IMAGE"),
    "app": [$app_json]
  },
  "pgBin": $(json_str "$PG_BIN"),
  "redisServer": $(json_str "$REDIS_SERVER"),
  "caddy": {
    "adminSocket": $(json_str "$CADDY_ADMIN_SOCKET"),
    "httpsPort": $CADDY_HTTPS_PORT,
    "server": "srv0",
    "dataDir": $(json_str "$CADDY_DIR/data"),
    "rootCert": $(json_str "$CADDY_ROOT_CERT")
  }
}
EOF
chmod 644 "$env_tmp"
if cmp -s "$env_tmp" "$ENV_DIR/env.json"; then rm -f "$env_tmp"; else mv -f "$env_tmp" "$ENV_DIR/env.json"; fi
step "env: $ENV_DIR/env.json"

step "done in $(( ($(date +%s%N) - T0) / 1000000 )) ms"
