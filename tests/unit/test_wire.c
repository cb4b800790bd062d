/*
 * Description: unit tests of agent/wire.c, the frame encoder and decoder.
 * Every message type round-trips; the byte layout of each payload is pinned;
 * every single-byte corruption of a valid frame either decodes to a message
 * that re-encodes to exactly the corrupted bytes or is refused with -EPROTO;
 * truncated, oversized and malformed frames are refused; the encoder refuses
 * what the decoder would. Buffers are allocated to their exact length so
 * ASan catches any read past the end. The database frames (DB_UPDATE,
 * DB_ACK, DB_CAS, DB_CAS_REPLY) carry a vector clock, and DB_UPDATE/DB_CAS a
 * key and a value that the decoder points into the frame: they must point
 * inside it, and decode then re-encode must be byte-identical.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static const uint8_t sample_key[5] = { 'k', 0, 'e', 0xff, 'y' };
static const uint8_t sample_val[7] = { 'v', 'a', 'l', 0, 0x80, 'u', 'e' };

/* A clock with counters at nodes 0, 5 and 63 (n 64, as decode gives). */
static void sample_clock(struct fotos_vclock *vc)
{
	fotos_vclock_init(vc, FOTOS_MAX_MEMBERS);
	vc->c[0] = 1;
	vc->c[5] = 0x0102030405060708ULL;
	vc->c[63] = UINT64_MAX;
}

/*
 * The operations of the TXN_PREPARE sample: a conditional put (clock and
 * condition of 3 counters, the sample key and value) and a delete if
 * absent: 76 + 42 bytes.
 */
static const uint8_t *sample_ops(uint32_t *len)
{
	static uint8_t buf[256];
	struct wire_txn_op op;
	int n, m;

	memset(&op, 0, sizeof(op));
	op.flags = WIRE_TXF_IF_CLOCK;
	op.klen = sizeof(sample_key);
	op.vlen = sizeof(sample_val);
	op.key = sample_key;
	op.val = sample_val;
	sample_clock(&op.clock);
	sample_clock(&op.cond);
	op.cond.c[5]++;
	n = wire_txn_op_put(&op, buf, sizeof(buf));
	assert_int_equal(n, 76);
	memset(&op, 0, sizeof(op));
	op.flags = WIRE_TXF_TOMB | WIRE_TXF_IF_ABSENT;
	op.klen = sizeof(sample_key);
	op.key = sample_key;
	sample_clock(&op.clock);
	m = wire_txn_op_put(&op, buf + n, sizeof(buf) - (size_t)n);
	assert_int_equal(m, 42);
	*len = (uint32_t)(n + m);
	return buf;
}

/* A sample of every type, with every field non-zero where it may be. */
static void sample(unsigned int type, struct wire_msg *m)
{
	struct wire_pid pid = { .incarnation = 0x1122334455667788ULL, .seq = 0xa1b2c3d4,
				.proposer = 63 };
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
	switch (type) {
	case WIRE_HELLO:
		m->u.hello.cluster_hash = 0x0102030405060708ULL;
		m->u.hello.incarnation = 0xf0e0d0c0b0a09080ULL;
		m->u.hello.from = 5;
		m->u.hello.to = 63;
		m->u.hello.flags = WIRE_HELLO_AUTH | WIRE_HELLO_ENCRYPT;
		for (i = 0; i < WIRE_NONCE_SIZE; i++)
			m->u.hello.nonce[i] = (uint8_t)(0xa0 + i);
		break;
	case WIRE_AUTH:
		break;
	case WIRE_STATUS:
		m->u.status.epoch = 7;
		m->u.status.view_id = 0xdeadbeefcafef00dULL;
		m->u.status.net_id = 42;
		m->u.status.members = 0x8000000000000005ULL;
		m->u.status.seen = ~0ULL;
		m->u.status.removed_from = 3;
		m->u.status.state = FOTOS_ST_STOPPED;
		m->u.status.busy = 1;
		break;
	case WIRE_PROPOSE:
		m->u.propose.pid = pid;
		m->u.propose.base_view_id = 9;
		m->u.propose.base_epoch = 10;
		m->u.propose.net_id = 11;
		m->u.propose.members = 0x8000000000000013ULL;	/* 0, 1, 4, 63 */
		m->u.propose.kind = WIRE_KIND_JOIN;
		m->u.propose.count = 4;
		for (i = 0; i < 4; i++)
			m->u.propose.incarnations[i] = 1000 + i;
		break;
	case WIRE_VOTE:
		m->u.vote.pid = pid;
		m->u.vote.reason = WIRE_VOTE_NOT_SEEN;
		m->u.vote.detail = 0x30;
		break;
	case WIRE_COMMIT:
	case WIRE_ABORT:
	case WIRE_QUERY:
		m->u.pid = pid;
		break;
	case WIRE_OUTCOME:
		m->u.outcome.pid = pid;
		m->u.outcome.outcome = WIRE_OUT_ABORTED;
		break;
	case WIRE_DB_UPDATE:
		m->u.db.id = 0x1122334455667788ULL;
		m->u.db.node = 63;
		m->u.db.flags = WIRE_DBF_ACK | WIRE_DBF_SYNC;
		m->u.db.klen = sizeof(sample_key);
		m->u.db.vlen = sizeof(sample_val);
		sample_clock(&m->u.db.clock);
		m->u.db.key = sample_key;
		m->u.db.val = sample_val;
		break;
	case WIRE_DB_CAS:
		m->u.db.id = 0xa0a1a2a3a4a5a6a7ULL;
		m->u.db.node = 9;
		m->u.db.flags = WIRE_DBF_EMPTY | WIRE_DBF_ACK;
		m->u.db.klen = sizeof(sample_key);
		m->u.db.vlen = 3;
		sample_clock(&m->u.db.clock);
		m->u.db.key = sample_key;
		m->u.db.val = sample_val;
		break;
	case WIRE_DB_ACK:
		m->u.db.id = 0xfedcba9876543210ULL;
		m->u.db.node = 63;
		break;
	case WIRE_DB_CAS_REPLY:
		m->u.db.id = 0x0102030405060708ULL;
		m->u.db.result = -ECANCELED;
		sample_clock(&m->u.db.clock);
		break;
	case WIRE_TXN_PREPARE:
		m->u.txn.id = pid;
		m->u.txn.view_id = 0x0a0b0c0d0e0f1011ULL;
		m->u.txn.members = 0x8000000000000013ULL;
		m->u.txn.timeout_ms = 0x01020304;
		m->u.txn.nops = 2;
		m->u.txn.glen = 3;
		memcpy(m->u.txn.group, "grp", 3);
		m->u.txn.ops = sample_ops(&m->u.txn.ops_len);
		break;
	case WIRE_RDV_ARRIVE:
		m->u.txn.view_id = 0x0a0b0c0d0e0f1011ULL;
		m->u.txn.timeout_ms = 0x01020304;
		m->u.txn.glen = 3;
		memcpy(m->u.txn.group, "grp", 3);
		break;
	case WIRE_TXN_VOTE:
		m->u.tctl.id = pid;
		m->u.tctl.value = WIRE_TXN_NO;
		m->u.tctl.reason = WIRE_TXR_LOCKED;
		m->u.tctl.detail = 0x0102;
		break;
	case WIRE_TXN_DECIDE:
		m->u.tctl.id = pid;
		m->u.tctl.value = WIRE_TXN_ABORT;
		m->u.tctl.reason = WIRE_TXR_LEFT;
		m->u.tctl.detail = 5;
		break;
	case WIRE_TXN_QUERY:
		m->u.tctl.id = pid;
		break;
	case WIRE_TXN_OUTCOME:
		m->u.tctl.id = pid;
		m->u.tctl.value = WIRE_TXN_COMMIT;
		m->u.tctl.reason = WIRE_TXR_MAX;
		m->u.tctl.detail = 0xffff;
		break;
	}
}

