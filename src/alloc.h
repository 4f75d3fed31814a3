/*
 * alloc.h - allocation that never returns NULL, and what happens instead.
 *
 * Passing "out of memory" up by hand through every function would double
 * the core for a condition with one sensible answer: give up the operation,
 * release what it holds, and say so.  So the x* functions below never return
 * NULL.  When memory runs out they unwind to the innermost out-of-memory
 * frame of the calling thread (vmig_oom_enter, below): they first run the
 * cleanups registered with that frame, innermost first (closing connections,
 * which rolls back an open transaction and releases locks), then longjmp to
 * it.  Every entry point of the library and of the command sets a frame, so
 * the core never prints, exits or aborts; only code called with no frame at
 * all (which nothing in vmig does) would abort().  Memory the abandoned
 * operation had allocated is not returned.
 *
 * Frames and cleanups are per thread, so separate threads never see each
 * other's.  A cleanup must not allocate with the x* functions.
 */
#ifndef VMIG_ALLOC_H
#define VMIG_ALLOC_H

#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *array (of *cap elements of size elem) to hold at least need elements. */
void xgrow(void **array, size_t *cap, size_t need, size_t elem);
#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof *(arr))

/* Something to release if memory runs out while it is held. */
typedef struct vmig_cleanup {
	void (*fn)(void *arg);
	void *arg;
	struct vmig_cleanup *next;
	struct vmig_oom_frame *frame; /* the frame it is registered with, or NULL */
} vmig_cleanup;

typedef struct vmig_oom_frame {
	jmp_buf jmp;
	struct vmig_oom_frame *outer;
	vmig_cleanup *cleanups; /* innermost first */
} vmig_oom_frame;

/*
 * Use as:
 *
 *	vmig_oom_frame frame;
 *	vmig_oom_enter(&frame);
 *	if (setjmp(frame.jmp))
 *		return ...out of memory...;   (the frame is already left)
 *	...work...
 *	vmig_oom_leave(&frame);
 *
 * setjmp stays in the caller: a function that called it must still be
 * running when longjmp comes back to it.
 */
void vmig_oom_enter(vmig_oom_frame *frame);
void vmig_oom_leave(vmig_oom_frame *frame);

/* Registers c (owned by the caller, alive until vmig_oom_undefer) to call
 * fn(arg) if memory runs out first; nothing when no frame is set. */
void vmig_oom_defer(vmig_cleanup *c, void (*fn)(void *arg), void *arg);
/* Unregisters c (fine if it was never registered). */
void vmig_oom_undefer(vmig_cleanup *c);

/* Cleanups for what is held most often: a DIR *, a FILE *, an int * to a
 * file descriptor. */
void vmig_cleanup_closedir(void *dir);
void vmig_cleanup_fclose(void *file);
void vmig_cleanup_close_fd(void *fd);

/* Unwinds as the x* functions do: for a library call that failed for want of
 * memory where vmig has no other answer than theirs. */
_Noreturn void vmig_out_of_memory(void);

#endif
