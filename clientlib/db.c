/*
 * db.c - the database from the client's side: reads from the segment with
 * zero system calls (per-entry seqlocks, see shm/fotos_abi.h), writes over
 * a kept control connection to the agent.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "handle.h"
#include "../shm/seqlock.h"

#define SLOT_SPINS	4096

static const struct fotos_seq_region *slot_at(const struct fotos *h, uint64_t i)
{
	return (const struct fotos_seq_region *)(const void *)(h->db_slots +
							       (i & h->db_mask) * h->db_slot_size);
}

/* Copy n bytes from payload words starting at word w0 (relaxed atomics). */
static void load_bytes(const struct fotos_seq_region *r, size_t w0, uint8_t *out, size_t n)
{
	size_t k;

	for (k = 0; k < n / 8; k++) {
		uint64_t w = atomic_load_explicit(&r->w[w0 + k], memory_order_relaxed);

		memcpy(out + 8 * k, &w, 8);
	}
	if (n % 8) {
		uint64_t w = atomic_load_explicit(&r->w[w0 + n / 8], memory_order_relaxed);

		memcpy(out + 8 * (n / 8), &w, n % 8);
	}
}

/* Does the key in the slot equal key? Word by word, no copy. */
static int key_equal(const struct fotos_seq_region *r, size_t w0, const uint8_t *key, size_t n)
{
	size_t k;

	for (k = 0; k < (n + 7) / 8; k++) {
		uint64_t w = atomic_load_explicit(&r->w[w0 + k], memory_order_relaxed), x = 0;
		size_t m = n - 8 * k < 8 ? n - 8 * k : 8;

		memcpy(&x, key + 8 * k, m);
		if (m < 8)
			w &= (1ull << (8 * m)) - 1;
		if (w != x)
			return 0;
	}
	return 1;
}

enum { SLOT_EMPTY, SLOT_OTHER, SLOT_MATCH, SLOT_BUSY };

/*
 * Read slot i consistently. SLOT_MATCH: it holds a version of key (meta,
 * value filled); SLOT_OTHER: another key; SLOT_EMPTY: the end of the probe
 * chain; SLOT_BUSY: the agent kept writing it.
 */
static int read_slot(const struct fotos *h, uint64_t i, uint64_t hash, const uint8_t *key,
		     size_t klen, int want_sibling, void *val, size_t cap,
		     struct fotos_meta *meta)
{
	const struct fotos_seq_region *r = slot_at(h, i);
	size_t kw = FOTOS_SLOT_CLOCK + h->db_nclock;
	size_t vw = kw + (h->db_max_key + 7) / 8;
	unsigned int n;

	for (n = 0; n < SLOT_SPINS; n++) {
		uint64_t s0 = atomic_load_explicit(&r->seq, memory_order_acquire);
		uint64_t hw, lens, fl, k;
		uint32_t kl, vl;
		int match;

		if (s0 & 1) {
			fotos_cpu_relax();
			continue;
		}
		hw = atomic_load_explicit(&r->w[FOTOS_SLOT_HASH], memory_order_relaxed);
		lens = atomic_load_explicit(&r->w[FOTOS_SLOT_LENS], memory_order_relaxed);
		fl = atomic_load_explicit(&r->w[FOTOS_SLOT_FLAGS], memory_order_relaxed);
		kl = (uint32_t)lens;
		vl = (uint32_t)(lens >> 32);
		/* clamp what was read in the section before using it */
		match = hw == hash && kl == klen && kl <= h->db_max_key && vl <= h->db_max_val &&
			!((uint32_t)fl & FOTOS_DBF_SIBLING) == !want_sibling &&
			key_equal(r, kw, key, klen);
		if (match && meta) {
			meta->vlen = vl;
			meta->flags = (uint32_t)fl;
			meta->writer = (uint32_t)(fl >> 32);
			meta->klen = kl;
			fotos_vclock_init(&meta->clock, (uint32_t)h->db_nclock);
			for (k = 0; k < h->db_nclock; k++)
				meta->clock.c[k] = atomic_load_explicit(&r->w[FOTOS_SLOT_CLOCK + k],
									memory_order_relaxed);
		}
		if (match && val && cap)
			load_bytes(r, vw, val, vl < cap ? vl : cap);
		/* keeps the loads above the re-check; pairs with the writer's
		 * release fence after its odd store */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&r->seq, memory_order_relaxed) != s0)
			continue;
		if (!hw)
			return SLOT_EMPTY;
		return match ? SLOT_MATCH : SLOT_OTHER;
	}
	return SLOT_BUSY;
}

