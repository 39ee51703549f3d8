/*
 * state: which lifecycle operation each instance state allows, as one table. Anything not
 * allowed is answered with UnsupportedOperation.InstanceState<State>, as the real cloud does.
 */
#include <string.h>

#include "compute/compute.h"

struct state_row {
    const char *state;
    const char *refusal; /* the error code for refused operations in this state */
    unsigned allowed;    /* bit per enum op */
};

#define B(op) (1u << (op))

static const struct state_row states[] = {
    {"PENDING", "UnsupportedOperation.InstanceStatePending", B(OP_TERMINATE) | B(OP_MODIFY)},
    {"LAUNCH_FAILED", "UnsupportedOperation.InstanceStateLaunchFailed", B(OP_TERMINATE) | B(OP_MODIFY)},
    {"RUNNING", "UnsupportedOperation.InstanceStateRunning",
     B(OP_STOP) | B(OP_REBOOT) | B(OP_TERMINATE) | B(OP_RESET) | B(OP_MODIFY)},
    {"STOPPED", "UnsupportedOperation.InstanceStateStopped", B(OP_START) | B(OP_TERMINATE) | B(OP_RESET) | B(OP_MODIFY)},
    {"STARTING", "UnsupportedOperation.InstanceStateStarting", B(OP_MODIFY)},
    {"STOPPING", "UnsupportedOperation.InstanceStateStopping", B(OP_MODIFY)},
    {"REBOOTING", "UnsupportedOperation.InstanceStateRebooting", B(OP_MODIFY)},
    {"SHUTDOWN", "UnsupportedOperation.InstanceStateShutdown", B(OP_TERMINATE)},
    {"TERMINATING", "UnsupportedOperation.InstanceStateTerminating", 0},
};

const char *instance_op_refused(enum op op, const char *state)
{
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i].state, state) == 0)
            return (states[i].allowed & B(op)) ? NULL : states[i].refusal;
    return "UnsupportedOperation.InstanceState";
}

int instance_state_transitional(const char *state)
{
    static const char *t[] = {"PENDING", "STARTING", "STOPPING", "REBOOTING", "TERMINATING", NULL};
    for (int i = 0; t[i]; i++)
        if (strcmp(t[i], state) == 0)
            return 1;
    return 0;
}
