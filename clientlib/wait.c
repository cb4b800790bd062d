/*
 * wait.c - sleep on the doorbell futex until something changes.
 */
#include <errno.h>
#include <time.h>

#include "handle.h"
#include "../shm/futex.h"

static void load_counters(const struct fotos *h, struct fotos_cursor *c)
{
	const struct fotos_shm_doorbell *b = h->bell;

	c->view = atomic_load_explicit(&b->view_changes, memory_order_acquire);
	c->stable = atomic_load_explicit(&b->stable_changes, memory_order_acquire);
	c->db = atomic_load_explicit(&b->db_changes, memory_order_acquire);
	c->state = atomic_load_explicit(&b->state_changes, memory_order_acquire);
}

void fotos_cursor_init(const struct fotos *h, struct fotos_cursor *c)
{
	load_counters(h, c);
}

/* Events in mask that differ between the cursor and now; advances the
 * cursor only for those reported. */
static unsigned int pending(const struct fotos *h, struct fotos_cursor *c, unsigned int mask)
{
	struct fotos_cursor now;
	unsigned int ev = 0;

	load_counters(h, &now);
	if ((mask & FOTOS_EV_VIEW) && now.view != c->view)
		ev |= FOTOS_EV_VIEW, c->view = now.view;
	if ((mask & FOTOS_EV_STABLE) && now.stable != c->stable)
		ev |= FOTOS_EV_STABLE, c->stable = now.stable;
	if ((mask & FOTOS_EV_DB) && now.db != c->db)
		ev |= FOTOS_EV_DB, c->db = now.db;
	if ((mask & FOTOS_EV_STATE) && now.state != c->state)
		ev |= FOTOS_EV_STATE, c->state = now.state;
	return ev;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int fotos_wait(const struct fotos *h, struct fotos_cursor *c, unsigned int mask, int timeout_ms)
{
	struct fotos_shm_doorbell *b = h->bell;
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	/* A dead agent never wakes us: sleep in slices so liveness is checked. */
	uint64_t slice = h->stale_after_ns / 2 ? h->stale_after_ns / 2 : 1000000ull;
	unsigned int ev;
	int ret;

	if (!h->waiters && slice > 1000000ull)
		slice = 1000000ull;	/* unregistered waiter: the agent may skip the wake */
	for (;;) {
		uint32_t seen = atomic_load_explicit(&b->notify, memory_order_acquire);
		struct timespec rel;
		uint64_t now, left;

		ev = pending(h, c, mask);
		if (ev)
			return (int)ev;
		if (fotos_check(h) < 0)
			return -ESTALE;
		now = mono_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		left = deadline - now;
		if (left > slice)
			left = slice;
		rel.tv_sec = (time_t)(left / 1000000000ull);
		rel.tv_nsec = (long)(left % 1000000000ull);

		if (h->waiters)
			atomic_fetch_add_explicit(h->waiters, 1, memory_order_seq_cst);
		/* (A') re-check after registering; pairs with shm_ring's seq_cst
		 * bump-then-check, so either it sees our count or we see its bump. */
		if (atomic_load_explicit(&b->notify, memory_order_seq_cst) == seen)
			ret = fotos_futex_wait(&b->notify, seen, &rel);
		else
			ret = 0;
		if (h->waiters)
			atomic_fetch_sub_explicit(h->waiters, 1, memory_order_release);
		if (ret == -EINTR)
			return -EINTR;
		/* 0, -EAGAIN (value moved) and -ETIMEDOUT (slice) all loop. */
	}
}
