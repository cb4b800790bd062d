/*
 * wire.c - encoding and decoding of the frames agents exchange (wire.h).
 *
 * Every integer is little-endian and every payload has a fixed layout, so a
 * frame is checked by exact length before any field is read, and a decoded
 * frame re-encodes to the very same bytes (the fuzzer checks this). Offsets
 * are in bytes from the start of the payload; "pad" bytes must be zero.
 *
 * Header (12 bytes, before every payload):
 *   0 u16 magic 0x4f46   2 u8 version   3 u8 type   4 u32 length   8 u32 reserved (0)
 *
 * pid (16 bytes, the start of VOTE, COMMIT, ABORT, QUERY, OUTCOME, PROPOSE):
 *   0 u64 incarnation    8 u32 seq      12 u16 proposer (< 64)      14 u16 pad
 *
 * HELLO, 56 bytes:
 *   0 u64 cluster_hash   8 u64 incarnation   16 u16 from (< 64)   18 u16 to (< 64)
 *   20 u32 flags (enum wire_hello_flags; ENCRYPT only with AUTH)   24 u8 nonce[32]
 *
 * AUTH, 8 bytes: 0 u64 reserved (0). Sealed like every frame after HELLO on
 * an authenticated link: its tag is the proof (agent/auth.c).
 *
 * STATUS, 56 bytes:
 *   0 u64 epoch   8 u64 view_id   16 u64 net_id   24 u64 members   32 u64 seen
 *   40 u64 removed_from   48 u8 state (enum fotos_node_state)   49 u8 busy (0/1)
 *   50 u16 pad1   52 u32 pad2
 *
 * PROPOSE, 56 + 8 * count bytes:
 *   0 pid   16 u64 base_view_id   24 u64 base_epoch   32 u64 net_id
 *   40 u64 members   48 u8 kind (enum wire_kind)   49 u8 count (1..64,
 *   = popcount(members))   50 u16 pad1   52 u32 pad2
 *   56 u64 incarnations[count], by ascending member index
 *
 * VOTE, 32 bytes:
 *   0 pid   16 u8 reason (enum wire_vote_reason)   17 u8 pad[7]   24 u64 detail
 *
 * COMMIT, ABORT, QUERY, 16 bytes:  0 pid
 *
 * OUTCOME, 24 bytes:
 *   0 pid   16 u8 outcome (enum wire_outcome)   17 u8 pad[7]
 *
 * DB_UPDATE, DB_CAS: 24 + clock + klen + vlen bytes (see wire.h); the clock
 * in fotos_vclock_encode's form (u8 count, count x (u8 node, u64 counter),
 * ascending nodes, no zero counter). DB_ACK: 16. DB_CAS_REPLY: 16 + clock.
 *
 * TXN_PREPARE, TXN_VOTE/DECIDE/QUERY/OUTCOME, RDV_ARRIVE: see wire.h. The
 * operations of a PREPARE are each checked like a DB_UPDATE (key and value
 * sizes, canonical clocks), and must fill the payload exactly.
 *
 * The encoder applies the same checks as the decoder (-EINVAL), so whatever
 * the agent sends, a peer of the same version accepts.
 */
#include <errno.h>
#include <string.h>

#include "wire.h"

#define PID_SIZE		16
#define HELLO_SIZE		56
#define AUTH_SIZE		8
#define STATUS_SIZE		56
#define PROPOSE_FIXED		56
#define VOTE_SIZE		32
#define OUTCOME_SIZE		24
#define DB_FIXED		24
#define DB_ACK_SIZE		16
#define DB_REPLY_FIXED		16
#define TXN_FIXED		40
#define TXN_CTL_SIZE		24
#define TXN_OP_FIXED		8
#define ARRIVE_FIXED		16

#define FNV_OFFSET		0xcbf29ce484222325ULL
#define FNV_PRIME		0x100000001b3ULL

