/*
 * bench_txn.c - what a transaction and a rendezvous cost on 3 fotosd
 * processes on loopback, against a bare loopback TCP round trip measured
 * in the same run.
 *
 *   txn   fotos_txn of 10 puts (16-byte keys, 64-byte values) through n0,
 *         from the call until it returns committed (the coordinator has
 *         every member's yes and has applied); and until the last write is
 *         readable in every node's segment (polled from this process).
 *         Target: the median within 5 TCP round trips.
 *   rdv   one participant on each node (its own handle), arriving 2 ms
 *         apart, the last one a different node each round: from the last
 *         call of fotos_rendezvous until every participant is released.
 *         Target: the median within 3 TCP round trips.
 *
 * Ports, names and clean-up as bench_db.c ($FOTOSD names the agent).
 * stdout: markdown tables; stderr: progress. Usage: bench_txn [--quick]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "fotos.h"

#define NMAX		3
#define NOPS		10
#define VLEN		64
#define MS		1000000ull

#define BENCH_TAG	"btx"
#define BENCH_PROG	"bench_txn"
#include "agents.h"


/* Poll h until key reads val (zero system calls); the time, or 0 at deadline. */
static uint64_t wait_visible(struct fotos *h, const char *key, const uint8_t *val,
			     uint64_t deadline)
{
	uint8_t got[VLEN];

	for (;;) {
		int ret = fotos_get(h, key, strlen(key), got, sizeof(got), NULL);
		uint64_t t = bench_now_ns();

		if (ret == VLEN && !memcmp(got, val, VLEN))
			return t;
		if (t > deadline)
			return 0;
	}
}

static int bench_txn_latency(struct fotos **h, int rounds, struct bench_samples *txn,
			     struct bench_samples *vis)
{
	struct fotos_txn_op ops[NOPS];
	char keys[NOPS][16];
	uint8_t vals[NOPS][VLEN];
	struct fotos_txn_result res;
	int i, k, n, lost = 0;

	samples_init(txn, "fotos_txn 10 puts, 3 nodes, until committed");
	samples_init(vis, "fotos_txn 10 puts, until the last is on all 3 segments");
	for (i = -rounds / 10; i < rounds; i++) {
		uint64_t t0, t1, last = 0, deadline;

		memset(ops, 0, sizeof(ops));
		for (k = 0; k < NOPS; k++) {
			snprintf(keys[k], sizeof(keys[k]), "tx:%04d:%02d", (i + rounds) % 100, k);
			memset(vals[k], 'a' + (i & 15), VLEN);
			memcpy(vals[k], &i, sizeof(i));
			ops[k].key = keys[k];
			ops[k].klen = strlen(keys[k]);
			ops[k].val = vals[k];
			ops[k].vlen = VLEN;
		}
		t0 = bench_now_ns();
		n = fotos_txn(h[0], ops, NOPS, &res, 5000);
		t1 = bench_now_ns();
		if (n < 0) {
			fprintf(stderr, "bench_txn: fotos_txn: %s (%s)\n", fotos_strerror(n), res.detail);
			return n;
		}
		deadline = t1 + 2000 * MS;
		for (k = 0; k < 3 && last != UINT64_MAX; k++) {
			uint64_t t = wait_visible(h[k], keys[NOPS - 1], vals[NOPS - 1], deadline);

			last = t ? (t > last ? t : last) : UINT64_MAX;
		}
		if (i < 0)
			continue;
		samples_add(txn, (double)(t1 - t0));
		if (last == UINT64_MAX)
			lost++;
		else
			samples_add(vis, (double)(last - t0));
	}
	if (lost)
		fprintf(stderr, "bench_txn: %d transactions not visible everywhere within 2 s\n", lost);
	return 0;
}

struct rdv_arg {
	struct fotos *h;
	pthread_barrier_t *go;
	uint64_t delay_ns;
	uint64_t called, done;
	int ret;
};

static void *rdv_main(void *p)
{
	struct rdv_arg *r = p;
	struct fotos_txn_result res;

	pthread_barrier_wait(r->go);
	bench_sleep_ns(r->delay_ns);
	r->called = bench_now_ns();
	r->ret = fotos_rendezvous(r->h, "bench", 5000, &res);
	r->done = bench_now_ns();
	if (r->ret)
		fprintf(stderr, "bench_txn: rendezvous: %s (%s)\n", fotos_strerror(r->ret), res.detail);
	return NULL;
}

