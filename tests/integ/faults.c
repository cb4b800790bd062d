/* Description: real network and process faults between real fotosd
 * processes. The program moves into a private network namespace of its own
 * (root only; skipped otherwise), gives node i the address 127.0.0.(i+1)
 * and cuts links with iptables rules in that namespace: both ways, one way,
 * a clean split, a node isolated from all, a flapping link (cut and restored
 * every 200 ms for 30 s), a lossy link (iptables' statistic match). Process
 * faults: kill -9, SIGSTOP/SIGCONT, restart. A seeded random soak mixes
 * them all over 5 to 8 nodes.
 *
 * Every scenario records every state and view each node publishes (the
 * cluster.h recorder) and checks over the whole run:
 *   agreement and self-inclusion    (cl_check_history)
 *   full mesh   no node publishes a stable view holding both ends of a cut
 *               link once the cut is older than the grace, timeout + 3
 *               heartbeats + 300 ms (the time to detect it and spread the
 *               word, plus room for the scheduling delays of a loaded
 *               machine and a sanitizer build); a node resumed from SIGSTOP gets the same grace
 *   no split brain (every scenario runs with --arbiter majority): two
 *               primary records valid at the same instant are of one view
 *               or their member sets intersect; and no node is primary
 *               while another node's primary view leaves it out for longer
 *               than the grace
 *   convergence one stable network of every node within a stated bound
 *               once the fault is lifted
 * A broken rule prints the history that broke it (after the full history
 * and the agents' logs, so it is at the end of the output).
 *
 * usage: faults [SCENARIO...] [--seconds N] [--seed S]
 *        (no scenario: all; --seconds and --seed are for soak: 60 s and a
 *        seed from the clock by default; the seed is printed)
 *        FAULTS_HISTORY=1 prints the history of passing scenarios too.
 */
#define CL_MAX_REC	200000
#include "cluster.h"

#include <sched.h>
#include <sys/prctl.h>

#define FX_MAX_CUTS	50000
#define FX_MAX_PEV	8192

/* Timings of every scenario: fast enough that a 200 ms cut is detected,
 * and a timeout that rides out the 100+ ms scheduling stalls of a loaded
 * two-core machine (which are real failures at a 100 ms timeout). */
#define HB_MS		20
#define TO_MS		150
/* The grace of the full-mesh and split-brain rules is timeout + 3
 * heartbeats + this: detection, gossip, and the scheduling delays of a
 * loaded machine (the recorder reads late when it is starved). */
#define GRACE_MARGIN_MS	300

enum { PEV_START, PEV_KILL, PEV_STOP, PEV_CONT };

struct fx_cut {			/* pair a<b cut (either way) during [t0, t1) */
	int a, b;
	double t0, t1;
};

struct fx_pev {			/* a process event of one node */
	int node, kind;
	double t;
};

/* The faults in place and their history, for the checks. One scenario per
 * process: this is that process's state. */
static struct {
	struct cluster *cl;
	double want[CL_MAX][CL_MAX];	/* [from][to]: share of packets dropped */
	double have[CL_MAX][CL_MAX];	/* what the rules in place say */
	int open[CL_MAX][CL_MAX];	/* 1 + index of the open cut of pair a<b */
	struct fx_cut cut[FX_MAX_CUTS];
	int ncut;
	struct fx_pev pev[FX_MAX_PEV];
	int npev;
	int stopped[CL_MAX];
	int applies;
	double t_end;
} fx;

/* The whole history and the agents' logs (stdout first, for the order),
 * and how often the agents saw their own loop stall: a loaded machine
 * delays heartbeats, which the peers rightly take for a failure. */
static void dump(struct cluster *cl)
{
	int i, stalls = 0, longest = 0;

	fflush(stdout);
	cl_dump(cl);
	for (i = 0; i < cl->n; i++) {
		FILE *f = fopen(cl->node[i].log, "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, "loop stalled for ");
			int ms;

			if (p && sscanf(p, "loop stalled for %d", &ms) == 1) {
				stalls++;
				if (ms > longest)
					longest = ms;
			}
		}
		if (f)
			fclose(f);
	}
	if (stalls)
		fprintf(stderr, "note: the agents logged %d stalls of their own loop (the longest "
			"%d ms; timeout %u ms): the machine was busy\n", stalls, longest, cl->to);
}

static double grace_s(const struct cluster *cl)
{
	return (cl->to + 3.0 * cl->hb + GRACE_MARGIN_MS) / 1000.0;
}

/* ---- the network: iptables in our own namespace ------------------------ */

/*
 * Replace the filter table with rules dropping what fx.want says: packets
 * from node a to node b are dropped in INPUT (on loopback every packet
 * passes OUTPUT then INPUT: one chain is enough). iptables-restore swaps the
 * whole table at once. Then open and close the cut intervals of the pairs
 * whose cut state changed: a cut counts from after the rules are in place,
 * and ends before they are removed (the lenient side for the checks).
 */
static void net_apply(void)
{
	static char buf[1 << 20];
	struct cluster *cl = fx.cl;
	size_t off = 0;
	double t_before, t_after;
	FILE *f;
	int a, b, st;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
				"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
				":OUTPUT ACCEPT [0:0]\n");
	for (a = 0; a < cl->n; a++)
		for (b = 0; b < cl->n; b++) {
			double p = fx.want[a][b];

			if (a == b || p <= 0 || off > sizeof(buf) - 256)
				continue;
			if (p >= 1)
				off += (size_t)snprintf(buf + off, sizeof(buf) - off,
							"-A INPUT -s 127.0.0.%d/32 -d 127.0.0.%d/32 -j DROP\n",
							a + 1, b + 1);
			else
				off += (size_t)snprintf(buf + off, sizeof(buf) - off,
							"-A INPUT -s 127.0.0.%d/32 -d 127.0.0.%d/32 -m statistic "
							"--mode random --probability %.3f -j DROP\n", a + 1, b + 1, p);
		}
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "COMMIT\n");
	t_before = cl_now(cl);
	f = popen("iptables-restore", "w");
	if (!f)
		FAIL("popen iptables-restore: %s", strerror(errno));
	fputs(buf, f);
	st = pclose(f);
	t_after = cl_now(cl);
	if (st != 0)
		FAIL("iptables-restore failed (status %d) on:\n%s", st, buf);
	fx.applies++;
	memcpy(fx.have, fx.want, sizeof(fx.have));
	for (a = 0; a < cl->n; a++)
		for (b = a + 1; b < cl->n; b++) {
			int cut = fx.want[a][b] >= 1 || fx.want[b][a] >= 1;

			if (cut && !fx.open[a][b]) {
				CHECK(fx.ncut < FX_MAX_CUTS);
				fx.cut[fx.ncut] = (struct fx_cut){ a, b, t_after, 1e9 };
				fx.open[a][b] = ++fx.ncut;
			} else if (!cut && fx.open[a][b]) {
				fx.cut[fx.open[a][b] - 1].t1 = t_before;
				fx.open[a][b] = 0;
			}
		}
}

