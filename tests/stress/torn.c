/* Description: torn-read stress test of the seqlock read path. One writer
 * republishes the view (shm_publish_view) and the status (shm_publish_state)
 * as fast as it can, each version derived entirely from a counter (every
 * member's name, incarnation, address and port, the count, the flags, and a
 * checksum in net_id), while several readers copy them with fotos_read_view
 * and fotos_read_status and verify every copy they accept against the
 * version it claims to be. Any torn copy accepted fails the test (exit 1).
 *
 *   torn                 writer and readers are forked processes
 *   torn --threads       threads in one process (for TSan); the readers also
 *                        read the writer's own mapping with seqlock_read so
 *                        TSan sees both sides at the same addresses
 *   --readers N  --writes N  --seconds S (time cap, default 8)
 *
 * It reports reads, reads that overlapped a write (the seqlock had to
 * retry or was lucky), -EAGAIN results, versions seen, and torn copies.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "harness.h"
#include "fotos.h"
#include "fotos_abi.h"
/* GCC notes that TSan ignores atomic_thread_fence (-Wtsan); the payload is
 * atomic, so TSan still checks for races, just not the fences' ordering. */
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "seqlock.h"
#include "segment.h"

#define MAX_READERS	16

#if defined(__SANITIZE_THREAD__)
#define DEFAULT_WRITES	50000ull
#elif defined(__SANITIZE_ADDRESS__)
#define DEFAULT_WRITES	600000ull
#else
#define DEFAULT_WRITES	1200000ull
#endif

struct rstats {
	uint64_t reads, overlapped, busy, versions, torn, backwards, errors;
	uint64_t sreads, storn;		/* status region */
	char first_torn[160];
	int done;
};

struct shared {
	_Atomic int stop;
	_Atomic int ready;
	_Atomic uint64_t written;
	struct rstats r[MAX_READERS];
};

