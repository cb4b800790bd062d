/*
 * Description: writes the seed corpora under tests/fuzz/corpus/ (run from
 * the top of the tree after a change of the wire format or shm layout):
 *
 *   cc -std=c11 -D_GNU_SOURCE -Ishm -Iagent -Iclientlib -o /tmp/gen_corpus \
 *      tests/fuzz/gen_corpus.c agent/wire.c clientlib/vclock.c shm/validate.c
 *   /tmp/gen_corpus tests/fuzz/corpus
 *
 * fuzz_wire: one valid frame of every type (PROPOSE with 1, 4 and 64
 * members; the database frames with a clock, key and value, and also an
 * empty value, a delete, a large value and a full 64-node clock; a
 * transaction of two writes and a rendezvous round), a stream
 * of several frames, and a few broken ones.
 * fuzz_shm: a compact valid header (all regions in page 1), the agent's
 * real layout, one still initialising and one of another major version.
 * fuzz_conf: valid and invalid config files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment.h"
#include "wire.h"

static const char *outdir;

static void put(const char *sub, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void put_text(const char *name, const char *text)
{
	put("fuzz_conf", name, text, strlen(text));
}

static size_t enc(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
	int n = wire_encode(m, buf, cap);

	if (n <= 0) {
		fprintf(stderr, "gen_corpus: cannot encode type %u: %d\n", m->type, n);
		exit(1);
	}
	return (size_t)n;
}

static void gen_wire(void)
{
	struct wire_pid pid = { .incarnation = 0x17b2a3c4d5e6f708ULL, .seq = 42, .proposer = 2 };
	static const uint8_t key[] = "user:42", val[] = "{\"v\":1}";
	static uint8_t bigval[4096];
	static uint8_t buf[WIRE_MAX_FRAME], stream[4 * WIRE_MAX_FRAME], txnops[512];
	struct fotos_vclock vc;
	size_t n, sn = 0;
	struct wire_msg m;
	unsigned int t, i;
	char name[64];

	for (t = WIRE_HELLO; t < WIRE_TYPE_MAX; t++) {
		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		switch (t) {
		case WIRE_HELLO:
			m.u.hello.cluster_hash = wire_hash("demo", 4, 0);
			m.u.hello.incarnation = pid.incarnation;
			m.u.hello.from = 1;
			m.u.hello.to = 2;
			m.u.hello.flags = WIRE_HELLO_AUTH;
			for (i = 0; i < WIRE_NONCE_SIZE; i++)
				m.u.hello.nonce[i] = (uint8_t)(i * 37 + 11);
			break;
		case WIRE_STATUS:
			m.u.status.epoch = 3;
			m.u.status.view_id = 0x1234;
			m.u.status.net_id = 0x77;
			m.u.status.members = 7;
			m.u.status.seen = 7;
			m.u.status.state = FOTOS_ST_STABLE;
			break;
		case WIRE_PROPOSE:
			m.u.propose.pid = pid;
			m.u.propose.base_view_id = 0x1234;
			m.u.propose.base_epoch = 3;
			m.u.propose.net_id = 0x77;
			m.u.propose.members = 0xf;
			m.u.propose.kind = WIRE_KIND_JOIN;
			m.u.propose.count = 4;
			for (i = 0; i < 4; i++)
				m.u.propose.incarnations[i] = 100 + i;
			break;
		case WIRE_VOTE:
			m.u.vote.pid = pid;
			m.u.vote.reason = WIRE_VOTE_NOT_SEEN;
			m.u.vote.detail = 8;
			break;
		case WIRE_COMMIT:
		case WIRE_ABORT:
		case WIRE_QUERY:
			m.u.pid = pid;
			break;
		case WIRE_OUTCOME:
			m.u.outcome.pid = pid;
			m.u.outcome.outcome = WIRE_OUT_COMMITTED;
			break;
		case WIRE_DB_UPDATE:
		case WIRE_DB_CAS:
			m.u.db.id = 17;
			m.u.db.node = 1;
			m.u.db.flags = t == WIRE_DB_CAS ? 0 : WIRE_DBF_ACK;
			fotos_vclock_init(&m.u.db.clock, 3);
			m.u.db.clock.c[0] = 4;
			m.u.db.clock.c[1] = 2;
			m.u.db.clock.c[2] = 7;
			m.u.db.klen = sizeof(key) - 1;
			m.u.db.vlen = sizeof(val) - 1;
			m.u.db.key = key;
			m.u.db.val = val;
			break;
		case WIRE_DB_ACK:
			m.u.db.id = 17;
			m.u.db.node = 2;
			break;
		case WIRE_DB_CAS_REPLY:
			m.u.db.id = 5;
			m.u.db.result = -ECANCELED;
			fotos_vclock_init(&m.u.db.clock, 2);
			m.u.db.clock.c[1] = 3;
			break;
		case WIRE_TXN_PREPARE: {
			struct wire_txn_op op;
			int k;

			m.u.txn.id = pid;
			m.u.txn.view_id = 0x1234;
			m.u.txn.members = 7;
			m.u.txn.timeout_ms = 1000;
			memset(&op, 0, sizeof(op));
			op.flags = WIRE_TXF_IF_CLOCK;
			op.klen = sizeof(key) - 1;
			op.vlen = sizeof(val) - 1;
			op.key = key;
			op.val = val;
			fotos_vclock_init(&op.clock, 3);
			op.clock.c[0] = 4;
			op.clock.c[2] = 8;
			fotos_vclock_init(&op.cond, 3);
			op.cond.c[0] = 4;
			op.cond.c[2] = 7;
			k = wire_txn_op_put(&op, txnops, sizeof(txnops));
			op.flags = WIRE_TXF_TOMB | WIRE_TXF_IF_ABSENT;
			op.key = (const uint8_t *)"other";
			op.klen = 5;
			op.vlen = 0;
			op.val = NULL;
			fotos_vclock_init(&op.cond, 0);
			k += wire_txn_op_put(&op, txnops + k, sizeof(txnops) - (size_t)k);
			m.u.txn.nops = 2;
			m.u.txn.ops = txnops;
			m.u.txn.ops_len = (uint32_t)k;
			break;
		}
		case WIRE_RDV_ARRIVE:
			m.u.txn.view_id = 0x1234;
			m.u.txn.timeout_ms = 500;
			m.u.txn.glen = 4;
			memcpy(m.u.txn.group, "meet", 4);
			break;
		case WIRE_TXN_VOTE:
		case WIRE_TXN_DECIDE:
		case WIRE_TXN_QUERY:
		case WIRE_TXN_OUTCOME:
			m.u.tctl.id = pid;
			if (t == WIRE_TXN_VOTE) {
				m.u.tctl.value = WIRE_TXN_NO;
				m.u.tctl.reason = WIRE_TXR_CONDITION;
				m.u.tctl.detail = 1;
			} else if (t != WIRE_TXN_QUERY) {
				m.u.tctl.value = WIRE_TXN_COMMIT;
			}
			break;
		}
		n = enc(&m, buf, sizeof(buf));
		snprintf(name, sizeof(name), "%s", wire_type_name(t));
		put("fuzz_wire", name, buf, n);
		if (sn + n <= sizeof(stream)) {
			memcpy(stream + sn, buf, n);
			sn += n;
		}
	}
	put("fuzz_wire", "stream", stream, sn);

	/* PROPOSE sizes at both ends. */
	memset(&m, 0, sizeof(m));
	m.type = WIRE_PROPOSE;
	m.u.propose.pid = pid;
	m.u.propose.kind = WIRE_KIND_START;
	m.u.propose.members = 1ULL << 63;
	m.u.propose.count = 1;
	m.u.propose.incarnations[0] = 9;
	put("fuzz_wire", "PROPOSE-1", buf, enc(&m, buf, sizeof(buf)));
	m.u.propose.kind = WIRE_KIND_REMOVE;
	m.u.propose.members = ~0ULL;
	m.u.propose.count = 64;
	for (i = 0; i < 64; i++)
		m.u.propose.incarnations[i] = 1000 + i;
	n = enc(&m, buf, sizeof(buf));
	put("fuzz_wire", "PROPOSE-64", buf, n);

	/* Broken: truncated, oversized length, bad reserved. */
	put("fuzz_wire", "bad-truncated", buf, n - 1);
	buf[4] = 0x01;		/* length WIRE_MAX_PAYLOAD + 1 */
	buf[5] = 0x00;
	buf[6] = 0x01;
	buf[7] = 0x00;
	put("fuzz_wire", "bad-oversized", buf, WIRE_HDR_SIZE);
	memset(&m, 0, sizeof(m));
	m.type = WIRE_COMMIT;
	m.u.pid = pid;
	n = enc(&m, buf, sizeof(buf));
	buf[8] = 1;
	put("fuzz_wire", "bad-reserved", buf, n);

	/* Database frames at their edges. */
	memset(&m, 0, sizeof(m));
	m.type = WIRE_DB_UPDATE;
	m.u.db.id = 99;
	m.u.db.node = 0;
	m.u.db.flags = WIRE_DBF_TOMB | WIRE_DBF_ACK;
	fotos_vclock_init(&m.u.db.clock, 1);
	m.u.db.clock.c[0] = 1;
	m.u.db.klen = 1;
	m.u.db.key = key;
	put("fuzz_wire", "DB_UPDATE-delete", buf, enc(&m, buf, sizeof(buf)));
	m.u.db.flags = WIRE_DBF_TOMB | WIRE_DBF_GC;
	put("fuzz_wire", "DB_UPDATE-gc", buf, enc(&m, buf, sizeof(buf)));
	m.u.db.flags = WIRE_DBF_SYNC;
	fotos_vclock_init(&vc, FOTOS_MAX_MEMBERS);
	for (i = 0; i < FOTOS_MAX_MEMBERS; i++)
		vc.c[i] = 1000 + i;
	m.u.db.clock = vc;
	for (i = 0; i < sizeof(bigval); i++)
		bigval[i] = (uint8_t)(i * 31 + 7);
	m.u.db.klen = sizeof(key) - 1;
	m.u.db.vlen = sizeof(bigval);
	m.u.db.val = bigval;
	put("fuzz_wire", "DB_UPDATE-sync-64", buf, enc(&m, buf, sizeof(buf)));
	m.type = WIRE_DB_CAS;
	m.u.db.flags = WIRE_DBF_EMPTY | WIRE_DBF_ACK;
	fotos_vclock_init(&m.u.db.clock, 0);
	m.u.db.vlen = sizeof(val) - 1;
	m.u.db.val = val;
	put("fuzz_wire", "DB_CAS-absent", buf, enc(&m, buf, sizeof(buf)));
	memset(&m, 0, sizeof(m));
	m.type = WIRE_DB_CAS_REPLY;
	m.u.db.id = 6;
	m.u.db.clock = vc;
	put("fuzz_wire", "DB_CAS_REPLY-ok-64", buf, enc(&m, buf, sizeof(buf)));

	/* A rendezvous round: a PREPARE with a group and no writes. */
	memset(&m, 0, sizeof(m));
	m.type = WIRE_TXN_PREPARE;
	m.u.txn.id = pid;
	m.u.txn.view_id = 0x1234;
	m.u.txn.members = 7;
	m.u.txn.timeout_ms = 2000;
	m.u.txn.glen = 4;
	memcpy(m.u.txn.group, "meet", 4);
	put("fuzz_wire", "TXN_PREPARE-rendezvous", buf, enc(&m, buf, sizeof(buf)));
}

