/*
 * agent.h - the state of one fotosd and the interfaces between its modules.
 *
 * Data flow, from the mesh to the reader's cache line:
 *
 *   loop.c   io_uring: accept, connect, recv, send, tick timer. Owns the
 *            connection table; hands bytes to mesh.c or ctl.c by kind.
 *   mesh.c   peer links: one TCP connection per pair (dialed by the lower
 *            index), HELLO handshake, framing via wire.c, heartbeats,
 *            failure detection. Reports link up/down and messages to memb.c.
 *   memb.c   the FOTOS procedures: network start, join, removal, merge,
 *            termination when a proposer dies. Decides the view.
 *   pub.c    writes state and view into the segment (shm/) and rings the
 *            futex doorbell; readers see it with zero system calls.
 *   ctl.c    the control socket: text requests from fotosctl and clients.
 *   txn.c    transactions (two-phase commit over db.c) and rendezvous of
 *            local processes on every member.
 *
 * Everything runs on the one loop thread: no locks anywhere in the agent.
 */
#ifndef FOTOS_AGENT_H
#define FOTOS_AGENT_H

#include <liburing.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth.h"
#include "conf.h"
#include "fotos.h"
#include "segment.h"
#include "wire.h"

#define MAX_CONNS	512
#define CTL_MAX_CLIENTS	128
#define PEER_PENDING_MAX 128	/* peer connections before HELLO/AUTH completes */
#define CTL_LINE_MAX	(128 * 1024)
#define CTL_QUEUE_PAUSE	(64 * 1024)	/* replies queued: stop reading that client */
#define PEER_WBUF_MAX	(64u << 20)	/* a peer this far behind is stuck: drop the link */
#define DB_BACKLOG_MAX	(16u << 20)	/* refuse new writes while a peer is this far behind */

enum conn_kind {
	CONN_FREE = 0,
	CONN_PEER_OUT,		/* we dialed a higher-index peer: a data link */
	CONN_PEER_IN,		/* accepted: a data link from a lower index, or a kick */
	CONN_KICK,		/* we dialed a lower-index peer only to ask it to dial us */
	CONN_CTL,		/* a control-socket client */
};

struct conn {
	enum conn_kind kind;
	int fd;
	uint32_t gen;
	int pending;		/* io_uring ops in flight */
	int closing;
	int connected;
	int close_after_send;	/* close once the queued reply is sent */
	int watched;		/* in the epoll set (being read) */
	int paused;		/* control client not read until its replies drain */
	int peer;		/* node index once known, else -1 */
	uint64_t peer_inc;	/* incarnation from its HELLO */
	int hello_done;		/* we received a valid HELLO */
	int may_write;		/* control client allowed to change things (SO_PEERCRED) */
	unsigned int cred_uid;	/* control client's uid, for refusals */
	int established;	/* peer link: HELLO (and AUTH, with a key) done */
	struct auth_link auth;	/* peer link: keys and counters (auth.c) */
	uint8_t *rbuf;
	uint32_t rlen, rcap;
	uint32_t scanned;	/* control: rbuf bytes searched for '\n' already */
	uint8_t *wbuf;
	uint32_t wlen, wcap;
	uint32_t inflight;	/* bytes of wbuf handed to the kernel */
	uint8_t *inflight_buf;	/* the buffer the kernel is sending from */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint64_t opened_ns;
	uint64_t last_rx_ns;
};

struct peer {
	int conn;		/* established data link, -1 if none */
	int dial;		/* conn slot of a dial or kick in progress, -1 */
	uint64_t incarnation;	/* of the live link's process */
	int up;
	uint64_t next_dial_ns;
	uint32_t backoff_ms;
	uint64_t last_tx_ns;
	struct wire_status st;	/* last gossip */
	int have_st;		/* st received on the current link */
	uint64_t ups, downs;	/* link flaps, for `peers` */
	uint64_t up_since_ns;	/* when the current link came up */
	uint64_t mismatch_ns;	/* since when it reports a view other than ours */
	uint64_t down_ns;	/* when the link last went down */
	uint64_t st_rx_ns;	/* when st was received */
	/* hold-down of a flapping node (see memb.c) */
	uint32_t removals;	/* times removed lately */
	uint64_t removed_inc;	/* incarnation it had when last removed */
	uint64_t removed_ns;
};

/* ---- membership ---- */

struct mview {
	uint64_t epoch, view_id, net_id, members;
	uint64_t inc[FOTOS_MAX_NODES];	/* by node index */
	struct wire_pid from;		/* the proposal that made it */
};

