#!/bin/bash
# wordpress: Debian's wordpress package behind Apache + mod_php, MariaDB on the instance. The first boot
# creates the database and its user with a random password (/etc/wordpress/config-default.php, which
# Debian's wp-config.php reads for any host name), so http://ADDRESS/ opens WordPress's install page.
. "$(dirname "$0")/../lib/base.sh"
image_begin "$@"
chroot_install apache2 libapache2-mod-php php-mysql mariadb-server wordpress wordpress-theme-twentytwentythree
cat > "$R/etc/apache2/sites-available/wordpress.conf" <<'CONF'
<VirtualHost *:80>
    DocumentRoot /usr/share/wordpress
    Alias /wp-content /var/lib/wordpress/wp-content
    <Directory /usr/share/wordpress>
        Options FollowSymLinks
        AllowOverride Limit Options FileInfo
        DirectoryIndex index.php
        Require all granted
    </Directory>
    <Directory /var/lib/wordpress/wp-content>
        Options FollowSymLinks
        Require all granted
    </Directory>
</VirtualHost>
CONF
chroot_run "a2dissite -q 000-default && a2ensite -q wordpress && a2enmod -q rewrite"
chown -R 33:33 "$R/var/lib/wordpress/wp-content"
# a small server: MariaDB for one site in 1 GiB
printf '[mysqld]\ninnodb_buffer_pool_size = 64M\nperformance_schema = OFF\nskip-name-resolve\n' \
    > "$R/etc/mysql/mariadb.conf.d/90-yun.cnf"
cat > "$work/10-wordpress" <<'SH'
#!/bin/sh
# first boot: the WordPress database, its user and a random password (shown in /root/yun-credentials)
set -eu
pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS wordpress DEFAULT CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'wordpress'@'localhost';
ALTER USER 'wordpress'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';
FLUSH PRIVILEGES;
SQL
umask 027
cat > /etc/wordpress/config-default.php <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '$pw');
define('DB_HOST', 'localhost');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
define('FS_METHOD', 'direct');
PHP
chgrp www-data /etc/wordpress/config-default.php
umask 077
printf 'WordPress: open http://<public address>/ to finish the install\nMariaDB database wordpress, user wordpress, password %s\n' "$pw" >> /root/yun-credentials
SH
firstboot "$work/10-wordpress"
firstboot_after mariadb.service apache2.service
manifest blueprint_type APP_OS
manifest display_name "WordPress 6.1"
manifest description "WordPress 6.1 on Apache 2.4 + PHP 8.2 + MariaDB 10.11 (Debian 12 packages); the install page opens at http://ADDRESS/"
manifest required_memory_mib 1024
manifest app_port 80
manifest ready_path "/wp-admin/install.php"
manifest scene "website"
manifest version "6.1"
manifest credentials "/root/yun-credentials (over SSH with the instance's key pair): the database password"
image_end