static void net_apply_if_changed(void)
{
	if (memcmp(fx.want, fx.have, sizeof(fx.want)))
		net_apply();
}

/* Drop packets from a to b with probability p (1: cut); both ways if both. */
static void net_set(int a, int b, double p, int both)
{
	fx.want[a][b] = p;
	if (both)
		fx.want[b][a] = p;
}

static void net_heal(void)
{
	memset(fx.want, 0, sizeof(fx.want));
	net_apply_if_changed();
}

/* ---- processes ----------------------------------------------------------- */

static void pev(int node, int kind, double t)
{
	CHECK(fx.npev < FX_MAX_PEV);
	fx.pev[fx.npev++] = (struct fx_pev){ node, kind, t };
}

static void fx_start(int i)
{
	cl_start(fx.cl, i);
	pev(i, PEV_START, cl_now(fx.cl));
}

static void fx_kill9(int i)
{
	pev(i, PEV_KILL, cl_now(fx.cl));
	fx.stopped[i] = 0;
	cl_signal(fx.cl, i, SIGKILL);
}

/* SIGTERM (a clean stop), then start it again at once: a new incarnation. */
static void fx_restart(int i)
{
	pev(i, PEV_KILL, cl_now(fx.cl));
	if (fx.stopped[i])
		kill(fx.cl->node[i].pid, SIGCONT);
	fx.stopped[i] = 0;
	cl_signal(fx.cl, i, SIGTERM);
	fx_start(i);
}

/* Wait until node i publishes from a life other than gen (its restart is
 * up): until then its latest record is the old life's. */
static void wait_new_life(int i, uint64_t gen)
{
	double t0 = th_now_s();
	struct cl_rec r;

	while (!cl_latest(fx.cl, i, &r) || r.gen == gen) {
		if (th_now_s() - t0 > 5) {
			dump(fx.cl);
			FAIL("n%d restarted but published nothing from its new life within 5 s "
			     "(its log says why)", i);
		}
		th_sleep_ms(1);
	}
}

static uint64_t gen_of(int i)
{
	struct cl_rec r;

	return cl_latest(fx.cl, i, &r) ? r.gen : 0;
}

static void fx_stop(int i)
{
	pev(i, PEV_STOP, cl_now(fx.cl));
	CHECK(kill(fx.cl->node[i].pid, SIGSTOP) == 0);
	fx.stopped[i] = 1;
}

static void fx_cont(int i)
{
	CHECK(kill(fx.cl->node[i].pid, SIGCONT) == 0);
	fx.stopped[i] = 0;
	pev(i, PEV_CONT, cl_now(fx.cl));
}

/*
 * Prepare a cluster of n nodes on their own addresses, with the fast
 * timings, the majority arbiter and the given hold-down (NULL: the
 * agent's default), start every node and wait for one network of all.
 */
static void fx_begin(struct cluster *cl, int n, const char *hold_ms)
{
	int k = 0;

	memset(&fx, 0, sizeof(fx));
	cl_init(cl, n, HB_MS, TO_MS);
	cl->per_node_ip = 1;
	cl->extra[k++] = "--arbiter";
	cl->extra[k++] = "majority";
	if (hold_ms) {
		cl->extra[k++] = "--hold-down-ms";
		cl->extra[k++] = hold_ms;
	}
	cl->extra[k] = NULL;
	fx.cl = cl;
	net_apply();			/* an empty table: nothing left from before */
}

/* ---- reading the history ------------------------------------------------ */

static int operational(const struct cl_rec *r)
{
	return r->state == FOTOS_STABLE || r->state == FOTOS_UNSTABLE;
}

static const char *mtext(uint64_t m)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];

	cl_print_members(m, b, 256);
	return b;
}

static void print_rec(const char *tag, const struct cl_rec *r)
{
	fprintf(stderr, "%s%8.3f n%d gen %llx %-8s stable %d%s epoch %llu view %016llx members %s\n",
		tag, r->t, r->node, (unsigned long long)(r->gen % 0x10000),
		fotos_state_name(r->state), (int)r->stable, r->primary ? " primary" : "",
		(unsigned long long)r->epoch, (unsigned long long)r->view_id, mtext(r->members));
}

/* The records of the given nodes between t0 and t1, and the faults then. */
static void print_slice(const struct cluster *cl, uint64_t nodes, double t0, double t1)
{
	int i;

	fprintf(stderr, "---- the records of %s from %.3f to %.3f ----\n", mtext(nodes), t0, t1);
	for (i = 0; i < cl->nrec; i++)
		if ((nodes & (1ull << cl->rec[i].node)) && cl->rec[i].t >= t0 && cl->rec[i].t <= t1)
			print_rec("  ", &cl->rec[i]);
	for (i = 0; i < fx.ncut; i++)
		if (fx.cut[i].t0 <= t1 && fx.cut[i].t1 >= t0)
			fprintf(stderr, "  cut n%d-n%d from %.3f to %.3f\n", fx.cut[i].a, fx.cut[i].b,
				fx.cut[i].t0, fx.cut[i].t1 > 1e8 ? fx.t_end : fx.cut[i].t1);
	for (i = 0; i < fx.npev; i++)
		if (fx.pev[i].t >= t0 - 2 && fx.pev[i].t <= t1 && (nodes & (1ull << fx.pev[i].node)))
			fprintf(stderr, "  %.3f n%d %s\n", fx.pev[i].t, fx.pev[i].node,
				(const char *[]){ "started", "killed", "SIGSTOP", "SIGCONT" }[fx.pev[i].kind]);
}

struct piece {			/* record rec was node's published state in [t0, t1) */
	int rec;
	double t0, t1;
};

