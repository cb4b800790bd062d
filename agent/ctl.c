/*
 * ctl.c - the control socket: a Unix stream socket speaking text lines.
 *
 * Request: one line of at most CTL_LINE_MAX bytes. Reply: one line,
 * "ok <text>" or "err <reason>". Commands: ping, status, peers,
 * log-level LEVEL, help, the database's put, del, get, batch, dbstat
 * (db.c; keys and values in hex), and txn, rendezvous, rdv-join, rdv-leave
 * (txn.c). Anything else is answered with an error naming it;
 * an over-long line is answered and the connection closed. Nothing a client
 * sends can change the membership. Who the client is comes from the kernel
 * at accept (access.c): others are refused, read-only clients get EPERM for
 * every request that changes something (is_write).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

void loop_start_conn(struct agent *a, int slot);

#define CTL_HELP "commands: ping, status, peers, log-level LEVEL, put KEYHEX VALHEX " \
	"[ack=all] [if=CLOCK|if=absent], del KEYHEX [ack=all] [if=...], get KEYHEX, " \
	"batch put K V;del K;..., dbstat, txn [group=G] [timeout=MS] put K V [if=..];del K;..., " \
	"rendezvous GROUP MS [no], rdv-join GROUP, rdv-leave GROUP, waiters-fd (libfotos), help"

static int mkdir_parent(const char *path)
{
	char dir[FOTOS_PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = 0;
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_init(struct agent *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = a->conf.control_path;
	int fd, ret;

	a->ctl_fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	ret = mkdir_parent(path);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file nobody answers on is left over from a dead agent (one
	 * killed a moment ago may still accept connections: ask it). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[16];

		if (write(fd, "ping\n", 5) == 5 && poll(&p, 1, 500) == 1 &&
		    read(fd, buf, sizeof(buf)) > 0 && !strncmp(buf, "ok", 2)) {
			close(fd);
			return -EADDRINUSE;
		}
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Anyone may connect: access_check() decides, from the kernel's
	 * credentials of the client, whether it may read or write. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	a->ctl_fd = fd;
	return 0;
}

void ctl_fini(struct agent *a)
{
	if (a->ctl_fd >= 0) {
		close(a->ctl_fd);
		unlink(a->conf.control_path);
		a->ctl_fd = -1;
	}
}

void ctl_on_accept(struct agent *a, int fd)
{
	int i, n = 0, slot, lvl;
	unsigned int uid;

	for (i = 0; i < MAX_CONNS; i++)
		n += a->conns[i].kind == CONN_CTL;
	if (n >= CTL_MAX_CLIENTS) {
		static const char msg[] = "err EBUSY too many control clients: retry later\n";

		log_warn("control socket: %d clients already: refusing another", n);
		if (write(fd, msg, sizeof(msg) - 1) < 0)
			log_debug("refused control client gone already");
		close(fd);
		return;
	}
	lvl = access_check(a, fd, &uid);
	if (lvl == ACCESS_NONE) {
		char msg[160];
		int len = snprintf(msg, sizeof(msg), "err EACCES uid %d is not allowed here "
				   "(only root, the agent's user, its group and write_users/"
				   "write_groups)\n", (int)uid);

		log_warn("control socket: refusing uid %d (not in the group or write lists)", (int)uid);
		if (write(fd, msg, (size_t)len) < 0)
			log_debug("refused control client gone already");
		close(fd);
		return;
	}
	slot = conn_alloc(a, CONN_CTL, fd);
	if (slot < 0) {
		close(fd);
		return;
	}
	a->conns[slot].may_write = lvl == ACCESS_WRITE;
	a->conns[slot].cred_uid = uid;
	loop_start_conn(a, slot);
}

/* JSON of the node's state, the same fields as `fotosctl status --json`. */
int ctl_status_json(const struct agent *a, char *buf, size_t len)
{
	const struct memb *mb = &a->memb;
	size_t off;
	int i, first = 1, op = mb->in_network && (mb->state == FOTOS_ST_STABLE ||
						  mb->state == FOTOS_ST_UNSTABLE);

	off = (size_t)snprintf(buf, len,
			       "{\"node\":\"%s\",\"state\":\"%s\",\"stable\":%s,\"primary\":%s,"
			       "\"epoch\":%llu,\"view_id\":%llu,\"incarnation\":%llu,\"members\":[",
			       a->conf.nodes[a->self].name, fotos_state_name((uint64_t)mb->state),
			       op && mb->state == FOTOS_ST_STABLE ? "true" : "false",
			       op ? "true" : "false",
			       (unsigned long long)(mb->in_network ? mb->view.epoch : 0),
			       (unsigned long long)(mb->in_network ? mb->view.view_id : 0),
			       (unsigned long long)a->incarnation);
	for (i = 0; i < FOTOS_MAX_NODES && off < len; i++) {
		if (!mb->in_network || !(mb->view.members & mask_of(i)))
			continue;
		off += (size_t)snprintf(buf + off, len - off,
					"%s{\"name\":\"%s\",\"address\":\"%s\",\"incarnation\":%llu}",
					first ? "" : ",", a->conf.nodes[i].name,
					a->conf.nodes[i].addr_text,
					(unsigned long long)mb->view.inc[i]);
		first = 0;
	}
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "]}");
	return off < len ? 0 : -ENOSPC;
}