/*
 * Compare a decoded message with the one encoded. For DB_UPDATE and DB_CAS
 * the key and value must point inside the frame [buf, buf + len) and hold
 * the same bytes; val is NULL when vlen is 0. Then the rest, byte for byte.
 */
static void assert_msg_equal(const struct wire_msg *m, const struct wire_msg *d,
			     const uint8_t *buf, size_t len)
{
	struct wire_msg t = *d;

	if (m->type == WIRE_DB_UPDATE || m->type == WIRE_DB_CAS) {
		assert_int_equal(d->u.db.klen, m->u.db.klen);
		assert_int_equal(d->u.db.vlen, m->u.db.vlen);
		assert_non_null(d->u.db.key);
		assert_true(d->u.db.key >= buf + WIRE_HDR_SIZE &&
			    d->u.db.key + d->u.db.klen <= buf + len);
		assert_memory_equal(d->u.db.key, m->u.db.key, m->u.db.klen);
		if (m->u.db.vlen) {
			assert_non_null(d->u.db.val);
			assert_true(d->u.db.val == d->u.db.key + d->u.db.klen);
			assert_true(d->u.db.val + d->u.db.vlen == buf + len);
			assert_memory_equal(d->u.db.val, m->u.db.val, m->u.db.vlen);
		} else {
			assert_null(d->u.db.val);
			assert_true(d->u.db.key + d->u.db.klen == buf + len);
		}
		t.u.db.key = m->u.db.key;
		t.u.db.val = m->u.db.val;
	}
	if (m->type == WIRE_TXN_PREPARE) {
		/* the operations are pointed to, inside the frame, at its end */
		assert_int_equal(d->u.txn.ops_len, m->u.txn.ops_len);
		assert_non_null(d->u.txn.ops);
		assert_true(d->u.txn.ops + d->u.txn.ops_len == buf + len);
		assert_memory_equal(d->u.txn.ops, m->u.txn.ops, m->u.txn.ops_len);
		t.u.txn.ops = m->u.txn.ops;
	}
	assert_memory_equal(m, &t, sizeof(*m));
}

/* Payload length of each type's sample (PROPOSE with 4 members). */
static const size_t sample_len[WIRE_TYPE_MAX] = {
	[WIRE_HELLO] = 56, [WIRE_AUTH] = 8, [WIRE_STATUS] = 56, [WIRE_PROPOSE] = 56 + 4 * 8,
	[WIRE_VOTE] = 32, [WIRE_COMMIT] = 16, [WIRE_ABORT] = 16, [WIRE_QUERY] = 16,
	[WIRE_OUTCOME] = 24,
	[WIRE_DB_UPDATE] = 24 + 28 + 5 + 7,	/* fixed, clock of 3, key, value */
	[WIRE_DB_CAS] = 24 + 28 + 5 + 3,
	[WIRE_DB_ACK] = 16,
	[WIRE_DB_CAS_REPLY] = 16 + 28,
	[WIRE_TXN_PREPARE] = 40 + 3 + 76 + 42,	/* fixed, group, two operations */
	[WIRE_TXN_VOTE] = 24, [WIRE_TXN_DECIDE] = 24, [WIRE_TXN_QUERY] = 24,
	[WIRE_TXN_OUTCOME] = 24,
	[WIRE_RDV_ARRIVE] = 16 + 3,
};

