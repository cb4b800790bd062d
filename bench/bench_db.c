/*
 * bench_db.c - what the replicated database costs: reads, writes,
 * replication and throughput, against bare baselines measured in the same
 * run, with real fotosd processes on loopback.
 *
 *   read      fotos_get of a 64-byte value among 100,000 keys (one agent,
 *             --db-max-keys 200000 --db-max-key 32 --db-max-value 64,
 *             loaded with fotos_batch), random keys, batches of calls timed
 *             and divided; beside a bare 64-byte seqlock read (as in
 *             bench_read.c). Then the same while a second process rewrites
 *             random keys with fotos_batch back to back.
 *   put       on a 3-node cluster: fotos_put acknowledged locally, beside a
 *             bare Unix-socket 64-byte round trip (target: within 1.5x);
 *             fotos_put with FOTOS_PUT_ACK_ALL, and "visible on all 3": from
 *             the start of fotos_put until fotos_get on every node's segment
 *             (polled from this process, zero system calls) returns the new
 *             value, beside a loopback TCP round trip (target: within 3).
 *   batch     sustained fotos_batch (500 puts a call) into the 3-node cluster
 *             until every node holds the last write (target >= 200,000
 *             puts/s), with the time to convergence.
 *
 * Ports 21000-31999 picked from the pid (below the ephemeral range),
 * segments /fotos-bdb-<pid>-n<i>, control sockets, config and logs in a
 * temporary directory; every agent this program started is killed by pid
 * and every name removed at exit, also on SIGINT/SIGTERM/SIGHUP; agents die
 * with it (PR_SET_PDEATHSIG). $FOTOSD names the agent (build/release/fotosd).
 *
 * stdout: markdown tables; stderr: progress. Usage: bench_db [--quick]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "fotos.h"
#include "seqlock.h"

#define NMAX		3
#define NKEYS		100000
#define VLEN		64
#define BATCH		1000		/* reads per timed sample */
#define PUT_BATCH	500		/* puts per fotos_batch call */
#define MS		1000000ull

#define BENCH_TAG	"bdb"
#define BENCH_PROG	"bench_db"
#define BENCH_AGENT_ARGS "--db-max-keys", "200000", "--db-max-key", "32", "--db-max-value", "64",
#include "agents.h"

