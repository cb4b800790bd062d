/*
 * futex.h - cross-process futex calls (never FUTEX_PRIVATE: private futexes
 * are keyed per address space and would never match another process).
 */
#ifndef FOTOS_FUTEX_H
#define FOTOS_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *word == expected, at most rel (NULL: forever).
 * 0 when woken, -EAGAIN if the value already differed, -ETIMEDOUT, -EINTR. */
static inline int fotos_futex_wait(const _Atomic uint32_t *word, uint32_t expected,
				   const struct timespec *rel)
{
	long ret = syscall(SYS_futex, word, FUTEX_WAIT, expected, rel, NULL, 0);

	return ret < 0 ? -errno : 0;
}

/* Wake up to n sleepers on word; returns how many woke or -errno. */
static inline int fotos_futex_wake(_Atomic uint32_t *word, int n)
{
	long ret = syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);

	return ret < 0 ? -errno : (int)ret;
}

#endif
