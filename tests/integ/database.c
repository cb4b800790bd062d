/* Description: the replicated database between real fotosd processes on
 * loopback, checked through every node's segment (fotos_get,
 * fotos_get_version, fotos_db_next, fotos_db_limits) and written through
 * the control sockets (fotos_put, fotos_del, fotos_batch). Scenarios, each
 * in its own process and each able to fail:
 *
 *   concurrent  every node's writer thread writes its own keys and shared
 *               keys at once; after quiescence every node holds the same
 *               content (every version of every key: value, flags, writer,
 *               clock; and the key/version counts), own keys hold their
 *               writer's last value unconflicted, shared keys flag their
 *               conflicts consistently. Then:
 *   join        a node started later ends with the same content;
 *   wait        fotos_wait(FOTOS_EV_DB) on one node wakes on a write made
 *               through another, and the value is readable at once; with
 *               no write it times out;
 *   cas         several clients on every node race conditional puts with
 *               the same expected clock, and FOTOS_PUT_IF_ABSENT on a fresh
 *               (or deleted) key: exactly one wins per round, the others get
 *               -ECANCELED with the winner's clock; everyone ends with the
 *               winner's value;
 *   delete      a delete acked by all is a tombstone everywhere at once,
 *               then collected: the version count comes back down on every
 *               node.
 *   limits      a key over --db-max-key or a value over --db-max-value is
 *               -E2BIG, a new key in a full database -ENOSPC (also
 *               if-absent and in a batch); nothing changes on any node;
 *               a write in place and a delete still work when full.
 *   kill        kill -9 of a member during a storm of FOTOS_PUT_ACK_ALL
 *               writes through every node: every write acknowledged by a
 *               survivor (all or partial) and every write acknowledged with
 *               ack=all by the dead node is on every survivor afterwards.
 *   partition   (root: a private network namespace, iptables) 4 nodes split
 *               2|2, the same key written on both sides, healed: every node
 *               shows the key flagged FOTOS_DB_CONFLICT with the documented
 *               winner, both versions readable with fotos_get_version, the
 *               same on all nodes; a write that dominates clears it
 *               everywhere. Skipped (not failed) without root.
 *
 * Timings: heartbeat 20 ms, timeout 100 ms.
 * usage: database [SCENARIO...]   (no argument: all)
 */
#include "cluster.h"

#include <sched.h>
#include <sys/prctl.h>

#define HB_MS		20
#define TO_MS		100
#define START_MS	5000	/* bound: a fresh cluster forms its network */
#define SETTLE_MS	15000	/* bound: every node holds the same content */
#define PUT_MS		3000	/* per write */

#define KCAP		128
#define VCAP		256
#define MAXVER		8

/* ---- reading a node's whole database ----------------------------------- */

struct ver {
	uint32_t vlen, flags, writer;
	struct fotos_vclock clock;
	char val[VCAP];
};

struct ent {
	char key[KCAP];
	uint32_t klen, nver;
	struct ver v[MAXVER];	/* [0] the winner; then the siblings, sorted */
};

struct snap {
	int n, cap;
	struct ent *e;
	struct fotos_db_limits lim;
	int err;		/* a read failed: take it again */
};

static int ver_cmp(const void *x, const void *y)
{
	const struct ver *a = x, *b = y;
	char ca[64 * 24], cb[64 * 24];
	int c;

	fotos_vclock_format(&a->clock, ca, sizeof(ca));
	fotos_vclock_format(&b->clock, cb, sizeof(cb));
	c = strcmp(ca, cb);
	if (c)
		return c;
	if (a->vlen != b->vlen)
		return a->vlen < b->vlen ? -1 : 1;
	return memcmp(a->val, b->val, a->vlen < VCAP ? a->vlen : VCAP);
}

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	return c ? c : (int)a->klen - (int)b->klen;
}

/* Every live key and every version of it, in a canonical order. */
static void snap_take(const struct fotos *h, struct snap *s)
{
	struct fotos_db_iter it = { 0 };
	struct fotos_meta meta;
	char key[KCAP], val[VCAP];
	int ret;

	s->n = 0;
	s->err = 0;
	if (fotos_db_limits(h, &s->lim) < 0)
		s->err = 1;
	while ((ret = fotos_db_next(h, &it, NULL, 0, key, sizeof(key), val, sizeof(val),
				    &meta)) == 1) {
		struct ent *e;
		unsigned int n;

		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->e = realloc(s->e, (size_t)s->cap * sizeof(*s->e));
			CHECK(s->e != NULL);
		}
		e = &s->e[s->n++];
		memset(e, 0, sizeof(*e));
		CHECK(meta.klen <= KCAP);
		memcpy(e->key, key, meta.klen);
		e->klen = meta.klen;
		for (n = 0; n < MAXVER; n++) {
			struct ver *v = &e->v[n];

			ret = fotos_get_version(h, key, meta.klen, n, v->val, VCAP, &meta);
			if (ret == -ENOENT && n > 0)
				break;
			if (ret < 0) {
				s->err = 1;	/* changed under us: winner gone */
				break;
			}
			v->vlen = meta.vlen;
			v->flags = meta.flags;
			v->writer = meta.writer;
			v->clock = meta.clock;
			e->nver++;
		}
		if (e->nver > 2)
			qsort(&e->v[1], e->nver - 1, sizeof(e->v[0]), ver_cmp);
	}
	if (ret < 0)
		s->err = 1;
	qsort(s->e, (size_t)s->n, sizeof(*s->e), ent_cmp);
}

static void print_ver(const char *tag, const struct ver *v)
{
	char cl[64 * 24];

	fotos_vclock_format(&v->clock, cl, sizeof(cl));
	fprintf(stderr, "    %s value '%.*s' flags %u writer %u clock %s\n", tag,
		(int)(v->vlen < VCAP ? v->vlen : VCAP), v->val, v->flags, v->writer, cl);
}

static void print_ent(const char *tag, const struct ent *e)
{
	unsigned int i;

	fprintf(stderr, "  %s key '%.*s' (%u versions)\n", tag, (int)e->klen, e->key, e->nver);
	for (i = 0; i < e->nver; i++)
		print_ver(i ? "sibling" : "winner ", &e->v[i]);
}

static int ver_eq(const struct ver *a, const struct ver *b)
{
	return a->vlen == b->vlen && a->flags == b->flags && a->writer == b->writer &&
	       fotos_vclock_compare(&a->clock, &b->clock) == FOTOS_VC_EQUAL &&
	       !memcmp(a->val, b->val, a->vlen < VCAP ? a->vlen : VCAP);
}

