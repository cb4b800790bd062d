/* Description: the decision helpers of clientlib (decide.c). The hash is
 * checked against a byte-by-byte transcription of its specification in
 * fotos.h and against pinned values. On seeded random views, every
 * "node" (copies of one view with members in another order, garbage after
 * the names' NULs, other flags) computes the same owners, which are also
 * those of a naive reference. Fail-over to the next listed node and
 * take-over back to the first; with a hold time (simulated clock): a
 * restarted node takes over only after the hold, and a long-running
 * client, one started during the hold and a stateless one agree at every
 * step; a node that flaps without restarting never gets the service back
 * while it flaps. Rendezvous hashing: over 100000 keys, removing one of 16
 * members moves about 1/16 of the keys, all of them the removed member's,
 * and adding one moves about 1/17, all to it; k replicas are distinct,
 * ordered, prefix-stable and move minimally. The handle wrappers on a real
 * segment report unstable, moved and non-primary views in *flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"
#include "fotos.h"

#include "fotos_abi.h"
#include "segment.h"

#define SEC		1000000000ull
#define NKEYS		100000

/* ---- a seeded generator (splitmix64: no libc rand state) ---------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* ---- the specification, transcribed byte by byte from fotos.h ------ */

static uint64_t ref_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t ref_hash(const unsigned char *b, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull);
	size_t i, j;

	for (i = 0; i < n; i += 8) {
		uint64_t w = 0;

		for (j = 0; j < 8; j++)
			if (i + j < n)
				w |= (uint64_t)b[i + j] << (8 * j);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	return ref_mix(h);
}

static uint64_t ref_weight(uint64_t k, const char *name)
{
	static const uint64_t c[4] = { 0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull,
				       0x94d049bb133111ebull, 0xff51afd7ed558ccdull };
	unsigned char pad[FOTOS_NAME_LEN] = { 0 };
	uint64_t n = 0;
	size_t i, j;

	for (i = 0; i < FOTOS_NAME_LEN && name[i]; i++)
		pad[i] = (unsigned char)name[i];
	for (i = 0; i < 4; i++) {
		uint64_t w = 0;

		for (j = 0; j < 8; j++)
			w |= (uint64_t)pad[8 * i + j] << (8 * j);
		n ^= w * c[i];
	}
	return ref_mix(k ^ n);
}

static uint64_t ref_key(const void *key, size_t len)
{
	return ref_hash(key, len, FOTOS_HASH_SEED_KEY);
}

/* ---- views ---------------------------------------------------------------- */

static void set_member(struct fotos_view *v, uint32_t i, const char *name, uint64_t inc)
{
	struct fotos_member *m = &v->members[i];

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->incarnation = inc;
	m->index = i;
}

/* A view of the given names, all with incarnation inc. */
static void make_view(struct fotos_view *v, uint64_t epoch, const char *const *names, uint32_t n,
		      uint64_t inc)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->epoch = epoch;
	v->view_id = epoch * 7919;
	v->net_id = 1;
	v->count = n;
	for (i = 0; i < n; i++)
		set_member(v, i, names[i], inc);
}

/* A random view of n members with distinct names of 1..31 bytes. */
static void random_view(struct fotos_view *v, uint32_t n)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789-._";
	uint32_t i, j, len;

	memset(v, 0, sizeof(*v));
	v->epoch = rnd();
	v->view_id = rnd();
	v->net_id = rnd();
	v->count = n;
	for (i = 0; i < n; i++) {
		struct fotos_member *m = &v->members[i];
again:
		len = 1 + rnd_below(rnd_below(4) ? 10 : 31);
		for (j = 0; j < len; j++)
			m->name[j] = alpha[rnd_below(sizeof(alpha) - 1)];
		m->name[len] = 0;
		for (j = 0; j < i; j++)
			if (!strcmp(v->members[j].name, m->name))
				goto again;
		m->incarnation = rnd();
		m->index = i;
	}
}

/* Another node's copy: members in another order, junk after every NUL. */
static void scramble(const struct fotos_view *in, struct fotos_view *out)
{
	uint32_t i, j, n = in->count;

	*out = *in;
	out->flags = (uint32_t)rnd();
	for (i = n; i > 1; i--) {
		struct fotos_member t;

		j = rnd_below(i);
		t = out->members[i - 1];
		out->members[i - 1] = out->members[j];
		out->members[j] = t;
	}
	for (i = 0; i < n; i++) {
		struct fotos_member *m = &out->members[i];

		for (j = (uint32_t)strlen(m->name) + 1; j < FOTOS_NAME_LEN; j++)
			m->name[j] = (char)(rnd() | 1);
		m->index = (uint32_t)rnd();	/* not used by the decisions */
	}
	for (i = n; i < FOTOS_MAX_MEMBERS; i++)
		memset(&out->members[i], 0xa5, sizeof(out->members[i]));
}

