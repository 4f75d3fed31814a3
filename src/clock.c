#include "clock.h"

#include <errno.h>
#include <time.h>

double vmig_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void vmig_sleep_ms(double ms)
{
	if (ms <= 0)
		return;
	long long ns = (long long)(ms * 1e6);
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL),
	                      .tv_nsec = (long)(ns % 1000000000LL)};
	/* A signal (SIGCHLD of a helper, say) must not cut a wait short. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

vmig_waiter vmig_waiter_new(double timeout_ms, double first_ms, double max_ms)
{
	return (vmig_waiter){.deadline_ms = 0,
	                     .delay_ms = first_ms,
	                     .max_delay_ms = max_ms,
	                     .timeout_ms = timeout_ms};
}

void vmig_waiter_reset(vmig_waiter *w, double first_ms)
{
	w->deadline_ms = 0;
	w->delay_ms = first_ms;
}

void vmig_waiter_start(vmig_waiter *w)
{
	if (w->deadline_ms == 0)
		w->deadline_ms = vmig_now_ms() + w->timeout_ms;
}

double vmig_waiter_left(const vmig_waiter *w)
{
	if (w->deadline_ms == 0)
		return w->timeout_ms;
	double left = w->deadline_ms - vmig_now_ms();
	return left > 0 ? left : 0;
}

bool vmig_waiter_pause(vmig_waiter *w)
{
	vmig_waiter_start(w);
	double left = vmig_waiter_left(w);
	if (left <= 0)
		return false;
	vmig_sleep_ms(w->delay_ms < left ? w->delay_ms : left);
	w->delay_ms = w->delay_ms * 2 < w->max_delay_ms ? w->delay_ms * 2 : w->max_delay_ms;
	return true;
}