/* 1 if equal; else prints the first difference (when verbose). */
static int snap_eq(const struct snap *a, const struct snap *b, int ia, int ib, int verbose)
{
	int i;
	unsigned int k;

	if (a->lim.keys != b->lim.keys || a->lim.versions != b->lim.versions) {
		if (verbose)
			fprintf(stderr, "n%d: %llu keys %llu versions; n%d: %llu keys %llu versions\n",
				ia, (unsigned long long)a->lim.keys, (unsigned long long)a->lim.versions,
				ib, (unsigned long long)b->lim.keys, (unsigned long long)b->lim.versions);
		return 0;
	}
	for (i = 0; i < a->n || i < b->n; i++) {
		int same = i < a->n && i < b->n && !ent_cmp(&a->e[i], &b->e[i]) &&
			   a->e[i].nver == b->e[i].nver;

		for (k = 0; same && k < a->e[i].nver; k++)
			same = ver_eq(&a->e[i].v[k], &b->e[i].v[k]);
		if (!same) {
			if (verbose) {
				fprintf(stderr, "content differs at entry %d:\n", i);
				if (i < a->n) {
					fprintf(stderr, " n%d:", ia);
					print_ent("", &a->e[i]);
				}
				if (i < b->n) {
					fprintf(stderr, " n%d:", ib);
					print_ent("", &b->e[i]);
				}
			}
			return 0;
		}
	}
	return 1;
}

static const struct ent *snap_find(const struct snap *s, const char *key)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].klen == strlen(key) && !memcmp(s->e[i].key, key, s->e[i].klen))
			return &s->e[i];
	return NULL;
}

/* ---- the cluster ------------------------------------------------------- */

static struct cluster *g_cl;
static struct fotos *g_h[CL_MAX];

static void begin(struct cluster *cl, int n, const char *const *extra)
{
	int k;

	cl_init(cl, n, HB_MS, TO_MS);
	for (k = 0; extra && extra[k] && k < 7; k++)
		cl->extra[k] = extra[k];
	g_cl = cl;
}

/* Open node i's segment (it may still be being created). */
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

static void open_all(struct cluster *cl, uint64_t nodes)
{
	int i;

	for (i = 0; i < cl->n; i++)
		if ((nodes >> i) & 1) {
			if (g_h[i])
				fotos_close(g_h[i]);
			g_h[i] = open_node(cl, i);
		}
}

static void close_all(void)
{
	int i;

	for (i = 0; i < CL_MAX; i++)
		if (g_h[i]) {
			fotos_close(g_h[i]);
			g_h[i] = NULL;
		}
}

/*
 * The view id every node in nodes publishes, if they are all stable in one
 * view whose members are exactly nodes; else 0. Read from the segments.
 */
static uint64_t common_view(struct cluster *cl, uint64_t nodes)
{
	uint64_t vid = 0;
	int i;

	for (i = 0; i < cl->n; i++) {
		struct fotos_status st;
		struct fotos_view v;
		uint64_t m = 0;
		uint32_t k;

		if (!((nodes >> i) & 1))
			continue;
		if (!g_h[i] || fotos_read_status(g_h[i], &st) < 0 || fotos_read_view(g_h[i], &v) < 0)
			return 0;
		for (k = 0; k < v.count; k++)
			m |= 1ull << v.members[k].index;
		if (!st.stable || v.view_id != st.view_id || m != nodes || (vid && vid != v.view_id))
			return 0;
		vid = v.view_id;
	}
	return vid;
}

/* Wait for common_view(nodes) (the load of other work can make views flap). */
static uint64_t wait_common_view(struct cluster *cl, uint64_t nodes, const char *what)
{
	double t0 = th_now_s();
	uint64_t v;

	while (!(v = common_view(cl, nodes))) {
		if (th_now_s() - t0 > 15) {
			cl_dump(cl);
			FAIL("%s: no common stable view of the nodes in 15 s", what);
		}
		th_sleep_ms(5);
	}
	return v;
}

/*
 * Put (or delete, val NULL) with FOTOS_PUT_ACK_ALL through node, in a view
 * that holds exactly nodes and did not change meanwhile; repeated when the
 * view moved (then "all" meant another view's members). Returns how many
 * attempts it took.
 */
static int write_acked_all(struct cluster *cl, uint64_t nodes, int node, const char *key,
			   const char *val, struct fotos_put_result *res)
{
	int tries;

	for (tries = 1; tries <= 20; tries++) {
		uint64_t v0 = wait_common_view(cl, nodes, key), v1;
		int ret = val ? fotos_put(g_h[node], key, strlen(key), val, strlen(val),
					  FOTOS_PUT_ACK_ALL, NULL, res, PUT_MS)
			      : fotos_del(g_h[node], key, strlen(key), FOTOS_PUT_ACK_ALL, NULL, res,
					  PUT_MS);

		v1 = common_view(cl, nodes);
		if (ret == -EAGAIN)
			continue;
		if (ret < 0)
			FAIL("%s %s through n%d: %s (%s)", val ? "put" : "del", key, node,
			     strerror(-ret), res->detail);
		if (v0 == v1 && !res->acked_all) {
			cl_dump(cl);
			FAIL("%s %s ack=all in an unchanged stable view was not acked by all: %s",
			     val ? "put" : "del", key, res->detail);
		}
		if (v0 == v1)
			return tries;
		printf("  (the view moved during a write of %s: again)\n", key);
	}
	FAIL("the view kept moving: no ack=all write of %s went through", key);
}

static void end(struct cluster *cl)
{
	close_all();
	cl_finish(cl);
	g_cl = NULL;
}

/*
 * Wait until every node in nodes holds the same content, twice in a row
 * 100 ms apart (quiescence). Returns the seconds it took; fails with the
 * first difference after SETTLE_MS. out (may be NULL) gets node first's
 * content (caller frees out->e).
 */
static double settle(struct cluster *cl, uint64_t nodes, struct snap *out, const char *what)
{
	struct snap s[CL_MAX], prev;
	double t0 = th_now_s();
	int i, first = __builtin_ctzll(nodes), agreed = 0;

	memset(s, 0, sizeof(s));
	memset(&prev, 0, sizeof(prev));
	for (;;) {
		int ok, last = (th_now_s() - t0) * 1000 > SETTLE_MS;

		ok = common_view(cl, nodes) != 0;
		for (i = 0; i < cl->n; i++)
			if ((nodes >> i) & 1) {
				snap_take(g_h[i], &s[i]);
				ok &= !s[i].err;
			}
		for (i = 0; ok && i < cl->n; i++)
			if (((nodes >> i) & 1) && i != first)
				ok = snap_eq(&s[first], &s[i], first, i, last);
		if (ok && agreed && snap_eq(&prev, &s[first], first, first, last))
			break;
		if (ok) {
			agreed = 1;
			free(prev.e);
			prev = s[first];
			memset(&s[first], 0, sizeof(s[first]));
		} else {
			agreed = 0;
		}
		if (last) {
			cl_dump(cl);
			FAIL("%s: the nodes do not hold the same content after %d ms", what, SETTLE_MS);
		}
		th_sleep_ms(agreed ? 100 : 20);
	}
	free(prev.e);
	for (i = 0; i < cl->n; i++)
		if (i != first || !out)
			free(s[i].e);
	if (out)
		*out = s[first];
	return th_now_s() - t0;
}

