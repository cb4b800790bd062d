/*
 * fotos.h - the client library of fotos: read the agreed membership of the
 * cluster from shared memory with zero system calls, and sleep until it
 * changes.
 *
 * Every function returns 0 (or a non-negative value) on success and a
 * negative errno value on failure; fotos_strerror() names it. The library
 * never prints and never allocates after fotos_open().
 *
 * Thread safety: a handle may be shared by any number of threads for reads
 * and waits; fotos_close() must not race with them.
 */
#ifndef FOTOS_H
#define FOTOS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FOTOS_MAX_MEMBERS	64
#define FOTOS_NAME_LEN		32
#define FOTOS_DEFAULT_SHM	"/fotos"

/* Node states (struct fotos_status.state, fotos_state()). */
enum fotos_state {
	FOTOS_STARTING = 0,	/* contacting the known nodes */
	FOTOS_JOINING = 1,	/* not in a network; trying to start or join one */
	FOTOS_STABLE = 2,	/* operational, view agreed and fully connected */
	FOTOS_UNSTABLE = 3,	/* operational, a change is being agreed */
	FOTOS_REMOVED = 4,	/* was removed from the network; joining again */
	FOTOS_STOPPED = 5,	/* the agent stopped */
};

/* One member of the view. Addresses are binary; see fotos_member_address(). */
struct fotos_member {
	char name[FOTOS_NAME_LEN];
	uint64_t incarnation;	/* new on every start of that node */
	uint32_t index;		/* position in the cluster config */
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint16_t port;
	uint8_t addr[16];
};

/* A consistent snapshot of the view. */
struct fotos_view {
	uint64_t epoch;		/* totally orders the views of a network */
	uint64_t view_id;	/* same id on two nodes => same members */
	uint64_t net_id;	/* which network (changes when one is created) */
	uint32_t count;		/* members[0..count) are valid, ordered by index */
	uint32_t flags;
	struct fotos_member members[FOTOS_MAX_MEMBERS];
};

/* The node's own state, read consistently. */
struct fotos_status {
	uint64_t state;		/* enum fotos_state */
	uint64_t stable;	/* 1 if operational and stable */
	uint64_t primary;	/* 1 if this is the primary network */
	uint64_t epoch;
	uint64_t view_id;
	uint64_t node_index;
	uint64_t incarnation;
	uint64_t removed;	/* times this node learned it had been removed */
};

/* Facts about the agent, copied out at open. */
struct fotos_info {
	uint64_t agent_pid;
	uint64_t agent_start_ns;	/* CLOCK_REALTIME; new segment generation */
	char node[FOTOS_NAME_LEN];
	char cluster[FOTOS_NAME_LEN];
	char control_path[108];
	int waits_woken;	/* 1: fotos_wait registers and is woken at once;
				 * 0: it polls in 1 ms slices (no waiter page) */
};

struct fotos;

/*
 * Open the segment name (NULL: $FOTOS_SHM, else "/fotos") and map it.
 * *out is set on success and NULL on failure. Errors: -ENOENT (no agent
 * has created it), -EAGAIN (being created: retry), -EPROTO (not a fotos
 * segment, or truncated), -EPROTONOSUPPORT (made by an agent with another
 * layout version), -ESTALE (its agent is gone), -ENOMEM, other -errno.
 */
int fotos_open(const char *name, struct fotos **out);

/* Unmap and free. The handle must not be used afterwards. */
void fotos_close(struct fotos *h);

/*
 * 0 if the agent that made this segment is alive, -ESTALE if it closed the
 * segment, was replaced by a new agent, or stopped advancing its liveness
 * tick (killed or hung). No system call (the clock is read via the vDSO).
 * On -ESTALE, close the handle and open again.
 */
int fotos_check(const struct fotos *h);

/*
 * Consistent snapshots. 0; -EAGAIN if the agent kept rewriting the region
 * for every one of FOTOS_READ_SPINS tries (retry); -ESTALE if the agent is
 * gone (see fotos_check()).
 */