/* Encode into an exactly sized heap buffer (caller frees). */
static uint8_t *encode_exact(const struct wire_msg *m, size_t *len)
{
	uint8_t tmp[WIRE_MAX_FRAME], *buf;
	int n = wire_encode(m, tmp, sizeof(tmp));

	assert_true(n > 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	memcpy(buf, tmp, (size_t)n);
	*len = (size_t)n;
	return buf;
}

static void test_round_trip(void **state)
{
	struct wire_msg m, d;
	unsigned int t;
	uint8_t *buf;
	size_t len;

	(void)state;
	for (t = WIRE_HELLO; t < WIRE_TYPE_MAX; t++) {
		sample(t, &m);
		buf = encode_exact(&m, &len);
		assert_int_equal(len, WIRE_HDR_SIZE + sample_len[t]);
		assert_int_equal(wire_frame_len(buf, len), (int)len);
		memset(&d, 0xaa, sizeof(d));
		assert_int_equal(wire_decode(buf, len, &d), 0);
		/* Unused union bytes are zeroed by decode, as sample() zeroes them. */
		assert_msg_equal(&m, &d, buf, len);
		free(buf);
	}
}

/* A PROPOSE of every size from 1 to 64 members round-trips. */
static void test_propose_sizes(void **state)
{
	struct wire_msg m, d;
	unsigned int k, i;
	uint8_t *buf;
	size_t len;

	(void)state;
	for (k = 1; k <= 64; k++) {
		sample(WIRE_PROPOSE, &m);
		m.u.propose.members = k == 64 ? ~0ULL : (1ULL << k) - 1;
		m.u.propose.count = (uint8_t)k;
		memset(m.u.propose.incarnations, 0, sizeof(m.u.propose.incarnations));
		for (i = 0; i < k; i++)
			m.u.propose.incarnations[i] = ((uint64_t)i << 32) | k;
		buf = encode_exact(&m, &len);
		assert_int_equal(len, WIRE_HDR_SIZE + 56 + 8 * k);
		assert_int_equal(wire_decode(buf, len, &d), 0);
		assert_memory_equal(&m, &d, sizeof(m));
		free(buf);
	}
}

/* Incarnations past count are not sent, and come back as zero. */
static void test_propose_ignores_tail(void **state)
{
	struct wire_msg m, d;
	uint8_t *buf;
	size_t len;

	(void)state;
	sample(WIRE_PROPOSE, &m);
	m.u.propose.incarnations[10] = 99;
	buf = encode_exact(&m, &len);
	assert_int_equal(wire_decode(buf, len, &d), 0);
	assert_int_equal(d.u.propose.incarnations[10], 0);
	free(buf);
}

/* The header and a payload byte for byte: the wire format must not drift. */
static void test_layout_pinned(void **state)
{
	static const uint8_t hello[] = {
		0x46, 0x4f, 2, WIRE_HELLO, 56, 0, 0, 0, 0, 0, 0, 0,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0,
		5, 0, 63, 0, 3, 0, 0, 0,
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
		0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
		0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	};
	static const uint8_t pid[] = {
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0xd4, 0xc3, 0xb2, 0xa1, 63, 0, 0, 0,
	};
	uint8_t buf[WIRE_MAX_FRAME];
	struct wire_msg m;
	int n;

	(void)state;
	sample(WIRE_HELLO, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, sizeof(hello));
	assert_memory_equal(buf, hello, sizeof(hello));

	sample(WIRE_COMMIT, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 12 + 16);
	assert_memory_equal(buf + 12, pid, sizeof(pid));

	sample(WIRE_STATUS, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 12 + 56);
	assert_int_equal(buf[12 + 8], 0x0d);		/* view_id low byte at 8 */
	assert_int_equal(buf[12 + 24 + 7], 0x80);	/* members high byte at 31 */
	assert_int_equal(buf[12 + 48], FOTOS_ST_STOPPED);
	assert_int_equal(buf[12 + 49], 1);

	sample(WIRE_PROPOSE, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 12 + 56 + 32);
	assert_memory_equal(buf + 12, pid, sizeof(pid));
	assert_int_equal(buf[12 + 48], WIRE_KIND_JOIN);
	assert_int_equal(buf[12 + 49], 4);
	assert_int_equal(buf[12 + 56], 1000 & 0xff);
	assert_int_equal(buf[12 + 56 + 24], 1003 & 0xff);

	sample(WIRE_VOTE, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 12 + 32);
	assert_int_equal(buf[12 + 16], WIRE_VOTE_NOT_SEEN);
	assert_int_equal(buf[12 + 24], 0x30);

	sample(WIRE_OUTCOME, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 12 + 24);
	assert_int_equal(buf[12 + 16], WIRE_OUT_ABORTED);

	/* DB_UPDATE: id, node, flags, klen, pad, vlen, pad, clock, key, value */
	{
		static const uint8_t db_fixed[] = {
			0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* id */
			63, 0, WIRE_DBF_ACK | WIRE_DBF_SYNC, 0,		/* node, flags */
			5, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,		/* klen, vlen */
		};
		static const uint8_t clock[] = {
			3, 0, 1, 0, 0, 0, 0, 0, 0, 0,
			5, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
			63, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		};

		sample(WIRE_DB_UPDATE, &m);
		n = wire_encode(&m, buf, sizeof(buf));
		assert_int_equal(n, 12 + 24 + 28 + 5 + 7);
		assert_int_equal(buf[3], WIRE_DB_UPDATE);
		assert_int_equal(buf[4], 24 + 28 + 5 + 7);
		assert_memory_equal(buf + 12, db_fixed, sizeof(db_fixed));
		assert_memory_equal(buf + 12 + 24, clock, sizeof(clock));
		assert_memory_equal(buf + 12 + 24 + 28, sample_key, 5);
		assert_memory_equal(buf + 12 + 24 + 28 + 5, sample_val, 7);

		sample(WIRE_DB_CAS, &m);
		n = wire_encode(&m, buf, sizeof(buf));
		assert_int_equal(n, 12 + 24 + 28 + 5 + 3);
		assert_int_equal(buf[3], WIRE_DB_CAS);
		assert_int_equal(buf[12 + 8], 9);
		assert_int_equal(buf[12 + 10], WIRE_DBF_EMPTY | WIRE_DBF_ACK);
		assert_int_equal(buf[12 + 16], 3);
		assert_memory_equal(buf + 12 + 24, clock, sizeof(clock));

		sample(WIRE_DB_ACK, &m);
		n = wire_encode(&m, buf, sizeof(buf));
		assert_int_equal(n, 12 + 16);
		assert_int_equal(buf[12], 0x10);
		assert_int_equal(buf[12 + 7], 0xfe);
		assert_int_equal(buf[12 + 8], 63);
		assert_true(buf[12 + 9] == 0 && buf[12 + 10] == 0 && buf[12 + 15] == 0);

		sample(WIRE_DB_CAS_REPLY, &m);
		n = wire_encode(&m, buf, sizeof(buf));
		assert_int_equal(n, 12 + 16 + 28);
		assert_int_equal(buf[12], 0x08);
		/* result: -ECANCELED as a little-endian i32 */
		assert_int_equal(buf[12 + 8], (uint8_t)(-ECANCELED));
		assert_int_equal(buf[12 + 11], 0xff);
		assert_memory_equal(buf + 12 + 16, clock, sizeof(clock));
	}
}

/*
 * Every byte of every sample frame set to every value: decode either fails
 * with -EPROTO and leaves the message alone, or succeeds and re-encodes to
 * exactly the corrupted bytes (nothing the decoder accepts is lost).
 */
static void test_corrupt_every_byte(void **state)
{
	uint8_t out[WIRE_MAX_FRAME];
	struct wire_msg m, d, canary;
	unsigned int t, pos, v;
	uint8_t *buf;
	size_t len;
	int ret, fl;

	(void)state;
	memset(&canary, 0x5a, sizeof(canary));
	for (t = WIRE_HELLO; t < WIRE_TYPE_MAX; t++) {
		sample(t, &m);
		buf = encode_exact(&m, &len);
		for (pos = 0; pos < len; pos++) {
			uint8_t orig = buf[pos];

			for (v = 0; v < 256; v++) {
				buf[pos] = (uint8_t)v;
				d = canary;
				ret = wire_decode(buf, len, &d);
				fl = wire_frame_len(buf, len);
				if (ret == 0) {
					assert_int_equal(fl, (int)len);
					assert_int_equal(wire_encode(&d, out, sizeof(out)), (int)len);
					assert_memory_equal(out, buf, len);
				} else {
					assert_int_equal(ret, -EPROTO);
					assert_memory_equal(&d, &canary, sizeof(d));
					/* A shortened length frames a shorter frame. */
					assert_true(fl == -EPROTO || fl == -EMSGSIZE ||
						    (fl >= 0 && fl <= (int)len));
				}
			}
			buf[pos] = orig;
		}
		free(buf);
	}
}

/* Every proper prefix of a frame: "need more" for framing, -EPROTO to decode. */
static void test_truncations(void **state)
{
	struct wire_msg m, d;
	unsigned int t;
	size_t len, k;
	uint8_t *buf, *part;

	(void)state;
	for (t = WIRE_HELLO; t < WIRE_TYPE_MAX; t++) {
		sample(t, &m);
		buf = encode_exact(&m, &len);
		for (k = 0; k < len; k++) {
			part = malloc(k ? k : 1);
			assert_non_null(part);
			memcpy(part, buf, k);
			assert_int_equal(wire_frame_len(part, k), 0);
			assert_int_equal(wire_decode(part, k, &d), -EPROTO);
			free(part);
		}
		free(buf);
	}
}

/* Bytes after a frame: framing says where it ends, decode wants it exact. */
static void test_trailing_bytes(void **state)
{
	uint8_t buf[WIRE_MAX_FRAME + 8];
	struct wire_msg m, d;
	int n;

	(void)state;
	sample(WIRE_VOTE, &m);
	n = wire_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	memcpy(buf + n, buf, (size_t)n);	/* a second frame behind it */
	assert_int_equal(wire_frame_len(buf, 2 * (size_t)n), n);
	assert_int_equal(wire_decode(buf, (size_t)n + 1, &d), -EPROTO);
	assert_int_equal(wire_decode(buf + n, (size_t)n, &d), 0);
}

static void put_len(uint8_t *hdr, uint32_t len)
{
	hdr[4] = (uint8_t)len;
	hdr[5] = (uint8_t)(len >> 8);
	hdr[6] = (uint8_t)(len >> 16);
	hdr[7] = (uint8_t)(len >> 24);
}

static void test_header_checks(void **state)
{
	uint8_t h[WIRE_HDR_SIZE] = { 0x46, 0x4f, WIRE_VERSION, WIRE_COMMIT, 16 };
	uint8_t b[WIRE_HDR_SIZE];

	(void)state;
	assert_int_equal(wire_frame_len(h, sizeof(h)), 0);	/* needs its payload */
	assert_int_equal(wire_frame_len(h, 0), 0);

	memcpy(b, h, sizeof(b));
	b[0] = 0x47;
	assert_int_equal(wire_frame_len(b, 1), 0);		/* magic not complete */
	assert_int_equal(wire_frame_len(b, 2), -EPROTO);	/* refused early */
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);

	memcpy(b, h, sizeof(b));
	b[2] = WIRE_VERSION + 1;
	assert_int_equal(wire_frame_len(b, 3), -EPROTO);

	memcpy(b, h, sizeof(b));
	b[3] = 0;
	assert_int_equal(wire_frame_len(b, 4), -EPROTO);
	b[3] = WIRE_TYPE_MAX;
	assert_int_equal(wire_frame_len(b, 4), -EPROTO);
	b[3] = 0xff;
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);

	memcpy(b, h, sizeof(b));
	b[11] = 1;					/* reserved */
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);

	/* Oversized lengths: -EMSGSIZE before the type's length is looked at. */
	memcpy(b, h, sizeof(b));
	put_len(b, WIRE_MAX_PAYLOAD + 1);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EMSGSIZE);
	put_len(b, 0xffffffffu);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EMSGSIZE);

	/* A length no COMMIT can have is refused without waiting for it. */
	put_len(b, WIRE_MAX_PAYLOAD);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 17);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 0);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);

	/* PROPOSE: 56 + 8k for k in 1..64 only. */
	memcpy(b, h, sizeof(b));
	b[3] = WIRE_PROPOSE;
	put_len(b, 56);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 56 + 8 * 65);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 56 + 8 * 3 + 4);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 56 + 8 * 64);
	assert_int_equal(wire_frame_len(b, sizeof(b)), 0);

	/* DB_UPDATE, DB_CAS: at least fixed + empty clock + 1-byte key. */
	memcpy(b, h, sizeof(b));
	b[3] = WIRE_DB_UPDATE;
	put_len(b, 25);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 0);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 26);
	assert_int_equal(wire_frame_len(b, sizeof(b)), 0);
	put_len(b, WIRE_MAX_PAYLOAD);
	assert_int_equal(wire_frame_len(b, sizeof(b)), 0);
	put_len(b, WIRE_MAX_PAYLOAD + 1);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EMSGSIZE);
	b[3] = WIRE_DB_CAS;
	put_len(b, 25);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 26);
	assert_int_equal(wire_frame_len(b, sizeof(b)), 0);
	/* DB_ACK: exactly 16. */
	b[3] = WIRE_DB_ACK;
	put_len(b, 15);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 17);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 16);
	assert_int_equal(wire_frame_len(b, sizeof(b)), 0);
	/* DB_CAS_REPLY: at least fixed + empty clock. */
	b[3] = WIRE_DB_CAS_REPLY;
	put_len(b, 16);
	assert_int_equal(wire_frame_len(b, sizeof(b)), -EPROTO);
	put_len(b, 17);
	assert_int_equal(wire_frame_len(b, sizeof(b)), 0);
}

