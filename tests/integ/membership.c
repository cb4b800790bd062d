/* Description: the FOTOS procedures between real fotosd processes on
 * loopback, checked through their segments: network start of 1, 3 and 5
 * nodes (also all at once), removal after kill -9, rejoin after a restart
 * with a new incarnation, removal after SIGSTOP and rejoin after SIGCONT
 * (10 ms heartbeat, 50 ms timeout), two members killed at once, a node
 * joining while another is removed. Every scenario records every view each
 * node publishes and checks agreement and self-inclusion over the run.
 *
 * usage: membership [SCENARIO...]   (no argument: all)
 */
#include <sys/stat.h>

#include "cluster.h"

static void single(void)
{
	struct cluster cl;

	cl_init(&cl, 1, 100, 500);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 1, 1, 5000), "a lone node publishes a one-node view");
	cl_finish(&cl);
}

static void start3(void)
{
	struct cluster cl;

	cl_init(&cl, 3, 100, 500);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "3 nodes start and agree");
	cl_finish(&cl);
}

/* All five at once: one network, not several. */
static void start5_concurrent(void)
{
	struct cluster cl;
	double t;

	cl_init(&cl, 5, 50, 250);
	cl_start_all(&cl);
	t = cl_wait_view(&cl, 0x1f, 0x1f, 5000);
	CL_EXPECT(&cl, t, "5 nodes started together form one network");
	printf("  5-node concurrent start: one network after %.1f ms\n", t * 1000);
	cl_finish(&cl);
}

/* kill -9 of a member: removed by all the others; its restart rejoins with a
 * new incarnation. */
static void kill9_and_restart(void)
{
	struct cluster cl;
	struct cl_rec before, after;
	double t;

	cl_init(&cl, 3, 100, 500);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "start");
	CHECK(cl_latest(&cl, 2, &before));
	cl_signal(&cl, 2, SIGKILL);
	t = cl_wait_view(&cl, 3, 3, 2000);
	CL_EXPECT(&cl, t, "survivors remove the killed node");
	/* a closed link is seen at once: far below the 500 ms timeout */
	printf("  kill -9 to new view on both survivors: %.2f ms\n", t * 1000);
	CHECK_LT(t * 1000, 400);
	cl_start(&cl, 2);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "restarted node rejoins");
	CHECK(cl_latest(&cl, 2, &after));
	CHECK(after.incarnation != before.incarnation);
	cl_finish(&cl);
}

/* A silent failure with the fast timings: removed after the timeout; after
 * SIGCONT it learns it was removed and joins again. */
static void sigstop_and_cont(void)
{
	struct cluster cl;
	double t;

	cl_init(&cl, 3, 10, 50);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "start");
	th_sleep_ms(200);
	kill(cl.node[1].pid, SIGSTOP);
	t = cl_wait_view(&cl, 5, 5, 2000);
	CL_EXPECT(&cl, t, "survivors remove the stopped node");
	printf("  SIGSTOP to new view (10/50 ms timings): %.1f ms\n", t * 1000);
	th_sleep_ms(300);
	kill(cl.node[1].pid, SIGCONT);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "the stopped node rejoins after SIGCONT");
	cl_finish(&cl);
}

static void two_killed(void)
{
	struct cluster cl;

	cl_init(&cl, 5, 100, 500);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x1f, 0x1f, 5000), "start");
	kill(cl.node[1].pid, SIGKILL);
	kill(cl.node[3].pid, SIGKILL);
	cl_signal(&cl, 1, SIGKILL);
	cl_signal(&cl, 3, SIGKILL);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x15, 0x15, 3000), "two killed at once are removed");
	cl_finish(&cl);
}

/* n4 starts while n3 is being removed: one procedure at a time, both end. */
static void join_during_removal(void)
{
	struct cluster cl;
	int i;

	cl_init(&cl, 5, 100, 500);
	for (i = 0; i < 4; i++)
		cl_start(&cl, i);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0xf, 0xf, 5000), "start of four");
	cl_signal(&cl, 3, SIGKILL);
	cl_start(&cl, 4);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x17, 0x17, 5000), "the join and the removal both end");
	cl_finish(&cl);
}

/* The whole cluster restarted node by node ends in one network again. */
static void rolling_restart(void)
{
	struct cluster cl;
	int i;

	cl_init(&cl, 4, 50, 250);
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0xf, 0xf, 5000), "start");
	for (i = 0; i < 4; i++) {
		cl_signal(&cl, i, SIGTERM);
		CL_EXPECT(&cl, cl_wait_view(&cl, 0xf & ~(1ull << i), 0xf & ~(1ull << i), 3000),
			  "the others remove a stopped node");
		cl_start(&cl, i);
		CL_EXPECT(&cl, cl_wait_view(&cl, 0xf, 0xf, 5000), "it rejoins");
	}
	cl_finish(&cl);
}