/*
 * The pieces of time during which record i was what its node published
 * while the process ran: from the record to the node's next record, cut at
 * a SIGSTOP (resumed at the SIGCONT, plus the grace the node needs to
 * notice the time it lost) and ended at a kill. Appends to out (max).
 */
static int pieces_of(const struct cluster *cl, int i, const int *next, double grace,
		     struct piece *out, int n, int max)
{
	const struct cl_rec *r = &cl->rec[i];
	double end = next[i] >= 0 ? cl->rec[next[i]].t : fx.t_end, start = r->t;
	int k, active = 1;

	for (k = 0; k < fx.npev; k++) {
		const struct fx_pev *e = &fx.pev[k];

		if (e->node != r->node || e->t > r->t)
			continue;
		if (e->kind == PEV_CONT && e->t + grace > start)
			start = e->t + grace;	/* resumed just before: give it time */
		if (e->kind == PEV_STOP)
			active = 0;
		if (e->kind == PEV_CONT || e->kind == PEV_START)
			active = 1;
	}
	for (k = 0; k < fx.npev; k++) {
		const struct fx_pev *e = &fx.pev[k];

		if (e->node != r->node || e->t <= r->t || e->t >= end)
			continue;
		if (e->kind == PEV_STOP || e->kind == PEV_KILL) {
			if (active && start < e->t && n < max)
				out[n++] = (struct piece){ i, start, e->t };
			active = 0;
			if (e->kind == PEV_KILL)
				return n;	/* the next life has its own records */
		} else if (e->kind == PEV_CONT) {
			active = 1;
			start = e->t + grace;
		}
	}
	if (active && start < end && n < max)
		out[n++] = (struct piece){ i, start, end };
	return n;
}

/* next[i]: the index of node's next record after record i, or -1. */
static int *next_index(const struct cluster *cl)
{
	int *next = malloc(sizeof(int) * (size_t)(cl->nrec + 1));
	int last[CL_MAX], i;

	CHECK(next != NULL);
	for (i = 0; i < CL_MAX; i++)
		last[i] = -1;
	for (i = cl->nrec - 1; i >= 0; i--) {
		next[i] = last[cl->rec[i].node];
		last[cl->rec[i].node] = i;
	}
	return next;
}

/*
 * Full mesh: no piece of a stable record holds both ends of a pair that has
 * been cut for longer than the grace. Returns the number of violations
 * (each printed with the history around it).
 */
static int check_full_mesh(struct cluster *cl, const int *next)
{
	double grace = grace_s(cl);
	struct piece pc[64];
	int i, k, c, n, bad = 0;

	for (i = 0; i < cl->nrec && bad < 3; i++) {
		const struct cl_rec *r = &cl->rec[i];

		if (!operational(r) || !r->stable)
			continue;
		n = pieces_of(cl, i, next, grace, pc, 0, 64);
		for (k = 0; k < n && bad < 3; k++)
			for (c = 0; c < fx.ncut && bad < 3; c++) {
				const struct fx_cut *x = &fx.cut[c];
				uint64_t pair = (1ull << x->a) | (1ull << x->b);
				double lo = pc[k].t0, hi = pc[k].t1 < x->t1 ? pc[k].t1 : x->t1;

				if ((r->members & pair) != pair)
					continue;
				if (x->t0 + grace > lo)
					lo = x->t0 + grace;
				if (hi <= lo)
					continue;
				dump(cl);
				fprintf(stderr, "FULL MESH broken: n%d published a stable view of %s "
					"(view %016llx, recorded at %.3f) that was still its view from "
					"%.3f to %.3f, but the link n%d-n%d was cut from %.3f: past the "
					"grace of %.0f ms (timeout + 3 heartbeats + %d ms) for %.0f ms\n",
					r->node, mtext(r->members), (unsigned long long)r->view_id, r->t,
					lo, hi, x->a, x->b, x->t0, grace * 1000, GRACE_MARGIN_MS,
					(hi - lo) * 1000);
				print_slice(cl, cl_all(cl->n), x->t0 - 0.5, hi + 0.5);
				bad++;
			}
	}
	return bad;
}

static int piece_cmp(const void *x, const void *y)
{
	const struct piece *p = x, *q = y;

	return p->t0 < q->t0 ? -1 : p->t0 > q->t0;
}

/*
 * No split brain: every two primary pieces that overlap in time are of one
 * view or their member sets intersect; and a node is not primary together
 * with a primary view that leaves it out for longer than the grace (the
 * legitimate cases are short: a removed node that has not noticed yet, a
 * committed view its other members install a moment later).
 */
static int check_split_brain(struct cluster *cl, const int *next)
{
	double grace = grace_s(cl);
	struct piece *pc;
	int i, j, n = 0, max = cl->nrec * 4 + 64, bad = 0;

	pc = malloc(sizeof(*pc) * (size_t)max);
	CHECK(pc != NULL);
	for (i = 0; i < cl->nrec; i++)
		if (cl->rec[i].primary)
			n = pieces_of(cl, i, next, grace, pc, n, max);
	qsort(pc, (size_t)n, sizeof(*pc), piece_cmp);
	for (i = 0; i < n && bad < 3; i++)
		for (j = i + 1; j < n && pc[j].t0 < pc[i].t1 && bad < 3; j++) {
			const struct cl_rec *x = &cl->rec[pc[i].rec], *y = &cl->rec[pc[j].rec];
			double lo = pc[i].t0 > pc[j].t0 ? pc[i].t0 : pc[j].t0;
			double hi = pc[i].t1 < pc[j].t1 ? pc[i].t1 : pc[j].t1;
			const char *what;

			if (hi <= lo || x->node == y->node || x->view_id == y->view_id)
				continue;
			if (!(x->members & y->members))
				what = "two disjoint views";
			else if ((!(x->members & (1ull << y->node)) || !(y->members & (1ull << x->node))) &&
				 hi - lo > grace)
				what = "a node and a view without it";
			else
				continue;
			dump(cl);
			fprintf(stderr, "SPLIT BRAIN: %s published as primary from %.3f to %.3f "
				"(%.0f ms):\n", what, lo, hi, (hi - lo) * 1000);
			print_rec("  ", x);
			print_rec("  ", y);
			print_slice(cl, cl_all(cl->n), lo - 1, hi + 0.5);
			bad++;
		}
	free(pc);
	return bad;
}