int fotos_read_view(const struct fotos *h, struct fotos_view *out);
int fotos_read_status(const struct fotos *h, struct fotos_status *out);
void fotos_get_info(const struct fotos *h, struct fotos_info *out);

/* Format a member's address as "ip:port" (IPv6 as "[ip]:port"). */
int fotos_member_address(const struct fotos_member *m, char *buf, size_t len);

/* ---- vector clocks ------------------------------------------------------
 * A clock has one counter per node index of the cluster (dense, n <= 64).
 * Used by the database to order updates; usable on its own.
 */
struct fotos_vclock {
	uint32_t n;			/* counters in use */
	uint32_t pad;
	uint64_t c[FOTOS_MAX_MEMBERS];
};

enum fotos_vc_order {
	FOTOS_VC_EQUAL = 0,
	FOTOS_VC_BEFORE = 1,		/* a happened before b (b dominates) */
	FOTOS_VC_AFTER = 2,		/* a dominates b */
	FOTOS_VC_CONCURRENT = 3,
};

void fotos_vclock_init(struct fotos_vclock *vc, uint32_t n);
/* Order of a relative to b (missing counters count as 0). */
int fotos_vclock_compare(const struct fotos_vclock *a, const struct fotos_vclock *b);
/* a = the pointwise maximum of a and b. */
void fotos_vclock_merge(struct fotos_vclock *a, const struct fotos_vclock *b);
/* Increment node's counter: 0, -EINVAL (node >= 64), -EOVERFLOW. */
int fotos_vclock_increment(struct fotos_vclock *vc, uint32_t node);
/* Encode as text "n:c,n:c" of the non-zero counters ("-" if none); -ENOSPC. */
int fotos_vclock_format(const struct fotos_vclock *vc, char *buf, size_t len);
/* Parse what fotos_vclock_format wrote; -EINVAL names nothing: be strict. */
int fotos_vclock_parse(struct fotos_vclock *vc, const char *text);
/* Binary: u8 count, then count x (u8 node, u64 LE counter) of non-zero
 * counters in ascending node order. Returns bytes written / read, -ENOSPC,
 * -EPROTO (decode: bad count, unsorted or repeated node, zero counter). */
int fotos_vclock_encode(const struct fotos_vclock *vc, uint8_t *buf, size_t len);
int fotos_vclock_decode(struct fotos_vclock *vc, const uint8_t *buf, size_t len);

/* ---- the database ------------------------------------------------------
 * Reads come straight from the segment: zero system calls, no torn value
 * (each entry has its own seqlock). Writes go to the agent over the control
 * socket. Keys and values are bytes.
 */
#define FOTOS_DB_DELETED	1u	/* the version is a delete (tombstone) */
#define FOTOS_DB_CONFLICT	2u	/* concurrent versions exist: this is the winner */
#define FOTOS_DB_SIBLING	4u	/* a losing concurrent version */

struct fotos_meta {
	uint32_t vlen;			/* the value's full length */
	uint32_t flags;			/* FOTOS_DB_* */
	uint32_t writer;		/* node index that wrote this version */
	uint32_t klen;			/* (iteration) the key's length */
	struct fotos_vclock clock;
};

/*
 * Read key. Copies min(vlen, cap) bytes into val and fills *meta (may be
 * NULL). Returns the value's length; -ENOENT if absent or deleted (meta
 * then holds the delete's clock, or a zero clock); -ENODATA if the agent
 * publishes no database; -EAGAIN if the agent kept rewriting it; -E2BIG if
 * key is longer than any key may be.
 */
int fotos_get(const struct fotos *h, const void *key, size_t klen, void *val, size_t cap,
	      struct fotos_meta *meta);

/* The n-th version of a key in the table (n = 0, 1, ...): the winner and,
 * for a conflicted key, its siblings. Same returns as fotos_get, -ENOENT
 * past the last one. */
