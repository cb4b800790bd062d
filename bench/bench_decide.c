/*
 * bench_decide.c - what a decision costs: the owner of a service along a
 * priority list and the rendezvous owners of a key, for a view of 16
 * members.
 *
 * Pure decisions over a view already read, against the baseline of a bare
 * 64-bit hash of the key (fotos_hash_bytes, the floor of any key lookup);
 * then the handle wrappers, which read the status and the view themselves,
 * against the baseline of a bare fotos_read_view of 16 members. Keys are
 * "object/<n>" for n over 4096 values so that no answer is cached. Each
 * batch of calls is timed and divided; many batches give median and p99.
 *
 * The benchmark makes its own segment with shm_segment_create(); no agent
 * is needed. Usage: bench_decide [--quick]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <unistd.h>

#include "bench.h"
#include "fotos.h"

#include "segment.h"

#define BATCH	1000
#define NMEMB	16
#define NKEYS	4096

static char keys[NKEYS][16];
static size_t keylen[NKEYS];

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

/* 16 members node00..node15 that started long ago, stable and primary. */
static void publish(struct shm_segment *seg, uint64_t epoch)
{
	static struct fotos_shm_view v;
	uint64_t w[FOTOS_SW_NWORDS] = { 0 };
	uint32_t i;

	memset(&v, 0, sizeof(v));
	v.epoch = epoch;
	v.view_id = 0x9e3779b97f4a7c15ull * epoch;
	v.net_id = 1;
	v.count = NMEMB;
	for (i = 0; i < NMEMB; i++) {
		struct fotos_shm_member *m = &v.members[i];

		snprintf(m->name, sizeof(m->name), "node%02u", i);
		m->incarnation = 1000 + i;
		m->index = i;
		m->family = AF_INET;
		m->port = (uint16_t)(7100 + i);
		m->addr[0] = 127;
		m->addr[3] = (uint8_t)(i + 1);
	}
	w[FOTOS_SW_STATE] = FOTOS_ST_STABLE;
	w[FOTOS_SW_STABLE] = 1;
	w[FOTOS_SW_PRIMARY] = 1;
	w[FOTOS_SW_EPOCH] = epoch;
	w[FOTOS_SW_VIEW_ID] = v.view_id;
	w[FOTOS_SW_INCARNATION] = 1;
	shm_publish_view(seg, &v);
	shm_publish_state(seg, w);
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv);
	unsigned int reps = quick ? 200 : 3000, i;
	/* The owner is listed first, or third after two nodes that are down. */
	const char *first[] = { "node03", "node07", "node11" };
	const char *third[] = { "down-a", "down-b", "node11" };
	struct bench_samples hash, pick1, pick3, own1, own3, hold, rview, wown, whash;
	static struct fotos_view view;
	struct fotos_owner_state st;
	struct fotos_member m[3];
	struct shm_params p = { 0 };
	struct shm_segment seg;
	uint64_t sum = 0, now;
	uint32_t pos[3];
	unsigned int f, errors = 0;
	struct fotos *h;
	char name[64];
	int ret;

	for (i = 0; i < NKEYS; i++)
		keylen[i] = (size_t)snprintf(keys[i], sizeof(keys[i]), "object/%u", i);

	snprintf(name, sizeof(name), "/fotos-bench-decide-%ld", (long)getpid());
	p.name = name;
	p.node_name = "node00";
	p.cluster_name = "bench";
	p.control_path = "";
	p.stale_after_ns = 3600ull * 1000000000ull;	/* no heartbeat needed */
	p.mode = 0600;
	ret = shm_segment_create(&p, &seg);
	if (ret < 0) {
		fprintf(stderr, "bench_decide: cannot create segment %s: %s\n", name, strerror(-ret));
		return 1;
	}
	publish(&seg, 7);
	ret = fotos_open(name, &h);
	if (ret < 0) {
		fprintf(stderr, "bench_decide: fotos_open %s: %s\n", name, fotos_strerror(ret));
		shm_segment_close(&seg);
		return 1;
	}
	ret = fotos_read_view(h, &view);
	if (ret < 0 || view.count != NMEMB) {
		fprintf(stderr, "bench_decide: cannot read the view back\n");
		return 1;
	}
	fotos_owner_state_init(&st);
	now = 5000ull * 1000000000ull;

	bench_pin(0);
	printf("### Decisions, %d members (batches of %d calls, %u batches; CPU0)\n\n", NMEMB,
	       BATCH, reps);
	bench_header();

	fprintf(stderr, "bench_decide: pure decisions over a view\n");
	samples_init(&hash, "baseline: fotos_hash_bytes of the key");
	samples_init(&pick1, "fotos_hash_pick, 1 owner");
	samples_init(&pick3, "fotos_hash_pick, 3 replicas");
	samples_init(&own1, "fotos_owner_pick, owner listed 1st of 3");
	samples_init(&own3, "fotos_owner_pick, owner listed 3rd of 3");
	samples_init(&hold, "fotos_owner_pick_hold 10 s, with state");
	TIME_BATCHES(&hash, reps, {
		unsigned int k_ = (r_ * BATCH + i_) % NKEYS;
		sum += fotos_hash_bytes(keys[k_], keylen[k_], FOTOS_HASH_SEED_KEY);
	});
	TIME_BATCHES(&pick1, reps, {
		unsigned int k_ = (r_ * BATCH + i_) % NKEYS;
		sum += (uint64_t)fotos_hash_pick(&view, keys[k_], keylen[k_], pos, 1) + pos[0];
	});
	TIME_BATCHES(&pick3, reps, {
		unsigned int k_ = (r_ * BATCH + i_) % NKEYS;
		sum += (uint64_t)fotos_hash_pick(&view, keys[k_], keylen[k_], pos, 3) + pos[2];
	});
	TIME_BATCHES(&own1, reps, sum += (uint64_t)fotos_owner_pick(&view, first, 3));
	TIME_BATCHES(&own3, reps, sum += (uint64_t)fotos_owner_pick(&view, third, 3));
	TIME_BATCHES(&hold, reps, {
		sum += (uint64_t)fotos_owner_pick_hold(&view, third, 3, 10000000000ull, &st, now);
		now += 1000;
	});
	bench_row(&hash, NULL);
	bench_row(&pick1, &hash);
	bench_row(&pick3, &hash);
	bench_row(&own1, &hash);
	bench_row(&own3, &hash);
	bench_row(&hold, &hash);

	fprintf(stderr, "bench_decide: through the handle\n");
	samples_init(&rview, "baseline: fotos_read_view 16 members");
	samples_init(&wown, "fotos_owner (status + view + pick)");
	samples_init(&whash, "fotos_hash_owners, 1 owner (status + view + pick)");
	TIME_BATCHES(&rview, reps, { if (fotos_read_view(h, &view)) errors++; sum += view.count; });
	TIME_BATCHES(&wown, reps, {
		if (fotos_owner(h, first, 3, 0, NULL, m, &f) < 0 || f) errors++;
		sum += m[0].index;
	});
	TIME_BATCHES(&whash, reps, {
		unsigned int k_ = (r_ * BATCH + i_) % NKEYS;
		if (fotos_hash_owners(h, keys[k_], keylen[k_], m, 1, &f) != 1 || f) errors++;
		sum += m[0].index;
	});
	bench_row(&rview, NULL);
	bench_row(&wown, &rview);
	bench_row(&whash, &rview);

	printf("\nRatio = median / baseline median. Target: a decision over a view read "
	       "under 100 ns for %d members.%s\n\n", NMEMB,
	       errors ? " Some calls failed or reported an unstable view: see stderr." : "");
	if (errors)
		fprintf(stderr, "bench_decide: %u calls failed or were flagged\n", errors);

	samples_dump(&hash, "decide");
	samples_dump(&pick1, "decide");
	samples_dump(&pick3, "decide");
	samples_dump(&own1, "decide");
	samples_dump(&own3, "decide");
	samples_dump(&hold, "decide");
	samples_dump(&rview, "decidewrap");
	samples_dump(&wown, "decidewrap");
	samples_dump(&whash, "decidewrap");
	samples_free(&hash);
	samples_free(&pick1);
	samples_free(&pick3);
	samples_free(&own1);
	samples_free(&own3);
	samples_free(&hold);
	samples_free(&rview);
	samples_free(&wown);
	samples_free(&whash);
	bench_sink += sum;
	fotos_close(h);
	shm_segment_close(&seg);
	return errors ? 1 : 0;
}