/*
 * Stop every agent, stop the recorders, and check the whole history:
 * full mesh and no split brain here, then agreement and self-inclusion in
 * cl_finish (which also cleans up).
 */
static void fx_finish(struct cluster *cl)
{
	int i, bad, *next;

	net_heal();
	fx.t_end = cl_now(cl);
	for (i = 0; i < cl->n; i++)
		if (cl->node[i].pid > 0) {
			pev(i, PEV_KILL, fx.t_end);
			kill(cl->node[i].pid, SIGCONT);
			cl_signal(cl, i, SIGTERM);
		}
	__atomic_store_n(&cl->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < cl->n; i++)
		if (cl->node[i].running) {
			pthread_join(cl->node[i].thr, NULL);
			cl->node[i].running = 0;
		}
	if (cl->nrec >= CL_MAX_REC) {
		dump(cl);
		FAIL("the history is full (%d records): the checks would be incomplete", cl->nrec);
	}
	for (i = 0; i < fx.ncut; i++)
		if (fx.cut[i].t1 > fx.t_end)
			fx.cut[i].t1 = fx.t_end;
	next = next_index(cl);
	bad = check_full_mesh(cl, next);
	bad += check_split_brain(cl, next);
	free(next);
	if (bad)
		FAIL("%d violation(s) of full mesh / no split brain (the history is above)", bad);
	if (getenv("FAULTS_HISTORY"))
		dump(cl);		/* asked for: the history of a passing run */
	cl_finish(cl);			/* agreement, self-inclusion; cleans up */
	fx.cl = NULL;
}

/* ---- expectations -------------------------------------------------------- */

/* Wait for the nodes to be stable in one view of members within bound_ms;
 * print the time (from `since`) and fail with the history if not. */
static double expect_view(struct cluster *cl, uint64_t nodes, uint64_t members, int bound_ms,
			  double since, const char *what)
{
	double t = cl_wait_view(cl, nodes, members, bound_ms);

	if (t < 0) {
		dump(cl);
		print_slice(cl, cl_all(cl->n), since - 1, cl_now(cl));
		FAIL("%s: nodes %s not stable in one view of %s within %d ms", what, mtext(nodes),
		     mtext(members), bound_ms);
	}
	t = cl_now(cl) - since;
	printf("  %s: %.0f ms (bound %d ms)\n", what, t * 1000, bound_ms);
	fflush(stdout);
	return t;
}

/* The latest records of the nodes say (or do not say) primary. */
static void expect_primary(struct cluster *cl, uint64_t nodes, int primary, const char *what)
{
	int i;

	for (i = 0; i < cl->n; i++) {
		struct cl_rec r;

		if (!(nodes & (1ull << i)))
			continue;
		if (!cl_latest(cl, i, &r) || (int)r.primary != primary) {
			dump(cl);
			FAIL("%s: n%d is%s primary", what, i, primary ? " not" : "");
		}
	}
}

struct churn {
	int view_changes;	/* the published view id changed */
	int unstable;		/* went unstable */
	int admits, removals;	/* of the watched node into / out of the view */
};

/* What node published between t0 and t1 (watch: the node whose admissions
 * and removals to count). */
static void churn_of(struct cluster *cl, int node, int watch, double t0, double t1,
		     struct churn *c)
{
	struct cl_rec prev;
	int i, have = 0;

	memset(c, 0, sizeof(*c));
	memset(&prev, 0, sizeof(prev));
	pthread_mutex_lock(&cl->mu);
	for (i = 0; i < cl->nrec; i++) {
		const struct cl_rec *r = &cl->rec[i];
		uint64_t w = 1ull << watch;

		if (r->node != node || r->t > t1)
			continue;
		if (r->t > t0 && have) {
			c->view_changes += r->view_id != prev.view_id;
			c->unstable += r->state == FOTOS_UNSTABLE && prev.state != FOTOS_UNSTABLE;
			c->admits += (r->members & w) && !(prev.members & w);
			c->removals += !(r->members & w) && (prev.members & w);
		}
		prev = *r;
		have = 1;
	}
	pthread_mutex_unlock(&cl->mu);
}

/*
 * The no-churn rules over a fault on the links of node bad between t0 and
 * t1: every other node changes its view at most max_changes times and goes
 * unstable at most max_unstable times, removes bad at most once and never
 * takes it back during the fault. Prints the counts.
 */
static void expect_no_churn(struct cluster *cl, int bad, double t0, double t1, int max_changes,
			    int max_unstable, const char *what)
{
	int i, worst = 0, worst_unstable = 0, removed = 0;
	char line[512];
	size_t off = 0;

	for (i = 0; i < cl->n; i++) {
		struct churn c;

		if (i == bad)
			continue;
		churn_of(cl, i, bad, t0, t1, &c);
		off += (size_t)snprintf(line + off, sizeof(line) - off, " n%d:%d/%d", i,
					c.view_changes, c.unstable);
		if (c.view_changes > worst)
			worst = c.view_changes;
		if (c.unstable > worst_unstable)
			worst_unstable = c.unstable;
		if (c.removals > removed)
			removed = c.removals;
		if (c.removals > 1 || c.admits > 0 || c.view_changes > max_changes ||
		    c.unstable > max_unstable) {
			dump(cl);
			print_slice(cl, cl_all(cl->n), t0, t1);
			FAIL("%s: n%d changed its view %d times (bound %d), went unstable %d times "
			     "(bound %d), removed n%d %d times (bound 1) and took it back %d times "
			     "(bound 0)", what, i, c.view_changes, max_changes, c.unstable,
			     max_unstable, bad, c.removals, c.admits);
		}
	}
	printf("  view changes during %s: %d (node behind the link removed %s, kept out); "
	       "per node changes/unstable:%s\n", what, worst, removed ? "once" : "never", line);
	fflush(stdout);
}

/* When did node first publish a stable view holding member after t? */
static double first_stable_with(struct cluster *cl, int node, int member, double t)
{
	double when = -1;
	int i;

	pthread_mutex_lock(&cl->mu);
	for (i = 0; i < cl->nrec; i++) {
		const struct cl_rec *r = &cl->rec[i];

		if (r->node == node && r->t > t && r->stable && (r->members & (1ull << member))) {
			when = r->t;
			break;
		}
	}
	pthread_mutex_unlock(&cl->mu);
	return when;
}

