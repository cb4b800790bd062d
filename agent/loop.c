/*
 * loop.c - the agent's one io_uring event loop and its connection table.
 *
 * Every I/O is an io_uring operation: accept, connect (with a linked
 * timeout), recv, send, and the tick timer. Completions are dispatched by
 * the kind of their connection to mesh.c or ctl.c (chosen at compile time,
 * no function pointers). A connection's slot is reused only after every
 * operation it had in flight has completed, so a late completion can never
 * touch a newer connection; its generation in the user_data double-checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "mem.h"

enum op {
	OP_ACCEPT = 1,
	OP_CTL_ACCEPT,
	OP_CONNECT,
	OP_LINK_TIMEOUT,
	OP_EPOLL,
	OP_SEND,
	OP_CANCEL,
	OP_TICK,
	OP_LOG_WRITE,
	OP_LOG_FSYNC,
	OP_CHILD,
};

#define SLOT_NONE	0xffffu

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t udata(unsigned int slot, uint32_t gen, enum op op)
{
	return ((uint64_t)slot << 32) | ((uint64_t)(gen & 0xffffff) << 8) | op;
}

/* An SQE, submitting what is queued if the ring is full. */
static struct io_uring_sqe *get_sqe(struct agent *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

	if (!sqe) {
		io_uring_submit(&a->ring);
		sqe = io_uring_get_sqe(&a->ring);
	}
	if (!sqe)
		log_err("io_uring submission queue full");	/* cannot happen after submit */
	return sqe;
}

/*
 * Receiving. The ring watches one epoll set (a multishot poll on its fd)
 * that holds every connection; a ready connection is read with recv().
 * Why not an io_uring recv per socket: a pending request holds a reference
 * to its socket, so when this process is killed the kernel closes the
 * socket only when it tears the ring down, a timer tick later (about 4 ms
 * here) - and that delay is every peer's fail-over time. An epoll set holds
 * no reference: the peers see the close at once.
 */
static void arm_epoll(struct agent *a)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, a->epfd, POLLIN);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, OP_EPOLL));
}

static void watch_recv(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int fl = fcntl(c->fd, F_GETFL);

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
	ev.data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)slot;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		log_err("epoll_ctl(ADD) on connection %d: %s", slot, strerror(errno));
	else
		c->watched = 1;
}

/* Stop reading a connection (closing, or closing once its reply is sent). */
void conn_stop_reading(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];

	if (c->watched) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		c->watched = 0;
	}
}

static void arm_send(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	struct io_uring_sqe *sqe;

	if (c->closing || c->inflight || !c->wlen || !c->connected)
		return;
	sqe = get_sqe(a);
	if (!sqe)
		return;
	c->inflight = c->wlen;
	c->inflight_buf = c->wbuf;
	io_uring_prep_send(sqe, c->fd, c->wbuf, c->inflight, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, udata((unsigned)slot, c->gen, OP_SEND));
	c->pending++;
}

static void arm_tick(struct agent *a)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return;
	io_uring_prep_timeout(sqe, &a->tick_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, OP_TICK));
}

static void arm_accept(struct agent *a, int fd, enum op op)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return;
	a->accept_salen = sizeof(a->accept_sa);
	if (op == OP_ACCEPT)
		io_uring_prep_accept(sqe, fd, (struct sockaddr *)&a->accept_sa, &a->accept_salen,
				     SOCK_CLOEXEC);
	else
		io_uring_prep_accept(sqe, fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, op));
}

/*
 * Take a free slot for fd. The buffers are sized by kind. Returns the slot
 * or -ENOMEM/-EMFILE (the caller closes fd).
 */
int conn_alloc(struct agent *a, enum conn_kind kind, int fd)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &a->conns[i];
		uint32_t gen = c->gen;

		if (c->kind != CONN_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->gen = gen + 1;
		c->kind = kind;
		c->fd = fd;
		c->peer = -1;
		c->rcap = kind == CONN_CTL ? CTL_LINE_MAX + 2 : 2 * WIRE_MAX_FRAME;
		c->rbuf = fotos_malloc(c->rcap);
		if (!c->rbuf) {
			c->kind = CONN_FREE;
			return -ENOMEM;
		}
		c->opened_ns = c->last_rx_ns = a->now;
		return i;
	}
	return -EMFILE;
}