static const char *const type_names[WIRE_TYPE_MAX] = {
	[WIRE_HELLO] = "HELLO",
	[WIRE_AUTH] = "AUTH",
	[WIRE_STATUS] = "STATUS",
	[WIRE_PROPOSE] = "PROPOSE",
	[WIRE_VOTE] = "VOTE",
	[WIRE_DB_UPDATE] = "DB_UPDATE",
	[WIRE_DB_ACK] = "DB_ACK",
	[WIRE_DB_CAS] = "DB_CAS",
	[WIRE_DB_CAS_REPLY] = "DB_CAS_REPLY",
	[WIRE_COMMIT] = "COMMIT",
	[WIRE_ABORT] = "ABORT",
	[WIRE_QUERY] = "QUERY",
	[WIRE_OUTCOME] = "OUTCOME",
	[WIRE_TXN_PREPARE] = "TXN_PREPARE",
	[WIRE_TXN_VOTE] = "TXN_VOTE",
	[WIRE_TXN_DECIDE] = "TXN_DECIDE",
	[WIRE_TXN_QUERY] = "TXN_QUERY",
	[WIRE_TXN_OUTCOME] = "TXN_OUTCOME",
	[WIRE_RDV_ARRIVE] = "RDV_ARRIVE",
};

/* Byte-wise little-endian access: any alignment, any host byte order. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/*
 * Payload length a frame of this type must have, or -1 for an unknown type.
 * PROPOSE: only the fixed part; its members add 8 bytes each.
 */
static long fixed_len(unsigned int type)
{
	switch (type) {
	case WIRE_HELLO:	return HELLO_SIZE;
	case WIRE_AUTH:		return AUTH_SIZE;
	case WIRE_STATUS:	return STATUS_SIZE;
	case WIRE_PROPOSE:	return PROPOSE_FIXED;
	case WIRE_VOTE:		return VOTE_SIZE;
	case WIRE_COMMIT:
	case WIRE_ABORT:
	case WIRE_QUERY:	return PID_SIZE;
	case WIRE_OUTCOME:	return OUTCOME_SIZE;
	case WIRE_DB_UPDATE:
	case WIRE_DB_CAS:	return DB_FIXED;
	case WIRE_DB_ACK:	return DB_ACK_SIZE;
	case WIRE_DB_CAS_REPLY:	return DB_REPLY_FIXED;
	case WIRE_TXN_PREPARE:	return TXN_FIXED;
	case WIRE_TXN_VOTE:
	case WIRE_TXN_DECIDE:
	case WIRE_TXN_QUERY:
	case WIRE_TXN_OUTCOME:	return TXN_CTL_SIZE;
	case WIRE_RDV_ARRIVE:	return ARRIVE_FIXED;
	default:		return -1;
	}
}

/*
 * Whether a payload length is possible for the type. Checked as soon as the
 * header is in, so a peer cannot make us wait for 4 KiB of a 16-byte frame.
 */
static int len_ok(unsigned int type, uint32_t len)
{
	long fixed = fixed_len(type);

	if (fixed < 0)
		return 0;
	if (type == WIRE_DB_UPDATE || type == WIRE_DB_CAS)
		return len >= DB_FIXED + 1 + 1;		/* empty clock, 1-byte key */
	if (type == WIRE_DB_CAS_REPLY)
		return len >= DB_REPLY_FIXED + 1;
	if (type == WIRE_TXN_PREPARE)		/* a group of 1 byte, or one op */
		return len >= TXN_FIXED + 1;
	if (type == WIRE_RDV_ARRIVE)
		return len >= ARRIVE_FIXED + 1 && len <= ARRIVE_FIXED + WIRE_GROUP_MAX;
	if (type != WIRE_PROPOSE)
		return len == (uint32_t)fixed;
	if (len < PROPOSE_FIXED + 8 || len > PROPOSE_FIXED + 8 * FOTOS_MAX_NODES)
		return 0;
	return (len - PROPOSE_FIXED) % 8 == 0;
}

static uint64_t mask_of_u(unsigned int i)
{
	return i < 64 ? 1ull << i : 0;
}

/* Field checks shared by encoder and decoder. 1 if the pid is valid. */
static int pid_ok(const struct wire_pid *p)
{
	return p->proposer < FOTOS_MAX_NODES && p->pad == 0;
}

/* The group name: glen printable bytes without spaces, NUL after them. */
static int group_ok(const struct wire_txn *t)
{
	unsigned int i;

	if (t->glen > WIRE_GROUP_MAX)
		return 0;
	for (i = 0; i < t->glen; i++)
		if (t->group[i] < 0x21 || t->group[i] > 0x7e)
			return 0;
	return all_zero((const uint8_t *)t->group + t->glen, sizeof(t->group) - t->glen);
}

