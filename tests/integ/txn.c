/* Description: transactions (two-phase commit) and rendezvous between real
 * fotosd processes on loopback, through libfotos (fotos_txn,
 * fotos_rendezvous) and read back from every node's segment. Scenarios,
 * each in its own process and each able to fail:
 *
 *   conflict     every round, a client on each of 3 nodes runs at the same
 *                moment a transaction on the same key, conditional on the
 *                clock they all read, plus a key of its own: exactly one
 *                commits; the others are refused with a reason; every node
 *                ends with the winner's value and the winner's own key, and
 *                no loser's key anywhere (all or nothing).
 *   member-kill  the coordinator holds its decision (test hook hold=MS) and
 *                a member is killed between prepare and commit: the client
 *                gets -ECONNABORTED, every survivor ends in the same state
 *                (none has the writes) and the keys are free again.
 *   coord-kill   the coordinator dies after every member prepared: (a) it
 *                sent the commit to one member only (hook
 *                die-after-decide-one): both survivors end with the writes;
 *                (b) it sent nothing (hook die-after-prepare): neither has
 *                them, and the keys are free again.
 *   rdv          3 nodes, a participant each (one of them joined with
 *                fotos_rdv_join), arriving 0, 60 and 120 ms apart: every
 *                one is released, none before the last arrival, all within
 *                a few ms of each other; several rounds.
 *   rdv-kill     participants wait on two nodes while the third (the
 *                round's member, then the round's coordinator n0) is
 *                killed: every waiter gets the failure, long before its
 *                timeout.
 *
 * Timings: heartbeat 20 ms, timeout 100 ms.
 * usage: txn [SCENARIO...]   (no argument: all)
 */
#include "cluster.h"

#include <sys/prctl.h>

#define HB_MS		20
#define TO_MS		100
#define START_MS	5000
#define OP_MS		3000

static struct fotos *g_h[CL_MAX];

static struct fotos *open_node(struct cluster *cl, int i)
{
	struct fotos *h = NULL;
	double t0 = th_now_s();
	int ret;

	while ((ret = fotos_open(cl->node[i].shm, &h)) < 0) {
		if (th_now_s() - t0 > 5)
			FAIL("fotos_open(n%d): %s", i, strerror(-ret));
		th_sleep_ms(5);
	}
	return h;
}

/*
 * Start n nodes (node 0 with $FOTOS_TEST_TXN = hook, if any), wait for one
 * stable view of all, open a handle on each.
 */
static void begin(struct cluster *cl, int n, const char *hook)
{
	int i;

	cl_init(cl, n, HB_MS, TO_MS);
	for (i = 0; i < n; i++) {
		if (i == 0 && hook)
			setenv("FOTOS_TEST_TXN", hook, 1);
		cl_start(cl, i);
		unsetenv("FOTOS_TEST_TXN");
	}
	CL_EXPECT(cl, cl_wait_view(cl, cl_all(n), cl_all(n), START_MS), "the nodes start");
	for (i = 0; i < n; i++)
		g_h[i] = open_node(cl, i);
}

static void end(struct cluster *cl)
{
	int i;

	for (i = 0; i < CL_MAX; i++)
		if (g_h[i]) {
			fotos_close(g_h[i]);
			g_h[i] = NULL;
		}
	cl_finish(cl);
}

/* The value of key on node i ("" and -ENOENT if absent). */
static int get_text(int i, const char *key, char *val, size_t cap, struct fotos_meta *meta)
{
	struct fotos_meta m;
	int ret = fotos_get(g_h[i], key, strlen(key), val, cap - 1, meta ? meta : &m);

	val[ret >= 0 ? ((size_t)ret < cap - 1 ? (size_t)ret : cap - 1) : 0] = 0;
	return ret;
}

/* Wait until key reads want on every node of nodes (NULL: absent). */
static void expect_all(uint64_t nodes, const char *key, const char *want, const char *what)
{
	double t0 = th_now_s();
	char val[128];
	int i;

	for (;;) {
		int ok = 1;

		for (i = 0; i < cl_current->n; i++) {
			int ret;

			if (!((nodes >> i) & 1))
				continue;
			ret = get_text(i, key, val, sizeof(val), NULL);
			if (want ? (ret < 0 || strcmp(val, want)) : ret != -ENOENT)
				ok = 0;
		}
		if (ok)
			return;
		if (th_now_s() - t0 > 3) {
			for (i = 0; i < cl_current->n; i++)
				if ((nodes >> i) & 1) {
					int ret = get_text(i, key, val, sizeof(val), NULL);

					fprintf(stderr, "  n%d: %s = %s (%d)\n", i, key, ret < 0 ? "-" : val,
						ret);
				}
			FAIL("%s: %s is not %s%s%s on every node", what, key, want ? "'" : "absent",
			     want ? want : "", want ? "'" : "");
		}
		th_sleep_ms(5);
	}
}