/* ---- scenarios ----------------------------------------------------------- */

#define HOLD_MS		500	/* --hold-down-ms of the short scenarios */
#define HOLD_STR	"500"
#define DEFAULT_HOLD_MS	1000	/* the agent's default hold-down */
#define FORM_MS		8000	/* bound: a fresh cluster forms one network */
#define REMOVE_MS	1500	/* bound: a cut member is removed (timeout 150 ms) */
#define HEAL_MS		8000	/* bound: one network again after the fault is lifted */
#define HOLD_FAULT_MS	2000	/* how long the simple faults stay in place */
#define SETTLE_MS	300	/* a network counts as settled after this long unchanged */

/*
 * A cut between a and b: either end may go (both see the cut first-hand;
 * whichever removal is agreed first wins). Wait until the other nodes and
 * one end are stable in one view without the other end; return that end.
 */
static int removed_end(struct cluster *cl, int a, int b, int bound_ms, double since)
{
	uint64_t all = cl_all(cl->n);

	for (;;) {
		int out = -1;

		if (cl_wait_view(cl, all & ~(1ull << b), all & ~(1ull << b), 0) >= 0)
			out = b;
		else if (cl_wait_view(cl, all & ~(1ull << a), all & ~(1ull << a), 0) >= 0)
			out = a;
		if (out >= 0) {
			printf("  n%d removed, the others agree: %.0f ms (bound %d ms)\n", out,
			       (cl_now(cl) - since) * 1000, bound_ms);
			fflush(stdout);
			return out;
		}
		if ((cl_now(cl) - since) * 1000 > bound_ms) {
			dump(cl);
			print_slice(cl, all, since - 1, cl_now(cl));
			FAIL("cut n%d-n%d: no stable view of all but one end within %d ms", a, b,
			     bound_ms);
		}
		th_sleep_ms(1);
	}
}

/*
 * Start every node; wait for one network of all that stays as it is (no
 * node publishes anything) for SETTLE_MS, so a fault meets a settled
 * network and not the tail of the start.
 */
static void start_all(struct cluster *cl)
{
	uint64_t all = cl_all(cl->n);
	int i, nrec;

	for (i = 0; i < cl->n; i++)
		fx_start(i);
	for (;;) {
		expect_view(cl, all, all, FORM_MS, 0, "start: one network of all");
		pthread_mutex_lock(&cl->mu);
		nrec = cl->nrec;
		pthread_mutex_unlock(&cl->mu);
		th_sleep_ms(SETTLE_MS);
		pthread_mutex_lock(&cl->mu);
		i = cl->nrec == nrec;
		pthread_mutex_unlock(&cl->mu);
		if (i && cl_wait_view(cl, all, all, 0) >= 0)
			break;
		if (cl_now(cl) > FORM_MS / 1000.0) {
			dump(cl);
			FAIL("start: the network of all did not stay settled for %d ms", SETTLE_MS);
		}
		printf("  (the network changed again during the settle time: waiting)\n");
	}
	expect_primary(cl, all, 1, "start");
}

/*
 * A cut link between two members of four: the tie rule removes the higher
 * one; the other three stay together, untouched while the cut lasts; once
 * healed all four are one network again.
 */
static void link_fault(int n, int a, int b, int both, const char *what)
{
	struct cluster cl;
	uint64_t all, rest;
	double t_cut, t_heal;
	int out;

	fx_begin(&cl, n, HOLD_STR);
	all = cl_all(n);
	start_all(&cl);
	net_set(a, b, 1, both);
	net_apply();
	t_cut = cl_now(&cl);
	printf("  %.3f %s: n%d%sn%d\n", t_cut, what, a, both ? "<->" : "->", b);
	out = removed_end(&cl, a, b, REMOVE_MS, t_cut);
	rest = all & ~(1ull << out);
	expect_primary(&cl, rest, 1, "the rest after the cut");
	th_sleep_ms(HOLD_FAULT_MS);
	expect_no_churn(&cl, out, t_cut, cl_now(&cl), 1, 1, "the cut");
	net_heal();
	t_heal = cl_now(&cl);
	expect_view(&cl, all, all, HEAL_MS, t_heal, "healed: one network of all");
	expect_primary(&cl, all, 1, "healed");
	fx_finish(&cl);
}

static void cut_both(void)
{
	link_fault(4, 1, 2, 1, "cut both ways");
}

/* n1 -> n2 dropped: n1 hears n2, n2 does not hear n1. */
static void cut_one_way(void)
{
	link_fault(4, 1, 2, 0, "cut one way");
}

/* A clean split of n nodes into a majority {n0..} and a minority: the
 * majority side goes on as the primary network; the other side is never
 * primary; healed, one network. Reports the times asked for: split to each
 * side's status, heal to one stable network. */
static void split_n(int n)
{
	struct cluster cl;
	uint64_t all = cl_all(n), left = cl_all(n / 2 + 1), right = all & ~left;
	double t_cut, t_heal;
	int a, b;

	fx_begin(&cl, n, HOLD_STR);
	start_all(&cl);
	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++)
			if (((left >> a) & 1) && ((right >> b) & 1))
				net_set(a, b, 1, 1);
	net_apply();
	t_cut = cl_now(&cl);
	printf("  %.3f split %s | %s\n", t_cut, mtext(left), mtext(right));
	expect_view(&cl, left, left, REMOVE_MS, t_cut, "split -> the majority side stable on its own");
	expect_primary(&cl, left, 1, "the majority side");
	expect_view(&cl, right, right, REMOVE_MS, t_cut, "split -> the minority side stable on its own");
	expect_primary(&cl, right, 0, "the minority side");
	th_sleep_ms(HOLD_FAULT_MS);
	expect_primary(&cl, right, 0, "the minority side later");
	net_heal();
	t_heal = cl_now(&cl);
	expect_view(&cl, all, all, HEAL_MS, t_heal, "heal -> one stable network of all");
	expect_primary(&cl, all, 1, "healed");
	fx_finish(&cl);
}

static void split(void)
{
	split_n(5);
}

static void split8(void)
{
	split_n(8);
}

