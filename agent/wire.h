/*
 * wire.h - the messages agents exchange over their TCP links.
 *
 * Every message is a frame: a 12-byte header then the payload, all integers
 * little-endian:
 *
 *   u16 magic  0x4f46 ("FO")     u8 version (WIRE_VERSION)   u8 type
 *   u32 length of the payload    u32 crc32c? no: reserved, must be 0
 *
 * Payloads are fixed layouts per type (below). The decoder checks every
 * field: magic, version, known type, exact payload length for the type
 * (PROPOSE: exact for its member count), member count <= 64, counts that
 * match masks, node indices < 64. Anything else is -EPROTO and the link is
 * closed (the caller logs it). A length above WIRE_MAX_PAYLOAD is -EMSGSIZE.
 */
#ifndef FOTOS_WIRE_H
#define FOTOS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fotos.h"
#include "fotos_abi.h"

#define WIRE_MAGIC		0x4f46u
#define WIRE_VERSION		2	/* 2: HELLO carries a nonce; AUTH */
#define WIRE_HDR_SIZE		12
#define WIRE_MAX_PAYLOAD	65536	/* a database value of up to 60 KiB fits */
#define WIRE_MAX_FRAME		(WIRE_HDR_SIZE + WIRE_MAX_PAYLOAD)
/* On an authenticated link every frame after the HELLO is followed by a
 * 16-byte tag (agent/auth.c); the header's length does not count it. */
#define WIRE_TAG_SIZE		16
#define WIRE_NONCE_SIZE		32

enum wire_type {
	WIRE_HELLO = 1,		/* first frame on a link, both ways */
	WIRE_STATUS = 2,	/* heartbeat + gossip of the sender's state */
	WIRE_PROPOSE = 3,	/* a proposed new view */
	WIRE_VOTE = 4,		/* a participant's answer to a proposal */
	WIRE_COMMIT = 5,	/* the proposal is agreed: install it */
	WIRE_ABORT = 6,		/* the proposal is dropped */
	WIRE_QUERY = 7,		/* proposer lost: what happened to proposal? */
	WIRE_OUTCOME = 8,	/* answer to QUERY */
	WIRE_DB_UPDATE = 9,	/* a version of a key, replicated (or a sync, a GC) */
	WIRE_DB_ACK = 10,	/* a member applied (or already had) an update */
	WIRE_DB_CAS = 11,	/* a conditional write forwarded to the key's owner */
	WIRE_DB_CAS_REPLY = 12,	/* the owner's answer */
	WIRE_TXN_PREPARE = 13,	/* a transaction's writes (or a rendezvous): vote on it */
	WIRE_TXN_VOTE = 14,	/* a member's answer to PREPARE */
	WIRE_TXN_DECIDE = 15,	/* the coordinator's decision: commit or abort */
	WIRE_TXN_QUERY = 16,	/* coordinator lost: what became of the transaction? */
	WIRE_TXN_OUTCOME = 17,	/* answer to TXN_QUERY */
	WIRE_RDV_ARRIVE = 18,	/* a participant waits in a rendezvous here */
	WIRE_AUTH = 19,		/* first sealed frame: proves the sender holds the key */
	WIRE_TYPE_MAX = 20,
};

/* Identifies a proposal uniquely, across restarts (incarnation). */
struct wire_pid {
	uint64_t incarnation;	/* proposer's */
	uint32_t seq;		/* proposer's counter */
	uint16_t proposer;	/* node index */
	uint16_t pad;		/* 0 */
};

enum wire_hello_flags {
	WIRE_HELLO_AUTH = 1,	/* sender has the cluster key: AUTH and tags follow */
	WIRE_HELLO_ENCRYPT = 2,	/* sender wants the link encrypted (needs AUTH) */
	WIRE_HELLO_FLAGS = 3,	/* every known flag */
};

struct wire_hello {
	uint64_t cluster_hash;	/* hash of the cluster name: other clusters refused */
	uint64_t incarnation;	/* sender's */
	uint16_t from;		/* sender's node index */
	uint16_t to;		/* index the sender believes the receiver has */
	uint32_t flags;		/* enum wire_hello_flags */
	uint8_t nonce[WIRE_NONCE_SIZE];	/* fresh random challenge (zero without AUTH) */
};

/* AUTH: nothing but its tag matters; the payload is reserved, zero. */
struct wire_auth {
	uint64_t reserved;
};

struct wire_status {
	uint64_t epoch;
	uint64_t view_id;
	uint64_t net_id;
	uint64_t members;	/* mask of node indices in the sender's view */
	uint64_t seen;		/* mask of nodes the sender has a live link to */
	uint64_t removed_from;	/* view_id the sender was last removed from, 0 none */
	uint8_t state;		/* enum fotos_node_state */
	uint8_t busy;		/* 1 if locked in a procedure */
	uint16_t pad1;
	uint32_t pad2;
};

enum wire_kind {
	WIRE_KIND_START = 1,	/* network start of nodes in no network */
	WIRE_KIND_JOIN = 2,	/* members + one joiner */
	WIRE_KIND_REMOVE = 3,	/* members minus some */
	WIRE_KIND_MERGE = 4,	/* reserved */
};

