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
 * "ok "/"err " prefix removed). Protocol: text lines of at most 64 KiB;
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