static void expect_bad(const struct wire_msg *m);

/* Encode a DB message and check the decode points into the frame. */
static void db_round_trip(const struct wire_msg *m, size_t want_len)
{
	struct wire_msg d;
	uint8_t *buf;
	size_t len;

	buf = encode_exact(m, &len);
	assert_int_equal(len, want_len);
	assert_int_equal(wire_frame_len(buf, len), (int)len);
	assert_int_equal(wire_decode(buf, len, &d), 0);
	assert_msg_equal(m, &d, buf, len);
	free(buf);
}

/*
 * DB frames at their limits: an empty value (val NULL after decode), an
 * empty clock, the longest key, the longest value with a full 64-node
 * clock; and a key or value one byte over is refused by the encoder.
 */
static void test_db_sizes(void **state)
{
	static uint8_t key[FOTOS_DB_MAX_KEY + 1], val[FOTOS_DB_MAX_VAL + 1];
	struct wire_msg m;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 13 + 5);

	sample(WIRE_DB_UPDATE, &m);
	m.u.db.vlen = 0;
	m.u.db.val = NULL;
	m.u.db.flags = WIRE_DBF_TOMB | WIRE_DBF_GC;
	db_round_trip(&m, WIRE_HDR_SIZE + 24 + 28 + 5);

	sample(WIRE_DB_CAS, &m);
	fotos_vclock_init(&m.u.db.clock, 0);
	m.u.db.klen = 1;
	m.u.db.vlen = 0;
	m.u.db.val = NULL;
	db_round_trip(&m, WIRE_HDR_SIZE + 24 + 1 + 1);

	sample(WIRE_DB_UPDATE, &m);
	fotos_vclock_init(&m.u.db.clock, FOTOS_MAX_MEMBERS);
	for (i = 0; i < FOTOS_MAX_MEMBERS; i++)
		m.u.db.clock.c[i] = UINT64_MAX - i;
	m.u.db.klen = FOTOS_DB_MAX_KEY;
	m.u.db.vlen = FOTOS_DB_MAX_VAL;
	m.u.db.key = key;
	m.u.db.val = val;
	m.u.db.flags = WIRE_DBF_ALL;
	db_round_trip(&m, WIRE_HDR_SIZE + 24 + 1 + 9 * 64 + FOTOS_DB_MAX_KEY + FOTOS_DB_MAX_VAL);
	m.type = WIRE_DB_CAS;
	db_round_trip(&m, WIRE_HDR_SIZE + 24 + 1 + 9 * 64 + FOTOS_DB_MAX_KEY + FOTOS_DB_MAX_VAL);
	m.u.db.klen = FOTOS_DB_MAX_KEY + 1;
	expect_bad(&m);
	m.u.db.klen = FOTOS_DB_MAX_KEY;
	m.u.db.vlen = FOTOS_DB_MAX_VAL + 1;
	expect_bad(&m);

	/* A clock whose n is past its last counter: encoded the same, n shrinks. */
	{
		struct wire_msg d;
		uint8_t *buf;
		size_t len;

		sample(WIRE_DB_CAS_REPLY, &m);
		fotos_vclock_init(&m.u.db.clock, 40);
		m.u.db.clock.c[3] = 2;
		m.u.db.clock.c[50] = 9;		/* past n: not a counter */
		buf = encode_exact(&m, &len);
		assert_int_equal(len, WIRE_HDR_SIZE + 16 + 10);
		assert_int_equal(wire_decode(buf, len, &d), 0);
		assert_int_equal(d.u.db.clock.n, 4);
		assert_int_equal(fotos_vclock_compare(&d.u.db.clock, &m.u.db.clock), FOTOS_VC_EQUAL);
		free(buf);
	}
}