/* n0 (the lowest index, the usual proposer) cut from all three others. */
static void isolate(void)
{
	struct cluster cl;
	uint64_t all = cl_all(4), rest = 0xe;
	double t_cut, t_heal;
	int b;

	fx_begin(&cl, 4, HOLD_STR);
	start_all(&cl);
	for (b = 1; b < 4; b++)
		net_set(0, b, 1, 1);
	net_apply();
	t_cut = cl_now(&cl);
	printf("  %.3f n0 isolated from all\n", t_cut);
	expect_view(&cl, rest, rest, REMOVE_MS, t_cut, "the three others remove n0");
	expect_primary(&cl, rest, 1, "the three others");
	expect_view(&cl, 1, 1, REMOVE_MS, t_cut, "n0 alone");
	expect_primary(&cl, 1, 0, "n0 alone");
	th_sleep_ms(HOLD_FAULT_MS);
	expect_no_churn(&cl, 0, t_cut, cl_now(&cl), 1, 1, "the isolation");
	net_heal();
	t_heal = cl_now(&cl);
	expect_view(&cl, all, all, HEAL_MS, t_heal, "healed: one network of all");
	expect_primary(&cl, all, 1, "healed");
	fx_finish(&cl);
}

#define FLAP_PERIOD_MS	200
#define FLAP_SECONDS	30
#define CHURN_CHANGES	3	/* bound: view changes of a healthy node in a bad-link fault */
#define CHURN_UNSTABLE	3	/* bound: unstable episodes of a healthy node */
#define REJOIN_SLACK_MS	3000	/* bound: back this long after the hold-down ends (the
				 * link's redial back-off, the join) */

/*
 * The no-churn rule: n1<->n4 cut and restored every 200 ms for 30 s, with
 * the agent's default hold-down. n4 (the tie rule) is removed once and kept
 * out; the others stay in one stable view; once the link is steady n4 is
 * back after the hold-down and within HEAL_MS.
 */
static void flapping(void)
{
	struct cluster cl;
	uint64_t all = cl_all(5), rest = 0xf;
	double t0, t_end, t_back;
	int k, i;

	fx_begin(&cl, 5, NULL);
	start_all(&cl);
	t0 = cl_now(&cl);
	printf("  %.3f n1<->n4 cut and restored every %d ms for %d s\n", t0, FLAP_PERIOD_MS,
	       FLAP_SECONDS);
	fflush(stdout);
	for (k = 0; k < FLAP_SECONDS * 1000 / FLAP_PERIOD_MS; k++) {
		double at = t0 + k * FLAP_PERIOD_MS / 1000.0, now = cl_now(&cl);

		if (at > now)
			th_sleep_ms((unsigned int)((at - now) * 1000));
		net_set(1, 4, k % 2 == 0 ? 1 : 0, 1);
		net_apply();
	}
	net_heal();
	t_end = cl_now(&cl);
	printf("  %.3f link steady again (%d rule changes)\n", t_end, fx.applies);
	for (i = 0; i < 4; i++) {
		struct cl_rec r;

		if (!cl_latest(&cl, i, &r) || !r.stable || r.members != rest) {
			dump(&cl);
			FAIL("at the end of the flapping n%d is not stable in the view of %s", i,
			     mtext(rest));
		}
	}
	expect_no_churn(&cl, 4, t0, t_end, CHURN_CHANGES, CHURN_UNSTABLE,
			"30 s of flapping");
	expect_view(&cl, all, all, HEAL_MS, t_end, "steady: n4 back, one network of all");
	t_back = first_stable_with(&cl, 0, 4, t_end) - t_end;
	printf("  n4 back %.0f ms after the link became steady (hold-down %d ms, bound %d ms)\n",
	       t_back * 1000, DEFAULT_HOLD_MS, DEFAULT_HOLD_MS + REJOIN_SLACK_MS);
	fflush(stdout);
	if (t_back * 1000 < DEFAULT_HOLD_MS - 50 ||
	    t_back * 1000 > DEFAULT_HOLD_MS + REJOIN_SLACK_MS) {
		dump(&cl);
		print_slice(&cl, cl_all(5), t_end - 1, t_end + t_back + 0.5);
		FAIL("n4 rejoined %.0f ms after the link became steady: want between the "
		     "hold-down (%d ms) and the hold-down + %d ms", t_back * 1000,
		     DEFAULT_HOLD_MS, REJOIN_SLACK_MS);
	}
	fx_finish(&cl);
}

#define LOSS		0.8
#define LOSS_SECONDS	15

/* n1<->n3 loses 80% of its packets for 15 s: n3 removed at most once and
 * kept out; the others stay in one stable view. */
static void lossy(void)
{
	struct cluster cl;
	uint64_t all = cl_all(4);
	double t0, t_end;

	fx_begin(&cl, 4, NULL);
	start_all(&cl);
	net_set(1, 3, LOSS, 1);
	net_apply();
	t0 = cl_now(&cl);
	printf("  %.3f n1<->n3 drops %.0f%% of its packets for %d s\n", t0, LOSS * 100,
	       LOSS_SECONDS);
	fflush(stdout);
	th_sleep_ms(LOSS_SECONDS * 1000);
	net_heal();
	t_end = cl_now(&cl);
	expect_no_churn(&cl, 3, t0, t_end, CHURN_CHANGES, CHURN_UNSTABLE, "15 s of 80% loss");
	expect_view(&cl, all, all, HEAL_MS, t_end, "loss over: one network of all");
	expect_primary(&cl, all, 1, "loss over");
	fx_finish(&cl);
}

/* kill -9 of a member: removed at once (its links close); its restart
 * rejoins with a new incarnation. */
static void kill9(void)
{
	struct cluster cl;
	struct cl_rec before, after;
	double t;

	fx_begin(&cl, 4, HOLD_STR);
	start_all(&cl);
	CHECK(cl_latest(&cl, 2, &before));
	fx_kill9(2);
	t = cl_now(&cl);
	expect_view(&cl, 0xb, 0xb, REMOVE_MS, t, "kill -9 n2: the others remove it");
	th_sleep_ms(500);
	fx_start(2);
	t = cl_now(&cl);
	wait_new_life(2, before.gen);
	expect_view(&cl, 0xf, 0xf, HEAL_MS, t, "n2 restarted: one network of all");
	CHECK(cl_latest(&cl, 2, &after));
	CHECK(after.incarnation != before.incarnation);
	fx_finish(&cl);
}

/* SIGSTOP for 1 s: removed after the timeout; after SIGCONT it learns it
 * was removed and joins again after the hold-down. */