static int txn_puts(int node, const char *k1, const char *v1, const char *k2, const char *v2,
		    const struct fotos_vclock *expect, struct fotos_txn_result *res)
{
	struct fotos_txn_op ops[2];

	memset(ops, 0, sizeof(ops));
	ops[0].key = k1;
	ops[0].klen = strlen(k1);
	ops[0].val = v1;
	ops[0].vlen = strlen(v1);
	ops[0].expect = expect;
	if (k2) {
		ops[1].key = k2;
		ops[1].klen = strlen(k2);
		ops[1].val = v2;
		ops[1].vlen = strlen(v2);
	}
	return fotos_txn(g_h[node], ops, k2 ? 2 : 1, res, OP_MS);
}

/* ---- conflict -------------------------------------------------------------- */

struct contender {
	int node, round;
	struct fotos_vclock expect;
	pthread_barrier_t *bar;
	int ret;
	struct fotos_txn_result res;
};

static void *contender_main(void *arg)
{
	struct contender *c = arg;
	char own[32], val[32];

	snprintf(own, sizeof(own), "own/%d/%d", c->round, c->node);
	snprintf(val, sizeof(val), "r%d-n%d", c->round, c->node);
	pthread_barrier_wait(c->bar);
	c->ret = txn_puts(c->node, "acct", val, own, val, &c->expect, &c->res);
	return NULL;
}

static void conflict(void)
{
	struct cluster cl;
	struct contender c[3];
	pthread_barrier_t bar;
	pthread_t thr[3];
	int r, i, rounds = 12, reasons[3] = { 0 };
	struct fotos_txn_result res;

	begin(&cl, 3, NULL);
	CHECK_EQ(txn_puts(0, "acct", "start", NULL, NULL, NULL, &res), 0);
	expect_all(7, "acct", "start", "first write");
	for (r = 0; r < rounds; r++) {
		struct fotos_meta m;
		char val[64], want[32];
		int winners = 0, w = -1;

		/* everyone reads the same clock: the previous round is everywhere */
		CHECK(get_text(0, "acct", val, sizeof(val), &m) >= 0);
		CHECK(pthread_barrier_init(&bar, NULL, 3) == 0);
		for (i = 0; i < 3; i++) {
			c[i].node = i;
			c[i].round = r;
			c[i].expect = m.clock;
			c[i].bar = &bar;
			CHECK(pthread_create(&thr[i], NULL, contender_main, &c[i]) == 0);
		}
		for (i = 0; i < 3; i++)
			pthread_join(thr[i], NULL);
		pthread_barrier_destroy(&bar);
		for (i = 0; i < 3; i++) {
			if (c[i].ret == 0) {
				winners++;
				w = i;
			} else if (c[i].ret == -EBUSY) {
				reasons[0]++;
			} else if (c[i].ret == -ECANCELED || c[i].ret == -EAGAIN) {
				reasons[1]++;
			} else {
				FAIL("round %d: n%d's transaction failed unexpectedly: %s (%s)", r, i,
				     strerror(-c[i].ret), c[i].res.detail);
			}
			if (c[i].ret && !strstr(c[i].res.detail, "aborted"))
				FAIL("round %d: n%d's refusal gives no reason: '%s'", r, i, c[i].res.detail);
		}
		if (winners != 1) {
			for (i = 0; i < 3; i++)
				fprintf(stderr, "  n%d: %d %s\n", i, c[i].ret, c[i].res.detail);
			FAIL("round %d: %d transactions committed, not exactly one", r, winners);
		}
		snprintf(want, sizeof(want), "r%d-n%d", r, w);
		expect_all(7, "acct", want, "the winner's value");
		for (i = 0; i < 3; i++) {
			char own[32];

			snprintf(own, sizeof(own), "own/%d/%d", r, i);
			expect_all(7, own, i == w ? want : NULL, i == w ? "the winner's own key"
								    : "a loser's own key");
		}
	}
	printf("  conflict: %d rounds, one winner each; losers: %d locked out, %d refused by "
	       "condition\n", rounds, reasons[0], reasons[1]);
	end(&cl);
}

/* ---- a member killed between prepare and commit ----------------------------- */

struct bg_txn {
	int node;
	const char *k1, *v1, *k2, *v2;
	int ret;
	struct fotos_txn_result res;
};

static void *bg_txn_main(void *arg)
{
	struct bg_txn *b = arg;

	b->ret = txn_puts(b->node, b->k1, b->v1, b->k2, b->v2, NULL, &b->res);
	return NULL;
}

