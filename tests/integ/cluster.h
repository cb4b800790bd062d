/* Description: the multi-node test harness. Starts real fotosd processes on
 * loopback (each its own port, segment and control socket), records every
 * state and view each node publishes (read from its segment with libfotos,
 * woken by the futex), and checks the membership guarantees over the whole
 * history: agreement (same view id => same members), self-inclusion, and
 * convergence. On failure it prints the history and the agents' logs.
 *
 * Header-only; include after harness.h from one test program.
 */
#ifndef FOTOS_TEST_CLUSTER_H
#define FOTOS_TEST_CLUSTER_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fotos.h"
#include "harness.h"

#define CL_MAX		64
#ifndef CL_MAX_REC		/* a test may define a larger history first */
#define CL_MAX_REC	20000
#endif

struct cl_rec {
	double t;
	int node;
	uint64_t gen;		/* agent_start_ns: which life of the agent */
	uint64_t state, stable, epoch, view_id, members, incarnation;
	uint64_t primary;	/* 1 if it published itself as the primary network */
};

struct cl_node {
	pid_t pid;
	char name[16];
	char shm[64];
	char sock[160];
	char log[160];
	pthread_t thr;
	int running;		/* recorder thread started */
	struct cl_rec last;
	int have_last;
	uint64_t starts;
};

struct cluster {
	int n;
	unsigned int hb, to;
	int base_port;
	char dir[128];
	char conf[160];
	const char *fotosd;
	struct cl_node node[CL_MAX];
	pthread_mutex_t mu;
	struct cl_rec *rec;
	int nrec;
	int stop;		/* atomic: read by the recorder threads */
	double t0;
	/* set before cl_start(): */
	int per_node_ip;	/* node i on 127.0.0.(i+1) (private netns tests) */
	const char *extra[8];	/* more fotosd arguments, NULL-terminated */
	const char *log_level;	/* default "info" */
	int written_ip;
};

static inline double cl_now(const struct cluster *cl)
{
	return th_now_s() - cl->t0;
}