struct proposal {
	struct wire_propose p;		/* as sent */
	uint64_t inc[FOTOS_MAX_NODES];	/* by node index */
	uint64_t participants;		/* receivers: members except proposer */
	uint64_t yes;
	uint64_t started_ns;
	/* participant side, after the proposer was lost */
	int querying;
	uint64_t answered;		/* participants who answered "not committed" */
	uint64_t next_query_ns;
};

#define ABORTED_RING	64

struct memb {
	int state;			/* enum fotos_node_state */
	int in_network;
	int stable;
	struct mview view;
	uint32_t seq;
	int proposing;
	struct proposal mine;
	int locked;
	struct proposal lock;
	struct wire_pid aborted[ABORTED_RING];
	unsigned int aborted_next;
	struct wire_pid committed[ABORTED_RING];
	unsigned int committed_next;
	uint64_t start_ns;
	uint64_t next_try_ns;
	uint32_t backoff_ms;
	uint64_t need_since_ns;		/* when a change first seemed needed */
	uint64_t removed_count;
	uint64_t quarantine_until_ns;	/* left a network: no new one before this */
	uint64_t views_installed;
};

/* ---- database (db.c) ---- */

/* Where the answer to a write goes once it is acknowledged. */
struct db_reply_to {
	int kind;			/* 0 none, 1 control client, 2 peer (forwarded CAS) */
	int slot;			/* control connection */
	uint32_t gen;
	int peer;			/* forwarding node */
	uint64_t rid;			/* its request id */
};

struct db_pending {
	struct db_pending *next;
	uint64_t wid;
	struct db_reply_to to;
	uint64_t need, acked;		/* members that must / did acknowledge */
	uint64_t view_id;
	uint64_t started_ns;
	int tomb;
	int want_all;			/* the client asked for every member's ack */
	struct fotos_vclock clock;
	uint32_t klen;
	uint8_t key[];
};

struct db_cas_wait {
	struct db_cas_wait *next;
	uint64_t rid;
	struct db_reply_to to;
	int owner;
	uint64_t view_id;
	uint64_t started_ns;
};

struct db_sync {
	int active;
	uint64_t cursor;		/* next slot to send */
	uint64_t table_seq;		/* restart if slots moved meanwhile */
};

struct db {
	struct fotos_shm_db *hdr;
	unsigned char *slots;
	uint64_t mask, slot_size, nclock;
	uint64_t next_wid, next_rid;
	uint64_t counter;		/* our last clock counter (starts at the incarnation) */
	struct db_pending *pending;
	unsigned int npending;		/* entries in pending (DB_PENDING_MAX) */
	struct db_cas_wait *cas;
	struct db_sync sync[FOTOS_MAX_NODES];
	uint64_t applied, stale, refused_full, writes;
	int dirty;			/* ring the doorbell at the end of the turn */
	struct db_wait *waits, **waits_tail;	/* FIFO by log offset */
	uint64_t last_off;		/* log offset of the last record appended */
	/* durability (persist.c) */
	int log_fd;
	uint64_t log_off;
};

/* ---- durability (persist.c) ---- */
enum { FSYNC_NONE = 0, FSYNC_BATCH = 1, FSYNC_ALWAYS = 2 };

struct persist {
	int fd;				/* the log, -1 without --data-dir */
	int policy;
	uint8_t *buf;			/* records appended, not yet handed over */
	size_t len, cap;
	uint8_t *fbuf;			/* records the kernel is writing */
	size_t flen;
	int inflight, sync_pending, broken;
	uint64_t end;			/* log offset after what was handed over */
	uint64_t written, synced, fsync_target;
	uint64_t last_sync_ns;
};

/* A reply or an acknowledgement held until its record is durable. */
struct db_wait {
	struct db_wait *next;
	uint64_t off;
	int is_ack;			/* 1: DB_ACK(wid) to peer; 0: reply to `to` */
	int peer;
	uint64_t wid;
	struct db_reply_to to;
	int err;
	char ack[48];
	struct fotos_vclock clock;
};

/* ---- transactions and rendezvous (txn.c) ---- */

#define TXN_DONE_RING	256

struct txn;		/* a transaction this node takes part in */
struct rdv_part;	/* a local participant process of a group */
struct txn_reply;	/* an answer held until the commit is durable */

/* What became of a transaction: kept to answer late questions. */
struct txn_done {
	struct wire_pid id;
	uint8_t outcome;		/* WIRE_TXN_COMMIT / WIRE_TXN_ABORT */
	uint8_t reason;
	uint16_t detail;
};

