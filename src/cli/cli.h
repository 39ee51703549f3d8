/* cli: the `yun` command line: tccli-style API calls and operator commands. */
#ifndef YUN_CLI_H
#define YUN_CLI_H

int cli_call(int argc, char **argv);  /* yun <service> <Action> [--Param value ...] */
int cli_admin(int argc, char **argv); /* yun admin <command> ... */

#endif