static inline uint64_t cl_all(int n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static struct cluster *cl_current;

/* A recorder thread: follow one node's segment through restarts. */
static void *cl_recorder(void *arg)
{
	struct cl_node *nd = arg;
	struct cluster *cl = NULL;
	struct fotos *h = NULL;
	struct fotos_cursor cur;
	int idx;

	cl = cl_current;
	idx = (int)(nd - cl->node);
	while (!__atomic_load_n(&cl->stop, __ATOMIC_ACQUIRE)) {
		struct fotos_status st;
		struct fotos_view v;
		struct fotos_info info;
		struct cl_rec r;
		int i, ret;

		if (!h) {
			if (fotos_open(nd->shm, &h) < 0) {
				h = NULL;
				th_sleep_ms(2);
				continue;
			}
			fotos_cursor_init(h, &cur);
		}
		if (fotos_read_status(h, &st) < 0 || fotos_read_view(h, &v) < 0 || fotos_check(h) < 0) {
			fotos_close(h);
			h = NULL;
			continue;
		}
		fotos_get_info(h, &info);
		memset(&r, 0, sizeof(r));
		r.t = cl_now(cl);
		r.node = idx;
		r.gen = info.agent_start_ns;
		r.state = st.state;
		r.stable = st.stable;
		r.primary = st.primary;
		r.epoch = st.epoch;
		r.view_id = st.view_id;
		r.incarnation = st.incarnation;
		/* the state words name the view; only trust a matching snapshot */
		if (v.view_id == st.view_id)
			for (i = 0; i < (int)v.count; i++)
				r.members |= 1ull << v.members[i].index;
		else
			r.view_id = ~0ull;	/* mid-publish: read again */
		if (r.view_id != ~0ull) {
			pthread_mutex_lock(&cl->mu);
			if (!nd->have_last || nd->last.state != r.state || nd->last.stable != r.stable ||
			    nd->last.primary != r.primary ||
			    nd->last.view_id != r.view_id || nd->last.gen != r.gen ||
			    nd->last.members != r.members) {
				if (cl->nrec < CL_MAX_REC)
					cl->rec[cl->nrec++] = r;
				nd->last = r;
				nd->have_last = 1;
			}
			pthread_mutex_unlock(&cl->mu);
		} else {
			continue;
		}
		ret = fotos_wait(h, &cur, FOTOS_EV_ALL, 50);
		if (ret == -ESTALE) {
			fotos_close(h);
			h = NULL;
		}
	}
	if (h)
		fotos_close(h);
	return NULL;
}

static inline void cl_write_conf(struct cluster *cl)
{
	FILE *f = fopen(cl->conf, "w");
	int i;

	CHECK(f != NULL);
	cl->written_ip = cl->per_node_ip + 1;
	fprintf(f, "[cluster]\nname = t%d\nheartbeat_ms = %u\ntimeout_ms = %u\n", (int)getpid(),
		cl->hb, cl->to);
	for (i = 0; i < cl->n; i++)
		fprintf(f, "\n[node %s]\naddress = 127.0.0.%d:%d\n", cl->node[i].name,
			cl->per_node_ip ? i + 1 : 1, cl->base_port + i);
	fclose(f);
}

/* End the agents of the current cluster, by pid, and remove their
 * segments (a killed agent leaves its own: nothing to learn from it).
 * Only async-signal-safe calls: the alarm handler uses it too. */
static void cl_kill_agents(void)
{
	struct cluster *cl = cl_current;
	int i;

	if (!cl)
		return;
	for (i = 0; i < cl->n; i++)
		if (cl->node[i].pid > 0) {
			kill(cl->node[i].pid, SIGCONT);
			kill(cl->node[i].pid, SIGKILL);
			waitpid(cl->node[i].pid, NULL, 0);
			cl->node[i].pid = 0;
		}
	for (i = 0; i < cl->n; i++)
		shm_unlink(cl->node[i].shm);
}

/* On any exit before cl_finish (a failed CHECK included): no failure leaves
 * a cluster running or memory taken; the logs stay for the post-mortem. */
static void cl_atexit(void)
{
	if (!cl_current)
		return;
	cl_kill_agents();
	fprintf(stderr, "agent logs kept in %s\n", cl_current->dir);
}

/* A scenario over its time limit (cl_run_scenario's alarm). */
static void cl_on_alarm(int sig)
{
	static const char msg[] = "scenario timed out: ending its agents\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	cl_kill_agents();
	_exit(1);
}

/* Prepare a cluster of n nodes with the given timings (nothing started). */
static inline void cl_init(struct cluster *cl, int n, unsigned int hb, unsigned int to)
{
	static int registered;
	int i;

	if (!registered) {
		atexit(cl_atexit);
		registered = 1;
	}
	signal(SIGALRM, cl_on_alarm);

	memset(cl, 0, sizeof(*cl));
	cl->n = n;
	cl->hb = hb;
	cl->to = to;
	cl->t0 = th_now_s();
	cl->fotosd = getenv("FOTOSD") ? getenv("FOTOSD") : "build/release/fotosd";
	/* ports from the pid so concurrent runs do not collide */
	/* Ports from the pid so concurrent runs do not collide, and below the
	 * kernel's ephemeral range (32768..) so that no agent's outgoing
	 * connection can hold a port another agent must listen on. */
	cl->base_port = 20000 + (int)(getpid() % 190) * 64;
	snprintf(cl->dir, sizeof(cl->dir), "/tmp/fotos-test-XXXXXX");
	CHECK(mkdtemp(cl->dir) != NULL);
	snprintf(cl->conf, sizeof(cl->conf), "%s/cluster.ini", cl->dir);
	for (i = 0; i < n; i++) {
		struct cl_node *nd = &cl->node[i];

		snprintf(nd->name, sizeof(nd->name), "n%d", i);
		snprintf(nd->shm, sizeof(nd->shm), "/fotos-t%d-n%d", (int)getpid(), i);
		snprintf(nd->sock, sizeof(nd->sock), "%s/n%d.sock", cl->dir, i);
		snprintf(nd->log, sizeof(nd->log), "%s/n%d.log", cl->dir, i);
	}
	pthread_mutex_init(&cl->mu, NULL);
	cl->rec = calloc(CL_MAX_REC, sizeof(*cl->rec));
	CHECK(cl->rec != NULL);
	cl_write_conf(cl);
	cl_current = cl;
}

/* Start (or restart) node i: a real fotosd process. */
static inline void cl_start(struct cluster *cl, int i)
{
	struct cl_node *nd = &cl->node[i];
	pid_t pid;

	CHECK(nd->pid == 0);
	if (cl->written_ip != cl->per_node_ip + 1)
		cl_write_conf(cl);	/* per_node_ip was set after cl_init */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		FILE *lf = fopen(nd->log, "a");
		const char *argv[32] = { "fotosd", "--config", cl->conf, "--node", nd->name,
					 "--shm", nd->shm, "--control", nd->sock, "--log-level",
					 cl->log_level ? cl->log_level : "info" };
		int k = 11, e;

		for (e = 0; e < 8 && cl->extra[e]; e++)
			argv[k++] = cl->extra[e];
		argv[k] = NULL;
		if (lf) {
			dup2(fileno(lf), 1);
			dup2(fileno(lf), 2);
		}
		execv(cl->fotosd, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", cl->fotosd, strerror(errno));
		_exit(127);
	}
	nd->pid = pid;
	nd->starts++;
	if (!nd->running) {
		CHECK(pthread_create(&nd->thr, NULL, cl_recorder, nd) == 0);
		nd->running = 1;
	}
}

static inline void cl_start_all(struct cluster *cl)
{
	int i;

	for (i = 0; i < cl->n; i++)
		cl_start(cl, i);
}

/* Send sig to node i; for SIGKILL/SIGTERM also reap it. */
static inline void cl_signal(struct cluster *cl, int i, int sig)
{
	struct cl_node *nd = &cl->node[i];

	CHECK(nd->pid > 0);
	kill(nd->pid, sig);
	if (sig == SIGKILL || sig == SIGTERM) {
		if (sig == SIGTERM && th_wait_pid(nd->pid, 5000) != 0)
			kill(nd->pid, SIGKILL);
		waitpid(nd->pid, NULL, 0);
		nd->pid = 0;
	}
}

/* The latest record of node i (under the lock). */
static inline int cl_latest(struct cluster *cl, int i, struct cl_rec *out)
{
	int ok;

	pthread_mutex_lock(&cl->mu);
	ok = cl->node[i].have_last;
	if (ok)
		*out = cl->node[i].last;
	pthread_mutex_unlock(&cl->mu);
	return ok;
}

/*
 * Wait until every node in nodes is stable in one view whose members are
 * exactly members. Returns the seconds it took, or -1 after timeout_ms.
 */
static inline double cl_wait_view(struct cluster *cl, uint64_t nodes, uint64_t members,
				  int timeout_ms)
{
	double t0 = th_now_s();

	for (;;) {
		uint64_t vid = 0;
		int i, ok = 1;

		for (i = 0; i < cl->n && ok; i++) {
			struct cl_rec r;

			if (!(nodes & (1ull << i)))
				continue;
			if (!cl_latest(cl, i, &r) || r.gen == 0 || !r.stable || r.members != members ||
			    (vid && r.view_id != vid) || cl->node[i].pid == 0) {
				ok = 0;
				break;
			}
			vid = r.view_id;
		}
		if (ok)
			return th_now_s() - t0;
		if ((th_now_s() - t0) * 1000 > timeout_ms)
			return -1;
		th_sleep_ms(1);
	}
}

static inline void cl_print_members(uint64_t m, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < 64 && off + 5 < len; i++)
		if (m & (1ull << i))
			off += (size_t)snprintf(buf + off, len - off, "%sn%d", off ? "," : "", i);
	if (!off)
		snprintf(buf, len, "-");
}