static int bench_rdv_latency(struct fotos **own, int rounds, struct bench_samples *s)
{
	struct rdv_arg a[3];
	pthread_barrier_t go;
	pthread_t thr[3];
	int i, k;

	samples_init(s, "rendezvous 3 nodes, last arrival to all released");
	for (i = -rounds / 10; i < rounds; i++) {
		uint64_t last = 0, done = 0;

		pthread_barrier_init(&go, NULL, 3);
		for (k = 0; k < 3; k++) {
			a[k].h = own[k];
			a[k].go = &go;
			/* node (i mod 3) arrives last, the others 2 and 4 ms before */
			a[k].delay_ns = (uint64_t)((k - (i + 3) % 3 + 3) % 3) * 2 * MS;
			if (k == (i + 3) % 3)
				a[k].delay_ns = 6 * MS;
			pthread_create(&thr[k], NULL, rdv_main, &a[k]);
		}
		for (k = 0; k < 3; k++)
			pthread_join(thr[k], NULL);
		pthread_barrier_destroy(&go);
		for (k = 0; k < 3; k++) {
			if (a[k].ret)
				return a[k].ret;
			last = a[k].called > last ? a[k].called : last;
			done = a[k].done > done ? a[k].done : done;
		}
		if (i >= 0)
			samples_add(s, (double)(done - last));
	}
	return 0;
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv), ret, rc = 1, i;
	struct bench_samples tcp_rtt, txn, vis, rdv;
	struct fotos *h[NMAX], *own[NMAX] = { NULL };

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quick")) {
			fprintf(stderr, "usage: bench_txn [--quick]\n");
			return 2;
		}
	g_fotosd = getenv("FOTOSD");
	if (!g_fotosd || !*g_fotosd)
		g_fotosd = "build/release/fotosd";
	if (access(g_fotosd, X_OK) < 0) {
		fprintf(stderr, "bench_txn: no agent at %s (set $FOTOSD): skipped\n", g_fotosd);
		return 77;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	ret = names_init();
	if (ret < 0) {
		fprintf(stderr, "bench_txn: cannot set up %s: %s\n", g_dir, strerror(-ret));
		return 1;
	}
	baseline_tcp(quick ? 2000 : 20000, &tcp_rtt);
	ret = cluster_start(3, h);
	if (ret < 0)
		goto out;
	for (i = 0; i < 3; i++)
		if (fotos_open(g_shm[i], &own[i]) < 0)
			goto out;
	fprintf(stderr, "bench_txn: transactions\n");
	if (bench_txn_latency(h, quick ? 200 : 2000, &txn, &vis) < 0)
		goto out;
	fprintf(stderr, "bench_txn: rendezvous\n");
	if (bench_rdv_latency(own, quick ? 50 : 400, &rdv) < 0)
		goto out;
	printf("### Transactions and rendezvous: 3 agents on loopback\n\n");
	bench_header();
	bench_row(&tcp_rtt, NULL);
	bench_row(&txn, &tcp_rtt);
	bench_row(&vis, &tcp_rtt);
	bench_row(&rdv, &tcp_rtt);
	samples_dump(&tcp_rtt, "txn");
	samples_dump(&txn, "txn");
	samples_dump(&vis, "txn");
	samples_dump(&rdv, "txn");
	printf("\nTargets: a 10-write transaction within 5 TCP RTTs: %s (%.2f RTTs); a rendezvous "
	       "within 3 TCP RTTs of the last arrival: %s (%.2f RTTs).\n\n",
	       samples_median(&txn) <= 5 * samples_median(&tcp_rtt) ? "met" : "MISSED",
	       samples_median(&txn) / samples_median(&tcp_rtt),
	       samples_median(&rdv) <= 3 * samples_median(&tcp_rtt) ? "met" : "MISSED",
	       samples_median(&rdv) / samples_median(&tcp_rtt));
	fflush(stdout);
	rc = 0;
out:
	for (i = 0; i < 3; i++)
		if (own[i])
			fotos_close(own[i]);
	cluster_stop(3, h);
	return rc;
}