/* Put a text value (retrying the back-pressure -EAGAIN). */
static int put_text(struct fotos *h, const char *key, const char *val, unsigned int flags,
		    const struct fotos_vclock *expect, struct fotos_put_result *res)
{
	int ret, tries = 0;

	do {
		ret = fotos_put(h, key, strlen(key), val, strlen(val), flags, expect, res, PUT_MS);
		if (ret == -EAGAIN && !expect && !(flags & FOTOS_PUT_IF_ABSENT))
			th_sleep_ms(2);
	} while (ret == -EAGAIN && !expect && !(flags & FOTOS_PUT_IF_ABSENT) && ++tries < 1000);
	return ret;
}

/* The value of key on h as a string ("" if absent: ret says). */
static int get_text(const struct fotos *h, const char *key, char *val, size_t cap,
		    struct fotos_meta *meta)
{
	struct fotos_meta m;
	int ret = fotos_get(h, key, strlen(key), val, cap - 1, meta ? meta : &m);

	val[ret >= 0 ? ((size_t)ret < cap - 1 ? (size_t)ret : cap - 1) : 0] = 0;
	return ret;
}

static void expect_value(int node, const char *key, const char *want)
{
	char val[VCAP];
	int ret = get_text(g_h[node], key, val, sizeof(val), NULL);

	if (ret < 0 || strcmp(val, want)) {
		if (g_cl)
			cl_dump(g_cl);
		FAIL("n%d: %s = '%s' (%s), want '%s'", node, key, val,
		     ret < 0 ? strerror(-ret) : "ok", want);
	}
}

/* ---- concurrent writers, join, wait, cas, delete ----------------------- */

#define A_OWN		40	/* own keys per writer */
#define A_SHARED	8
#define A_OPS		300

struct writer {
	struct cluster *cl;
	int node;
	int fail;
	char err[512];
	int last[A_OWN];	/* last op number written to own key j (-1 none) */
	int writes, batches, retries;
	pthread_barrier_t *burst;	/* writers meet, then all write the shared keys */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct fotos *h = open_node(w->cl, w->node);
	struct fotos_put_result res;
	char key[64], val[64], bk[5][64], bv[5][64];
	int i, k, ret;

	for (i = 0; i < A_OWN; i++)
		w->last[i] = -1;
	for (i = 0; i < A_OPS && !w->fail; i++) {
		snprintf(key, sizeof(key), "a/n%d/%02d", w->node, i % A_OWN);
		snprintf(val, sizeof(val), "n%d:%d", w->node, i);
		ret = put_text(h, key, val, 0, NULL, &res);
		if (ret < 0) {
			w->fail = 1;
			snprintf(w->err, sizeof(w->err), "put %s: %s (%s)", key, strerror(-ret), res.detail);
			break;
		}
		w->last[i % A_OWN] = i;
		w->writes++;
		if (i % 3 == 0) {
			snprintf(key, sizeof(key), "a/s/%d", (i / 3) % A_SHARED);
			ret = put_text(h, key, val, 0, NULL, &res);
			if (ret < 0) {
				w->fail = 1;
				snprintf(w->err, sizeof(w->err), "put %s: %s (%s)", key, strerror(-ret),
					 res.detail);
				break;
			}
			w->writes++;
		}
		if (i % 50 == 49) {
			/* a batch over five own keys: ops i+1 .. i+5, written now */
			struct fotos_op ops[5];

			for (k = 0; k < 5; k++) {
				int j = (i + 1 + k) % A_OWN;

				snprintf(bk[k], sizeof(bk[k]), "a/n%d/%02d", w->node, j);
				snprintf(bv[k], sizeof(bv[k]), "n%d:b%d", w->node, i);
				ops[k] = (struct fotos_op){ 0, bk[k], strlen(bk[k]), bv[k], strlen(bv[k]) };
			}
			do {
				ret = fotos_batch(h, ops, 5, &res, PUT_MS);
				w->retries += ret == -EAGAIN;
			} while (ret == -EAGAIN && w->retries < 1000);
			if (ret != 5) {
				w->fail = 1;
				snprintf(w->err, sizeof(w->err), "batch: %d (%s)", ret, res.detail);
				break;
			}
			for (k = 0; k < 5; k++)
				w->last[(i + 1 + k) % A_OWN] = -2 - i;	/* "n%d:b%d" with i */
			w->batches++;
		}
	}
	/* bursts: every writer writes every shared key at the same moment, so
	 * that updates cross on the wire and concurrent versions arise */
	for (i = 0; i < 5; i++) {
		struct fotos_op ops[A_SHARED];

		{
			char sk[A_SHARED][16], sv[A_SHARED][32];

			for (k = 0; k < A_SHARED; k++) {
				snprintf(sk[k], sizeof(sk[k]), "a/s/%d", k);
				snprintf(sv[k], sizeof(sv[k]), "burst%d-n%d", i, w->node);
				ops[k] = (struct fotos_op){ 0, sk[k], strlen(sk[k]), sv[k], strlen(sv[k]) };
			}
			pthread_barrier_wait(w->burst);
			if (w->fail)
				continue;
			do {
				ret = fotos_batch(h, ops, A_SHARED, &res, PUT_MS);
				w->retries += ret == -EAGAIN;
			} while (ret == -EAGAIN && w->retries < 1000);
			if (ret != A_SHARED) {
				w->fail = 1;
				snprintf(w->err, sizeof(w->err), "burst batch: %d (%s)", ret, res.detail);
			}
		}
	}
	fotos_close(h);
	return NULL;
}

/* The value a writer's own key j must end with. */
static void own_final(const struct writer *w, int j, char *buf, size_t len)
{
	if (w->last[j] <= -2)
		snprintf(buf, len, "n%d:b%d", w->node, -2 - w->last[j]);
	else
		snprintf(buf, len, "n%d:%d", w->node, w->last[j]);
}

static void check_versions_flags(const struct ent *e)
{
	unsigned int k;

	if (e->nver == 1) {
		if (e->v[0].flags & (FOTOS_DB_CONFLICT | FOTOS_DB_SIBLING)) {
			print_ent("bad", e);
			FAIL("a key with one version is flagged conflict/sibling");
		}
		return;
	}
	if (!(e->v[0].flags & FOTOS_DB_CONFLICT) || (e->v[0].flags & FOTOS_DB_SIBLING)) {
		print_ent("bad", e);
		FAIL("the winner of concurrent versions is not flagged FOTOS_DB_CONFLICT");
	}
	for (k = 1; k < e->nver; k++) {
		int o = fotos_vclock_compare(&e->v[0].clock, &e->v[k].clock);

		if (!(e->v[k].flags & FOTOS_DB_SIBLING) || o != FOTOS_VC_CONCURRENT) {
			print_ent("bad", e);
			FAIL("a sibling is not flagged FOTOS_DB_SIBLING or not concurrent with the winner");
		}
	}
}