/* Free a slot whose operations have all completed. */
static void conn_release(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];

	if (c->fd >= 0)
		close(c->fd);
	fotos_free(c->rbuf);
	if (c->inflight_buf != c->wbuf)
		fotos_free(c->inflight_buf);
	fotos_free(c->wbuf);
	c->rbuf = c->wbuf = c->inflight_buf = NULL;
	c->fd = -1;
	c->kind = CONN_FREE;
	auth_wipe(&c->auth);
}

/*
 * Close a connection: tell its owner at once (a peer link is down now),
 * then cancel its operations; the slot is freed when the last completes.
 */
void conn_close(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	struct io_uring_sqe *sqe;

	if (c->kind == CONN_FREE || c->closing)
		return;
	c->closing = 1;
	conn_stop_reading(a, slot);
	if (c->kind != CONN_CTL)
		mesh_on_close(a, slot);	/* a peer link is down now */
	shutdown(c->fd, SHUT_RDWR);
	if (c->pending == 0) {
		conn_release(a, slot);
		return;
	}
	sqe = get_sqe(a);
	if (!sqe)
		return;
	io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, udata((unsigned)slot, c->gen, OP_CANCEL));
	c->pending++;
}

/*
 * Queue len bytes on a connection. -ENOBUFS if the peer is so far behind
 * that its queue passed the limit (the caller closes it), -ENOMEM.
 */
int conn_send(struct agent *a, int slot, const void *data, uint32_t len)
{
	struct conn *c = &a->conns[slot];

	if (c->kind == CONN_FREE || c->closing)
		return -EPIPE;
	if (c->wlen + len > c->wcap) {
		uint32_t cap = c->wcap ? c->wcap : 4096;
		uint8_t *nb;

		while (cap < c->wlen + len)
			cap *= 2;
		if (cap > PEER_WBUF_MAX && c->kind != CONN_CTL)
			return -ENOBUFS;
		if (c->inflight && c->wbuf == c->inflight_buf) {
			/* The kernel may still read this buffer: copy, and free
			 * it when that send completes. */
			nb = fotos_malloc(cap);
			if (!nb)
				return -ENOMEM;
			memcpy(nb, c->wbuf, c->wlen);
		} else {
			nb = fotos_realloc(c->wbuf, cap);
			if (!nb)
				return -ENOMEM;
		}
		c->wbuf = nb;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
	arm_send(a, slot);
	return 0;
}

/* Start a non-blocking connect with a linked timeout of one failure timeout. */
int conn_connect(struct agent *a, int slot, const struct sockaddr *sa, socklen_t len)
{
	struct conn *c = &a->conns[slot];
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return -EBUSY;
	memcpy(&c->sa, sa, len);
	c->salen = len;
	io_uring_prep_connect(sqe, c->fd, (struct sockaddr *)&c->sa, c->salen);
	io_uring_sqe_set_data64(sqe, udata((unsigned)slot, c->gen, OP_CONNECT));
	sqe->flags |= IOSQE_IO_LINK;
	c->pending++;
	sqe = get_sqe(a);
	if (!sqe)
		return 0;
	io_uring_prep_link_timeout(sqe, &a->dial_ts, 0);
	io_uring_sqe_set_data64(sqe, udata((unsigned)slot, c->gen, OP_LINK_TIMEOUT));
	c->pending++;
	return 0;
}

/* A watched connection is readable: read what is there (a bounded number
 * of times, so one busy peer cannot starve the others). */
static void on_readable(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	int round;

	/* control clients get one read a turn: peers come first */
	for (round = 0; round < (c->kind == CONN_CTL ? 1 : 8) && !c->closing && c->watched; round++) {
		ssize_t n;

		if (c->rlen >= c->rcap) {
			/* cannot happen: handlers consume every whole frame/line */
			log_err("connection %d: receive buffer full: closing", slot);
			conn_close(a, slot);
			return;
		}
		n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (n < 0 && errno != ECONNRESET)
				log_debug("conn %d: recv: %s", slot, strerror(errno));
			conn_close(a, slot);
			return;
		}
		c->rlen += (uint32_t)n;
		c->last_rx_ns = a->now;
		if (c->kind == CONN_CTL)
			ctl_on_data(a, slot);
		else
			mesh_on_data(a, slot);
	}
}

/* Drain the epoll set after the ring said it is readable. */
static void on_epoll(struct agent *a)
{
	struct epoll_event evs[64];
	int n, i, rounds = 0;

	do {
		n = epoll_wait(a->epfd, evs, 64, 0);
		for (i = 0; i < n; i++) {
			unsigned int slot = (uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);

			if (slot < MAX_CONNS && a->conns[slot].kind != CONN_FREE &&
			    a->conns[slot].gen == gen && a->conns[slot].watched)
				on_readable(a, (int)slot);
		}
	} while (n == 64 && ++rounds < 16);
}