/* Find the n-th version of key (want_sibling: among the losers). */
static int lookup(const struct fotos *h, const void *key, size_t klen, int want_sibling,
		  unsigned int nth, void *val, size_t cap, struct fotos_meta *meta)
{
	const struct fotos_seq_region *t = (const struct fotos_seq_region *)(const void *)h->db;
	uint64_t hash;
	unsigned int tries;

	if (!h->db)
		return -ENODATA;
	if (!klen || klen > h->db_max_key)
		return klen ? -E2BIG : -EINVAL;
	hash = fotos_key_hash(key, klen);
	for (tries = 0; tries < SLOT_SPINS; tries++) {
		uint64_t t0 = atomic_load_explicit(&t->seq, memory_order_acquire), i, n;
		unsigned int seen = 0;
		int busy = 0;

		if (t0 & 1) {
			fotos_cpu_relax();
			continue;
		}
		for (n = 0, i = hash & h->db_mask; n <= h->db_mask; n++, i = (i + 1) & h->db_mask) {
			int s = read_slot(h, i, hash, key, klen, want_sibling, val, cap, meta);

			if (s == SLOT_BUSY) {
				busy = 1;
				break;
			}
			if (s == SLOT_EMPTY)
				break;
			if (s == SLOT_MATCH && seen++ == nth) {
				if (meta->flags & FOTOS_DBF_TOMBSTONE)
					return -ENOENT;
				return (int)meta->vlen;
			}
		}
		if (busy)
			continue;
		/* A miss counts only if no slot moved while we probed. */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&t->seq, memory_order_relaxed) == t0) {
			if (meta) {
				meta->vlen = 0;
				meta->flags = 0;
				fotos_vclock_init(&meta->clock, (uint32_t)h->db_nclock);
			}
			return -ENOENT;
		}
	}
	return fotos_check(h) < 0 ? -ESTALE : -EAGAIN;
}

int fotos_get(const struct fotos *h, const void *key, size_t klen, void *val, size_t cap,
	      struct fotos_meta *meta)
{
	struct fotos_meta m;

	return lookup(h, key, klen, 0, 0, val, cap, meta ? meta : &m);
}

int fotos_get_version(const struct fotos *h, const void *key, size_t klen, unsigned int n,
		      void *val, size_t cap, struct fotos_meta *meta)
{
	struct fotos_meta m;
	int ret;

	if (!meta)
		meta = &m;
	if (n == 0)
		return lookup(h, key, klen, 0, 0, val, cap, meta);
	ret = lookup(h, key, klen, 1, n - 1, val, cap, meta);
	/* a deleted sibling is still a version: report it, flagged */
	if (ret == -ENOENT && (meta->flags & FOTOS_DBF_TOMBSTONE))
		return 0;
	return ret;
}

int fotos_db_next(const struct fotos *h, struct fotos_db_iter *it, const void *prefix,
		  size_t plen, void *key, size_t kcap, void *val, size_t vcap,
		  struct fotos_meta *meta)
{
	struct fotos_meta m;

