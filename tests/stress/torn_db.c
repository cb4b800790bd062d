/* Description: torn-read stress test of the database read path. ONE real
 * fotosd (a one-node cluster) is written through its control socket as fast
 * as it goes (fotos_batch of every key, and single fotos_put) with
 * self-checking values: each value is derived from (key, the key's sequence
 * number, the write's number among all writes), its length varies (so
 * lengths, words and clocks all change), and it ends in a checksum. Reader processes meanwhile copy
 * entries with fotos_get (random keys) and fotos_db_next (whole passes) and
 * verify every copy they accept:
 *   - the value has the length its header says and matches its checksum,
 *     and every byte is the one (key, seq) dictates;
 *   - the key iterated is the key the value names;
 *   - the clock is consistent with the value: the agent's counter for its
 *     own writes is one per node (it starts at its incarnation and every
 *     write of any key takes the next value), and this writer is the only
 *     one, so counter 0 of a version is exactly base + the write's number,
 *     base being the counter of a first write made before the readers
 *     start; every other counter is 0;
 *   - a reader never sees a key's sequence go backwards.
 * Any torn copy accepted fails the test (exit 1). Runs about 5 s.
 *
 *   torn_db             readers are forked processes
 *   torn_db --threads   readers are threads of this process (for TSan)
 *   --readers N  --seconds S
 * Needs FOTOSD (default build/release/fotosd); skips (77) without it.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"
#include "fotos.h"

#define NKEYS		32
#define MAX_VAL		1000	/* under the agent's default 1024 */
#define MAX_READERS	8
#define HDR		24	/* u64 seq, u64 write number, u32 key, u32 len */

struct rstats {
	uint64_t gets, iters, entries, absent, eagain, torn, backwards, errors;
	char first_torn[200];
};

struct shared {
	_Atomic int stop;
	_Atomic uint64_t written;
	uint64_t base;		/* clock counter of write number 0 (set before readers) */
	struct rstats r[MAX_READERS];
};

static struct shared *sh;
static const char *shm_name;
static double seconds = 5;
static int nreaders = 3;

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Value length for a sequence: 24 .. MAX_VAL, varying. */
static uint32_t val_len(uint32_t key, uint64_t seq)
{
	return HDR + 8 + (uint32_t)((seq * 131 + key * 17) % (MAX_VAL - HDR - 8 + 1));
}

/* The value of (key, seq, write number g): header, derived bytes, checksum. */
static uint32_t make_val(uint32_t key, uint64_t seq, uint64_t g, uint8_t *v)
{
	uint32_t len = val_len(key, seq), i;
	uint64_t sum;

	memcpy(v, &seq, 8);
	memcpy(v + 8, &g, 8);
	memcpy(v + 16, &key, 4);
	memcpy(v + 20, &len, 4);
	for (i = HDR; i < len - 8; i++)
		v[i] = (uint8_t)(seq * 7 + key * 13 + i * 3 + (seq >> 8) + g * 5);
	sum = fnv(v, len - 8);
	memcpy(v + len - 8, &sum, 8);
	return len;
}

static void key_of(uint32_t k, char *buf)
{
	snprintf(buf, 8, "t/%02u", k);
}

/*
 * Check one accepted copy: value v of n bytes (meta), read as key k (or -1:
 * take the key from the value). Returns NULL if good, else what is wrong.
 */
