/*
 * decide_api.h - helpers for the decisions applications make: fail-over /
 * take-over of a service along a priority list, and rendezvous hashing of
 * keys for load balancing.
 *
 * To be pasted into fotos.h (after struct fotos_view and the handle
 * functions); until then include it after "fotos.h".
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
#ifndef FOTOS_DECIDE_API_H
#define FOTOS_DECIDE_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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
 *   name hash N = hash(name bytes before the NUL, FOTOS_HASH_SEED_NAME)
 *   weight    W = mix(K ^ N)
 * Ties (equal weights) go to the smaller name (bytewise). Not a keyed hash:
 * keys chosen by an adversary can all be sent to one member.
 */
#define FOTOS_HASH_SEED_KEY	0x666f746f736b6579ull	/* "fotoskey" */
#define FOTOS_HASH_SEED_NAME	0x666f746f736e6f64ull	/* "fotosnod" */

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

#ifdef __cplusplus
}
#endif
#endif