static const char *pname(const struct fotos_view *v, int pos)
{
	return pos >= 0 ? v->members[pos].name : "(none)";
}

/* ---- naive references ----------------------------------------------------- */

static int ref_owner(const struct fotos_view *v, const char *const *prefer, unsigned int n)
{
	unsigned int p;
	uint32_t i;

	for (p = 0; p < n; p++)
		for (i = 0; i < v->count; i++)
			if (!strcmp(v->members[i].name, prefer[p]))
				return (int)i;
	return -ENOENT;
}

/* All members sorted by weight (ties: smaller name); positions into out. */
static void ref_rank(const struct fotos_view *v, uint64_t k, uint32_t *out)
{
	uint64_t w[FOTOS_MAX_MEMBERS];
	uint32_t i, j, t;

	for (i = 0; i < v->count; i++) {
		w[i] = ref_weight(k, v->members[i].name);
		out[i] = i;
	}
	for (i = 1; i < v->count; i++)
		for (j = i; j > 0; j--) {
			uint32_t a = out[j], b = out[j - 1];

			if (w[a] < w[b] || (w[a] == w[b] &&
					    strcmp(v->members[a].name, v->members[b].name) > 0))
				break;
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
}

/* ---- tests ------------------------------------------------------------------ */

static void test_hash_spec(void **state)
{
	unsigned char buf[128];
	uint64_t seed, k;
	unsigned int i, j, len;

	(void)state;
	rng_state = 1;
	for (i = 0; i < 20000; i++) {
		len = rnd_below(sizeof(buf));
		for (j = 0; j < len; j++)
			buf[j] = (unsigned char)rnd();
		seed = rnd_below(4) ? rnd() : 0;
		assert_true(fotos_hash_bytes(buf, len, seed) == ref_hash(buf, len, seed));
	}
	for (i = 0; i < 20000; i++) {
		char name[FOTOS_NAME_LEN + 1];

		/* Names of 0..32 bytes, with a NUL or without (32 bytes). */
		len = rnd_below(FOTOS_NAME_LEN + 1);
		for (j = 0; j < len; j++)
			name[j] = (char)(1 + rnd_below(255));
		name[len] = 0;
		k = rnd();
		assert_true(fotos_hash_weight(k, name) == ref_weight(k, name));
	}
	/* Pinned: a change of the function moves every key of every user. */
	assert_true(fotos_hash_bytes(NULL, 0, 0) == 0x0000000000000000ull);
	assert_true(fotos_hash_bytes("", 0, FOTOS_HASH_SEED_KEY) == ref_key("", 0));
	assert_true(fotos_hash_bytes("user:42", 7, FOTOS_HASH_SEED_KEY) == 0xcf8d8417c351c8bdull);
	assert_true(fotos_hash_bytes("a key longer than eight", 23, FOTOS_HASH_SEED_KEY) ==
		    0x9fb365779cbfd890ull);
	assert_true(fotos_hash_weight(0xcf8d8417c351c8bdull, "n1") == 0xd2457c959445f57dull);
	assert_true(fotos_hash_weight(0xcf8d8417c351c8bdull, "a-rather-long-node-name-31-byte") ==
		    0xc9e40a3f4abbd6bcull);
}

static void test_every_node_same_owners(void **state)
{
	static struct fotos_view v, copy[4];
	const char *prefer[8];
	uint32_t got[FOTOS_MAX_MEMBERS], want[FOTOS_MAX_MEMBERS], got2[FOTOS_MAX_MEMBERS];
	char keybuf[32];
	unsigned int iter, c, t, np, p, i, k;
	int pos, ret, n;

	(void)state;
	rng_state = 2;
	for (iter = 0; iter < 400; iter++) {
		random_view(&v, 1 + rnd_below(FOTOS_MAX_MEMBERS));
		for (c = 0; c < 4; c++)
			scramble(&v, &copy[c]);

		/* Priority lists: members and strangers, maybe repeated. */
		for (t = 0; t < 20; t++) {
			np = rnd_below(8) + 1;
			for (p = 0; p < np; p++)
				prefer[p] = rnd_below(3) ? v.members[rnd_below(v.count)].name :
					    (rnd_below(2) ? "stranger" : "");
			pos = fotos_owner_pick(&v, prefer, np);
			assert_int_equal(pos, ref_owner(&v, prefer, np));
			for (c = 0; c < 4; c++) {
				ret = fotos_owner_pick(&copy[c], prefer, np);
				assert_string_equal(pname(&copy[c], ret), pname(&v, pos));
				ret = fotos_owner_pick_hold(&copy[c], prefer, np, 10 * SEC, NULL,
							    rnd());
				assert_true((ret < 0) == (pos < 0));
			}
		}

		/* Keys, one owner and k replicas. */
		for (t = 0; t < 50; t++) {
			uint64_t kh;
			size_t len = (size_t)snprintf(keybuf, sizeof(keybuf), "key-%u-%u", iter, t);

			kh = ref_key(keybuf, len);
			ref_rank(&v, kh, want);
			k = 1 + rnd_below(v.count + 2);
			n = fotos_hash_pick(&v, keybuf, len, got, k);
			assert_int_equal(n, k < v.count ? k : v.count);
			for (i = 0; i < (unsigned int)n; i++)
				assert_int_equal(got[i], want[i]);
			for (c = 0; c < 4; c++) {
				assert_int_equal(fotos_hash_pick(&copy[c], keybuf, len, got2, k), n);
				for (i = 0; i < (unsigned int)n; i++)
					assert_string_equal(copy[c].members[got2[i]].name,
							    v.members[got[i]].name);
				assert_int_equal(fotos_hash_pick_hash(&copy[c], kh, got2, 1), 1);
				assert_string_equal(copy[c].members[got2[0]].name,
						    v.members[want[0]].name);
			}
		}
	}
}

static void test_failover_takeover(void **state)
{
	static const char *all[] = { "n1", "n2", "n3" };
	static const char *n23[] = { "n2", "n3" };
	static const char *n3[] = { "n3" };
	static const char *n31[] = { "n3", "n1" };
	const char *prefer[] = { "n1", "n2", "n3" };
	const char *odd[] = { "ghost", "n3", "n3", "n2" };
	const char *longname[] = { "n1-but-far-too-long-to-be-a-node-name", "n2" };
	static struct fotos_view v;

	(void)state;
	make_view(&v, 1, all, 3, 1);
	assert_string_equal(pname(&v, fotos_owner_pick(&v, prefer, 3)), "n1");
	make_view(&v, 2, n23, 2, 1);			/* n1 fails: fail-over to n2 */
	assert_string_equal(pname(&v, fotos_owner_pick(&v, prefer, 3)), "n2");
	make_view(&v, 3, n3, 1, 1);			/* n2 too: n3 */
	assert_string_equal(pname(&v, fotos_owner_pick(&v, prefer, 3)), "n3");
	make_view(&v, 4, n31, 2, 2);			/* n1 returns: take-over */
	assert_string_equal(pname(&v, fotos_owner_pick(&v, prefer, 3)), "n1");
	make_view(&v, 5, all, 3, 2);
	assert_string_equal(pname(&v, fotos_owner_pick(&v, odd, 4)), "n3");
	assert_string_equal(pname(&v, fotos_owner_pick(&v, longname, 2)), "n2");
	/* Prefix and extension of a name are other names. */
	prefer[0] = "n";
	prefer[1] = "n11";
	assert_int_equal(fotos_owner_pick(&v, prefer, 2), -ENOENT);
	assert_int_equal(fotos_owner_pick(&v, prefer, 0), -ENOENT);
	v.count = 0;
	assert_int_equal(fotos_owner_pick(&v, odd, 4), -ENOENT);
	assert_int_equal(fotos_owner_pick(NULL, odd, 4), -EINVAL);
	assert_int_equal(fotos_owner_pick(&v, NULL, 1), -EINVAL);
	/* A name of 32 bytes (no NUL in the view) and one that long listed. */
	make_view(&v, 6, all, 3, 1);
	memset(v.members[1].name, 'x', FOTOS_NAME_LEN);
	{
		char full[FOTOS_NAME_LEN + 1];
		const char *pl[] = { full };

		memset(full, 'x', FOTOS_NAME_LEN);
		full[FOTOS_NAME_LEN] = 0;
		assert_int_equal(fotos_owner_pick(&v, pl, 1), 1);
		full[FOTOS_NAME_LEN - 1] = 0;	/* 31 x's: not that member */
		assert_int_equal(fotos_owner_pick(&v, pl, 1), -ENOENT);
	}
}

/*
 * Three clients deciding with hold 10 s: one with a state from the start,
 * one whose state starts at `late` (its process started then), one with
 * none. Returns the owner name they all agree on, or fails.
 */
struct client3 {
	struct fotos_owner_state st, late;
	uint64_t late_from;
};

static const char *decide3(struct client3 *c, const struct fotos_view *v, uint64_t now,
			   int stateless_agrees)
{
	static const char *prefer[] = { "n1", "n2", "n3" };
	const uint64_t hold = 10 * SEC;
	int a, b, s;

	a = fotos_owner_pick_hold(v, prefer, 3, hold, &c->st, now);
	assert_true(a >= 0);	/* never without an owner while one is listed */
	if (now >= c->late_from) {
		b = fotos_owner_pick_hold(v, prefer, 3, hold, &c->late, now);
		assert_string_equal(pname(v, b), pname(v, a));
	}
	s = fotos_owner_pick_hold(v, prefer, 3, hold, NULL, now);
	if (stateless_agrees)
		assert_string_equal(pname(v, s), pname(v, a));
	return pname(v, a);
}

static void test_hold_time(void **state)
{
	static const char *all[] = { "n1", "n2", "n3" };
	static const char *n23[] = { "n2", "n3" };
	const char *prefer[] = { "n1", "n2", "n3" };
	static struct fotos_view v;
	static struct client3 c;
	const uint64_t T0 = 1000 * SEC, hold = 10 * SEC;
	uint64_t t, inc1, epoch = 1;
	int flap, pos;

	(void)state;
	fotos_owner_state_init(&c.st);
	fotos_owner_state_init(&c.late);
	c.late_from = T0 + 203 * SEC;

	/* Long-running cluster: n1 owns. */
	make_view(&v, epoch++, all, 3, T0 - 500 * SEC);
	for (t = T0; t < T0 + 100 * SEC; t += SEC)
		assert_string_equal(decide3(&c, &v, t, 1), "n1");

	/* n1 crashes: fail-over to n2 at once (n2 has long been a member). */
	make_view(&v, epoch++, n23, 2, T0 - 500 * SEC);
	assert_string_equal(decide3(&c, &v, T0 + 100 * SEC, 1), "n2");

	/* n1 restarts at +200 s and is back in the view at +201 s: n2 keeps
	 * the service until n1 has been up for the hold time, then n1 takes
	 * over. The late client starts at +203 s, during the hold. */
	inc1 = T0 + 200 * SEC;
	make_view(&v, epoch++, all, 3, T0 - 500 * SEC);
	v.members[0].incarnation = inc1;
	for (t = T0 + 201 * SEC; t < inc1 + hold; t += SEC / 4)
		assert_string_equal(decide3(&c, &v, t, 1), "n2");
	assert_string_equal(decide3(&c, &v, inc1 + hold - 1, 1), "n2");
	assert_string_equal(decide3(&c, &v, inc1 + hold, 1), "n1");
	assert_string_equal(decide3(&c, &v, inc1 + hold + 60 * SEC, 1), "n1");

	/* Without a hold time the same views give the service back at once. */
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, 0, &c.st,
							     inc1 + 1)), "n1");

	/* n1 flaps without restarting (same incarnation): gone for 1 s every
	 * 5 s. A client that sees every view never moves the service to it. */
	t = inc1 + 100 * SEC;
	for (flap = 0; flap < 10; flap++) {
		make_view(&v, epoch++, n23, 2, T0 - 500 * SEC);
		assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, &c.st, t)),
				    "n2");
		t += SEC;
		make_view(&v, epoch++, all, 3, T0 - 500 * SEC);
		v.members[0].incarnation = inc1;
		for (pos = 0; pos < 4; pos++, t += SEC)
			assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold,
									     &c.st, t)), "n2");
	}
	/* It stays: after the hold it takes over. Same view asked repeatedly. */
	for (pos = 0; pos < 6; pos++, t += SEC)
		assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, &c.st, t)),
				    "n2");
	t += 4 * SEC;
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, &c.st, t)), "n1");

	/* Cold start: all started within the hold. The longest member owns
	 * (n3 here), then n1 once held; equal starts: the first listed. */
	make_view(&v, epoch++, all, 3, 0);
	v.members[0].incarnation = 5000 * SEC + 3 * SEC;
	v.members[1].incarnation = 5000 * SEC + 2 * SEC;
	v.members[2].incarnation = 5000 * SEC;
	fotos_owner_state_init(&c.st);
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, &c.st,
							     5004 * SEC)), "n3");
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, NULL,
							     5004 * SEC)), "n3");
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, &c.st,
							     5013 * SEC)), "n1");
	v.members[0].incarnation = v.members[1].incarnation = v.members[2].incarnation;
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, NULL,
							     5001 * SEC)), "n1");
	/* A clock behind an incarnation (skew): not held, still an owner. */
	assert_string_equal(pname(&v, fotos_owner_pick_hold(&v, prefer, 3, hold, NULL,
							     4000 * SEC)), "n1");
	assert_int_equal(fotos_owner_pick_hold(&v, prefer, 0, hold, NULL, 0), -ENOENT);
	assert_int_equal(fotos_owner_pick_hold(NULL, prefer, 3, hold, NULL, 0), -EINVAL);
}