static void scenario_concurrent(struct cluster *cl, uint64_t writers)
{
	struct writer w[CL_MAX];
	struct snap s;
	double t0 = th_now_s(), ts;
	int i, j, conflicted = 0;

	pthread_barrier_t burst;

	memset(w, 0, sizeof(w));
	CHECK(pthread_barrier_init(&burst, NULL, (unsigned int)__builtin_popcountll(writers)) == 0);
	for (i = 0; i < cl->n; i++)
		if ((writers >> i) & 1) {
			w[i].cl = cl;
			w[i].node = i;
			w[i].burst = &burst;
		}
	{
		pthread_t thr[CL_MAX];

		for (i = 0; i < cl->n; i++)
			if ((writers >> i) & 1)
				CHECK(pthread_create(&thr[i], NULL, writer_main, &w[i]) == 0);
		for (i = 0; i < cl->n; i++)
			if ((writers >> i) & 1)
				pthread_join(thr[i], NULL);
	}
	pthread_barrier_destroy(&burst);
	for (i = 0; i < cl->n; i++)
		if (w[i].fail)
			FAIL("writer on n%d: %s", i, w[i].err);
	printf("  concurrent: %d nodes wrote %d ops each in %.2f s\n",
	       __builtin_popcountll(writers), w[0].writes, th_now_s() - t0);
	ts = settle(cl, writers, &s, "concurrent writes");
	printf("  concurrent: same content on every node %.0f ms after the last write "
	       "(%d keys)\n", ts * 1000, s.n);
	CHECK_EQ(s.n, __builtin_popcountll(writers) * A_OWN + A_SHARED);
	CHECK_EQ(s.lim.keys, (uint64_t)s.n);
	for (i = 0; i < cl->n; i++) {
		if (!((writers >> i) & 1))
			continue;
		for (j = 0; j < A_OWN; j++) {
			char key[64], want[64];
			const struct ent *e;

			snprintf(key, sizeof(key), "a/n%d/%02d", i, j);
			own_final(&w[i], j, want, sizeof(want));
			e = snap_find(&s, key);
			if (!e)
				FAIL("own key %s is missing", key);
			if (e->nver != 1 || e->v[0].flags || e->v[0].vlen != strlen(want) ||
			    memcmp(e->v[0].val, want, strlen(want)) || e->v[0].writer != (uint32_t)i) {
				print_ent("bad", e);
				FAIL("own key %s: want only '%s' by n%d, unconflicted", key, want, i);
			}
		}
	}
	for (j = 0; j < s.n; j++) {
		check_versions_flags(&s.e[j]);
		conflicted += s.e[j].nver > 1;
	}
	printf("  concurrent: %d of %d shared keys ended conflicted (flagged the same everywhere)\n",
	       conflicted, A_SHARED);
	free(s.e);
}

/* A node started later gets everything. */
static void scenario_join(struct cluster *cl, int node, uint64_t all)
{
	struct snap s;
	double t;

	cl_start(cl, node);
	CL_EXPECT(cl, t = cl_wait_view(cl, all, all, START_MS), "the late node joins");
	g_h[node] = open_node(cl, node);
	t = settle(cl, all, &s, "join");
	printf("  join: n%d holds the same %d keys %.0f ms after the view\n", node, s.n, t * 1000);
	CHECK(s.n > 0);
	free(s.e);
}

struct waiter {
	const struct fotos *h;
	int timeout_ms, ret, wakes;
	double woke;
	char val[64];
	int got;
};

/* Wait for database events until h/wake reads "rise" (other database
 * events, say a state transfer after a view flap, may come first). */
static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct fotos_cursor c;
	double t0 = th_now_s();

	fotos_cursor_init(w->h, &c);
	for (;;) {
		int left = w->timeout_ms - (int)((th_now_s() - t0) * 1000);

		w->ret = fotos_wait(w->h, &c, FOTOS_EV_DB, left > 0 ? left : 0);
		w->woke = th_now_s();
		if (w->ret < 0 || !(w->ret & FOTOS_EV_DB))
			break;
		w->wakes++;
		w->got = get_text(w->h, "h/wake", w->val, sizeof(w->val), NULL);
		if (w->got >= 0)
			break;
	}
	return NULL;
}

static void scenario_wait(struct cluster *cl, int wnode, int pnode)
{
	struct fotos_put_result res;
	struct waiter w = { .h = g_h[wnode], .timeout_ms = 5000 };
	pthread_t thr;
	double t_put;

	/* quiet database: a wait for the database alone times out (unless
	 * the view moved meanwhile: a state transfer changes the database) */
	{
		uint64_t v0 = wait_common_view(cl, cl_all(cl->n), "wait");
		struct fotos_cursor c;
		int ret;

		fotos_cursor_init(g_h[wnode], &c);
		ret = fotos_wait(g_h[wnode], &c, FOTOS_EV_DB, 200);
		if (ret != -ETIMEDOUT && common_view(cl, cl_all(cl->n)) == v0)
			FAIL("a wait on a quiet database returned %d, want -ETIMEDOUT", ret);
	}
	CHECK(pthread_create(&thr, NULL, waiter_main, &w) == 0);
	th_sleep_ms(100);
	t_put = th_now_s();
	CHECK_OK(put_text(g_h[pnode], "h/wake", "rise", 0, NULL, &res));
	pthread_join(thr, NULL);
	if (w.ret < 0 || !(w.ret & FOTOS_EV_DB))
		FAIL("the waiter on n%d: fotos_wait = %d (%s), want FOTOS_EV_DB", wnode, w.ret,
		     w.ret < 0 ? strerror(-w.ret) : "other events");
	if (w.got < 0 || strcmp(w.val, "rise"))
		FAIL("woken on n%d but the value is '%s' (%d)", wnode, w.val, w.got);
	printf("  wait: a waiter on n%d saw the put on n%d %.2f ms after it began (%d wake%s)\n",
	       wnode, pnode, (w.woke - t_put) * 1000, w.wakes, w.wakes == 1 ? "" : "s");
}

#define CAS_PER_NODE	2
#define CAS_ROUNDS	12

struct contender {
	struct cluster *cl;
	int node, id;
	struct fotos *h;
	pthread_barrier_t *go, *ready, *done;
	/* per round, set by main: */
	const char *key;
	int mode;		/* 0 expect clock read here, 1 if-absent */
	int ret;
	struct fotos_put_result res;
	char read[64];
	int read_ret;
};

static int cas_stop;