/*
 * The keys are free: a new transaction on them commits through node (the
 * survivors may still be asking each other for a moment: -EBUSY then).
 */
static void keys_free(int node, uint64_t nodes, const char *k1, const char *k2)
{
	struct fotos_txn_result res;
	double t0 = th_now_s();
	int ret;

	while ((ret = txn_puts(node, k1, "after", k2, "after", NULL, &res)) == -EBUSY &&
	       th_now_s() - t0 < 2)
		th_sleep_ms(10);

	if (ret)
		FAIL("a transaction on the same keys afterwards failed: %s (%s)", strerror(-ret),
		     res.detail);
	expect_all(nodes, k1, "after", "the next transaction");
	expect_all(nodes, k2, "after", "the next transaction");
}

static void member_kill(void)
{
	struct cluster cl;
	struct bg_txn b = { .node = 0, .k1 = "mk/a", .v1 = "1", .k2 = "mk/b", .v2 = "2" };
	pthread_t thr;
	double t0;

	begin(&cl, 3, "hold=400");
	t0 = th_now_s();
	CHECK(pthread_create(&thr, NULL, bg_txn_main, &b) == 0);
	th_sleep_ms(150);	/* prepared everywhere (< 1 ms), decision held */
	cl_signal(&cl, 2, SIGKILL);
	pthread_join(thr, NULL);
	printf("  member-kill: n2 killed after prepare; client answer after %.0f ms: %s\n",
	       (th_now_s() - t0) * 1000, b.ret ? b.res.detail : "committed");
	if (b.ret != -ECONNABORTED)
		FAIL("the transaction should abort with -ECONNABORTED, got %d (%s)", b.ret,
		     b.res.detail);
	if (!strstr(b.res.detail, "n2"))
		FAIL("the reason does not name the member lost: '%s'", b.res.detail);
	CL_EXPECT(&cl, cl_wait_view(&cl, 3, 3, START_MS), "the survivors remove n2");
	th_sleep_ms(100);
	expect_all(3, "mk/a", NULL, "after the abort");
	expect_all(3, "mk/b", NULL, "after the abort");
	keys_free(1, 3, "mk/a", "mk/b");
	end(&cl);
}

/* ---- the coordinator killed after prepare ------------------------------------ */

static void coord_kill_one(const char *hook, int expect_commit)
{
	struct cluster cl;
	struct bg_txn b = { .node = 0, .k1 = "ck/a", .v1 = "1", .k2 = "ck/b", .v2 = "2" };
	pthread_t thr;
	int st;

	begin(&cl, 3, hook);
	CHECK(pthread_create(&thr, NULL, bg_txn_main, &b) == 0);
	pthread_join(thr, NULL);
	/* the coordinator killed itself: its client lost the connection */
	CHECK(b.ret != 0);
	/* it must have died by the hook (SIGKILL), not lived on */
	st = th_wait_pid(cl.node[0].pid, 3000);
	cl.node[0].pid = 0;
	if (st != 128 + SIGKILL)
		FAIL("the coordinator did not die by its test hook (%d): %s", st, b.res.detail);
	CL_EXPECT(&cl, cl_wait_view(&cl, 6, 6, START_MS), "the survivors remove n0");
	expect_all(6, "ck/a", expect_commit ? "1" : NULL, expect_commit ?
		   "a commit that reached one member" : "a transaction nobody committed");
	expect_all(6, "ck/b", expect_commit ? "2" : NULL, expect_commit ?
		   "a commit that reached one member" : "a transaction nobody committed");
	printf("  coord-kill (%s): survivors %s\n", hook, expect_commit ? "committed" : "aborted");
	keys_free(2, 6, "ck/a", "ck/b");
	end(&cl);
}

static void coord_kill(void)
{
	coord_kill_one("die-after-decide-one", 1);
	coord_kill_one("die-after-prepare", 0);
}

/* ---- rendezvous -------------------------------------------------------------- */

struct waiter {
	struct fotos *h;
	const char *group;
	int delay_ms, timeout_ms, join;
	double arrive, done;
	int ret;
	struct fotos_txn_result res;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	th_sleep_ms((unsigned int)w->delay_ms);
	w->arrive = th_now_s();
	w->ret = fotos_rendezvous(w->h, w->group, w->timeout_ms, &w->res);
	w->done = th_now_s();
	return NULL;
}