static struct shared *sh;
static const char *seg_name;
static struct shm_segment seg;
static int threads_mode;
static uint64_t nwrites = DEFAULT_WRITES;
static double max_seconds = 8;
static int nreaders = 2;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* A word-wise FNV-style hash: cheap enough to run on every copy. */
static uint64_t hash_words(uint64_t h, const void *p, size_t nwords)
{
	const unsigned char *b = p;
	size_t k;

	for (k = 0; k < nwords; k++) {
		uint64_t x;

		memcpy(&x, b + 8 * k, 8);
		h = (h ^ x) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

/* The checksum of a view: every word of the head but net_id, and the members. */
static uint64_t view_sum(const struct fotos_shm_view *v, unsigned int n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = hash_words(h, &v->epoch, 2);
	h = hash_words(h, &v->count, 1);
	return hash_words(h, v->members, n * sizeof(v->members[0]) / 8);
}

static unsigned int count_of(uint64_t c)
{
	return 1 + (unsigned int)(mix(c) % FOTOS_MAX_NODES);
}

/* Version c of the view, written into v (only count members touched). */
static void gen_view(struct fotos_shm_view *v, uint64_t c)
{
	uint64_t m = mix(c);
	unsigned int i, k, n = count_of(c);

	v->epoch = c;
	v->view_id = m;
	v->count = n;
	v->flags = (uint32_t)(m >> 17);
	for (i = 0; i < n; i++) {
		struct fotos_shm_member *p = &v->members[i];
		uint64_t x = m + i * 0x9e3779b97f4a7c15ull;

		for (k = 0; k < FOTOS_NAME_MAX - 1; k++)
			p->name[k] = (char)('a' + (((x >> (k & 7) * 8) + k) & 15));
		p->name[FOTOS_NAME_MAX - 1] = 0;
		p->incarnation = c * 64 + i;
		p->index = i;
		p->family = (c + i) & 1 ? AF_INET6 : AF_INET;
		p->port = (uint16_t)(c + i);
		memcpy(p->addr, &x, 8);
		x = ~x;
		memcpy(p->addr + 8, &x, 8);
	}
	v->net_id = view_sum(v, n);
}

static void gen_status(uint64_t w[FOTOS_SW_NWORDS], uint64_t c)
{
	unsigned int k;

	for (k = 0; k < FOTOS_SW_NWORDS; k++)
		w[k] = mix(c + k);
	w[FOTOS_SW_EPOCH] = c;
}

/* ---- writer ------------------------------------------------------------ */

static void run_writer(void)
{
	struct fotos_shm_view *v = calloc(1, sizeof(*v));
	uint64_t w[FOTOS_SW_NWORDS], c, deadline;

	CHECK(v);
	deadline = th_now_ns() + (uint64_t)(max_seconds * 1e9);
	for (c = 2; c < nwrites + 2; c++) {
		gen_view(v, c);
		shm_publish_view(&seg, v);
		gen_status(w, c);
		shm_publish_state(&seg, w);
		shm_ring(&seg, SHM_BELL_VIEW | SHM_BELL_STATE);
		if ((c & 1023) == 0) {
			shm_heartbeat(&seg);
			atomic_store_explicit(&sh->written, c - 1, memory_order_relaxed);
			if (th_now_ns() > deadline)
				break;
		}
	}
	atomic_store_explicit(&sh->written, c - 2, memory_order_relaxed);
	free(v);
}

/* ---- readers ----------------------------------------------------------- */

static void note_torn(struct rstats *st, const char *what, uint64_t c)
{
	if (!st->first_torn[0])
		snprintf(st->first_torn, sizeof(st->first_torn),
			 "%s: accepted a torn copy claiming version %llu", what,
			 (unsigned long long)c);
}

/* 0 if out is exactly version out->epoch as the writer made it. */
static int check_view(const struct fotos_view *out, struct fotos_shm_view *want)
{
	uint64_t c = out->epoch;
	unsigned int n;

	n = count_of(c);
	if (out->count != n)
		return -1;
	gen_view(want, c);
	if (out->view_id != want->view_id || out->flags != want->flags ||
	    out->net_id != want->net_id)
		return -1;
	if (view_sum((const struct fotos_shm_view *)(const void *)out, n) != out->net_id)
		return -1;
	return memcmp(out->members, want->members, n * sizeof(want->members[0])) ? -1 : 0;
}

static int check_status(const struct fotos_status *st)
{
	uint64_t w[FOTOS_SW_NWORDS];

	gen_status(w, st->epoch);
	return memcmp(st, w, sizeof(w)) ? -1 : 0;
}

struct reader_arg {
	int id;
	struct fotos *h;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	struct rstats *st = &sh->r[a->id];
	struct fotos_view *out = malloc(sizeof(*out));
	struct fotos_shm_view *want = malloc(sizeof(*want));
	const struct fotos_seq_region *vr;
	struct shm_layout l;
	void *map = NULL;
	uint64_t last = 0, last_s = 0, i;
	struct fotos_status s;

	CHECK(out && want);
	if (threads_mode) {
		vr = seg.view;
	} else {
		/* Our own read-only map, just to watch the view's sequence word. */
		int fd = shm_open(seg_name, O_RDONLY, 0);

		CHECK(fd >= 0);
		shm_layout_default(&l);
		map = mmap(NULL, l.total_size, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(map != MAP_FAILED);
		close(fd);
		vr = (const void *)((const char *)map + l.view_off);
	}
	atomic_fetch_add(&sh->ready, 1);

	for (i = 0; !atomic_load_explicit(&sh->stop, memory_order_relaxed); i++) {
		uint64_t s0 = atomic_load_explicit(&vr->seq, memory_order_relaxed);
		int ret;

		/* In threads mode every other read goes straight through the
		 * seqlock on the writer's mapping: TSan sees both sides. */
		if (threads_mode && (i & 1)) {
			long n = seqlock_read(vr, out, FOTOS_VIEW_HEAD_WORDS, 3,
					      sizeof(struct fotos_shm_member) / 8,
					      FOTOS_MAX_NODES);
			ret = n < 0 ? (int)n : 0;
		} else {
			ret = fotos_read_view(a->h, out);
		}
		if (atomic_load_explicit(&vr->seq, memory_order_relaxed) != s0)
			st->overlapped++;
		st->reads++;
		if (ret == -EAGAIN) {
			st->busy++;
			continue;
		}
		if (ret < 0) {
			st->errors++;
			continue;
		}
		if (check_view(out, want) < 0) {
			st->torn++;
			note_torn(st, "view", out->epoch);
		}
		if (out->epoch < last)
			st->backwards++;
		if (out->epoch != last)
			st->versions++;
		last = out->epoch;

		if ((i & 7) == 0) {
			ret = fotos_read_status(a->h, &s);
			st->sreads++;
			if (ret == -EAGAIN) {
				st->busy++;
			} else if (ret < 0) {
				st->errors++;
			} else {
				if (check_status(&s) < 0) {
					st->storn++;
					note_torn(st, "status", s.epoch);
				}
				if (s.epoch < last_s)
					st->backwards++;
				last_s = s.epoch;
				/* The one-word fast path never goes back either. */
				if (fotos_epoch(a->h) < last_s)
					st->backwards++;
			}
		}
	}
	st->done = 1;
	if (map)
		munmap(map, l.total_size);
	free(out);
	free(want);
	return NULL;
}

static int reader_proc(void *p)
{
	struct reader_arg *a = p;

	CHECK_OK(fotos_open(seg_name, &a->h));
	reader(a);
	fotos_close(a->h);
	return sh->r[a->id].torn || sh->r[a->id].storn ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: torn [--threads] [--readers N] [--writes N] [--seconds S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct shm_params p = { .node_name = "torn", .cluster_name = "stress", .mode = 0600,
				.stale_after_ns = 120ull * 1000000000ull };
	struct reader_arg ra[MAX_READERS];
	pthread_t tid[MAX_READERS];
	pid_t pids[MAX_READERS] = { 0 };
	struct fotos_shm_view *v0 = calloc(1, sizeof(*v0));
	uint64_t w0[FOTOS_SW_NWORDS];
	struct rstats tot = { 0 };
	int i, failed = 0;
	double t0, dt;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads"))
			threads_mode = 1;
		else if (!strcmp(argv[i], "--readers") && i + 1 < argc)
			nreaders = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--writes") && i + 1 < argc)
			nwrites = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			max_seconds = atof(argv[++i]);
		else
			usage();
	}
	if (nreaders < 1 || nreaders > MAX_READERS || !nwrites)
		usage();

	CHECK(v0);
	sh = th_shared_alloc(sizeof(*sh));
	seg_name = p.name = th_shm_name();
	CHECK_OK(shm_segment_create(&p, &seg));
	/* Version 1 is there before any reader looks. */
	gen_view(v0, 1);
	shm_publish_view(&seg, v0);
	gen_status(w0, 1);
	shm_publish_state(&seg, w0);
	free(v0);

	for (i = 0; i < nreaders; i++) {
		ra[i].id = i;
		ra[i].h = NULL;
		if (threads_mode) {
			CHECK_OK(fotos_open(seg_name, &ra[i].h));
			CHECK_EQ(pthread_create(&tid[i], NULL, reader, &ra[i]), 0);
		} else {
			pids[i] = th_fork(reader_proc, &ra[i], (unsigned int)max_seconds + 60);
		}
	}
	while (atomic_load(&sh->ready) < nreaders) {
		for (i = 0; !threads_mode && i < nreaders; i++) {
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
				pids[i] = 0;
				th_kill_all(pids, nreaders);
				FAIL("reader %d died before starting", i);
			}
		}
		th_sleep_ms(1);
	}

	t0 = th_now_s();
	run_writer();
	dt = th_now_s() - t0;
	atomic_store(&sh->stop, 1);

	for (i = 0; i < nreaders; i++) {
		if (threads_mode) {
			pthread_join(tid[i], NULL);
			fotos_close(ra[i].h);
		} else {
			int rc = th_wait_pid(pids[i], 30000);

			pids[i] = 0;
			if (rc != 0) {
				fprintf(stderr, "reader %d exited %d\n", i, rc);
				failed = 1;
			}
		}
	}
	shm_segment_close(&seg);

	for (i = 0; i < nreaders; i++) {
		struct rstats *r = &sh->r[i];

		tot.reads += r->reads;
		tot.overlapped += r->overlapped;
		tot.busy += r->busy;
		tot.versions += r->versions;
		tot.torn += r->torn + r->storn;
		tot.backwards += r->backwards;
		tot.errors += r->errors;
		tot.sreads += r->sreads;
		if (r->first_torn[0])
			fprintf(stderr, "reader %d: %s\n", i, r->first_torn);
		if (!r->done)
			failed = 1;
	}
	printf("torn (%s): %llu versions written in %.2fs (%.0f/s) by 1 writer, %d readers\n",
	       threads_mode ? "threads" : "processes", (unsigned long long)sh->written, dt,
	       (double)sh->written / (dt > 0 ? dt : 1), nreaders);
	printf("  reads %llu (view %llu, status %llu), overlapped a write %llu, "
	       "busy -EAGAIN %llu, versions seen %llu\n",
	       (unsigned long long)(tot.reads + tot.sreads), (unsigned long long)tot.reads,
	       (unsigned long long)tot.sreads, (unsigned long long)tot.overlapped,
	       (unsigned long long)tot.busy, (unsigned long long)tot.versions);
	printf("  torn=%llu backwards=%llu errors=%llu\n", (unsigned long long)tot.torn,
	       (unsigned long long)tot.backwards, (unsigned long long)tot.errors);
	if (!tot.overlapped)
		printf("  note: no read overlapped a write; the run did not stress the seqlock\n");

	CHECK(tot.reads > 0);
	CHECK_EQ(tot.torn, 0);
	CHECK_EQ(tot.backwards, 0);
	CHECK_EQ(tot.errors, 0);
	CHECK(!failed);
	return T_PASS;
}
