/*
 * state: which lifecycle operation each instance state allows, as one table. Anything not
 * allowed is answered with UnsupportedOperation.InstanceState<State>, as the real cloud does.
 */
#include <string.h>

#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/states.h"

struct state_row {
    const char *state;
    const char *refusal; /* the error code for refused operations in this state */
    unsigned allowed;    /* bit per enum op */
};

#define B(op) (1u << (op))

static const struct state_row states[] = {
    {INSTANCE_PENDING, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_PENDING, B(OP_TERMINATE) | B(OP_MODIFY)},
    {INSTANCE_LAUNCH_FAILED, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_LAUNCH_FAILED, B(OP_TERMINATE) | B(OP_MODIFY)},
    {INSTANCE_RUNNING, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_RUNNING,
     B(OP_STOP) | B(OP_REBOOT) | B(OP_TERMINATE) | B(OP_RESET) | B(OP_MODIFY)},
    {INSTANCE_STOPPED, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_STOPPED,
     B(OP_START) | B(OP_TERMINATE) | B(OP_RESET) | B(OP_MODIFY)},
    {INSTANCE_STARTING, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_STARTING, B(OP_MODIFY)},
    {INSTANCE_STOPPING, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_STOPPING, B(OP_MODIFY)},
    {INSTANCE_REBOOTING, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_REBOOTING, B(OP_MODIFY)},
    {INSTANCE_SHUTDOWN, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_SHUTDOWN, B(OP_TERMINATE)},
    {INSTANCE_TERMINATING, E_UNSUPPORTED_OPERATION_INSTANCE_STATE_TERMINATING, 0},
};

const char *instance_op_refused(enum op op, const char *state)
{
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i].state, state) == 0)
            return (states[i].allowed & B(op)) ? NULL : states[i].refusal;
    return E_UNSUPPORTED_OPERATION_INSTANCE_STATE;
}

int instance_state_transitional(const char *state)
{
    static const char *t[] = {INSTANCE_PENDING,   INSTANCE_STARTING,    INSTANCE_STOPPING,
                              INSTANCE_REBOOTING, INSTANCE_TERMINATING, NULL};
    for (int i = 0; t[i]; i++)
        if (strcmp(t[i], state) == 0)
            return 1;
    return 0;
}