/* A header as the agent writes it, into map of total bytes. */
static void fill_hdr(uint8_t *map, const struct shm_layout *l, int compact)
{
	struct fotos_shm_hdr *h = (struct fotos_shm_hdr *)map;

	h->magic = FOTOS_SHM_MAGIC;
	h->hdr_size = sizeof(*h);
	h->total_size = l->total_size;
	h->agent_pid = 1234;
	h->agent_start_ns = 1700000000000000000ULL;
	h->stale_after_ns = 1000000000ULL;
	snprintf(h->control_path, sizeof(h->control_path), "/run/fotos/n1.sock");
	snprintf(h->node_name, sizeof(h->node_name), "n1");
	snprintf(h->cluster_name, sizeof(h->cluster_name), "demo");
	h->nsect = 4;
	h->sect[0] = (struct fotos_shm_sect){ FOTOS_SECT_DOORBELL, 0, l->doorbell_off, FOTOS_PAGE };
	h->sect[1] = (struct fotos_shm_sect){ FOTOS_SECT_STATE, 8, l->state_off, FOTOS_PAGE };
	h->sect[2] = (struct fotos_shm_sect){ FOTOS_SECT_VIEW, sizeof(struct fotos_shm_member),
					      l->view_off, l->db_off - l->view_off };
	h->sect[3] = (struct fotos_shm_sect){ FOTOS_SECT_DB, 0, l->db_off, l->db_size };
	if (compact) {
		/* Every region in page 1 and beyond: legal, and small to fuzz. */
		h->sect[0].size = sizeof(struct fotos_shm_doorbell);
		h->sect[1].size = 8 + 8 * FOTOS_SW_NWORDS;
		h->sect[2].size = 8 + sizeof(struct fotos_shm_view);
		h->sect[3].size = sizeof(struct fotos_shm_db);
	}
	atomic_store_explicit(&h->heartbeat_ns, 5000000000ULL, memory_order_relaxed);
	atomic_store_explicit(&h->seg_state, FOTOS_SEG_RUNNING, memory_order_relaxed);
	atomic_store_explicit(&h->abi, FOTOS_ABI_VERSION, memory_order_relaxed);
}