/* Wait until every node in nodes publishes primary == want. */
static int wait_primary(struct cluster *cl, uint64_t nodes, int want, int timeout_ms)
{
	double t0 = th_now_s();

	while ((th_now_s() - t0) * 1000 < timeout_ms) {
		int i, ok = 1;

		for (i = 0; i < cl->n; i++) {
			struct cl_rec r;

			if ((nodes & (1ull << i)) && (!cl_latest(cl, i, &r) || (int)r.primary != want))
				ok = 0;
		}
		if (ok)
			return 0;
		th_sleep_ms(2);
	}
	cl_dump(cl);
	return -1;
}

/* arbiter = command: a program decides; here: primary while n0 is a member. */
static void arbiter_command(void)
{
	struct cluster cl;
	char script[200], spec[260];
	FILE *f;

	cl_init(&cl, 3, 20, 100);
	snprintf(script, sizeof(script), "%s/arbiter.sh", cl.dir);
	f = fopen(script, "w");
	CHECK(f != NULL);
	fprintf(f, "#!/bin/sh\ncase \",$FOTOS_MEMBERS,\" in *,n0,*) exit 0;; esac\nexit 1\n");
	fclose(f);
	CHECK(chmod(script, 0755) == 0);
	snprintf(spec, sizeof(spec), "command %s", script);
	cl.extra[0] = "--arbiter";
	cl.extra[1] = spec;
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "start");
	CHECK(wait_primary(&cl, 7, 1, 3000) == 0);
	cl_signal(&cl, 0, SIGKILL);
	CL_EXPECT(&cl, cl_wait_view(&cl, 6, 6, 3000), "removal of n0");
	CHECK(wait_primary(&cl, 6, 0, 3000) == 0);	/* the command says no */
	cl_start(&cl, 0);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "n0 back");
	CHECK(wait_primary(&cl, 7, 1, 3000) == 0);
	cl_finish(&cl);
}

/* arbiter = static-quorum 3 of 4: one node lost keeps the primary, two do not. */
static void arbiter_quorum(void)
{
	struct cluster cl;

	cl_init(&cl, 4, 20, 100);
	cl.extra[0] = "--arbiter";
	cl.extra[1] = "static-quorum 3";
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0xf, 0xf, 5000), "start");
	CHECK(wait_primary(&cl, 0xf, 1, 3000) == 0);
	cl_signal(&cl, 3, SIGKILL);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 3000), "one lost");
	CHECK(wait_primary(&cl, 7, 1, 3000) == 0);
	cl_signal(&cl, 2, SIGKILL);
	CL_EXPECT(&cl, cl_wait_view(&cl, 3, 3, 3000), "two lost");
	CHECK(wait_primary(&cl, 3, 0, 3000) == 0);
	cl_finish(&cl);
}

/* Bad arbiter settings are refused at start with a clear error. */
static void arbiter_bad_config(void)
{
	static const char *const bad[] = {
		"command /nonexistent/arbiter", "static-quorum 9", "static-quorum x",
		"majority tie-break=nobody", "majority sometimes", "oracle",
	};
	struct cluster cl;
	unsigned int i;

	cl_init(&cl, 2, 20, 100);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[600], out[400] = "";
		FILE *p;
		int st;

		snprintf(cmd, sizeof(cmd), "%s --config %s --node n0 --shm /fotos-bad-%d "
			 "--control %s/bad.sock --arbiter '%s' 2>&1", cl.fotosd, cl.conf,
			 (int)getpid(), cl.dir, bad[i]);
		p = popen(cmd, "r");
		CHECK(p != NULL);
		if (!fgets(out, sizeof(out), p))
			out[0] = 0;
		st = pclose(p);
		if (!WIFEXITED(st) || WEXITSTATUS(st) == 0 || !strstr(out, "arbiter"))
			FAIL("--arbiter '%s' was not refused clearly (exit %d): %s", bad[i],
			     WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
		printf("  refused: %s", out);
	}
	cl_finish(&cl);
}

static const struct cl_scenario scenarios[] = {
	{ "single", single },
	{ "start3", start3 },
	{ "start5_concurrent", start5_concurrent },
	{ "kill9_and_restart", kill9_and_restart },
	{ "sigstop_and_cont", sigstop_and_cont },
	{ "two_killed", two_killed },
	{ "join_during_removal", join_during_removal },
	{ "rolling_restart", rolling_restart },
	{ "arbiter_command", arbiter_command },
	{ "arbiter_quorum", arbiter_quorum },
	{ "arbiter_bad_config", arbiter_bad_config },
};

int main(int argc, char **argv)
{
	return cl_main(argc, argv, scenarios, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
}
