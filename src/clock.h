/*
 * clock.h - the monotonic clock, sleeping, and waiting with a deadline.
 *
 * Every wait in vmig (for the migration lock, for a busy SQLite file, for a
 * database that is starting) is the same loop: try, and if that failed and
 * time is left, sleep a little longer than last time, never past the
 * deadline.  vmig_waiter is that loop's state, so that each wait is bounded
 * by the one deadline it was given, however many places it waits in.
 */
#ifndef VMIG_CLOCK_H
#define VMIG_CLOCK_H

#include <stdbool.h>

/* Milliseconds on the monotonic clock (for durations and deadlines only). */
double vmig_now_ms(void);

/* Sleeps ms milliseconds (nothing for ms <= 0). */
void vmig_sleep_ms(double ms);

typedef struct vmig_waiter {
	double deadline_ms; /* on vmig_now_ms()'s clock; 0: not started */
	double delay_ms;    /* the next pause */
	double max_delay_ms;
	double timeout_ms; /* the budget, for starting and for messages */
} vmig_waiter;

/* A waiter with a budget of timeout_ms, pausing first_ms and doubling up to max_ms.
 * Its clock starts at the first vmig_waiter_pause (or vmig_waiter_start). */
vmig_waiter vmig_waiter_new(double timeout_ms, double first_ms, double max_ms);

/* Gives the waiter its whole budget again, its clock not started. */
void vmig_waiter_reset(vmig_waiter *w, double first_ms);

/* Starts the clock now unless it has started. */
void vmig_waiter_start(vmig_waiter *w);

/* Milliseconds left before the deadline (the whole budget before the start; 0 when past). */
double vmig_waiter_left(const vmig_waiter *w);

/*
 * Sleeps before the next try: the current delay, cut to the deadline, then
 * grows the delay.  Returns false, without sleeping, when the deadline has
 * passed: the caller gives up.
 */
bool vmig_waiter_pause(vmig_waiter *w);

#endif