int fotos_get_version(const struct fotos *h, const void *key, size_t klen, unsigned int n,
		      void *val, size_t cap, struct fotos_meta *meta);

/* Iterate the live keys (winners, not deletes) whose key starts with
 * prefix (plen 0: all). Start with it->pos = 0. Returns 1 with the key in
 * key[kcap] (meta->klen its length), the value like fotos_get; 0 at the
 * end. Each entry is consistent; the whole is not a snapshot. */
struct fotos_db_iter {
	uint64_t pos;
};
int fotos_db_next(const struct fotos *h, struct fotos_db_iter *it, const void *prefix,
		  size_t plen, void *key, size_t kcap, void *val, size_t vcap,
		  struct fotos_meta *meta);

struct fotos_db_limits {
	uint64_t max_keys, max_key_len, max_val_len;
	uint64_t keys;			/* live keys now */
	uint64_t versions;		/* slots in use (versions, deletes) */
};
int fotos_db_limits(const struct fotos *h, struct fotos_db_limits *out);

#define FOTOS_PUT_ACK_ALL	1u	/* answer once every member of the view has it */
#define FOTOS_PUT_IF_ABSENT	2u	/* only if the key is absent or deleted */

struct fotos_put_result {
	struct fotos_vclock clock;	/* the new version's; -ECANCELED: the current */
	int acked_all;			/* every member of the view acknowledged it */
	char detail[200];		/* the agent's words: "ack=partial ...", an error */
};

/*
 * Write key = val through the agent. expect: NULL for an unconditional
 * write, else the clock read with fotos_get (the vector-clock controlled
 * update: refused if the key changed since). Conditional writes run on the
 * key's owner (fotos_hash_pick's first member). This node's counter in a
 * clock starts at its incarnation (start time in ns): counters are large.
 * Returns 0; -ECANCELED (the condition failed: res->clock is the current
 * clock); -E2BIG (key or value over the limits); -ENOSPC (database full);
 * -EAGAIN (the view changed while a conditional write was with the key's
 * owner, or a member is so far behind that writes are held back: retry);
 * -ETIMEDOUT;
 * other -errno from the control socket. res may be NULL.
 */
int fotos_put(struct fotos *h, const void *key, size_t klen, const void *val, size_t vlen,
	      unsigned int flags, const struct fotos_vclock *expect,
	      struct fotos_put_result *res, int timeout_ms);
int fotos_del(struct fotos *h, const void *key, size_t klen, unsigned int flags,
	      const struct fotos_vclock *expect, struct fotos_put_result *res, int timeout_ms);

/* Many unconditional writes in few requests, acknowledged locally. */
struct fotos_op {
	int del;
	const void *key;
	size_t klen;
	const void *val;
	size_t vlen;
};
/* Returns the number applied (all of them) or -errno; on an error the ops
 * before the failing one were applied (see the detail in res). */
int fotos_batch(struct fotos *h, const struct fotos_op *ops, size_t n,
		struct fotos_put_result *res, int timeout_ms);

/* ---- transactions and rendezvous (two-phase commit) --------------------
 * A transaction: several writes (each with an optional condition) that
 * every member of the view applies, or none does. It runs on this node's
 * agent as coordinator; any failed condition, a member that cannot
 * prepare, a member lost or a view change before the decision aborts it
 * everywhere. A group names local processes taking part on every member:
 * a process joins it (fotos_rdv_join) and waits in fotos_rendezvous(); a
 * transaction or rendezvous on the group completes only when, on every
 * member node, a process waits and every joined one does; then all of them
 * are answered at once, or all get the failure. Each call holds the
 * handle's control connection until it is answered (other writes through
 * the handle wait): use a handle per waiting thread. A join lasts as long
 * as that connection (fotos_close, or the agent restarting, ends it).
 * Errors (res->detail: the agent's words, res->op: the operation an abort
 * is about or -1): -ECANCELED (a condition failed, or a participant voted
 * no), -EBUSY (a key or the group is held by another transaction: retry),
 * -EAGAIN (a member holds a version the write does not dominate, or the
 * node is in no network: retry), -ECONNABORTED (a member left, the view
 * changed, or the coordinator was lost, before the decision), -ETIMEDOUT,
 * -ENOSPC, -E2BIG, -EINVAL, other -errno from the control socket.
 */
