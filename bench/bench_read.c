/*
 * bench_read.c - what a client pays to read the membership.
 *
 * Cost per call of fotos_stable, fotos_epoch, fotos_read_status and
 * fotos_read_view (16 and 64 members), against the baseline of a bare
 * 64-byte seqlock read (8 atomic words, written exactly like shm/seqlock.h
 * but with a compile-time size). Each batch of calls is timed and divided;
 * many batches give the median and p99.
 *
 * Run twice: with no writer, and with a writer process rewriting the view,
 * the state and the baseline seqlock on the other CPU (reader on CPU0,
 * writer on CPU1). Then the other baseline: asking an agent over a Unix
 * stream socket (64-byte request and response, the answering child pinned
 * to CPU1), as a ratio to fotos_read_status.
 *
 * The benchmark makes its own segment with shm_segment_create(); no agent
 * is needed. Usage: bench_read [--quick]
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "bench.h"
#include "fotos.h"
#include "segment.h"
#include "seqlock.h"

#define BATCH	1000

/* The baseline: 64 bytes under a seqlock, own cache lines. */
struct bare_seqlock {
	_Alignas(64) _Atomic uint64_t seq;
	_Alignas(64) _Atomic uint64_t w[8];
};

/* Shared between the reader and the writer process. */
struct ctl {
	_Atomic int stop;
	_Atomic int running;
	_Atomic uint32_t view_count;	/* members the writer publishes */
	_Atomic uint64_t writes;
	_Atomic uint64_t pace_ns;	/* 0: back to back, else one update per pace_ns */
	struct bare_seqlock bare;
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

static void make_view(struct fotos_shm_view *v, uint32_t count, uint64_t epoch)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->epoch = epoch;
	v->view_id = 0x9e3779b97f4a7c15ull * epoch;
	v->net_id = 1;
	v->count = count;
	for (i = 0; i < count; i++) {
		struct fotos_shm_member *m = &v->members[i];

		snprintf(m->name, sizeof(m->name), "node%02u", i);
		m->incarnation = 1000 + i;
		m->index = i;
		m->family = AF_INET;
		m->port = (uint16_t)(7100 + i);
		m->addr[0] = 127;
		m->addr[3] = (uint8_t)(i + 1);
	}
}

static void publish(struct shm_segment *seg, uint32_t count, uint64_t epoch)
{
	static struct fotos_shm_view v;
	uint64_t w[FOTOS_SW_NWORDS] = { 0 };

	make_view(&v, count, epoch);
	w[FOTOS_SW_STATE] = FOTOS_ST_STABLE;
	w[FOTOS_SW_STABLE] = 1;
	w[FOTOS_SW_PRIMARY] = 1;
	w[FOTOS_SW_EPOCH] = epoch;
	w[FOTOS_SW_VIEW_ID] = v.view_id;
	w[FOTOS_SW_INCARNATION] = 1;
	shm_publish_view(seg, &v);
	shm_publish_state(seg, w);
	shm_ring(seg, SHM_BELL_VIEW | SHM_BELL_STATE);
}

/* The writer process: rewrite view, state and baseline as fast as it can. */
static void writer(struct shm_segment *seg, struct ctl *c)
{
	uint64_t epoch = 100;
	uint32_t count = 0;
	static struct fotos_shm_view v;
	uint64_t w[FOTOS_SW_NWORDS] = { 0 }, pace;

	bench_pin(1);
	atomic_store(&c->running, 1);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint32_t want = atomic_load_explicit(&c->view_count, memory_order_relaxed);

		if (want != count) {
			count = want;
			make_view(&v, count, epoch);
		}
		epoch++;
		v.epoch = epoch;
		w[FOTOS_SW_STATE] = FOTOS_ST_STABLE;
		w[FOTOS_SW_STABLE] = epoch & 1;
		w[FOTOS_SW_EPOCH] = epoch;
		shm_publish_view(seg, &v);
		shm_publish_state(seg, w);
		shm_ring(seg, SHM_BELL_VIEW | SHM_BELL_STATE);
		bare_write(&c->bare, epoch);
		atomic_fetch_add_explicit(&c->writes, 1, memory_order_relaxed);
		pace = atomic_load_explicit(&c->pace_ns, memory_order_relaxed);
		if (pace) {
			uint64_t until = bench_now_ns() + pace;

			while (bench_now_ns() < until)
				fotos_cpu_relax();
		}
	}
	_exit(0);
}