static int clock_ok(const struct fotos_vclock *vc)
{
	uint32_t i;

	if (vc->n > FOTOS_MAX_NODES)
		return 0;
	for (i = vc->n; i < FOTOS_MAX_NODES; i++)
		if (vc->c[i])
			return 0;
	return 1;
}

static int clock_empty(const struct fotos_vclock *vc)
{
	uint32_t i;

	for (i = 0; i < vc->n && i < FOTOS_MAX_NODES; i++)
		if (vc->c[i])
			return 0;
	return 1;
}

/* The rules of one transaction operation, for encoder and decoder. */
static int txn_op_ok(const struct wire_txn_op *op)
{
	if (op->flags & ~WIRE_TXF_ALL)
		return 0;
	if ((op->flags & WIRE_TXF_IF_CLOCK) && (op->flags & WIRE_TXF_IF_ABSENT))
		return 0;
	if (op->klen < 1 || op->klen > FOTOS_DB_MAX_KEY || op->vlen > FOTOS_DB_MAX_VAL || !op->key)
		return 0;
	if ((op->flags & WIRE_TXF_TOMB) && op->vlen)
		return 0;
	if (op->vlen && !op->val)
		return 0;
	if (!clock_ok(&op->clock) || !clock_ok(&op->cond) || clock_empty(&op->clock))
		return 0;
	/* a condition clock only with IF_CLOCK: one encoding per meaning */
	return (op->flags & WIRE_TXF_IF_CLOCK) || clock_empty(&op->cond);
}

/* PREPARE: the header fields, then every operation, filling ops exactly. */
static int txn_ok(const struct wire_txn *t)
{
	size_t off = 0;
	unsigned int i;

	if (!pid_ok(&t->id) || !(t->members & mask_of_u(t->id.proposer)) || !group_ok(t) ||
	    t->nops > WIRE_TXN_MAX_OPS || (!t->nops && !t->glen))
		return 0;
	if (t->nops && !t->ops)
		return 0;
	if (!t->nops)
		return t->ops_len == 0;
	for (i = 0; i < t->nops; i++) {
		struct wire_txn_op op;
		int n = wire_txn_op_get(t->ops + off, t->ops_len - off, &op);

		if (n < 0)
			return 0;
		off += (size_t)n;
	}
	return off == t->ops_len;
}

static int tctl_ok(unsigned int type, const struct wire_txn_ctl *c)
{
	if (!pid_ok(&c->id) || c->reason > WIRE_TXR_MAX)
		return 0;
	switch (type) {
	case WIRE_TXN_VOTE:
		return c->value <= WIRE_TXN_NO && (c->value == WIRE_TXN_NO || !c->reason);
	case WIRE_TXN_DECIDE:
		return c->value == WIRE_TXN_COMMIT || c->value == WIRE_TXN_ABORT;
	case WIRE_TXN_QUERY:
		return !c->value && !c->reason && !c->detail;
	default:
		return c->value <= WIRE_TXN_ABORT;
	}
}

/*
 * Check every field of a message, the same rules for what we send and what
 * we accept. 1 if valid. PROPOSE incarnations past count are not looked at.
 */