static void *contender_main(void *arg)
{
	struct contender *c = arg;

	c->h = open_node(c->cl, c->node);
	for (;;) {
		char val[64], cur[64];
		struct fotos_meta meta;
		int r;

		pthread_barrier_wait(c->go);
		if (__atomic_load_n(&cas_stop, __ATOMIC_ACQUIRE))
			break;
		snprintf(val, sizeof(val), "won-by-%d", c->id);
		if (c->mode == 0) {
			/* everyone reads the same version before anyone writes */
			r = get_text(c->h, c->key, cur, sizeof(cur), &meta);
			c->read_ret = r;
			snprintf(c->read, sizeof(c->read), "%s", cur);
			pthread_barrier_wait(c->ready);
			c->ret = fotos_put(c->h, c->key, strlen(c->key), val, strlen(val), 0,
					   &meta.clock, &c->res, PUT_MS);
		} else {
			pthread_barrier_wait(c->ready);
			c->ret = fotos_put(c->h, c->key, strlen(c->key), val, strlen(val),
					   FOTOS_PUT_IF_ABSENT, NULL, &c->res, PUT_MS);
		}
		pthread_barrier_wait(c->done);
	}
	fotos_close(c->h);
	return NULL;
}

static void scenario_cas(struct cluster *cl, uint64_t nodes)
{
	struct contender c[CL_MAX * CAS_PER_NODE];
	pthread_t thr[CL_MAX * CAS_PER_NODE];
	pthread_barrier_t go, ready, done;
	int nc = 0, i, round, wins_by_node[CL_MAX] = { 0 }, voided = 0;
	char keys[CAS_ROUNDS][32];

	for (i = 0; i < cl->n * CAS_PER_NODE; i++)
		if ((nodes >> (i % cl->n)) & 1) {
			memset(&c[nc], 0, sizeof(c[nc]));
			c[nc].cl = cl;
			c[nc].node = i % cl->n;
			c[nc].id = nc;
			nc++;
		}
	CHECK(pthread_barrier_init(&go, NULL, (unsigned int)nc + 1) == 0);
	CHECK(pthread_barrier_init(&done, NULL, (unsigned int)nc + 1) == 0);
	CHECK(pthread_barrier_init(&ready, NULL, (unsigned int)nc + 1) == 0);
	for (i = 0; i < nc; i++) {
		c[i].go = &go;
		c[i].ready = &ready;
		c[i].done = &done;
		CHECK(pthread_create(&thr[i], NULL, contender_main, &c[i]) == 0);
	}
	for (round = 0; round < CAS_ROUNDS; round++) {
		struct fotos_put_result res;
		int mode = round % 3 == 0 ? 0 : round % 3 == 1 ? 1 : 2, winner = -1, n;
		uint64_t v0, v1;

		snprintf(keys[round], sizeof(keys[round]), "b/%d.%d", round, voided);
		if (mode == 0) {
			/* a key every contender reads first: acked by all, so readable
			 * everywhere the moment the put returns */
			write_acked_all(cl, nodes, round % cl->n, keys[round], "init", &res);
			for (n = 0; n < cl->n; n++)
				if ((nodes >> n) & 1)
					expect_value(n, keys[round], "init");
		} else if (mode == 2) {
			/* a deleted key counts as absent */
			write_acked_all(cl, nodes, 0, keys[round], "gone", &res);
			write_acked_all(cl, nodes, 1, keys[round], NULL, &res);
		}
		for (i = 0; i < nc; i++) {
			c[i].key = keys[round];
			c[i].mode = mode == 0 ? 0 : 1;
		}
		v0 = wait_common_view(cl, nodes, "cas");
		pthread_barrier_wait(&go);
		pthread_barrier_wait(&ready);
		pthread_barrier_wait(&done);
		v1 = common_view(cl, nodes);
		if (v0 != v1) {
			/* the owner may have moved: not one network the whole time */
			printf("  (cas round %d: the view moved during the race: again)\n", round);
			if (++voided > 10)
				FAIL("the view kept moving during the conditional puts");
			round--;
			continue;
		}
		for (i = 0; i < nc; i++) {
			if (mode == 0 && (c[i].read_ret < 0 || strcmp(c[i].read, "init")))
				FAIL("round %d: n%d read %s = '%s' (%d) before the race", round,
				     c[i].node, keys[round], c[i].read, c[i].read_ret);
			if (c[i].ret == 0) {
				if (winner >= 0)
					FAIL("round %d (%s): two conditional puts won: contenders %d (n%d) "
					     "and %d (n%d)", round, mode == 0 ? "expect clock" : "if absent",
					     winner, c[winner].node, i, c[i].node);
				winner = i;
			} else if (c[i].ret != -ECANCELED) {
				FAIL("round %d: contender %d on n%d: %s (%s), want 0 or -ECANCELED", round,
				     i, c[i].node, strerror(-c[i].ret), c[i].res.detail);
			}
		}
		if (winner < 0)
			FAIL("round %d (%s): no conditional put won", round,
			     mode == 0 ? "expect clock" : "if absent");
		wins_by_node[c[winner].node]++;
		/* the losers were told the winner's clock */
		for (i = 0; i < nc; i++)
			if (i != winner &&
			    fotos_vclock_compare(&c[i].res.clock, &c[winner].res.clock) != FOTOS_VC_EQUAL) {
				char a[256], b[256];

				fotos_vclock_format(&c[i].res.clock, a, sizeof(a));
				fotos_vclock_format(&c[winner].res.clock, b, sizeof(b));
				FAIL("round %d: a loser got clock %s, the winner wrote %s", round, a, b);
			}
	}
	__atomic_store_n(&cas_stop, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&go);	/* they see the stop flag and leave */
	for (i = 0; i < nc; i++)
		pthread_join(thr[i], NULL);
	pthread_barrier_destroy(&go);
	pthread_barrier_destroy(&ready);
	pthread_barrier_destroy(&done);
	{
		struct snap s;

		settle(cl, nodes, &s, "conditional writes");
		for (round = 0; round < CAS_ROUNDS; round++) {
			const struct ent *e = snap_find(&s, keys[round]);

			if (!e || e->nver != 1 || strncmp(e->v[0].val, "won-by-", 7)) {
				if (e)
					print_ent("bad", e);
				FAIL("round %d: the key does not hold one winner's value everywhere", round);
			}
		}
		free(s.e);
	}
	printf("  cas: %d rounds of %d contenders on %d nodes: one winner each (wins by node:",
	       CAS_ROUNDS, nc, __builtin_popcountll(nodes));
	for (i = 0; i < cl->n; i++)
		printf(" %d", wins_by_node[i]);
	printf(")\n");
}

static void limits_all(struct cluster *cl, uint64_t nodes, struct fotos_db_limits *out)
{
	int i;

	for (i = 0; i < cl->n; i++)
		if ((nodes >> i) & 1)
			CHECK_OK(fotos_db_limits(g_h[i], &out[i]));
}

/*
 * Put key and delete it (ack=all, or locally acked); the tombstone must be
 * collected on every node: keys and versions back to what they were.
 * Returns 1, or 0 if the view moved before it was collected (a GC needs
 * every member's ack in one view).
 */