/* Rendezvous over NKEYS keys: who owns what before and after a change. */
static void owners_of_keys(const struct fotos_view *v, char (*out)[FOTOS_NAME_LEN])
{
	uint32_t pos;
	char key[32];
	unsigned int i;
	int len;

	for (i = 0; i < NKEYS; i++) {
		len = snprintf(key, sizeof(key), "object/%u", i);
		assert_int_equal(fotos_hash_pick(v, key, (size_t)len, &pos, 1), 1);
		memcpy(out[i], v->members[pos].name, FOTOS_NAME_LEN);
	}
}

static void test_rendezvous_moves(void **state)
{
	static struct fotos_view v, w;
	static char before[NKEYS][FOTOS_NAME_LEN], after[NKEYS][FOTOS_NAME_LEN];
	char gone[FOTOS_NAME_LEN];
	unsigned int i, moved, share[FOTOS_MAX_MEMBERS] = { 0 }, round;
	uint32_t j, victim;
	double f;

	(void)state;
	rng_state = 3;
	for (round = 0; round < 4; round++) {
		random_view(&v, 16);
		if (round == 3)		/* alike names, as real clusters have */
			for (j = 0; j < 16; j++)
				snprintf(v.members[j].name, FOTOS_NAME_LEN, "node%02u", j);
		owners_of_keys(&v, before);

		/* Balance: every member gets 1/16 +- 10 %. */
		memset(share, 0, sizeof(share));
		for (i = 0; i < NKEYS; i++)
			for (j = 0; j < 16; j++)
				if (!strncmp(before[i], v.members[j].name, FOTOS_NAME_LEN))
					share[j]++;
		for (j = 0; j < 16; j++) {
			f = (double)share[j] * 16 / NKEYS;
			if (f < 0.9 || f > 1.1)
				fail_msg("member %u owns %.3f of its fair share", j, f);
		}

		/* One leaves: only its keys move, about 1/16 of all. */
		victim = rnd_below(16);
		memcpy(gone, v.members[victim].name, FOTOS_NAME_LEN);
		w = v;
		w.members[victim] = w.members[15];
		w.count = 15;
		owners_of_keys(&w, after);
		moved = 0;
		for (i = 0; i < NKEYS; i++) {
			if (!memcmp(before[i], after[i], FOTOS_NAME_LEN))
				continue;
			moved++;
			assert_memory_equal(before[i], gone, FOTOS_NAME_LEN);
		}
		f = (double)moved / NKEYS;
		if (f < 1.0 / 16 - 0.005 || f > 1.0 / 16 + 0.005)
			fail_msg("removing 1 of 16 moved %.4f of the keys (want %.4f)", f, 1.0 / 16);
		for (i = 0; i < NKEYS; i++)
			if (!memcmp(before[i], gone, FOTOS_NAME_LEN))
				assert_memory_not_equal(after[i], gone, FOTOS_NAME_LEN);

		/* One joins (16 -> 17): only keys it takes move, about 1/17. */
		w = v;
		snprintf(w.members[16].name, FOTOS_NAME_LEN, "newcomer-%u", round);
		w.count = 17;
		owners_of_keys(&w, after);
		moved = 0;
		for (i = 0; i < NKEYS; i++) {
			if (!memcmp(before[i], after[i], FOTOS_NAME_LEN))
				continue;
			moved++;
			assert_memory_equal(after[i], w.members[16].name, FOTOS_NAME_LEN);
		}
		f = (double)moved / NKEYS;
		if (f < 1.0 / 17 - 0.005 || f > 1.0 / 17 + 0.005)
			fail_msg("adding a 17th moved %.4f of the keys (want %.4f)", f, 1.0 / 17);
	}
}