static void stop_cont(void)
{
	struct cluster cl;
	double t;

	fx_begin(&cl, 4, HOLD_STR);
	start_all(&cl);
	fx_stop(1);
	t = cl_now(&cl);
	expect_view(&cl, 0xd, 0xd, REMOVE_MS, t, "SIGSTOP n1: the others remove it");
	th_sleep_ms(1000);
	fx_cont(1);
	t = cl_now(&cl);
	expect_view(&cl, 0xf, 0xf, HEAL_MS, t, "SIGCONT n1: one network of all");
	fx_finish(&cl);
}

/* n3 restarted (SIGTERM, start) three times in a row: back each time. */
static void restart(void)
{
	struct cluster cl;
	double t;
	int k;

	fx_begin(&cl, 4, HOLD_STR);
	start_all(&cl);
	for (k = 0; k < 3; k++) {
		uint64_t gen = gen_of(3);

		fx_restart(3);
		t = cl_now(&cl);
		wait_new_life(3, gen);
		expect_view(&cl, 0xf, 0xf, HEAL_MS, t, "n3 restarted: one network of all");
		th_sleep_ms(300);
	}
	fx_finish(&cl);
}

/* ---- the soak ------------------------------------------------------------- */

enum {
	F_CUT, F_ONEWAY, F_SPLIT, F_FLAP, F_LOSSY, F_ISOLATE, F_KILL, F_STOP, F_RESTART, F_KINDS
};

static const char *const fkind_name[F_KINDS] = {
	"cut", "one-way cut", "split", "flapping link", "lossy link", "isolate", "kill -9",
	"SIGSTOP", "restart",
};

struct fault {
	int kind, a, b;		/* nodes (a: the node of process faults) */
	uint64_t side;		/* split: one side */
	double p;		/* lossy: share dropped */
	double t0, t1;		/* planned, seconds after the soak starts */
	int state;		/* 0 planned, 1 in place, 2 lifted */
};

#define SOAK_MAX_FAULTS	4096
#define SOAK_HEAL_MS	10000	/* bound: one network after everything is lifted */
#define SOAK_HOLD_MS	50	/* hold-down: at most 64 x 50 ms = 3.2 s */
#define SOAK_HOLD_STR	"50"

static uint64_t soak_rng;