static int peers_json(const struct agent *a, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "[");
	unsigned int i;

	for (i = 0; i < a->conf.nnodes && off < len; i++) {
		const struct peer *p = &a->peers[i];
		const char *link = "down";
		long long quiet = -1;

		if ((int)i == a->self)
			continue;
		if (p->up && p->conn >= 0)
			quiet = (long long)((a->now - a->conns[p->conn].last_rx_ns) / 1000000ull);
		if (p->up && p->conn >= 0)
			link = !a->conns[p->conn].auth.sealed ? "plain" :
			       a->conns[p->conn].auth.encrypt ? "encrypted" : "authenticated";
		off += (size_t)snprintf(buf + off, len - off,
					"%s{\"name\":\"%s\",\"address\":\"%s\",\"up\":%s,"
					"\"incarnation\":%llu,\"ups\":%llu,\"downs\":%llu,"
					"\"quiet_ms\":%lld,\"state\":\"%s\",\"link\":\"%s\"}",
					off > 1 ? "," : "", a->conf.nodes[i].name,
					a->conf.nodes[i].addr_text, p->up ? "true" : "false",
					(unsigned long long)p->incarnation,
					(unsigned long long)p->ups, (unsigned long long)p->downs, quiet,
					p->have_st ? fotos_state_name(p->st.state) : "unknown", link);
	}
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "]");
	return off < len ? 0 : -ENOSPC;
}

/* Printable copy of a request for an error message. */
static void sanitize(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len && i < 40; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = 0;
}

/* Send one reply line to a control client (closing it if it cannot take it). */
void ctl_reply(struct agent *a, int slot, const char *fmt, ...)
{
	static char line[CTL_LINE_MAX * 4];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		n = snprintf(line, sizeof(line), "err reply too long");
	line[n++] = '\n';
	if (conn_send(a, slot, line, (uint32_t)n) < 0)
		conn_close(a, slot);
}

static void reply(struct agent *a, int slot, const char *fmt, const char *arg)
{
	static char line[CTL_LINE_MAX * 4];
	int n = snprintf(line, sizeof(line), fmt, arg);

	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		n = snprintf(line, sizeof(line), "err reply too long");
	line[n++] = '\n';
	if (conn_send(a, slot, line, (uint32_t)n) < 0)
		conn_close(a, slot);
}

/*
 * waiters-fd: hand the sealed waiter page (shm/segment.c) to a client that
 * may only read the segment, so that its waits register and get woken
 * instead of polling. The fd rides with the reply (SCM_RIGHTS), sent at
 * once: so only as the first request of a connection (nothing queued).
 */
static void send_waiters_fd(struct agent *a, int slot)
{
	static const char ok[] = "ok waiters\n";
	struct conn *c = &a->conns[slot];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)ok, .iov_len = sizeof(ok) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	if (a->seg.waiters_fd < 0) {
		reply(a, slot, "err %s", "ENOTSUP no waiter page (the kernel lacks memfd sealing)");
		return;
	}
	if (c->wlen || c->inflight) {
		reply(a, slot, "err %s", "EAGAIN waiters-fd must be the first request on a connection");
		return;
	}
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &a->seg.waiters_fd, sizeof(int));
	if (sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(sizeof(ok) - 1))
		conn_close(a, slot);	/* a fresh socket that cannot take 11 bytes: gone */
}

/* Requests that change something: refused to read-only clients. */
static int is_write(const char *req)
{
	static const char *const w[] = { "put", "del", "batch", "txn", "rendezvous", "rdv-join",
					 "rdv-leave", "log-level" };
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (!strcmp(req, w[i]))
			return 1;
	return 0;
}

