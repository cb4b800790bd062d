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

/*
 * Database region: this header, then nslots slots of slot_size bytes at
 * slots_off, an open-addressing hash table (linear probing from
 * hash & (nslots - 1); an empty slot ends a probe). Each slot is one
 * version of one key under its own seqlock, so a write to one key does not
 * make readers of another retry. A key with concurrent versions has one
 * winner slot (flag CONFLICT) and its losers (flag SIBLING), all in the
 * key's probe chain. The table seq is odd while the agent moves slots
 * (deletion by backward shift): a reader that found nothing re-checks it.
 */
struct fotos_shm_db {
	_Atomic uint64_t seq;
	uint64_t max_keys;		/* slots that may be used (versions, tombstones) */
	uint64_t max_key_len;
	uint64_t max_val_len;
	uint64_t nslots;		/* power of two, >= 2 * max_keys */
	uint64_t slot_size;		/* bytes, a multiple of 8 */
	uint64_t nclock;		/* clock counters per slot: the cluster size */
	uint64_t slots_off;		/* from the start of the region */
	_Atomic uint64_t nkeys;		/* keys with a live (not deleted) winner */
	_Atomic uint64_t used;		/* occupied slots */
};

/* Slot payload words (index into the slot's seq region w[]). */
enum fotos_slot_word {
	FOTOS_SLOT_HASH = 0,	/* key hash, never 0; 0 = empty slot */
	FOTOS_SLOT_LENS = 1,	/* klen | vlen << 32 */
	FOTOS_SLOT_FLAGS = 2,	/* flags | writer node << 32 */
	FOTOS_SLOT_CLOCK = 3,	/* nclock counters, then the key, then the value */
};

#define FOTOS_DBF_TOMBSTONE	1u	/* a delete: readers see no value */
#define FOTOS_DBF_CONFLICT	2u	/* the winner of concurrent versions */
#define FOTOS_DBF_SIBLING	4u	/* a losing concurrent version */

#define FOTOS_DB_RESERVED	(64u * 1024u)	/* db region of shm_layout_default() */
#define FOTOS_DB_MAX_KEY	1024u
#define FOTOS_DB_MAX_VAL	(60u * 1024u)

/* The key hash (64-bit FNV-1a, never 0), the same in agent and clients. */
static inline uint64_t fotos_key_hash(const void *key, size_t len)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

/* Slot size and region size of a table; 0 if the limits are out of range. */
static inline uint64_t fotos_db_geometry(uint64_t max_keys, uint64_t max_key, uint64_t max_val,
					 uint64_t nclock, struct fotos_shm_db *g)
{
	uint64_t n = 16;

	if (!max_keys || max_keys > (1ull << 26) || !max_key || max_key > FOTOS_DB_MAX_KEY ||
	    max_val > FOTOS_DB_MAX_VAL || !nclock || nclock > FOTOS_MAX_NODES)
		return 0;
	while (n < 2 * max_keys)
		n *= 2;
	g->max_keys = max_keys;
	g->max_key_len = max_key;
	g->max_val_len = max_val;
	g->nslots = n;
	g->nclock = nclock;
	g->slot_size = 8 * (1 + FOTOS_SLOT_CLOCK + nclock + (max_key + 7) / 8 + (max_val + 7) / 8);
	g->slots_off = 4096;
	return g->slots_off + n * g->slot_size;
}

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
