/*
 * Description: libFuzzer target for the control-socket decoder: the real
 * ctl_on_data() (agent/ctl.c) and the parsers behind it (db.c's put, del,
 * get, batch, dbstat; txn.c's txn, rendezvous, rdv-join, rdv-leave), fed
 * arbitrary bytes as if a control client had sent them.
 *
 * The agent is a real one with one node, set up once: its configuration
 * parsed from text by conf.c, a shared-memory segment of a small database
 * (32 versions, 32-byte keys, 256-byte values, so "full" and "too big" are
 * in reach; the name is unlinked at once, only the mapping is used), an
 * io_uring ring (txn.c flushes it), and a view of itself alone. Nothing is
 * ever sent: the connections are never "connected", so conn_send() only
 * queues, and the queue is emptied between reads as if the client read it.
 *
 * Input: the first byte chooses the mode, the rest is the byte stream.
 *   bit 0    the client may not write (conn->may_write = 0)
 *   bit 1    this node is in no network (txn and rendezvous refuse)
 *   bit 2    two clients: successive reads alternate between them
 *   bits 3-5 the size of each read: 1 2 3 7 16 61 all 4096 bytes (the
 *            first 1024 reads; then all, so a long input stays quick)
 *   bit 7    at the end the clients hang up before the deadlines pass
 * so a seed file starting with '0' is one writing client, reads of the
 * whole buffer, in a network ('1': read-only; '2': no network; '4': two
 * clients; '@': one byte a read; 'P': three bytes a read; 'x': 4096;
 * '$': two clients taking turns at 16 bytes; '\260': '0' hanging up
 * first). tests/fuzz/gen_ctl_corpus.sh writes the seeds.
 *
 * Like loop.c, each read appends to rbuf (never past rcap: rbuf full is
 * "cannot happen" and aborts here), calls ctl_on_data(), drops what was
 * queued, closes a client asked to close once its reply is sent, resumes
 * a paused one, and ends the turn (db_turn) and ticks (db_tick, txn_tick)
 * with the clock a millisecond on ($FUZZ_CTL_ECHO=1 prints the replies,
 * to check what a seed does). A client that was closed is replaced by
 * a new one for the following bytes. At the end the clock jumps two hours
 * and the clients disconnect (before that with bit 7): then nothing may be
 * left (no transaction, participant, held reply, pending write or wait) --
 * else abort, since state that outlives its clients and every deadline is
 * a leak of the agent's. The database and the transaction state are then
 * restored, so each input runs alone and deterministically. A client that
 * nothing refers to any more is kept for the next input with its buffers
 * emptied, rather than closed: a fresh 128 KB receive buffer per input is
 * most of the time spent under ASan.
 *
 *   sh tests/fuzz/run.sh 60                  (libFuzzer, clang)
 *   build/release/tests/replay_fuzz_ctl tests/fuzz/corpus/fuzz_ctl
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct agent *A;	/* main.c's, which is not linked in */

#define NCLIENTS	2
#define MAX_READS	1024	/* reads of the chosen size; then whole ones */
#define T0_NS		1000000000000ull	/* the clock at the start of each input */
#define INCARNATION	1700000000000000000ull

static struct agent agent;
static unsigned char *db_copy;	/* the database region as db_init() left it */
static size_t db_copy_len;
static const uint32_t read_sizes[8] = { 1, 2, 3, 7, 16, 61, UINT32_MAX, 4096 };
static int echo;		/* $FUZZ_CTL_ECHO: replies to stderr, to check seeds */
static int client[NCLIENTS] = { -1, -1 };	/* slots, kept between inputs */
static uint32_t client_gen[NCLIENTS];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ctl: %s\n", what);
	abort();
}

