/* Description: the futex doorbell across processes. Forked waiters asleep
 * in fotos_wait() are woken by shm_ring(SHM_BELL_VIEW) after a publish,
 * report FOTOS_EV_VIEW and read the new view; they stay asleep until their
 * timeout when nothing is rung or when only events outside their mask are
 * rung; timeouts return -ETIMEDOUT within a sane bound; a waiter returns
 * -ESTALE when the agent closes the segment, is replaced, or stops ticking;
 * the writer skips the wake system call when nobody waits (seg.wakes and
 * seg.skipped_wakes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"
#include "fotos.h"
#include "fotos_abi.h"
#include "segment.h"

#define STALE_LONG	(30ull * 1000000000ull)
#define MAXW		8

/* What one waiter child did, written where the parent can read it. */
struct wres {
	int ret;		/* fotos_wait() result */
	int read_ret;		/* fotos_read_view() after an event */
	uint64_t epoch;		/* the view epoch it then read */
	uint64_t elapsed_ms;
	int done;
};

struct wjob {
	const char *name;
	unsigned int mask;
	int timeout_ms;
	struct wres *res;	/* shared mapping */
};

struct fix {
	const char *name;
	struct shm_segment seg;
	pid_t pids[MAXW];
	struct wres *res;	/* MAXW results, shared with the children */
	struct wjob job[MAXW];
};