static int msg_ok(const struct wire_msg *m)
{
	switch (m->type) {
	case WIRE_HELLO:
		return m->u.hello.from < FOTOS_MAX_NODES && m->u.hello.to < FOTOS_MAX_NODES &&
		       !(m->u.hello.flags & ~(uint32_t)WIRE_HELLO_FLAGS) &&
		       (!(m->u.hello.flags & WIRE_HELLO_ENCRYPT) ||
			(m->u.hello.flags & WIRE_HELLO_AUTH));
	case WIRE_AUTH:
		return m->u.auth.reserved == 0;
	case WIRE_STATUS:
		return m->u.status.state <= FOTOS_ST_STOPPED && m->u.status.busy <= 1 &&
		       m->u.status.pad1 == 0 && m->u.status.pad2 == 0;
	case WIRE_PROPOSE: {
		const struct wire_propose *p = &m->u.propose;

		/* A view always holds at least its proposer: count 0 is malformed. */
		return pid_ok(&p->pid) && p->kind >= WIRE_KIND_START &&
		       p->kind <= WIRE_KIND_MERGE && p->count >= 1 &&
		       p->count <= FOTOS_MAX_NODES &&
		       (unsigned int)__builtin_popcountll(p->members) == p->count &&
		       p->pad1 == 0 && p->pad2 == 0;
	}
	case WIRE_VOTE:
		return pid_ok(&m->u.vote.pid) && m->u.vote.reason <= WIRE_VOTE_MAX &&
		       all_zero(m->u.vote.pad, sizeof(m->u.vote.pad));
	case WIRE_COMMIT:
	case WIRE_ABORT:
	case WIRE_QUERY:
		return pid_ok(&m->u.pid);
	case WIRE_OUTCOME:
		return pid_ok(&m->u.outcome.pid) && m->u.outcome.outcome <= WIRE_OUT_ABORTED &&
		       all_zero(m->u.outcome.pad, sizeof(m->u.outcome.pad));
	case WIRE_DB_UPDATE:
	case WIRE_DB_CAS:
		return m->u.db.node < FOTOS_MAX_NODES && !(m->u.db.flags & ~WIRE_DBF_ALL) &&
		       m->u.db.klen >= 1 && m->u.db.klen <= FOTOS_DB_MAX_KEY &&
		       m->u.db.vlen <= FOTOS_DB_MAX_VAL && m->u.db.clock.n <= FOTOS_MAX_NODES &&
		       (m->u.db.key != NULL) && (m->u.db.vlen == 0 || m->u.db.val != NULL);
	case WIRE_DB_ACK:
		return m->u.db.node < FOTOS_MAX_NODES;
	case WIRE_DB_CAS_REPLY:
		return m->u.db.result <= 0 && m->u.db.result > -4096 &&
		       m->u.db.clock.n <= FOTOS_MAX_NODES;
	case WIRE_TXN_PREPARE:
		return txn_ok(&m->u.txn);
	case WIRE_RDV_ARRIVE:
		return m->u.txn.glen >= 1 && group_ok(&m->u.txn) && !m->u.txn.nops &&
		       !m->u.txn.members && !m->u.txn.ops && !m->u.txn.ops_len &&
		       all_zero((const uint8_t *)&m->u.txn.id, sizeof(m->u.txn.id));
	case WIRE_TXN_VOTE:
	case WIRE_TXN_DECIDE:
	case WIRE_TXN_QUERY:
	case WIRE_TXN_OUTCOME:
		return tctl_ok(m->type, &m->u.tctl);
	default:
		return 0;
	}
}

/* Bytes the clock takes on the wire. */
static uint32_t clock_len(const struct fotos_vclock *vc)
{
	uint32_t i, n = 0;

	for (i = 0; i < vc->n && i < FOTOS_MAX_NODES; i++)
		n += vc->c[i] != 0;
	return 1 + 9 * n;
}

static void put_pid(uint8_t *p, const struct wire_pid *pid)
{
	put64(p, pid->incarnation);
	put32(p + 8, pid->seq);
	put16(p + 12, pid->proposer);
	put16(p + 14, pid->pad);
}

static void get_pid(const uint8_t *p, struct wire_pid *pid)
{
	pid->incarnation = get64(p);
	pid->seq = get32(p + 8);
	pid->proposer = get16(p + 12);
	pid->pad = get16(p + 14);
}

/* Payload length of a valid message. */
static uint32_t payload_len(const struct wire_msg *m)
{
	if (m->type == WIRE_PROPOSE)
		return PROPOSE_FIXED + 8u * m->u.propose.count;
	if (m->type == WIRE_DB_UPDATE || m->type == WIRE_DB_CAS)
		return DB_FIXED + clock_len(&m->u.db.clock) + m->u.db.klen + m->u.db.vlen;
	if (m->type == WIRE_DB_CAS_REPLY)
		return DB_REPLY_FIXED + clock_len(&m->u.db.clock);
	if (m->type == WIRE_TXN_PREPARE)
		return TXN_FIXED + m->u.txn.glen + m->u.txn.ops_len;
	if (m->type == WIRE_RDV_ARRIVE)
		return ARRIVE_FIXED + m->u.txn.glen;
	return (uint32_t)fixed_len(m->type);
}

