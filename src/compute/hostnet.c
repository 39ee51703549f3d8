/*
 * hostnet: the per-host default network instances get until VPCs arrive: one Linux bridge
 * (yunbr0) holding the gateway and the metadata addresses, one tap per instance (yt-<id>), and
 * nftables rules that (1) drop frames whose source MAC/IP is not the one the control plane gave
 * that tap, so the metadata service can trust the source address; (2) keep guests apart from
 * each other and from the host's own services; (3) NAT their outbound traffic.
 * Everything is created idempotently, so a yund restart re-asserts it without cutting traffic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compute/compute.h"

#define BRIDGE "yunbr0"

/* Runs argv (no shell) with optional stdin text; 0 on exit status 0. */
static int run(const char *const argv[], const char *input, char *err, size_t errlen)
{
    int in[2] = {-1, -1}, out[2];
    if ((input && pipe(in) != 0) || pipe(out) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (input) {
            dup2(in[0], 0);
            close(in[1]);
        } else {
            int devnull = open("/dev/null", O_RDONLY);
            dup2(devnull, 0);
        }
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    if (input) {
        close(in[0]);
        size_t left = strlen(input);
        const char *p = input;
        while (left) {
            ssize_t n = write(in[1], p, left);
            if (n <= 0)
                break;
            p += n;
            left -= (size_t)n;
        }
        close(in[1]);
    }
    char msg[512];
    size_t used = 0;
    ssize_t n;
    while ((n = read(out[0], msg + used, sizeof msg - 1 - used)) > 0 && used < sizeof msg - 1)
        used += (size_t)n;
    msg[used] = 0;
    close(out[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = 0;
    snprintf(err, errlen, "%s: %s", argv[0], msg[0] ? msg : "failed");
    return -1;
}

static int parse_cidr(const char *cidr, uint32_t *net, int *prefix)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s", cidr);
    char *slash = strchr(buf, '/');
    if (!slash)
        return -1;
    *slash = 0;
    *prefix = atoi(slash + 1);
    struct in_addr a;
    if (inet_pton(AF_INET, buf, &a) != 1 || *prefix < 8 || *prefix > 29)
        return -1;
    uint32_t mask = *prefix ? 0xffffffffu << (32 - *prefix) : 0;
    *net = ntohl(a.s_addr) & mask;
    return 0;
}

static void ip_text(uint32_t v, char out[16])
{
    struct in_addr a = {.s_addr = htonl(v)};
    inet_ntop(AF_INET, &a, out, 16);
}

int hostnet_gateway(const struct config *cfg, char *gw, size_t gwlen, int *prefix)
{
    uint32_t net;
    if (parse_cidr(cfg->host_network, &net, prefix) != 0)
        return -1;
    char t[16];
    ip_text(net + 1, t);
    snprintf(gw, gwlen, "%s", t);
    return 0;
}

int hostnet_setup(const struct config *cfg, char *err, size_t errlen)
{
    uint32_t net;
    int prefix;
    if (parse_cidr(cfg->host_network, &net, &prefix) != 0) {
        snprintf(err, errlen, "compute.host_network `%s` is not an IPv4 CIDR between /8 and /29", cfg->host_network);
        return -1;
    }
    char gw[16], netw[16], addr[32];
    ip_text(net + 1, gw);
    ip_text(net, netw);
    snprintf(addr, sizeof addr, "%s/%d", gw, prefix);
    struct stat st;
    if (stat("/sys/class/net/" BRIDGE, &st) != 0) {
        const char *add[] = {"ip", "link", "add", BRIDGE, "type", "bridge", NULL};
        if (run(add, NULL, err, errlen))
            return -1;
    }
    const char *a1[] = {"ip", "addr", "replace", addr, "dev", BRIDGE, NULL};
    const char *a2[] = {"ip", "addr", "replace", "169.254.169.254/32", "dev", BRIDGE, NULL};
    const char *a3[] = {"ip", "addr", "replace", "169.254.0.23/32", "dev", BRIDGE, NULL};
    const char *up[] = {"ip", "link", "set", BRIDGE, "up", NULL};
    if (run(a1, NULL, err, errlen) || run(a2, NULL, err, errlen) || run(a3, NULL, err, errlen) || run(up, NULL, err, errlen))
        return -1;
    int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY);
    if (fd < 0 || write(fd, "1", 1) != 1)
        log_warn("cannot enable IPv4 forwarding; instances get no outbound NAT");
    if (fd >= 0)
        close(fd);
    char rules[2048];
    snprintf(rules, sizeof rules,
             "add table bridge yun_host\n"
             "add set bridge yun_host allowed_ip { type ifname . ipv4_addr; }\n"
             "add set bridge yun_host allowed_mac { type ifname . ether_addr; }\n"
             "add chain bridge yun_host guard_in { type filter hook prerouting priority -200; policy accept; }\n"
             "add chain bridge yun_host guard_fwd { type filter hook forward priority 0; policy accept; }\n"
             "flush chain bridge yun_host guard_in\n"
             "flush chain bridge yun_host guard_fwd\n"
             "add rule bridge yun_host guard_in iifname \"yt-*\" iifname . ether saddr != @allowed_mac drop\n"
             "add rule bridge yun_host guard_in iifname \"yt-*\" ether type ip iifname . ip saddr != @allowed_ip drop\n"
             "add rule bridge yun_host guard_fwd iifname \"yt-*\" oifname \"yt-*\" drop\n"
             "add table inet yun_guard\n"
             "add chain inet yun_guard input { type filter hook input priority 0; policy accept; }\n"
             "flush chain inet yun_guard input\n"
             "add rule inet yun_guard input iifname \"%s\" ct state established,related accept\n"
             "add rule inet yun_guard input iifname \"%s\" ip daddr { 169.254.169.254, 169.254.0.23 } tcp dport 80 accept\n"
             "add rule inet yun_guard input iifname \"%s\" icmp type echo-request accept\n"
             "add rule inet yun_guard input iifname \"%s\" drop\n"
             "add table ip yun_nat\n"
             "add chain ip yun_nat post { type nat hook postrouting priority srcnat; policy accept; }\n"
             "flush chain ip yun_nat post\n"
             "add rule ip yun_nat post ip saddr %s/%d ip daddr != %s/%d masquerade\n",
             BRIDGE, BRIDGE, BRIDGE, BRIDGE, netw, prefix, netw, prefix);
    const char *nft[] = {"nft", "-f", "-", NULL};
    return run(nft, rules, err, errlen);
}

int hostnet_tap_add(const char *tap, const char *mac, const char *ip, char *err, size_t errlen)
{
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "/sys/class/net/%s", tap);
    if (stat(path, &st) != 0) {
        const char *add[] = {"ip", "tuntap", "add", "dev", tap, "mode", "tap", NULL};
        if (run(add, NULL, err, errlen))
            return -1;
    }
    const char *attach[] = {"ip", "link", "set", tap, "master", BRIDGE, "up", NULL};
    if (run(attach, NULL, err, errlen))
        return -1;
    char rules[512];
    snprintf(rules, sizeof rules,
             "add element bridge yun_host allowed_ip { \"%s\" . %s }\n"
             "add element bridge yun_host allowed_mac { \"%s\" . %s }\n",
             tap, ip, tap, mac);
    const char *nft[] = {"nft", "-f", "-", NULL};
    return run(nft, rules, err, errlen);
}

