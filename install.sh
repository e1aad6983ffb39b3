#!/usr/bin/env bash
# install.sh: install, upgrade or uninstall orengen on a Debian 12 or
# Ubuntu 22.04/24.04 server with systemd. No Docker, no other services.
#
#   sudo ./install.sh --domain example.com --email admin@example.com
#   sudo ./install.sh                      # upgrade in place (keeps secrets)
#   sudo ./install.sh --uninstall [--purge]
#   ./install.sh --root /tmp/pkg --no-start --yes --domain example.com
#
# Everything is checked before anything is changed: a refusal leaves the
# machine as it was. Run ./install.sh --help for every option.
set -Eeuo pipefail
umask 022

readonly PROG=install.sh
readonly SVC_USER=orengen
readonly UNIT_NAME=orengen.service
readonly BIN=/usr/local/bin/orengen
readonly UNIT=/etc/systemd/system/orengen.service
readonly ENV_DIR=/etc/orengen
readonly ENV_FILE=/etc/orengen/orengen.env
readonly DATA_DIR=/var/lib/orengen
readonly BACKUP_DIR=/var/backups/orengen
readonly SYSUSERS=/usr/local/lib/sysusers.d/orengen.conf
readonly TMPFILES=/usr/local/lib/tmpfiles.d/orengen.conf
readonly LOCK_FILE=/run/lock/orengen-install.lock

usage() {
	cat <<'EOF'
Usage: install.sh [options]
       install.sh --uninstall [--purge] [--yes]

Installs orengen as a systemd service (or upgrades it in place), then waits
for it to answer /healthz and prints the URLs, the DNS records to create and
the one-time admin setup link. A rerun keeps the configuration and secrets and
changes only the settings named by its flags.

Settings (written to /etc/orengen/orengen.env):
  --domain DOMAIN             main domain; serves DOMAIN, www., app. and nexus.
  --email EMAIL               Let's Encrypt account email (ORENGEN_ACME_EMAIL)
  --replica SPEC              extra Litestream replica (repeatable; replaces the
                              list): file:///dir, s3://bucket/path?..., sftp://...
  --s3-access-key-id ID       S3 replica credentials; written only to the env
  --s3-secret-access-key KEY  file. Prefer the environment variables
                              ORENGEN_S3_ACCESS_KEY_ID/ORENGEN_S3_SECRET_ACCESS_KEY
                              or the prompt: a flag value is visible in `ps`.
                              ORENGEN_SFTP_PASSWORD is taken from the environment.
Install:
  --binary PATH               orengen binary to install (default: ./orengen next
                              to this script, built with `make build` first when
                              this is a source checkout and Go is installed)
  --no-start                  install but do not enable, start or health-check
  --timeout SECONDS           how long to wait for /healthz (default 60)
  --root DIR                  install into DIR instead of / (packaging, tests):
                              no user, no systemctl, no firewall, no start
  --check                     check the machine and the options, change nothing
  --force-os                  install on an OS other than Debian 12, Ubuntu 22.04/24.04
  -y, --yes                   do not prompt; take flags and defaults
Uninstall:
  --uninstall                 stop and remove the service and binary; keep data,
                              backups and /etc/orengen
  --purge                     with --uninstall: also delete data, backups,
                              /etc/orengen and the orengen user (asks first
                              unless --yes)
  -h, --help                  show this help

Logs: journalctl -u orengen
EOF
}

# ---- output helpers --------------------------------------------------------

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}
usage_error() {
	printf '%s: %s\n\n' "$PROG" "$*" >&2
	usage >&2
	exit 2
}

# ---- options -----------------------------------------------------------------

opt_domain="" opt_email="" opt_binary="" opt_root="" opt_timeout=60
opt_s3_id="" opt_s3_secret=""
opt_replicas=()
opt_no_start=0 opt_yes=0 opt_check=0 opt_force_os=0 opt_uninstall=0 opt_purge=0
have_domain=0 have_email=0 have_replica=0 s3_secret_on_cmdline=0