static void handle(struct agent *a, int slot, char *req)
{
	static char out[CTL_LINE_MAX * 3];
	char word[48], *arg;
	int lvl;

	while (*req == ' ')
		req++;
	arg = strchr(req, ' ');
	if (arg)
		*arg++ = 0;
	if (!a->conns[slot].may_write && is_write(req)) {
		snprintf(out, sizeof(out), "EPERM uid %d may only read: '%s' needs root, the "
			 "agent's user, or write_users/write_groups in the config",
			 (int)a->conns[slot].cred_uid, req);
		reply(a, slot, "err %s", out);
		return;
	}
	if (!strcmp(req, "ping")) {
		reply(a, slot, "ok %s", "pong");
	} else if (!strcmp(req, "status")) {
		if (ctl_status_json(a, out, sizeof(out)) < 0)
			reply(a, slot, "err %s", "status does not fit a reply");
		else
			reply(a, slot, "ok %s", out);
	} else if (!strcmp(req, "peers")) {
		if (peers_json(a, out, sizeof(out)) < 0)
			reply(a, slot, "err %s", "peer list does not fit a reply");
		else
			reply(a, slot, "ok %s", out);
	} else if (!strcmp(req, "log-level")) {
		lvl = arg ? log_level_parse(arg) : -1;
		if (lvl < 0) {
			reply(a, slot, "err %s", "log-level needs one of: error warn info debug");
		} else {
			log_set_level(lvl);
			reply(a, slot, "ok %s", arg);
		}
	} else if (!strcmp(req, "put")) {
		db_ctl_write(a, slot, arg ? arg : (char *)"", 0);
	} else if (!strcmp(req, "del")) {
		db_ctl_write(a, slot, arg ? arg : (char *)"", 1);
	} else if (!strcmp(req, "get")) {
		db_ctl_get(a, slot, arg ? arg : (char *)"");
	} else if (!strcmp(req, "batch")) {
		db_ctl_batch(a, slot, arg ? arg : (char *)"");
	} else if (!strcmp(req, "txn")) {
		txn_ctl(a, slot, arg ? arg : (char *)"");
	} else if (!strcmp(req, "rendezvous")) {
		txn_ctl_rdv(a, slot, arg ? arg : (char *)"");
	} else if (!strcmp(req, "rdv-join") || !strcmp(req, "rdv-leave")) {
		txn_ctl_join(a, slot, arg ? arg : (char *)"", req[4] == 'l');
	} else if (!strcmp(req, "dbstat")) {
		db_ctl_stat(a, slot);
	} else if (!strcmp(req, "waiters-fd")) {
		send_waiters_fd(a, slot);
	} else if (!strcmp(req, "help")) {
		reply(a, slot, "ok %s", CTL_HELP);
	} else {
		sanitize(req, word, sizeof(word));
		snprintf(out, sizeof(out), "unknown command '%s' (%s)", word, CTL_HELP);
		reply(a, slot, "err %s", out);
	}
}

/* Refuse an over-long request: the reply is queued, the rest dropped, the
 * connection closed once it is sent. */
static void refuse_long(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];

	reply(a, slot, "err request longer than %s bytes", "131072");
	c->rlen = 0;
	c->scanned = 0;
	c->close_after_send = 1;
	conn_stop_reading(a, slot);
}

void ctl_on_data(struct agent *a, int slot)
{
	struct conn *c = &a->conns[slot];
	uint32_t off = 0, from = c->scanned;
	int paused = 0;

	for (;;) {
		uint8_t *nl;
		uint32_t n, len;

		/* A client that does not read its replies gets no more work
		 * done for it: stop reading it until it catches up (loop.c
		 * resumes it), so it cannot stall the loop or eat memory. */
		if (c->wlen > CTL_QUEUE_PAUSE) {
			c->paused = 1;
			conn_stop_reading(a, slot);
			paused = 1;
			break;
		}
		/* Bytes of a partial line already searched are not searched
		 * again: a line trickled a byte at a time costs linear time. */
		nl = memchr(c->rbuf + from, '\n', c->rlen - from);
		if (!nl)
			break;
		*nl = 0;
		n = (uint32_t)(nl - (c->rbuf + off));
		len = n;
		if (len && c->rbuf[off + len - 1] == '\r')
			c->rbuf[off + --len] = 0;	/* CRLF: the same request */
		if (len > CTL_LINE_MAX) {
			/* the same limit however the bytes arrived */
			refuse_long(a, slot);
			return;
		}
		if (memchr(c->rbuf + off, 0, len)) {
			reply(a, slot, "err %s", "request contains a NUL byte");
		} else {
			handle(a, slot, (char *)c->rbuf + off);
		}
		off += n + 1;
		from = off;
		if (c->closing)
			return;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	/* Left over: a partial line with no newline, all searched; or, when
	 * paused, lines not looked at yet. */
	c->scanned = paused ? from - off : c->rlen;
	if (!paused && c->rlen > CTL_LINE_MAX)
		refuse_long(a, slot);
}