static void on_send(struct agent *a, int slot, int res)
{
	struct conn *c = &a->conns[slot];
	uint32_t n;

	if (c->inflight_buf != c->wbuf)
		fotos_free(c->inflight_buf);	/* replaced while the kernel read it */
	c->inflight_buf = NULL;
	if (c->closing)
		return;
	if (res < 0) {
		log_debug("conn %d: send: %s", slot, strerror(-res));
		conn_close(a, slot);
		return;
	}
	n = (uint32_t)res;
	if (n > c->inflight)
		n = c->inflight;
	memmove(c->wbuf, c->wbuf + n, c->wlen - n);
	c->wlen -= n;
	c->inflight = 0;
	if (!c->wlen && c->close_after_send) {
		conn_close(a, slot);
		return;
	}
	arm_send(a, slot);
	if (c->paused && c->wlen < CTL_QUEUE_PAUSE / 4) {
		/* it read its replies: serve what it sent meanwhile */
		c->paused = 0;
		watch_recv(a, slot);
		ctl_on_data(a, slot);
	}
}

/* Start receiving (and sending what was queued) once connected. */
static void conn_start(struct agent *a, int slot)
{
	a->conns[slot].connected = 1;
	watch_recv(a, slot);
	arm_send(a, slot);
}

/*
 * The periodic work: heartbeats, failure detection, timers of the
 * procedures, the liveness tick. Run after a batch of completions.
 */
static void tick(struct agent *a)
{
	/* A tick far too late means this process was paused (SIGSTOP,
	 * swapped, a VM stall). The silence of the links is then ours,
	 * not theirs: what they sent is waiting in the socket buffers.
	 * Do not judge them this round; read first. */
	if (a->last_tick_ns && a->now - a->last_tick_ns >
	    (uint64_t)a->conf.timeout_ms * 1000000ull / 2) {
		int i;

		a->stalls++;
		log_warn("loop stalled for %llu ms (paused?): not judging links this round",
			 (unsigned long long)((a->now - a->last_tick_ns) / 1000000ull));
		for (i = 0; i < MAX_CONNS; i++)
			a->conns[i].last_rx_ns = a->now;
	}
	a->last_tick_ns = a->now;
	mesh_tick(a);
	memb_tick(a);
	pub_heartbeat(a);
	db_tick(a);
	txn_tick(a);
	persist_tick(a);
	arbiter_tick(a);
}

static void dispatch(struct agent *a, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned int slot = (unsigned int)(ud >> 32);
	uint32_t gen = (uint32_t)(ud >> 8) & 0xffffff;
	enum op op = (enum op)(ud & 0xff);
	int res = cqe->res;
	struct conn *c;

	if (op == OP_TICK) {
		/* Run after the rest of this batch of completions, so that what
		 * the links delivered is read before their silence is judged. */
		a->tick_due = 1;
		arm_tick(a);
		return;
	}
	if (op == OP_CHILD) {
		arbiter_on_exit(a);
		return;
	}
	if (op == OP_EPOLL) {
		on_epoll(a);
		if (!(cqe->flags & IORING_CQE_F_MORE) && !a->stop)
			arm_epoll(a);	/* the kernel ended the multishot: again */
		return;
	}
	if (op == OP_LOG_WRITE) {
		persist_on_write(a, res);
		return;
	}
	if (op == OP_LOG_FSYNC) {
		persist_on_fsync(a, res == -ECANCELED ? -EIO : res);
		return;
	}
	if (op == OP_ACCEPT || op == OP_CTL_ACCEPT) {
		if (res >= 0) {
			if (op == OP_ACCEPT)
				mesh_on_accept(a, res, &a->accept_sa);
			else
				ctl_on_accept(a, res);
		} else if (res != -EINTR && res != -ECANCELED) {
			log_warn("accept: %s", strerror(-res));
		}
		if (!a->stop)
			arm_accept(a, op == OP_ACCEPT ? a->listen_fd : a->ctl_fd, op);
		return;
	}
	if (slot >= MAX_CONNS)
		return;
	c = &a->conns[slot];
	if (c->kind == CONN_FREE || (c->gen & 0xffffff) != gen) {
		log_err("completion for a stale connection slot %u (op %d)", slot, op);
		return;
	}
	c->pending--;
	switch (op) {
	case OP_CONNECT:
		if (!c->closing) {
			if (res == 0)
				conn_start(a, (int)slot);
			mesh_on_connected(a, (int)slot, res == -ECANCELED ? -ETIMEDOUT : res);
		}
		break;
	case OP_LINK_TIMEOUT:
	case OP_CANCEL:
		break;
	case OP_SEND:
		on_send(a, (int)slot, res);
		break;
	default:
		break;
	}
	if (c->closing && c->pending == 0)
		conn_release(a, (int)slot);
}