static void check_shm(const void *map, size_t len, int want)
{
	struct shm_layout l;
	int ret = shm_validate(map, len, &l);

	if (ret != want) {
		fprintf(stderr, "gen_corpus: shm seed validates to %d, want %d\n", ret, want);
		exit(1);
	}
}

static void gen_shm(void)
{
	struct shm_layout l;
	uint8_t *map;
	size_t len;

	/* The real layout the agent creates (about 84 KiB, mostly zero). */
	shm_layout_default(&l);
	map = aligned_alloc(FOTOS_PAGE, l.total_size);
	memset(map, 0, l.total_size);
	fill_hdr(map, &l, 0);
	check_shm(map, l.total_size, 0);
	put("fuzz_shm", "default-layout", map, l.total_size);
	free(map);

	/* Compact: every region at offset 4096, file just big enough. */
	len = FOTOS_PAGE + 8 + sizeof(struct fotos_shm_view);
	l.doorbell_off = l.state_off = l.view_off = l.db_off = FOTOS_PAGE;
	l.db_size = sizeof(struct fotos_shm_db);
	l.total_size = len;
	map = aligned_alloc(FOTOS_PAGE, 3 * FOTOS_PAGE);
	memset(map, 0, 3 * FOTOS_PAGE);
	fill_hdr(map, &l, 1);
	/* overlapping regions: refused (a waiter count must never land in data) */
	check_shm(map, len, -EPROTO);
	put("fuzz_shm", "compact", map, len);

	atomic_store_explicit(&((struct fotos_shm_hdr *)map)->abi, 0, memory_order_relaxed);
	check_shm(map, len, -EAGAIN);
	put("fuzz_shm", "initialising", map, len);

	atomic_store_explicit(&((struct fotos_shm_hdr *)map)->abi, (FOTOS_ABI_MAJOR + 1) << 16,
			      memory_order_relaxed);
	check_shm(map, len, -EPROTONOSUPPORT);
	put("fuzz_shm", "other-major", map, len);

	/* A later minor version with a fifth, unknown region kind. */
	{
		struct shm_layout d;
		uint8_t *m2;

		shm_layout_default(&d);
		m2 = aligned_alloc(FOTOS_PAGE, d.total_size);
		memset(m2, 0, d.total_size);
		fill_hdr(m2, &d, 0);
		atomic_store_explicit(&((struct fotos_shm_hdr *)m2)->abi, FOTOS_ABI_VERSION | 1,
				      memory_order_relaxed);
		((struct fotos_shm_hdr *)m2)->nsect = 5;
		((struct fotos_shm_hdr *)m2)->sect[4] = (struct fotos_shm_sect){ 6, 0, FOTOS_PAGE, 64 };
		check_shm(m2, d.total_size, 0);
		put("fuzz_shm", "minor-extra-region", m2, d.total_size);
		free(m2);
	}

	put("fuzz_shm", "header-only", map, sizeof(struct fotos_shm_hdr));
	free(map);
}