static uint64_t rnd(void)
{
	/* splitmix64: a seed replays the same schedule */
	uint64_t z = (soak_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int rnd_node(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

/*
 * A schedule over secs seconds: a fault every 0.1..1.1 s while fewer than
 * two are in place, each for 0.2..3 s; process faults never overlap on one
 * node. Deterministic in the seed.
 */
static int soak_plan(struct fault *f, int n, double secs)
{
	double t = 0.5;
	int nf = 0, i;

	while (nf < SOAK_MAX_FAULTS) {
		struct fault x;
		int active = 0, busy = 0;
		double first_end = 1e9;

		t += 0.1 + rnd01();
		if (t > secs - 0.2)
			break;
		for (i = 0; i < nf; i++)
			if (f[i].t0 <= t && f[i].t1 > t) {
				active++;
				if (f[i].t1 < first_end)
					first_end = f[i].t1;
			}
		if (active >= 2) {
			t = first_end;
			continue;
		}
		memset(&x, 0, sizeof(x));
		x.kind = (int)(rnd() % F_KINDS);
		x.a = rnd_node(n);
		do
			x.b = rnd_node(n);
		while (x.b == x.a);
		do
			x.side = rnd() & cl_all(n);
		while (!x.side || x.side == cl_all(n));
		x.p = 0.5 + 0.45 * rnd01();
		x.t0 = t;
		x.t1 = t + 0.2 + 2.8 * rnd01();
		if (x.kind == F_RESTART)
			x.t1 = t + 0.2;
		if (x.t1 > secs)
			x.t1 = secs;
		if (x.kind >= F_KILL)
			for (i = 0; i < nf; i++)
				if (f[i].kind >= F_KILL && f[i].a == x.a && f[i].t0 <= t && f[i].t1 > t)
					busy = 1;
		if (busy)
			x.kind = F_CUT;
		f[nf++] = x;
	}
	return nf;
}

static void fault_text(const struct fault *x, char *buf, size_t len)
{
	switch (x->kind) {
	case F_CUT:
	case F_FLAP:
		snprintf(buf, len, "%s n%d<->n%d", fkind_name[x->kind], x->a, x->b);
		break;
	case F_ONEWAY:
		snprintf(buf, len, "%s n%d->n%d (n%d does not hear n%d)", fkind_name[x->kind], x->a,
			 x->b, x->b, x->a);
		break;
	case F_LOSSY:
		snprintf(buf, len, "%s n%d<->n%d %.0f%%", fkind_name[x->kind], x->a, x->b, x->p * 100);
		break;
	case F_SPLIT:
		snprintf(buf, len, "split %s | %s", mtext(x->side), mtext(~x->side & cl_all(fx.cl->n)));
		break;
	default:
		snprintf(buf, len, "%s n%d", fkind_name[x->kind], x->a);
		break;
	}
}

/* What the network faults in place want dropped, at time t of the soak. */
static void soak_net(const struct fault *f, int nf, int n, double t)
{
	int i, a, b;

	memset(fx.want, 0, sizeof(fx.want));
	for (i = 0; i < nf; i++) {
		const struct fault *x = &f[i];

		if (x->state != 1)
			continue;
		switch (x->kind) {
		case F_CUT:
			net_set(x->a, x->b, 1, 1);
			break;
		case F_ONEWAY:
			net_set(x->a, x->b, 1, 0);
			break;
		case F_FLAP:
			if ((int)((t - x->t0) * 1000 / FLAP_PERIOD_MS) % 2 == 0)
				net_set(x->a, x->b, 1, 1);
			break;
		case F_LOSSY:
			if (fx.want[x->a][x->b] < x->p)
				net_set(x->a, x->b, x->p, 1);
			break;
		case F_SPLIT:
			for (a = 0; a < n; a++)
				for (b = 0; b < n; b++)
					if (((x->side >> a) & 1) && !((x->side >> b) & 1))
						net_set(a, b, 1, 1);
			break;
		case F_ISOLATE:
			for (b = 0; b < n; b++)
				if (b != x->a)
					net_set(x->a, b, 1, 1);
			break;
		}
	}
}

static double soak_seconds = 60;
static uint64_t soak_seed;
static int soak_seed_given;

static void soak(void)
{
	static struct fault f[SOAK_MAX_FAULTS];
	struct cluster cl;
	double t0, t_lift;
	int n, nf, i, counts[F_KINDS] = { 0 };
	char what[128];

	soak_rng = soak_seed;
	n = 5 + (int)(rnd() % 4);
	nf = soak_plan(f, n, soak_seconds);
	printf("  soak: seed %llu, %d nodes, %.0f s, %d faults "
	       "(replay: faults soak --seed %llu --seconds %.0f)\n",
	       (unsigned long long)soak_seed, n, soak_seconds, nf, (unsigned long long)soak_seed,
	       soak_seconds);
	fflush(stdout);
	fx_begin(&cl, n, SOAK_HOLD_STR);
	start_all(&cl);
	t0 = cl_now(&cl);
	for (;;) {
		double t = cl_now(&cl) - t0;
		int left = 0;

		for (i = 0; i < nf; i++) {
			struct fault *x = &f[i];

			if (x->state == 0 && t >= x->t0) {
				x->state = 1;
				counts[x->kind]++;
				fault_text(x, what, sizeof(what));
				printf("  %8.3f + %s for %.2f s\n", cl_now(&cl), what, x->t1 - x->t0);
				if (x->kind == F_KILL)
					fx_kill9(x->a);
				else if (x->kind == F_STOP)
					fx_stop(x->a);
				else if (x->kind == F_RESTART)
					fx_restart(x->a);
			} else if (x->state == 1 && t >= x->t1) {
				x->state = 2;
				fault_text(x, what, sizeof(what));
				printf("  %8.3f - %s\n", cl_now(&cl), what);
				if (x->kind == F_KILL)
					fx_start(x->a);
				else if (x->kind == F_STOP)
					fx_cont(x->a);
			}
			left += x->state != 2;
		}
		soak_net(f, nf, n, t);
		net_apply_if_changed();
		fflush(stdout);
		if (!left)
			break;
		th_sleep_ms(5);
	}
	net_heal();
	for (i = 0; i < n; i++) {
		if (fx.stopped[i])
			fx_cont(i);
		if (cl.node[i].pid == 0)
			fx_start(i);
	}
	t_lift = cl_now(&cl);
	pthread_mutex_lock(&cl.mu);
	i = cl.nrec;
	pthread_mutex_unlock(&cl.mu);
	printf("  %8.3f everything lifted (%d rule changes, %d records so far)\n", t_lift,
	       fx.applies, i);
	for (i = 0; i < F_KINDS; i++)
		printf("%s%s %d", i ? ", " : "  faults applied: ", fkind_name[i], counts[i]);
	printf("\n");
	expect_view(&cl, cl_all(n), cl_all(n), SOAK_HEAL_MS, t_lift,
		    "soak over: one network of all");
	expect_primary(&cl, cl_all(n), 1, "soak over");
	fx_finish(&cl);
	printf("  soak seed %llu: passed\n", (unsigned long long)soak_seed);
}

/* ---- main -------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
	unsigned int limit_s;
} scenarios[] = {
	{ "cut_both", cut_both, 60 },
	{ "cut_one_way", cut_one_way, 60 },
	{ "split", split, 60 },
	{ "split8", split8, 60 },
	{ "isolate", isolate, 60 },
	{ "kill9", kill9, 60 },
	{ "stop_cont", stop_cont, 60 },
	{ "restart", restart, 60 },
	{ "flapping", flapping, 120 },
	{ "lossy", lossy, 90 },
	{ "soak", soak, 0 },
};

/* Run a command quietly; its exit status (or -1). */
static int run_quiet(const char *cmd)
{
	char buf[512];
	int st;

	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	st = system(buf);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* Into a network namespace of our own, with lo up and iptables usable:
 * every rule and every packet of the suite stays in there. */
static void enter_netns(void)
{
	if (geteuid() != 0)
		skip("faults: skipped: needs root for network namespaces and iptables");
	if (unshare(CLONE_NEWNET) < 0)
		skip("faults: skipped: cannot make a private network namespace (unshare: %s)",
		     strerror(errno));
	if (run_quiet("ip link set lo up") != 0)
		skip("faults: skipped: 'ip link set lo up' failed in the private namespace "
		     "(is iproute2 installed?)");
	if (run_quiet("iptables -F") != 0 || run_quiet("iptables-restore --version") != 0)
		skip("faults: skipped: iptables does not work in the private namespace "
		     "(is iptables installed?)");
}

int main(int argc, char **argv)
{
	const char *want[32];
	int i, j, nwant = 0, failed = 0, ran = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			soak_seconds = atof(argv[++i]);
			if (soak_seconds < 1)
				FAIL("--seconds: want at least 1");
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			soak_seed = strtoull(argv[++i], NULL, 0);
			soak_seed_given = 1;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: faults [SCENARIO...] [--seconds N] [--seed S]\n");
			return 1;
		} else if (nwant < 32) {
			want[nwant++] = argv[i];
		}
	}
	if (!soak_seed_given)
		soak_seed = th_now_ns() ^ ((uint64_t)getpid() << 32);
	for (j = 0; j < nwant; j++) {
		for (i = 0; i < (int)(sizeof(scenarios) / sizeof(scenarios[0])); i++)
			if (!strcmp(want[j], scenarios[i].name))
				break;
		if (i == (int)(sizeof(scenarios) / sizeof(scenarios[0]))) {
			fprintf(stderr, "faults: no scenario '%s'\n", want[j]);
			return 1;
		}
	}
	enter_netns();
	for (i = 0; i < (int)(sizeof(scenarios) / sizeof(scenarios[0])); i++) {
		int run = nwant == 0;

		for (j = 0; j < nwant; j++)
			run |= !strcmp(want[j], scenarios[i].name);
		if (!run)
			continue;
		ran++;
		failed += !cl_run_scenario(scenarios[i].name, scenarios[i].fn,
					   scenarios[i].limit_s ? scenarios[i].limit_s
								: (unsigned int)soak_seconds + 120);
		if (run_quiet("iptables -F") != 0)
			fprintf(stderr, "faults: iptables -F failed between scenarios\n");
	}
	printf("%d scenarios, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}