/* Append to the database log at off; with_fsync links an fdatasync. */
void loop_submit_log_write(struct agent *a, int fd, const void *buf, size_t len, uint64_t off,
			   int with_fsync)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return;
	io_uring_prep_write(sqe, fd, buf, (unsigned int)len, off);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, OP_LOG_WRITE));
	if (!with_fsync)
		return;
	sqe->flags |= IOSQE_IO_LINK;
	sqe = get_sqe(a);
	if (!sqe)
		return;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, OP_LOG_FSYNC));
}

void loop_submit_log_fsync(struct agent *a, int fd)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, OP_LOG_FSYNC));
}

/* Watch a child's pidfd: its exit completes an OP_CHILD. */
void loop_watch_child(struct agent *a, int pidfd)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, pidfd, POLLIN);
	io_uring_sqe_set_data64(sqe, udata(SLOT_NONE, 0, OP_CHILD));
}

void loop_flush(struct agent *a)
{
	io_uring_submit(&a->ring);
}

/* Called by mesh/ctl for accepted sockets: they are connected already. */
void loop_start_conn(struct agent *a, int slot);
void loop_start_conn(struct agent *a, int slot)
{
	conn_start(a, slot);
}

int loop_init(struct agent *a)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t tick_ms;
	int ret, i;

	for (i = 0; i < MAX_CONNS; i++) {
		a->conns[i].kind = CONN_FREE;
		a->conns[i].fd = -1;
	}
	ret = io_uring_queue_init(512, &a->ring, 0);
	if (ret < 0)
		return ret;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		return -errno;
	/* A tick of half the smaller of the heartbeat and a fifth of the
	 * timeout: heartbeats go out on time and a silent link is noticed
	 * within 10% of the timeout. */
	tick_ms = a->conf.heartbeat_ms < a->conf.timeout_ms / 5 ? a->conf.heartbeat_ms
								: a->conf.timeout_ms / 5;
	a->tick_ns = (tick_ms ? tick_ms : 1) * 1000000ull / 2;
	if (a->tick_ns < 500000)
		a->tick_ns = 500000;
	a->tick_ts.tv_sec = (long long)(a->tick_ns / 1000000000ull);
	a->tick_ts.tv_nsec = (long long)(a->tick_ns % 1000000000ull);
	a->dial_ts.tv_sec = a->conf.timeout_ms / 1000;
	a->dial_ts.tv_nsec = (long long)(a->conf.timeout_ms % 1000) * 1000000;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int loop_run(struct agent *a)
{
	a->now = now_ns();
	arm_tick(a);
	arm_epoll(a);
	arm_accept(a, a->listen_fd, OP_ACCEPT);
	if (a->ctl_fd >= 0)
		arm_accept(a, a->ctl_fd, OP_CTL_ACCEPT);
	mesh_tick(a);
	memb_evaluate(a);

	while (!a->stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;
		int ret = io_uring_submit_and_wait(&a->ring, 1);

		if (got_signal) {
			log_info("signal %d: stopping", (int)got_signal);
			a->stop = 1;
			break;
		}
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			log_err("io_uring_submit_and_wait: %s", strerror(-ret));
			return ret;
		}
		a->now = now_ns();
		io_uring_for_each_cqe(&a->ring, head, cqe) {
			dispatch(a, cqe);
			n++;
		}
		io_uring_cq_advance(&a->ring, n);
		if (a->tick_due) {
			a->tick_due = 0;
			tick(a);
		}
		if (a->dirty) {
			a->dirty = 0;
			memb_evaluate(a);
		}
		db_turn(a);
	}
	return 0;
}

void loop_fini(struct agent *a)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		if (a->conns[i].kind != CONN_FREE) {
			if (a->conns[i].fd >= 0)
				close(a->conns[i].fd);
			fotos_free(a->conns[i].rbuf);
			if (a->conns[i].inflight_buf != a->conns[i].wbuf)
				fotos_free(a->conns[i].inflight_buf);
			fotos_free(a->conns[i].wbuf);
			a->conns[i].kind = CONN_FREE;
		}
	io_uring_queue_exit(&a->ring);
	if (a->epfd >= 0)
		close(a->epfd);
}