void hostnet_tap_del(const char *tap, const char *mac, const char *ip)
{
    char err[256], rules[512];
    snprintf(rules, sizeof rules,
             "delete element bridge yun_host allowed_ip { \"%s\" . %s }\n"
             "delete element bridge yun_host allowed_mac { \"%s\" . %s }\n",
             tap, ip, tap, mac);
    const char *nft[] = {"nft", "-f", "-", NULL};
    run(nft, rules, err, sizeof err); /* absent elements are fine */
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "/sys/class/net/%s", tap);
    if (stat(path, &st) == 0) {
        const char *del[] = {"ip", "link", "del", tap, NULL};
        if (run(del, NULL, err, sizeof err))
            log_warn("cannot remove %s: %s", tap, err);
    }
}

int hostnet_allocate_ip(struct store *s, const struct config *cfg, const char *instance_id, char ip[16])
{
    uint32_t net;
    int prefix;
    if (parse_cidr(cfg->host_network, &net, &prefix) != 0)
        return -1;
    uint32_t size = 1u << (32 - prefix);
    struct store_stmt *q = store_query(s, "SELECT ip FROM host_addresses", "");
    if (!q)
        return -1;
    uint8_t *used = calloc(size, 1);
    int rc;
    while (used && (rc = store_step(q)) == 1) {
        struct in_addr a;
        if (inet_pton(AF_INET, store_text(q, 0), &a) == 1 && (ntohl(a.s_addr) & ~(size - 1)) == net)
            used[ntohl(a.s_addr) - net] = 1;
    }
    store_done(q);
    int result = -1;
    for (uint32_t i = 2; used && i < size - 1; i++) { /* .0 network, .1 gateway, last broadcast */
        if (used[i])
            continue;
        ip_text(net + i, ip);
        if (store_exec(s, "INSERT INTO host_addresses (ip, instance_id) VALUES (?, ?)", "ss", ip, instance_id) == 1)
            result = 0;
        break;
    }
    free(used);
    return result;
}
