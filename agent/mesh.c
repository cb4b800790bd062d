/*
 * mesh.c - the links between agents: one TCP connection per pair of nodes.
 *
 * The lower-indexed node of a pair dials the higher one; that connection is
 * the pair's only data link, so the order of messages between two nodes is
 * the order they were sent (the FOTOS assumption). A higher-indexed node
 * that wants a link now (it just started) "kicks": it connects to the lower
 * one and sends a HELLO; the lower one closes that connection and dials at
 * once instead of waiting out its back-off.
 *
 * With a cluster key (auth.c) the HELLOs carry nonces, each end then sends
 * AUTH, and the link counts as up only once the peer's AUTH verified; every
 * frame after the HELLO carries a tag, checked before anything in it is
 * believed. A connection that fails is refused, logged with its address.
 *
 * Failure detection: a link that closes is down at once; a link on which
 * nothing arrived for timeout_ms is closed and down. Heartbeats are STATUS
 * messages, which also carry each node's view and links (gossip).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

void loop_start_conn(struct agent *a, int slot);

static const char *pname(const struct agent *a, int peer)
{
	return peer >= 0 && (unsigned)peer < a->conf.nnodes ? a->conf.nodes[peer].name : "?";
}

uint64_t mesh_seen(const struct agent *a)
{
	uint64_t m = mask_of(a->self);
	unsigned int i;

	for (i = 0; i < a->conf.nnodes; i++)
		if (a->peers[i].up)
			m |= mask_of((int)i);
	return m;
}

static int new_socket(const struct agent *a, int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)a;
	return fd;
}

/* Bind an outgoing socket to our own configured address (port 0): on a
 * multi-homed host the peer must see us at the address it knows. */
static int bind_own_address(const struct agent *a, int fd)
{
	struct sockaddr_storage ss = a->conf.nodes[a->self].addr;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	if (bind(fd, (struct sockaddr *)&ss, a->conf.nodes[a->self].addrlen) < 0)
		return -errno;
	return 0;
}

int mesh_init(struct agent *a)
{
	const struct conf_node *me = &a->conf.nodes[a->self];
	int one = 1, fd, i;

	for (i = 0; i < FOTOS_MAX_NODES; i++) {
		a->peers[i].conn = -1;
		a->peers[i].dial = -1;
		a->peers[i].backoff_ms = a->conf.retry_min_ms;
	}
	fd = new_socket(a, me->addr.ss_family);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A predecessor killed a moment ago may hold the port a little longer
	 * (the kernel tears its io_uring down asynchronously): wait for it. */
	for (i = 0; bind(fd, (const struct sockaddr *)&me->addr, me->addrlen) < 0; i++) {
		int err = -errno;

		if (err != -EADDRINUSE || i >= 100) {
			close(fd);
			return err;
		}
		if (i == 0)
			log_info("%s in use: waiting up to 2 s for it", me->addr_text);
		usleep(20000);
	}
	if (listen(fd, 128) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	a->listen_fd = fd;
	return 0;
}

static void send_msg_on(struct agent *a, int slot, const struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_FRAME + WIRE_TAG_SIZE];
	struct conn *c = &a->conns[slot];
	int n = wire_encode(m, buf, WIRE_MAX_FRAME);

	if (n < 0) {
		log_err("cannot encode %s: %s", wire_type_name(m->type), strerror(-n));
		return;
	}
	if (m->type == WIRE_HELLO)
		auth_hello_sent(&c->auth, buf, (uint32_t)n);
	else if (c->auth.sealed)
		n = (int)auth_seal(&c->auth, buf, (uint32_t)n);
	if (conn_send(a, slot, buf, (uint32_t)n) < 0) {
		log_warn("link to %s: send queue full or closed: dropping the link",
			 pname(a, a->conns[slot].peer));
		conn_close(a, slot);
		return;
	}
	a->msgs_out++;
}

int mesh_send(struct agent *a, int peer, const struct wire_msg *m)
{
	struct peer *p = &a->peers[peer];

	if (!p->up || p->conn < 0)
		return -ENOTCONN;
	send_msg_on(a, p->conn, m);
	p->last_tx_ns = a->now;
	return 0;
}

static void send_status(struct agent *a, int peer)
{
	struct wire_msg m = { .type = WIRE_STATUS };

	memb_status(a, &m.u.status);
	mesh_send(a, peer, &m);
}

void mesh_broadcast_status(struct agent *a)
{
	unsigned int i;

	for (i = 0; i < a->conf.nnodes; i++)
		if (a->peers[i].up)
			send_status(a, (int)i);
}