#define FOTOS_TXN_DEL		1u	/* the operation deletes the key */
#define FOTOS_TXN_IF_ABSENT	2u	/* condition: the key is absent or deleted */

struct fotos_txn_op {
	unsigned int flags;		/* FOTOS_TXN_* */
	const void *key;
	size_t klen;
	const void *val;		/* ignored for a delete */
	size_t vlen;
	const struct fotos_vclock *expect;	/* condition: the key's clock (NULL: none) */
	struct fotos_vclock *clock;	/* out, may be NULL: the version written */
};

struct fotos_txn_result {
	int op;				/* the operation an abort is about, -1 if none */
	char detail[200];
};

/* Run ops[0..n) (1..256) atomically. 0 once committed (applied here). */
int fotos_txn(struct fotos *h, const struct fotos_txn_op *ops, size_t n,
	      struct fotos_txn_result *res, int timeout_ms);
/* The same, committed only if the participants of group on every member
 * vote yes (wait in fotos_rendezvous); n may be 0. */
int fotos_txn_group(struct fotos *h, const char *group, const struct fotos_txn_op *ops,
		    size_t n, struct fotos_txn_result *res, int timeout_ms);
/* Register (leave) this handle's connection as a participant of group. */
int fotos_rdv_join(struct fotos *h, const char *group);
int fotos_rdv_leave(struct fotos *h, const char *group);
/* Wait until a participant on every member node arrived, or the failure
 * (with the reason on every node). _veto votes no: the round fails. */
int fotos_rendezvous(struct fotos *h, const char *group, int timeout_ms,
		     struct fotos_txn_result *res);
int fotos_rendezvous_veto(struct fotos *h, const char *group, int timeout_ms,
			  struct fotos_txn_result *res);

/* Events for fotos_wait(). */
#define FOTOS_EV_VIEW	(1u << 0)	/* a new view was published */
#define FOTOS_EV_STABLE	(1u << 1)	/* the stable flag changed */
#define FOTOS_EV_DB	(1u << 2)	/* the database changed */
#define FOTOS_EV_STATE	(1u << 3)	/* the node's state changed */
#define FOTOS_EV_ALL	0xfu

/* What a waiter has seen so far; one per waiting thread. */
struct fotos_cursor {
	uint32_t view, stable, db, state;
};

/* Start a cursor at the present: only later changes will be reported. */
void fotos_cursor_init(const struct fotos *h, struct fotos_cursor *c);

/*
 * Sleep (futex) until one of the events in mask happened since the cursor,
 * The waiter registers in a count on the segment's doorbell page so that
 * the agent skips the wake system call when nobody waits; that needs the
 * segment opened read-write. A client with read-only access cannot
 * register and sleeps in 1 ms slices instead (woken late by up to 1 ms).
 * or timeout_ms passes (-1: no limit). Returns the mask of events that
 * happened (> 0) and advances the cursor; -ETIMEDOUT; -ESTALE if the agent
 * died or was replaced meanwhile (a dead agent never wakes anyone, so the
 * wait checks its liveness tick); -EINTR on a signal.
 */
int fotos_wait(const struct fotos *h, struct fotos_cursor *c, unsigned int mask,
	       int timeout_ms);