	if (!h->db)
		return -ENODATA;
	if (!meta)
		meta = &m;
	while (it->pos <= h->db_mask) {
		const struct fotos_seq_region *r = slot_at(h, it->pos++);
		size_t kw = FOTOS_SLOT_CLOCK + h->db_nclock;
		size_t vw = kw + (h->db_max_key + 7) / 8;
		uint8_t kb[FOTOS_DB_MAX_KEY];
		unsigned int n;

		for (n = 0; n < SLOT_SPINS; n++) {
			uint64_t s0 = atomic_load_explicit(&r->seq, memory_order_acquire), k;
			uint64_t hw, lens, fl;
			uint32_t kl, vl;

			if (s0 & 1) {
				fotos_cpu_relax();
				continue;
			}
			hw = atomic_load_explicit(&r->w[FOTOS_SLOT_HASH], memory_order_relaxed);
			lens = atomic_load_explicit(&r->w[FOTOS_SLOT_LENS], memory_order_relaxed);
			fl = atomic_load_explicit(&r->w[FOTOS_SLOT_FLAGS], memory_order_relaxed);
			kl = (uint32_t)lens;
			vl = (uint32_t)(lens >> 32);
			if (kl > h->db_max_key || vl > h->db_max_val)
				kl = 0;		/* torn: re-checked below */
			load_bytes(r, kw, kb, kl);
			meta->vlen = vl;
			meta->klen = kl;
			meta->flags = (uint32_t)fl;
			meta->writer = (uint32_t)(fl >> 32);
			fotos_vclock_init(&meta->clock, (uint32_t)h->db_nclock);
			for (k = 0; k < h->db_nclock; k++)
				meta->clock.c[k] = atomic_load_explicit(&r->w[FOTOS_SLOT_CLOCK + k],
									memory_order_relaxed);
			if (val && vcap)
				load_bytes(r, vw, val, vl < vcap ? vl : vcap);
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&r->seq, memory_order_relaxed) != s0)
				continue;
			if (!hw || (meta->flags & (FOTOS_DBF_SIBLING | FOTOS_DBF_TOMBSTONE)) || !kl)
				break;
			if (kl < plen || (plen && memcmp(kb, prefix, plen)))
				break;
			memcpy(key, kb, kl < kcap ? kl : kcap);
			return 1;
		}
	}
	return 0;
}

int fotos_db_limits(const struct fotos *h, struct fotos_db_limits *out)
{
	if (!h->db)
		return -ENODATA;
	out->max_keys = h->db->max_keys;
	out->max_key_len = h->db->max_key_len;
	out->max_val_len = h->db->max_val_len;
	out->keys = atomic_load_explicit(&h->db->nkeys, memory_order_relaxed);
	out->versions = atomic_load_explicit(&h->db->used, memory_order_relaxed);
	return 0;
}

/* ---- writes ------------------------------------------------------- */

static int errno_of(const char *name)
{
	static const struct { const char *n; int e; } t[] = {
		{ "ENOSPC", ENOSPC }, { "E2BIG", E2BIG }, { "ECANCELED", ECANCELED },
		{ "EAGAIN", EAGAIN }, { "EINVAL", EINVAL }, { "ENOENT", ENOENT },
		{ "ETIMEDOUT", ETIMEDOUT }, { "ENOMEM", ENOMEM },
		{ "EBUSY", EBUSY }, { "ECONNABORTED", ECONNABORTED },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strncmp(name, t[i].n, strlen(t[i].n)) &&
		    (name[strlen(t[i].n)] == ' ' || !name[strlen(t[i].n)]))
			return -t[i].e;
	return -EREMOTEIO;
}

static int ctl_call(struct fotos *h, const char *req, size_t rlen, char *resp, size_t len,
		    int timeout_ms);