struct wire_propose {
	struct wire_pid pid;
	uint64_t base_view_id;	/* the view it changes; 0 for START */
	uint64_t base_epoch;
	uint64_t net_id;	/* network of the new view */
	uint64_t members;	/* mask of the new view's members */
	uint8_t kind;		/* enum wire_kind */
	uint8_t count;		/* popcount(members) */
	uint16_t pad1;
	uint32_t pad2;
	uint64_t incarnations[FOTOS_MAX_NODES];	/* count used, by ascending index */
};

enum wire_vote_reason {
	WIRE_VOTE_YES = 0,
	WIRE_VOTE_BUSY = 1,		/* locked in another procedure: retry */
	WIRE_VOTE_STALE_VIEW = 2,	/* base view is not mine */
	WIRE_VOTE_NOT_SEEN = 3,		/* I lack a link to a proposed member */
	WIRE_VOTE_INCARNATION = 4,	/* a member's incarnation is not the one I see */
	WIRE_VOTE_IN_NETWORK = 5,	/* START but I am in a network */
	WIRE_VOTE_ABORTED = 6,		/* I already consider it aborted */
	WIRE_VOTE_BAD = 7,		/* inconsistent proposal */
	WIRE_VOTE_HOLD_DOWN = 8,	/* joiner flapped: its links must stay up longer */
	WIRE_VOTE_MAX = 8,
};

struct wire_vote {
	struct wire_pid pid;
	uint8_t reason;		/* enum wire_vote_reason; 0 = yes */
	uint8_t pad[7];
	uint64_t detail;	/* e.g. mask of members not seen */
};

/* COMMIT, ABORT, QUERY carry just the pid. OUTCOME: */
enum wire_outcome_value {
	WIRE_OUT_PENDING = 0,	/* still waiting; ask again */
	WIRE_OUT_COMMITTED = 1,
	WIRE_OUT_ABORTED = 2,
};

struct wire_outcome {
	struct wire_pid pid;
	uint8_t outcome;
	uint8_t pad[7];
};

/* Flags of database messages. */
#define WIRE_DBF_TOMB	1u	/* the version is a delete */
#define WIRE_DBF_ACK	2u	/* the writer wants a DB_ACK */
#define WIRE_DBF_SYNC	4u	/* state transfer to a joining node: no ack */
#define WIRE_DBF_GC	8u	/* drop this tombstone (every member holds it) */
#define WIRE_DBF_EMPTY	16u	/* CAS: expect the key absent (or deleted) */
#define WIRE_DBF_ALL	31u

/*
 * DB_UPDATE and DB_CAS carry a key and a value: 24 bytes, then the clock
 * (fotos_vclock_encode), the key, the value. key and val point into the
 * frame being decoded: valid only while it is handled.
 *   0 u64 id (write id, or CAS request id)   8 u16 node (writer / requester)
 *   10 u16 flags   12 u16 klen (1..1024)   14 u16 pad   16 u32 vlen   20 u32 pad
 * DB_ACK: 0 u64 id  8 u16 node  10 u16 pad  12 u32 pad  (16 bytes)
 * DB_CAS_REPLY: 0 u64 id  8 i32 result (0 or -errno)  12 u32 pad  16 clock
 */
struct wire_db {
	uint64_t id;
	uint16_t node;
	uint16_t flags;
	int32_t result;		/* CAS_REPLY */
	uint32_t klen, vlen;
	struct fotos_vclock clock;	/* the version's (CAS: the expected one) */
	const uint8_t *key, *val;
};

/*
 * Transactions and rendezvous (txn.c). A transaction is identified by a
 * wire_pid (the coordinator's incarnation, its counter, its index).
 *
 * TXN_PREPARE: 40 bytes, the group name, then nops operations:
 *   0 pid   16 u64 view_id   24 u64 members (who must vote)   32 u32 timeout_ms
 *   36 u16 nops (0..WIRE_TXN_MAX_OPS)   38 u8 glen (0..WIRE_GROUP_MAX)   39 u8 pad
 *   40 group[glen] (bytes 0x21..0x7e; glen 0: no participants are asked)
 * nops + glen > 0. Each operation: 0 u8 flags (WIRE_TXF_*)  1 u8 pad
 *   2 u16 klen (1..1024)  4 u32 vlen (0 for a delete)  8 clock (the version
 *   the write makes; not empty)  then cond (the expected clock; empty unless
 *   WIRE_TXF_IF_CLOCK)  then key, value. ops points into the frame.
 * TXN_VOTE, TXN_DECIDE, TXN_QUERY, TXN_OUTCOME: 24 bytes:
 *   0 pid   16 u8 value   17 u8 reason (enum wire_txn_reason)   18 u16 detail
 *   20 u32 pad. VOTE: value 0 yes / 1 no (reason, detail = op index).
 *   DECIDE: value 1 commit / 2 abort (reason, detail = node blamed).
 *   QUERY: value, reason, detail 0. OUTCOME: value 0 pending / 1 committed /
 *   2 aborted (reason, detail as DECIDE).
 * RDV_ARRIVE: 16 bytes then the group: 0 u64 view_id  8 u32 timeout_ms
 *   12 u8 glen (1..WIRE_GROUP_MAX)  13 u8 pad[3]  16 group[glen]
 */