static void test_replicas(void **state)
{
	static struct fotos_view v, w;
	uint32_t r3[FOTOS_MAX_MEMBERS], r2[2], r1, rw[3], victim;
	unsigned int i, a, b, changed = 0;
	char key[32];
	int len;

	(void)state;
	rng_state = 4;
	random_view(&v, 16);
	victim = 5;
	w = v;
	w.members[victim] = w.members[15];	/* w: v without the victim, reordered */
	w.count = 15;
	for (i = 0; i < 20000; i++) {
		int in = -1;

		len = snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(fotos_hash_pick(&v, key, (size_t)len, r3, 3), 3);
		assert_int_equal(fotos_hash_pick(&v, key, (size_t)len, r2, 2), 2);
		assert_int_equal(fotos_hash_pick(&v, key, (size_t)len, &r1, 1), 1);
		/* distinct, in order of weight, and a prefix of each other */
		assert_true(r3[0] != r3[1] && r3[1] != r3[2] && r3[0] != r3[2]);
		for (a = 0; a < 3; a++)
			assert_true(r3[a] < v.count);
		assert_true(fotos_hash_weight(ref_key(key, (size_t)len), v.members[r3[0]].name) >
			    fotos_hash_weight(ref_key(key, (size_t)len), v.members[r3[1]].name));
		assert_int_equal(r1, r3[0]);
		assert_int_equal(r2[0], r3[0]);
		assert_int_equal(r2[1], r3[1]);

		/* Minimal movement: without the victim, the set is the same if
		 * the victim was not in it; else the others keep their order
		 * and the next member fills the last place. */
		assert_int_equal(fotos_hash_pick(&w, key, (size_t)len, rw, 3), 3);
		for (a = 0; a < 3; a++)
			if (r3[a] == victim)
				in = (int)a;
		for (a = 0, b = 0; a < 3; a++) {
			if ((int)a == in)
				continue;
			assert_string_equal(w.members[rw[b]].name, v.members[r3[a]].name);
			b++;
		}
		if (in >= 0) {
			changed++;
			for (a = 0; a < 3; a++)
				assert_string_not_equal(w.members[rw[2]].name, v.members[r3[a]].name);
		}
	}
	/* about 3/16 of the sets held the victim */
	assert_true(changed > 20000 * 3 / 16 * 8 / 10 && changed < 20000 * 3 / 16 * 12 / 10);

	/* k beyond the members: all of them, each once */
	assert_int_equal(fotos_hash_pick(&v, "x", 1, r3, 100), 16);
	for (a = 0; a < 16; a++)
		for (b = a + 1; b < 16; b++)
			assert_true(r3[a] != r3[b]);
	v.count = 0;
	assert_int_equal(fotos_hash_pick(&v, "x", 1, r3, 1), -ENOENT);
	assert_int_equal(fotos_hash_pick(&v, "x", 1, r3, 0), -EINVAL);
	assert_int_equal(fotos_hash_pick(NULL, "x", 1, r3, 1), -EINVAL);
	assert_int_equal(fotos_hash_pick(&w, NULL, 1, r3, 1), -EINVAL);
	assert_int_equal(fotos_hash_pick(&w, NULL, 0, r3, 1), 1);	/* the empty key */
}