/*
 * Send one request line (no newline needed) to the agent's control socket
 * at path and read its one-line reply into resp (len bytes, NUL-ended, the
 * "ok "/"err " prefix removed). Protocol: text lines of at most 128 KiB;
 * the agent answers "ok <text>" or "err <reason>". Not a read-path call: it
 * makes system calls. Returns 0 on "ok", -EREMOTEIO on "err" (resp holds
 * the agent's reason), -ETIMEDOUT, -EBADMSG for an unreadable reply,
 * -ENOENT/-ECONNREFUSED if no agent listens there, other -errno.
 */
int fotos_ctl_request(const char *path, const char *req, char *resp, size_t len,
		      int timeout_ms);

/* Human text for a negative errno returned by this library. */
const char *fotos_strerror(int err);

/* "stable", "joining", ... */
const char *fotos_state_name(uint64_t state);

/* ---- decisions ------------------------------------------------------- */
/*
 * Helpers for the decisions applications make: fail-over /
 * take-over of a service along a priority list, and rendezvous hashing of
 * keys for load balancing.
 *
 * Every member of a network publishes the same members for the same view
 * (same view_id), so a pure function of the view gives every node the same
 * answer without a message. The pure functions below look only at member
 * names (and, for the hold time, incarnations), never at the order of
 * members[] or at bytes after a name's NUL, so two copies of one view give
 * the same owner wherever they were read.
 *
 * Positions: the pure functions answer with positions in view->members[]
 * (0 <= pos < view->count). The handle wrappers copy the members out instead,
 * because the view they read is gone when they return.
 *
 * None of these functions allocates or makes a system call (the clocks are
 * read through the vDSO).
 */
/* ---- decisions: fail-over, take-over, rendezvous hashing -------------- */

/*
 * Bits of the *flags out-parameter of the handle wrappers. 0 means the
 * answer comes from an agreed view of a stable primary network: every
 * member computes the same. Otherwise the answer is the best one for the
 * view at hand, and the caller chooses to act on it or to wait
 * (fotos_wait(FOTOS_EV_STABLE | FOTOS_EV_VIEW)) and ask again.
 */
#define FOTOS_DECIDE_UNSTABLE		(1u << 0)	/* not operational, a change is being
							 * agreed, or the view moved while read */
#define FOTOS_DECIDE_NOT_PRIMARY	(1u << 1)	/* this node is not in the primary network */

/*
 * Fail-over: the position in view->members of the first name in
 * prefer[0..nprefer) that is a member of the view. When a node earlier in
 * the list returns, it is the owner again (take-over). Names compare as
 * exact byte strings (at most FOTOS_NAME_LEN - 1 bytes); a name listed
 * twice or naming no member is skipped.
 * Returns the position (>= 0); -ENOENT if no listed node is a member;
 * -EINVAL if view is NULL or prefer is NULL while nprefer > 0.
 */
int fotos_owner_pick(const struct fotos_view *view, const char *const *prefer,
		     unsigned int nprefer);

/*
 * What a client remembers between calls to fotos_owner_pick_hold() (or
 * fotos_owner()) with a hold time: when each member was first seen in its
 * present run of membership. Caller-owned, one per decision loop (it may be
 * shared by several services with the same hold time); not thread-safe:
 * serialize calls that share one. Initialize with fotos_owner_state_init().
 * About 3 KiB; opaque: its fields may change between minor versions.
 */
struct fotos_owner_state {
	uint64_t net_id, epoch, view_id;	/* the view last applied */
	uint64_t applied_ns;			/* CLOCK_REALTIME of that call */
	uint32_t count;				/* seen[0..count) are valid */
	uint32_t flags;				/* internal: initialized, view applied */
	struct fotos_owner_seen {
		char name[FOTOS_NAME_LEN];	/* as in the view */
		uint64_t incarnation;
		uint64_t since_ns;		/* CLOCK_REALTIME ns: member since */
	} seen[FOTOS_MAX_MEMBERS];
};

/* Start with no history: the next view is the first one seen. */
void fotos_owner_state_init(struct fotos_owner_state *st);

