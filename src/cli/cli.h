/* cli: the `yun` command line: tccli-style API calls and operator commands. */
#ifndef YUN_CLI_H
#define YUN_CLI_H

int cli_call(int argc, char **argv);  /* yun <service> <Action> [--Param value ...] */
int cli_admin(int argc, char **argv); /* yun admin <command> ... */
int cli_bill(int argc, char **argv);  /* yun bill --month 2026-12: a table per product */
int cli_host(int argc, char **argv);  /* host.c: yun host join ... (the host role of a joined host) */

/* call.c: one signed API call; *response is the answer's Response object (an Error one too), the
 * caller's to free. -1 when there is no answer (no credentials or endpoint, transport failure). */
struct json_t;
int cli_api(const char *service, const char *version, const char *action, struct json_t *params, const char *data_dir,
            const char *endpoint, const char *region, struct json_t **response);

/* admin.c: what operator commands share */
struct config;
struct store;
const char *cli_opt(int argc, char **argv, const char *name, const char *dflt);
int cli_open_data(int argc, char **argv, struct config *cfg, struct store **s);

/* admin_billing.c */
int cli_admin_recharge(int argc, char **argv);
int cli_admin_price(int argc, char **argv);
int cli_admin_discount(int argc, char **argv);
int cli_admin_clock(int argc, char **argv);

/* admin_market.c */
int cli_admin_isv(int argc, char **argv);
/* admin_partner.c */
int cli_admin_partner(int argc, char **argv);
int cli_admin_bind(int argc, char **argv);
int cli_admin_tier(int argc, char **argv);
int cli_admin_voucher(int argc, char **argv);      /* a platform-funded voucher */
int cli_admin_outbox(int argc, char **argv);       /* the mails the channel would have sent */
int cli_admin_store(int argc, char **argv);        /* admin_store.c */
int cli_admin_hosts_pool(int argc, char **argv);   /* admin_hosts.c: hosts sellable|assign */
int cli_admin_hosts_token(int argc, char **argv);  /* admin_hosts.c: hosts token (a join token) */
int cli_admin_hosts_list(int argc, char **argv);   /* admin_hosts.c: every host */
int cli_admin_hosts_revoke(int argc, char **argv); /* admin_hosts.c: hosts revoke HOST */
int cli_admin_hosts_drain(int argc, char **argv);  /* admin_hosts.c: hosts drain|undrain HOST */
int cli_admin_images(int argc, char **argv);       /* admin_images.c: build | list blueprint images */

#endif