static void gen_conf(void)
{
	put_text("good", "; demo cluster\n[cluster]\nname = demo\nheartbeat_ms = 100\n"
		 "timeout_ms = 500 ; five beats\nretry_min_ms = 20\nretry_max_ms = 1000\n"
		 "start_wait_ms = 0\n\n[node n1]\naddress = 127.0.0.1:7101\n"
		 "[node n2]\naddress = 127.0.0.1:7102\n# v6\n[node n3]\naddress = [::1]:7103\n");
	put_text("crlf", "[cluster]\r\nname = x\r\n[node a]\r\naddress = 10.0.0.1:1\r\n");
	put_text("no-newline", "[node a]\naddress = [fe80::1]:65535");
	put_text("bad-key", "[cluster]\nheartbeat = 5\n");
	put_text("bad-section", "[clusters]\n");
	put_text("dup-node", "[node a]\naddress = 1.2.3.4:5\n[node a]\naddress = 1.2.3.4:6\n");
	put_text("dup-addr", "[node a]\naddress = 1.2.3.4:5\n[node b]\naddress = 1.2.3.4:5\n");
	put_text("bad-port", "[node a]\naddress = 1.2.3.4:65536\n");
	put_text("bad-number", "[cluster]\ntimeout_ms = 1e3\n");
	put_text("range", "[cluster]\nheartbeat_ms = 0\n");
	put_text("no-address", "[node a]\n[node b]\naddress = 1.2.3.4:5\n");
	put_text("long-name", "[node abcdefghijklmnopqrstuvwxyz0123456789]\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s tests/fuzz/corpus\n", argv[0]);
		return 1;
	}
	outdir = argv[1];
	gen_wire();
	gen_shm();
	gen_conf();
	return 0;
}
