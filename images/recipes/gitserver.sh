#!/bin/bash
# gitserver: Git over HTTP (git-http-backend, smart protocol, clone and push) and gitweb behind Apache.
# Repositories live in /srv/git; http://ADDRESS/git/NAME.git clones, pushes need the user `git` and the
# password made at first boot (/root/yun-credentials); http://ADDRESS/gitweb/ browses. `yun-git-new NAME`
# (over SSH) makes a repository; the first boot makes /srv/git/demo.git.
. "$(dirname "$0")/../lib/base.sh"
image_begin "$@"
chroot_install apache2 git gitweb libcgi-pm-perl apache2-utils
cat > "$R/etc/apache2/conf-available/yun-git.conf" <<'CONF'
SetEnv GIT_PROJECT_ROOT /srv/git
SetEnv GIT_HTTP_EXPORT_ALL
ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
<Location /git/>
    AuthType Basic
    AuthName "git"
    AuthUserFile /etc/yun/git.htpasswd
    <RequireAny>
        <RequireAll>
            Require method GET HEAD
            Require expr %{QUERY_STRING} !~ /service=git-receive-pack/
            Require expr %{REQUEST_URI} !~ m#/git-receive-pack$#
        </RequireAll>
        Require valid-user
    </RequireAny>
</Location>
<Directory /usr/lib/git-core>
    Options +ExecCGI
    Require all granted
</Directory>
RedirectMatch ^/$ /gitweb/
CONF
printf '$projectroot = "/srv/git";\n$git_temp = "/tmp";\n' > "$R/etc/gitweb.conf"
chroot_run "a2enmod -q cgi alias env auth_basic authn_file authz_user && a2enconf -q yun-git && a2enconf -q gitweb"
cat > "$R/usr/local/bin/yun-git-new" <<'SH'
#!/bin/sh
# yun-git-new NAME: a bare repository /srv/git/NAME.git that HTTP can clone and push
set -eu
d=/srv/git/${1:?usage: yun-git-new NAME}.git
git init -q --bare "$d"
git -C "$d" config http.receivepack true
git -C "$d" config core.sharedRepository group
chown -R www-data:www-data "$d"
echo "$d"
SH
chmod 755 "$R/usr/local/bin/yun-git-new"
mkdir -p "$R/srv/git" "$R/etc/yun"
cat > "$work/10-gitserver" <<'SH'
#!/bin/sh
set -eu
pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
htpasswd -bcB /etc/yun/git.htpasswd git "$pw" 2>/dev/null
chgrp www-data /etc/yun/git.htpasswd; chmod 640 /etc/yun/git.htpasswd
[ -d /srv/git/demo.git ] || /usr/local/bin/yun-git-new demo >/dev/null
umask 077
printf 'Git server: clone http://<address>/git/demo.git; push as user git, password %s\n' "$pw" >> /root/yun-credentials
SH
firstboot "$work/10-gitserver"
firstboot_after apache2.service
manifest blueprint_type APP_OS
manifest display_name "Git server (git-http-backend + gitweb)"
manifest description "Git over HTTP (clone, push with a password) and gitweb on Apache 2.4 (Debian 12)"
manifest required_memory_mib 512
manifest app_port 80
manifest ready_path "/gitweb/"
manifest scene "devtools"
manifest version "2.39"
manifest credentials "/root/yun-credentials (over SSH with the instance's key pair): the git user's password"
image_end