static void rdv(void)
{
	struct cluster cl;
	struct waiter w[3];
	struct fotos *own[3];
	pthread_t thr[3];
	double worst = 0;
	int r, i;

	begin(&cl, 3, NULL);
	for (i = 0; i < 3; i++)
		own[i] = open_node(&cl, i);
	CHECK_EQ(fotos_rdv_join(own[1], "meet"), 0);
	for (r = 0; r < 5; r++) {
		double last = 0, first_done = 1e18, last_done = 0;

		for (i = 0; i < 3; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].h = own[i];
			w[i].group = "meet";
			/* a different node arrives last each round */
			w[i].delay_ms = 60 * ((i + r) % 3);
			w[i].timeout_ms = 3000;
			CHECK(pthread_create(&thr[i], NULL, waiter_main, &w[i]) == 0);
		}
		for (i = 0; i < 3; i++)
			pthread_join(thr[i], NULL);
		for (i = 0; i < 3; i++) {
			if (w[i].ret)
				FAIL("round %d: n%d's rendezvous failed: %s (%s)", r, i,
				     strerror(-w[i].ret), w[i].res.detail);
			if (w[i].arrive > last)
				last = w[i].arrive;
		}
		for (i = 0; i < 3; i++) {
			if (w[i].done < last)
				FAIL("round %d: n%d was released before the last arrival", r, i);
			if (w[i].done < first_done)
				first_done = w[i].done;
			if (w[i].done > last_done)
				last_done = w[i].done;
		}
		if (last_done - first_done > 0.05)
			FAIL("round %d: releases spread over %.1f ms", r, (last_done - first_done) * 1000);
		if (last_done - last > worst)
			worst = last_done - last;
	}
	/* the joined participant must arrive: without it, no release */
	{
		struct waiter a = { .h = own[0], .group = "meet", .timeout_ms = 400 };
		struct waiter b = { .h = own[2], .group = "meet", .timeout_ms = 400 };
		struct waiter c = { .h = g_h[1], .group = "meet", .timeout_ms = 400 };
		pthread_t ta, tb, tc;

		CHECK(pthread_create(&ta, NULL, waiter_main, &a) == 0);
		CHECK(pthread_create(&tb, NULL, waiter_main, &b) == 0);
		CHECK(pthread_create(&tc, NULL, waiter_main, &c) == 0);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_join(tc, NULL);
		if (a.ret != -ETIMEDOUT || b.ret != -ETIMEDOUT || c.ret != -ETIMEDOUT)
			FAIL("a rendezvous without n1's joined participant: %d %d %d (%s / %s / %s), "
			     "want -ETIMEDOUT everywhere", a.ret, b.ret, c.ret, a.res.detail,
			     b.res.detail, c.res.detail);
	}
	printf("  rdv: 5 rounds, everyone released together; at most %.1f ms after the last "
	       "arrival\n", worst * 1000);
	for (i = 0; i < 3; i++)
		fotos_close(own[i]);
	end(&cl);
}

static void rdv_kill_one(int victim)
{
	struct cluster cl;
	struct waiter w[3];
	pthread_t thr[3];
	int i, n = 0, nodes[3];

	begin(&cl, 3, NULL);
	/* two waiters on the lower survivor, one on the other */
	for (i = 0; i < 3; i++)
		if (i != victim)
			nodes[n++] = i;
	nodes[2] = nodes[0];
	for (i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].h = i < 2 ? g_h[nodes[i]] : open_node(&cl, nodes[i]);
		w[i].group = "doomed";
		w[i].timeout_ms = 8000;
		CHECK(pthread_create(&thr[i], NULL, waiter_main, &w[i]) == 0);
	}
	th_sleep_ms(200);
	cl_signal(&cl, victim, SIGKILL);
	for (i = 0; i < 3; i++)
		pthread_join(thr[i], NULL);
	for (i = 0; i < 3; i++) {
		if (w[i].ret != -ECONNABORTED)
			FAIL("waiter %d on n%d: %d (%s), want -ECONNABORTED", i, nodes[i], w[i].ret,
			     w[i].res.detail);
		if (w[i].done - w[i].arrive > 3)
			FAIL("waiter %d on n%d learned it only after %.1f s", i, nodes[i],
			     w[i].done - w[i].arrive);
	}
	printf("  rdv-kill n%d: every waiter failed: %s\n", victim, w[0].res.detail);
	fotos_close(w[2].h);
	end(&cl);
}

static void rdv_kill(void)
{
	rdv_kill_one(2);
	rdv_kill_one(0);
}

/* ---- main ---------------------------------------------------------------- */

static const struct cl_scenario scenarios[] = {
	{ "conflict", conflict, 40 },
	{ "member-kill", member_kill, 30 },
	{ "coord-kill", coord_kill, 40 },
	{ "rdv", rdv, 30 },
	{ "rdv-kill", rdv_kill, 40 },
};

int main(int argc, char **argv)
{
	return cl_main(argc, argv, scenarios, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
}
