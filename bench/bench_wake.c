/*
 * bench_wake.c - how long after the agent publishes does a sleeping client
 * run again.
 *
 * The writer (this process, playing the agent) reads CLOCK_MONOTONIC into a
 * side shared page, then calls shm_publish_view() + shm_ring(); clients
 * (forked processes) blocked in fotos_wait() read CLOCK_MONOTONIC the
 * moment it returns. The baseline, measured in the same run, is a bare
 * cross-process futex: FUTEX_WAKE on a word in a shared anonymous page (not
 * FUTEX_PRIVATE) that the waiters sleep on with FUTEX_WAIT.
 *
 * Placements: writer on CPU1 and clients on CPU0 ("apart"), and everyone
 * on CPU0 ("together"). 1, 100 and 1000 waiters; with many, the latency
 * until the first and until the last waiter runs.
 *
 * Also the cost of a publish nobody waits for: shm_ring() skipping the wake
 * thanks to the waiter count, against an unconditional FUTEX_WAKE (what
 * "always wake" would cost; see DESIGN's "Security of the doorbell").
 *
 * Usage: bench_wake [--quick]
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "fotos.h"
#include "futex.h"
#include "segment.h"

#define MAXW		1000
#define WAIT_MS		10000

/* The side page shared by the writer and every waiter. */
struct side {
	_Atomic uint64_t t_pub;
	_Atomic uint32_t woke;
	_Atomic uint32_t ready;		/* waiters that started the current phase */
	_Atomic uint32_t phase;		/* bumped when the writer switches kind */
	_Atomic int kind;		/* enum kind of the current phase */
	_Atomic int quit;
	_Alignas(64) _Atomic uint32_t bare_word;	/* the baseline futex */
	_Alignas(64) _Atomic uint32_t bare_waiters;
	_Alignas(64) uint64_t t_wake[MAXW];
};

enum kind { K_FOTOS, K_FUTEX };

static struct shm_segment seg;
static struct fotos *h;
static struct side *sd;
static uint64_t epoch = 1;

static void publish_view(void)
{
	struct fotos_shm_view v;

	memset(&v, 0, offsetof(struct fotos_shm_view, members));
	v.epoch = ++epoch;
	v.view_id = epoch * 0x9e3779b97f4a7c15ull;
	v.net_id = 1;
	v.count = 0;
	shm_publish_view(&seg, &v);
	shm_ring(&seg, SHM_BELL_VIEW);
}

static void bare_wake(void)
{
	atomic_fetch_add_explicit(&sd->bare_word, 1, memory_order_seq_cst);
	fotos_futex_wake(&sd->bare_word, INT_MAX);
}

static void note_wake(int i, uint64_t t)
{
	sd->t_wake[i] = t;
	/* Pairs with the writer's acquire load of woke: t_wake is visible. */
	atomic_fetch_add_explicit(&sd->woke, 1, memory_order_release);
}

/* Sleep in fotos_wait() and note each wake-up until the phase changes. */
static void phase_fotos(int i, uint32_t ph)
{
	struct fotos_cursor c;

	fotos_cursor_init(h, &c);
	for (;;) {
		int ret = fotos_wait(h, &c, FOTOS_EV_VIEW, WAIT_MS);
		uint64_t t = bench_now_ns();

		if (atomic_load(&sd->phase) != ph)
			return;
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "bench_wake: waiter: fotos_wait: %s\n", fotos_strerror(ret));
			_exit(2);
		}
		note_wake(i, t);
	}
}

/* The baseline: bare FUTEX_WAIT on a shared word, until the phase changes. */
static void phase_futex(int i, uint32_t ph)
{
	struct timespec rel = { WAIT_MS / 1000, 0 };
	uint32_t v = atomic_load(&sd->bare_word);

	for (;;) {
		uint32_t nv;
		uint64_t t;

		atomic_fetch_add_explicit(&sd->bare_waiters, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&sd->bare_word, memory_order_seq_cst) == v)
			fotos_futex_wait(&sd->bare_word, v, &rel);
		t = bench_now_ns();
		atomic_fetch_sub_explicit(&sd->bare_waiters, 1, memory_order_release);
		if (atomic_load(&sd->phase) != ph)
			return;
		nv = atomic_load_explicit(&sd->bare_word, memory_order_acquire);
		if (nv == v)
			continue;	/* spurious, or the slice timed out */
		v = nv;
		note_wake(i, t);
	}
}

/* A waiter process: serves both kinds, switched by the writer's phase. */
static void waiter(int i, int cpu)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	bench_pin(cpu);
	for (;;) {
		uint32_t ph = atomic_load(&sd->phase);
		int k = atomic_load(&sd->kind);

		if (atomic_load(&sd->quit))
			_exit(0);
		atomic_fetch_add(&sd->ready, 1);
		if (k == K_FOTOS)
			phase_fotos(i, ph);
		else
			phase_futex(i, ph);
	}
}