/* The view of this node alone (in_network), or none. */
static void set_view(struct agent *a, int in_network)
{
	struct memb *mb = &a->memb;

	memb_init(a);
	if (in_network) {
		mb->state = FOTOS_ST_STABLE;
		mb->in_network = 1;
		mb->stable = 1;
		mb->view.epoch = 1;
		mb->view.view_id = 1;
		mb->view.net_id = 1;
		mb->view.members = mask_of(a->self);
		mb->view.inc[a->self] = a->incarnation;
		mb->view.from.incarnation = a->incarnation;
		mb->view.from.seq = 1;
		mb->view.from.proposer = (uint16_t)a->self;
		mb->views_installed = 1;
	}
}

/* Once: a one-node agent as main.c builds it, minus sockets and the loop. */
static void setup(void)
{
	static const char ini[] =
		"[cluster]\n"
		"name = fuzz\n"
		"db_max_keys = 32\n"
		"db_max_key = 32\n"
		"db_max_value = 256\n"
		"[node n0]\n"
		"address = 127.0.0.1:7999\n";
	struct agent *a = &agent;
	struct shm_params sp = { 0 };
	char err[256];
	int ret;

	A = a;
	echo = getenv("FUZZ_CTL_ECHO") != NULL;
	conf_defaults(&a->conf);
	if (conf_parse(&a->conf, ini, sizeof(ini) - 1, "fuzz.ini", err, sizeof(err)) < 0)
		die(err);
	a->conf.self = 0;
	snprintf(a->conf.shm_name, sizeof(a->conf.shm_name), "/fotos-fuzz-ctl-%ld",
		 (long)getpid());
	snprintf(a->conf.control_path, sizeof(a->conf.control_path), "/nonexistent/fuzz-ctl.sock");
	if (conf_finish(&a->conf, err, sizeof(err)) < 0)
		die(err);
	a->self = a->conf.self;
	log_init(a->conf.nodes[a->self].name, LOG_ERR);
	a->incarnation = INCARNATION;
	a->cluster_hash = wire_hash(a->conf.cluster, strlen(a->conf.cluster), 0);
	a->now = T0_NS;
	a->listen_fd = a->ctl_fd = -1;
	a->arb.pidfd = -1;
	a->epfd = -1;
	a->tick_ns = 50000000ull;
	for (ret = 0; ret < MAX_CONNS; ret++) {
		a->conns[ret].kind = CONN_FREE;
		a->conns[ret].fd = -1;
	}
	ret = io_uring_queue_init(8, &a->ring, 0);
	if (ret < 0)
		die("io_uring_queue_init failed");

	pub_segment_params(a, &sp);
	sp.mode = 0600;
	ret = shm_segment_create(&sp, &a->seg);
	if (ret < 0)
		die("shm_segment_create failed");
	/* The mapping is all we need: leave nothing in /dev/shm, even on a crash. */
	shm_unlink(a->conf.shm_name);
	db_init(a);
	if (persist_init(a) < 0)	/* no data_dir: in memory */
		die("persist_init failed");
	set_view(a, 1);
	pub_all(a);

	db_copy_len = a->seg.l.db_size;
	db_copy = malloc(db_copy_len);
	if (!db_copy)
		die("out of memory");
	memcpy(db_copy, a->seg.db, db_copy_len);
}

/* A new control client in a free slot (ctl_on_accept without the socket). */
static int open_client(struct agent *a, int may_write)
{
	int slot = conn_alloc(a, CONN_CTL, -1);

	if (slot < 0)
		die("conn_alloc failed");
	a->conns[slot].may_write = may_write;
	return slot;
}

static int client_alive(const struct agent *a, int slot, uint32_t gen)
{
	const struct conn *c;

	if (slot < 0)
		return 0;
	c = &a->conns[slot];
	return c->kind == CONN_CTL && !c->closing && c->gen == gen;
}

/* What loop.c does once the queued replies are sent: resume or close. */
static void drain(struct agent *a, int slot, uint32_t gen)
{
	struct conn *c = &a->conns[slot];

	while (client_alive(a, slot, gen)) {
		if (echo && c->wlen)
			fprintf(stderr, "[%d] %.*s", slot, (int)c->wlen, (const char *)c->wbuf);
		c->wlen = 0;
		if (c->close_after_send) {
			conn_close(a, slot);
			return;
		}
		if (!c->paused)
			return;
		c->paused = 0;
		ctl_on_data(a, slot);
	}
}