static int ms_left(const struct timespec *t0, int timeout_ms)
{
	struct timespec t;
	long used;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	used = (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
	return used >= timeout_ms ? 0 : (int)(timeout_ms - used);
}

/* One request on the kept connection (h->ctl_lock held). */
static int ctl_once(struct fotos *h, const char *req, size_t rlen, char *resp, size_t len,
		    int timeout_ms)
{
	struct timespec t0;
	size_t off = 0, got = 0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (h->ctl_fd < 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd;

		if (strlen(h->info.control_path) >= sizeof(sa.sun_path) || !h->info.control_path[0])
			return -EINVAL;
		strcpy(sa.sun_path, h->info.control_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		h->ctl_fd = fd;
	}
	while (off < rlen) {
		ssize_t n = send(h->ctl_fd, req + off, rlen - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd p = { .fd = h->ctl_fd, .events = POLLIN };
		int left = ms_left(&t0, timeout_ms);
		ssize_t n;
		char *nl;

		if (left == 0)
			return -ETIMEDOUT;
		ret = poll(&p, 1, left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			continue;
		n = recv(h->ctl_fd, resp + got, len - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		got += (size_t)n;
		resp[got] = 0;
		nl = memchr(resp, '\n', got);
		if (nl) {
			*nl = 0;
			return 0;
		}
		if (got >= len - 1)
			return -EBADMSG;
	}
}

/*
 * Send one request line (with its '\n') and read the reply into resp. The
 * connection is kept for the next write; a broken one is reopened once.
 * Returns 0 for "ok" (resp holds the rest), or -errno (resp: the reason).
 * Also used by txn.c (internal: declared in handle.h, not exported).
 */
int __fotos_ctl_call(struct fotos *h, const char *req, size_t rlen, char *resp, size_t len,
		     int timeout_ms)
{
	return ctl_call(h, req, rlen, resp, len, timeout_ms);
}

static int ctl_call(struct fotos *h, const char *req, size_t rlen, char *resp, size_t len,
		    int timeout_ms)
{
	int ret, attempt;

	pthread_mutex_lock(&h->ctl_lock);
	for (attempt = 0; attempt < 2; attempt++) {
		ret = ctl_once(h, req, rlen, resp, len, timeout_ms);
		if (ret == 0 || ret == -ETIMEDOUT || ret == -EINVAL)
			break;
		if (h->ctl_fd >= 0)
			close(h->ctl_fd);
		h->ctl_fd = -1;
	}
	if (ret == -ETIMEDOUT && h->ctl_fd >= 0) {
		/* a late reply would answer the next request: drop the link */
		close(h->ctl_fd);
		h->ctl_fd = -1;
	}
	pthread_mutex_unlock(&h->ctl_lock);
	if (ret < 0) {
		snprintf(resp, len, "control socket %s: %s", h->info.control_path, strerror(-ret));
		return ret;
	}
	if (!strncmp(resp, "ok", 2) && (resp[2] == ' ' || !resp[2])) {
		memmove(resp, resp + (resp[2] ? 3 : 2), strlen(resp + (resp[2] ? 3 : 2)) + 1);
		return 0;
	}
	if (!strncmp(resp, "err ", 4)) {
		memmove(resp, resp + 4, strlen(resp + 4) + 1);
		return errno_of(resp);
	}
	return -EBADMSG;
}

static char *put_hex(char *o, const void *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		*o++ = d[b[i] >> 4];
		*o++ = d[b[i] & 15];
	}
	return o;
}

/* Parse "clock=... ack=..." (or an ECANCELED reason's "current clock=...") */
static void parse_result(const char *resp, struct fotos_put_result *res)
{
	const char *c = strstr(resp, "clock=");
	char buf[FOTOS_MAX_MEMBERS * 24];
	size_t n;

	snprintf(res->detail, sizeof(res->detail), "%.*s", (int)sizeof(res->detail) - 1, resp);
	fotos_vclock_init(&res->clock, 0);
	res->acked_all = strstr(resp, "ack=all") != NULL;
	if (!c)
		return;
	c += 6;
	n = strcspn(c, " ");
	if (n >= sizeof(buf))
		return;
	memcpy(buf, c, n);
	buf[n] = 0;
	fotos_vclock_parse(&res->clock, buf);
}

static int write_one(struct fotos *h, const char *verb, const void *key, size_t klen,
		     const void *val, size_t vlen, unsigned int flags,
		     const struct fotos_vclock *expect, struct fotos_put_result *res,
		     int timeout_ms)
{
	struct fotos_put_result tmp;
	struct fotos_vclock want;
	char *req, *o, resp[1024];
	size_t cap;
	int ret;

	if (expect)
		want = *expect;		/* it may live in *res, cleared next */
	if (!res)
		res = &tmp;
	memset(res, 0, sizeof(*res));
	if (!klen || klen > FOTOS_DB_MAX_KEY || vlen > FOTOS_DB_MAX_VAL)
		return klen ? -E2BIG : -EINVAL;
	cap = 32 + 2 * klen + 2 * vlen + FOTOS_MAX_MEMBERS * 24;
	req = malloc(cap);
	if (!req)
		return -ENOMEM;
	o = req + sprintf(req, "%s ", verb);
	o = put_hex(o, key, klen);
	if (!strcmp(verb, "put")) {
		*o++ = ' ';
		if (vlen)
			o = put_hex(o, val, vlen);
		else
			*o++ = '-';
	}
	if (flags & FOTOS_PUT_ACK_ALL)
		o += sprintf(o, " ack=all");
	if (flags & FOTOS_PUT_IF_ABSENT) {
		o += sprintf(o, " if=absent");
	} else if (expect) {
		o += sprintf(o, " if=");
		if (fotos_vclock_format(&want, o, cap - (size_t)(o - req) - 2) < 0) {
			free(req);
			return -EINVAL;
		}
		o += strlen(o);
	}
	*o++ = '\n';
	ret = ctl_call(h, req, (size_t)(o - req), resp, sizeof(resp), timeout_ms);
	free(req);
	parse_result(resp, res);
	return ret;
}

int fotos_put(struct fotos *h, const void *key, size_t klen, const void *val, size_t vlen,
	      unsigned int flags, const struct fotos_vclock *expect,
	      struct fotos_put_result *res, int timeout_ms)
{
	return write_one(h, "put", key, klen, val, vlen, flags, expect, res, timeout_ms);
}

int fotos_del(struct fotos *h, const void *key, size_t klen, unsigned int flags,
	      const struct fotos_vclock *expect, struct fotos_put_result *res, int timeout_ms)
{
	return write_one(h, "del", key, klen, NULL, 0, flags, expect, res, timeout_ms);
}

#define BATCH_LINE	(120 * 1024)

int fotos_batch(struct fotos *h, const struct fotos_op *ops, size_t n,
		struct fotos_put_result *res, int timeout_ms)
{
	struct fotos_put_result tmp;
	char *req, resp[1024];
	size_t i = 0, done = 0;
	int ret = 0;

	if (!res)
		res = &tmp;
	memset(res, 0, sizeof(*res));
	req = malloc(BATCH_LINE + 16);
	if (!req)
		return -ENOMEM;
	while (i < n) {
		char *o = req + sprintf(req, "batch ");
		size_t first = i;

		for (; i < n; i++) {
			const struct fotos_op *op = &ops[i];
			size_t need = 8 + 2 * op->klen + 2 * op->vlen;

			if (!op->klen || op->klen > FOTOS_DB_MAX_KEY || op->vlen > FOTOS_DB_MAX_VAL) {
				ret = op->klen ? -E2BIG : -EINVAL;
				snprintf(res->detail, sizeof(res->detail), "op %zu: bad key or value size", i);
				break;
			}
			if ((size_t)(o - req) + need > BATCH_LINE) {
				if (i == first) {
					ret = -E2BIG;
					break;
				}
				break;
			}
			if (i > first)
				*o++ = ';';
			o += sprintf(o, op->del ? "del " : "put ");
			o = put_hex(o, op->key, op->klen);
			if (!op->del) {
				*o++ = ' ';
				if (op->vlen)
					o = put_hex(o, op->val, op->vlen);
				else
					*o++ = '-';
			}
		}
		if (i > first && !ret) {
			*o++ = '\n';
			ret = ctl_call(h, req, (size_t)(o - req), resp, sizeof(resp), timeout_ms);
			snprintf(res->detail, sizeof(res->detail), "%.*s", (int)sizeof(res->detail) - 1,
				 resp);
			if (ret < 0)
				break;
			done = i;
		}
		if (ret < 0)
			break;
	}
	free(req);
	return ret < 0 ? ret : (int)done;
}