/* ---- the handle wrappers on a real segment ------------------------------- */

static void publish(struct shm_segment *seg, const char *const *names, uint32_t n,
		    uint64_t epoch, uint64_t stable, uint64_t primary, uint64_t status_view_id)
{
	static struct fotos_shm_view sv;
	uint64_t w[FOTOS_SW_NWORDS] = { 0 };
	uint32_t i;

	memset(&sv, 0, sizeof(sv));
	sv.epoch = epoch;
	sv.view_id = epoch * 7919;
	sv.net_id = 1;
	sv.count = n;
	for (i = 0; i < n; i++) {
		snprintf(sv.members[i].name, sizeof(sv.members[i].name), "%s", names[i]);
		sv.members[i].incarnation = 1;	/* started long ago */
		sv.members[i].index = i;
	}
	w[FOTOS_SW_STATE] = stable ? FOTOS_ST_STABLE : FOTOS_ST_UNSTABLE;
	w[FOTOS_SW_STABLE] = stable;
	w[FOTOS_SW_PRIMARY] = primary;
	w[FOTOS_SW_EPOCH] = epoch;
	w[FOTOS_SW_VIEW_ID] = status_view_id ? status_view_id : sv.view_id;
	shm_publish_view(seg, &sv);
	shm_publish_state(seg, w);
}