/*
 * A DB_UPDATE whose key and value lengths are each changed but still add up
 * to the payload: decodes (the frame is self-consistent) to the other split
 * and re-encodes to the same bytes; lengths that do not add up are refused.
 */
static void test_db_lengths(void **state)
{
	struct wire_msg m, d;
	uint8_t *buf;
	size_t len;

	(void)state;
	sample(WIRE_DB_UPDATE, &m);
	buf = encode_exact(&m, &len);
	buf[WIRE_HDR_SIZE + 12] = 6;		/* klen 6 */
	buf[WIRE_HDR_SIZE + 16] = 6;		/* vlen 6 */
	assert_int_equal(wire_decode(buf, len, &d), 0);
	assert_int_equal(d.u.db.klen, 6);
	assert_int_equal(d.u.db.vlen, 6);
	assert_true(d.u.db.key == buf + WIRE_HDR_SIZE + 24 + 28);
	assert_true(d.u.db.val == d.u.db.key + 6);
	{
		uint8_t out[WIRE_MAX_FRAME];

		assert_int_equal(wire_encode(&d, out, sizeof(out)), (int)len);
		assert_memory_equal(out, buf, len);
	}
	buf[WIRE_HDR_SIZE + 12] = 12;		/* klen 12, vlen 0: the whole tail */
	buf[WIRE_HDR_SIZE + 16] = 0;
	assert_int_equal(wire_decode(buf, len, &d), 0);
	assert_null(d.u.db.val);
	buf[WIRE_HDR_SIZE + 16] = 1;		/* 13 bytes claimed, 12 there */
	assert_int_equal(wire_decode(buf, len, &d), -EPROTO);
	buf[WIRE_HDR_SIZE + 12] = 0;		/* klen 0, vlen 12 */
	buf[WIRE_HDR_SIZE + 16] = 12;
	assert_int_equal(wire_decode(buf, len, &d), -EPROTO);
	/* vlen so large the sum would wrap 32 bits */
	buf[WIRE_HDR_SIZE + 12] = 5;
	buf[WIRE_HDR_SIZE + 16] = 0xff;
	buf[WIRE_HDR_SIZE + 17] = 0xff;
	buf[WIRE_HDR_SIZE + 18] = 0xff;
	buf[WIRE_HDR_SIZE + 19] = 0xff;
	assert_int_equal(wire_decode(buf, len, &d), -EPROTO);
	free(buf);
}