static int gc_once(struct cluster *cl, uint64_t nodes, const char *key, int ack_all)
{
	struct fotos_db_limits before[CL_MAX], now[CL_MAX];
	struct fotos_put_result res;
	struct fotos_meta meta;
	char val[64];
	uint64_t v0;
	double t0;
	int i, ret;

	settle(cl, nodes, NULL, "before delete");
	v0 = wait_common_view(cl, nodes, "delete");
	limits_all(cl, nodes, before);
	if (ack_all) {
		write_acked_all(cl, nodes, 1, key, "doomed", &res);
		limits_all(cl, nodes, now);
		for (i = 0; i < cl->n; i++)
			if ((nodes >> i) & 1) {
				CHECK_EQ(now[i].keys, before[i].keys + 1);
				CHECK_EQ(now[i].versions, before[i].versions + 1);
			}
		write_acked_all(cl, nodes, 2, key, NULL, &res);
		for (i = 0; i < cl->n; i++)
			if ((nodes >> i) & 1) {
				ret = get_text(g_h[i], key, val, sizeof(val), &meta);
				if (ret != -ENOENT)
					FAIL("n%d: a deleted key reads %d '%s'", i, ret, val);
			}
	} else {
		CHECK_OK(put_text(g_h[0], key, "doomed", 0, NULL, &res));
		CHECK_OK(fotos_del(g_h[0], key, strlen(key), 0, NULL, &res, PUT_MS));
	}
	/* collected everywhere: the version count back down */
	t0 = th_now_s();
	for (;;) {
		int ok = 1;

		limits_all(cl, nodes, now);
		for (i = 0; i < cl->n; i++)
			if ((nodes >> i) & 1)
				ok &= now[i].versions == before[i].versions && now[i].keys == before[i].keys;
		if (ok)
			break;
		if (common_view(cl, nodes) != v0)
			return 0;
		if (th_now_s() - t0 > 5) {
			for (i = 0; i < cl->n; i++)
				if ((nodes >> i) & 1)
					fprintf(stderr, "n%d: %llu keys %llu versions, before %llu %llu\n", i,
						(unsigned long long)now[i].keys,
						(unsigned long long)now[i].versions,
						(unsigned long long)before[i].keys,
						(unsigned long long)before[i].versions);
			FAIL("the tombstone of %s was not collected on every node in one view", key);
		}
		th_sleep_ms(5);
	}
	printf("  delete: %s (%s) a tombstone everywhere, collected on every node after %.0f ms\n",
	       key, ack_all ? "ack=all" : "ack=local", (th_now_s() - t0) * 1000);
	return 1;
}

static void scenario_delete(struct cluster *cl, uint64_t nodes)
{
	char key[32];
	int ack_all, tries;

	for (ack_all = 1; ack_all >= 0; ack_all--)
		for (tries = 0;; tries++) {
			snprintf(key, sizeof(key), "g/%d.%d", ack_all, tries);
			if (gc_once(cl, nodes, key, ack_all))
				break;
			printf("  (the view moved before %s was collected: again)\n", key);
			if (tries > 5)
				FAIL("the view kept moving during deletes");
		}
}

static void concurrent(void)
{
	struct cluster cl;
	static const char *const extra[] = { "--db-max-value", "128", NULL };

	begin(&cl, 4, extra);
	cl_start(&cl, 0);
	cl_start(&cl, 1);
	cl_start(&cl, 2);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, START_MS), "3 nodes start");
	open_all(&cl, 7);
	scenario_concurrent(&cl, 7);
	scenario_join(&cl, 3, 15);
	scenario_wait(&cl, 3, 0);
	scenario_cas(&cl, 15);
	scenario_delete(&cl, 15);
	end(&cl);
}

/* ---- limits ------------------------------------------------------------ */

static void limits(void)
{
	static const char *const extra[] = { "--db-max-keys", "16", "--db-max-key", "8",
					     "--db-max-value", "16", NULL };
	struct cluster cl;
	struct fotos_put_result res;
	struct fotos_db_limits lim;
	struct snap s0, s1;
	char big[2000], key[16];
	int i, ret;

	begin(&cl, 2, extra);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 3, 3, START_MS), "2 nodes start");
	open_all(&cl, 3);
	CHECK_OK(fotos_db_limits(g_h[1], &lim));
	CHECK_EQ(lim.max_keys, 16);
	CHECK_EQ(lim.max_key_len, 8);
	CHECK_EQ(lim.max_val_len, 16);
	memset(big, 'x', sizeof(big));

	/* sizes: refused, nothing written */
	ret = fotos_put(g_h[0], "123456789", 9, "v", 1, 0, NULL, &res, PUT_MS);
	if (ret != -E2BIG)
		FAIL("a 9-byte key (limit 8): %d (%s), want -E2BIG", ret, res.detail);
	ret = fotos_put(g_h[1], "k", 1, big, 17, 0, NULL, &res, PUT_MS);
	if (ret != -E2BIG)
		FAIL("a 17-byte value (limit 16): %d (%s), want -E2BIG", ret, res.detail);
	ret = fotos_put(g_h[0], big, sizeof(big), "v", 1, 0, NULL, &res, PUT_MS);
	if (ret != -E2BIG)
		FAIL("a 2000-byte key: %d, want -E2BIG", ret);
	ret = fotos_put(g_h[0], "k", 0, "v", 1, 0, NULL, &res, PUT_MS);
	CHECK(ret < 0);
	ret = fotos_get(g_h[0], "123456789", 9, NULL, 0, NULL);
	if (ret != -E2BIG)
		FAIL("fotos_get of a 9-byte key (limit 8): %d, want -E2BIG", ret);
	ret = fotos_del(g_h[0], "123456789", 9, 0, NULL, &res, PUT_MS);
	if (ret != -E2BIG)
		FAIL("a delete of a 9-byte key: %d, want -E2BIG", ret);
	/* the limits themselves are fine */
	CHECK_OK(fotos_put(g_h[0], "12345678", 8, big, 16, 0, NULL, &res, PUT_MS));
	CHECK_OK(fotos_put(g_h[1], "empty", 5, NULL, 0, 0, NULL, &res, PUT_MS));

	/* fill it up, through both nodes */
	for (i = 0; i < 14; i++) {
		snprintf(key, sizeof(key), "f%02d", i);
		CHECK_OK(put_text(g_h[i % 2], key, "full", FOTOS_PUT_ACK_ALL, NULL, &res));
	}
	settle(&cl, 3, &s0, "full");
	CHECK_EQ(s0.lim.versions, 16);
	CHECK_EQ(s0.n, 16);

	/* a new key: -ENOSPC, however asked; nothing changes anywhere */
	for (i = 0; i < 2; i++) {
		struct fotos_op ops[2] = {
			{ 0, "f00", 3, "again", 5 },
			{ 0, "new2", 4, "v", 1 },
		};

		ret = put_text(g_h[i], "new", "v", 0, NULL, &res);
		if (ret != -ENOSPC)
			FAIL("n%d: a new key in a full database: %d (%s), want -ENOSPC", i, ret,
			     res.detail);
		ret = put_text(g_h[i], "new", "v", FOTOS_PUT_ACK_ALL, NULL, &res);
		if (ret != -ENOSPC)
			FAIL("n%d: a new key (ack=all) in a full database: %d, want -ENOSPC", i, ret);
		ret = fotos_put(g_h[i], "new", 3, "v", 1, FOTOS_PUT_IF_ABSENT, NULL, &res, PUT_MS);
		if (ret != -ENOSPC)
			FAIL("n%d: if-absent in a full database: %d (%s), want -ENOSPC", i, ret,
			     res.detail);
		/* the batch: op 1 is in place (applied), op 2 refused */
		ret = fotos_batch(g_h[i], ops, 2, &res, PUT_MS);
		if (ret != -ENOSPC)
			FAIL("n%d: a batch with a new key in a full database: %d (%s), want -ENOSPC",
			     i, ret, res.detail);
		CHECK(strstr(res.detail, "1 applied") != NULL);
	}
	settle(&cl, 3, &s1, "after refusals");
	CHECK_EQ(s1.lim.versions, 16);
	CHECK_EQ(s1.n, 16);
	CHECK(snap_find(&s1, "new") == NULL && snap_find(&s1, "new2") == NULL);
	/* only f00 changed (the batch's first op, twice) */
	for (i = 0; i < s0.n; i++) {
		if (s0.e[i].klen == 3 && !memcmp(s0.e[i].key, "f00", 3))
			continue;
		if (!snap_eq(&(struct snap){ .n = 1, .e = &s0.e[i], .lim = s0.lim },
			     &(struct snap){ .n = 1, .e = (struct ent *)snap_find(&s1, s0.e[i].key) ?
						(struct ent *)snap_find(&s1, s0.e[i].key) : &s0.e[0],
					     .lim = s0.lim }, 0, 0, 1))
			FAIL("a refused write changed key '%s'", s0.e[i].key);
	}
	expect_value(0, "f00", "again");
	expect_value(1, "f00", "again");
	free(s0.e);
	free(s1.e);

	/* full, but a write in place and a delete still work */
	CHECK_OK(put_text(g_h[1], "f01", "changed", 0, NULL, &res));
	CHECK_OK(fotos_del(g_h[0], "f02", 3, FOTOS_PUT_ACK_ALL, NULL, &res, PUT_MS));
	settle(&cl, 3, &s1, "after delete when full");
	expect_value(0, "f01", "changed");
	CHECK(snap_find(&s1, "f02") == NULL);
	/* the collected tombstone frees its slot: a new key fits again */
	CHECK_EQ(s1.lim.versions, 15);
	free(s1.e);
	CHECK_OK(put_text(g_h[1], "new", "fits", FOTOS_PUT_ACK_ALL, NULL, &res));
	expect_value(0, "new", "fits");
	printf("  limits: -E2BIG and -ENOSPC refused on both nodes with nothing changed\n");
	end(&cl);
}