static void test_handle_wrappers(void **state)
{
	static const char *all[] = { "n1", "n2", "n3" };
	static const char *n23[] = { "n2", "n3" };
	const char *prefer[] = { "n1", "n2", "n3" };
	struct shm_params p = { 0 };
	struct shm_segment seg;
	struct fotos_owner_state st;
	struct fotos_member m, ms[4];
	static struct fotos_view v;
	struct fotos *h;
	unsigned int flags;
	uint32_t pos[3];
	int ret, i;

	(void)state;
	p.name = th_shm_name();
	p.node_name = "n1";
	p.cluster_name = "unit";
	p.control_path = "";
	p.stale_after_ns = 3600 * SEC;
	p.mode = 0600;
	assert_int_equal(shm_segment_create(&p, &seg), 0);
	publish(&seg, all, 3, 5, 1, 1, 0);
	assert_int_equal(fotos_open(p.name, &h), 0);
	fotos_owner_state_init(&st);

	assert_int_equal(fotos_owner(h, prefer, 3, 0, NULL, &m, &flags), 0);
	assert_string_equal(m.name, "n1");
	assert_int_equal(flags, 0);
	assert_int_equal(fotos_owner(h, prefer, 3, 10 * SEC, &st, &m, NULL), 0);
	assert_string_equal(m.name, "n1");
	ret = fotos_hash_owners(h, "user:42", 7, ms, 4, &flags);
	assert_int_equal(ret, 3);
	assert_int_equal(flags, 0);
	assert_int_equal(fotos_read_view(h, &v), 0);
	assert_int_equal(fotos_hash_pick(&v, "user:42", 7, pos, 3), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(ms[i].name, v.members[pos[i]].name);

	publish(&seg, n23, 2, 6, 0, 1, 0);	/* n1 gone, change being agreed */
	assert_int_equal(fotos_owner(h, prefer, 3, 0, NULL, &m, &flags), 0);
	assert_string_equal(m.name, "n2");
	assert_int_equal(flags, FOTOS_DECIDE_UNSTABLE);
	publish(&seg, n23, 2, 7, 1, 0, 0);	/* stable, but not the primary */
	assert_int_equal(fotos_hash_owners(h, "k", 1, ms, 1, &flags), 1);
	assert_int_equal(flags, FOTOS_DECIDE_NOT_PRIMARY);
	publish(&seg, n23, 2, 8, 1, 1, 12345);	/* status names another view */
	assert_int_equal(fotos_owner(h, prefer, 3, 0, NULL, &m, &flags), 0);
	assert_int_equal(flags, FOTOS_DECIDE_UNSTABLE);
	publish(&seg, all, 0, 9, 0, 0, 0);	/* joining: no members yet */
	assert_int_equal(fotos_owner(h, prefer, 3, 0, NULL, &m, &flags), -ENOENT);
	assert_int_equal(flags, FOTOS_DECIDE_UNSTABLE | FOTOS_DECIDE_NOT_PRIMARY);
	assert_int_equal(fotos_hash_owners(h, "k", 1, ms, 1, &flags), -ENOENT);
	assert_int_equal(fotos_hash_owners(h, "k", 1, ms, 0, &flags), -EINVAL);
	assert_int_equal(fotos_owner(h, prefer, 3, 0, NULL, NULL, &flags), -EINVAL);

	fotos_close(h);
	shm_segment_close(&seg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_spec),
		cmocka_unit_test(test_every_node_same_owners),
		cmocka_unit_test(test_failover_takeover),
		cmocka_unit_test(test_hold_time),
		cmocka_unit_test(test_rendezvous_moves),
		cmocka_unit_test(test_replicas),
		cmocka_unit_test(test_handle_wrappers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? T_FAIL : T_PASS;
}
