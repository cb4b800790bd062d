/*
 * db.c - the replicated key-value database with vector-clock controlled
 * updates.
 *
 * The store is the database region of the segment itself (fotos_abi.h): an
 * open-addressing table of versions, each slot under its own seqlock, so
 * clients read a key with zero system calls while the agent (the only
 * writer) updates another. The agent reads its own table without locks.
 *
 * A write from a local client increments this node's counter of the merge
 * of every version the key has, so it dominates them all (and clears a
 * conflict), is applied here and sent to every member (DB_UPDATE). On
 * receipt an update older than or equal to a version held is stale and
 * dropped; one newer than some versions replaces them; one concurrent with
 * a version is kept beside it: the key is flagged CONFLICT, the winner is
 * chosen the same way on every node (larger clock sum, then higher writer,
 * then larger value) and the losers stay readable as SIBLING versions
 * until a write that dominates them. Nothing is silently lost.
 *
 * Acknowledgements: a write is answered once applied here ("local"), or,
 * when the client asks for it, once every member of the view it was
 * written in has applied it ("all"); if the view changes first, the answer
 * says "partial" and which members had it. Deletes are tombstones; once
 * every member acknowledged one, the writer collects it everywhere (GC).
 *
 * Conditional writes (the client gives the clock it read) must not both
 * succeed on two nodes, so they run on the key's owner, the member chosen by
 * rendezvous hashing over the view; other members forward them (DB_CAS).
 *
 * A node that joins is sent every version by the lowest old member, and
 * sends its own to all (so two networks that merge reconcile); the transfer
 * is paced by the peer's send queue so it never stalls the loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "mem.h"
#include "seqlock.h"

#define SYNC_QUEUE_MAX	(256u * 1024u)	/* pace a sync by the peer's send queue */
#define DB_PENDING_MAX	65536u		/* writes waiting for acks (ack=all, deletes) */

/* A version as the agent handles it; key and val point elsewhere. */
struct dbv {
	uint64_t hash;
	uint32_t klen, vlen, flags, writer;
	struct fotos_vclock clock;
	const uint8_t *key, *val;
};

/* ---- the table ------------------------------------------------------- */

static struct fotos_seq_region *slot(const struct db *d, uint64_t i)
{
	return (struct fotos_seq_region *)(void *)(d->slots + (i & d->mask) * d->slot_size);
}

static uint64_t word(const struct db *d, uint64_t i, unsigned int k)
{
	/* the agent is the only writer: its own reads need no seqlock */
	return atomic_load_explicit(&slot(d, i)->w[k], memory_order_relaxed);
}

static const uint8_t *slot_key(const struct db *d, uint64_t i)
{
	return (const uint8_t *)(const void *)&slot(d, i)->w[FOTOS_SLOT_CLOCK + d->nclock];
}

static const uint8_t *slot_val(const struct db *d, uint64_t i)
{
	return slot_key(d, i) + 8 * ((d->hdr->max_key_len + 7) / 8);
}

static void slot_clock(const struct db *d, uint64_t i, struct fotos_vclock *vc)
{
	uint64_t k;

	fotos_vclock_init(vc, (uint32_t)d->nclock);
	for (k = 0; k < d->nclock; k++)
		vc->c[k] = word(d, i, FOTOS_SLOT_CLOCK + (unsigned)k);
}

/* The version in slot i (key and value point into the table). */
static void slot_get(const struct db *d, uint64_t i, struct dbv *v)
{
	uint64_t lens = word(d, i, FOTOS_SLOT_LENS), fl = word(d, i, FOTOS_SLOT_FLAGS);

	v->hash = word(d, i, FOTOS_SLOT_HASH);
	v->klen = (uint32_t)lens;
	v->vlen = (uint32_t)(lens >> 32);
	v->flags = (uint32_t)fl;
	v->writer = (uint32_t)(fl >> 32);
	slot_clock(d, i, &v->clock);
	v->key = slot_key(d, i);
	v->val = slot_val(d, i);
}

static int slot_has_key(const struct db *d, uint64_t i, uint64_t hash, const uint8_t *key,
			uint32_t klen)
{
	return word(d, i, FOTOS_SLOT_HASH) == hash &&
	       (uint32_t)word(d, i, FOTOS_SLOT_LENS) == klen && !memcmp(slot_key(d, i), key, klen);
}

/* Copy bytes into payload words at byte offset off, as 64-bit stores. */
static void store_bytes(struct fotos_seq_region *r, size_t first_word, const uint8_t *p, size_t n)
{
	size_t k;

	for (k = 0; k < (n + 7) / 8; k++) {
		uint64_t w = 0;
		size_t m = n - 8 * k < 8 ? n - 8 * k : 8;

		memcpy(&w, p + 8 * k, m);
		atomic_store_explicit(&r->w[first_word + k], w, memory_order_relaxed);
	}
}

/* Write version v into slot i with flags, inside the slot's seqlock. */
static void slot_put(struct db *d, uint64_t i, const struct dbv *v, uint32_t flags)
{
	struct fotos_seq_region *r = slot(d, i);
	size_t kw = FOTOS_SLOT_CLOCK + d->nclock;
	uint64_t k;

	seqlock_write_begin(r);
	atomic_store_explicit(&r->w[FOTOS_SLOT_HASH], v->hash, memory_order_relaxed);
	atomic_store_explicit(&r->w[FOTOS_SLOT_LENS], v->klen | (uint64_t)v->vlen << 32,
			      memory_order_relaxed);
	atomic_store_explicit(&r->w[FOTOS_SLOT_FLAGS], flags | (uint64_t)v->writer << 32,
			      memory_order_relaxed);
	for (k = 0; k < d->nclock; k++)
		atomic_store_explicit(&r->w[FOTOS_SLOT_CLOCK + k],
				      k < v->clock.n ? v->clock.c[k] : 0, memory_order_relaxed);
	store_bytes(r, kw, v->key, v->klen);
	store_bytes(r, kw + (d->hdr->max_key_len + 7) / 8, v->val, v->vlen);
	seqlock_write_end(r);
}

static void slot_set_flags(struct db *d, uint64_t i, uint32_t flags)
{
	struct fotos_seq_region *r = slot(d, i);
	uint64_t fl = word(d, i, FOTOS_SLOT_FLAGS);

	if ((uint32_t)fl == flags)
		return;
	seqlock_write_begin(r);
	atomic_store_explicit(&r->w[FOTOS_SLOT_FLAGS], flags | (fl >> 32) << 32, memory_order_relaxed);
	seqlock_write_end(r);
}

