#include "parallel.h"

#include "alloc.h"
#include "error.h"

#include <pthread.h>
#include <setjmp.h>
#include <string.h>

typedef struct pool {
	size_t n, next;
	void (*work)(void *ctx, size_t i);
	void (*done)(void *ctx, size_t i, bool oom);
	void *ctx;
	pthread_mutex_t lock;
} pool;

/* The next item to start, or n when none is left. */
static size_t take(pool *p)
{
	pthread_mutex_lock(&p->lock);
	size_t i = p->next < p->n ? p->next++ : p->n;
	pthread_mutex_unlock(&p->lock);
	return i;
}

/* One item in a frame of its own: memory running out abandons that item. */
static bool run_one(pool *p, size_t i)
{
	vmig_oom_frame frame;
	vmig_oom_enter(&frame);
	if (setjmp(frame.jmp))
		return true;
	p->work(p->ctx, i);
	vmig_oom_leave(&frame);
	return false;
}

/* done() under the lock, in a frame too: a report that runs out of memory
 * is lost, and the lock still released. */
static void report_one(pool *p, size_t i, bool oom)
{
	pthread_mutex_lock(&p->lock);
	vmig_oom_frame frame;
	vmig_oom_enter(&frame);
	if (!setjmp(frame.jmp)) {
		p->done(p->ctx, i, oom);
		vmig_oom_leave(&frame);
	}
	pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
	pool *p = arg;
	for (size_t i; (i = take(p)) < p->n;)
		report_one(p, i, run_one(p, i));
	return NULL;
}

int vmig_parallel_for(size_t n, unsigned jobs, void (*work)(void *ctx, size_t i),
                      void (*done)(void *ctx, size_t i, bool oom), void *ctx, vmig_error *err)
{
	pool p = {.n = n, .work = work, .done = done, .ctx = ctx};
	size_t want = jobs ? jobs : 1;
	if (want > n)
		want = n;
	if (!want)
		return VMIG_OK;
	pthread_mutex_init(&p.lock, NULL);
	pthread_t *threads = xcalloc(want, sizeof *threads);
	size_t started = 0;
	int e = 0;
	while (started < want && (e = pthread_create(&threads[started], NULL, worker, &p)) == 0)
		started++;
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	pthread_mutex_destroy(&p.lock);
	if (!started)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot start a thread: %s", strerror(e));
	return VMIG_OK;
}