/* The encoder refuses a message the decoder would refuse. */
static void expect_bad(const struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_FRAME];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(wire_encode(m, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(buf[0], 0xee);
}

/* Patch one field of a sample frame and check decode refuses it. */
static void decode_bad(unsigned int type, size_t off, const void *val, size_t n)
{
	struct wire_msg m, d;
	uint8_t *buf;
	size_t len;

	sample(type, &m);
	buf = encode_exact(&m, &len);
	memcpy(buf + WIRE_HDR_SIZE + off, val, n);
	assert_int_equal(wire_decode(buf, len, &d), -EPROTO);
	free(buf);
}

static void test_field_checks(void **state)
{
	static const uint8_t one = 1, two = 2, six = 6, nine = 9, three = 3, five = 5;
	static const uint8_t zero = 0, idx64[2] = { 64, 0 }, big16[2] = { 0xff, 0xff };
	static const uint8_t count3 = 3, count5 = 5;
	struct wire_msg m;

	(void)state;
	/* HELLO: from, to < 64; known flags only; ENCRYPT only with AUTH. */
	decode_bad(WIRE_HELLO, 16, idx64, 2);
	decode_bad(WIRE_HELLO, 18, idx64, 2);
	decode_bad(WIRE_HELLO, 18, big16, 2);
	decode_bad(WIRE_HELLO, 20, &two, 1);		/* ENCRYPT without AUTH */
	decode_bad(WIRE_HELLO, 20, &six, 1);		/* an unknown flag */
	decode_bad(WIRE_HELLO, 23, &one, 1);
	sample(WIRE_HELLO, &m); m.u.hello.from = 64; expect_bad(&m);
	sample(WIRE_HELLO, &m); m.u.hello.to = 64; expect_bad(&m);
	sample(WIRE_HELLO, &m); m.u.hello.flags = 8; expect_bad(&m);
	sample(WIRE_HELLO, &m); m.u.hello.flags = WIRE_HELLO_ENCRYPT; expect_bad(&m);
	/* AUTH: its reserved word is zero. */
	decode_bad(WIRE_AUTH, 0, &one, 1);
	decode_bad(WIRE_AUTH, 7, &one, 1);
	sample(WIRE_AUTH, &m); m.u.auth.reserved = 1; expect_bad(&m);

	/* STATUS: known state, busy 0/1, pads 0. */
	decode_bad(WIRE_STATUS, 48, &six, 1);
	decode_bad(WIRE_STATUS, 49, &two, 1);
	decode_bad(WIRE_STATUS, 50, &one, 1);
	decode_bad(WIRE_STATUS, 55, &one, 1);
	sample(WIRE_STATUS, &m); m.u.status.state = 6; expect_bad(&m);
	sample(WIRE_STATUS, &m); m.u.status.busy = 2; expect_bad(&m);
	sample(WIRE_STATUS, &m); m.u.status.pad1 = 1; expect_bad(&m);
	sample(WIRE_STATUS, &m); m.u.status.pad2 = 1; expect_bad(&m);

	/* PROPOSE: pid, kind, count = popcount, pads. */
	decode_bad(WIRE_PROPOSE, 12, idx64, 2);
	decode_bad(WIRE_PROPOSE, 14, &one, 1);
	decode_bad(WIRE_PROPOSE, 48, &zero, 1);
	decode_bad(WIRE_PROPOSE, 48, &five, 1);
	decode_bad(WIRE_PROPOSE, 49, &count3, 1);	/* length says 4 */
	decode_bad(WIRE_PROPOSE, 49, &count5, 1);
	decode_bad(WIRE_PROPOSE, 40, &three, 1);	/* popcount 3 != 4 */
	decode_bad(WIRE_PROPOSE, 51, &one, 1);
	decode_bad(WIRE_PROPOSE, 53, &one, 1);
	sample(WIRE_PROPOSE, &m); m.u.propose.count = 3; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.count = 65; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.members = 0; m.u.propose.count = 0; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.kind = 0; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.kind = 5; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.pid.proposer = 64; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.pid.pad = 1; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.pad1 = 1; expect_bad(&m);
	sample(WIRE_PROPOSE, &m); m.u.propose.pad2 = 1; expect_bad(&m);

	/* VOTE: reason <= WIRE_VOTE_MAX, pad 0. */
	decode_bad(WIRE_VOTE, 16, &nine, 1);	/* past WIRE_VOTE_MAX */
	decode_bad(WIRE_VOTE, 17, &one, 1);
	decode_bad(WIRE_VOTE, 23, &one, 1);
	decode_bad(WIRE_VOTE, 12, idx64, 2);
	sample(WIRE_VOTE, &m); m.u.vote.reason = WIRE_VOTE_MAX + 1; expect_bad(&m);
	sample(WIRE_VOTE, &m); m.u.vote.pad[6] = 1; expect_bad(&m);

	/* COMMIT, ABORT, QUERY: the pid. */
	decode_bad(WIRE_COMMIT, 12, idx64, 2);
	decode_bad(WIRE_ABORT, 14, &one, 1);
	decode_bad(WIRE_QUERY, 15, &one, 1);
	sample(WIRE_QUERY, &m); m.u.pid.proposer = 64; expect_bad(&m);

	/* OUTCOME: outcome <= 2, pad 0. */
	decode_bad(WIRE_OUTCOME, 16, &three, 1);
	decode_bad(WIRE_OUTCOME, 17, &one, 1);
	decode_bad(WIRE_OUTCOME, 23, &one, 1);
	sample(WIRE_OUTCOME, &m); m.u.outcome.outcome = 3; expect_bad(&m);
	sample(WIRE_OUTCOME, &m); m.u.outcome.pad[0] = 1; expect_bad(&m);

	/* DB_UPDATE, DB_CAS: node < 64, known flags, pads 0, a valid clock. */
	{
		static const uint8_t flag32[2] = { 32, 0 }, flag_hi[2] = { 0, 1 };
		static const uint8_t zero8[8] = { 0 };
		unsigned int t;

		for (t = WIRE_DB_UPDATE; t <= WIRE_DB_CAS; t += WIRE_DB_CAS - WIRE_DB_UPDATE) {
			decode_bad(t, 8, idx64, 2);
			decode_bad(t, 8, big16, 2);
			decode_bad(t, 10, flag32, 2);
			decode_bad(t, 10, flag_hi, 2);
			decode_bad(t, 14, &one, 1);		/* pad after klen */
			decode_bad(t, 15, &one, 1);
			decode_bad(t, 20, &one, 1);		/* pad after vlen */
			decode_bad(t, 23, &one, 1);
			decode_bad(t, 24, &two, 1);		/* clock count 2, not 3 */
			decode_bad(t, 24, &zero, 1);
			decode_bad(t, 24 + 1, &nine, 1);	/* node 9 before 5: unsorted */
			decode_bad(t, 24 + 10, &zero, 1);	/* node 0 repeated */
			decode_bad(t, 24 + 19, idx64, 1);	/* node 64 */
			decode_bad(t, 24 + 2, zero8, 8);	/* a zero counter */
			decode_bad(t, 12, &six, 1);		/* klen 6: lengths disagree */
			decode_bad(t, 12, &zero, 1);
			decode_bad(t, 16, &zero, 1);
			sample(t, &m); m.u.db.node = 64; expect_bad(&m);
			sample(t, &m); m.u.db.flags = WIRE_DBF_ALL + 1; expect_bad(&m);
			sample(t, &m); m.u.db.klen = 0; expect_bad(&m);
			sample(t, &m); m.u.db.klen = FOTOS_DB_MAX_KEY + 1; expect_bad(&m);
			sample(t, &m); m.u.db.vlen = FOTOS_DB_MAX_VAL + 1; expect_bad(&m);
			sample(t, &m); m.u.db.key = NULL; expect_bad(&m);
			sample(t, &m); m.u.db.val = NULL; expect_bad(&m);
			sample(t, &m); m.u.db.clock.n = FOTOS_MAX_MEMBERS + 1; expect_bad(&m);
		}
		/* DB_ACK: node < 64, pads 0. */
		decode_bad(WIRE_DB_ACK, 8, idx64, 2);
		decode_bad(WIRE_DB_ACK, 10, &one, 1);
		decode_bad(WIRE_DB_ACK, 11, &one, 1);
		decode_bad(WIRE_DB_ACK, 12, &one, 1);
		decode_bad(WIRE_DB_ACK, 15, &one, 1);
		sample(WIRE_DB_ACK, &m); m.u.db.node = 64; expect_bad(&m);
		/* DB_CAS_REPLY: result 0 or -errno (> -4096), pad 0, a valid clock. */
		{
			static const uint8_t pos1[4] = { 1, 0, 0, 0 };
			static const uint8_t m4096[4] = { 0x00, 0xf0, 0xff, 0xff };
			static const uint8_t intmin[4] = { 0, 0, 0, 0x80 };
			static const uint8_t m4095[4] = { 0x01, 0xf0, 0xff, 0xff };
			struct wire_msg d;
			uint8_t *buf;
			size_t len;

			decode_bad(WIRE_DB_CAS_REPLY, 8, pos1, 4);
			decode_bad(WIRE_DB_CAS_REPLY, 8, m4096, 4);
			decode_bad(WIRE_DB_CAS_REPLY, 8, intmin, 4);
			decode_bad(WIRE_DB_CAS_REPLY, 12, &one, 1);
			decode_bad(WIRE_DB_CAS_REPLY, 15, &one, 1);
			decode_bad(WIRE_DB_CAS_REPLY, 16, &two, 1);
			decode_bad(WIRE_DB_CAS_REPLY, 16 + 2, zero8, 8);
			decode_bad(WIRE_DB_CAS_REPLY, 16 + 10, &zero, 1);
			sample(WIRE_DB_CAS_REPLY, &m); m.u.db.result = 1; expect_bad(&m);
			sample(WIRE_DB_CAS_REPLY, &m); m.u.db.result = -4096; expect_bad(&m);
			sample(WIRE_DB_CAS_REPLY, &m); m.u.db.clock.n = 65; expect_bad(&m);
			/* the bounds that are fine: 0 and -4095 */
			sample(WIRE_DB_CAS_REPLY, &m);
			buf = encode_exact(&m, &len);
			memcpy(buf + WIRE_HDR_SIZE + 8, m4095, 4);
			assert_int_equal(wire_decode(buf, len, &d), 0);
			assert_int_equal(d.u.db.result, -4095);
			memset(buf + WIRE_HDR_SIZE + 8, 0, 4);
			assert_int_equal(wire_decode(buf, len, &d), 0);
			assert_int_equal(d.u.db.result, 0);
			free(buf);
		}
	}

	/* Unknown type. */
	memset(&m, 0, sizeof(m));
	expect_bad(&m);
	m.type = WIRE_TYPE_MAX;
	assert_int_equal(wire_encode(&m, (uint8_t[WIRE_MAX_FRAME]){ 0 }, WIRE_MAX_FRAME), -EINVAL);
}

/* A PROPOSE whose length is right for its count field but not its mask. */
static void test_propose_count_vs_length(void **state)
{
	struct wire_msg m, d;
	uint8_t *buf, *big;
	size_t len;

	(void)state;
	sample(WIRE_PROPOSE, &m);
	buf = encode_exact(&m, &len);
	/* Claim 5 members and carry 5 incarnations, mask still has 4 bits. */
	big = calloc(1, len + 8);
	assert_non_null(big);
	memcpy(big, buf, len);
	big[4] = (uint8_t)(len + 8 - WIRE_HDR_SIZE);
	big[WIRE_HDR_SIZE + 49] = 5;
	assert_int_equal(wire_frame_len(big, len + 8), (int)(len + 8));
	assert_int_equal(wire_decode(big, len + 8, &d), -EPROTO);
	/* Fix the mask: now it is a good 5-member proposal. */
	big[WIRE_HDR_SIZE + 40] |= 0x20;
	assert_int_equal(wire_decode(big, len + 8, &d), 0);
	assert_int_equal(d.u.propose.count, 5);
	free(big);
	free(buf);
}

static void test_encode_nospc(void **state)
{
	uint8_t buf[WIRE_MAX_FRAME];
	struct wire_msg m;
	unsigned int t;

	(void)state;
	for (t = WIRE_HELLO; t < WIRE_TYPE_MAX; t++) {
		size_t need = WIRE_HDR_SIZE + sample_len[t];

		sample(t, &m);
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(wire_encode(&m, buf, need - 1), -ENOSPC);
		assert_int_equal(buf[0], 0xee);		/* untouched */
		assert_int_equal(wire_encode(&m, buf, 0), -ENOSPC);
		assert_int_equal(wire_encode(&m, buf, need), (int)need);
	}
}

/* The transaction frames: each rule the decoder checks, the encoder too. */
static void test_txn_checks(void **state)
{
	static const uint8_t one = 1, space = ' ', sixty_five = 65, zero = 0;
	struct wire_msg m;
	struct wire_txn_op op;

	(void)state;
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.nops = 0; m.u.txn.glen = 0;
	memset(m.u.txn.group, 0, sizeof(m.u.txn.group)); m.u.txn.ops = NULL; m.u.txn.ops_len = 0;
	expect_bad(&m);					/* neither writes nor a group */
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.group[1] = ' '; expect_bad(&m);
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.members = 1; expect_bad(&m);	/* no proposer */
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.nops = 1; expect_bad(&m);	/* ops left over */
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.nops = 3; expect_bad(&m);	/* ops missing */
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.nops = WIRE_TXN_MAX_OPS + 1; expect_bad(&m);
	sample(WIRE_TXN_PREPARE, &m); m.u.txn.glen = WIRE_GROUP_MAX + 1; expect_bad(&m);
	sample(WIRE_TXN_VOTE, &m); m.u.tctl.value = WIRE_TXN_YES; expect_bad(&m);	/* yes, a reason */
	sample(WIRE_TXN_VOTE, &m); m.u.tctl.value = 2; expect_bad(&m);
	sample(WIRE_TXN_DECIDE, &m); m.u.tctl.value = 0; expect_bad(&m);
	sample(WIRE_TXN_DECIDE, &m); m.u.tctl.reason = WIRE_TXR_MAX + 1; expect_bad(&m);
	sample(WIRE_TXN_QUERY, &m); m.u.tctl.detail = 1; expect_bad(&m);
	sample(WIRE_TXN_OUTCOME, &m); m.u.tctl.value = 3; expect_bad(&m);
	sample(WIRE_RDV_ARRIVE, &m); m.u.txn.id.seq = 1; expect_bad(&m);
	sample(WIRE_RDV_ARRIVE, &m); m.u.txn.glen = 0; m.u.txn.group[0] = 0; expect_bad(&m);
	/* header bytes of a PREPARE: pad, group length, a group byte */
	decode_bad(WIRE_TXN_PREPARE, 39, &one, 1);
	decode_bad(WIRE_TXN_PREPARE, 38, &sixty_five, 1);
	decode_bad(WIRE_TXN_PREPARE, 41, &space, 1);
	decode_bad(WIRE_TXN_PREPARE, 43 + 1, &one, 1);		/* op pad */
	decode_bad(WIRE_TXN_PREPARE, 43, &zero, 1);		/* op flags: cond clock w/o IF_CLOCK */
	decode_bad(WIRE_TXN_VOTE, 20, &one, 1);
	decode_bad(WIRE_RDV_ARRIVE, 13, &one, 1);
	/* an operation's own rules */
	memset(&op, 0, sizeof(op));
	op.klen = 1;
	op.key = (const uint8_t *)"k";
	fotos_vclock_init(&op.clock, 1);
	assert_int_equal(wire_txn_op_put(&op, (uint8_t[64]){ 0 }, 64), -EINVAL);	/* empty clock */
	op.clock.c[0] = 1;
	assert_int_equal(wire_txn_op_put(&op, (uint8_t[64]){ 0 }, 64), 8 + 10 + 1 + 1);
	op.flags = WIRE_TXF_IF_CLOCK | WIRE_TXF_IF_ABSENT;
	assert_int_equal(wire_txn_op_put(&op, (uint8_t[64]){ 0 }, 64), -EINVAL);
	op.flags = WIRE_TXF_TOMB;
	op.vlen = 1;
	op.val = (const uint8_t *)"v";
	assert_int_equal(wire_txn_op_put(&op, (uint8_t[64]){ 0 }, 64), -EINVAL);	/* delete + value */
	op.flags = 0;
	assert_int_equal(wire_txn_op_put(&op, (uint8_t[64]){ 0 }, 8), -ENOSPC);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(wire_type_name(WIRE_HELLO), "HELLO");
	assert_string_equal(wire_type_name(WIRE_STATUS), "STATUS");
	assert_string_equal(wire_type_name(WIRE_PROPOSE), "PROPOSE");
	assert_string_equal(wire_type_name(WIRE_VOTE), "VOTE");
	assert_string_equal(wire_type_name(WIRE_COMMIT), "COMMIT");
	assert_string_equal(wire_type_name(WIRE_ABORT), "ABORT");
	assert_string_equal(wire_type_name(WIRE_QUERY), "QUERY");
	assert_string_equal(wire_type_name(WIRE_OUTCOME), "OUTCOME");
	assert_string_equal(wire_type_name(WIRE_DB_UPDATE), "DB_UPDATE");
	assert_string_equal(wire_type_name(WIRE_DB_ACK), "DB_ACK");
	assert_string_equal(wire_type_name(WIRE_DB_CAS), "DB_CAS");
	assert_string_equal(wire_type_name(WIRE_DB_CAS_REPLY), "DB_CAS_REPLY");
	assert_string_equal(wire_type_name(WIRE_TXN_PREPARE), "TXN_PREPARE");
	assert_string_equal(wire_type_name(WIRE_RDV_ARRIVE), "RDV_ARRIVE");
	assert_string_equal(wire_type_name(0), "?");
	assert_string_equal(wire_type_name(WIRE_TYPE_MAX), "?");
	assert_string_equal(wire_type_name(0xffffffffu), "?");
}

/* Published FNV-1a 64 vectors with seed 0; a seed gives another hash. */
static void test_hash(void **state)
{
	(void)state;
	assert_true(wire_hash("", 0, 0) == 0xcbf29ce484222325ULL);
	assert_true(wire_hash("a", 1, 0) == 0xaf63dc4c8601ec8cULL);
	assert_true(wire_hash("foobar", 6, 0) == 0x85944171f73967e8ULL);
	assert_true(wire_hash("foobar", 6, 1) != wire_hash("foobar", 6, 0));
	assert_true(wire_hash("foobar", 6, 1) == wire_hash("foobar", 6, 1));
	assert_true(wire_hash("demo", 4, 0) != wire_hash("demp", 4, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_propose_sizes),
		cmocka_unit_test(test_propose_ignores_tail),
		cmocka_unit_test(test_layout_pinned),
		cmocka_unit_test(test_corrupt_every_byte),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_field_checks),
		cmocka_unit_test(test_propose_count_vs_length),
		cmocka_unit_test(test_encode_nospc),
		cmocka_unit_test(test_db_sizes),
		cmocka_unit_test(test_db_lengths),
		cmocka_unit_test(test_txn_checks),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