static uint32_t waiting(enum kind k)
{
	return k == K_FOTOS ? atomic_load(&seg.bell->waiters) : atomic_load(&sd->bare_waiters);
}

/*
 * Switch every waiter to kind k: bump the phase, then keep ringing both
 * bells until all have started the new phase (a waiter may have missed a
 * ring while it was between phases). 0 or -ETIMEDOUT.
 */
static int set_phase(enum kind k, int n)
{
	uint64_t deadline = bench_now_ns() + 20000000000ull;

	atomic_store(&sd->ready, 0);
	atomic_store(&sd->kind, k);
	atomic_fetch_add(&sd->phase, 1);
	while (atomic_load(&sd->ready) < (uint32_t)n) {
		if (bench_now_ns() > deadline) {
			fprintf(stderr, "bench_wake: only %u of %d waiters switched phase\n",
				atomic_load(&sd->ready), n);
			return -ETIMEDOUT;
		}
		publish_view();
		bare_wake();
		bench_sleep_ns(1000000);
	}
	bench_sleep_ns(2000000);
	return 0;
}

/* rounds publishes of kind k to the n waiters; fills first (and last). */
static int measure(enum kind k, int n, unsigned int rounds, struct bench_samples *first,
		   struct bench_samples *last)
{
	uint64_t settle = n == 1 ? 200000 : n <= 100 ? 2000000 : 10000000;
	unsigned int r;
	int i, ret;

	ret = set_phase(k, n);
	if (ret < 0)
		return ret;
	for (r = 0; r < rounds; r++) {
		uint64_t t0, deadline = bench_now_ns() + 10000000000ull, lo = UINT64_MAX, hi = 0;

		/* Everyone registered, then a moment to get into FUTEX_WAIT. */
		while (waiting(k) < (uint32_t)n) {
			if (bench_now_ns() > deadline) {
				fprintf(stderr, "bench_wake: only %u of %d waiters sleep\n", waiting(k), n);
				return -ETIMEDOUT;
			}
			bench_sleep_ns(20000);
		}
		bench_sleep_ns(settle);
		atomic_store(&sd->woke, 0);

		t0 = bench_now_ns();
		atomic_store_explicit(&sd->t_pub, t0, memory_order_relaxed);
		if (k == K_FOTOS)
			publish_view();
		else
			bare_wake();

		while (atomic_load_explicit(&sd->woke, memory_order_acquire) < (uint32_t)n) {
			if (bench_now_ns() > deadline) {
				fprintf(stderr, "bench_wake: only %u of %d waiters woke\n",
					atomic_load(&sd->woke), n);
				return -ETIMEDOUT;
			}
			/* Block, as an agent going back to its ring would. */
			bench_sleep_ns(n == 1 ? 10000 : 100000);
		}
		for (i = 0; i < n; i++) {
			uint64_t t = sd->t_wake[i];

			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
		samples_add(first, (double)(lo - t0));
		if (last)
			samples_add(last, (double)(hi - t0));
	}
	return 0;
}

/*
 * One placement: n waiter processes on CPU0, the writer on wcpu; the
 * bare futex and fotos_wait alternate in two chunks each so that drift
 * (other load, frequency) hits both alike. 0 or -errno.
 */
static int run(int n, int wcpu, unsigned int rounds, struct bench_samples *ff,
	       struct bench_samples *fl, struct bench_samples *bf, struct bench_samples *bl)
{
	int i, ret = 0, started = 0, reaped = 0;

	atomic_store(&sd->quit, 0);
	atomic_store(&sd->ready, 0);
	atomic_store(&sd->kind, K_FUTEX);
	bench_pin(wcpu);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			ret = -errno;
			fprintf(stderr, "bench_wake: fork waiter %d: %s\n", i, strerror(errno));
			goto out;
		}
		if (pid == 0)
			waiter(i, 0);
		started++;
	}
	while (atomic_load(&sd->ready) < (uint32_t)n)
		bench_sleep_ns(1000000);

	ret = measure(K_FUTEX, n, rounds / 2, bf, bl);
	if (!ret)
		ret = measure(K_FOTOS, n, rounds / 2, ff, fl);
	if (!ret)
		ret = measure(K_FUTEX, n, rounds - rounds / 2, bf, bl);
	if (!ret)
		ret = measure(K_FOTOS, n, rounds - rounds / 2, ff, fl);
out:
	atomic_store(&sd->quit, 1);
	atomic_fetch_add(&sd->phase, 1);
	while (reaped < started) {
		int st;
		pid_t p;

		publish_view();
		bare_wake();
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			reaped++;
			if (WIFEXITED(st) && WEXITSTATUS(st) != 0 && ret == 0)
				ret = -EIO;
		}
		if (p < 0)
			break;
		bench_sleep_ns(1000000);
	}
	return ret;
}