/* CPU time (user + system) of process pid so far, in seconds; 0 if unknown. */
static double cpu_secs(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* the name may hold spaces */
	for (i = 0; p && i < 12; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- keys and values ---------------------------------------------------- */

static char (*g_keys)[16];	/* "key:000042" */
static size_t g_klen[NKEYS];

static void keys_init(const char *prefix)
{
	int i;

	for (i = 0; i < NKEYS; i++)
		g_klen[i] = (size_t)snprintf(g_keys[i], sizeof(g_keys[i]), "%s%06d", prefix, i);
}

/* A 64-byte value that names its key and a sequence number. */
static void make_value(uint8_t *v, int key, uint64_t seq)
{
	memset(v, 'v', VLEN);
	snprintf((char *)v, VLEN, "k%06d s%016llx", key, (unsigned long long)seq);
	v[strlen((char *)v)] = '.';
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * Write keys [0, NKEYS) with seq through h in calls of PUT_BATCH ops,
 * count passes. Returns the seconds spent in fotos_batch, or < 0.
 */
static double load(struct fotos *h, int passes, uint64_t seq0)
{
	static uint8_t vals[PUT_BATCH][VLEN];
	struct fotos_op ops[PUT_BATCH];
	struct fotos_put_result res;
	uint64_t t0 = bench_now_ns();
	int p, i, k, ret;

	for (p = 0; p < passes; p++)
		for (i = 0; i < NKEYS; i += PUT_BATCH) {
			int n = NKEYS - i < PUT_BATCH ? NKEYS - i : PUT_BATCH;

			for (k = 0; k < n; k++) {
				make_value(vals[k], i + k, seq0 + (uint64_t)p);
				ops[k] = (struct fotos_op){ 0, g_keys[i + k], g_klen[i + k], vals[k],
							    VLEN };
			}
			ret = fotos_batch(h, ops, (size_t)n, &res, 10000);
			if (ret < 0) {
				fprintf(stderr, "bench_db: fotos_batch: %s (%s)\n", fotos_strerror(ret),
					res.detail);
				return -1;
			}
		}
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* ---- baselines ---------------------------------------------------------- */

/* 64 bytes under a seqlock, own cache lines (as in bench_read.c). */
struct bare_seqlock {
	_Alignas(64) _Atomic uint64_t seq;
	_Alignas(64) _Atomic uint64_t w[8];
};

static int bare_read(const struct bare_seqlock *r, uint64_t out[8])
{
	unsigned int i, k;

	for (i = 0; i < FOTOS_READ_SPINS; i++) {
		uint64_t s0, tmp[8];

		/* Pairs with bare_write's final release store. */
		s0 = atomic_load_explicit(&r->seq, memory_order_acquire);
		if (s0 & 1) {
			fotos_cpu_relax();
			continue;
		}
		for (k = 0; k < 8; k++)
			tmp[k] = atomic_load_explicit(&r->w[k], memory_order_relaxed);
		/* Keeps the loads above the re-check; pairs with the writer's
		 * release fence after the odd store. */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&r->seq, memory_order_relaxed) == s0) {
			memcpy(out, tmp, sizeof(tmp));
			return 0;
		}
	}
	return -EAGAIN;
}

static void bare_write(struct bare_seqlock *r, uint64_t v)
{
	uint64_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);
	unsigned int k;

	atomic_store_explicit(&r->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);	/* pairs with the reader's acquire fence */
	for (k = 0; k < 8; k++)
		atomic_store_explicit(&r->w[k], v + k, memory_order_relaxed);
	atomic_store_explicit(&r->seq, s + 2, memory_order_release);	/* pairs with acquire of s0 */
}

static void baseline_unix(int rounds, struct bench_samples *s)
{
	int sv[2];
	pid_t pid;

	samples_init(s, "bare Unix socket RTT 64 B");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		echo(sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return;
	}
	g_pids[NMAX] = pid;
	rtt_samples(sv[0], pid, rounds, s);
}

/* ---- reads -------------------------------------------------------------- */

struct shared {
	_Atomic int stop;
	_Atomic int running;
	_Atomic uint64_t writes;
	struct bare_seqlock bare;
};

/* The rewriting process: random keys, PUT_BATCH at a time, until stop. */
static void rewriter(struct shared *sh)
{
	static uint8_t vals[PUT_BATCH][VLEN];
	struct fotos_op ops[PUT_BATCH];
	struct fotos *h;
	uint64_t rnd = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid(), seq = 1000;
	int k, ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	bench_pin(1);
	ret = fotos_open(g_shm[0], &h);
	if (ret < 0) {
		fprintf(stderr, "bench_db: rewriter: fotos_open: %s\n", fotos_strerror(ret));
		_exit(1);
	}
	atomic_store(&sh->running, 1);
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		seq++;
		for (k = 0; k < PUT_BATCH; k++) {
			int key = (int)(xorshift(&rnd) % NKEYS);

			make_value(vals[k], key, seq);
			ops[k] = (struct fotos_op){ 0, g_keys[key], g_klen[key], vals[k], VLEN };
		}
		ret = fotos_batch(h, ops, PUT_BATCH, NULL, 10000);
		if (ret < 0) {
			fprintf(stderr, "bench_db: rewriter: fotos_batch: %s\n", fotos_strerror(ret));
			break;
		}
		atomic_fetch_add_explicit(&sh->writes, PUT_BATCH, memory_order_relaxed);
	}
	fotos_close(h);
	_exit(0);
}

/* The baseline of a random read: 100k bare seqlocks (12.8 MB, own lines). */
static struct bare_seqlock *g_bare_tab;

struct readrun {
	struct bench_samples bare, barernd, hot, rnd;
	uint64_t errors, misses;
};

static void measure_reads(struct fotos *h, struct shared *sh, unsigned int reps,
			  struct readrun *r, const char *suffix)
{
	static uint32_t idx[1 << 16];
	uint8_t val[VLEN];
	uint64_t out[8] = { 0 }, sum = 0, rnd = 12345;
	unsigned int rep, i, j = 0;
	char name[96];