/*
 * Take-over with a hold time: like fotos_owner_pick(), but a member takes
 * the service only once it has been a member for hold_ns, so that a
 * flapping node does not drag the service back and forth.
 *
 * "Member since" must be the same on every node for the nodes to agree, and
 * the view holds no clock; so it is taken from what is agreed:
 *  - a member's incarnation, which the agent sets to its start time
 *    (CLOCK_REALTIME ns): a node that restarted is a member since then at
 *    the earliest. Every node, even one whose client just started, reads
 *    the same incarnation. This covers the usual return: crash and restart.
 *  - if st is not NULL, a member that left and came back WITHOUT a restart
 *    (partition healed, or hold-down lifted) is dated by this client: since
 *    = now_ns at the first call that sees it back. Call after every new view
 *    (fotos_wait(FOTOS_EV_VIEW)) so that this date is close on all nodes;
 *    a client that skips views or starts late cannot know of such a return
 *    and may disagree until the hold has passed. st == NULL: incarnations
 *    only (what a one-shot command such as fotosctl can know).
 * Rule: the owner is the first listed member whose membership is at least
 * hold_ns old (now_ns - since >= hold_ns). If no listed member is that old
 * (all started together), the listed member that is a member the longest
 * (smallest since; ties: the earlier in the list), so the service is never
 * left without an owner. Fail-over to a held member is immediate.
 * hold_ns == 0 is fotos_owner_pick() (st is then neither read nor updated).
 * now_ns: CLOCK_REALTIME in ns (fotos_owner() reads it), explicit here so
 * that the function is pure and testable. Clock skew between nodes (NTP:
 * milliseconds) shifts the take-over moment by as much.
 * Returns the position (>= 0); -ENOENT if no listed node is a member;
 * -EINVAL as fotos_owner_pick().
 */
int fotos_owner_pick_hold(const struct fotos_view *view, const char *const *prefer,
			  unsigned int nprefer, uint64_t hold_ns, struct fotos_owner_state *st,
			  uint64_t now_ns);

/*
 * The handle wrapper: read the view and the status (no system call), pick
 * the owner with fotos_owner_pick_hold() at the present CLOCK_REALTIME, copy
 * it to *owner. *flags (may be NULL) gets FOTOS_DECIDE_* bits: see above.
 * Returns 0; -ENOENT if no listed node is a member (the view may be empty
 * while the node joins: check *flags); -EAGAIN, -ESTALE from
 * fotos_read_view(); -EINVAL.
 */
int fotos_owner(const struct fotos *h, const char *const *prefer, unsigned int nprefer,
		uint64_t hold_ns, struct fotos_owner_state *st, struct fotos_member *owner,
		unsigned int *flags);

/*
 * Rendezvous (highest random weight) hashing. Each member gets a weight
 * for the key; the owner is the member of highest weight, the k owners the
 * k highest, in order of weight. A node that joins or leaves moves only
 * the keys it gains or held (about 1/N of them); the others stay put.
 *
 * The weights, to reproduce in other languages (all arithmetic mod 2^64):
 *   mix(x):   x ^= x >> 30; x *= 0xbf58476d1ce4e5b9;
 *             x ^= x >> 27; x *= 0x94d049bb133111eb; x ^= x >> 31
 *             (the splitmix64 finalizer)
 *   hash(bytes b of length n, seed):
 *             h = seed ^ (n * 0x9e3779b97f4a7c15)
 *             for each 8-byte block of b, the last one padded with zero
 *             bytes, read as a little-endian u64 w:
 *                 h = (h ^ w) * 0x9e3779b97f4a7c15; h ^= h >> 32
 *             return mix(h)
 *   key hash  K = hash(key bytes, FOTOS_HASH_SEED_KEY)
 *   name hash N = w0*C0 ^ w1*C1 ^ w2*C2 ^ w3*C3, where w0..w3 are the
 *             name (its bytes before the NUL, at most 32) padded with zero
 *             bytes to 32, read as four little-endian u64, and
 *             C0 = 0x9e3779b97f4a7c15, C1 = 0xbf58476d1ce4e5b9,
 *             C2 = 0x94d049bb133111eb, C3 = 0xff51afd7ed558ccd
 *             (one multiplication for names up to 7 bytes: this is what
 *             keeps a decision over 16 members under 100 ns)
 *   weight    W = mix(K ^ N)
 * Example: K("user:42") = 0xcf8d8417c351c8bd, W(that K, "n1") =
 * 0xd2457c959445f57d.
 * Ties (equal weights) go to the smaller name (bytewise). Not a keyed hash:
 * keys chosen by an adversary can all be sent to one member.
 */