static void name3(struct bench_samples *s, const char *what, int n, const char *which,
		  const char *where)
{
	char buf[96];

	if (n == 1)
		snprintf(buf, sizeof(buf), "%s, 1 waiter, %s", what, where);
	else
		snprintf(buf, sizeof(buf), "%s, %d waiters, %s, %s", what, n, which, where);
	samples_init(s, buf);
}

static int config(int n, int together, unsigned int rounds)
{
	const char *where = together ? "same CPU" : "CPU1 -> CPU0";
	struct bench_samples ff, fl, bf, bl;
	char prefix[16];
	int wcpu = together ? 0 : 1, ret;

	fprintf(stderr, "bench_wake: %d waiter%s, %s, %u rounds\n", n, n == 1 ? "" : "s",
		where, rounds);
	name3(&ff, "fotos_wait", n, "first", where);
	name3(&fl, "fotos_wait", n, "last", where);
	name3(&bf, "bare futex", n, "first", where);
	name3(&bl, "bare futex", n, "last", where);
	ret = run(n, wcpu, rounds, &ff, n > 1 ? &fl : NULL, &bf, n > 1 ? &bl : NULL);
	if (ret < 0) {
		fprintf(stderr, "bench_wake: %d waiters, %s failed: %s\n", n, where, strerror(-ret));
	} else {
		bench_row(&bf, NULL);
		bench_row(&ff, &bf);
		if (n > 1) {
			bench_row(&bl, NULL);
			bench_row(&fl, &bl);
		}
	}
	snprintf(prefix, sizeof(prefix), "wake%d", n);
	samples_dump(&ff, prefix);
	samples_dump(&bf, prefix);
	if (n > 1) {
		samples_dump(&fl, prefix);
		samples_dump(&bl, prefix);
	}
	samples_free(&ff);
	samples_free(&fl);
	samples_free(&bf);
	samples_free(&bl);
	return ret;
}

/* Publishing when nobody waits: the waiter count saves the system call. */
static void skip_cost(unsigned int reps)
{
	enum { BATCH = 1000 };
	struct bench_samples skip, wake;
	unsigned int r, i;

	bench_pin(1);
	samples_init(&skip, "shm_ring, no waiter (wake skipped)");
	samples_init(&wake, "FUTEX_WAKE, no waiter (always wake)");
	for (r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		for (i = 0; i < BATCH; i++)
			shm_ring(&seg, SHM_BELL_DB);
		samples_add(&skip, (double)(bench_now_ns() - t0) / BATCH);
		t0 = bench_now_ns();
		for (i = 0; i < BATCH; i++) {
			atomic_fetch_add_explicit(&seg.bell->notify, 1, memory_order_seq_cst);
			fotos_futex_wake(&seg.bell->notify, INT_MAX);
		}
		samples_add(&wake, (double)(bench_now_ns() - t0) / BATCH);
	}
	bench_row(&wake, NULL);
	bench_row(&skip, &wake);
	samples_free(&skip);
	samples_free(&wake);
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv);
	static const int ns[] = { 1, 100, 1000 };
	struct shm_params p = { 0 };
	char name[64];
	int ret, fails = 0, together;
	size_t i;

	snprintf(name, sizeof(name), "/fotos-bench-wake-%ld", (long)getpid());
	p.name = name;
	p.node_name = "bench";
	p.cluster_name = "bench";
	p.control_path = "";
	p.stale_after_ns = 3600ull * 1000000000ull;	/* no heartbeat needed */
	p.mode = 0600;
	ret = shm_segment_create(&p, &seg);
	if (ret < 0) {
		fprintf(stderr, "bench_wake: cannot create segment %s: %s\n", name, strerror(-ret));
		return 1;
	}
	publish_view();
	ret = fotos_open(name, &h);
	if (ret < 0) {
		fprintf(stderr, "bench_wake: fotos_open %s: %s\n", name, fotos_strerror(ret));
		shm_segment_close(&seg);
		return 1;
	}
	sd = mmap(NULL, sizeof(*sd), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sd == MAP_FAILED) {
		perror("bench_wake: mmap");
		return 1;
	}

	printf("### Wake latency (publish -> waiter runs; waiters on CPU0)\n\n");
	bench_header();
	for (together = 0; together < 2; together++) {
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			unsigned int rounds = ns[i] == 1 ? (quick ? 200 : 2000) :
					      ns[i] == 100 ? (quick ? 20 : 200) : (quick ? 6 : 50);

			if (config(ns[i], together, rounds) < 0)
				fails++;
		}
	}
	fprintf(stderr, "bench_wake: publish cost with no waiter\n");
	skip_cost(quick ? 100 : 1000);
	printf("\nfotos_wait is timed from before shm_publish_view()+shm_ring() to the "
	       "return of fotos_wait(); the bare futex from before the store+FUTEX_WAKE to "
	       "the return of FUTEX_WAIT. Ratio = median / the bare futex's median.\n\n");

	fotos_close(h);
	shm_segment_close(&seg);
	return fails ? 1 : 0;
}