static void send_hello(struct agent *a, int slot, int peer)
{
	struct wire_msg m = { .type = WIRE_HELLO };

	m.u.hello.cluster_hash = a->cluster_hash;
	m.u.hello.incarnation = a->incarnation;
	m.u.hello.from = (uint16_t)a->self;
	m.u.hello.to = (uint16_t)peer;
	auth_hello_fill(&a->conns[slot].auth, a->have_key ? a->key : NULL, a->conf.encrypt,
			&m.u.hello);
	send_msg_on(a, slot, &m);
}

/* Next attempt after a failed one: exponential, with jitter so that many
 * nodes do not retry in lock step. */
static void backoff(struct agent *a, struct peer *p)
{
	uint32_t ms = p->backoff_ms;

	p->next_dial_ns = a->now + (uint64_t)(ms + (uint32_t)rand() % (ms / 4 + 1)) * 1000000ull;
	ms *= 2;
	p->backoff_ms = ms > a->conf.retry_max_ms ? a->conf.retry_max_ms : ms;
}

static void dial(struct agent *a, int peer)
{
	const struct conf_node *n = &a->conf.nodes[peer];
	enum conn_kind kind = peer > a->self ? CONN_PEER_OUT : CONN_KICK;
	int fd, slot, ret;

	fd = new_socket(a, n->addr.ss_family);
	if (fd < 0) {
		log_warn("socket: %s", strerror(-fd));
		backoff(a, &a->peers[peer]);
		return;
	}
	ret = bind_own_address(a, fd);
	if (ret < 0) {
		log_warn("bind to own address %s: %s", a->conf.nodes[a->self].addr_text, strerror(-ret));
		close(fd);
		backoff(a, &a->peers[peer]);
		return;
	}
	slot = conn_alloc(a, kind, fd);
	if (slot < 0) {
		close(fd);
		backoff(a, &a->peers[peer]);
		return;
	}
	a->conns[slot].peer = peer;
	a->peers[peer].dial = slot;
	conn_connect(a, slot, (const struct sockaddr *)&n->addr, n->addrlen);
}

void mesh_on_connected(struct agent *a, int slot, int res)
{
	struct conn *c = &a->conns[slot];
	struct peer *p = &a->peers[c->peer];

	if (res < 0) {
		log_debug("connect to %s: %s", pname(a, c->peer), strerror(-res));
		conn_close(a, slot);
		return;
	}
	send_hello(a, slot, c->peer);
	(void)p;
}

