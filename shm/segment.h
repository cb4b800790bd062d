/*
 * segment.h - creating, validating and publishing into the shared segment.
 *
 * shm_validate() is used by clientlib (and fuzzed); the rest is the agent's
 * writer side. No policy lives here: what to publish is the agent's business.
 */
#ifndef FOTOS_SEGMENT_H
#define FOTOS_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "fotos_abi.h"

/* Where each region lives, as read from (or written into) the header. */
struct shm_layout {
	uint64_t total_size;
	uint64_t doorbell_off, state_off, view_off, db_off, db_size;
};

/* Compute the layout the agent creates. */
void shm_layout_default(struct shm_layout *l);
/* The same with a database region of db_size bytes (page rounded). */
void shm_layout_db(struct shm_layout *l, uint64_t db_size);

/*
 * Check a mapped header of maplen bytes (the file size) and fill *l.
 * 0, or -EAGAIN (abi still 0: the agent is initialising), -EPROTO (bad
 * magic, sizes, offsets or regions that do not fit the file),
 * -EPROTONOSUPPORT (another layout major version). Never reads past maplen.
 */
int shm_validate(const void *map, size_t maplen, struct shm_layout *l);

/* The agent's handle on the segment it owns. */
struct shm_segment {
	char name[FOTOS_PATH_MAX];
	unsigned char *base;
	struct shm_layout l;
	struct fotos_shm_hdr *hdr;
	struct fotos_shm_doorbell *bell;
	struct fotos_seq_region *state;
	struct fotos_seq_region *view;
	struct fotos_shm_db *db;		/* the database region header */
	uint64_t ino;		/* to unlink only our own file on close */
	/* A second waiter count for clients that may only read the segment:
	 * a sealed memfd page (it can be written, never shrunk, so no client
	 * can make the agent fault on it), handed out over the control socket
	 * (shm_waiters_fd). -1 / NULL if it could not be made. */
	int waiters_fd;
	_Atomic uint32_t *waiters_ext;
	uint64_t wakes;		/* FUTEX_WAKE calls made (for tests and bench) */
	uint64_t skipped_wakes;	/* publishes with no waiter: no system call */
};

struct shm_params {
	const char *name;		/* "/fotos" */
	const char *control_path;
	const char *node_name;
	const char *cluster_name;
	uint64_t stale_after_ns;
	unsigned int mode;		/* file mode, e.g. 0640 */
	int set_gid;			/* 1: give the object group gid */
	unsigned int gid;		/* (else it has the creator's group) */
	/* database geometry (fotos_db_geometry); max_keys 0: a small default */
	uint64_t db_max_keys, db_max_key, db_max_val, db_nclock;
};

/*
 * Create the segment: a temporary object is sized, mapped, filled, its abi
 * stored last, then renamed over the name, so a reader never sees a half
 * made one. A previous segment under the name is marked CLOSED first and its
 * waiters woken, so its readers learn at once that they must reopen.
 * Returns 0 or -errno. Call shm_segment_close() to undo.
 */
int shm_segment_create(const struct shm_params *p, struct shm_segment *seg);

/* Mark CLOSED, wake every waiter, unlink the name if it is still ours, unmap. */
/* (shm_segment_close also closes the sealed waiter page.) */
void shm_segment_close(struct shm_segment *seg);

/* Advance the liveness tick. */
void shm_heartbeat(struct shm_segment *seg);

/* Doorbell kinds. */
#define SHM_BELL_VIEW	(1u << 0)
#define SHM_BELL_STABLE	(1u << 1)
#define SHM_BELL_DB	(1u << 2)
#define SHM_BELL_STATE	(1u << 3)

/*
 * After publishing: bump the per-kind counters and the notify word, and
 * wake sleepers only if the waiter count says some exist.
 */
void shm_ring(struct shm_segment *seg, unsigned int kinds);

/* Publish the node-state words (FOTOS_SW_NWORDS of them). */
void shm_publish_state(struct shm_segment *seg, const uint64_t w[FOTOS_SW_NWORDS]);

/* Publish a view (only the head and v->count members are written). */
void shm_publish_view(struct shm_segment *seg, const struct fotos_shm_view *v);

#endif
