/*
 * instance_op_refused: every instance state x every lifecycle operation, against the table the
 * CVM API documents (Start only from STOPPED; Stop and Reboot only from RUNNING; Reset from RUNNING
 * or STOPPED; nothing while TERMINATING), with the UnsupportedOperation.InstanceState<State> code
 * the real cloud answers. Plus which states are transitional (the controller still works on them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "compute/compute.h"

#define Y 1 /* allowed */
#define N 0 /* refused */

static const char *const op_names[OP_COUNT] = {"START", "STOP", "REBOOT", "TERMINATE", "RESET", "MODIFY"};

static const struct {
    const char *state, *code;
    int allowed[OP_COUNT]; /* START STOP REBOOT TERMINATE RESET MODIFY */
    int transitional;
} table[] = {
    {"PENDING", "UnsupportedOperation.InstanceStatePending", {N, N, N, Y, N, Y}, 1},
    {"LAUNCH_FAILED", "UnsupportedOperation.InstanceStateLaunchFailed", {N, N, N, Y, N, Y}, 0},
    {"RUNNING", "UnsupportedOperation.InstanceStateRunning", {N, Y, Y, Y, Y, Y}, 0},
    {"STOPPED", "UnsupportedOperation.InstanceStateStopped", {Y, N, N, Y, Y, Y}, 0},
    {"STARTING", "UnsupportedOperation.InstanceStateStarting", {N, N, N, N, N, Y}, 1},
    {"STOPPING", "UnsupportedOperation.InstanceStateStopping", {N, N, N, N, N, Y}, 1},
    {"REBOOTING", "UnsupportedOperation.InstanceStateRebooting", {N, N, N, N, N, Y}, 1},
    {"SHUTDOWN", "UnsupportedOperation.InstanceStateShutdown", {N, N, N, Y, N, N}, 0},
    {"TERMINATING", "UnsupportedOperation.InstanceStateTerminating", {N, N, N, N, N, N}, 1},
};

static void every_state_times_every_op(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t s = 0; s < sizeof table / sizeof table[0]; s++) {
        for (int op = 0; op < OP_COUNT; op++) {
            const char *got = instance_op_refused((enum op)op, table[s].state);
            const char *want = table[s].allowed[op] ? NULL : table[s].code;
            if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
                print_error("%s in %s: got %s, want %s\n", op_names[op], table[s].state, got ? got : "allowed",
                            want ? want : "allowed");
                failures++;
            }
        }
    }
    assert_int_equal(failures, 0);
}

static void refusal_codes_are_well_formed(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof table / sizeof table[0]; s++) {
        const char *code = table[s].code;
        assert_true(strncmp(code, "UnsupportedOperation.InstanceState", 34) == 0);
        /* CamelCase of the state name: PENDING -> Pending, LAUNCH_FAILED -> LaunchFailed */
        char want[64] = "UnsupportedOperation.InstanceState";
        size_t n = strlen(want);
        int upper = 1;
        for (const char *p = table[s].state; *p; p++) {
            if (*p == '_') {
                upper = 1;
                continue;
            }
            want[n++] = upper ? *p : (char)(*p - 'A' + 'a');
            upper = 0;
        }
        want[n] = 0;
        assert_string_equal(code, want);
    }
}

static void unknown_states_refuse_everything(void **state)
{
    (void)state;
    static const char *const unknown[] = {"", "TERMINATED", "running", "RUNNING ", "BOGUS"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        for (int op = 0; op < OP_COUNT; op++) {
            const char *got = instance_op_refused((enum op)op, unknown[i]);
            if (!got)
                fail_msg("%s allowed in unknown state \"%s\"", op_names[op], unknown[i]);
            assert_true(strncmp(got, "UnsupportedOperation", 20) == 0);
        }
}

static void transitional_states(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof table / sizeof table[0]; s++)
        if (instance_state_transitional(table[s].state) != table[s].transitional)
            fail_msg("%s: transitional=%d, want %d", table[s].state, instance_state_transitional(table[s].state),
                     table[s].transitional);
    assert_false(instance_state_transitional("TERMINATED"));
    assert_false(instance_state_transitional(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_state_times_every_op),
        cmocka_unit_test(refusal_codes_are_well_formed),
        cmocka_unit_test(unknown_states_refuse_everything),
        cmocka_unit_test(transitional_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