/* ---- kill -9 during an ack=all storm ----------------------------------- */

#define K_MAX_WRITES	2500

struct kwriter {
	struct cluster *cl;
	int node;
	double stop_at;
	int n;
	int ret[K_MAX_WRITES];
	unsigned char all[K_MAX_WRITES];
};

static void *kwriter_main(void *arg)
{
	struct kwriter *w = arg;
	struct fotos *h = open_node(w->cl, w->node);
	struct fotos_put_result res;
	char key[32], val[32];

	for (w->n = 0; w->n < K_MAX_WRITES && th_now_s() < w->stop_at; w->n++) {
		snprintf(key, sizeof(key), "c/%d/%d", w->node, w->n);
		snprintf(val, sizeof(val), "v%d.%d", w->node, w->n);
		w->ret[w->n] = fotos_put(h, key, strlen(key), val, strlen(val), FOTOS_PUT_ACK_ALL,
					 NULL, &res, PUT_MS);
		w->all[w->n] = (unsigned char)res.acked_all;
		if (w->ret[w->n] < 0 && w->ret[w->n] != -EAGAIN) {
			w->n++;
			break;	/* its agent is gone */
		}
	}
	fotos_close(h);
	return NULL;
}

static void kill9(void)
{
	static const char *const extra[] = { "--db-max-keys", "12000", "--db-max-key", "16",
					     "--db-max-value", "32", NULL };
	static struct kwriter w[4];
	struct cluster cl;
	pthread_t thr[4];
	struct snap s;
	int i, k, acked = 0, all = 0, partial = 0, lost = 0, failed = 0;
	double t0;

	begin(&cl, 4, extra);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 15, 15, START_MS), "4 nodes start");
	open_all(&cl, 7);
	t0 = th_now_s();
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].cl = &cl;
		w[i].node = i;
		w[i].stop_at = t0 + 1.2;
		CHECK(pthread_create(&thr[i], NULL, kwriter_main, &w[i]) == 0);
	}
	th_sleep_ms(300);
	cl_signal(&cl, 3, SIGKILL);
	printf("  kill: n3 killed at %.2f s\n", th_now_s() - t0);
	for (i = 0; i < 4; i++)
		pthread_join(thr[i], NULL);
	printf("  kill: writes %d %d %d %d\n", w[0].n, w[1].n, w[2].n, w[3].n);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, START_MS), "the survivors remove n3");
	settle(&cl, 7, &s, "after kill -9");
	for (i = 0; i < 4; i++)
		for (k = 0; k < w[i].n; k++) {
			char key[32], val[32];
			const struct ent *e;
			int must;

			if (w[i].ret[k] < 0) {
				failed++;
				continue;
			}
			acked++;
			all += w[i].all[k];
			partial += !w[i].all[k];
			/* a survivor's ack (all or partial); the dead node's ack=all */
			must = i < 3 || w[i].all[k];
			snprintf(key, sizeof(key), "c/%d/%d", i, k);
			snprintf(val, sizeof(val), "v%d.%d", i, k);
			e = snap_find(&s, key);
			if (!e || e->v[0].vlen != strlen(val) || memcmp(e->v[0].val, val, strlen(val))) {
				if (!must)
					continue;
				lost++;
				fprintf(stderr, "LOST: %s written through n%d, acked %s, is %s on the "
					"survivors\n", key, i, w[i].all[k] ? "by all" : "partially",
					e ? "different" : "missing");
			}
		}
	free(s.e);
	printf("  kill: %d writes acked (%d by all, %d partial), %d refused or cut off; "
	       "%d lost\n", acked, all, partial, failed, lost);
	if (lost)
		FAIL("%d acknowledged writes are not on every survivor", lost);
	CHECK(w[0].n > 10 && w[1].n > 10 && w[2].n > 10);
	end(&cl);
}

/* ---- a real partition (private network namespace) ----------------------- */

