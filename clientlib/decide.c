/*
 * decide.c - decisions every node computes alike from the agreed view:
 * the owner of a service along a priority list (fail-over, take-over with
 * an optional hold time) and rendezvous hashing of keys to members.
 *
 * Pure functions of a struct fotos_view (plus, for the hold time, a
 * caller-owned struct fotos_owner_state and the time), and two wrappers
 * that read the view through a handle. No allocation, no system call.
 * The hash is specified in fotos.h so that other languages can
 * reproduce it; tests/unit/test_decide.c checks this code against a
 * byte-by-byte transcription of that text.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "fotos.h"


#define GOLDEN		0x9e3779b97f4a7c15ull
#define NAME_C0		0x9e3779b97f4a7c15ull
#define NAME_C1		0xbf58476d1ce4e5b9ull
#define NAME_C2		0x94d049bb133111ebull
#define NAME_C3		0xff51afd7ed558ccdull
#define ST_APPLIED	(1u << 0)	/* fotos_owner_state: a view was applied */

_Static_assert(FOTOS_NAME_LEN == 32, "name_hash() reads names as 4 words");

/* ---- the hash (specified in fotos.h) ----------------------------- */

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static inline uint64_t absorb(uint64_t h, uint64_t w)
{
	h = (h ^ w) * GOLDEN;
	return h ^ (h >> 32);
}

/* 8 bytes at p as a little-endian number, whatever the host. */
static inline uint64_t load_le64(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

uint64_t fotos_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ ((uint64_t)len * GOLDEN), w;
	size_t i, rest;

	for (i = 0; i + 8 <= len; i += 8)
		h = absorb(h, load_le64(p + i));
	rest = len - i;
	if (rest) {
		w = 0;
		while (rest--)
			w |= (uint64_t)p[i + rest] << (8 * rest);
		h = absorb(h, w);
	}
	return mix(h);
}

/*
 * N of a member name (32 bytes, maybe not NUL-ended): the name zero-padded
 * to 32 bytes, whatever the bytes after its NUL hold, as four little-endian
 * words w0..w3; N = w0*C0 ^ w1*C1 ^ w2*C2 ^ w3*C3. Names up to 7 bytes,
 * the usual, cost one multiplication (the branch predicts well: the names
 * of one cluster are alike); the weight's mix() does the mixing.
 */
static inline uint64_t name_hash(const char *name)
{
	uint64_t w = load_le64(name), z, first, h;
	unsigned int i;

	/* Bit 7 of each zero byte; the lowest one set marks the first NUL
	 * (bytes above a true zero can be false positives, never below). */
	z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
	first = z & (0 - z);
	if (first)
		return (w & ((first >> 7) - 1)) * NAME_C0;
	h = w * NAME_C0;
	for (i = 1; i < 4; i++) {
		static const uint64_t c[4] = { NAME_C0, NAME_C1, NAME_C2, NAME_C3 };

		w = load_le64(name + 8 * i);
		z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
		first = z & (0 - z);
		if (first)
			return h ^ (w & ((first >> 7) - 1)) * c[i];
		h ^= w * c[i];
	}
	return h;
}

uint64_t fotos_hash_weight(uint64_t key_hash, const char *name)
{
	char buf[FOTOS_NAME_LEN] = { 0 };

	/* Copy: name may be a short string, and name_hash() reads 32 bytes. */
	memcpy(buf, name, strnlen(name, FOTOS_NAME_LEN));
	return mix(key_hash ^ name_hash(buf));
}

/* ---- rendezvous hashing ------------------------------------------------- */

/* Names compare bytewise up to the NUL or 32 bytes. */
static inline int name_cmp(const char *a, const char *b)
{
	return strncmp(a, b, FOTOS_NAME_LEN);
}

/* Is member a (weight wa) ahead of member b (weight wb)? Ties: smaller name. */
static inline int ahead(const struct fotos_view *v, uint64_t wa, uint32_t a, uint64_t wb,
			uint32_t b)
{
	if (wa != wb)
		return wa > wb;
	return name_cmp(v->members[a].name, v->members[b].name) < 0;
}

