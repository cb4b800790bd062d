/*
 * fotos_abi.h - the layout of the shared-memory segment.
 *
 * Shared by the agent (the only writer) and clientlib (read-only readers).
 * Everything here is part of the ABI between two separately built programs:
 * fixed-width fields only, offsets instead of pointers, and a unit test
 * (tests/unit/test_abi.c) pins every offset so a change cannot slip by.
 *
 * The segment:
 *
 *   page 0   header: magic, abi version (stored last), sizes, offsets of each
 *            region, agent pid, start time, liveness tick, control socket path
 *   page 1   doorbell: futex words and waiter counts; the only page clients
 *            may map writable (they add themselves to the waiter count)
 *   page 2   node state region (seqlock)
 *   page 3+  view region (seqlock)
 *   then     database region (reserved; its content is defined later)
 *
 * Minor version = fields or regions appended; major = anything else.
 */
#ifndef FOTOS_ABI_H
#define FOTOS_ABI_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "seqlock payload needs lock-free 64-bit atomics");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "futex words need lock-free 32-bit atomics");

#define FOTOS_SHM_MAGIC		0x31534f544f46ULL	/* "FOTOS1\0\0" little-endian */
#define FOTOS_ABI_MAJOR		1
#define FOTOS_ABI_MINOR		0
#define FOTOS_ABI_VERSION	((FOTOS_ABI_MAJOR << 16) | FOTOS_ABI_MINOR)

#define FOTOS_PAGE		4096u
#define FOTOS_MAX_NODES		64	/* node index fits a 64-bit mask */
#define FOTOS_NAME_MAX		32	/* node names, including the NUL */
#define FOTOS_PATH_MAX		108	/* sizeof(sun_path) */

/* Header "state" word. */
#define FOTOS_SEG_RUNNING	1u
#define FOTOS_SEG_CLOSED	2u	/* agent exited or was replaced: reopen */

/* Region kinds in the section table. */
enum fotos_sect_kind {
	FOTOS_SECT_DOORBELL = 1,
	FOTOS_SECT_STATE = 2,
	FOTOS_SECT_VIEW = 3,
	FOTOS_SECT_DB = 4,
	FOTOS_SECT_MAX = 8,
};

struct fotos_shm_sect {
	uint32_t kind;
	uint32_t stride;	/* size of one record in the region, 0 if n/a */
	uint64_t off;		/* from the start of the segment, page aligned */
	uint64_t size;		/* bytes */
};

/*
 * The header. The agent fills every field, then stores abi last with
 * release; a reader that acquires a non-zero abi sees the rest.
 */
struct fotos_shm_hdr {
	uint64_t magic;
	_Atomic uint32_t abi;		/* 0 while initialising */
	uint32_t hdr_size;		/* writer's sizeof(struct fotos_shm_hdr) */
	uint64_t total_size;
	uint64_t agent_pid;
	uint64_t agent_start_ns;	/* CLOCK_REALTIME at start: the generation */
	_Atomic uint64_t heartbeat_ns;	/* CLOCK_MONOTONIC, advanced every tick */
	uint64_t stale_after_ns;	/* heartbeat older than this: agent is dead */
	_Atomic uint32_t seg_state;	/* FOTOS_SEG_RUNNING / FOTOS_SEG_CLOSED */
	uint32_t nsect;
	char control_path[FOTOS_PATH_MAX];
	char node_name[FOTOS_NAME_MAX];
	char cluster_name[FOTOS_NAME_MAX];
	struct fotos_shm_sect sect[FOTOS_SECT_MAX];
};

/*
 * The doorbell. "notify" is bumped after every publish of any region and is
 * the futex word waiters sleep on; the per-kind counters say what changed.
 * "waiters" lets the agent skip FUTEX_WAKE when nobody sleeps (the pattern of
 * kernel/futex/waitwake.c: both sides seq_cst, so they cannot both miss).
 */
struct fotos_shm_doorbell {
	_Atomic uint32_t notify;
	_Atomic uint32_t waiters;
	_Atomic uint32_t view_changes;
	_Atomic uint32_t stable_changes;
	_Atomic uint32_t db_changes;
	_Atomic uint32_t state_changes;
	uint32_t pad[10];
};

/*
 * A seqlock-protected region: the sequence word is odd while the agent
 * writes; the payload is a run of 64-bit atomic words (see seqlock.h).
 */
struct fotos_seq_region {
	_Atomic uint64_t seq;
	_Atomic uint64_t w[];
};

/* Node state payload (word index into the state region's w[]). */
enum fotos_state_word {
	FOTOS_SW_STATE = 0,	/* enum fotos_node_state */
	FOTOS_SW_STABLE = 1,	/* 1 operational and stable, else 0 */
	FOTOS_SW_PRIMARY = 2,	/* 1 primary network (arbiter said so or none configured) */
	FOTOS_SW_EPOCH = 3,
	FOTOS_SW_VIEW_ID = 4,
	FOTOS_SW_NODE_INDEX = 5,
	FOTOS_SW_INCARNATION = 6,
	FOTOS_SW_REMOVED = 7,	/* times this node learned it was removed */
	FOTOS_SW_NWORDS = 8,
};

/*
 * One member of the view: 64 bytes, the same layout as the public
 * struct fotos_member (clientlib checks this at compile time).
 */
struct fotos_shm_member {
	char name[FOTOS_NAME_MAX];
	uint64_t incarnation;
	uint32_t index;		/* position in the cluster config */
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint16_t port;		/* host byte order */
	uint8_t addr[16];	/* network byte order, first 4 bytes for IPv4 */
};
_Static_assert(sizeof(struct fotos_shm_member) == 64, "member record");

/* View payload: these words, then count members. */
struct fotos_shm_view {
	uint64_t epoch;
	uint64_t view_id;
	uint64_t net_id;
	uint32_t count;
	uint32_t flags;
	struct fotos_shm_member members[FOTOS_MAX_NODES];
};
#define FOTOS_VIEW_HEAD_WORDS	4	/* epoch, view_id, net_id, count|flags */
#define FOTOS_VIEW_WORDS	(sizeof(struct fotos_shm_view) / 8)

/* Database region header; the entries follow (defined by the database issue). */
struct fotos_shm_db {
	_Atomic uint64_t seq;
	uint64_t max_keys;
	uint64_t max_key_len;
	uint64_t max_val_len;
	uint64_t nkeys;
};

#define FOTOS_DB_RESERVED	(64u * 1024u)

/* Node states, as published. */
enum fotos_node_state {
	FOTOS_ST_STARTING = 0,
	FOTOS_ST_JOINING = 1,
	FOTOS_ST_STABLE = 2,
	FOTOS_ST_UNSTABLE = 3,
	FOTOS_ST_REMOVED = 4,	/* learned it was removed; about to join again */
	FOTOS_ST_STOPPED = 5,
};

#endif