static int run_quiet(const char *cmd)
{
	char buf[512];
	int st;

	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	st = system(buf);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* Drop every packet between the two sides (masks), or none. */
static void net_split(uint64_t left, uint64_t right, int n)
{
	char buf[8192];
	size_t off = 0;
	FILE *f;
	int a, b;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
				"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
				":OUTPUT ACCEPT [0:0]\n");
	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++)
			if ((((left >> a) & 1) && ((right >> b) & 1)) ||
			    (((right >> a) & 1) && ((left >> b) & 1)))
				off += (size_t)snprintf(buf + off, sizeof(buf) - off,
							"-A INPUT -s 127.0.0.%d/32 -d 127.0.0.%d/32 -j DROP\n",
							a + 1, b + 1);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "COMMIT\n");
	f = popen("iptables-restore", "w");
	CHECK(f != NULL);
	fputs(buf, f);
	if (pclose(f) != 0)
		FAIL("iptables-restore failed on:\n%s", buf);
}

static void partition(void)
{
	static const char *const extra[] = { "--hold-down-ms", "200", NULL };
	struct cluster cl;
	struct fotos_put_result res, rl, rr;
	struct fotos_meta m0, m1;
	uint64_t left = 0x3, right = 0xc, all = 0xf;
	char v0[64], v1[64];
	struct snap s;
	double t;
	int i;

	if (geteuid() != 0) {
		printf("  partition: skipped (needs root for a network namespace)\n");
		return;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("  partition: skipped (unshare: %s)\n", strerror(errno));
		return;
	}
	if (run_quiet("ip link set lo up") != 0 || run_quiet("iptables -F") != 0) {
		printf("  partition: skipped (no ip or iptables in the namespace)\n");
		return;
	}
	begin(&cl, 4, extra);
	cl.per_node_ip = 1;
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, all, all, START_MS), "4 nodes start");
	open_all(&cl, all);
	write_acked_all(&cl, all, 0, "e/k", "base", &res);
	/* acked by all: on every member the moment the put returns */
	for (i = 0; i < 4; i++)
		expect_value(i, "e/k", "base");

	net_split(left, right, 4);
	CL_EXPECT(&cl, cl_wait_view(&cl, left, left, START_MS), "the left side on its own");
	CL_EXPECT(&cl, cl_wait_view(&cl, right, right, START_MS), "the right side on its own");
	/* the same key on both sides, and a key of each side's own */
	write_acked_all(&cl, left, 0, "e/k", "left", &rl);
	write_acked_all(&cl, right, 2, "e/k", "right", &rr);
	CHECK_OK(put_text(g_h[1], "e/l", "only-left", 0, NULL, &res));
	CHECK_OK(put_text(g_h[3], "e/r", "only-right", 0, NULL, &res));
	if (fotos_vclock_compare(&rl.clock, &rr.clock) != FOTOS_VC_CONCURRENT)
		FAIL("the two sides' writes are not concurrent");
	expect_value(1, "e/k", "left");
	expect_value(3, "e/k", "right");

	net_split(0, 0, 4);
	t = th_now_s();
	CL_EXPECT(&cl, cl_wait_view(&cl, all, all, 10000), "healed: one network of all");
	settle(&cl, all, &s, "after the partition healed");
	printf("  partition: healed, same content everywhere %.0f ms after the heal\n",
	       (th_now_s() - t) * 1000);
	free(s.e);
	for (i = 0; i < 4; i++) {
		int r0 = get_text(g_h[i], "e/k", v0, sizeof(v0), &m0), r1;

		r1 = fotos_get_version(g_h[i], "e/k", 3, 1, v1, sizeof(v1) - 1, &m1);
		v1[r1 >= 0 ? r1 : 0] = 0;
		if (r0 < 0 || !(m0.flags & FOTOS_DB_CONFLICT))
			FAIL("n%d: e/k = '%s' flags %u (%d): not flagged FOTOS_DB_CONFLICT", i, v0,
			     m0.flags, r0);
		if (r1 < 0 || !(m1.flags & FOTOS_DB_SIBLING))
			FAIL("n%d: the losing version of e/k is not readable as a sibling (%d, flags %u)",
			     i, r1, r1 >= 0 ? m1.flags : 0);
		if (fotos_get_version(g_h[i], "e/k", 3, 2, NULL, 0, NULL) != -ENOENT)
			FAIL("n%d: e/k has a third version", i);
		/* the documented winner: the larger clock sum (the right side's
		 * clock holds the base write and its own), then the higher writer */
		if (strcmp(v0, "right") || strcmp(v1, "left") || m0.writer != 2 || m1.writer != 0) {
			char c0[256], c1[256];

			fotos_vclock_format(&m0.clock, c0, sizeof(c0));
			fotos_vclock_format(&m1.clock, c1, sizeof(c1));
			fprintf(stderr, "n%d: winner clock %s, sibling clock %s\n", i, c0, c1);
			FAIL("n%d: winner '%s' by n%u, sibling '%s' by n%u; want 'right' by n2 over "
			     "'left' by n0", i, v0, m0.writer, v1, m1.writer);
		}
		if (fotos_vclock_compare(&m0.clock, &rr.clock) != FOTOS_VC_EQUAL ||
		    fotos_vclock_compare(&m1.clock, &rl.clock) != FOTOS_VC_EQUAL)
			FAIL("n%d: the versions' clocks are not the ones written", i);
		expect_value(i, "e/l", "only-left");
		expect_value(i, "e/r", "only-right");
	}
	printf("  partition: e/k conflicted on every node: 'right' wins, 'left' kept as sibling\n");

	/* a write that dominates both clears the conflict everywhere */
	write_acked_all(&cl, all, 1, "e/k", "resolved", &res);
	for (i = 0; i < 4; i++) {
		int r0 = get_text(g_h[i], "e/k", v0, sizeof(v0), &m0);

		if (r0 < 0 || strcmp(v0, "resolved") || m0.flags != 0)
			FAIL("n%d: after the resolving write e/k = '%s' flags %u", i, v0, m0.flags);
		if (fotos_get_version(g_h[i], "e/k", 3, 1, NULL, 0, NULL) != -ENOENT)
			FAIL("n%d: a sibling survived the resolving write", i);
		if (fotos_vclock_compare(&m0.clock, &rl.clock) != FOTOS_VC_AFTER ||
		    fotos_vclock_compare(&m0.clock, &rr.clock) != FOTOS_VC_AFTER)
			FAIL("n%d: the resolving clock does not dominate both sides", i);
	}
	settle(&cl, all, &s, "after the resolving write");
	CHECK_EQ(s.lim.versions, 3);
	free(s.e);
	printf("  partition: one dominating write cleared the conflict on every node\n");
	end(&cl);
}

/* ---- main ---------------------------------------------------------------- */

static const struct cl_scenario scenarios[] = {
	{ "concurrent", concurrent, 60 },
	{ "limits", limits, 30 },
	{ "kill", kill9, 30 },
	{ "partition", partition, 40 },
};

int main(int argc, char **argv)
{
	return cl_main(argc, argv, scenarios, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
}