static const char *check_copy(int k, const uint8_t *v, int n, const struct fotos_meta *m,
			      uint64_t *last_seq, uint64_t *seq_out)
{
	uint8_t want[MAX_VAL];
	uint64_t seq, g;
	uint32_t key, len, i;

	if (n < HDR + 8 || n > MAX_VAL || (uint32_t)n != m->vlen)
		return "length out of range or not the meta's";
	memcpy(&seq, v, 8);
	memcpy(&g, v + 8, 8);
	memcpy(&key, v + 16, 4);
	memcpy(&len, v + 20, 4);
	if (key >= NKEYS || (k >= 0 && key != (uint32_t)k))
		return "value names another key";
	if (len != (uint32_t)n || len != val_len(key, seq))
		return "length is not the one its sequence dictates";
	if (make_val(key, seq, g, want) != len || memcmp(want, v, len))
		return "bytes or checksum do not match";
	if (m->flags & (FOTOS_DB_DELETED | FOTOS_DB_SIBLING | FOTOS_DB_CONFLICT))
		return "flags of a live single version expected";
	if (m->writer != 0)
		return "writer is not node 0";
	if (m->clock.n < 1 || m->clock.c[0] != sh->base + g) {
		static __thread char why[160];

		snprintf(why, sizeof(why), "clock counter 0 is %llu (n %u), the value says write "
			 "%llu: want %llu", (unsigned long long)(m->clock.n ? m->clock.c[0] : 0),
			 m->clock.n, (unsigned long long)g, (unsigned long long)(sh->base + g));
		return why;
	}
	for (i = 1; i < m->clock.n; i++)
		if (m->clock.c[i])
			return "clock has a counter of another node";
	if (seq < last_seq[key])
		return "sequence went backwards";
	last_seq[key] = seq;
	*seq_out = seq;
	return NULL;
}

static void torn(struct rstats *st, const char *how, const char *what, int key)
{
	if (!st->torn)
		snprintf(st->first_torn, sizeof(st->first_torn), "%s key %d: %s", how, key, what);
	st->torn++;
}

static int reader(int idx)
{
	struct rstats *st = &sh->r[idx];
	uint64_t last_seq[NKEYS] = { 0 }, rnd = 0x9e3779b97f4a7c15ULL * (uint64_t)(idx + 1), seq;
	struct fotos *h = NULL;
	uint8_t val[MAX_VAL + 64];
	struct fotos_meta m;
	char key[8];
	int ret;

	if ((ret = fotos_open(shm_name, &h)) < 0) {
		fprintf(stderr, "reader %d: fotos_open: %s\n", idx, strerror(-ret));
		st->errors++;
		return 1;
	}
	while (!atomic_load_explicit(&sh->stop, memory_order_acquire)) {
		int i;

		/* random gets */
		for (i = 0; i < 2000; i++) {
			const char *bad;
			uint32_t k;

			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			k = (uint32_t)(rnd % NKEYS);
			key_of(k, key);
			ret = fotos_get(h, key, strlen(key), val, sizeof(val), &m);
			st->gets++;
			if (ret == -ENOENT) {
				st->absent++;	/* not written yet */
				continue;
			}
			if (ret == -EAGAIN) {
				st->eagain++;
				continue;
			}
			if (ret < 0) {
				st->errors++;
				continue;
			}
			bad = check_copy((int)k, val, ret, &m, last_seq, &seq);
			if (bad)
				torn(st, "fotos_get", bad, (int)k);
		}
		/* a whole iteration */
		{
			struct fotos_db_iter it = { 0 };
			char kb[64];

			while ((ret = fotos_db_next(h, &it, "t/", 2, kb, sizeof(kb), val, sizeof(val),
						    &m)) == 1) {
				const char *bad;
				int k;

				st->entries++;
				if (m.klen != 4 || kb[0] != 't' || kb[1] != '/') {
					torn(st, "fotos_db_next", "key is not one written", -1);
					continue;
				}
				k = (kb[2] - '0') * 10 + (kb[3] - '0');
				if (k < 0 || k >= NKEYS) {
					torn(st, "fotos_db_next", "key is not one written", k);
					continue;
				}
				bad = check_copy(k, val, (int)m.vlen, &m, last_seq, &seq);
				if (bad)
					torn(st, "fotos_db_next", bad, k);
			}
			if (ret < 0)
				st->errors++;
			st->iters++;
		}
	}
	fotos_close(h);
	return 0;
}

static void *reader_thread(void *arg)
{
	reader((int)(intptr_t)arg);
	return NULL;
}