	for (i = 0; i < (1u << 16); i++)
		idx[i] = (uint32_t)(xorshift(&rnd) % NKEYS);
	snprintf(name, sizeof(name), "bare seqlock read 64 B%s", suffix);
	samples_init(&r->bare, name);
	snprintf(name, sizeof(name), "bare seqlock read 64 B, random of 100k%s", suffix);
	samples_init(&r->barernd, name);
	snprintf(name, sizeof(name), "fotos_get 64 B, one key (cached)%s", suffix);
	samples_init(&r->hot, name);
	snprintf(name, sizeof(name), "fotos_get 64 B, random of 100k keys%s", suffix);
	samples_init(&r->rnd, name);
	r->errors = r->misses = 0;
	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = bench_now_ns();

		for (i = 0; i < BATCH; i++) {
			if (bare_read(&sh->bare, out))
				r->errors++;
			sum += out[0];
		}
		samples_add(&r->bare, (double)(bench_now_ns() - t0) / BATCH);

		t0 = bench_now_ns();
		for (i = 0; i < BATCH; i++) {
			if (bare_read(&g_bare_tab[idx[(j + i) & 0xffff]], out))
				r->errors++;
			sum += out[0];
		}
		samples_add(&r->barernd, (double)(bench_now_ns() - t0) / BATCH);

		t0 = bench_now_ns();
		for (i = 0; i < BATCH; i++) {
			int ret = fotos_get(h, g_keys[7], g_klen[7], val, sizeof(val), NULL);

			if (ret != VLEN)
				r->errors++;
			sum += val[3];
		}
		samples_add(&r->hot, (double)(bench_now_ns() - t0) / BATCH);

		t0 = bench_now_ns();
		for (i = 0; i < BATCH; i++) {
			uint32_t k = idx[j++ & 0xffff];
			int ret = fotos_get(h, g_keys[k], g_klen[k], val, sizeof(val), NULL);

			if (ret == -ENOENT)
				r->misses++;
			else if (ret != VLEN)
				r->errors++;
			sum += val[3];
		}
		samples_add(&r->rnd, (double)(bench_now_ns() - t0) / BATCH);
	}
	bench_sink += sum;
}

static void report_reads(struct readrun *r, const char *prefix)
{
	bench_row(&r->bare, NULL);
	bench_row(&r->hot, &r->bare);
	bench_row(&r->barernd, NULL);
	bench_row(&r->rnd, &r->barernd);
	samples_dump(&r->bare, prefix);
	samples_dump(&r->barernd, prefix);
	samples_dump(&r->hot, prefix);
	samples_dump(&r->rnd, prefix);
}