#define WIRE_TXN_MAX_OPS	256
#define WIRE_GROUP_MAX		64

#define WIRE_TXF_TOMB		1u	/* the write is a delete */
#define WIRE_TXF_IF_CLOCK	2u	/* condition: the key's clock equals cond */
#define WIRE_TXF_IF_ABSENT	4u	/* condition: the key is absent or deleted */
#define WIRE_TXF_ALL		7u

enum wire_txn_value {
	WIRE_TXN_YES = 0,		/* VOTE */
	WIRE_TXN_NO = 1,		/* VOTE */
	WIRE_TXN_COMMIT = 1,		/* DECIDE, OUTCOME */
	WIRE_TXN_ABORT = 2,		/* DECIDE, OUTCOME */
	WIRE_TXN_PENDING = 0,		/* OUTCOME: undecided, ask again */
};

enum wire_txn_reason {
	WIRE_TXR_NONE = 0,
	WIRE_TXR_LOCKED = 1,		/* a key is held by another transaction */
	WIRE_TXR_CONDITION = 2,		/* an if= condition failed (detail: op) */
	WIRE_TXR_NEWER = 3,		/* a member holds a version the write does not dominate */
	WIRE_TXR_VIEW = 4,		/* the view changed before the decision */
	WIRE_TXR_FULL = 5,		/* a member's database is full */
	WIRE_TXR_TIMEOUT = 6,		/* no answer (or no participant) in time */
	WIRE_TXR_LEFT = 7,		/* a member left (detail: which) */
	WIRE_TXR_VETO = 8,		/* a participant process voted no */
	WIRE_TXR_BUSY = 9,		/* the group is in another transaction */
	WIRE_TXR_COORD_LOST = 10,	/* the coordinator was lost before deciding */
	WIRE_TXR_BAD = 11,		/* inconsistent request */
	WIRE_TXR_MAX = 11,
};

struct wire_txn_op {
	uint8_t flags;			/* WIRE_TXF_* */
	uint32_t klen, vlen;
	struct fotos_vclock clock;	/* the new version's */
	struct fotos_vclock cond;	/* expected (WIRE_TXF_IF_CLOCK) */
	const uint8_t *key, *val;
};

/* TXN_PREPARE and RDV_ARRIVE (which uses view_id, timeout_ms, the group). */
struct wire_txn {
	struct wire_pid id;
	uint64_t view_id, members;
	uint32_t timeout_ms;
	uint16_t nops;
	uint8_t glen;
	char group[WIRE_GROUP_MAX + 1];	/* NUL-ended copy */
	const uint8_t *ops;		/* nops encoded operations (wire_txn_op_get) */
	uint32_t ops_len;
};

/* TXN_VOTE, TXN_DECIDE, TXN_QUERY, TXN_OUTCOME */
struct wire_txn_ctl {
	struct wire_pid id;
	uint8_t value, reason;
	uint16_t detail;
};

/* A decoded message. */
struct wire_msg {
	uint8_t type;
	union {
		struct wire_hello hello;
		struct wire_auth auth;
		struct wire_status status;
		struct wire_propose propose;
		struct wire_vote vote;
		struct wire_pid pid;		/* COMMIT, ABORT, QUERY */
		struct wire_outcome outcome;
		struct wire_db db;
		struct wire_txn txn;		/* TXN_PREPARE, RDV_ARRIVE */
		struct wire_txn_ctl tctl;	/* TXN_VOTE, _DECIDE, _QUERY, _OUTCOME */
	} u;
};

/*
 * Encode m into buf (cap bytes): header + payload. Returns the frame length,
 * or -ENOSPC if cap is too small, -EINVAL if m is malformed.
 */
int wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap);

/*
 * Look at the start of a receive buffer. Returns 0 if more bytes are needed
 * (len < header or < header + payload), the whole frame's length if one is
 * complete, -EPROTO for a bad header, -EMSGSIZE for an oversized length.
 */
int wire_frame_len(const uint8_t *buf, size_t len);

/*
 * Decode exactly one complete frame of len bytes into m.
 * 0 or -EPROTO (anything wrong, checked field by field).
 */
int wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m);

/*
 * Transaction operations, encoded back to back into TXN_PREPARE's ops.
 * wire_txn_op_put: bytes written, -EINVAL (the op breaks a rule the decoder
 * checks), -ENOSPC. wire_txn_op_get: parse the op at buf (len bytes left):
 * bytes consumed or -EPROTO; key and val point into buf.
 */
int wire_txn_op_put(const struct wire_txn_op *op, uint8_t *buf, size_t cap);
int wire_txn_op_get(const uint8_t *buf, size_t len, struct wire_txn_op *op);

/* Name of a type for logs ("PROPOSE"), "?" if unknown. */
const char *wire_type_name(unsigned int type);

/* 64-bit FNV-1a over bytes (cluster name hash, view ids). */
uint64_t wire_hash(const void *p, size_t n, uint64_t seed);

#endif