void mesh_on_accept(struct agent *a, int fd, const struct sockaddr_storage *sa)
{
	int one = 1, slot, i, pending = 0;

	/* Connections that have not proven themselves are capped, so that
	 * strangers can never take the slots real links and control clients
	 * need; each is cut at the timeout anyway (mesh_tick). */
	for (i = 0; i < MAX_CONNS; i++)
		pending += a->conns[i].kind == CONN_PEER_IN && !a->conns[i].established;
	if (pending >= PEER_PENDING_MAX) {
		static uint64_t last_ns;

		if (a->now - last_ns > 10000000000ull) {
			log_warn("%d peer connections not yet authenticated: refusing more "
				 "(a flood of strangers?)", pending);
			last_ns = a->now;
		}
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	slot = conn_alloc(a, CONN_PEER_IN, fd);
	if (slot < 0) {
		log_warn("refusing a connection: %s", strerror(-slot));
		close(fd);
		return;
	}
	if (sa) {
		a->conns[slot].sa = *sa;
		a->conns[slot].salen = sizeof(*sa);
	}
	loop_start_conn(a, slot);
}

static void link_up(struct agent *a, int slot, int peer, uint64_t inc)
{
	struct peer *p = &a->peers[peer];

	p->conn = slot;
	p->up = 1;
	p->incarnation = inc;
	p->have_st = 0;
	p->ups++;
	p->up_since_ns = a->now;
	p->backoff_ms = a->conf.retry_min_ms;
	p->last_tx_ns = 0;
	a->conns[slot].peer = peer;
	log_info("link to %s up (incarnation %llx)", pname(a, peer), (unsigned long long)inc);
	memb_link_up(a, peer);
	db_on_link_up(a, peer);
	send_status(a, peer);
}

/* Where a connection comes from, for the log of a refusal. */
static const char *conn_addr(const struct agent *a, const struct conn *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (c->salen && c->sa.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)&c->sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (c->salen && c->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&c->sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (c->peer >= 0) {
		snprintf(buf, len, "%s", a->conf.nodes[c->peer].addr_text);
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

/* Refuse a peer connection that failed authentication: log who, close.
 * A refused node retries at its back-off pace: one warning per claimed node
 * every 10 s, with a count of those in between, keeps the log readable. */
static void auth_refuse(struct agent *a, int slot, int claimed, const char *why)
{
	static uint64_t last_ns[FOTOS_MAX_NODES + 1];
	static unsigned int quiet[FOTOS_MAX_NODES + 1];
	int k = claimed >= 0 && claimed < (int)a->conf.nnodes ? claimed : FOTOS_MAX_NODES;
	char addr[80];

	a->auth_failures++;
	if (last_ns[k] && a->now - last_ns[k] < 10000000000ull) {
		quiet[k]++;
		log_debug("refusing the link from %s: %s",
			  conn_addr(a, &a->conns[slot], addr, sizeof(addr)), why);
	} else {
		log_warn("refusing the link from %s (says it is %s): %s%s",
			 conn_addr(a, &a->conns[slot], addr, sizeof(addr)),
			 k < FOTOS_MAX_NODES ? a->conf.nodes[k].name : "?", why,
			 quiet[k] ? " (and more refusals in the last 10 s)" : "");
		last_ns[k] = a->now;
		quiet[k] = 0;
	}
	conn_close(a, slot);
}

/* HELLO done both ways (and AUTH, with a key): this is now the peer's link. */
static void link_established(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	int from = c->peer;
	struct peer *p = &a->peers[from];

	c->established = 1;
	if (c->kind == CONN_PEER_OUT && p->dial == slot)
		p->dial = -1;
	/* A new link from the lower node means it gave up on the old one (or
	 * restarted); a dial of ours that completes replaces one too. */
	if (p->conn >= 0 && p->conn != slot) {
		if (c->kind == CONN_PEER_IN)
			log_info("%s opened a new link: closing the old one", pname(a, from));
		conn_close(a, p->conn);
	}
	link_up(a, slot, from, c->peer_inc);
}

/*
 * The first frame on every connection (raw: its bytes, for the keys).
 * 0, or < 0 to drop the connection (logged here).
 */
static int on_hello(struct agent *a, int slot, const struct wire_hello *h, const uint8_t *raw,
		    uint32_t raw_len)
{
	struct conn *c = &a->conns[slot];
	struct peer *p;
	const char *why = NULL;
	char addr[80];
	int from = h->from;

	if (h->cluster_hash != a->cluster_hash) {
		log_warn("refusing a HELLO from %s: another cluster (hash %llx)",
			 conn_addr(a, c, addr, sizeof(addr)), (unsigned long long)h->cluster_hash);
		return -EPROTO;
	}
	if (from >= (int)a->conf.nnodes || from == a->self || h->to != a->self) {
		log_warn("refusing a HELLO from %s: node index %d to %d: not a peer of node %d",
			 conn_addr(a, c, addr, sizeof(addr)), from, h->to, a->self);
		return -EPROTO;
	}
	p = &a->peers[from];
	c->hello_done = 1;
	c->peer_inc = h->incarnation;

	switch (c->kind) {
	case CONN_PEER_IN:
		if (from > a->self) {
			/* A kick: the higher node wants a link now. Unproven,
			 * but all it can cause is a dial to a configured
			 * address, which authenticates in its turn. */
			log_debug("kick from %s: dialing it now", pname(a, from));
			if (!p->up && p->dial < 0) {
				p->backoff_ms = a->conf.retry_min_ms;
				p->next_dial_ns = 0;
				dial(a, from);
			}
			return -ECONNABORTED;
		}
		c->peer = from;
		/* Not a word to a peer that cannot authenticate as we do. */
		if (auth_hello_ok(a->have_key ? a->key : NULL, h, &why) < 0) {
			auth_refuse(a, slot, from, why);
			return -EACCES;
		}
		send_hello(a, slot, from);
		break;
	case CONN_PEER_OUT:
		if (from != c->peer) {
			log_warn("dialed %s but %s answered: check the addresses in the config",
				 pname(a, c->peer), pname(a, from));
			return -EPROTO;
		}
		break;
	default:
		return -EPROTO;
	}
	if (auth_on_hello(&c->auth, a->have_key ? a->key : NULL, a->conf.encrypt, a->self, h,
			  raw, raw_len, &why) < 0) {
		auth_refuse(a, slot, from, why);
		return -EACCES;
	}
	if (c->auth.sealed) {
		struct wire_msg m = { .type = WIRE_AUTH };

		send_msg_on(a, slot, &m);	/* our proof; the link waits for theirs */
		return 0;
	}
	link_established(a, slot);
	return 0;
}

void mesh_on_data(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	uint32_t off = 0;

	while (!c->closing) {
		struct wire_msg m;
		uint32_t tag = c->auth.sealed ? WIRE_TAG_SIZE : 0;
		int n = wire_frame_len(c->rbuf + off, c->rlen - off);
		uint8_t *frame = c->rbuf + off;

		if (n == 0 || (n > 0 && c->rlen - off < (uint32_t)n + tag))
			break;
		/* The tag first: nothing of a frame is believed before it. */
		if (n > 0 && tag && auth_open(&c->auth, frame, (uint32_t)n) < 0) {
			auth_refuse(a, slot, c->peer, c->established ?
				    "a frame failed authentication (forged, altered or replayed)" :
				    "its AUTH failed: it does not hold this cluster's key");
			return;
		}
		if (n > 0 && wire_decode(frame, (size_t)n, &m) < 0)
			n = -EPROTO;
		if (n < 0) {
			a->bad_frames++;
			log_warn("link %s: malformed frame (%s): closing it",
				 c->peer >= 0 ? pname(a, c->peer) : "(no hello yet)", strerror(-n));
			conn_close(a, slot);
			return;
		}
		off += (uint32_t)n + tag;
		a->msgs_in++;
		if (!c->hello_done) {
			if (m.type != WIRE_HELLO || on_hello(a, slot, &m.u.hello, frame, (uint32_t)n) < 0) {
				if (m.type != WIRE_HELLO)
					log_warn("first frame is %s, not HELLO: closing",
						 wire_type_name(m.type));
				if (!c->closing)
					conn_close(a, slot);
				return;
			}
			continue;
		}
		if (c->kind == CONN_KICK)
			continue;	/* nothing but the close is expected */
		if (m.type == WIRE_HELLO || (m.type == WIRE_AUTH) == !!c->established) {
			log_warn("%s: %s %s: closing", pname(a, c->peer), wire_type_name(m.type),
				 m.type == WIRE_HELLO ? "again on a link" :
				 c->established ? "again on a link" : "before AUTH");
			conn_close(a, slot);
			return;
		}
		if (m.type == WIRE_AUTH) {
			c->auth.proven = 1;
			log_debug("link with %s authenticated%s", pname(a, c->peer),
				  c->auth.encrypt ? " and encrypted" : "");
			link_established(a, slot);
			continue;
		}
		if (c->peer < 0 || a->peers[c->peer].conn != slot)
			continue;	/* a link that is being replaced */
		if (m.type == WIRE_STATUS) {
			a->peers[c->peer].st = m.u.status;
			a->peers[c->peer].have_st = 1;
			a->peers[c->peer].st_rx_ns = a->now;
			a->dirty = 1;
			continue;
		}
		if (m.type >= WIRE_TXN_PREPARE)
			txn_on_msg(a, c->peer, &m);
		else if (m.type >= WIRE_DB_UPDATE)
			db_on_msg(a, c->peer, &m);
		else
			memb_on_msg(a, c->peer, &m);
	}
	if (c->closing)
		return;
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

void mesh_on_close(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	struct peer *p;

	if (c->peer < 0)
		return;
	p = &a->peers[c->peer];
	if (p->dial == slot) {
		p->dial = -1;
		if (!p->up)
			backoff(a, p);
	}
	if (p->conn == slot) {
		p->conn = -1;
		p->up = 0;
		p->have_st = 0;
		p->downs++;
		p->down_ns = a->now;
		log_info("link to %s down", pname(a, c->peer));
		db_on_link_down(a, c->peer);
		/* Redial soon: a link that was up is worth a quick retry. */
		p->backoff_ms = a->conf.retry_min_ms;
		backoff(a, p);
		memb_link_down(a, c->peer);
		txn_on_link_down(a, c->peer);
		/* tell the others at once: they judge broken pairs by gossip */
		mesh_broadcast_status(a);
	}
}

void mesh_tick(struct agent *a)
{
	uint64_t timeout = (uint64_t)a->conf.timeout_ms * 1000000ull;
	uint64_t hb = (uint64_t)a->conf.heartbeat_ms * 1000000ull;
	unsigned int i;

	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &a->conns[i];

		if (c->kind == CONN_FREE || c->closing || c->kind == CONN_CTL)
			continue;
		/* Silent for the failure timeout: the link is down. A stranger
		 * that has not said HELLO (and proven the key) within the
		 * timeout is cut too, however slowly it trickles bytes. */
		if (a->now - c->last_rx_ns > timeout ||
		    (!c->established && a->now - c->opened_ns > timeout)) {
			if (c->established && c->peer >= 0 && a->peers[c->peer].conn == (int)i)
				log_info("link to %s silent for %u ms: down",
					 pname(a, c->peer), a->conf.timeout_ms);
			conn_close(a, (int)i);
		}
	}
	for (i = 0; i < a->conf.nnodes; i++) {
		struct peer *p = &a->peers[i];

		if ((int)i == a->self)
			continue;
		if (p->up && a->now - p->last_tx_ns >= hb)
			send_status(a, (int)i);
		if (!p->up && p->dial < 0 && a->now >= p->next_dial_ns) {
			dial(a, (int)i);	/* kicks repeat at the back-off pace too */
		}
	}
}