struct txn_state {
	struct txn *list;		/* undecided, coordinated here or prepared here */
	struct rdv_part *parts;		/* registered participants and waiters */
	struct txn_reply *replies;
	uint32_t seq;			/* our transaction counter */
	struct txn_done done[TXN_DONE_RING];
	unsigned int done_next;
	uint64_t commits, aborts, rendezvous;
	/* test hooks ($FOTOS_TEST_TXN): see txn.c */
	int hook;
	uint32_t hook_ms;
	int die;			/* hook: SIGKILL ourselves at the next tick */
	int inited;
	int kick;			/* some group may need a new round */
	uint64_t view_id, members;	/* the view last seen by txn_on_view */
};

/* The command arbiter's state (arbiter.c). */
struct arbiter {
	int pid;			/* the command running, 0 none */
	int pidfd;
	uint64_t started_ns;
	uint64_t asking_view;		/* the view it is asked about */
	uint64_t answer_view;		/* the view the last answer is for */
	int answer;
};

/* Local access (access.c): resolved from group, write_users, write_groups. */
#define ACCESS_MAX_IDS	32
enum { ACCESS_NONE = 0, ACCESS_READ = 1, ACCESS_WRITE = 2 };
struct access {
	uid_t uid;		/* the agent's */
	gid_t gid;		/* the segment's group: configured, else the agent's */
	int have_group;
	unsigned int users[ACCESS_MAX_IDS], groups[ACCESS_MAX_IDS];
	int nusers, ngroups;
};

struct agent {
	struct conf conf;
	int self;
	uint64_t incarnation;
	uint64_t cluster_hash;
	uint8_t key[AUTH_KEY_SIZE];	/* the cluster key (key_file) */
	int have_key;			/* links authenticate */
	struct access access;		/* who may read and write locally */
	struct io_uring ring;
	struct conn conns[MAX_CONNS];
	struct peer peers[FOTOS_MAX_NODES];
	struct memb memb;
	struct shm_segment seg;
	struct db db;
	struct persist persist;
	struct arbiter arb;
	struct txn_state txn;
	int listen_fd, ctl_fd;
	int epfd;			/* every connection being read (see loop.c) */
	int listen_slot, ctl_slot;	/* pseudo connections for the accept ops */
	uint64_t now;			/* CLOCK_MONOTONIC ns, updated each loop turn */
	uint64_t tick_ns;
	uint64_t last_tick_ns;
	int tick_due;			/* the timer fired: run tick() after the batch */
	uint64_t stalls;		/* ticks that came far too late (paused) */
	int stop;
	int dirty;			/* membership must be re-evaluated */
	uint64_t msgs_in, msgs_out, bad_frames, auth_failures;
	struct sockaddr_storage accept_sa;
	socklen_t accept_salen;
	struct __kernel_timespec tick_ts, dial_ts;
};

extern struct agent *A;	/* the one agent of this process */

uint64_t now_ns(void);

static inline uint64_t mask_of(int i)
{
	return i >= 0 && i < 64 ? 1ull << i : 0;
}

/* loop.c */
int loop_init(struct agent *a);
int loop_run(struct agent *a);
void loop_fini(struct agent *a);
int conn_alloc(struct agent *a, enum conn_kind kind, int fd);
void conn_close(struct agent *a, int slot);
void conn_stop_reading(struct agent *a, int slot);
void loop_flush(struct agent *a);	/* submit what is queued now */
int conn_send(struct agent *a, int slot, const void *data, uint32_t len);
int conn_connect(struct agent *a, int slot, const struct sockaddr *sa, socklen_t len);

/* mesh.c */
int mesh_init(struct agent *a);
void mesh_on_accept(struct agent *a, int fd, const struct sockaddr_storage *sa);
void mesh_on_connected(struct agent *a, int slot, int res);
void mesh_on_data(struct agent *a, int slot);
void mesh_on_close(struct agent *a, int slot);
void mesh_tick(struct agent *a);
int mesh_send(struct agent *a, int peer, const struct wire_msg *m);
void mesh_broadcast_status(struct agent *a);
uint64_t mesh_seen(const struct agent *a);	/* links up, plus self */

/* memb.c */
void memb_init(struct agent *a);
void memb_link_up(struct agent *a, int peer);
void memb_link_down(struct agent *a, int peer);
void memb_on_msg(struct agent *a, int peer, const struct wire_msg *m);
void memb_tick(struct agent *a);
void memb_evaluate(struct agent *a);
void memb_status(const struct agent *a, struct wire_status *st);
int memb_primary(const struct agent *a);
uint64_t memb_hold_ms(const struct agent *a, int peer);