parse_args() {
	# Split --flag=value into --flag value.
	local a args=()
	for a in "$@"; do
		case $a in
		--*=*) args+=("${a%%=*}" "${a#*=}") ;;
		*) args+=("$a") ;;
		esac
	done
	set -- ${args[@]+"${args[@]}"}
	while (($#)); do
		case $1 in
		--domain | --email | --replica | --s3-access-key-id | --s3-secret-access-key | --binary | --root | --timeout)
			(($# >= 2)) || usage_error "$1 needs a value"
			case $1 in
			--domain) opt_domain=$2 have_domain=1 ;;
			--email) opt_email=$2 have_email=1 ;;
			--replica) opt_replicas+=("$2") have_replica=1 ;;
			--s3-access-key-id) opt_s3_id=$2 ;;
			--s3-secret-access-key) opt_s3_secret=$2 s3_secret_on_cmdline=1 ;;
			--binary) opt_binary=$2 ;;
			--root) opt_root=$2 ;;
			--timeout) opt_timeout=$2 ;;
			esac
			shift 2
			;;
		--no-start) opt_no_start=1 && shift ;;
		-y | --yes) opt_yes=1 && shift ;;
		--check) opt_check=1 && shift ;;
		--force-os) opt_force_os=1 && shift ;;
		--uninstall) opt_uninstall=1 && shift ;;
		--purge) opt_purge=1 opt_uninstall=1 && shift ;;
		-h | --help)
			usage
			exit 0
			;;
		*) usage_error "unknown option: $1" ;;
		esac
	done
	[[ $opt_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "--timeout must be a number of seconds (1-9999), got: $opt_timeout"
	if [[ -n $opt_root ]]; then
		[[ $opt_root == /* ]] || opt_root=$PWD/$opt_root
		opt_root=${opt_root%/}
		[[ -n $opt_root ]] || usage_error "--root must not be /; run without --root to install on this machine"
		opt_no_start=1
	fi
	# Secrets may come from the environment so they never appear on a command line.
	[[ -n $opt_s3_id ]] || opt_s3_id=${ORENGEN_S3_ACCESS_KEY_ID:-}
	[[ -n $opt_s3_secret ]] || opt_s3_secret=${ORENGEN_S3_SECRET_ACCESS_KEY:-}
	opt_sftp_password=${ORENGEN_SFTP_PASSWORD:-}
}

# Path of an installed file inside --root (or / itself).
p() { printf '%s%s' "$opt_root" "$1"; }

interactive() { [[ $opt_yes -eq 0 && -t 0 ]]; }
real_system() { [[ -z $opt_root ]]; }

# ---- env file ----------------------------------------------------------------

# env_get FILE KEY: print the last value of KEY (surrounding quotes removed).
env_get() {
	local line val="" found=1
	[[ -r $1 ]] || return 1
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $line == "$2="* ]]; then
			val=${line#*=}
			found=0
		fi
	done <"$1"
	if [[ $val == \"*\" || $val == \'*\' ]] && ((${#val} >= 2)); then
		val=${val:1:${#val}-2}
	fi
	printf '%s' "$val"
	return $found
}

# check_value NAME VALUE: a value must fit on one unquoted EnvironmentFile line.
check_value() {
	local v=$2
	if [[ $v == *[[:cntrl:]]* || $v == *\\* || $v == [\"\']* ]]; then
		problems+=("$1 contains a control character, a backslash or a leading quote")
	elif [[ $v == [[:space:]]* || $v == *[[:space:]] ]]; then
		problems+=("$1 has leading or trailing spaces")
	fi
}

gen_key() { head -c 32 /dev/urandom | base64 -w0; }

key_ok() { [[ $(printf '%s' "$1" | base64 -d 2>/dev/null | wc -c) -eq 32 ]]; }

tmp_files=()
cleanup() { ((${#tmp_files[@]} == 0)) || rm -f "${tmp_files[@]}"; }
trap cleanup EXIT

# write_env FILE: write the env file from env_keys/env_vals atomically. An
# existing file keeps its lines and order; only the keys in env_keys change.
env_keys=() env_vals=()
write_env() {
	local file=$1 tmp line i done_keys=() k written
	tmp=$(mktemp "$(dirname "$file")/.orengen.env.XXXXXX")
	tmp_files+=("$tmp")
	{
		if [[ -e $file ]]; then
			while IFS= read -r line || [[ -n $line ]]; do
				written=0
				for i in "${!env_keys[@]}"; do
					k=${env_keys[i]}
					if [[ $line == "$k="* ]]; then
						# Keep one line per key: the first, with the new value.
						if [[ " ${done_keys[*]-} " != *" $k "* ]]; then
							printf '%s=%s\n' "$k" "${env_vals[i]}"
							done_keys+=("$k")
						fi
						written=1
					fi
				done
				((written)) || printf '%s\n' "$line"
			done <"$file"
		else
			printf '# orengen configuration, written by install.sh on %s.\n' "$(date -u +%Y-%m-%d)"
			printf '# Read by systemd (EnvironmentFile=) as root before the service drops to\n'
			printf '# user orengen. Keep it secret and keep a copy: ORENGEN_MASTER_KEY decrypts\n'
			printf '# the vault. A rerun of install.sh keeps this file and changes only the\n'
			printf '# keys named by its flags. One KEY=value per line, no quotes needed.\n'
			printf '# Other settings: ORENGEN_REPLICAS, ORENGEN_METRICS_TOKEN, ORENGEN_LOG_LEVEL,\n'
			printf '# ORENGEN_BACKUP_RETENTION, ORENGEN_HTTP_ADDR, ORENGEN_HTTPS_ADDR (see README).\n'
		fi
		for i in "${!env_keys[@]}"; do
			k=${env_keys[i]}
			[[ " ${done_keys[*]-} " == *" $k "* ]] || printf '%s=%s\n' "$k" "${env_vals[i]}"
		done
	} >"$tmp"
	chmod 0600 "$tmp"
	if ((EUID == 0)); then chown root:root "$tmp"; fi
	mv -f "$tmp" "$file"
}

set_key() {
	env_keys+=("$1")
	env_vals+=("$2")
}

# ---- checks ------------------------------------------------------------------

problems=()

check_os() {
	local f=${ORENGEN_OS_RELEASE:-/etc/os-release} id ver name
	if [[ ! -r $f ]]; then
		((opt_force_os)) || problems+=("cannot read $f to identify the OS (use --force-os to install anyway)")
		return
	fi
	id=$(sed -n 's/^ID=//p' "$f" | tr -d '"' | tail -n1)
	ver=$(sed -n 's/^VERSION_ID=//p' "$f" | tr -d '"' | tail -n1)
	name=$(sed -n 's/^PRETTY_NAME=//p' "$f" | tr -d '"' | tail -n1)
	case "$id $ver" in
	"debian 12" | "ubuntu 22.04" | "ubuntu 24.04") return ;;
	esac
	if ((opt_force_os)); then
		warn "unsupported OS ${name:-$id $ver}; continuing because of --force-os"
	else
		problems+=("unsupported OS: ${name:-$id $ver} (supported: Debian 12, Ubuntu 22.04, Ubuntu 24.04; --force-os to try anyway)")
	fi
}

valid_domain() {
	local re='^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'
	[[ ${#1} -le 253 && $1 =~ $re ]]
}

check_replica() {
	local spec=$1 url=$1
	[[ $spec =~ ^[a-zA-Z0-9_-]+=(.*)$ ]] && url=${BASH_REMATCH[1]}
	if [[ -z $url || $url == *[[:space:],]* ]]; then
		problems+=("--replica '$spec': empty or contains a space or comma")
		return
	fi
	case $url in
	s3://*@* | sftp://*:*@*)
		problems+=("--replica: credentials must not be in the URL; use --s3-access-key-id/--s3-secret-access-key or ORENGEN_SFTP_PASSWORD")
		;;
	s3://?* | sftp://?* | file:///* | /*) ;;
	*)
		problems+=("--replica '$spec': expected file:///dir, /dir, s3://bucket/path?... or sftp://user@host:port/path?...")
		;;
	esac
	check_value "--replica" "$url"
}

# Pick the binary: --binary, else build in a source checkout, else ./orengen.
SRC_BIN="" SRC_VERSION=""
find_binary() {
	local dir go=""
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [[ -n $opt_binary ]]; then
		SRC_BIN=$opt_binary
	else
		SRC_BIN=$dir/orengen
		if [[ -f $dir/Makefile && -f $dir/go.mod ]]; then
			go=$(command -v go || true)
			[[ -n $go || ! -x /usr/local/go/bin/go ]] || go=/usr/local/go/bin/go
			if [[ -n $go ]]; then
				say "building orengen from the source checkout in $dir (make build)"
				if ! PATH=$(dirname "$go"):$PATH make -C "$dir" build; then
					problems+=("make build failed in $dir (see the output above)")
					return
				fi
			elif [[ -x $SRC_BIN ]]; then
				warn "Go not found; installing the existing $SRC_BIN without rebuilding"
			fi
		fi
	fi
	if [[ ! -f $SRC_BIN || ! -x $SRC_BIN ]]; then
		problems+=("no executable orengen binary at $SRC_BIN (put it next to install.sh, pass --binary PATH, or install Go to build it from a checkout)")
		return
	fi
	SRC_BIN=$(cd "$(dirname "$SRC_BIN")" && pwd)/$(basename "$SRC_BIN")
	if ! SRC_VERSION=$("$SRC_BIN" version 2>/dev/null | head -n1); then
		problems+=("$SRC_BIN does not run on this machine ('$SRC_BIN version' failed: wrong architecture?)")
		return
	fi
	SRC_VERSION=${SRC_VERSION:-unknown version}
}

# addr_port ADDR DEFAULT: the port of a Go listen address like ":80" or "1.2.3.4:80".
addr_port() {
	local port=${1##*:}
	[[ -n $1 && $port =~ ^[0-9]+$ ]] && printf '%s' "$port" || printf '%s' "$2"
}

check_ports() {
	local port line proc re='users:\(\("([^"]+)"'
	if ! command -v ss >/dev/null; then
		warn "ss (iproute2) not found: cannot check that ports $HTTP_PORT and $HTTPS_PORT are free"
		return
	fi
	for port in "$HTTP_PORT" "$HTTPS_PORT"; do
		while IFS= read -r line; do
			[[ -n $line ]] || continue
			proc=unknown
			[[ $line =~ $re ]] && proc=${BASH_REMATCH[1]}
			[[ $proc == orengen* ]] && continue
			problems+=("port $port is in use by '$proc' (stop and disable it first, e.g. systemctl disable --now nginx apache2 caddy)")
			break
		done < <(ss -H -ltnp "sport = :$port" 2>/dev/null)
	done
}

user_exists() { getent passwd "$SVC_USER" >/dev/null 2>&1 && getent group "$SVC_USER" >/dev/null 2>&1; }

# ---- install -----------------------------------------------------------------

EXISTING_ENV=0 KEPT_KEYS=0 DOMAIN="" HTTP_PORT=80 HTTPS_PORT=443

preflight_install() {
	local env_file envd=0 v
	env_file=$(p "$ENV_FILE")

	if real_system; then
		((EUID == 0)) || problems+=("run as root (sudo ./install.sh ...), or use --root DIR to install into a directory")
		[[ -d /run/systemd/system ]] || problems+=("systemd is not running on this machine (no /run/systemd/system); orengen needs systemd")
		for v in systemctl useradd getent curl base64 install; do
			command -v "$v" >/dev/null || problems+=("command '$v' not found")
		done
	else
		if [[ -e $opt_root && ! -d $opt_root ]]; then
			problems+=("--root $opt_root is not a directory")
		fi
	fi
	check_os
	# Stop here if the machine itself is wrong: nothing below matters yet.
	((${#problems[@]} == 0)) || return 0

	if [[ -e $env_file ]]; then
		EXISTING_ENV=1
		[[ -r $env_file ]] || problems+=("cannot read $env_file")
	fi
	if ((EXISTING_ENV)); then
		DOMAIN=$(env_get "$env_file" ORENGEN_DOMAIN || true)
	fi

	# Questions (only on a terminal, only for what the flags did not say).
	if interactive; then
		if ((!have_domain)); then
			read -r -p "Domain (serves DOMAIN, www., app. and nexus.) [${DOMAIN}]: " v || true
			[[ -z $v ]] || { opt_domain=$v && have_domain=1; }
		fi
		if ((!have_email)) && ! env_get "$env_file" ORENGEN_ACME_EMAIL >/dev/null 2>&1; then
			read -r -p "Email for Let's Encrypt (optional) []: " v || true
			[[ -z $v ]] || { opt_email=$v && have_email=1; }
		fi
		if ((!have_replica)) && ! env_get "$env_file" ORENGEN_REPLICAS >/dev/null 2>&1; then
			read -r -p "Off-site replica (s3://bucket/path?... or sftp://..., optional) []: " v || true
			[[ -z $v ]] || { opt_replicas=("$v") && have_replica=1; }
		fi
	fi

	if ((have_domain)); then
		opt_domain=$(printf '%s' "$opt_domain" | tr '[:upper:]' '[:lower:]')
		valid_domain "$opt_domain" || problems+=("--domain '$opt_domain' is not a domain name like example.com")
		DOMAIN=$opt_domain
	elif [[ -z $DOMAIN ]]; then
		problems+=("--domain is required: $ENV_FILE has no ORENGEN_DOMAIN yet (the domain whose DNS points here)")
	fi
	if ((have_email)); then
		[[ $opt_email =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]] || problems+=("--email '$opt_email' is not an email address")
	fi
	local r uses_s3=0
	for r in ${opt_replicas[@]+"${opt_replicas[@]}"}; do
		check_replica "$r"
		[[ $r != *s3://* ]] || uses_s3=1
	done
	if ((!have_replica && EXISTING_ENV)); then
		[[ $(env_get "$env_file" ORENGEN_REPLICAS || true) != *s3://* ]] || uses_s3=1
	fi
	if ((uses_s3)) && [[ -z $opt_s3_id ]] && ! env_get "$env_file" ORENGEN_S3_ACCESS_KEY_ID >/dev/null 2>&1; then
		if interactive; then
			read -r -p "S3 access key ID: " opt_s3_id || true
			read -r -s -p "S3 secret access key (not shown): " opt_s3_secret || true
			echo
		else
			warn "an s3:// replica has no ORENGEN_S3_ACCESS_KEY_ID/ORENGEN_S3_SECRET_ACCESS_KEY; pass them or add them to $ENV_FILE"
		fi
	fi
	if [[ -n $opt_s3_id || -n $opt_s3_secret ]] && [[ -z $opt_s3_id || -z $opt_s3_secret ]]; then
		problems+=("give both the S3 access key ID and the S3 secret access key")
	fi
	[[ -z $opt_s3_id ]] || check_value "S3 access key ID" "$opt_s3_id"
	[[ -z $opt_s3_secret ]] || check_value "S3 secret access key" "$opt_s3_secret"
	[[ -z $opt_sftp_password ]] || check_value ORENGEN_SFTP_PASSWORD "$opt_sftp_password"
	((s3_secret_on_cmdline == 0)) || warn "--s3-secret-access-key was visible in the process list; prefer ORENGEN_S3_SECRET_ACCESS_KEY in the environment or the prompt"

	# Secrets: keep what is there; never replace a master key that encrypted data.
	local mk="" sk=""
	if ((EXISTING_ENV)); then
		mk=$(env_get "$env_file" ORENGEN_MASTER_KEY || true)
		sk=$(env_get "$env_file" ORENGEN_SESSION_KEY || true)
		[[ -z $mk ]] || key_ok "$mk" || problems+=("ORENGEN_MASTER_KEY in $ENV_FILE is not base64 of 32 bytes; fix or restore it")
		[[ -z $sk ]] || key_ok "$sk" || problems+=("ORENGEN_SESSION_KEY in $ENV_FILE is not base64 of 32 bytes; fix it or delete the line for a new one")
		v=$(env_get "$env_file" ORENGEN_DATA_DIR || true)
		[[ -z $v || $v == "$DATA_DIR" ]] || envd=1
		v=$(env_get "$env_file" ORENGEN_BACKUP_DIR || true)
		[[ -z $v || $v == "$BACKUP_DIR" ]] || envd=1
		((envd == 0)) || warn "$ENV_FILE moves the data or backup directory; the service may write only $DATA_DIR and $BACKUP_DIR (add paths with: systemctl edit orengen, ReadWritePaths=)"
	fi
	if [[ -z $mk && -e $(p "$DATA_DIR/orengen.db") ]]; then
		problems+=("$DATA_DIR/orengen.db exists but $ENV_FILE has no ORENGEN_MASTER_KEY: a new key could not decrypt the vault; put the old ORENGEN_MASTER_KEY=... line in $ENV_FILE and run again")
	fi

	# Ports: read from the configuration the service will use.
	local tls http_addr https_addr
	if ((EXISTING_ENV)); then
		tls=$(env_get "$env_file" ORENGEN_TLS || true)
		http_addr=$(env_get "$env_file" ORENGEN_HTTP_ADDR || true)
		https_addr=$(env_get "$env_file" ORENGEN_HTTPS_ADDR || true)
	fi
	[[ ${tls:-} != off ]] || HTTP_PORT=8080
	HTTP_PORT=$(addr_port "${http_addr:-}" "$HTTP_PORT")
	HTTPS_PORT=$(addr_port "${https_addr:-}" "$HTTPS_PORT")

	find_binary
	if real_system && ((!opt_no_start)); then check_ports; fi

	# Values to write: everything on a first install, only flagged keys after.
	((EXISTING_ENV)) || set_key ORENGEN_DOMAIN "$DOMAIN"
	((!EXISTING_ENV || !have_domain)) || set_key ORENGEN_DOMAIN "$DOMAIN"
	((!have_email)) || set_key ORENGEN_ACME_EMAIL "$opt_email"
	if ((have_replica)); then set_key ORENGEN_REPLICAS "${opt_replicas[*]}"; fi
	if [[ -z $(env_get "$env_file" ORENGEN_DATA_DIR 2>/dev/null || true) ]]; then set_key ORENGEN_DATA_DIR "$DATA_DIR"; fi
	if [[ -z $(env_get "$env_file" ORENGEN_BACKUP_DIR 2>/dev/null || true) ]]; then set_key ORENGEN_BACKUP_DIR "$BACKUP_DIR"; fi
	[[ -z $mk || -z $sk ]] || KEPT_KEYS=1
	[[ -n $mk ]] || set_key ORENGEN_MASTER_KEY "$(gen_key)"
	[[ -n $sk ]] || set_key ORENGEN_SESSION_KEY "$(gen_key)"
	[[ -z $opt_s3_id ]] || set_key ORENGEN_S3_ACCESS_KEY_ID "$opt_s3_id"
	[[ -z $opt_s3_secret ]] || set_key ORENGEN_S3_SECRET_ACCESS_KEY "$opt_s3_secret"
	[[ -z $opt_sftp_password ]] || set_key ORENGEN_SFTP_PASSWORD "$opt_sftp_password"
}

print_plan() {
	local old="" k i
	[[ ! -x $(p "$BIN") ]] || old=$("$(p "$BIN")" version 2>/dev/null | head -n1 || true)
	if [[ -n $old ]]; then
		say "upgrading: $old -> $SRC_VERSION"
	else
		say "installing $SRC_VERSION from $SRC_BIN${opt_root:+ into $opt_root}"
	fi
	note "domain: $DOMAIN"
	if ((EXISTING_ENV && KEPT_KEYS)); then
		note "keeping $ENV_FILE and its secrets"
	elif ((EXISTING_ENV)); then
		note "keeping $ENV_FILE; adding the settings it lacks"
	else
		note "new $ENV_FILE with a generated master key and session key"
	fi
	for i in "${!env_keys[@]}"; do
		k=${env_keys[i]}
		case $k in
		*KEY* | *SECRET* | *PASSWORD*) note "set $k (secret, not shown)" ;;
		*) note "set $k=${env_vals[i]}" ;;
		esac
	done
}

write_file() { # write_file DEST MODE < content  (atomic)
	local tmp
	tmp=$(mktemp "$(dirname "$1")/.orengen.XXXXXX")
	tmp_files+=("$tmp")
	cat >"$tmp"
	chmod "$2" "$tmp"
	mv -f "$tmp" "$1"
}

unit_text() {
	cat <<EOF
# Installed by install.sh; a rerun overwrites this file.
# Local changes go in a drop-in: systemctl edit orengen
[Unit]
Description=orengen agency platform (site, client portal, Nexus)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$SVC_USER
Group=$SVC_USER
EnvironmentFile=$ENV_FILE
ExecStart=$BIN serve
WorkingDirectory=$DATA_DIR
Restart=on-failure
RestartSec=5s
# serve stops its replicate child itself, last: signal only the main process.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=30s
LimitNOFILE=65536
UMask=0077
SyslogIdentifier=orengen

# Bind 80/443 without root, nothing else.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=$DATA_DIR $BACKUP_DIR
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
EOF
}

BIN_CHANGED=0 OLD_VERSION=""
install_binary() {
	local dst
	dst=$(p "$BIN")
	if [[ -e $dst ]] && cmp -s "$SRC_BIN" "$dst"; then
		note "$BIN is already $SRC_VERSION"
		return
	fi
	[[ ! -e $dst ]] || OLD_VERSION=$("$dst" version 2>/dev/null | head -n1 || true)
	install -m 0755 "$SRC_BIN" "$dst.new"
	if [[ -e $dst ]]; then
		# Keep the running version for a rollback.
		ln -f "$dst" "$dst.prev" 2>/dev/null || cp -pf "$dst" "$dst.prev"
		note "previous binary kept as $BIN.prev"
	fi
	mv -f "$dst.new" "$dst"
	BIN_CHANGED=1
}

# own PATH...: chown to the service user when that is possible here.
CAN_CHOWN=0
own() { ((CAN_CHOWN == 0)) || chown "$@"; }

do_install() {
	preflight_install
	if ((${#problems[@]})); then
		printf '%s: cannot install; nothing was changed:\n' "$PROG" >&2
		printf '  - %s\n' "${problems[@]}" >&2
		exit 1
	fi
	print_plan
	if ((opt_check)); then
		say "checks passed; nothing was changed (--check)"
		return
	fi
	if interactive; then
		local ok
		read -r -p "Proceed? [Y/n] " ok || true
		[[ $ok == "" || $ok == [yY]* ]] || die "stopped; nothing was changed"
	fi
	trap 'printf "%s: error: failed at line %s; the install is incomplete: fix the cause and run install.sh again\n" "$PROG" "$LINENO" >&2' ERR

	# User and directories.
	if real_system; then
		if ! user_exists; then
			say "creating system user $SVC_USER"
			useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
				--shell /usr/sbin/nologin --comment "orengen service" "$SVC_USER"
		fi
		CAN_CHOWN=1
	elif ((EUID == 0)) && user_exists; then
		CAN_CHOWN=1
	else
		note "not changing owners (no user $SVC_USER here); $SYSUSERS and $TMPFILES record them for systemd"
	fi
	local d
	for d in "$DATA_DIR" "$BACKUP_DIR"; do
		mkdir -p "$(p "$d")"
		chmod 0700 "$(p "$d")"
		own -R "$SVC_USER:$SVC_USER" "$(p "$d")"
	done
	mkdir -p "$(p "$ENV_DIR")" "$(p /usr/local/bin)" "$(p /etc/systemd/system)" \
		"$(p "$(dirname "$SYSUSERS")")" "$(p "$(dirname "$TMPFILES")")"
	chmod 0750 "$(p "$ENV_DIR")"
	own "root:$SVC_USER" "$(p "$ENV_DIR")"

	# Configuration, binary, unit.
	write_env "$(p "$ENV_FILE")"
	install_binary
	unit_text | write_file "$(p "$UNIT")" 0644
	printf 'u %s - "orengen service" %s /usr/sbin/nologin\n' "$SVC_USER" "$DATA_DIR" | write_file "$(p "$SYSUSERS")" 0644
	printf 'd %s 0700 %s %s -\nd %s 0700 %s %s -\n' "$DATA_DIR" "$SVC_USER" "$SVC_USER" \
		"$BACKUP_DIR" "$SVC_USER" "$SVC_USER" | write_file "$(p "$TMPFILES")" 0644
	say "installed $BIN, $UNIT, $ENV_FILE"
	trap - ERR

	if ! real_system; then
		say "installed into $opt_root (--root): no user, service or firewall changes"
		return
	fi
	open_firewall
	systemctl daemon-reload
	if ((opt_no_start)); then
		say "not started (--no-start); a running orengen keeps its old binary until restarted."
		note "start: systemctl enable --now orengen    restart: systemctl restart orengen"
		return
	fi
	systemctl enable --quiet "$UNIT_NAME"
	say "starting orengen"
	systemctl restart "$UNIT_NAME"
	if ! wait_healthy; then
		rollback
	fi
	summary
}

open_firewall() {
	command -v ufw >/dev/null || return 0
	if ufw status 2>/dev/null | grep -q '^Status: active'; then
		say "opening ports $HTTP_PORT and $HTTPS_PORT in ufw"
		ufw allow "$HTTP_PORT/tcp" >/dev/null
		ufw allow "$HTTPS_PORT/tcp" >/dev/null
	fi
}

# wait_healthy: /healthz over plain HTTP on the loopback (the server answers it
# on the HTTP port without redirecting); if the HTTP port redirects, over HTTPS
# with the certificate unchecked (it may not be issued yet).
HEALTH=""
wait_healthy() {
	local deadline code out
	deadline=$((SECONDS + opt_timeout))
	say "waiting up to ${opt_timeout}s for http://127.0.0.1:$HTTP_PORT/healthz (Host: $DOMAIN)"
	while ((SECONDS < deadline)); do
		code=$(curl --noproxy "*" -s -o /dev/null -w '%{http_code}' --max-time 3 -H "Host: $DOMAIN" \
			"http://127.0.0.1:$HTTP_PORT/healthz" || true)
		if [[ $code == 200 ]]; then
			HEALTH=$(curl --noproxy "*" -s --max-time 3 -H "Host: $DOMAIN" "http://127.0.0.1:$HTTP_PORT/healthz" || true)
			return 0
		fi
		if [[ $code == 3?? ]]; then
			if out=$(curl --noproxy "*" -fsSk --max-time 3 --resolve "$DOMAIN:$HTTPS_PORT:127.0.0.1" \
				"https://$DOMAIN:$HTTPS_PORT/healthz" 2>/dev/null); then
				HEALTH=$out
				return 0
			fi
		fi
		sleep 1
	done
	return 1
}

rollback() {
	local bin=$BIN
	if ((BIN_CHANGED)) && [[ -x $bin.prev ]]; then
		warn "$SRC_VERSION did not answer /healthz within ${opt_timeout}s; rolling back to ${OLD_VERSION:-the previous binary}"
		journalctl -u orengen -n 20 --no-pager >&2 || true
		mv -f "$bin.prev" "$bin"
		systemctl restart "$UNIT_NAME"
		if wait_healthy; then
			die "upgrade to $SRC_VERSION failed and was rolled back: ${OLD_VERSION:-the previous version} is running again. Logs: journalctl -u orengen"
		fi
		die "upgrade to $SRC_VERSION failed, and after the rollback ${OLD_VERSION:-the previous version} does not answer /healthz either. Logs: journalctl -u orengen"
	fi
	journalctl -u orengen -n 20 --no-pager >&2 || true
	die "orengen is installed but did not answer /healthz within ${opt_timeout}s; see journalctl -u orengen -e (fix the cause, then: systemctl restart orengen)"
}

# public_ip 4|6: the source address for outgoing traffic if it is public
# (a routing-table lookup; no packet is sent).
public_ip() {
	local ip
	if [[ $1 == 4 ]]; then
		ip=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
		case $ip in
		"" | 10.* | 127.* | 192.168.* | 169.254.* | 172.1[6-9].* | 172.2[0-9].* | 172.3[01].* | \
			100.6[4-9].* | 100.[7-9][0-9].* | 100.1[01][0-9].* | 100.12[0-7].* | \
			192.0.2.* | 198.51.100.* | 203.0.113.* | 198.1[89].*) return 1 ;;
		esac
	else
		ip=$(ip -6 -o route get 2606:4700:4700::1111 2>/dev/null | sed -n 's/.* src \([0-9a-fA-F:]*\).*/\1/p')
		[[ $ip == [23]* ]] || return 1
	fi
	printf '%s' "$ip"
}

summary() {
	local v4 v6 h link
	v4=$(public_ip 4 || true)
	v6=$(public_ip 6 || true)
	say "${SRC_VERSION} is running: $(printf '%s' "$HEALTH" | tr -d '\n' | cut -c1-200)"
	cat <<EOF

URLs:
  https://$DOMAIN           marketing site
  https://app.$DOMAIN       client portal
  https://nexus.$DOMAIN     admin (Nexus)

DNS records to create (certificates are issued once these resolve here):
EOF
	local no_v4="<public IPv4 of this server>"
	for h in "$DOMAIN" "www.$DOMAIN" "app.$DOMAIN" "nexus.$DOMAIN"; do
		printf '  %-40s A     %s\n' "$h" "${v4:-$no_v4}"
		[[ -z $v6 ]] || printf '  %-40s AAAA  %s\n' "$h" "$v6"
	done
	[[ -n $v4 ]] || note "(no public IPv4 on this machine: behind NAT? use the address your provider shows)"
	# systemd reads the env file as root and runs the command as orengen, the
	# way the service runs: no secret on a command line, no root-owned files.
	local cmd=(systemd-run --quiet --pipe --wait --collect "--uid=$SVC_USER" "--gid=$SVC_USER"
		-p "EnvironmentFile=$ENV_FILE" -p "WorkingDirectory=$DATA_DIR" "$BIN" user setup-link)
	echo
	if link=$("${cmd[@]}" </dev/null 2>&1); then
		printf 'Admin setup:\n  %s\n' "$link"
	else
		warn "could not get the admin setup link: $link"
	fi
	cat <<EOF
  (again later: sudo ${cmd[*]})

Configuration: $ENV_FILE (back it up: it holds the vault master key)
Data: $DATA_DIR   Backups: $BACKUP_DIR
Logs: journalctl -u orengen -f
EOF
}

# ---- uninstall ---------------------------------------------------------------

do_uninstall() {
	local domain ans d
	if real_system; then
		((EUID == 0)) || die "run as root (sudo ./install.sh --uninstall), or use --root DIR"
	fi
	if ((opt_purge)); then
		domain=$(env_get "$(p "$ENV_FILE")" ORENGEN_DOMAIN 2>/dev/null || true)
		if ((!opt_yes)); then
			[[ -t 0 ]] || die "--purge deletes $DATA_DIR, $BACKUP_DIR and $ENV_DIR; add --yes to confirm; nothing was changed"
			printf 'This deletes all orengen data, the local backups in %s and the\nconfiguration with the master key. Type %s to confirm: ' "$BACKUP_DIR" "${domain:-yes}"
			read -r ans || true
			[[ $ans == yes || (-n $domain && $ans == "$domain") ]] || die "not confirmed; nothing was changed"
		fi
	fi
	if real_system && [[ -d /run/systemd/system ]]; then
		say "stopping and disabling orengen"
		systemctl disable --now --quiet "$UNIT_NAME" 2>/dev/null || true
	fi
	rm -f "$(p "$UNIT")" "$(p "$BIN")" "$(p "$BIN.prev")" "$(p "$BIN.new")" "$(p "$SYSUSERS")" "$(p "$TMPFILES")"
	if real_system && [[ -d /run/systemd/system ]]; then
		systemctl daemon-reload
		systemctl reset-failed "$UNIT_NAME" 2>/dev/null || true
	fi
	say "removed $UNIT and $BIN"
	if ((!opt_purge)); then
		note "kept $DATA_DIR, $BACKUP_DIR and $ENV_FILE (delete them too with --uninstall --purge)"
		return
	fi
	for d in "$DATA_DIR" "$BACKUP_DIR" "$ENV_DIR"; do
		[[ -n $d && $d != / ]] || continue
		rm -rf -- "$(p "$d")"
	done
	if real_system && user_exists; then
		userdel "$SVC_USER" || warn "could not remove user $SVC_USER"
	fi
	say "purged $DATA_DIR, $BACKUP_DIR, $ENV_DIR${opt_root:+ under $opt_root}"
	note "ufw rules for ports 80/443, if any, were left in place"
}

main() {
	parse_args "$@"
	if real_system && ((opt_check == 0)); then
		mkdir -p "$(dirname "$LOCK_FILE")" 2>/dev/null || true
		if ((EUID == 0)) && command -v flock >/dev/null && { exec 9>"$LOCK_FILE"; } 2>/dev/null; then
			flock -n 9 || die "another install.sh is running"
		fi
	fi
	if ((opt_uninstall)); then
		((opt_check == 0)) || usage_error "--check applies to an install, not to --uninstall"
		do_uninstall
	else
		do_install
	fi
}

main "$@"