int fotos_hash_pick_hash(const struct fotos_view *v, uint64_t key_hash, uint32_t *out,
			 unsigned int k)
{
	uint64_t w[FOTOS_MAX_MEMBERS];
	uint32_t i, j, n, count;

	if (!v || !out || !k)
		return -EINVAL;
	count = v->count < FOTOS_MAX_MEMBERS ? v->count : FOTOS_MAX_MEMBERS;
	if (!count)
		return -ENOENT;
	/* All weights first: independent of each other, so the CPU overlaps
	 * the members' multiplications; no store the loads could alias. */
	for (i = 0; i < count; i++)
		w[i] = mix(key_hash ^ name_hash(v->members[i].name));
	if (k > count)
		k = count;
	/* Then the k best, kept in order by insertion: after the first few
	 * members almost every one is behind the k-th, a well predicted test. */
	out[0] = 0;
	n = 1;
	for (i = 1; i < count; i++) {
		if (n == k && !ahead(v, w[i], i, w[out[n - 1]], out[n - 1]))
			continue;
		j = n < k ? n++ : n - 1;
		while (j > 0 && ahead(v, w[i], i, w[out[j - 1]], out[j - 1])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return (int)n;
}

int fotos_hash_pick(const struct fotos_view *v, const void *key, size_t len, uint32_t *out,
		    unsigned int k)
{
	if (!key && len)
		return -EINVAL;
	return fotos_hash_pick_hash(v, fotos_hash_bytes(key, len, FOTOS_HASH_SEED_KEY), out, k);
}

/* ---- priority lists ----------------------------------------------------- */

/* A listed name prepared for fast comparison with member names. */
struct want {
	const char *s;
	size_t len;		/* bytes before the NUL; FOTOS_NAME_LEN + 1: never matches */
	size_t cmp;		/* bytes to compare: the NUL too when len < 32 */
	uint64_t head, mask;	/* the first min(cmp, 8) bytes, in memory order */
};

static void want_init(struct want *w, const char *s)
{
	size_t h;

	w->s = s;
	w->len = s ? strnlen(s, FOTOS_NAME_LEN + 1) : FOTOS_NAME_LEN + 1;
	w->cmp = w->len < FOTOS_NAME_LEN ? w->len + 1 : FOTOS_NAME_LEN;
	w->head = w->mask = 0;
	if (w->len > FOTOS_NAME_LEN)
		return;
	h = w->cmp < 8 ? w->cmp : 8;
	memcpy(&w->head, s, h);
	memset(&w->mask, 0xff, h);
}

static inline int want_match(const struct want *w, const char *name)
{
	uint64_t m;

	if (w->len > FOTOS_NAME_LEN)
		return 0;
	memcpy(&m, name, sizeof(m));
	if ((m & w->mask) != w->head)
		return 0;
	return w->cmp <= 8 || !memcmp(name + 8, w->s + 8, w->cmp - 8);
}

/* Position of the member named by w, or -1. */
static inline int find(const struct fotos_view *v, uint32_t count, const struct want *w)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		if (want_match(w, v->members[i].name))
			return (int)i;
	return -1;
}

int fotos_owner_pick(const struct fotos_view *v, const char *const *prefer, unsigned int nprefer)
{
	struct want w;
	uint32_t count;
	unsigned int p;
	int pos;

	if (!v || (!prefer && nprefer))
		return -EINVAL;
	count = v->count < FOTOS_MAX_MEMBERS ? v->count : FOTOS_MAX_MEMBERS;
	for (p = 0; p < nprefer; p++) {
		want_init(&w, prefer[p]);
		pos = find(v, count, &w);
		if (pos >= 0)
			return pos;
	}
	return -ENOENT;
}

void fotos_owner_state_init(struct fotos_owner_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* The entry of st for member m (same name and incarnation), or NULL. */
static const struct fotos_owner_seen *seen_find(const struct fotos_owner_state *st,
						const struct fotos_member *m)
{
	uint32_t i;

	for (i = 0; i < st->count && i < FOTOS_MAX_MEMBERS; i++)
		if (st->seen[i].incarnation == m->incarnation &&
		    !name_cmp(st->seen[i].name, m->name))
			return &st->seen[i];
	return NULL;
}

/*
 * Bring st to view v, seen at now. Members of the last applied view keep
 * their date; members of the first view seen are members since their
 * incarnation (agreed by all nodes); members new since the last call are
 * dated by their incarnation if they restarted since that call, else now.
 * Members that left are forgotten, so a return is dated anew.
 */
static void state_apply(struct fotos_owner_state *st, const struct fotos_view *v,
			uint32_t count, uint64_t now)
{
	struct fotos_owner_seen next[FOTOS_MAX_MEMBERS];
	const struct fotos_owner_seen *old;
	uint32_t i;

	if ((st->flags & ST_APPLIED) && st->net_id == v->net_id && st->epoch == v->epoch &&
	    st->view_id == v->view_id)
		return;		/* same view: same members */
	for (i = 0; i < count; i++) {
		const struct fotos_member *m = &v->members[i];
		uint64_t inc = m->incarnation;

		old = (st->flags & ST_APPLIED) ? seen_find(st, m) : NULL;
		memcpy(next[i].name, m->name, FOTOS_NAME_LEN);
		next[i].incarnation = inc;
		if (old)
			next[i].since_ns = old->since_ns;
		else if (!(st->flags & ST_APPLIED) || inc > st->applied_ns)
			next[i].since_ns = inc;
		else
			next[i].since_ns = now > inc ? now : inc;
	}
	memcpy(st->seen, next, count * sizeof(next[0]));
	st->count = count;
	st->net_id = v->net_id;
	st->epoch = v->epoch;
	st->view_id = v->view_id;
	st->applied_ns = now;
	st->flags |= ST_APPLIED;
}

int fotos_owner_pick_hold(const struct fotos_view *v, const char *const *prefer,
			  unsigned int nprefer, uint64_t hold_ns, struct fotos_owner_state *st,
			  uint64_t now)
{
	uint64_t since, best_since = UINT64_MAX;
	int pos, best = -ENOENT;
	uint32_t count;
	unsigned int p;
	struct want w;

	if (!hold_ns)
		return fotos_owner_pick(v, prefer, nprefer);
	if (!v || (!prefer && nprefer))
		return -EINVAL;
	count = v->count < FOTOS_MAX_MEMBERS ? v->count : FOTOS_MAX_MEMBERS;
	if (st)
		state_apply(st, v, count, now);
	for (p = 0; p < nprefer; p++) {
		want_init(&w, prefer[p]);
		pos = find(v, count, &w);
		if (pos < 0)
			continue;
		if (st) {
			const struct fotos_owner_seen *s = seen_find(st, &v->members[pos]);

			since = s ? s->since_ns : v->members[pos].incarnation;
		} else {
			since = v->members[pos].incarnation;
		}
		if (now >= since && now - since >= hold_ns)
			return pos;		/* the first listed member held long enough */
		if (since < best_since) {	/* strict: ties stay with the earlier listed */
			best_since = since;
			best = pos;
		}
	}
	return best;
}

/* ---- the handle wrappers ------------------------------------------------ */

/*
 * Read the view, and the status that says whether it is agreed; the
 * FOTOS_DECIDE_* bits into *flags. 0 or the -errno of the reads.
 */
static int read_decidable(const struct fotos *h, struct fotos_view *v, unsigned int *flags)
{
	struct fotos_status st;
	unsigned int f = 0;
	int ret;

	ret = fotos_read_status(h, &st);
	if (ret < 0)
		return ret;
	ret = fotos_read_view(h, v);
	if (ret < 0)
		return ret;
	/* The agent publishes the view, then the status naming it: a status
	 * for another view means a change is being published right now. */
	if (!st.stable || st.view_id != v->view_id)
		f |= FOTOS_DECIDE_UNSTABLE;
	if (!st.primary)
		f |= FOTOS_DECIDE_NOT_PRIMARY;
	if (flags)
		*flags = f;
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	/* CLOCK_REALTIME is served by the vDSO: no system call. It is the
	 * clock of the incarnations the hold time is measured against. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int fotos_owner(const struct fotos *h, const char *const *prefer, unsigned int nprefer,
		uint64_t hold_ns, struct fotos_owner_state *st, struct fotos_member *owner,
		unsigned int *flags)
{
	struct fotos_view v;
	int ret;

	if (flags)
		*flags = FOTOS_DECIDE_UNSTABLE;
	if (!h || !owner || (!prefer && nprefer))
		return -EINVAL;
	ret = read_decidable(h, &v, flags);
	if (ret < 0)
		return ret;
	ret = fotos_owner_pick_hold(&v, prefer, nprefer, hold_ns, st,
				    hold_ns ? realtime_ns() : 0);
	if (ret < 0)
		return ret;
	*owner = v.members[ret];
	return 0;
}

int fotos_hash_owners(const struct fotos *h, const void *key, size_t len,
		      struct fotos_member *out, unsigned int k, unsigned int *flags)
{
	struct fotos_view v;
	uint32_t pos[FOTOS_MAX_MEMBERS];
	int ret, i;

	if (flags)
		*flags = FOTOS_DECIDE_UNSTABLE;
	if (!h || !out || !k || (!key && len))
		return -EINVAL;
	ret = read_decidable(h, &v, flags);
	if (ret < 0)
		return ret;
	ret = fotos_hash_pick(&v, key, len, pos, k > FOTOS_MAX_MEMBERS ? FOTOS_MAX_MEMBERS : k);
	for (i = 0; i < ret; i++)
		out[i] = v.members[pos[i]];
	return ret;
}