struct run {
	struct bench_samples bare, stable, epoch, status, view16, view64;
	uint64_t errors;
};

#define TIME_BATCHES(s, reps, body) do {					\
	unsigned int r_, i_;							\
	for (r_ = 0; r_ < (reps); r_++) {					\
		uint64_t t0_ = bench_now_ns();					\
		for (i_ = 0; i_ < BATCH; i_++) {				\
			body;							\
		}								\
		samples_add((s), (double)(bench_now_ns() - t0_) / BATCH);	\
	}									\
} while (0)

static void measure(struct fotos *h, struct ctl *c, struct shm_segment *seg, int with_writer,
		    unsigned int reps, struct run *r, const char *suffix)
{
	static struct fotos_view view;
	struct fotos_status st;
	uint64_t out[8] = { 0 }, sum = 0;
	char name[96];

#define NAME(s, label) (snprintf(name, sizeof(name), "%s%s", label, suffix), samples_init(s, name))
	NAME(&r->bare, "bare seqlock read 64 B");
	NAME(&r->stable, "fotos_stable");
	NAME(&r->epoch, "fotos_epoch");
	NAME(&r->status, "fotos_read_status");
	NAME(&r->view16, "fotos_read_view 16 members");
	NAME(&r->view64, "fotos_read_view 64 members");
#undef NAME
	r->errors = 0;

	atomic_store(&c->view_count, 64);
	if (!with_writer)
		publish(seg, 64, 7);
	TIME_BATCHES(&r->bare, reps, { if (bare_read(&c->bare, out)) r->errors++; sum += out[0]; });
	TIME_BATCHES(&r->stable, reps, sum += (uint64_t)fotos_stable(h));
	TIME_BATCHES(&r->epoch, reps, sum += fotos_epoch(h));
	TIME_BATCHES(&r->status, reps, { if (fotos_read_status(h, &st)) r->errors++; sum += st.epoch; });
	TIME_BATCHES(&r->view64, reps, { if (fotos_read_view(h, &view)) r->errors++; sum += view.count; });

	atomic_store(&c->view_count, 16);
	if (!with_writer) {
		publish(seg, 16, 8);
	} else {
		/* let the writer switch to 16-member views */
		bench_sleep_ns(2000000);
	}
	TIME_BATCHES(&r->view16, reps, { if (fotos_read_view(h, &view)) r->errors++; sum += view.count; });
	bench_sink += sum;
}

static void report(struct run *r, const char *prefix)
{
	struct bench_samples *all[] = { &r->bare, &r->stable, &r->epoch, &r->status,
					&r->view16, &r->view64 };
	size_t i;

	bench_row(&r->bare, NULL);
	for (i = 1; i < sizeof(all) / sizeof(all[0]); i++)
		bench_row(all[i], &r->bare);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		samples_dump(all[i], prefix);
}

/* Child: answer 64-byte requests with 64-byte replies until EOF. */
static void echo_child(int fd)
{
	char buf[64];

	bench_pin(1);
	for (;;) {
		size_t got = 0;

		while (got < sizeof(buf)) {
			ssize_t n = read(fd, buf + got, sizeof(buf) - got);

			if (n <= 0)
				_exit(0);
			got += (size_t)n;
		}
		buf[0] = 'R';
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			_exit(1);
	}
}