#define FOTOS_HASH_SEED_KEY	0x666f746f736b6579ull	/* "fotoskey" */

/* hash() above of len bytes of data (NULL allowed when len is 0). */
uint64_t fotos_hash_bytes(const void *data, size_t len, uint64_t seed);

/* W above for a key hash K and a member name (NUL-ended or FOTOS_NAME_LEN). */
uint64_t fotos_hash_weight(uint64_t key_hash, const char *name);

/*
 * The k owners of the key of len bytes among the members of view: their
 * positions in view->members, highest weight first, all distinct, into
 * out[0..min(k, count)). Returns how many were written (>= 1); -ENOENT if
 * the view has no member; -EINVAL if view or out is NULL, or k is 0.
 * fotos_hash_pick_hash() takes K = fotos_hash_bytes(key, len,
 * FOTOS_HASH_SEED_KEY) computed once, for a key asked about often.
 */
int fotos_hash_pick(const struct fotos_view *view, const void *key, size_t len,
		    uint32_t *out, unsigned int k);
int fotos_hash_pick_hash(const struct fotos_view *view, uint64_t key_hash, uint32_t *out,
			 unsigned int k);

/*
 * The handle wrapper: read the view and status (no system call) and copy
 * the k owners of the key to out[0..n), highest weight first. *flags (may
 * be NULL) gets FOTOS_DECIDE_* bits. Returns n >= 1; -ENOENT if the view
 * is empty (the node is not in a network yet: check *flags); -EAGAIN,
 * -ESTALE from fotos_read_view(); -EINVAL.
 */
int fotos_hash_owners(const struct fotos *h, const void *key, size_t len,
		      struct fotos_member *out, unsigned int k, unsigned int *flags);

/* ---- inline fast path: one load, no system call --------------------- */

/* internal: the layout of the start of a handle; do not use directly */
struct __fotos_fast {
	const uint64_t *state_words;
};
#define __FOTOS_SW_STATE	0
#define __FOTOS_SW_STABLE	1
#define __FOTOS_SW_PRIMARY	2
#define __FOTOS_SW_EPOCH	3

static inline uint64_t __fotos_word(const struct fotos *h, int i)
{
	/* A single aligned 64-bit word cannot tear; acquire pairs with the
	 * agent's seqlock release so data read after it is at least as new. */
	return __atomic_load_n(&((const struct __fotos_fast *)(const void *)h)->state_words[i],
			       __ATOMIC_ACQUIRE);
}

/* 1 if the node is operational and its network is stable. */
static inline int fotos_stable(const struct fotos *h)
{
	return (int)__fotos_word(h, __FOTOS_SW_STABLE);
}

/* 1 if the node is in the primary network. */
static inline int fotos_primary(const struct fotos *h)
{
	return (int)__fotos_word(h, __FOTOS_SW_PRIMARY);
}

/* The epoch of the node's current view (0: in no network). */
static inline uint64_t fotos_epoch(const struct fotos *h)
{
	return __fotos_word(h, __FOTOS_SW_EPOCH);
}

/* enum fotos_state */
static inline int fotos_state(const struct fotos *h)
{
	return (int)__fotos_word(h, __FOTOS_SW_STATE);
}

#ifdef __cplusplus
}
#endif
#endif
