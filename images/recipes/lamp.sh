#!/bin/bash
# lamp: Apache 2.4 + PHP 8.2 (mod_php) + MariaDB, a PHP info page at http://ADDRESS/info.php and a page
# at / that connects to the database. The first boot makes a database `app` with a random password.
. "$(dirname "$0")/../lib/base.sh"
image_begin "$@"
chroot_install apache2 libapache2-mod-php php-mysql mariadb-server
printf '<?php phpinfo();\n' > "$R/var/www/html/info.php"
cat > "$R/var/www/html/index.php" <<'PHP'
<?php
$c = @include '/etc/yun/lamp-db.php';
$db = $c ? @new mysqli('localhost', $c['user'], $c['password'], $c['database']) : null;
echo "<h1>LAMP on yun</h1><p>PHP " . PHP_VERSION . "</p>";
echo ($db && !$db->connect_error) ? "<p>MariaDB " . $db->server_info . ": connected</p>" : "<p>MariaDB: not connected</p>";
PHP
rm -f "$R/var/www/html/index.html"
printf '[mysqld]\ninnodb_buffer_pool_size = 64M\nperformance_schema = OFF\nskip-name-resolve\n' \
    > "$R/etc/mysql/mariadb.conf.d/90-yun.cnf"
cat > "$work/10-lamp" <<'SH'
#!/bin/sh
set -eu
pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS app DEFAULT CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'app'@'localhost';
ALTER USER 'app'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON app.* TO 'app'@'localhost';
SQL
mkdir -p /etc/yun
umask 027
printf "<?php return ['user' => 'app', 'password' => '%s', 'database' => 'app'];\n" "$pw" > /etc/yun/lamp-db.php
chgrp www-data /etc/yun/lamp-db.php
umask 077
printf 'LAMP: MariaDB database app, user app, password %s (PHP reads /etc/yun/lamp-db.php)\n' "$pw" >> /root/yun-credentials
SH
firstboot "$work/10-lamp"
firstboot_after mariadb.service apache2.service
manifest blueprint_type APP_OS
manifest display_name "LAMP (Apache, PHP 8.2, MariaDB)"
manifest description "Apache 2.4 + PHP 8.2 + MariaDB 10.11 (Debian 12); web root /var/www/html, PHP info at /info.php"
manifest required_memory_mib 1024
manifest app_port 80
manifest ready_path "/info.php"
manifest scene "website"
manifest version "8.2"
manifest credentials "/root/yun-credentials (over SSH with the instance's key pair): the database password"
image_end
