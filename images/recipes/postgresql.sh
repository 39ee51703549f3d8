#!/bin/bash
# postgresql: PostgreSQL 15 listening on the instance's address (5432, scram-sha-256 from anywhere the
# security group lets in). The first boot creates the role and database `dbadmin` with a random password,
# written to /root/yun-credentials; the customer reads it over SSH with the instance's key pair.
. "$(dirname "$0")/../lib/base.sh"
image_begin "$@"
chroot_install postgresql-15
conf="$R/etc/postgresql/15/main"
[ -d "$conf" ] || die "postgresql-15 made no cluster"
printf "listen_addresses = '*'\npassword_encryption = scram-sha-256\nshared_buffers = 64MB\n" > "$conf/conf.d/90-yun.conf"
printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$conf/pg_hba.conf"
cat > "$work/10-postgresql" <<'SH'
#!/bin/sh
set -eu
pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
i=0
until runuser -u postgres -- psql -q -c 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 120 ] || exit 1; sleep 0.5
done
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE dbadmin LOGIN CREATEDB CREATEROLE PASSWORD '$pw';
CREATE DATABASE dbadmin OWNER dbadmin;
SQL
umask 077
printf 'PostgreSQL 15: host <address> port 5432 database dbadmin user dbadmin password %s\n' "$pw" >> /root/yun-credentials
SH
firstboot "$work/10-postgresql"
firstboot_after postgresql@15-main.service
manifest blueprint_type APP_OS
manifest display_name "PostgreSQL 15"
manifest description "PostgreSQL 15 server (Debian 12) on port 5432; role and database dbadmin, password generated at first boot"
manifest required_memory_mib 1024
manifest app_port 5432
manifest ready_path "tcp:5432"
manifest scene "database"
manifest version "15"
manifest credentials "/root/yun-credentials (over SSH with the instance's key pair): PostgreSQL dbadmin password"
image_end