int wire_txn_op_put(const struct wire_txn_op *op, uint8_t *buf, size_t cap)
{
	size_t need;
	int c;

	if (!txn_op_ok(op))
		return -EINVAL;
	need = TXN_OP_FIXED + clock_len(&op->clock) + clock_len(&op->cond) + op->klen + op->vlen;
	if (cap < need)
		return -ENOSPC;
	buf[0] = op->flags;
	buf[1] = 0;
	put16(buf + 2, (uint16_t)op->klen);
	put32(buf + 4, op->vlen);
	c = TXN_OP_FIXED;
	c += fotos_vclock_encode(&op->clock, buf + c, cap - (size_t)c);
	c += fotos_vclock_encode(&op->cond, buf + c, cap - (size_t)c);
	memcpy(buf + c, op->key, op->klen);
	if (op->vlen)
		memcpy(buf + c + op->klen, op->val, op->vlen);
	return (int)need;
}

int wire_txn_op_get(const uint8_t *buf, size_t len, struct wire_txn_op *op)
{
	struct wire_txn_op t;
	size_t off = TXN_OP_FIXED;
	int c;

	if (len < TXN_OP_FIXED || buf[1])
		return -EPROTO;
	memset(&t, 0, sizeof(t));
	t.flags = buf[0];
	t.klen = get16(buf + 2);
	t.vlen = get32(buf + 4);
	c = fotos_vclock_decode(&t.clock, buf + off, len - off);
	if (c < 0)
		return -EPROTO;
	off += (size_t)c;
	c = fotos_vclock_decode(&t.cond, buf + off, len - off);
	if (c < 0)
		return -EPROTO;
	off += (size_t)c;
	if ((uint64_t)off + t.klen + t.vlen > len)
		return -EPROTO;
	t.key = buf + off;
	t.val = t.vlen ? buf + off + t.klen : NULL;
	if (!txn_op_ok(&t))
		return -EPROTO;
	*op = t;
	return (int)(off + t.klen + t.vlen);
}

/*
 * Encode m into buf as one frame. Returns the frame length, -EINVAL if m
 * breaks a rule the decoder checks (the peer would drop the link), or
 * -ENOSPC if cap is too small. buf is not touched on error.
 */
int wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf + WIRE_HDR_SIZE;
	uint32_t len;
	unsigned int i;

	if (!msg_ok(m))
		return -EINVAL;
	len = payload_len(m);
	if (len > WIRE_MAX_PAYLOAD)
		return -EINVAL;
	if (cap < WIRE_HDR_SIZE + (size_t)len)
		return -ENOSPC;

	put16(buf, WIRE_MAGIC);
	buf[2] = WIRE_VERSION;
	buf[3] = m->type;
	put32(buf + 4, len);
	put32(buf + 8, 0);

	switch (m->type) {
	case WIRE_HELLO:
		put64(p, m->u.hello.cluster_hash);
		put64(p + 8, m->u.hello.incarnation);
		put16(p + 16, m->u.hello.from);
		put16(p + 18, m->u.hello.to);
		put32(p + 20, m->u.hello.flags);
		memcpy(p + 24, m->u.hello.nonce, WIRE_NONCE_SIZE);
		break;
	case WIRE_AUTH:
		put64(p, m->u.auth.reserved);
		break;
	case WIRE_STATUS:
		put64(p, m->u.status.epoch);
		put64(p + 8, m->u.status.view_id);
		put64(p + 16, m->u.status.net_id);
		put64(p + 24, m->u.status.members);
		put64(p + 32, m->u.status.seen);
		put64(p + 40, m->u.status.removed_from);
		p[48] = m->u.status.state;
		p[49] = m->u.status.busy;
		put16(p + 50, m->u.status.pad1);
		put32(p + 52, m->u.status.pad2);
		break;
	case WIRE_PROPOSE:
		put_pid(p, &m->u.propose.pid);
		put64(p + 16, m->u.propose.base_view_id);
		put64(p + 24, m->u.propose.base_epoch);
		put64(p + 32, m->u.propose.net_id);
		put64(p + 40, m->u.propose.members);
		p[48] = m->u.propose.kind;
		p[49] = m->u.propose.count;
		put16(p + 50, m->u.propose.pad1);
		put32(p + 52, m->u.propose.pad2);
		for (i = 0; i < m->u.propose.count; i++)
			put64(p + PROPOSE_FIXED + 8 * i, m->u.propose.incarnations[i]);
		break;
	case WIRE_VOTE:
		put_pid(p, &m->u.vote.pid);
		p[16] = m->u.vote.reason;
		memcpy(p + 17, m->u.vote.pad, sizeof(m->u.vote.pad));
		put64(p + 24, m->u.vote.detail);
		break;
	case WIRE_COMMIT:
	case WIRE_ABORT:
	case WIRE_QUERY:
		put_pid(p, &m->u.pid);
		break;
	case WIRE_OUTCOME:
		put_pid(p, &m->u.outcome.pid);
		p[16] = m->u.outcome.outcome;
		memcpy(p + 17, m->u.outcome.pad, sizeof(m->u.outcome.pad));
		break;
	case WIRE_DB_UPDATE:
	case WIRE_DB_CAS: {
		int c;

		put64(p, m->u.db.id);
		put16(p + 8, m->u.db.node);
		put16(p + 10, m->u.db.flags);
		put16(p + 12, (uint16_t)m->u.db.klen);
		put16(p + 14, 0);
		put32(p + 16, m->u.db.vlen);
		put32(p + 20, 0);
		c = fotos_vclock_encode(&m->u.db.clock, p + DB_FIXED, len - DB_FIXED);
		memcpy(p + DB_FIXED + c, m->u.db.key, m->u.db.klen);
		if (m->u.db.vlen)
			memcpy(p + DB_FIXED + c + m->u.db.klen, m->u.db.val, m->u.db.vlen);
		break;
	}
	case WIRE_DB_ACK:
		put64(p, m->u.db.id);
		put16(p + 8, m->u.db.node);
		put16(p + 10, 0);
		put32(p + 12, 0);
		break;
	case WIRE_DB_CAS_REPLY:
		put64(p, m->u.db.id);
		put32(p + 8, (uint32_t)m->u.db.result);
		put32(p + 12, 0);
		fotos_vclock_encode(&m->u.db.clock, p + DB_REPLY_FIXED, len - DB_REPLY_FIXED);
		break;
	case WIRE_TXN_PREPARE:
		put_pid(p, &m->u.txn.id);
		put64(p + 16, m->u.txn.view_id);
		put64(p + 24, m->u.txn.members);
		put32(p + 32, m->u.txn.timeout_ms);
		put16(p + 36, m->u.txn.nops);
		p[38] = m->u.txn.glen;
		p[39] = 0;
		memcpy(p + TXN_FIXED, m->u.txn.group, m->u.txn.glen);
		if (m->u.txn.ops_len)
			memcpy(p + TXN_FIXED + m->u.txn.glen, m->u.txn.ops, m->u.txn.ops_len);
		break;
	case WIRE_RDV_ARRIVE:
		put64(p, m->u.txn.view_id);
		put32(p + 8, m->u.txn.timeout_ms);
		p[12] = m->u.txn.glen;
		memset(p + 13, 0, 3);
		memcpy(p + ARRIVE_FIXED, m->u.txn.group, m->u.txn.glen);
		break;
	case WIRE_TXN_VOTE:
	case WIRE_TXN_DECIDE:
	case WIRE_TXN_QUERY:
	case WIRE_TXN_OUTCOME:
		put_pid(p, &m->u.tctl.id);
		p[16] = m->u.tctl.value;
		p[17] = m->u.tctl.reason;
		put16(p + 18, m->u.tctl.detail);
		put32(p + 20, 0);
		break;
	}
	return (int)(WIRE_HDR_SIZE + len);
}

/*
 * Look at the start of a receive buffer. Fields are checked as soon as
 * their bytes are in, so garbage is refused without waiting for a full
 * header. Returns 0 if more bytes are needed, the frame length when a whole
 * frame is there, -EMSGSIZE for a length above WIRE_MAX_PAYLOAD, -EPROTO for
 * anything else wrong in the header (including a length no frame of its type
 * can have).
 */