/* db.c */
int db_init(struct agent *a);
void db_on_msg(struct agent *a, int peer, const struct wire_msg *m);
void db_on_view(struct agent *a, uint64_t old_members, int was_in_network);
void db_on_link_down(struct agent *a, int peer);
void db_on_link_up(struct agent *a, int peer);
void db_turn(struct agent *a);		/* end of a loop turn: sync, doorbell */
void db_tick(struct agent *a);
/* Control requests; reply is written to (slot) now or later. */
void db_ctl_write(struct agent *a, int slot, char *args, int del);
void db_ctl_get(struct agent *a, int slot, char *args);
void db_ctl_batch(struct agent *a, int slot, char *args);
void db_ctl_stat(struct agent *a, int slot);
int db_unhex(const char *s, uint8_t *out, size_t cap, uint32_t *len);
char *db_next_word(char **s);
void ctl_reply(struct agent *a, int slot, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* txn.c */
void txn_on_msg(struct agent *a, int peer, const struct wire_msg *m);
void txn_on_view(struct agent *a);
void txn_on_link_down(struct agent *a, int peer);
void txn_tick(struct agent *a);
void txn_ctl(struct agent *a, int slot, char *args);		/* txn ... */
void txn_ctl_rdv(struct agent *a, int slot, char *args);	/* rendezvous GROUP MS [no] */
void txn_ctl_join(struct agent *a, int slot, char *args, int leave);	/* rdv-join/-leave */

/* db.c, for txn.c */
int db_key_state(struct agent *a, const uint8_t *key, uint32_t klen, struct fotos_vclock *merged,
		 int *absent);
int db_next_clock(struct agent *a, struct fotos_vclock *vc);
int db_apply_txn(struct agent *a, uint32_t writer, int tomb, const struct fotos_vclock *clock,
		 const uint8_t *key, uint32_t klen, const uint8_t *val, uint32_t vlen, uint64_t to);

/* db.c, for persist.c */
void db_load_record(struct agent *a, uint32_t writer, uint32_t flags, const struct fotos_vclock *vc,
		    const uint8_t *key, uint32_t klen, const uint8_t *val, uint32_t vlen, int gc);
int db_slot_version(struct agent *a, uint64_t i, struct fotos_vclock *vc, const uint8_t **key,
		    uint32_t *klen, const uint8_t **val, uint32_t *vlen, uint32_t *writer,
		    uint32_t *flags);

/* persist.c */
int persist_init(struct agent *a);
uint64_t persist_append(struct agent *a, uint32_t writer, uint32_t flags,
			const struct fotos_vclock *vc, const uint8_t *key, uint32_t klen,
			const uint8_t *val, uint32_t vlen, int gc);
uint64_t persist_durable(const struct agent *a);
void persist_flush(struct agent *a);
void persist_on_write(struct agent *a, int res);
void persist_on_fsync(struct agent *a, int res);
void persist_tick(struct agent *a);
void persist_fini(struct agent *a);

/* loop.c, for persist.c */
void loop_submit_log_write(struct agent *a, int fd, const void *buf, size_t len, uint64_t off,
			   int with_fsync);
void loop_submit_log_fsync(struct agent *a, int fd);

/* arbiter.c */
int arbiter_primary(const struct agent *a);
int arbiter_primary_of(const struct agent *a, uint64_t members);	/* -1: unknown */
void arbiter_tick(struct agent *a);
void arbiter_on_exit(struct agent *a);
void arbiter_fini(struct agent *a);
void loop_watch_child(struct agent *a, int pidfd);

/* pub.c */
/* The segment this agent creates, from its config (after loop_init: the
 * staleness bound follows the tick). */
void pub_segment_params(const struct agent *a, struct shm_params *sp);
void pub_all(struct agent *a);
void pub_heartbeat(struct agent *a);

/* ctl.c */
int ctl_init(struct agent *a);
/* access.c: resolve the configured group and write lists (0, or -EINVAL
 * with err); what a connected control client may do (ACCESS_*). */
int access_init(struct agent *a, char *err, size_t errlen);
int access_check(const struct agent *a, int fd, unsigned int *uid);
void ctl_on_accept(struct agent *a, int fd);
void ctl_on_data(struct agent *a, int slot);
void ctl_fini(struct agent *a);
int ctl_status_json(const struct agent *a, char *buf, size_t len);

#endif
