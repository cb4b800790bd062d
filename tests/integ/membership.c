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

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "single", single },
	{ "start3", start3 },
	{ "start5_concurrent", start5_concurrent },
	{ "kill9_and_restart", kill9_and_restart },
	{ "sigstop_and_cont", sigstop_and_cont },
	{ "two_killed", two_killed },
	{ "join_during_removal", join_during_removal },
	{ "rolling_restart", rolling_restart },
};

int main(int argc, char **argv)
{
	int i, j, failed = 0, ran = 0;

	for (i = 0; i < (int)(sizeof(scenarios) / sizeof(scenarios[0])); i++) {
		int want = argc < 2, status;
		double t0;
		pid_t pid;

		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], scenarios[i].name);
		if (!want)
			continue;
		t0 = th_now_s();
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			alarm(120);
			scenarios[i].fn();
			exit(0);
		}
		waitpid(pid, &status, 0);
		ran++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok   %s (%.1f s)\n", scenarios[i].name, th_now_s() - t0);
		} else {
			printf("FAIL %s (%.1f s)\n", scenarios[i].name, th_now_s() - t0);
			failed++;
		}
		fflush(stdout);
	}
	printf("%d scenarios, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}