static void drain_all(struct agent *a)
{
	int k;

	for (k = 0; k < NCLIENTS; k++)
		if (client[k] >= 0)
			drain(a, client[k], client_gen[k]);
}

/* The end of a loop turn and a tick, a millisecond later. */
static void turn(struct agent *a)
{
	a->now += 1000000ull;
	db_turn(a);
	db_tick(a);
	txn_tick(a);
	db_turn(a);
}

/* Every client hangs up. */
static void hang_up(struct agent *a)
{
	int k;

	for (k = 0; k < NCLIENTS; k++)
		if (client_alive(a, client[k], client_gen[k]))
			conn_close(a, client[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent *a = &agent;
	unsigned int nclients, i = 0;
	uint32_t chunk;
	uint8_t mode;
	int k;

	if (!db_copy)
		setup();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	nclients = mode & 4 ? 2 : 1;
	chunk = read_sizes[(mode >> 3) & 7];

	a->now = T0_NS;
	log_set_level(LOG_ERR);
	set_view(a, !(mode & 2));
	txn_on_view(a);
	for (k = 0; k < NCLIENTS; k++) {
		struct conn *c;

		if (!client_alive(a, client[k], client_gen[k]))
			continue;
		c = &a->conns[client[k]];
		c->rlen = c->wlen = c->scanned = 0;
		c->paused = c->close_after_send = 0;
		c->may_write = !(mode & 1);
	}

	while (size) {
		struct conn *c;
		uint32_t n;

		if (i == MAX_READS)
			chunk = UINT32_MAX;
		k = (int)(i++ % nclients);
		if (!client_alive(a, client[k], client_gen[k])) {
			client[k] = open_client(a, !(mode & 1));
			client_gen[k] = a->conns[client[k]].gen;
		}
		c = &a->conns[client[k]];
		if (c->rlen >= c->rcap)
			die("receive buffer full (ctl_on_data must consume every line)");
		n = c->rcap - c->rlen;
		if (n > chunk)
			n = chunk;
		if (n > size)
			n = (uint32_t)size;
		memcpy(c->rbuf + c->rlen, data, n);
		c->rlen += n;
		data += n;
		size -= n;
		ctl_on_data(a, client[k]);
		if (client_alive(a, client[k], client_gen[k]) && c->rlen > c->rcap)
			die("rlen past rcap");
		drain_all(a);
		turn(a);
		drain_all(a);
	}

	/* Every deadline passes, and the clients go away (bit 7: first). */
	if (mode & 0x80)
		hang_up(a);
	a->now += 2 * 3600 * 1000000000ull;
	turn(a);
	drain_all(a);
	turn(a);
	drain_all(a);
	if (a->txn.parts)
		hang_up(a);	/* rdv-join holds until the connection closes */
	turn(a);
	for (k = 0; k < MAX_CONNS; k++)
		if (a->conns[k].kind != CONN_FREE &&
		    !((k == client[0] && client_alive(a, k, client_gen[0])) ||
		      (k == client[1] && client_alive(a, k, client_gen[1]))))
			die("a connection slot is still in use after close");
	if (a->txn.list)
		die("a transaction outlived its clients and its deadline");
	if (a->txn.parts)
		die("a rendezvous participant outlived its connection");
	if (a->txn.replies)
		die("a held transaction reply outlived its client");
	if (a->db.pending)
		die("a pending write outlived its deadline");
	if (a->db.cas)
		die("a forwarded conditional write outlived its deadline");
	if (a->db.waits)
		die("a held database reply outlived its client");

	/* Back to the state of setup() for the next input. */
	memcpy(a->seg.db, db_copy, db_copy_len);
	db_init(a);
	memset(&a->txn, 0, sizeof(a->txn));
	return 0;
}