/* Copy slot from into slot to (a move during backward-shift deletion). */
static void slot_copy(struct db *d, uint64_t from, uint64_t to)
{
	struct fotos_seq_region *r = slot(d, to), *s = slot(d, from);
	uint64_t k, n = d->slot_size / 8 - 1;

	seqlock_write_begin(r);
	for (k = 0; k < n; k++)
		atomic_store_explicit(&r->w[k], atomic_load_explicit(&s->w[k], memory_order_relaxed),
				      memory_order_relaxed);
	seqlock_write_end(r);
}

static void slot_clear(struct db *d, uint64_t i)
{
	struct fotos_seq_region *r = slot(d, i);

	seqlock_write_begin(r);
	atomic_store_explicit(&r->w[FOTOS_SLOT_HASH], 0, memory_order_relaxed);
	seqlock_write_end(r);
}

/* The table seqlock: odd while slots move, so a reader's miss is re-checked. */
static void table_begin(struct db *d)
{
	seqlock_write_begin((struct fotos_seq_region *)(void *)d->hdr);
}

static void table_end(struct db *d)
{
	seqlock_write_end((struct fotos_seq_region *)(void *)d->hdr);
}

/*
 * Remove slot i by backward shift (linear probing): later entries of the
 * chain that may live at i move up. Call inside table_begin/table_end.
 */