static int socket_rtt(unsigned int reps, struct bench_samples *s)
{
	enum { SBATCH = 100 };
	char req[64], resp[64];
	unsigned int r, i;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(sv[0]);
		echo_child(sv[1]);
	}
	close(sv[1]);
	memset(req, 'q', sizeof(req));
	for (r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		for (i = 0; i < SBATCH; i++) {
			size_t got = 0;

			if (write(sv[0], req, sizeof(req)) != (ssize_t)sizeof(req))
				goto fail;
			while (got < sizeof(resp)) {
				ssize_t n = read(sv[0], resp + got, sizeof(resp) - got);

				if (n <= 0)
					goto fail;
				got += (size_t)n;
			}
		}
		samples_add(s, (double)(bench_now_ns() - t0) / SBATCH);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
fail:
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return -EIO;
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv);
	unsigned int reps = quick ? 200 : 3000;
	struct shm_params p = { 0 };
	struct shm_segment seg;
	struct bench_samples sock;
	struct run idle, busy[2];
	double rate[2];
	struct fotos *h;
	struct ctl *c;
	char name[64];
	uint64_t writes, t0;
	pid_t wpid;
	int ret, status, m;

	snprintf(name, sizeof(name), "/fotos-bench-read-%ld", (long)getpid());
	p.name = name;
	p.node_name = "bench";
	p.cluster_name = "bench";
	p.control_path = "";
	p.stale_after_ns = 3600ull * 1000000000ull;	/* no heartbeat needed */
	p.mode = 0600;
	ret = shm_segment_create(&p, &seg);
	if (ret < 0) {
		fprintf(stderr, "bench_read: cannot create segment %s: %s\n", name, strerror(-ret));
		return 1;
	}
	publish(&seg, 64, 7);
	ret = fotos_open(name, &h);
	if (ret < 0) {
		fprintf(stderr, "bench_read: fotos_open %s: %s\n", name, fotos_strerror(ret));
		shm_segment_close(&seg);
		return 1;
	}
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		perror("bench_read: mmap");
		return 1;
	}
	memset(c, 0, sizeof(*c));
	bare_write(&c->bare, 1);

	bench_pin(0);
	printf("### Read cost (batches of %d calls, %u batches; reader CPU0)\n\n", BATCH, reps);
	bench_header();

	fprintf(stderr, "bench_read: reads, no writer\n");
	measure(h, c, &seg, 0, reps, &idle, "");
	report(&idle, "readidle");

	atomic_store(&c->view_count, 64);
	wpid = fork();
	if (wpid < 0) {
		perror("bench_read: fork");
		return 1;
	}
	if (wpid == 0)
		writer(&seg, c);
	while (!atomic_load(&c->running))
		bench_sleep_ns(100000);
	for (m = 0; m < 2; m++) {
		uint64_t pace = m == 0 ? 10000 : 0;

		fprintf(stderr, "bench_read: reads, writer on CPU1 %s\n",
			pace ? "every 10 us" : "back to back");
		atomic_store(&c->pace_ns, pace);
		t0 = bench_now_ns();
		writes = atomic_load(&c->writes);
		measure(h, c, &seg, 1, reps, &busy[m],
			pace ? ", writer every 10 us" : ", writer back to back");
		rate[m] = (double)(atomic_load(&c->writes) - writes) * 1e3 /
			  (double)(bench_now_ns() - t0);
		report(&busy[m], pace ? "readpaced" : "readbusy");
	}
	atomic_store(&c->stop, 1);
	waitpid(wpid, &status, 0);

	fprintf(stderr, "bench_read: Unix socket round trips\n");
	samples_init(&sock, "ask agent over Unix socket, 64 B RTT");
	ret = socket_rtt(quick ? 50 : 500, &sock);
	if (ret < 0)
		fprintf(stderr, "bench_read: socket round trip failed: %s\n", strerror(-ret));
	else
		bench_row(&sock, &idle.status);
	samples_dump(&sock, "socket");

	printf("\nWriter (CPU1) rewrote view+state at %.2f M/s paced, %.2f M/s back to back "
	       "(64- then 16-member views).\n", rate[0], rate[1]);
	if (idle.errors || busy[0].errors || busy[1].errors)
		printf("Reads that gave up after FOTOS_READ_SPINS (-EAGAIN): %llu idle, %llu paced, "
		       "%llu back to back.\n", (unsigned long long)idle.errors,
		       (unsigned long long)busy[0].errors, (unsigned long long)busy[1].errors);
	printf("Ratio = median / baseline median. fotos_read_status is %.0fx cheaper than a "
	       "socket round trip.\n\n",
	       samples_median(&idle.status) > 0 ?
	       samples_median(&sock) / samples_median(&idle.status) : 0);

	fotos_close(h);
	shm_segment_close(&seg);
	return 0;
}