static int create_seg(const char *name, struct shm_segment *seg, uint64_t stale_after_ns)
{
	struct shm_params p = {
		.name = name,
		.node_name = "node-w",
		.cluster_name = "unit",
		.stale_after_ns = stale_after_ns,
		.mode = 0600,
	};

	return shm_segment_create(&p, seg);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->name = th_shm_name();
	f->res = th_shared_alloc(MAXW * sizeof(struct wres));
	if (create_seg(f->name, &f->seg, STALE_LONG) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	th_kill_all(f->pids, MAXW);
	shm_segment_close(&f->seg);
	th_shm_unlink(f->name);
	munmap(f->res, MAXW * sizeof(struct wres));
	free(f);
	return 0;
}

/* Child: open, start a cursor at now, wait once, record what happened. */
static int waiter(void *p)
{
	struct wjob *j = p;
	struct fotos_cursor c;
	struct fotos_view *v = malloc(sizeof(*v));
	struct fotos *h;
	uint64_t t0;
	int ret;

	if (!v)
		return 2;
	ret = fotos_open(j->name, &h);
	if (ret < 0) {
		j->res->ret = ret;
		j->res->done = 1;
		free(v);
		return 3;
	}
	fotos_cursor_init(h, &c);
	t0 = th_now_ns();
	j->res->ret = fotos_wait(h, &c, j->mask, j->timeout_ms);
	j->res->elapsed_ms = (th_now_ns() - t0) / 1000000;
	if (j->res->ret > 0) {
		j->res->read_ret = fotos_read_view(h, v);
		j->res->epoch = v->epoch;
	}
	j->res->done = 1;
	fotos_close(h);
	free(v);
	return 0;
}

static void start_waiters(struct fix *f, int n, unsigned int mask, int timeout_ms)
{
	int i;

	assert_true(n <= MAXW);
	for (i = 0; i < n; i++) {
		f->job[i] = (struct wjob){ f->name, mask, timeout_ms, &f->res[i] };
		f->pids[i] = th_fork(waiter, &f->job[i], 30);
	}
}

/* Until n waiters are registered in the doorbell (asleep or about to). */
static void await_sleepers(struct fix *f, unsigned int n)
{
	uint64_t deadline = th_now_ns() + 5000000000ull;

	while (atomic_load(&f->seg.bell->waiters) != n) {
		if (th_now_ns() > deadline)
			fail_msg("waiters = %u, want %u", atomic_load(&f->seg.bell->waiters), n);
		th_sleep_ms(1);
	}
	/* Registered means past the re-check and into (or about to enter)
	 * FUTEX_WAIT; give the last one a moment to really sleep. */
	th_sleep_ms(20);
}

/* Reap every child within timeout_ms and check it ran cleanly. */
static void reap(struct fix *f, int n, int timeout_ms)
{
	int i;

	for (i = 0; i < n; i++) {
		int rc = th_wait_pid(f->pids[i], timeout_ms);

		f->pids[i] = 0;
		if (rc == -1)
			fail_msg("waiter %d did not return within %d ms", i, timeout_ms);
		if (rc != 0)
			fail_msg("waiter %d exited %d (wait ret %d)", i, rc, f->res[i].ret);
		assert_true(f->res[i].done);
	}
}

static void test_wake_view(void **state)
{
	struct fix *f = *state;
	struct fotos_shm_view v = { .epoch = 9, .view_id = 99, .count = 0 };
	uint64_t wakes0 = f->seg.wakes, t0;
	int i, n = 4;

	start_waiters(f, n, FOTOS_EV_VIEW, 20000);
	await_sleepers(f, n);
	shm_publish_view(&f->seg, &v);
	t0 = th_now_ns();
	shm_ring(&f->seg, SHM_BELL_VIEW);
	assert_int_equal(f->seg.wakes, wakes0 + 1);
	reap(f, n, 5000);
	/* Woken by the ring, not by a slice or the timeout. */
	assert_true(th_now_ns() - t0 < 3000000000ull);
	for (i = 0; i < n; i++) {
		assert_int_equal(f->res[i].ret, FOTOS_EV_VIEW);
		assert_int_equal(f->res[i].read_ret, 0);
		assert_int_equal(f->res[i].epoch, 9);	/* published before the ring */
		assert_true(f->res[i].elapsed_ms < 5000);
	}
	assert_int_equal(atomic_load(&f->seg.bell->waiters), 0);
}

/* Mixed masks: only the waiters whose mask has the event return. */
static void test_wake_by_mask(void **state)
{
	struct fix *f = *state;
	int i;

	for (i = 0; i < 4; i++) {
		f->job[i] = (struct wjob){ f->name, i < 2 ? FOTOS_EV_STABLE : FOTOS_EV_ALL,
					   i < 2 ? 20000 : 10000, &f->res[i] };
		f->pids[i] = th_fork(waiter, &f->job[i], 30);
	}
	await_sleepers(f, 4);
	shm_ring(&f->seg, SHM_BELL_VIEW | SHM_BELL_DB);
	/* 2 and 3 (mask ALL) return at once; 0 and 1 sleep on. */
	for (i = 2; i < 4; i++) {
		assert_int_equal(th_wait_pid(f->pids[i], 5000), 0);
		f->pids[i] = 0;
		assert_int_equal(f->res[i].ret, FOTOS_EV_VIEW | FOTOS_EV_DB);
		assert_true(f->res[i].elapsed_ms < 5000);
	}
	await_sleepers(f, 2);
	assert_false(f->res[0].done);
	assert_false(f->res[1].done);
	shm_ring(&f->seg, SHM_BELL_STABLE);
	reap(f, 2, 5000);
	assert_int_equal(f->res[0].ret, FOTOS_EV_STABLE);
	assert_int_equal(f->res[1].ret, FOTOS_EV_STABLE);
}

static void expect_timeouts(struct fix *f, int n, int timeout_ms)
{
	int i;

	reap(f, n, timeout_ms + 5000);
	for (i = 0; i < n; i++) {
		if (f->res[i].ret != -ETIMEDOUT)
			fail_msg("waiter %d returned %d, want -ETIMEDOUT", i, f->res[i].ret);
		/* Never early (ms granularity, so allow 1 ms of rounding). */
		assert_true(f->res[i].elapsed_ms + 1 >= (uint64_t)timeout_ms);
		assert_true(f->res[i].elapsed_ms < (uint64_t)timeout_ms + 2000);
	}
}

static void test_no_ring_sleeps(void **state)
{
	struct fix *f = *state;
	uint64_t wakes0 = f->seg.wakes;

	start_waiters(f, 3, FOTOS_EV_ALL, 300);
	await_sleepers(f, 3);
	expect_timeouts(f, 3, 300);
	assert_int_equal(f->seg.wakes, wakes0);
}

/* Events outside the mask wake the futex (one notify word) but the waiters
 * must go back to sleep and not return for them. */
static void test_other_events_ignored(void **state)
{
	struct fix *f = *state;
	uint64_t wakes0 = f->seg.wakes;
	int i;

	start_waiters(f, 3, FOTOS_EV_VIEW, 600);
	await_sleepers(f, 3);
	shm_ring(&f->seg, SHM_BELL_DB);
	assert_int_equal(f->seg.wakes, wakes0 + 1);	/* the wake was made */
	await_sleepers(f, 3);				/* and they slept again */
	for (i = 0; i < 3; i++)
		assert_false(f->res[i].done);
	shm_ring(&f->seg, SHM_BELL_STABLE | SHM_BELL_STATE);
	await_sleepers(f, 3);
	shm_ring(&f->seg, SHM_BELL_DB);
	expect_timeouts(f, 3, 600);
}

static void test_timeout_bounds(void **state)
{
	struct fix *f = *state;
	struct fotos_cursor c;
	struct fotos *h;
	uint64_t t0, ms;

	assert_int_equal(fotos_open(f->name, &h), 0);
	fotos_cursor_init(h, &c);

	t0 = th_now_ns();
	assert_int_equal(fotos_wait(h, &c, FOTOS_EV_ALL, 0), -ETIMEDOUT);
	assert_true(th_now_ns() - t0 < 50000000ull);

	t0 = th_now_ns();
	assert_int_equal(fotos_wait(h, &c, FOTOS_EV_ALL, 100), -ETIMEDOUT);
	ms = (th_now_ns() - t0) / 1000000;
	assert_true(ms >= 99);
	assert_true(ms < 1000);

	/* An event already pending returns at once, without sleeping. */
	shm_ring(&f->seg, SHM_BELL_VIEW | SHM_BELL_STABLE);
	t0 = th_now_ns();
	assert_int_equal(fotos_wait(h, &c, FOTOS_EV_VIEW, 5000), FOTOS_EV_VIEW);
	/* Only the reported event advanced the cursor: STABLE is still due. */
	assert_int_equal(fotos_wait(h, &c, FOTOS_EV_ALL, 5000), FOTOS_EV_STABLE);
	assert_true(th_now_ns() - t0 < 50000000ull);
	assert_int_equal(fotos_wait(h, &c, FOTOS_EV_ALL, 10), -ETIMEDOUT);
	fotos_close(h);
}

static void expect_stale(struct fix *f, int n)
{
	int i;

	reap(f, n, 5000);
	for (i = 0; i < n; i++) {
		if (f->res[i].ret != -ESTALE)
			fail_msg("waiter %d returned %d, want -ESTALE", i, f->res[i].ret);
		assert_true(f->res[i].elapsed_ms < 3000);
	}
}

static void test_close_wakes_stale(void **state)
{
	struct fix *f = *state;

	start_waiters(f, 3, FOTOS_EV_ALL, 20000);
	await_sleepers(f, 3);
	shm_segment_close(&f->seg);
	expect_stale(f, 3);
}

static void test_replaced_wakes_stale(void **state)
{
	struct fix *f = *state;
	struct shm_segment seg2;

	start_waiters(f, 2, FOTOS_EV_VIEW, 20000);
	await_sleepers(f, 2);
	assert_int_equal(create_seg(f->name, &seg2, STALE_LONG), 0);
	expect_stale(f, 2);
	shm_segment_close(&f->seg);
	f->seg = seg2;		/* teardown closes the new one */
}

/* A dead agent wakes nobody: the waiter notices its stale heartbeat. */
static void test_dead_agent_stale(void **state)
{
	struct fix *f = *state;
	const char *name = th_shm_name();
	struct shm_segment seg;
	uint64_t deadline, t_last;

	assert_int_equal(create_seg(name, &seg, 300ull * 1000000), 0);	/* 300 ms */
	f->job[0] = (struct wjob){ name, FOTOS_EV_ALL, 20000, &f->res[0] };
	f->pids[0] = th_fork(waiter, &f->job[0], 30);
	/* Alive (ticking) until the waiter sleeps, then the agent "dies". */
	deadline = th_now_ns() + 5000000000ull;
	while (atomic_load(&seg.bell->waiters) != 1) {
		assert_true(th_now_ns() < deadline);
		assert_false(f->res[0].done);
		shm_heartbeat(&seg);
		th_sleep_ms(5);
	}
	shm_heartbeat(&seg);
	t_last = th_now_ns();
	assert_int_equal(th_wait_pid(f->pids[0], 5000), 0);
	f->pids[0] = 0;
	assert_int_equal(f->res[0].ret, -ESTALE);
	/* Noticed within stale_after plus a wait slice (stale_after / 2). */
	assert_true(th_now_ns() - t_last < 2000000000ull);
	assert_true(th_now_ns() - t_last >= 300000000ull);
	assert_int_equal(seg.wakes, 0);
	shm_segment_close(&seg);
	th_shm_unlink(name);
}

static void test_skip_wake_without_waiters(void **state)
{
	struct fix *f = *state;
	uint64_t wakes0 = f->seg.wakes, skipped0 = f->seg.skipped_wakes;
	int i;

	assert_int_equal(atomic_load(&f->seg.bell->waiters), 0);
	for (i = 0; i < 100; i++)
		shm_ring(&f->seg, SHM_BELL_VIEW);
	assert_int_equal(f->seg.wakes, wakes0);
	assert_int_equal(f->seg.skipped_wakes, skipped0 + 100);
	assert_int_equal(atomic_load(&f->seg.bell->view_changes), 100);

	/* With a sleeper the wake is made, once per ring. */
	start_waiters(f, 1, FOTOS_EV_VIEW, 20000);
	await_sleepers(f, 1);
	shm_ring(&f->seg, SHM_BELL_VIEW);
	assert_int_equal(f->seg.wakes, wakes0 + 1);
	assert_int_equal(f->seg.skipped_wakes, skipped0 + 100);
	reap(f, 1, 5000);
	assert_int_equal(f->res[0].ret, FOTOS_EV_VIEW);

	/* It left: the count is back to 0 and the wake is skipped again. */
	assert_int_equal(atomic_load(&f->seg.bell->waiters), 0);
	shm_ring(&f->seg, SHM_BELL_STATE);
	assert_int_equal(f->seg.wakes, wakes0 + 1);
	assert_int_equal(f->seg.skipped_wakes, skipped0 + 101);
}

/* A read-only client's waits count on the sealed waiter page: a count there
 * makes the agent wake, and nobody can shrink the page. */
static void test_sealed_waiter_page(void **state)
{
	struct fix *f = *state;
	uint64_t wakes0 = f->seg.wakes, skipped0 = f->seg.skipped_wakes;
	int seals;

	assert_true(f->seg.waiters_fd >= 0);
	assert_non_null(f->seg.waiters_ext);
	seals = fcntl(f->seg.waiters_fd, F_GET_SEALS);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_SEAL);
	assert_int_equal(ftruncate(f->seg.waiters_fd, 0), -1);
	assert_int_equal(errno, EPERM);

	shm_ring(&f->seg, SHM_BELL_DB);
	assert_int_equal(f->seg.skipped_wakes, skipped0 + 1);
	atomic_fetch_add(f->seg.waiters_ext, 1);
	shm_ring(&f->seg, SHM_BELL_DB);
	assert_int_equal(f->seg.wakes, wakes0 + 1);
	atomic_fetch_sub(f->seg.waiters_ext, 1);
	shm_ring(&f->seg, SHM_BELL_DB);
	assert_int_equal(f->seg.skipped_wakes, skipped0 + 2);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_wake_view),
		T(test_wake_by_mask),
		T(test_no_ring_sleeps),
		T(test_other_events_ignored),
		T(test_timeout_bounds),
		T(test_close_wakes_stale),
		T(test_replaced_wakes_stale),
		T(test_dead_agent_stale),
		T(test_skip_wake_without_waiters),
		T(test_sealed_waiter_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