int wire_frame_len(const uint8_t *buf, size_t len)
{
	uint32_t plen;

	if (len >= 2 && get16(buf) != WIRE_MAGIC)
		return -EPROTO;
	if (len >= 3 && buf[2] != WIRE_VERSION)
		return -EPROTO;
	if (len >= 4 && fixed_len(buf[3]) < 0)
		return -EPROTO;
	if (len < WIRE_HDR_SIZE)
		return 0;
	if (get32(buf + 8) != 0)
		return -EPROTO;
	plen = get32(buf + 4);
	if (plen > WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (!len_ok(buf[3], plen))
		return -EPROTO;
	if (len - WIRE_HDR_SIZE < plen)
		return 0;
	return (int)(WIRE_HDR_SIZE + plen);
}

/*
 * Decode exactly one complete frame of len bytes into m. Returns 0, or
 * -EPROTO for anything wrong: a bad header, a length other than the one the
 * header and the type dictate, or any field out of its range (see msg_ok).
 * m is written only on success.
 */
int wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m)
{
	struct wire_msg t;
	const uint8_t *p = buf + WIRE_HDR_SIZE;
	int flen;
	unsigned int i;

	flen = wire_frame_len(buf, len);
	/* Also refuses trailing bytes: the caller frames with wire_frame_len. */
	if (flen <= 0 || (size_t)flen != len)
		return -EPROTO;

	memset(&t, 0, sizeof(t));
	t.type = buf[3];
	switch (t.type) {
	case WIRE_HELLO:
		t.u.hello.cluster_hash = get64(p);
		t.u.hello.incarnation = get64(p + 8);
		t.u.hello.from = get16(p + 16);
		t.u.hello.to = get16(p + 18);
		t.u.hello.flags = get32(p + 20);
		memcpy(t.u.hello.nonce, p + 24, WIRE_NONCE_SIZE);
		break;
	case WIRE_AUTH:
		t.u.auth.reserved = get64(p);
		break;
	case WIRE_STATUS:
		t.u.status.epoch = get64(p);
		t.u.status.view_id = get64(p + 8);
		t.u.status.net_id = get64(p + 16);
		t.u.status.members = get64(p + 24);
		t.u.status.seen = get64(p + 32);
		t.u.status.removed_from = get64(p + 40);
		t.u.status.state = p[48];
		t.u.status.busy = p[49];
		t.u.status.pad1 = get16(p + 50);
		t.u.status.pad2 = get32(p + 52);
		break;
	case WIRE_PROPOSE:
		get_pid(p, &t.u.propose.pid);
		t.u.propose.base_view_id = get64(p + 16);
		t.u.propose.base_epoch = get64(p + 24);
		t.u.propose.net_id = get64(p + 32);
		t.u.propose.members = get64(p + 40);
		t.u.propose.kind = p[48];
		t.u.propose.count = p[49];
		t.u.propose.pad1 = get16(p + 50);
		t.u.propose.pad2 = get32(p + 52);
		/* The length must carry exactly count incarnations, no more, no less. */
		if (len - WIRE_HDR_SIZE != PROPOSE_FIXED + 8u * t.u.propose.count)
			return -EPROTO;
		/* count <= 64 is implied by len_ok, which capped the length. */
		for (i = 0; i < t.u.propose.count; i++)
			t.u.propose.incarnations[i] = get64(p + PROPOSE_FIXED + 8 * i);
		break;
	case WIRE_VOTE:
		get_pid(p, &t.u.vote.pid);
		t.u.vote.reason = p[16];
		memcpy(t.u.vote.pad, p + 17, sizeof(t.u.vote.pad));
		t.u.vote.detail = get64(p + 24);
		break;
	case WIRE_COMMIT:
	case WIRE_ABORT:
	case WIRE_QUERY:
		get_pid(p, &t.u.pid);
		break;
	case WIRE_OUTCOME:
		get_pid(p, &t.u.outcome.pid);
		t.u.outcome.outcome = p[16];
		memcpy(t.u.outcome.pad, p + 17, sizeof(t.u.outcome.pad));
		break;
	case WIRE_DB_UPDATE:
	case WIRE_DB_CAS: {
		size_t plen = len - WIRE_HDR_SIZE;
		int c;

		t.u.db.id = get64(p);
		t.u.db.node = get16(p + 8);
		t.u.db.flags = get16(p + 10);
		t.u.db.klen = get16(p + 12);
		t.u.db.vlen = get32(p + 16);
		if (get16(p + 14) || get32(p + 20))
			return -EPROTO;
		c = fotos_vclock_decode(&t.u.db.clock, p + DB_FIXED, plen - DB_FIXED);
		if (c < 0)
			return -EPROTO;
		/* exactly clock + key + value, no more, no less */
		if ((uint64_t)DB_FIXED + (uint64_t)c + t.u.db.klen + t.u.db.vlen != plen)
			return -EPROTO;
		t.u.db.key = p + DB_FIXED + c;
		t.u.db.val = t.u.db.vlen ? t.u.db.key + t.u.db.klen : NULL;
		break;
	}
	case WIRE_DB_ACK:
		t.u.db.id = get64(p);
		t.u.db.node = get16(p + 8);
		if (get16(p + 10) || get32(p + 12))
			return -EPROTO;
		break;
	case WIRE_DB_CAS_REPLY: {
		int c;

		t.u.db.id = get64(p);
		t.u.db.result = (int32_t)get32(p + 8);
		if (get32(p + 12))
			return -EPROTO;
		c = fotos_vclock_decode(&t.u.db.clock, p + DB_REPLY_FIXED,
					len - WIRE_HDR_SIZE - DB_REPLY_FIXED);
		if (c < 0 || (size_t)c != len - WIRE_HDR_SIZE - DB_REPLY_FIXED)
			return -EPROTO;
		break;
	}
	case WIRE_TXN_PREPARE: {
		size_t plen = len - WIRE_HDR_SIZE;

		get_pid(p, &t.u.txn.id);
		t.u.txn.view_id = get64(p + 16);
		t.u.txn.members = get64(p + 24);
		t.u.txn.timeout_ms = get32(p + 32);
		t.u.txn.nops = get16(p + 36);
		t.u.txn.glen = p[38];
		if (p[39] || t.u.txn.glen > WIRE_GROUP_MAX || TXN_FIXED + (size_t)t.u.txn.glen > plen)
			return -EPROTO;
		memcpy(t.u.txn.group, p + TXN_FIXED, t.u.txn.glen);
		t.u.txn.ops_len = (uint32_t)(plen - TXN_FIXED - t.u.txn.glen);
		t.u.txn.ops = t.u.txn.ops_len ? p + TXN_FIXED + t.u.txn.glen : NULL;
		break;
	}
	case WIRE_RDV_ARRIVE:
		t.u.txn.view_id = get64(p);
		t.u.txn.timeout_ms = get32(p + 8);
		t.u.txn.glen = p[12];
		if (!all_zero(p + 13, 3) || len - WIRE_HDR_SIZE != ARRIVE_FIXED + (size_t)t.u.txn.glen)
			return -EPROTO;
		memcpy(t.u.txn.group, p + ARRIVE_FIXED, t.u.txn.glen);
		break;
	case WIRE_TXN_VOTE:
	case WIRE_TXN_DECIDE:
	case WIRE_TXN_QUERY:
	case WIRE_TXN_OUTCOME:
		get_pid(p, &t.u.tctl.id);
		t.u.tctl.value = p[16];
		t.u.tctl.reason = p[17];
		t.u.tctl.detail = get16(p + 18);
		if (get32(p + 20))
			return -EPROTO;
		break;
	}
	if (!msg_ok(&t))
		return -EPROTO;
	*m = t;
	return 0;
}

const char *wire_type_name(unsigned int type)
{
	if (type >= WIRE_TYPE_MAX || !type_names[type])
		return "?";
	return type_names[type];
}

/*
 * 64-bit FNV-1a over n bytes. The seed is XORed into the offset basis, so
 * seed 0 gives plain FNV-1a (checkable against published vectors) and other
 * seeds give independent hashes of the same bytes.
 */
uint64_t wire_hash(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = FNV_OFFSET ^ seed;

	while (n--) {
		h ^= *b++;
		h *= FNV_PRIME;
	}
	return h;
}