static int reader_proc(void *arg)
{
	return reader((int)(intptr_t)arg);
}

/* The writer: every key in a batch, then some single puts, until stop.
 * Write number 0 was the base write; g counts on from there. */
static int writer(struct fotos *h, double t_end, char *err, size_t errlen)
{
	static uint8_t vals[NKEYS][MAX_VAL];
	static char keys[NKEYS][8];
	uint64_t seq[NKEYS] = { 0 }, g = 0;
	struct fotos_put_result res;
	struct fotos_op ops[NKEYS];
	uint32_t k;
	int ret, round = 0;

	for (k = 0; k < NKEYS; k++)
		key_of(k, keys[k]);
	while (th_now_s() < t_end) {
		for (k = 0; k < NKEYS; k++) {
			uint32_t len = make_val(k, seq[k] + 1, g + 1 + k, vals[k]);

			ops[k] = (struct fotos_op){ 0, keys[k], strlen(keys[k]), vals[k], len };
		}
		ret = fotos_batch(h, ops, NKEYS, &res, 5000);
		if (ret != NKEYS) {
			snprintf(err, errlen, "batch: %d (%s)", ret, res.detail);
			return -1;
		}
		for (k = 0; k < NKEYS; k++)
			seq[k]++;
		g += NKEYS;
		atomic_fetch_add_explicit(&sh->written, NKEYS, memory_order_relaxed);
		/* a few single writes of one key in a row */
		k = (uint32_t)(round++ % NKEYS);
		for (int j = 0; j < 4; j++) {
			uint32_t len = make_val(k, seq[k] + 1, g + 1, vals[k]);

			ret = fotos_put(h, keys[k], strlen(keys[k]), vals[k], len, 0, NULL, &res, 5000);
			if (ret < 0) {
				snprintf(err, errlen, "put: %s (%s)", strerror(-ret), res.detail);
				return -1;
			}
			seq[k]++;
			g++;
			if (res.clock.n < 1 || res.clock.c[0] != sh->base + g) {
				snprintf(err, errlen, "put: the agent answered clock %llu for write %llu "
					 "(base %llu): its counter does not step by one per write",
					 (unsigned long long)res.clock.c[0], (unsigned long long)g,
					 (unsigned long long)sh->base);
				return -1;
			}
			atomic_fetch_add_explicit(&sh->written, 1, memory_order_relaxed);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *fotosd = getenv("FOTOSD") ? getenv("FOTOSD") : "build/release/fotosd";
	char dir[] = "/tmp/fotos-torndb-XXXXXX", conf[128], sock[128], logp[128], err[300];
	pid_t agent, pids[MAX_READERS] = { 0 };
	pthread_t thr[MAX_READERS];
	int threads = 0, i, ret, fail = 0;
	struct fotos *h = NULL;
	uint64_t tot_reads = 0, tot_torn = 0;
	double t0;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads"))
			threads = 1;
		else if (!strcmp(argv[i], "--readers") && i + 1 < argc)
			nreaders = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: torn_db [--threads] [--readers N] [--seconds S]\n");
			return 1;
		}
	}
	if (nreaders < 1 || nreaders > MAX_READERS)
		nreaders = 3;
	if (access(fotosd, X_OK) != 0)
		skip("torn_db: no agent at %s (set FOTOSD)", fotosd);
	sh = th_shared_alloc(sizeof(*sh));
	shm_name = th_shm_name();
	CHECK(mkdtemp(dir) != NULL);
	snprintf(conf, sizeof(conf), "%s/one.ini", dir);
	snprintf(sock, sizeof(sock), "%s/n0.sock", dir);
	snprintf(logp, sizeof(logp), "%s/n0.log", dir);
	f = fopen(conf, "w");
	CHECK(f != NULL);
	fprintf(f, "[cluster]\nname = torndb%d\nheartbeat_ms = 50\ntimeout_ms = 500\n\n"
		"[node n0]\naddress = 127.0.0.1:%d\n", (int)getpid(),
		20000 + (int)(getpid() % 190) * 64 + 63);
	fclose(f);
	fflush(stdout);
	fflush(stderr);
	agent = fork();
	CHECK(agent >= 0);
	if (agent == 0) {
		FILE *lf = fopen(logp, "a");

		if (lf) {
			dup2(fileno(lf), 1);
			dup2(fileno(lf), 2);
		}
		execl(fotosd, "fotosd", "--config", conf, "--node", "n0", "--shm", shm_name,
		      "--control", sock, (char *)NULL);
		_exit(127);
	}
	/* its segment, and the one-node network (writes need no view, but wait) */
	t0 = th_now_s();
	while ((ret = fotos_open(shm_name, &h)) < 0) {
		if (th_now_s() - t0 > 10) {
			kill(agent, SIGKILL);
			waitpid(agent, NULL, 0);
			FAIL("fotos_open: %s", strerror(-ret));
		}
		th_sleep_ms(5);
	}
	while (!fotos_stable(h) && th_now_s() - t0 < 10)
		th_sleep_ms(5);
	/* write number 0: its clock is the base the readers check against */
	{
		struct fotos_put_result res;

		ret = fotos_put(h, "base", 4, "0", 1, 0, NULL, &res, 5000);
		if (ret < 0 || res.clock.n < 1 || !res.clock.c[0]) {
			kill(agent, SIGKILL);
			waitpid(agent, NULL, 0);
			FAIL("the first write: %s (%s)", strerror(-ret), res.detail);
		}
		sh->base = res.clock.c[0];
	}

	for (i = 0; i < nreaders; i++) {
		if (threads)
			CHECK(pthread_create(&thr[i], NULL, reader_thread, (void *)(intptr_t)i) == 0);
		else
			pids[i] = th_fork(reader_proc, (void *)(intptr_t)i, (unsigned int)seconds + 60);
	}
	ret = writer(h, th_now_s() + seconds, err, sizeof(err));
	atomic_store_explicit(&sh->stop, 1, memory_order_release);
	for (i = 0; i < nreaders; i++) {
		if (threads) {
			pthread_join(thr[i], NULL);
		} else if (th_wait_pid(pids[i], 30000) != 0) {
			fprintf(stderr, "reader %d failed\n", i);
			fail = 1;
		}
	}
	fotos_close(h);
	kill(agent, SIGTERM);
	if (th_wait_pid(agent, 5000) != 0)
		fprintf(stderr, "the agent did not stop cleanly\n");
	if (ret < 0) {
		fprintf(stderr, "writer: %s (agent log %s)\n", err, logp);
		fail = 1;
	}
	printf("torn_db (%s, %d readers, %.1f s): %llu writes\n", threads ? "threads" : "processes",
	       nreaders, seconds, (unsigned long long)atomic_load(&sh->written));
	for (i = 0; i < nreaders; i++) {
		const struct rstats *st = &sh->r[i];

		printf("  reader %d: %llu gets (%llu absent, %llu EAGAIN), %llu passes with %llu "
		       "entries, %llu errors, %llu torn%s%s\n", i, (unsigned long long)st->gets,
		       (unsigned long long)st->absent, (unsigned long long)st->eagain,
		       (unsigned long long)st->iters, (unsigned long long)st->entries,
		       (unsigned long long)st->errors, (unsigned long long)st->torn,
		       st->torn ? ": first " : "", st->torn ? st->first_torn : "");
		tot_reads += st->gets + st->entries;
		tot_torn += st->torn;
		fail |= st->errors > 0;
	}
	if (tot_torn) {
		fprintf(stderr, "FAIL: %llu torn copies accepted\n", (unsigned long long)tot_torn);
		fail = 1;
	}
	if (tot_reads == 0 || atomic_load(&sh->written) < 1000) {
		fprintf(stderr, "FAIL: too little was read or written to mean anything\n");
		fail = 1;
	}
	if (!fail) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return fail ? T_FAIL : T_PASS;
}