static void slot_remove(struct db *d, uint64_t i)
{
	uint64_t j = i;

	for (;;) {
		uint64_t home, h;

		j = (j + 1) & d->mask;
		h = word(d, j, FOTOS_SLOT_HASH);
		if (!h)
			break;
		home = h & d->mask;
		/* may the entry at j move to i? only if its home is not in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			slot_copy(d, j, i);
			i = j;
		}
	}
	slot_clear(d, i);
	atomic_fetch_sub_explicit(&d->hdr->used, 1, memory_order_relaxed);
}

/* Slots holding versions of key; returns how many (at most max). */
static int find_versions(const struct db *d, uint64_t hash, const uint8_t *key, uint32_t klen,
			 uint64_t *idx, int max)
{
	uint64_t i = hash & d->mask, n;
	int found = 0;

	for (n = 0; n <= d->mask; n++, i = (i + 1) & d->mask) {
		uint64_t h = word(d, i, FOTOS_SLOT_HASH);

		if (!h)
			break;
		if (slot_has_key(d, i, hash, key, klen) && found < max)
			idx[found++] = i;
	}
	return found;
}

static int64_t find_empty(const struct db *d, uint64_t hash)
{
	uint64_t i = hash & d->mask, n;

	for (n = 0; n <= d->mask; n++, i = (i + 1) & d->mask)
		if (!word(d, i, FOTOS_SLOT_HASH))
			return (int64_t)i;
	return -1;
}

static unsigned __int128 clock_sum(const struct fotos_vclock *vc)
{
	unsigned __int128 s = 0;
	uint32_t i;

	for (i = 0; i < vc->n; i++)
		s += vc->c[i];
	return s;
}

/* The order concurrent versions are ranked in, the same on every node. */
static int beats(const struct dbv *x, const struct dbv *y)
{
	unsigned __int128 sx = clock_sum(&x->clock), sy = clock_sum(&y->clock);
	uint32_t n;
	int c;

	if (sx != sy)
		return sx > sy;
	if (x->writer != y->writer)
		return x->writer > y->writer;
	n = x->vlen < y->vlen ? x->vlen : y->vlen;
	c = n ? memcmp(x->val, y->val, n) : 0;
	if (c)
		return c > 0;
	if (x->vlen != y->vlen)
		return x->vlen > y->vlen;
	return (x->flags & FOTOS_DBF_TOMBSTONE) < (y->flags & FOTOS_DBF_TOMBSTONE);
}

/* Is the key live (a winner that is not a tombstone) in these slots? */
static int key_live(const struct db *d, const uint64_t *idx, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		uint32_t fl = (uint32_t)word(d, idx[i], FOTOS_SLOT_FLAGS);

		if (!(fl & FOTOS_DBF_SIBLING))
			return !(fl & FOTOS_DBF_TOMBSTONE);
	}
	return 0;
}

/* After a change of a key's versions: flag the winner and the losers. */
static void rank_versions(struct db *d, const uint8_t *key, uint32_t klen, uint64_t hash)
{
	uint64_t idx[FOTOS_MAX_NODES + 1];
	struct dbv vs[FOTOS_MAX_NODES + 1];
	int n = find_versions(d, hash, key, klen, idx, FOTOS_MAX_NODES + 1), i, w = 0;

	for (i = 0; i < n; i++) {
		slot_get(d, idx[i], &vs[i]);
		if (i && beats(&vs[i], &vs[w]))
			w = i;
	}
	for (i = 0; i < n; i++) {
		uint32_t fl = vs[i].flags & FOTOS_DBF_TOMBSTONE;

		if (n > 1)
			fl |= i == w ? FOTOS_DBF_CONFLICT : FOTOS_DBF_SIBLING;
		slot_set_flags(d, idx[i], fl);
	}
}

/*
 * Apply a version. 1 applied, 0 stale (older than or equal to a version
 * held), -ENOSPC (no slot left: logged and counted; for a local write the
 * caller refuses it).
 */
static int apply(struct agent *a, const struct dbv *v)
{
	struct db *d = &a->db;
	uint64_t idx[FOTOS_MAX_NODES + 1], drop[FOTOS_MAX_NODES + 1];
	int n = find_versions(d, v->hash, v->key, v->klen, idx, FOTOS_MAX_NODES + 1);
	int i, ndrop = 0, nkeep = 0, was_live = key_live(d, idx, n);
	int64_t e;

	for (i = 0; i < n; i++) {
		struct fotos_vclock c;

		slot_clock(d, idx[i], &c);
		switch (fotos_vclock_compare(&v->clock, &c)) {
		case FOTOS_VC_EQUAL:
		case FOTOS_VC_BEFORE:
			d->stale++;
			return 0;
		case FOTOS_VC_AFTER:
			drop[ndrop++] = idx[i];
			break;
		default:
			nkeep++;
			break;
		}
	}
	if (ndrop == 1 && nkeep == 0) {
		/* the common case: one version replaced in place */
		slot_put(d, drop[0], v, v->flags & FOTOS_DBF_TOMBSTONE);
		i = !(v->flags & FOTOS_DBF_TOMBSTONE);
		goto counted;
	} else {
		if (!ndrop && atomic_load_explicit(&d->hdr->used, memory_order_relaxed) >=
				      d->hdr->max_keys) {
			d->refused_full++;
			log_err("database full (%llu versions): an update of a %u-byte key is refused",
				(unsigned long long)d->hdr->max_keys, v->klen);
			return -ENOSPC;
		}
		table_begin(d);
		if (ndrop) {
			slot_put(d, drop[0], v, v->flags & FOTOS_DBF_TOMBSTONE);
		} else {
			e = find_empty(d, v->hash);
			slot_put(d, (uint64_t)e, v, v->flags & FOTOS_DBF_TOMBSTONE);
			atomic_fetch_add_explicit(&d->hdr->used, 1, memory_order_relaxed);
		}
		/* remove the other dominated versions, finding them again each
		 * time since a removal shifts the chain */
		for (i = 1; i < ndrop; i++) {
			uint64_t cur[FOTOS_MAX_NODES + 1];
			int m = find_versions(d, v->hash, v->key, v->klen, cur, FOTOS_MAX_NODES + 1), k;

			for (k = 0; k < m; k++) {
				struct fotos_vclock c;

				slot_clock(d, cur[k], &c);
				if (fotos_vclock_compare(&v->clock, &c) == FOTOS_VC_AFTER) {
					slot_remove(d, cur[k]);
					break;
				}
			}
		}
		rank_versions(d, v->key, v->klen, v->hash);
		table_end(d);
	}
	n = find_versions(d, v->hash, v->key, v->klen, idx, FOTOS_MAX_NODES + 1);
	i = key_live(d, idx, n);
counted:
	if (i != was_live) {
		if (i)
			atomic_fetch_add_explicit(&d->hdr->nkeys, 1, memory_order_relaxed);
		else
			atomic_fetch_sub_explicit(&d->hdr->nkeys, 1, memory_order_relaxed);
	}
	d->applied++;
	d->dirty = 1;
	d->last_off = persist_append(a, v->writer, v->flags & FOTOS_DBF_TOMBSTONE, &v->clock, v->key,
				     v->klen, v->val, v->vlen, 0);
	return 1;
}

/* Collect a tombstone that every member holds: only if it is still the
 * key's one version, with exactly this clock. */
static void collect(struct agent *a, const struct dbv *v)
{
	struct db *d = &a->db;
	uint64_t idx[2];
	struct fotos_vclock c;
	int n = find_versions(d, v->hash, v->key, v->klen, idx, 2);

	if (n != 1 || !(word(d, idx[0], FOTOS_SLOT_FLAGS) & FOTOS_DBF_TOMBSTONE))
		return;
	slot_clock(d, idx[0], &c);
	if (fotos_vclock_compare(&c, &v->clock) != FOTOS_VC_EQUAL)
		return;
	table_begin(d);
	slot_remove(d, idx[0]);
	table_end(d);
	d->dirty = 1;
	d->last_off = persist_append(a, v->writer, FOTOS_DBF_TOMBSTONE, &v->clock, v->key, v->klen,
				     NULL, 0, 1);
}

/* ---- replies ------------------------------------------------------- */

static const char *errname(int err)
{
	switch (err) {
	case -ENOSPC: return "ENOSPC";
	case -E2BIG: return "E2BIG";
	case -ECANCELED: return "ECANCELED";
	case -EAGAIN: return "EAGAIN";
	case -EBUSY: return "EBUSY";
	case -ENOMEM: return "ENOMEM";
	case -EINVAL: return "EINVAL";
	case -ETIMEDOUT: return "ETIMEDOUT";
	default: return "EIO";
	}
}

static int reply_alive(const struct agent *a, const struct db_reply_to *to)
{
	const struct conn *c;

	if (to->kind != 1)
		return 0;
	c = &a->conns[to->slot];
	return c->kind == CONN_CTL && !c->closing && c->gen == to->gen;
}

/* The answer to a write: to a control client, or to the forwarding peer. */
static void reply_write(struct agent *a, const struct db_reply_to *to, int err,
			const struct fotos_vclock *clock, const char *ack)
{
	char cl[FOTOS_MAX_MEMBERS * 24];

	if (fotos_vclock_format(clock, cl, sizeof(cl)) < 0)
		snprintf(cl, sizeof(cl), "-");
	if (to->kind == 2) {
		struct wire_msg m = { .type = WIRE_DB_CAS_REPLY };

		m.u.db.id = to->rid;
		m.u.db.result = err;
		m.u.db.clock = *clock;
		mesh_send(a, to->peer, &m);
		return;
	}
	if (!reply_alive(a, to))
		return;
	if (err == -ECANCELED)
		ctl_reply(a, to->slot, "err ECANCELED condition failed: the key changed, current clock=%s", cl);
	else if (err)
		ctl_reply(a, to->slot, "err %s write failed: %s", errname(err), strerror(-err));
	else
		ctl_reply(a, to->slot, "ok clock=%s ack=%s", cl, ack);
}

/*
 * Answer once the last record appended is durable (see persist.c): at once
 * without --data-dir, else when the log has reached it.
 */
static void reply_durable(struct agent *a, const struct db_reply_to *to, int err,
			  const struct fotos_vclock *clock, const char *ack)
{
	struct db *d = &a->db;
	struct db_wait *w;

	if (err || persist_durable(a) >= d->last_off) {
		reply_write(a, to, err, clock, ack);
		return;
	}
	w = fotos_calloc(1, sizeof(*w));
	if (!w) {
		reply_write(a, to, -ENOMEM, clock, ack);
		return;
	}
	w->off = d->last_off;
	w->to = *to;
	w->clock = *clock;
	snprintf(w->ack, sizeof(w->ack), "%s", ack);
	*d->waits_tail = w;
	d->waits_tail = &w->next;
}

static void ack_durable(struct agent *a, int peer, uint64_t wid)
{
	struct db *d = &a->db;
	struct wire_msg m = { .type = WIRE_DB_ACK };
	struct db_wait *w;

	if (persist_durable(a) >= d->last_off) {
		m.u.db.id = wid;
		m.u.db.node = (uint16_t)a->self;
		mesh_send(a, peer, &m);
		return;
	}
	w = fotos_calloc(1, sizeof(*w));
	if (!w)
		return;		/* the writer reports "partial": honest */
	w->off = d->last_off;
	w->is_ack = 1;
	w->peer = peer;
	w->wid = wid;
	*d->waits_tail = w;
	d->waits_tail = &w->next;
}

/* Release what became durable, in log order. */
static void release_waits(struct agent *a)
{
	struct db *d = &a->db;
	uint64_t durable = persist_durable(a);

	while (d->waits && d->waits->off <= durable) {
		struct db_wait *w = d->waits;

		d->waits = w->next;
		if (!d->waits)
			d->waits_tail = &d->waits;
		if (w->is_ack) {
			struct wire_msg m = { .type = WIRE_DB_ACK };

			m.u.db.id = w->wid;
			m.u.db.node = (uint16_t)a->self;
			mesh_send(a, w->peer, &m);
		} else {
			reply_write(a, &w->to, w->err, &w->clock, w->ack);
		}
		fotos_free(w);
	}
}

/* ---- replication --------------------------------------------------- */

static void send_update(struct agent *a, int peer, const struct dbv *v, uint64_t wid,
			uint16_t flags)
{
	struct wire_msg m = { .type = WIRE_DB_UPDATE };

	m.u.db.id = wid;
	m.u.db.node = (uint16_t)v->writer;
	m.u.db.flags = flags | ((v->flags & FOTOS_DBF_TOMBSTONE) ? WIRE_DBF_TOMB : 0);
	m.u.db.klen = v->klen;
	m.u.db.vlen = v->vlen;
	m.u.db.clock = v->clock;
	m.u.db.key = v->key;
	m.u.db.val = v->vlen ? v->val : NULL;
	mesh_send(a, peer, &m);
}

static uint64_t others(const struct agent *a)
{
	return a->memb.in_network ? a->memb.view.members & ~mask_of(a->self) : 0;
}

/*
 * The member that runs conditional writes of a key: the first rendezvous
 * owner, the very function clients use (fotos_hash_pick, `fotosctl owner
 * --key`), so an application can send such writes to that node directly.
 */
static int key_owner(const struct agent *a, const uint8_t *key, uint32_t klen)
{
	uint64_t m = a->memb.in_network ? a->memb.view.members : mask_of(a->self);
	uint64_t k = fotos_hash_bytes(key, klen, FOTOS_HASH_SEED_KEY), best = 0;
	int i, owner = -1;

	for (i = 0; i < FOTOS_MAX_NODES; i++) {
		uint64_t w;

		if (!(m & mask_of(i)))
			continue;
		w = fotos_hash_weight(k, a->conf.nodes[i].name);
		/* ties to the smaller name, as in clientlib */
		if (owner < 0 || w > best ||
		    (w == best && strcmp(a->conf.nodes[i].name, a->conf.nodes[owner].name) < 0)) {
			best = w;
			owner = i;
		}
	}
	return owner < 0 ? a->self : owner;
}

struct write_req {
	const uint8_t *key, *val;
	uint32_t klen, vlen;
	int tomb;
	int ack_all;
	int cond;		/* 0 none, 1 expect clock, 2 expect absent */
	struct fotos_vclock expect;
};

/*
 * Run a write on this node (we are the owner for a conditional one).
 * Returns 0 and the new clock, or -errno with (for -ECANCELED) the current
 * clock. Starts replication and, if acks are needed, a pending entry that
 * answers `to` later; otherwise the caller answers.
 */
static int local_write(struct agent *a, const struct write_req *r, struct fotos_vclock *clock,
		       const struct db_reply_to *to, int *deferred)
{
	struct db *d = &a->db;
	uint64_t idx[FOTOS_MAX_NODES + 1], need;
	struct dbv v;
	int n, i, ret;

	*deferred = 0;
	if (r->klen < 1 || r->klen > d->hdr->max_key_len || r->vlen > d->hdr->max_val_len)
		return -E2BIG;
	memset(&v, 0, sizeof(v));
	v.hash = fotos_key_hash(r->key, r->klen);
	v.key = r->key;
	v.klen = r->klen;
	v.val = r->val;
	v.vlen = r->tomb ? 0 : r->vlen;
	v.flags = r->tomb ? FOTOS_DBF_TOMBSTONE : 0;
	v.writer = (uint32_t)a->self;
	fotos_vclock_init(&v.clock, (uint32_t)d->nclock);
	n = find_versions(d, v.hash, v.key, v.klen, idx, FOTOS_MAX_NODES + 1);
	for (i = 0; i < n; i++) {
		struct fotos_vclock c;

		slot_clock(d, idx[i], &c);
		fotos_vclock_merge(&v.clock, &c);
	}
	if (r->cond == 1 || r->cond == 2) {
		uint32_t fl = n ? (uint32_t)word(d, idx[0], FOTOS_SLOT_FLAGS) : 0;
		int ok;

		if (r->cond == 2)
			ok = n == 0 || (n == 1 && (fl & FOTOS_DBF_TOMBSTONE));
		else
			/* the clock of what the writer saw: the one version, or
			 * for a conflicted key the merge of every version (so a
			 * writer that read them all can resolve the conflict) */
			ok = n >= 1 && fotos_vclock_compare(&v.clock, &r->expect) == FOTOS_VC_EQUAL;
		if (!ok) {
			*clock = v.clock;
			return -ECANCELED;
		}
	}
	if (!n && atomic_load_explicit(&d->hdr->used, memory_order_relaxed) >= d->hdr->max_keys)
		return -ENOSPC;
	/* Writes waiting for acknowledgements are memory: bounded. */
	if ((r->ack_all || r->tomb) && d->npending >= DB_PENDING_MAX)
		return -EBUSY;
	/* Back-pressure: a member this far behind would be dropped soon. */
	for (need = others(a); need; need &= need - 1) {
		const struct peer *p = &a->peers[__builtin_ctzll(need)];

		if (p->up && p->conn >= 0 && a->conns[p->conn].wlen > DB_BACKLOG_MAX)
			return -EAGAIN;
	}
	/*
	 * Our counter: above every counter of ours this key ever had, and
	 * above all our earlier writes of any key, in this life or a previous
	 * one (it starts at the incarnation, start time in ns). So a key
	 * written again after its delete was collected, or after a restart
	 * that lost the memory, still dominates what some node kept of it.
	 */
	if (v.clock.c[a->self] < d->counter)
		v.clock.c[a->self] = d->counter;
	ret = fotos_vclock_increment(&v.clock, (uint32_t)a->self);
	if (ret < 0)
		return ret;
	d->counter = v.clock.c[a->self];
	ret = apply(a, &v);
	if (ret < 0)
		return ret;
	*clock = v.clock;
	d->writes++;
	/* every member: one whose link is down cannot acknowledge, and the
	 * answer then says "partial" rather than pretend */
	need = others(a);
	if (r->ack_all || r->tomb) {
		struct db_pending *p = fotos_calloc(1, sizeof(*p) + r->klen);

		if (!p)
			return -ENOMEM;
		p->wid = ++d->next_wid;
		p->need = need;
		p->view_id = a->memb.view.view_id;
		p->started_ns = a->now;
		p->tomb = r->tomb;
		p->want_all = r->ack_all;
		p->clock = v.clock;
		p->klen = r->klen;
		memcpy(p->key, r->key, r->klen);
		if (r->ack_all)
			p->to = *to;
		p->next = d->pending;
		d->pending = p;
		d->npending++;
		*deferred = r->ack_all;
		for (i = 0; i < FOTOS_MAX_NODES; i++)
			if ((need & mask_of(i)) && a->peers[i].up)
				send_update(a, i, &v, p->wid, WIRE_DBF_ACK);
	} else {
		for (i = 0; i < FOTOS_MAX_NODES; i++)
			if ((need & mask_of(i)) && a->peers[i].up)
				send_update(a, i, &v, 0, 0);
	}
	return 0;
}

/* The tombstone a pending delete stands for (key and clock point into p). */
static void pending_tombstone(const struct agent *a, const struct db_pending *p, struct dbv *v)
{
	memset(v, 0, sizeof(*v));
	v->hash = fotos_key_hash(p->key, p->klen);
	v->key = p->key;
	v->klen = p->klen;
	v->clock = p->clock;
	v->flags = FOTOS_DBF_TOMBSTONE;
	v->writer = (uint32_t)a->self;
}

/* A pending write is done: every member acked, or the view moved on. */
static void finish_pending(struct agent *a, struct db_pending *p, int complete)
{
	char ack[64 + FOTOS_MAX_NODES * FOTOS_NAME_MAX], *s = ack;
	int i;

	if (p->want_all) {
		if (complete) {
			snprintf(ack, sizeof(ack), "all");
		} else {
			s += snprintf(s, sizeof(ack), "partial reason=view-changed acked=%s",
				      a->conf.nodes[a->self].name);
			for (i = 0; i < FOTOS_MAX_NODES && s < ack + sizeof(ack) - FOTOS_NAME_MAX - 2; i++)
				if (p->acked & mask_of(i))
					s += snprintf(s, (size_t)(ack + sizeof(ack) - s), ",%s",
						      a->conf.nodes[i].name);
		}
		reply_durable(a, &p->to, 0, &p->clock, ack);
	}
	if (complete && p->tomb) {
		/* every member holds the tombstone: collect it everywhere */
		struct dbv v;

		pending_tombstone(a, p, &v);
		for (i = 0; i < FOTOS_MAX_NODES; i++)
			if (p->need & mask_of(i))
				send_update(a, i, &v, 0, WIRE_DBF_GC);
		collect(a, &v);
	}
}

static void check_pending(struct agent *a)
{
	struct db_pending **pp = &a->db.pending;
	uint64_t limit = 20ull * a->conf.timeout_ms * 1000000ull;

	while (*pp) {
		struct db_pending *p = *pp;
		int done = (p->acked & p->need) == p->need;
		int moved = !a->memb.in_network || a->memb.view.view_id != p->view_id ||
			    a->now - p->started_ns > limit;

		if (!done && moved && p->tomb && a->memb.in_network) {
			/* A delete is collected only once every member holds it:
			 * answer the writer now, then ask the new view's members. */
			struct dbv v;
			int i;

			finish_pending(a, p, 0);
			p->want_all = 0;
			p->need = others(a);
			p->acked = 0;
			p->view_id = a->memb.view.view_id;
			p->started_ns = a->now;
			pending_tombstone(a, p, &v);
			for (i = 0; i < FOTOS_MAX_NODES; i++)
				if ((p->need & mask_of(i)) && a->peers[i].up)
					send_update(a, i, &v, p->wid, WIRE_DBF_ACK);
			pp = &p->next;
			continue;
		}
		if (done || moved) {
			finish_pending(a, p, done);
			*pp = p->next;
			fotos_free(p);
			a->db.npending--;
			continue;
		}
		pp = &p->next;
	}
}

static void on_update(struct agent *a, int peer, const struct wire_db *m)
{
	struct db *d = &a->db;
	struct dbv v;

	if (m->klen > d->hdr->max_key_len || m->vlen > d->hdr->max_val_len) {
		log_err("update from %s: key %u / value %u bytes exceed this node's limits "
			"(%llu / %llu): dropped; configure the same limits on every node",
			a->conf.nodes[peer].name, m->klen, m->vlen,
			(unsigned long long)d->hdr->max_key_len, (unsigned long long)d->hdr->max_val_len);
		d->refused_full++;
		return;
	}
	memset(&v, 0, sizeof(v));
	v.hash = fotos_key_hash(m->key, m->klen);
	v.key = m->key;
	v.klen = m->klen;
	v.val = m->val;
	v.vlen = m->vlen;
	v.writer = m->node;
	v.clock = m->clock;
	v.flags = (m->flags & WIRE_DBF_TOMB) ? FOTOS_DBF_TOMBSTONE : 0;
	if (m->flags & WIRE_DBF_GC) {
		collect(a, &v);
		return;
	}
	apply(a, &v);
	if (m->flags & WIRE_DBF_ACK)
		ack_durable(a, peer, m->id);
}

static void on_ack(struct agent *a, int peer, const struct wire_db *m)
{
	struct db_pending *p;

	for (p = a->db.pending; p; p = p->next)
		if (p->wid == m->id) {
			p->acked |= mask_of(peer);
			break;
		}
	check_pending(a);
}

/* A conditional write forwarded to us as the key's owner. */
static void on_cas(struct agent *a, int peer, const struct wire_db *m)
{
	struct db_reply_to to = { .kind = 2, .peer = peer, .rid = m->id };
	struct write_req r = { .key = m->key, .val = m->val, .klen = m->klen, .vlen = m->vlen };
	struct fotos_vclock clock;
	int deferred, ret;

	r.tomb = !!(m->flags & WIRE_DBF_TOMB);
	r.ack_all = !!(m->flags & WIRE_DBF_ACK);
	r.cond = (m->flags & WIRE_DBF_EMPTY) ? 2 : 1;
	r.expect = m->clock;
	fotos_vclock_init(&clock, (uint32_t)a->db.nclock);
	if (key_owner(a, m->key, m->klen) != a->self)
		ret = -EAGAIN;	/* views differ for a moment: the asker retries */
	else
		ret = local_write(a, &r, &clock, &to, &deferred);
	if (ret < 0 || !deferred)
		reply_durable(a, &to, ret, &clock, "local");
}

static void on_cas_reply(struct agent *a, const struct wire_db *m)
{
	struct db_cas_wait **pp;

	for (pp = &a->db.cas; *pp; pp = &(*pp)->next) {
		struct db_cas_wait *w = *pp;

		if (w->rid != m->id)
			continue;
		reply_write(a, &w->to, m->result, &m->clock, "owner");
		*pp = w->next;
		fotos_free(w);
		return;
	}
}

void db_on_msg(struct agent *a, int peer, const struct wire_msg *m)
{
	switch (m->type) {
	case WIRE_DB_UPDATE:
		on_update(a, peer, &m->u.db);
		break;
	case WIRE_DB_ACK:
		on_ack(a, peer, &m->u.db);
		break;
	case WIRE_DB_CAS:
		on_cas(a, peer, &m->u.db);
		break;
	case WIRE_DB_CAS_REPLY:
		on_cas_reply(a, &m->u.db);
		break;
	}
}

/* Fail forwarded conditional writes that can no longer be answered. */
static void check_cas(struct agent *a, int lost_peer)
{
	struct db_cas_wait **pp = &a->db.cas;
	uint64_t limit = 4ull * a->conf.timeout_ms * 1000000ull;

	while (*pp) {
		struct db_cas_wait *w = *pp;

		if (w->owner == lost_peer || a->now - w->started_ns > limit ||
		    !a->memb.in_network || a->memb.view.view_id != w->view_id) {
			struct fotos_vclock none;

			fotos_vclock_init(&none, 0);
			if (reply_alive(a, &w->to))
				ctl_reply(a, w->to.slot, "err EAGAIN the view changed before the key's "
					  "owner answered: retry");
			*pp = w->next;
			fotos_free(w);
			continue;
		}
		pp = &w->next;
	}
}

/*
 * A link to a member of the current view came (back) up without a view
 * change: what it missed while the link was down is sent again.
 */
void db_on_link_up(struct agent *a, int peer)
{
	struct db *d = &a->db;

	if (!a->memb.in_network || !(a->memb.view.members & mask_of(peer)) || peer == a->self)
		return;
	d->sync[peer].active = 1;
	d->sync[peer].cursor = 0;
	d->sync[peer].table_seq = atomic_load_explicit(&d->hdr->seq, memory_order_relaxed);
}

void db_on_link_down(struct agent *a, int peer)
{
	a->db.sync[peer].active = 0;
	check_cas(a, peer);
}

/*
 * A new view: start the state transfers it needs. The lowest member that
 * was already in the old view sends everything to the newcomers; a node
 * that was in no network (it joins, or its network merges into this one)
 * sends everything it has to every member.
 */
void db_on_view(struct agent *a, uint64_t old_members, int was_in_network)
{
	struct db *d = &a->db;
	uint64_t members = a->memb.view.members, fresh = members & ~old_members & ~mask_of(a->self);
	uint64_t to = 0, stay = old_members & members;
	int i;

	if (!was_in_network)
		to = members & ~mask_of(a->self);
	else if (stay && __builtin_ctzll(stay) == a->self)
		to = fresh;
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if (to & mask_of(i)) {
			d->sync[i].active = 1;
			d->sync[i].cursor = 0;
			d->sync[i].table_seq = atomic_load_explicit(&d->hdr->seq, memory_order_relaxed);
		}
	check_pending(a);
	check_cas(a, -1);
}

/* Push state transfers as far as the peers' send queues allow. */
static void pump_sync(struct agent *a)
{
	struct db *d = &a->db;
	int i;

	for (i = 0; i < (int)a->conf.nnodes; i++) {
		struct db_sync *s = &d->sync[i];
		const struct peer *p = &a->peers[i];
		unsigned int budget = 4096;

		if (!s->active)
			continue;
		if (!p->up || p->conn < 0) {
			s->active = 0;
			continue;
		}
		if (atomic_load_explicit(&d->hdr->seq, memory_order_relaxed) != s->table_seq) {
			/* slots moved: start again (updates are idempotent) */
			s->cursor = 0;
			s->table_seq = atomic_load_explicit(&d->hdr->seq, memory_order_relaxed);
		}
		while (s->cursor <= d->mask && budget-- && a->conns[p->conn].wlen < SYNC_QUEUE_MAX) {
			uint64_t j = s->cursor++;
			struct dbv v;

			if (!word(d, j, FOTOS_SLOT_HASH))
				continue;
			slot_get(d, j, &v);
			send_update(a, i, &v, 0, WIRE_DBF_SYNC);
		}
		if (s->cursor > d->mask) {
			s->active = 0;
			if (atomic_load_explicit(&d->hdr->used, memory_order_relaxed))
				log_info("database sent to %s", a->conf.nodes[i].name);
		}
	}
}

void db_turn(struct agent *a)
{
	pump_sync(a);
	persist_flush(a);
	release_waits(a);
	if (a->db.dirty) {
		a->db.dirty = 0;
		shm_ring(&a->seg, SHM_BELL_DB);
	}
}

void db_tick(struct agent *a)
{
	check_pending(a);
	check_cas(a, -1);
}

int db_init(struct agent *a)
{
	struct db *d = &a->db;

	memset(d, 0, sizeof(*d));
	d->hdr = a->seg.db;
	d->slots = (unsigned char *)d->hdr + d->hdr->slots_off;
	d->mask = d->hdr->nslots - 1;
	d->slot_size = d->hdr->slot_size;
	d->nclock = d->hdr->nclock;
	d->log_fd = -1;
	d->waits_tail = &d->waits;
	d->counter = a->incarnation;
	return 0;
}

/* Start-up: a record of the log or snapshot, applied without replication. */
void db_load_record(struct agent *a, uint32_t writer, uint32_t flags, const struct fotos_vclock *vc,
		    const uint8_t *key, uint32_t klen, const uint8_t *val, uint32_t vlen, int gc)
{
	struct dbv v;

	if (!klen || klen > a->db.hdr->max_key_len || vlen > a->db.hdr->max_val_len) {
		log_warn("stored version of a %u-byte key with a %u-byte value exceeds the limits: "
			 "not loaded (raise db_max_key / db_max_value)", klen, vlen);
		return;
	}
	memset(&v, 0, sizeof(v));
	v.hash = fotos_key_hash(key, klen);
	v.key = key;
	v.klen = klen;
	v.val = val;
	v.vlen = vlen;
	v.writer = writer;
	v.flags = flags & FOTOS_DBF_TOMBSTONE;
	v.clock = *vc;
	if (gc)
		collect(a, &v);
	else
		apply(a, &v);
}

/* The version in slot i for a snapshot; 0 if the slot is empty. */
int db_slot_version(struct agent *a, uint64_t i, struct fotos_vclock *vc, const uint8_t **key,
		    uint32_t *klen, const uint8_t **val, uint32_t *vlen, uint32_t *writer,
		    uint32_t *flags)
{
	struct dbv v;

	if (!word(&a->db, i, FOTOS_SLOT_HASH))
		return 0;
	slot_get(&a->db, i, &v);
	*vc = v.clock;
	*key = v.key;
	*klen = v.klen;
	*val = v.val;
	*vlen = v.vlen;
	*writer = v.writer;
	*flags = v.flags & FOTOS_DBF_TOMBSTONE;
	return 1;
}

/* ---- control requests ---------------------------------------------- */

/* Hex text to bytes: -EINVAL (odd length, not hex), -E2BIG (over cap). */
int db_unhex(const char *s, uint8_t *out, size_t cap, uint32_t *len)
{
	size_t n = strlen(s), i;

	if (n % 2)
		return -EINVAL;		/* two hex digits a byte */
	if (n / 2 > cap)
		return -E2BIG;
	for (i = 0; i < n / 2; i++) {
		int hi = s[2 * i], lo = s[2 * i + 1], v = 0, k;

		for (k = 0; k < 2; k++) {
			int c = k ? lo : hi;

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -EINVAL;
		}
		out[i] = (uint8_t)v;
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

/* The next space-separated word of *s (NUL-ended in place), NULL at the end. */
char *db_next_word(char **s)
{
	char *w;

	while (**s == ' ')
		(*s)++;
	if (!**s)
		return NULL;
	w = *s;
	while (**s && **s != ' ')
		(*s)++;
	if (**s)
		*(*s)++ = 0;
	return w;
}

/* Parse "KEYHEX [VALHEX] [ack=all|local] [if=CLOCK|if=absent]". */
static int parse_write(struct agent *a, char *args, int del, struct write_req *r,
		       uint8_t *kbuf, uint8_t *vbuf, char *err, size_t errlen)
{
	char *w;
	int ret;

	memset(r, 0, sizeof(*r));
	r->tomb = del;
	w = db_next_word(&args);
	if (!w) {
		snprintf(err, errlen, "EINVAL usage: %s KEYHEX%s [ack=all] [if=CLOCK|if=absent]",
			 del ? "del" : "put", del ? "" : " VALHEX");
		return -EINVAL;
	}
	ret = db_unhex(w, kbuf, FOTOS_DB_MAX_KEY, &r->klen);
	if (ret < 0 || r->klen == 0) {
		snprintf(err, errlen, "%s key: %s", ret == -E2BIG ? "E2BIG" : "EINVAL",
			 ret == -E2BIG ? "longer than any key may be" : "not hex bytes (two hex digits a byte)");
		return ret < 0 ? ret : -EINVAL;
	}
	if (r->klen > a->db.hdr->max_key_len) {
		snprintf(err, errlen, "E2BIG key of %u bytes: the limit is %llu", r->klen,
			 (unsigned long long)a->db.hdr->max_key_len);
		return -E2BIG;
	}
	r->key = kbuf;
	if (!del) {
		w = db_next_word(&args);
		if (!w) {
			snprintf(err, errlen, "EINVAL put needs a value (hex; \"-\" for an empty one)");
			return -EINVAL;
		}
		if (!strcmp(w, "-")) {
			r->vlen = 0;
		} else {
			ret = db_unhex(w, vbuf, FOTOS_DB_MAX_VAL, &r->vlen);
			if (ret < 0) {
				snprintf(err, errlen, "%s value: %s", ret == -E2BIG ? "E2BIG" : "EINVAL",
					 ret == -E2BIG ? "longer than any value may be" : "not hex bytes");
				return ret;
			}
		}
		if (r->vlen > a->db.hdr->max_val_len) {
			snprintf(err, errlen, "E2BIG value of %u bytes: the limit is %llu", r->vlen,
				 (unsigned long long)a->db.hdr->max_val_len);
			return -E2BIG;
		}
		r->val = vbuf;
	}
	while ((w = db_next_word(&args))) {
		if (!strcmp(w, "ack=all")) {
			r->ack_all = 1;
		} else if (!strcmp(w, "ack=local")) {
			r->ack_all = 0;
		} else if (!strcmp(w, "if=absent")) {
			r->cond = 2;
		} else if (!strncmp(w, "if=", 3)) {
			if (fotos_vclock_parse(&r->expect, w + 3) < 0) {
				snprintf(err, errlen, "EINVAL bad clock '%.40s' (want node:counter,...)", w + 3);
				return -EINVAL;
			}
			r->cond = 1;
		} else {
			snprintf(err, errlen, "EINVAL unknown option '%.40s' (ack=all, ack=local, if=CLOCK, if=absent)", w);
			return -EINVAL;
		}
	}
	return 0;
}

void db_ctl_write(struct agent *a, int slot, char *args, int del)
{
	static uint8_t kbuf[FOTOS_DB_MAX_KEY], vbuf[FOTOS_DB_MAX_VAL];
	struct db_reply_to to = { .kind = 1, .slot = slot, .gen = a->conns[slot].gen };
	struct fotos_vclock clock;
	struct write_req r;
	char err[200];
	int ret, deferred, owner;

	if (parse_write(a, args, del, &r, kbuf, vbuf, err, sizeof(err)) < 0) {
		ctl_reply(a, slot, "err %s", err);
		return;
	}
	fotos_vclock_init(&clock, (uint32_t)a->db.nclock);
	owner = key_owner(a, r.key, r.klen);
	if (r.cond && owner != a->self) {
		/* conditional: run it on the key's owner */
		struct wire_msg m = { .type = WIRE_DB_CAS };
		struct db_cas_wait *w = fotos_calloc(1, sizeof(*w));

		if (!w) {
			ctl_reply(a, slot, "err ENOMEM out of memory");
			return;
		}
		w->rid = ++a->db.next_rid;
		w->to = to;
		w->owner = owner;
		w->view_id = a->memb.view.view_id;
		w->started_ns = a->now;
		w->next = a->db.cas;
		a->db.cas = w;
		m.u.db.id = w->rid;
		m.u.db.node = (uint16_t)a->self;
		m.u.db.flags = (r.tomb ? WIRE_DBF_TOMB : 0) | (r.ack_all ? WIRE_DBF_ACK : 0) |
			       (r.cond == 2 ? WIRE_DBF_EMPTY : 0);
		m.u.db.klen = r.klen;
		m.u.db.vlen = r.tomb ? 0 : r.vlen;
		m.u.db.clock = r.cond == 1 ? r.expect : clock;
		m.u.db.key = r.key;
		m.u.db.val = m.u.db.vlen ? r.val : NULL;
		if (mesh_send(a, owner, &m) < 0)
			check_cas(a, owner);
		return;
	}
	ret = local_write(a, &r, &clock, &to, &deferred);
	if (ret < 0 || !deferred)
		reply_durable(a, &to, ret, &clock, "local");
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

void db_ctl_get(struct agent *a, int slot, char *args)
{
	static uint8_t kbuf[FOTOS_DB_MAX_KEY];
	static char vhex[2 * FOTOS_DB_MAX_VAL + 1];
	struct db *d = &a->db;
	uint64_t idx[FOTOS_MAX_NODES + 1];
	char cl[FOTOS_MAX_MEMBERS * 24], *w = db_next_word(&args);
	uint32_t klen;
	struct dbv v;
	int n, i;

	if (!w || db_unhex(w, kbuf, FOTOS_DB_MAX_KEY, &klen) < 0 || !klen) {
		ctl_reply(a, slot, "err EINVAL usage: get KEYHEX");
		return;
	}
	n = find_versions(d, fotos_key_hash(kbuf, klen), kbuf, klen, idx, FOTOS_MAX_NODES + 1);
	for (i = 0; i < n; i++) {
		slot_get(d, idx[i], &v);
		if (!(v.flags & FOTOS_DBF_SIBLING))
			break;
	}
	if (i == n || (v.flags & FOTOS_DBF_TOMBSTONE)) {
		ctl_reply(a, slot, "err ENOENT no such key");
		return;
	}
	fotos_vclock_format(&v.clock, cl, sizeof(cl));
	hex(vhex, v.val, v.vlen);
	ctl_reply(a, slot, "ok clock=%s flags=%u versions=%d value=%s", cl, v.flags, n,
		  v.vlen ? vhex : "-");
}

/* "batch put K V;del K;..." applied locally, acked locally. */
void db_ctl_batch(struct agent *a, int slot, char *args)
{
	static uint8_t kbuf[FOTOS_DB_MAX_KEY], vbuf[FOTOS_DB_MAX_VAL];
	struct db_reply_to none = { 0 };
	unsigned int done = 0;
	char *op = args, err[200];

	while (op && *op) {
		char *end = strchr(op, ';'), *verb;
		struct write_req r;
		struct fotos_vclock clock;
		int deferred, ret;

		if (end)
			*end++ = 0;
		verb = db_next_word(&op);
		if (!verb) {
			op = end;
			continue;
		}
		if (strcmp(verb, "put") && strcmp(verb, "del")) {
			ctl_reply(a, slot, "err EINVAL op %u: unknown '%.20s' (put or del); %u applied",
				  done + 1, verb, done);
			return;
		}
		if (parse_write(a, op, !strcmp(verb, "del"), &r, kbuf, vbuf, err, sizeof(err)) < 0) {
			ctl_reply(a, slot, "err %s (op %u; %u applied)", err, done + 1, done);
			return;
		}
		if (r.cond || r.ack_all) {
			ctl_reply(a, slot, "err EINVAL op %u: a batch takes no ack= or if= (%u applied)",
				  done + 1, done);
			return;
		}
		fotos_vclock_init(&clock, 0);
		ret = local_write(a, &r, &clock, &none, &deferred);
		if (ret < 0) {
			ctl_reply(a, slot, "err %s op %u: %s (%u applied)", errname(ret), done + 1,
				  strerror(-ret), done);
			return;
		}
		done++;
		op = end;
	}
	{
		char ack[32];
		struct fotos_vclock zero;

		fotos_vclock_init(&zero, 0);
		snprintf(ack, sizeof(ack), "local applied=%u", done);
		reply_durable(a, &(struct db_reply_to){ .kind = 1, .slot = slot,
							.gen = a->conns[slot].gen }, 0, &zero, ack);
	}
}

void db_ctl_stat(struct agent *a, int slot)
{
	const struct db *d = &a->db;

	ctl_reply(a, slot, "ok {\"keys\":%llu,\"versions\":%llu,\"max_keys\":%llu,\"max_key\":%llu,"
		  "\"max_value\":%llu,\"applied\":%llu,\"stale\":%llu,\"refused_full\":%llu,"
		  "\"writes\":%llu}",
		  (unsigned long long)atomic_load(&d->hdr->nkeys),
		  (unsigned long long)atomic_load(&d->hdr->used),
		  (unsigned long long)d->hdr->max_keys, (unsigned long long)d->hdr->max_key_len,
		  (unsigned long long)d->hdr->max_val_len, (unsigned long long)d->applied,
		  (unsigned long long)d->stale, (unsigned long long)d->refused_full,
		  (unsigned long long)d->writes);
}

/* ---- for transactions (txn.c) -------------------------------------- */

/*
 * The versions of key held here: how many (returned), the merge of their
 * clocks in *merged, and in *absent whether the key reads as absent (no
 * version, or one delete) -- the same tests a conditional write makes.
 */
int db_key_state(struct agent *a, const uint8_t *key, uint32_t klen, struct fotos_vclock *merged,
		 int *absent)
{
	struct db *d = &a->db;
	uint64_t idx[FOTOS_MAX_NODES + 1];
	int n = find_versions(d, fotos_key_hash(key, klen), key, klen, idx, FOTOS_MAX_NODES + 1), i;

	fotos_vclock_init(merged, (uint32_t)d->nclock);
	for (i = 0; i < n; i++) {
		struct fotos_vclock c;

		slot_clock(d, idx[i], &c);
		fotos_vclock_merge(merged, &c);
	}
	*absent = n == 0 || (n == 1 && (word(d, idx[0], FOTOS_SLOT_FLAGS) & FOTOS_DBF_TOMBSTONE));
	return n;
}

/*
 * Turn *vc (the merge of what a write must dominate) into the clock of a
 * new write by this node: our counter raised above every earlier write of
 * ours, then incremented (as local_write does). 0 or -EOVERFLOW.
 */
int db_next_clock(struct agent *a, struct fotos_vclock *vc)
{
	struct db *d = &a->db;
	int ret;

	if (vc->n < d->nclock)
		vc->n = (uint32_t)d->nclock;
	if (vc->c[a->self] < d->counter)
		vc->c[a->self] = d->counter;
	ret = fotos_vclock_increment(vc, (uint32_t)a->self);
	if (ret < 0)
		return ret;
	d->counter = vc->c[a->self];
	return 0;
}

/*
 * Apply a version a transaction committed (every member applies it
 * itself, so it is not sent to them) and send it to the members in `to`
 * that were not asked (they joined meanwhile). 1 applied, 0 already held,
 * -ENOSPC.
 */
int db_apply_txn(struct agent *a, uint32_t writer, int tomb, const struct fotos_vclock *clock,
		 const uint8_t *key, uint32_t klen, const uint8_t *val, uint32_t vlen, uint64_t to)
{
	struct dbv v;
	int i, ret;

	memset(&v, 0, sizeof(v));
	v.hash = fotos_key_hash(key, klen);
	v.key = key;
	v.klen = klen;
	v.val = val;
	v.vlen = tomb ? 0 : vlen;
	v.writer = writer;
	v.flags = tomb ? FOTOS_DBF_TOMBSTONE : 0;
	v.clock = *clock;
	if (writer == (uint32_t)a->self && clock->c[a->self] > a->db.counter)
		a->db.counter = clock->c[a->self];
	ret = apply(a, &v);
	if (ret >= 0)
		a->db.writes += writer == (uint32_t)a->self;
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if ((to & mask_of(i)) && i != a->self && a->peers[i].up)
			send_update(a, i, &v, 0, 0);
	return ret;
}
