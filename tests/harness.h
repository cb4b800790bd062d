/* Description: small helpers shared by the C test programs: CHECK macros
 * that name the file, line and failing expression and exit 1; skip() that
 * exits 77; a monotonic clock; unique shm names per test that are unlinked
 * at exit; fork helpers with a time bound.
 *
 * Header-only (every function is static): include it from one test file.
 * Exit codes follow liburing: 0 pass, 1 fail, 77 skip.
 */
#ifndef FOTOS_TEST_HARNESS_H
#define FOTOS_TEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T_PASS	0
#define T_FAIL	1
#define T_SKIP	77

/* ---- failing ------------------------------------------------------------ */

static inline void th_fail_exit(void) __attribute__((noreturn));
static inline void th_fail_exit(void)
{
	fflush(stdout);
	fflush(stderr);
	/* exit(), not _exit(): the parent's atexit hook unlinks shm names. */
	exit(T_FAIL);
}

/* Print "file:line: what" and exit 1. */
#define FAIL(...) do {							\
	fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	th_fail_exit();							\
} while (0)

#define CHECK(expr) do {						\
	if (!(expr))							\
		FAIL("CHECK(%s)", #expr);				\
} while (0)

/* Integer comparison that prints both sides. */
#define CHECK_OP(a, op, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!(_a op _b))						\
		FAIL("CHECK(%s %s %s): %lld vs %lld", #a, #op, #b, _a, _b); \
} while (0)
#define CHECK_EQ(a, b)	CHECK_OP(a, ==, b)
#define CHECK_NE(a, b)	CHECK_OP(a, !=, b)
#define CHECK_LT(a, b)	CHECK_OP(a, <, b)
#define CHECK_LE(a, b)	CHECK_OP(a, <=, b)
#define CHECK_GE(a, b)	CHECK_OP(a, >=, b)

/* A call returning 0 or -errno: print the errno name on failure. */
#define CHECK_OK(call) do {						\
	long _r = (long)(call);						\
	if (_r < 0)							\
		FAIL("%s = %ld (%s)", #call, _r, strerror((int)-_r));	\
} while (0)

/*
 * Exit 77 with a reason. Spelled skip() unless cmocka.h (which has its own
 * skip()) came first; include harness.h after cmocka.h.
 */
static inline void th_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static inline void th_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("SKIP: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stdout);
	exit(T_SKIP);
}
#ifndef skip
#define skip(...) th_skip(__VA_ARGS__)
#endif

/* ---- time ---------------------------------------------------------------- */

static inline uint64_t th_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double th_now_s(void)
{
	return (double)th_now_ns() / 1e9;
}

static inline void th_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- unique shm names ------------------------------------------------- */

#define TH_MAX_NAMES	64
#define TH_NAME_LEN	64

static char th_names[TH_MAX_NAMES][TH_NAME_LEN];
static int th_nnames;
static pid_t th_owner;

static inline void th_unlink_names(void)
{
	int i;

	if (getpid() != th_owner)
		return;		/* a forked child exiting: not its names */
	for (i = 0; i < th_nnames; i++)
		if (th_names[i][0])
			shm_unlink(th_names[i]);
	th_nnames = 0;
}

/*
 * A fresh segment name, "/fotos-test-<pid>-<n>", unlinked at exit by the
 * process that asked for it (also on CHECK failures, which call exit()).
 * A stale object of the same name (a recycled pid) is removed first.
 * th_shm_unlink() frees the slot for reuse.
 */
static inline const char *th_shm_name(void)
{
	static int n;
	char *s = NULL;
	int i;

	if (th_owner != getpid()) {
		th_owner = getpid();
		th_nnames = 0;
		atexit(th_unlink_names);
	}
	for (i = 0; i < th_nnames; i++)
		if (!th_names[i][0])
			s = th_names[i];
	if (!s) {
		if (th_nnames >= TH_MAX_NAMES) {
			fprintf(stderr, "harness: more than %d shm names in use\n", TH_MAX_NAMES);
			exit(T_FAIL);
		}
		s = th_names[th_nnames++];
	}
	snprintf(s, TH_NAME_LEN, "/fotos-test-%ld-%d", (long)getpid(), n++);
	shm_unlink(s);
	return s;
}

/*
 * Unlink a name now (a test's own teardown); harmless if already gone.
 * The name's slot is reused by a later th_shm_name(): do not use the
 * string after this.
 */
static inline void th_shm_unlink(const char *name)
{
	int i;

	if (!name || !name[0])
		return;
	shm_unlink(name);
	for (i = 0; i < th_nnames; i++)
		if (th_names[i] == name)
			th_names[i][0] = 0;
}

/* "/dev/shm" + name: the file behind a POSIX shm object on Linux. */
static inline void th_shm_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm%s", name);
}

/* Overwrite len bytes at off in the shm object name; 0 or -errno. */
static inline int th_shm_poke(const char *name, uint64_t off, const void *p, size_t len)
{
	char path[TH_NAME_LEN + 16];
	ssize_t n;
	int fd, ret = 0;

	th_shm_path(name, path, sizeof(path));
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = pwrite(fd, p, len, (off_t)off);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* Truncate the shm object name to size bytes; 0 or -errno. */
static inline int th_shm_truncate(const char *name, uint64_t size)
{
	char path[TH_NAME_LEN + 16];

	th_shm_path(name, path, sizeof(path));
	return truncate(path, (off_t)size) < 0 ? -errno : 0;
}

/* ---- processes ---------------------------------------------------------- */

/*
 * Fork a child that runs fn(arg) and _exit()s with its return value (so the
 * child never runs the parent's atexit hooks or a test framework's unwind).
 * The child dies if the parent dies, and gets SIGALRM after limit_s seconds
 * (0: no alarm) so a hung child cannot hang the run. Returns the pid, or
 * exits 1 if fork fails.
 */
static inline pid_t th_fork(int (*fn)(void *), void *arg, unsigned int limit_s)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(T_FAIL);
	}
	if (pid == 0) {
		if (limit_s)
			alarm(limit_s);
		_exit(fn(arg));
	}
	return pid;
}

/*
 * Wait for pid at most timeout_ms (<0: forever). Returns its exit code
 * (0..255), 128 + signal if it was killed, or -1 if it did not end in time
 * (it is then killed with SIGKILL and reaped).
 */
static inline int th_wait_pid(pid_t pid, int timeout_ms)
{
	uint64_t deadline = th_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000ull;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, timeout_ms < 0 ? 0 : WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -2;
		if (timeout_ms >= 0 && th_now_ns() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		if (r == 0)
			th_sleep_ms(2);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -2;
}

/* Kill (SIGKILL) and reap every pid in pids[0..n) that is still > 0. */
static inline void th_kill_all(pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
}

/* Memory shared with forked children (MAP_SHARED anonymous), zeroed. */
static inline void *th_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(T_FAIL);
	}
	return p;
}

#endif