static inline void cl_dump(struct cluster *cl)
{
	char mb[256], cmd[400];
	int i;

	fprintf(stderr, "---- history (%d records) ----\n", cl->nrec);
	for (i = 0; i < cl->nrec; i++) {
		const struct cl_rec *r = &cl->rec[i];

		cl_print_members(r->members, mb, sizeof(mb));
		fprintf(stderr, "%8.3f n%d gen %llx %-8s stable %d%s epoch %llu view %016llx members %s\n",
			r->t, r->node, (unsigned long long)(r->gen % 0x10000),
			fotos_state_name(r->state), (int)r->stable, r->primary ? " primary" : "",
			(unsigned long long)r->epoch,
			(unsigned long long)r->view_id, mb);
	}
	for (i = 0; i < cl->n; i++) {
		fprintf(stderr, "---- log of n%d (last 40 lines) ----\n", i);
		snprintf(cmd, sizeof(cmd), "tail -n 40 %s 1>&2", cl->node[i].log);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
	}
}

/*
 * The guarantees over the whole history: every two records with the same
 * view id have the same members; an operational record includes its own
 * node; epochs of one network's views never go backwards on a node's life.
 * Returns 0, or prints the offending records and the history and fails.
 */
static inline void cl_check_history(struct cluster *cl)
{
	int i, j, bad = 0;

	pthread_mutex_lock(&cl->mu);
	for (i = 0; i < cl->nrec && bad < 5; i++) {
		const struct cl_rec *r = &cl->rec[i];
		int op = r->state == FOTOS_STABLE || r->state == FOTOS_UNSTABLE;

		if (op && (!(r->members & (1ull << r->node)) || r->epoch == 0 || r->view_id == 0)) {
			fprintf(stderr, "SELF-INCLUSION broken: n%d at %.3f publishes an operational "
				"view without itself\n", r->node, r->t);
			bad++;
		}
		if (!op && r->view_id)
			continue;
		for (j = i + 1; j < cl->nrec && r->view_id; j++) {
			const struct cl_rec *q = &cl->rec[j];

			if (q->view_id == r->view_id && q->members != r->members) {
				fprintf(stderr, "AGREEMENT broken: view %016llx is %llx on n%d at %.3f "
					"but %llx on n%d at %.3f\n", (unsigned long long)r->view_id,
					(unsigned long long)r->members, r->node, r->t,
					(unsigned long long)q->members, q->node, q->t);
				bad++;
				break;
			}
		}
	}
	pthread_mutex_unlock(&cl->mu);
	if (bad) {
		cl_dump(cl);
		FAIL("membership guarantees broken (see above)");
	}
}