static int bench_reads(int quick)
{
	unsigned int reps = quick ? 300 : 3000;
	struct fotos_db_limits lim;
	struct readrun idle, busy;
	struct fotos *h[1];
	struct shared *sh;
	double secs, rate;
	uint64_t w0, t0;
	pid_t wpid;
	int ret;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	memset(sh, 0, sizeof(*sh));
	bare_write(&sh->bare, 1);
	g_bare_tab = aligned_alloc(64, NKEYS * sizeof(*g_bare_tab));
	if (!g_bare_tab)
		return -ENOMEM;
	memset(g_bare_tab, 0, NKEYS * sizeof(*g_bare_tab));
	for (ret = 0; ret < NKEYS; ret++)
		bare_write(&g_bare_tab[ret], (uint64_t)ret);
	ret = cluster_start(1, h);
	if (ret < 0)
		goto out;
	keys_init("key:");
	secs = load(h[0], 1, 1);
	if (secs < 0) {
		ret = -EIO;
		goto out;
	}
	fotos_db_limits(h[0], &lim);
	fprintf(stderr, "bench_db: loaded %d keys in %.2f s (%.0f puts/s); the segment has %llu "
		"keys, %llu versions\n", NKEYS, secs, NKEYS / secs, (unsigned long long)lim.keys,
		(unsigned long long)lim.versions);

	printf("### Database reads: fotos_get, one agent, 100,000 keys of 64 B (batches of %d "
	       "calls, %u batches; reader CPU0)\n\n", BATCH, reps);
	bench_header();
	bench_pin(0);
	measure_reads(h[0], sh, reps, &idle, "");
	report_reads(&idle, "dbread");

	wpid = fork();
	if (wpid < 0) {
		ret = -errno;
		goto out;
	}
	if (wpid == 0)
		rewriter(sh);
	g_pids[NMAX + 1] = wpid;
	while (!atomic_load(&sh->running) && waitpid(wpid, NULL, WNOHANG) == 0)
		bench_sleep_ns(MS);
	bench_sleep_ns(50 * MS);
	w0 = atomic_load(&sh->writes);
	t0 = bench_now_ns();
	measure_reads(h[0], sh, reps, &busy, ", rewriter");
	rate = (double)(atomic_load(&sh->writes) - w0) * 1e9 / (double)(bench_now_ns() - t0);
	atomic_store(&sh->stop, 1);
	waitpid(wpid, NULL, 0);
	g_pids[NMAX + 1] = 0;
	report_reads(&busy, "dbreadbusy");
	printf("\nRewriter (a second process, fotos_batch of %d random keys back to back): %.0f "
	       "puts/s during the reads. Misses: %llu idle, %llu busy; failed reads: %llu idle, "
	       "%llu busy.\n\n", PUT_BATCH, rate, (unsigned long long)idle.misses,
	       (unsigned long long)busy.misses, (unsigned long long)idle.errors,
	       (unsigned long long)busy.errors);
	ret = 0;
out:
	/* let every CPU run again (the agents of the cluster part are unpinned) */
	{
		cpu_set_t all;
		int c;

		CPU_ZERO(&all);
		for (c = 0; c < bench_ncpus(); c++)
			CPU_SET(c, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}
	cluster_stop(1, h);
	munmap(sh, sizeof(*sh));
	free(g_bare_tab);
	return ret;
}

/* ---- writes on 3 nodes -------------------------------------------------- */

/* Spin until fotos_get of key on h returns val; ns at that moment, 0 on timeout. */
static uint64_t wait_visible(struct fotos *h, const char *key, size_t klen, const uint8_t *val,
			     uint64_t deadline)
{
	uint8_t got[VLEN];
	unsigned int n = 0;

	for (;;) {
		int ret = fotos_get(h, key, klen, got, sizeof(got), NULL);
		uint64_t t;

		if (ret == VLEN && !memcmp(got, val, VLEN))
			return bench_now_ns();
		if ((++n & 63) == 0) {
			t = bench_now_ns();
			if (t > deadline)
				return 0;
			sched_yield();	/* 2 vCPUs: let the agents run */
		}
		fotos_cpu_relax();
	}
}

static int bench_writes(int quick)
{
	int nput = quick ? 2000 : 20000, nall = quick ? 300 : 3000, nvis = quick ? 300 : 3000;
	int passes = quick ? 2 : 6, i, k, ret, lost = 0, acked_partial = 0;
	struct bench_samples unix_rtt, tcp_rtt, put, putall, vis;
	struct fotos_put_result res;
	struct fotos_db_limits lim;
	struct fotos *h[NMAX];
	uint8_t val[VLEN];
	uint64_t seq = 1, t0, t, deadline, conv[NMAX];
	double secs, total, cpu0[NMAX + 1], cpu1[NMAX + 1];

	ret = cluster_start(3, h);
	if (ret < 0)
		return ret;
	keys_init("lat:");

	baseline_unix(quick ? 2000 : 20000, &unix_rtt);
	samples_init(&put, "fotos_put 64 B, ack local (3 nodes)");
	for (i = -nput / 10; i < nput; i++) {
		k = (i + nput) % 1000;
		make_value(val, k, seq++);
		t0 = bench_now_ns();
		ret = fotos_put(h[0], g_keys[k], g_klen[k], val, VLEN, 0, NULL, &res, 5000);
		t = bench_now_ns();
		if (ret < 0) {
			fprintf(stderr, "bench_db: fotos_put: %s (%s)\n", fotos_strerror(ret), res.detail);
			goto out;
		}
		if (i >= 0)
			samples_add(&put, (double)(t - t0));
	}
	baseline_tcp(quick ? 2000 : 20000, &tcp_rtt);
	samples_init(&putall, "fotos_put 64 B, FOTOS_PUT_ACK_ALL (3 nodes)");
	for (i = -nall / 10; i < nall; i++) {
		k = 1000 + (i + nall) % 1000;
		make_value(val, k, seq++);
		t0 = bench_now_ns();
		ret = fotos_put(h[0], g_keys[k], g_klen[k], val, VLEN, FOTOS_PUT_ACK_ALL, NULL, &res,
				5000);
		t = bench_now_ns();
		if (ret < 0) {
			fprintf(stderr, "bench_db: fotos_put ack=all: %s (%s)\n", fotos_strerror(ret),
				res.detail);
			goto out;
		}
		acked_partial += !res.acked_all;
		if (i >= 0)
			samples_add(&putall, (double)(t - t0));
	}
	samples_init(&vis, "fotos_put -> fotos_get sees it on all 3 segments");
	for (i = -nvis / 10; i < nvis; i++) {
		uint64_t last = 0;

		k = 2000 + (i + nvis) % 1000;
		make_value(val, k, seq++);
		t0 = bench_now_ns();
		deadline = t0 + 2000 * MS;
		ret = fotos_put(h[0], g_keys[k], g_klen[k], val, VLEN, 0, NULL, &res, 5000);
		if (ret < 0) {
			fprintf(stderr, "bench_db: fotos_put: %s (%s)\n", fotos_strerror(ret), res.detail);
			goto out;
		}
		for (k = 0; k < 3 && last != UINT64_MAX; k++) {
			/* the key of this round again: k was reused as the node */
			int key = 2000 + (i + nvis) % 1000;

			t = wait_visible(h[k], g_keys[key], g_klen[key], val, deadline);
			last = t ? (t > last ? t : last) : UINT64_MAX;
		}
		if (last == UINT64_MAX) {
			lost++;
			continue;
		}
		if (i >= 0)
			samples_add(&vis, (double)(last - t0));
	}

	printf("### Database writes: 3 agents on loopback, one client process\n\n");
	bench_header();
	bench_row(&unix_rtt, NULL);
	bench_row(&put, &unix_rtt);
	bench_row(&tcp_rtt, NULL);
	bench_row(&putall, &tcp_rtt);
	bench_row(&vis, &tcp_rtt);
	samples_dump(&unix_rtt, "dbwrite");
	samples_dump(&put, "dbwrite");
	samples_dump(&tcp_rtt, "dbwrite");
	samples_dump(&putall, "dbwrite");
	samples_dump(&vis, "dbwrite");
	printf("\nTargets: ack local within 1.5x the Unix-socket RTT: %s (%.2fx); visible on all 3 "
	       "within 3 TCP RTTs: %s (%.2f RTTs). ack=all answered partial: %d; not visible "
	       "within 2 s: %d.\n\n",
	       samples_median(&put) <= 1.5 * samples_median(&unix_rtt) ? "met" : "MISSED",
	       samples_median(&put) / samples_median(&unix_rtt),
	       samples_median(&vis) <= 3 * samples_median(&tcp_rtt) ? "met" : "MISSED",
	       samples_median(&vis) / samples_median(&tcp_rtt), acked_partial, lost);
	fflush(stdout);

	/* throughput: passes over NKEYS keys, then wait for the last write everywhere */
	fprintf(stderr, "bench_db: throughput: %d x %d puts in calls of %d\n", passes, NKEYS,
		PUT_BATCH);
	keys_init("tp:");
	for (k = 0; k < 3; k++)
		cpu0[k] = cpu_secs((pid_t)g_pids[k]);
	cpu0[3] = cpu_secs(getpid());
	t0 = bench_now_ns();
	secs = load(h[0], passes, 1000000);
	if (secs < 0) {
		ret = -EIO;
		goto out;
	}
	make_value(val, NKEYS - 1, 1000000 + (uint64_t)passes - 1);
	deadline = bench_now_ns() + 60000 * MS;
	for (k = 0; k < 3; k++) {
		conv[k] = wait_visible(h[k], g_keys[NKEYS - 1], g_klen[NKEYS - 1], val, deadline);
		if (!conv[k]) {
			fprintf(stderr, "bench_db: n%d does not hold the last write after 60 s\n", k);
			log_tail(k);
		}
	}
	total = (double)((conv[1] > conv[2] ? conv[1] : conv[2]) - t0) / 1e9;
	for (k = 0; k < 3; k++)
		cpu1[k] = cpu_secs((pid_t)g_pids[k]);
	cpu1[3] = cpu_secs(getpid());
	printf("### Database throughput: fotos_batch into 3 agents (%d puts of 64 B, %d a call, "
	       "%d distinct keys)\n\n", passes * NKEYS, PUT_BATCH, NKEYS);
	printf("| measure | value |\n|---|---:|\n");
	printf("| puts/s accepted by the local agent (time in fotos_batch) | %.0f |\n",
	       passes * NKEYS / secs);
	if (conv[0] && conv[1] && conv[2]) {
		printf("| convergence: last write on all 3 nodes after the last call returned | %.1f ms "
		       "|\n", (double)((conv[1] > conv[2] ? conv[1] : conv[2]) - t0) / 1e6 - secs * 1e3);
		printf("| puts/s end to end (first call to last write on all 3) | %.0f |\n",
		       passes * NKEYS / total);
	} else {
		printf("| convergence | NOT REACHED in 60 s |\n");
	}
	for (k = 0; k < 3; k++) {
		fotos_db_limits(h[k], &lim);
		printf("| n%d keys / versions in its segment | %llu / %llu |\n", k,
		       (unsigned long long)lim.keys, (unsigned long long)lim.versions);
	}
	printf("| CPU per put: n0 (takes the batches, replicates) / n1 / n2 / client | %.2f / "
	       "%.2f / %.2f / %.2f us |\n", (cpu1[0] - cpu0[0]) * 1e6 / (passes * NKEYS),
	       (cpu1[1] - cpu0[1]) * 1e6 / (passes * NKEYS),
	       (cpu1[2] - cpu0[2]) * 1e6 / (passes * NKEYS),
	       (cpu1[3] - cpu0[3]) * 1e6 / (passes * NKEYS));
	printf("\nTarget >= 200,000 puts/s end to end: %s.\n\n",
	       conv[1] && conv[2] && passes * NKEYS / total >= 200000 ? "met" : "MISSED");
	fflush(stdout);
	ret = 0;
out:
	cluster_stop(3, h);
	return ret;
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv), ret, rc = 0, i;
	uint64_t t0 = bench_now_ns();

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quick")) {
			fprintf(stderr, "usage: bench_db [--quick]\n");
			return 2;
		}
	g_fotosd = getenv("FOTOSD");
	if (!g_fotosd || !*g_fotosd)
		g_fotosd = "build/release/fotosd";
	if (access(g_fotosd, X_OK) < 0) {
		fprintf(stderr, "bench_db: no agent at %s (set $FOTOSD): skipped\n", g_fotosd);
		return 77;
	}
	g_keys = calloc(NKEYS, sizeof(*g_keys));
	if (!g_keys)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	ret = names_init();
	if (ret < 0) {
		fprintf(stderr, "bench_db: cannot set up %s: %s\n", g_dir, strerror(-ret));
		return 1;
	}
	ret = bench_reads(quick);
	if (ret < 0) {
		fprintf(stderr, "bench_db: read benchmark failed: %s\n", strerror(-ret));
		rc = 1;
	}
	ret = bench_writes(quick);
	if (ret < 0) {
		fprintf(stderr, "bench_db: write benchmark failed: %s\n", strerror(-ret));
		rc = 1;
	}
	fprintf(stderr, "bench_db: done in %.1f s\n", (double)(bench_now_ns() - t0) / 1e9);
	free(g_keys);
	return rc;
}