/* Stop everything; check the history; remove the directory. */
static inline void cl_finish(struct cluster *cl)
{
	char cmd[200];
	int i;

	for (i = 0; i < cl->n; i++)
		if (cl->node[i].pid > 0) {
			kill(cl->node[i].pid, SIGCONT);
			cl_signal(cl, i, SIGTERM);
		}
	__atomic_store_n(&cl->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < cl->n; i++)
		if (cl->node[i].running)
			pthread_join(cl->node[i].thr, NULL);
	cl_check_history(cl);
	for (i = 0; i < cl->n; i++)
		shm_unlink(cl->node[i].shm);
	if (cl_current == cl)
		cl_current = NULL;	/* it lives on a stack that is about to go */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", cl->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", cl->dir);
	free(cl->rec);
}

/*
 * Run one scenario in a child process bounded by limit_s seconds (it dies
 * with its parent), print "ok NAME" or "FAIL NAME" with the time it took.
 * Returns 1 if it passed, 0 if not. Every multi-node test's main uses it.
 */
static inline int cl_run_scenario(const char *name, void (*fn)(void), unsigned int limit_s)
{
	double t0 = th_now_s();
	int status, ok;
	pid_t pid;

	printf("%s\n", name);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(limit_s);
		fn();
		exit(0);
	}
	waitpid(pid, &status, 0);
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	printf("%s %s (%.1f s)\n", ok ? "ok  " : "FAIL", name, th_now_s() - t0);
	fflush(stdout);
	return ok;
}

/* A named scenario of a multi-node test and its time limit (0: 120 s). */
struct cl_scenario {
	const char *name;
	void (*fn)(void);
	unsigned int limit_s;
};

/*
 * The main of a multi-node test: run the scenarios named on the command
 * line (all without arguments), each through cl_run_scenario, and sum up.
 * An unknown name prints the usage and runs nothing. Exit status 0 or 1.
 */
static inline int cl_main(int argc, char **argv, const struct cl_scenario *sc, int n)
{
	int i, j, failed = 0, ran = 0;

	for (j = 1; j < argc; j++) {
		for (i = 0; i < n && strcmp(argv[j], sc[i].name); i++)
			;
		if (i < n)
			continue;
		fprintf(stderr, "usage: %s [SCENARIO]... (", argv[0]);
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", sc[i].name);
		fprintf(stderr, ")\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		int run = argc == 1;

		for (j = 1; j < argc; j++)
			run |= !strcmp(argv[j], sc[i].name);
		if (!run)
			continue;
		ran++;
		failed += !cl_run_scenario(sc[i].name, sc[i].fn, sc[i].limit_s ? sc[i].limit_s : 120);
	}
	printf("%d scenarios, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}

/* Fail with the history if a wait did not converge. */
#define CL_EXPECT(cl, secs, what) do {					\
	if ((secs) < 0) {						\
		cl_dump(cl);						\
		FAIL("%s: did not converge in time", what);		\
	}								\
} while (0)

#endif
