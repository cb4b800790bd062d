/* Description: the agent under abuse. Three real agents on loopback
 * (heartbeat 20 ms, timeout 150 ms) form one stable view and hold some
 * keys; then, for ABUSE_S seconds and all at once:
 *
 *   strangers on the peer ports: random bytes; headers with a bad magic,
 *   version, type, length or reserved word; HELLOs with a wrong cluster
 *   hash, a wrong `to`, a bad `from`; a valid frame of every type before
 *   any HELLO; partial frames then silence (half-open); a frame trickled a
 *   byte at a time that never finishes; 200 idle connections held, then
 *   closed; connect/close (and reset) in a tight loop;
 *
 *   the control sockets: random binary lines, lines with NUL bytes, lines
 *   over 128 KiB; a flood of pipelined valid requests (ping, status, get,
 *   dbstat, peers, help) from many connections, every reply checked;
 *   unknown commands and malformed put/del/get/batch/txn/rendezvous (bad
 *   and odd hex, huge keys and values, missing arguments, bad if= clocks),
 *   every reply an "err" naming the problem; half lines held open, some
 *   completed later; a client that pipelines requests and never reads;
 *
 *   and a well-behaved writer (fotos_put ack=all through each node).
 *
 * The agents hold a cluster key (key_file), so strangers also send HELLOs
 * right in every field without authenticating, or with a forged AUTH.
 *
 * Then more control clients than the agent's limit: a clear refusal.
 * Checked throughout and after: every agent alive; the view never changed
 * and no link flapped (recorded history, `peers` counters); the database
 * holds the first content plus the valid writes, the same on every node;
 * the agents still answer (ping, a put/get round trip); bounded RSS growth
 * (VmRSS after, VmHWM peak); open fds back to the baseline; a clean exit on
 * SIGTERM and no sanitizer report or ERROR line in any agent's log. Every
 * failed expectation is printed with the exact input ("BAD: ..."); on
 * failure the agents' logs are kept.
 *
 * usage: abuse [SECONDS]     ABUSE_SEED=n repeats the random inputs;
 *        ABUSE_SKIP="noread,trickle" leaves out those abusers (names: random
 *        headers hello types halfopen trickle idle churn garbage long flood
 *        malformed halfline noread writer)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cluster.h"
#include "wire.c"	/* the agents' own encoder: to speak their protocol exactly */

#define NODES		3
#define HB_MS		20
#define TO_MS		150
#define NKEYS		40
#define IDLE_CONNS	200
#define OVER_LIMIT	140	/* control clients opened at once (the agent allows 128) */
#define NOREAD_MAX	(2u << 20)	/* bytes of requests a non-reading client sends */
#define TRICKLE_S	5	/* a never-finishing frame must be cut within this */
#define CLOSE_MS	2000	/* a bad peer connection must be closed within this */
#define RSS_SLACK	(64ull << 20)
#define HWM_SLACK	(128ull << 20)
#define FD_SLACK	3
#define LR_CAP		(64 * 1024)

static struct cluster g_cl;
static int g_stop;		/* atomic: abusers end */
static uint64_t g_hash;		/* the cluster's hash, as in HELLO */
static uint64_t g_seed;
static uint64_t g_vid;		/* the view that must hold throughout */
static double g_t_base;		/* history from here on must show only g_vid */
static int g_abuse_s = 15;

/* ---- failures: counted and printed, never fatal in a thread ------------- */

static pthread_mutex_t g_bad_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_nbad, g_nquiet;
static char g_keys[256][96];
static int g_nkeys;

/*
 * A failed expectation: counted, and printed unless one of the same key
 * (NULL: none) was printed already, so a broken agent cannot bury the
 * first report under a flood of its consequences.
 */
static void bad_key(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad_key(const char *key, const char *fmt, ...)
{
	va_list ap;
	int i, dup = 0;

	pthread_mutex_lock(&g_bad_mu);
	g_nbad++;
	for (i = 0; key && i < g_nkeys && !dup; i++)
		dup = !strncmp(g_keys[i], key, sizeof(g_keys[i]) - 1);
	if (key && !dup && g_nkeys < 256)
		snprintf(g_keys[g_nkeys++], sizeof(g_keys[0]), "%s", key);
	if (dup || g_nbad - g_nquiet > 60) {
		g_nquiet++;
	} else {
		fprintf(stderr, "%8.3f BAD: ", cl_now(&g_cl));
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	pthread_mutex_unlock(&g_bad_mu);
}
#define bad(...) bad_key(NULL, __VA_ARGS__)

static int stopping(void)
{
	return __atomic_load_n(&g_stop, __ATOMIC_ACQUIRE);
}

/* ---- counters for the summary ------------------------------------------ */

enum {
	S_RANDOM, S_HEADERS, S_HELLO, S_TYPES, S_HALFOPEN, S_TRICKLE, S_IDLE, S_CHURN,
	S_CONNFAIL, S_CTL_GARBAGE, S_CTL_LONG, S_CTL_FLOOD, S_CTL_MALFORMED, S_CTL_HALF,
	S_NOREAD_BYTES, S_WRITES, S_MAX
};
static const char *const s_name[S_MAX] = {
	"random-byte connections", "bad-header connections", "bad HELLOs",
	"frames before HELLO", "half-open connections", "trickled frames",
	"idle connections", "connect/close", "peer connects that failed",
	"garbage control lines", "over-long control lines", "valid control requests",
	"malformed control requests", "held half lines", "bytes sent unread",
	"valid writes",
};
static unsigned long g_st[S_MAX];

static void count(int what, unsigned long n)
{
	__atomic_fetch_add(&g_st[what], n, __ATOMIC_RELAXED);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static double ms_since(double t0)
{
	return (th_now_s() - t0) * 1000;
}

/* Printable, truncated copy of bytes for a message. */
static const char *show(const void *p, size_t n, char *out, size_t cap)
{
	const unsigned char *b = p;
	size_t i, o = 0;

	for (i = 0; i < n && o + 6 < cap; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\')
			out[o++] = (char)b[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", b[i]);
	}
	if (i < n && o + 4 < cap)
		o += (size_t)snprintf(out + o, cap - o, "...");
	out[o] = 0;
	return out;
}

/* ---- sockets ------------------------------------------------------------- */

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* A non-blocking TCP connection to node's peer port, or -errno. */
static int peer_connect(int node, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(int);
	int fd, err = 0;

	sa.sin_port = htons((uint16_t)(g_cl.base_port + node));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
			close(fd);
			return err;
		}
		if (wait_fd(fd, POLLOUT, timeout_ms) <= 0) {
			close(fd);
			return -ETIMEDOUT;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
			close(fd);
			return err ? -err : -EIO;
		}
	}
	return fd;
}

/* A non-blocking connection to node's control socket, or -errno. */
static int ctl_connect(int node, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double t0 = th_now_s();
	int fd, err;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g_cl.node[node].sock);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = errno;
		close(fd);
		if (err != EAGAIN || ms_since(t0) > timeout_ms)
			return -err;
		th_sleep_ms(1);		/* the listen backlog is full: the agent is busy */
	}
}

/* Send all of buf within timeout_ms: 0, -ETIMEDOUT, or -errno (EPIPE...). */
static int send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	double t0 = th_now_s();

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (ms_since(t0) > timeout_ms)
			return -ETIMEDOUT;
		wait_fd(fd, POLLOUT, 20);
	}
	return 0;
}

/*
 * Wait until the other side closes fd (EOF or reset): 1 if it did within
 * timeout_ms, 0 if not. *got counts the bytes read meanwhile.
 */
static int await_close(int fd, int timeout_ms, size_t *got)
{
	double t0 = th_now_s();
	char junk[4096];

	for (;;) {
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		int left = timeout_ms - (int)ms_since(t0);

		if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
			return 1;
		if (n > 0) {
			if (got)
				*got += (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return 1;
		if (left <= 0)
			return 0;
		wait_fd(fd, POLLIN, left < 50 ? left : 50);
	}
}

/* Line reader over a control connection (pipelined replies). */
struct lr {
	int fd;
	size_t len;
	char buf[LR_CAP];
};

/* The next reply line (NUL-ended, without '\n') into out: its length,
 * -ETIMEDOUT, -EPIPE at EOF, -errno. */
static int lr_line(struct lr *r, char *out, size_t cap, int timeout_ms)
{
	double t0 = th_now_s();

	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		ssize_t n;

		if (nl || r->len == sizeof(r->buf)) {
			size_t k = nl ? (size_t)(nl - r->buf) : r->len, c = k < cap - 1 ? k : cap - 1;

			memcpy(out, r->buf, c);
			out[c] = 0;
			k += nl ? 1 : 0;
			memmove(r->buf, r->buf + k, r->len - k);
			r->len -= k;
			return (int)c;
		}
		n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, MSG_DONTWAIT);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (ms_since(t0) > timeout_ms)
			return -ETIMEDOUT;
		wait_fd(r->fd, POLLIN, 20);
	}
}

/* ---- reading an agent from /proc --------------------------------------- */

static uint64_t proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	uint64_t v = 0;
	size_t fl = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':')
			v = strtoull(line + fl + 1, NULL, 10);
	fclose(f);
	return v * 1024;
}

static int proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Whether the agent runs under ASan (its RSS then holds the quarantine). */
static int proc_asan(pid_t pid)
{
	char path[64], line[512];
	int yes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strstr(line, "asan") != NULL;
	fclose(f);
	return yes;
}

/* Sum of "ups" and "downs" over the `peers` reply of node i; -1 on error. */
static int link_flaps(int i, long *ups, long *downs)
{
	char resp[4096];
	const char *p;

	*ups = *downs = 0;
	if (fotos_ctl_request(g_cl.node[i].sock, "peers", resp, sizeof(resp), 3000) < 0)
		return -1;
	for (p = resp; (p = strstr(p, "\"ups\":")); p++)
		*ups += strtol(p + 6, NULL, 10);
	for (p = resp; (p = strstr(p, "\"downs\":")); p++)
		*downs += strtol(p + 8, NULL, 10);
	return 0;
}

/* ---- the database content ------------------------------------------------ */

struct ent {
	uint8_t key[64];
	uint32_t klen;
	uint8_t val[1024];
	uint32_t vlen;
	uint32_t flags;
	char clock[64 * 24];
};

struct snap {
	int n;
	struct ent e[NKEYS + 512];
	struct fotos_db_limits lim;
};

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	int c = memcmp(a->key, b->key, a->klen < b->klen ? a->klen : b->klen);

	return c ? c : (int)a->klen - (int)b->klen;
}

/* Every live key of h, sorted. 0, or -1 if a read failed (take it again). */
static int snap_take(const struct fotos *h, struct snap *s)
{
	struct fotos_db_iter it = { 0 };
	struct fotos_meta meta;
	int ret;

	s->n = 0;
	if (fotos_db_limits(h, &s->lim) < 0)
		return -1;
	for (;;) {
		struct ent *e = &s->e[s->n];

		ret = fotos_db_next(h, &it, NULL, 0, e->key, sizeof(e->key), e->val, sizeof(e->val),
				    &meta);
		if (ret != 1)
			break;
		if (s->n + 1 >= (int)(sizeof(s->e) / sizeof(s->e[0])))
			return -1;
		e->klen = meta.klen;
		e->vlen = meta.vlen;
		e->flags = meta.flags;
		fotos_vclock_format(&meta.clock, e->clock, sizeof(e->clock));
		s->n++;
	}
	if (ret < 0)
		return -1;
	qsort(s->e, (size_t)s->n, sizeof(s->e[0]), ent_cmp);
	return 0;
}

static const struct ent *snap_find(const struct snap *s, const void *key, uint32_t klen)
{
	struct ent k;

	memset(&k, 0, sizeof(k));
	memcpy(k.key, key, klen);
	k.klen = klen;
	return bsearch(&k, s->e, (size_t)s->n, sizeof(s->e[0]), ent_cmp);
}

/* ---- the first content and the valid writes ----------------------------- */

static struct fotos *g_h[NODES];	/* main thread's handles */
static char g_key[NKEYS][16];
static char g_val[NKEYS][1025];
static char g_hexval[NKEYS][2051];
static struct snap g_s0;		/* the content before the abuse */

#define MAX_LIVE	512
static char g_live_key[MAX_LIVE][24], g_live_val[MAX_LIVE][40];
static int g_nlive;			/* written by the writer thread, read after join */

static void hex_of(const void *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* fotos_put through h with ack=all, retrying back-pressure; 0 or -errno. */
static int put_all(struct fotos *h, const char *key, const char *val, size_t vlen,
		   struct fotos_put_result *res)
{
	int ret, tries = 0;

	do {
		ret = fotos_put(h, key, strlen(key), val, vlen, FOTOS_PUT_ACK_ALL, NULL, res, 3000);
		if (ret == -EAGAIN)
			th_sleep_ms(10);
	} while (ret == -EAGAIN && ++tries < 50);
	return ret;
}

/* ---- peer-port abusers ----------------------------------------------------- */

static void put_hdr(uint8_t *b, uint16_t magic, uint8_t ver, uint8_t type, uint32_t len,
		    uint32_t rsv)
{
	put16(b, magic);
	b[2] = ver;
	b[3] = type;
	put32(b + 4, len);
	put32(b + 8, rsv);
}

/* A HELLO frame into b (HELLO_LEN bytes), claiming the cluster key (the
 * agents have one) unless flags say otherwise. */
#define HELLO_LEN	(WIRE_HDR_SIZE + 56)
static int hello_frame_f(uint8_t *b, uint64_t hash, unsigned int from, unsigned int to,
			 uint32_t flags)
{
	struct wire_msg m = { .type = WIRE_HELLO };

	m.u.hello.cluster_hash = hash;
	m.u.hello.incarnation = 0x5742414e47455253ull;
	m.u.hello.from = (uint16_t)from;
	m.u.hello.to = (uint16_t)to;
	m.u.hello.flags = flags;
	memset(m.u.hello.nonce, 0x5a, sizeof(m.u.hello.nonce));
	return wire_encode(&m, b, WIRE_MAX_FRAME);
}

static int hello_frame(uint8_t *b, uint64_t hash, unsigned int from, unsigned int to)
{
	return hello_frame_f(b, hash, from, to, WIRE_HELLO_AUTH);
}

/* A valid frame of each type 2..WIRE_TYPE_MAX-1, built once. */
static uint8_t g_frame[WIRE_TYPE_MAX][256];
static int g_frame_len[WIRE_TYPE_MAX];

static void build_frames(void)
{
	static const uint8_t key[] = "k", val[] = "v";
	struct wire_pid pid = { .incarnation = 7, .seq = 1, .proposer = 0 };
	unsigned int t;

	for (t = WIRE_STATUS; t < WIRE_TYPE_MAX; t++) {
		struct wire_msg m, back;

		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		switch (t) {
		case WIRE_STATUS:
			m.u.status.epoch = 1;
			m.u.status.members = 1;
			break;
		case WIRE_PROPOSE:
			m.u.propose.pid = pid;
			m.u.propose.kind = WIRE_KIND_REMOVE;
			m.u.propose.members = 1;
			m.u.propose.count = 1;
			m.u.propose.incarnations[0] = 7;
			break;
		case WIRE_VOTE:
			m.u.vote.pid = pid;
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
			m.u.db.klen = 1;
			m.u.db.vlen = 1;
			m.u.db.key = key;
			m.u.db.val = val;
			m.u.db.clock.n = 1;
			m.u.db.clock.c[0] = 1;
			break;
		case WIRE_DB_ACK:
			m.u.db.id = 1;
			break;
		case WIRE_DB_CAS_REPLY:
			m.u.db.id = 1;
			break;
		case WIRE_TXN_PREPARE:
			m.u.txn.id = pid;
			m.u.txn.members = 1;
			m.u.txn.glen = 1;
			m.u.txn.group[0] = 'g';
			m.u.txn.timeout_ms = 100;
			break;
		case WIRE_RDV_ARRIVE:
			m.u.txn.glen = 1;
			m.u.txn.group[0] = 'g';
			m.u.txn.timeout_ms = 100;
			break;
		case WIRE_TXN_DECIDE:
			m.u.tctl.id = pid;
			m.u.tctl.value = WIRE_TXN_COMMIT;
			break;
		case WIRE_AUTH:
			break;
		default:	/* TXN_VOTE, TXN_QUERY, TXN_OUTCOME */
			m.u.tctl.id = pid;
			break;
		}
		g_frame_len[t] = wire_encode(&m, g_frame[t], sizeof(g_frame[t]));
		if (g_frame_len[t] <= 0)
			FAIL("cannot build a valid %s frame: %d", wire_type_name(t), g_frame_len[t]);
		/* so that the agent's "first frame is not HELLO" path is what runs */
		CHECK_EQ(wire_decode(g_frame[t], (size_t)g_frame_len[t], &back), 0);
	}
}

/* Send b to a fresh connection to node; the agent must close it within
 * CLOSE_MS, without a byte unless may_answer (a HELLO right in every field
 * gets the agent's HELLO and AUTH before it can check the stranger's AUTH).
 * what names the input for the report. */
static void expect_refused(int node, const void *b, size_t len, const char *what, int may_answer)
{
	char sh[200];
	size_t got = 0;
	int fd = peer_connect(node, 2000);

	if (fd < 0) {
		count(S_CONNFAIL, 1);
		return;
	}
	send_all(fd, b, len, 1000);
	if (!await_close(fd, CLOSE_MS, &got))
		bad_key(what, "n%d kept a stranger's connection open %d ms after %s: %s", node, CLOSE_MS,
		    what, show(b, len < 48 ? len : 48, sh, sizeof(sh)));
	else if (got && !may_answer)
		bad_key("answered", "n%d answered a stranger (%zu bytes) after %s", node, got, what);
	close(fd);
}

static void *ab_random(void *arg)
{
	uint64_t s = g_seed ^ 0x72616e646f6dull ^ (uintptr_t)arg;
	static _Thread_local uint8_t buf[4096];
	int n;

	for (n = 0; n < 1500 && !stopping(); n++) {
		size_t len = 1 + rnd(&s) % sizeof(buf), i;
		int node = n % NODES, fd;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(&s);
		if (n % 4 == 0) {	/* a valid magic and version: dig deeper */
			put16(buf, WIRE_MAGIC);
			buf[2] = WIRE_VERSION;
			if (len < 4)
				len = 4;
		}
		if (n % 2) {
			expect_refused(node, buf, len, "random bytes", 0);
		} else {
			fd = peer_connect(node, 2000);
			if (fd < 0) {
				count(S_CONNFAIL, 1);
				continue;
			}
			send_all(fd, buf, len, 500);
			close(fd);
		}
		count(S_RANDOM, 1);
		th_sleep_ms(2);
	}
	return NULL;
}

/* Headers that look like frames but break a rule, some with a payload. */
static size_t header_case(int k, uint8_t *b, const char **what)
{
	const uint16_t M = WIRE_MAGIC;
	const uint8_t V = WIRE_VERSION;

	memset(b, 0, 12 + 600);
	switch (k) {
	case 0: *what = "byte-swapped magic"; put_hdr(b, 0x464f, V, WIRE_HELLO, 56, 0); return 68;
	case 1: *what = "version 1 (before HELLO had a nonce)"; put_hdr(b, M, 1, WIRE_HELLO, 24, 0); return 36;
	case 2: *what = "the next version"; put_hdr(b, M, V + 1, WIRE_HELLO, 56, 0); return 68;
	case 3: *what = "version 255"; put_hdr(b, M, 255, WIRE_STATUS, 56, 0); return 68;
	case 4: *what = "type 0"; put_hdr(b, M, V, 0, 56, 0); return 68;
	case 5: *what = "type WIRE_TYPE_MAX"; put_hdr(b, M, V, WIRE_TYPE_MAX, 56, 0); return 68;
	case 6: *what = "type 255"; put_hdr(b, M, V, 255, 0, 0); return 12;
	case 7: *what = "reserved 1"; put_hdr(b, M, V, WIRE_HELLO, 56, 1); return 68;
	case 8: *what = "reserved ~0"; put_hdr(b, M, V, WIRE_HELLO, 56, 0xffffffffu); return 68;
	case 9: *what = "HELLO of length 0"; put_hdr(b, M, V, WIRE_HELLO, 0, 0); return 12;
	case 10: *what = "HELLO of length 55"; put_hdr(b, M, V, WIRE_HELLO, 55, 0); return 67;
	case 11: *what = "HELLO of length 57"; put_hdr(b, M, V, WIRE_HELLO, 57, 0); return 69;
	case 12: *what = "HELLO of length 600"; put_hdr(b, M, V, WIRE_HELLO, 600, 0); return 612;
	case 13: *what = "length 65537"; put_hdr(b, M, V, WIRE_DB_UPDATE, 65537, 0); return 12;
	case 14: *what = "length 2^31-1"; put_hdr(b, M, V, WIRE_TXN_PREPARE, 0x7fffffff, 0); return 12;
	case 15: *what = "length 2^32-1"; put_hdr(b, M, V, WIRE_HELLO, 0xffffffffu, 0); return 12;
	case 16: *what = "STATUS of length 55"; put_hdr(b, M, V, WIRE_STATUS, 55, 0); return 67;
	case 17: *what = "PROPOSE without members"; put_hdr(b, M, V, WIRE_PROPOSE, 56, 0); return 68;
	case 18: *what = "PROPOSE of length 57"; put_hdr(b, M, V, WIRE_PROPOSE, 57, 0); return 69;
	case 19: *what = "PROPOSE of 65 members"; put_hdr(b, M, V, WIRE_PROPOSE, 56 + 8 * 65, 0); return 12;
	case 20: *what = "RDV_ARRIVE of length 16"; put_hdr(b, M, V, WIRE_RDV_ARRIVE, 16, 0); return 28;
	case 21: *what = "DB_UPDATE of length 25"; put_hdr(b, M, V, WIRE_DB_UPDATE, 25, 0); return 37;
	case 22: *what = "HELLO with from 64";
		hello_frame(b, g_hash, 1, 0);
		put16(b + 12 + 16, 64);
		return 68;
	case 23: *what = "HELLO with an unknown flag";
		hello_frame(b, g_hash, 1, 0);
		put32(b + 12 + 20, 4);
		return 68;
	case 24: *what = "STATUS with state 200";
		memcpy(b, g_frame[WIRE_STATUS], (size_t)g_frame_len[WIRE_STATUS]);
		b[12 + 48] = 200;
		return (size_t)g_frame_len[WIRE_STATUS];
	case 25: *what = "PROPOSE whose count is not its members";
		memcpy(b, g_frame[WIRE_PROPOSE], (size_t)g_frame_len[WIRE_PROPOSE]);
		b[12 + 40] = 3;		/* members 0b11, count still 1 */
		return (size_t)g_frame_len[WIRE_PROPOSE];
	case 26: *what = "DB_UPDATE of bad clock";
		memcpy(b, g_frame[WIRE_DB_UPDATE], (size_t)g_frame_len[WIRE_DB_UPDATE]);
		b[12 + 24] = 65;	/* clock count past 64 */
		return (size_t)g_frame_len[WIRE_DB_UPDATE];
	default: return 0;
	}
}
#define NHEADER_CASES 27

static void *ab_headers(void *arg)
{
	static _Thread_local uint8_t b[12 + 600];
	int n;

	(void)arg;
	for (n = 0; n < 2000 && !stopping(); n++) {
		const char *what = NULL;
		size_t len = header_case(n % NHEADER_CASES, b, &what);

		CHECK(len > 0);
		expect_refused(n % NODES, b, len, what, 0);
		count(S_HEADERS, 1);
		th_sleep_ms(2);
	}
	return NULL;
}

/*
 * HELLOs a node must refuse. The agents hold a cluster key, so even a HELLO
 * right in every field (from the lower node 0, right hash and `to`) is
 * refused: unanswered without the key's flag, and after the agent's own
 * HELLO and AUTH when the stranger's AUTH tag is made up. Neither may
 * replace the pair's real link (check_view_kept, link flap counters).
 */
static void *ab_hello(void *arg)
{
	static _Thread_local uint8_t b[512];
	int n;

	(void)arg;
	for (n = 0; n < 3000 && !stopping(); n++) {
		int node = n % NODES, other = (node + 1) % NODES, third = (node + 2) % NODES;
		const char *what;
		size_t len = HELLO_LEN;

		switch ((n / NODES) % 11) {
		case 0:
			what = "a HELLO with a wrong cluster hash";
			hello_frame(b, g_hash ^ 0x10, (unsigned)other, (unsigned)node);
			break;
		case 1:
			what = "a HELLO from an existing node with a wrong `to`";
			hello_frame(b, g_hash, (unsigned)other, (unsigned)third);
			break;
		case 2:
			what = "a HELLO to index 63";
			hello_frame(b, g_hash, (unsigned)other, 63);
			break;
		case 3:
			what = "a HELLO from index 3 (no such node)";
			hello_frame(b, g_hash, NODES, (unsigned)node);
			break;
		case 4:
			what = "a HELLO from index 63";
			hello_frame(b, g_hash, 63, (unsigned)node);
			break;
		case 5:
			what = "a HELLO from the node itself";
			hello_frame(b, g_hash, (unsigned)node, (unsigned)node);
			break;
		case 6:
			/* a kick from a higher node whose link is up: closed, no dial */
			what = "a kick HELLO from a linked higher node";
			if (node == NODES - 1)
				hello_frame(b, g_hash ^ 1, 0, (unsigned)node);
			else
				hello_frame(b, g_hash, NODES - 1, (unsigned)node);
			break;
		case 7:
			what = "a wrong-`to` HELLO followed by a DB_UPDATE";
			hello_frame(b, g_hash, (unsigned)other, (unsigned)third);
			memcpy(b + HELLO_LEN, g_frame[WIRE_DB_UPDATE], (size_t)g_frame_len[WIRE_DB_UPDATE]);
			len += (size_t)g_frame_len[WIRE_DB_UPDATE];
			break;
		case 8:
			what = "a wrong-hash HELLO then a right one";
			hello_frame(b, g_hash + 1, (unsigned)other, (unsigned)node);
			hello_frame(b + HELLO_LEN, g_hash, (unsigned)other, (unsigned)third);
			len = 2 * HELLO_LEN;
			break;
		case 9:
			/* Right in every field, from the lower node 0, but
			 * without the cluster key's flag: refused unanswered. */
			what = "a right HELLO from node 0 that does not authenticate";
			hello_frame_f(b, g_hash, 0, node ? (unsigned)node : 1, 0);
			node = node ? node : 1;
			break;
		default: {
			/* Right in every field, then an AUTH with a made-up tag:
			 * the agent answers HELLO and AUTH, then must refuse, and
			 * the real link of the pair must stay (check_view_kept). */
			uint8_t *f = b + HELLO_LEN;

			node = node ? node : 1;
			hello_frame(b, g_hash, 0, (unsigned)node);
			memcpy(f, g_frame[WIRE_AUTH], (size_t)g_frame_len[WIRE_AUTH]);
			memset(f + g_frame_len[WIRE_AUTH], 0xa5, WIRE_TAG_SIZE);
			len = HELLO_LEN + (size_t)g_frame_len[WIRE_AUTH] + WIRE_TAG_SIZE;
			expect_refused(node, b, len, "a right HELLO from node 0 and a forged AUTH", 1);
			count(S_HELLO, 1);
			th_sleep_ms(2);
			continue;
		}
		}
		expect_refused(node, b, len, what, 0);
		count(S_HELLO, 1);
		th_sleep_ms(2);
	}
	return NULL;
}

static void *ab_types(void *arg)
{
	static _Thread_local uint8_t b[512];
	int n;

	(void)arg;
	for (n = 0; n < 3000 && !stopping(); n++) {
		unsigned int t = WIRE_STATUS + (unsigned)(n / NODES) % (WIRE_TYPE_MAX - WIRE_STATUS);
		char what[80];
		size_t len = (size_t)g_frame_len[t];

		memcpy(b, g_frame[t], len);
		if ((n / NODES) % 2) {	/* two of them back to back */
			memcpy(b + len, g_frame[t], len);
			len *= 2;
		}
		snprintf(what, sizeof(what), "a valid %s frame before any HELLO", wire_type_name(t));
		expect_refused(n % NODES, b, len, what, 0);
		count(S_TYPES, 1);
		th_sleep_ms(2);
	}
	return NULL;
}

/* Partial frames, then silence: the failure timeout must cut them. */
static void *ab_halfopen(void *arg)
{
	uint8_t b[1100];
	int round;

	(void)arg;
	memset(b, 0, sizeof(b));
	for (round = 0; round < 200 && !stopping(); round++) {
		int fd[12], k;
		size_t len[12];
		double t0;

		for (k = 0; k < 12; k++) {
			switch (k % 4) {
			case 0: put_hdr(b, WIRE_MAGIC, WIRE_VERSION, WIRE_HELLO, 56, 0); len[k] = 1; break;
			case 1: put_hdr(b, WIRE_MAGIC, WIRE_VERSION, WIRE_HELLO, 56, 0); len[k] = 11; break;
			case 2: hello_frame(b, g_hash, 0, 1); len[k] = 12 + 10; break;
			default: put_hdr(b, WIRE_MAGIC, WIRE_VERSION, WIRE_DB_UPDATE, 65536, 0); len[k] = 1012; break;
			}
			fd[k] = peer_connect(k % NODES, 2000);
			if (fd[k] < 0) {
				count(S_CONNFAIL, 1);
				continue;
			}
			send_all(fd[k], b, len[k], 500);
		}
		t0 = th_now_s();
		for (k = 0; k < 12; k++) {
			if (fd[k] < 0)
				continue;
			if (!await_close(fd[k], CLOSE_MS - (int)ms_since(t0), NULL))
				bad_key("halfopen", "n%d kept a half-open connection (%zu bytes of a frame, then "
				    "silence) open for %d ms (timeout %d ms)", k % NODES, len[k],
				    CLOSE_MS, TO_MS);
			close(fd[k]);
			count(S_HALFOPEN, 1);
		}
	}
	return NULL;
}

/*
 * A frame that never finishes, sent a byte every 50 ms (under the failure
 * timeout, so the link never looks silent) and never a HELLO: the agent
 * must cut it within TRICKLE_S, else a stranger holds a slot (and 128 KiB)
 * for as long as it likes, and MAX_CONNS of them lock the peers out.
 */
static void *ab_trickle(void *arg)
{
	int node = (int)(uintptr_t)arg;
	uint8_t b[64];

	memset(b, 0, sizeof(b));
	put_hdr(b, WIRE_MAGIC, WIRE_VERSION, WIRE_DB_UPDATE, 65536, 0);
	th_sleep_ms(500 + 300 * (unsigned)node);
	while (!stopping()) {
		int fd = peer_connect(node, 2000), cut = 0;
		double t0 = th_now_s();
		size_t i = 0;

		if (fd < 0) {
			count(S_CONNFAIL, 1);
			th_sleep_ms(100);
			continue;
		}
		while (!stopping() && ms_since(t0) < TRICKLE_S * 1000 + 500) {
			if (send(fd, b + (i < sizeof(b) ? i : sizeof(b) - 1), 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
				cut = 1;
				break;
			}
			i++;
			if (await_close(fd, 50, NULL)) {
				cut = 1;
				break;
			}
		}
		if (!cut && !stopping())
			bad("n%d kept a connection that trickled %zu bytes of a never-finishing "
			    "DB_UPDATE frame (header: magic, version 2, type 9, length 65536), one "
			    "byte every 50 ms and no HELLO, open for %.1f s: no handshake deadline",
			    node, i, ms_since(t0) / 1000);
		close(fd);
		count(S_TRICKLE, 1);
		if (!cut)
			break;		/* once is enough evidence */
	}
	return NULL;
}

/* IDLE_CONNS connections held without a byte, then closed. */
static void *ab_idle(void *arg)
{
	static int fd[IDLE_CONNS];
	int round;

	(void)arg;
	th_sleep_ms(1000);
	for (round = 0; round < 6 && !stopping(); round++) {
		int node = round % NODES, k, open = 0, closed = 0;
		double t0;

		for (k = 0; k < IDLE_CONNS; k++) {
			fd[k] = peer_connect(node, 3000);
			if (fd[k] < 0)
				count(S_CONNFAIL, 1);
			else
				open++;
		}
		t0 = th_now_s();
		for (k = 0; k < IDLE_CONNS; k++)
			if (fd[k] >= 0)
				closed += await_close(fd[k], 1500 - (int)ms_since(t0), NULL);
		if (closed < open)
			bad_key("idle", "n%d still held %d of %d idle stranger connections 1.5 s after they "
			    "opened (timeout %d ms)", node, open - closed, open, TO_MS);
		for (k = 0; k < IDLE_CONNS; k++)
			if (fd[k] >= 0)
				close(fd[k]);
		count(S_IDLE, (unsigned long)open);
		th_sleep_ms(1000);
	}
	return NULL;
}

static void *ab_churn(void *arg)
{
	struct linger lg = { 1, 0 };
	int n;

	(void)arg;
	for (n = 0; n < 4000 && !stopping(); n++) {
		int fd = peer_connect(n % NODES, 2000);

		if (fd < 0) {
			count(S_CONNFAIL, 1);
			continue;
		}
		if (n % 2)	/* close with a reset */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		count(S_CHURN, 1);
		if (n % 16 == 15)
			th_sleep_ms(5);	/* a tight loop, not a SYN flood */
	}
	return NULL;
}

/* ---- control-socket abusers ------------------------------------------------ */

/* Send req (with '\n') on a fresh connection and check the one reply. */
static void expect_err(struct lr *r, int node, const char *req, size_t len, const char *want,
		       int *reported)
{
	char line[2048], sh[200], *buf = malloc(len + 1);
	int ret;

	CHECK(buf != NULL);
	memcpy(buf, req, len);
	buf[len] = '\n';
	ret = send_all(r->fd, buf, len + 1, 3000);
	free(buf);
	if (ret < 0) {
		bad_key(req, "n%d control: could not send %s: %s", node, show(req, len < 60 ? len : 60, sh,
		    sizeof(sh)), strerror(-ret));
		return;
	}
	ret = lr_line(r, line, sizeof(line), 5000);
	if (ret < 0) {
		bad_key(req, "n%d control: no reply to '%s': %s", node, show(req, len < 60 ? len : 60, sh,
		    sizeof(sh)), strerror(-ret));
		return;
	}
	if (strncmp(line, "err ", 4) || (want && !strcasestr(line, want))) {
		if (!*reported)
			bad("n%d control: '%s' got '%.160s' (want \"err ...%s...\")", node,
			    show(req, len < 70 ? len : 70, sh, sizeof(sh)), line, want ? want : "");
		*reported = 1;
	}
}

static void *ctl_garbage(void *arg)
{
	uint64_t s = g_seed ^ 0x67617262ull ^ (uintptr_t)arg;
	static _Thread_local struct lr r;
	static _Thread_local char lines[40][402];
	int n, reported = 0;

	for (n = 0; !stopping() && n < 5000; n++) {
		int node = n % NODES, k, len[40], nul[40];
		char out[2048], sh[200];
		size_t tot = 0;
		char *all = malloc(40 * 402);

		CHECK(all != NULL);
		r.fd = ctl_connect(node, 2000);
		r.len = 0;
		if (r.fd < 0) {
			bad_key("ctl-connect", "n%d control: cannot connect: %s", node, strerror(-r.fd));
			free(all);
			th_sleep_ms(100);
			continue;
		}
		for (k = 0; k < 40; k++) {
			int i;

			len[k] = 1 + (int)(rnd(&s) % 400);
			for (i = 0; i < len[k]; i++) {
				lines[k][i] = (char)rnd(&s);
				if (lines[k][i] == '\n' || lines[k][i] == 0)
					lines[k][i] = 'x';
			}
			lines[k][0] = (char)(0x80 | rnd(&s));	/* never a command */
			if (lines[k][len[k] - 1] == '\r')
				lines[k][len[k] - 1] = 'r';	/* CRLF is checked on its own */
			nul[k] = k % 4 == 0 && len[k] > 2;
			if (nul[k])
				lines[k][1 + rnd(&s) % (uint64_t)(len[k] - 1)] = 0;
			memcpy(all + tot, lines[k], (size_t)len[k]);
			tot += (size_t)len[k];
			all[tot++] = '\n';
		}
		if (send_all(r.fd, all, tot, 3000) < 0)
			bad_key("garbage-send", "n%d control: could not send 40 garbage lines", node);
		for (k = 0; k < 40; k++) {
			int ret = lr_line(&r, out, sizeof(out), 3000);

			if (ret < 0) {
				bad_key("garbage-noreply", "n%d control: garbage line %d ('%s'): no reply: %s", node, k,
				    show(lines[k], (size_t)len[k] < 40 ? (size_t)len[k] : 40, sh,
					 sizeof(sh)), strerror(-ret));
				break;
			}
			if (strncmp(out, "err ", 4) ||
			    !strstr(out, nul[k] ? "NUL" : "unknown command")) {
				if (!reported++)
					bad("n%d control: garbage line '%s' got '%.100s'", node,
					    show(lines[k], (size_t)len[k] < 40 ? (size_t)len[k] : 40,
						 sh, sizeof(sh)), out);
			}
		}
		close(r.fd);
		free(all);
		count(S_CTL_GARBAGE, 40);
		th_sleep_ms(20);
	}
	return NULL;
}

/* Lines over CTL_LINE_MAX: an "err ... longer ..." then a close. */
static void *ctl_long(void *arg)
{
	uint64_t s = g_seed ^ 0x6c6f6e67ull;
	size_t cap = (1u << 20) + 64;
	char *b = malloc(cap), line[2048];
	static _Thread_local struct lr r;
	int n;

	(void)arg;
	CHECK(b != NULL);
	for (n = 0; n < 500 && !stopping(); n++) {
		int node = n % NODES, k = (n / NODES) % 5, ret, pong = 0;
		size_t len = 0, i;
		const char *what;

		switch (k) {
		case 0:
			what = "140 KiB of 'a', no newline";
			memset(b, 'a', len = 140 * 1024);
			break;
		case 1:
			what = "200 KiB of 'a' and a newline";
			memset(b, 'a', len = 200 * 1024);
			b[len++] = '\n';
			break;
		case 2:
			what = "'put 6b3030 ' and 140 KiB of hex";
			len = (size_t)sprintf(b, "put 6b3030 ");
			memset(b + len, '0', 140 * 1024);
			len += 140 * 1024;
			b[len++] = '\n';
			break;
		case 3:
			what = "1 MiB of random bytes";
			for (i = 0; i < (1u << 20); i++)
				b[i] = (char)rnd(&s);
			for (i = 0; i < (1u << 20); i++)
				if (b[i] == '\n')
					b[i] = 'n';
			len = 1u << 20;
			break;
		default:
			what = "'ping' then 140 KiB without a newline";
			len = (size_t)sprintf(b, "ping\n");
			memset(b + len, 'p', 140 * 1024);
			len += 140 * 1024;
			pong = 1;
			break;
		}
		r.fd = ctl_connect(node, 2000);
		r.len = 0;
		if (r.fd < 0) {
			bad_key("ctl-connect", "n%d control: cannot connect: %s", node, strerror(-r.fd));
			th_sleep_ms(100);
			continue;
		}
		send_all(r.fd, b, len, 1500);	/* the agent stops reading: a timeout is fine */
		if (pong) {
			ret = lr_line(&r, line, sizeof(line), 3000);
			if (ret < 0 || strcmp(line, "ok pong"))
				bad_key(what, "n%d control: %s: first reply '%s' (%s)", node, what,
				    ret < 0 ? "" : line, ret < 0 ? strerror(-ret) : "want 'ok pong'");
		}
		ret = lr_line(&r, line, sizeof(line), 3000);
		if (ret < 0 || strncmp(line, "err ", 4) || !strstr(line, "longer"))
			bad_key(what, "n%d control: %s: reply '%.100s' (%s; want 'err request longer ...')",
			    node, what, ret < 0 ? "" : line, ret < 0 ? strerror(-ret) : "wrong");
		else if (!await_close(r.fd, 3000, NULL))
			bad_key(what, "n%d control: %s: not closed after the error", node, what);
		close(r.fd);
		count(S_CTL_LONG, 1);
		th_sleep_ms(50);
	}
	free(b);
	return NULL;
}

/* Pipelined valid requests on many connections; every reply checked. */
static void *ctl_flood(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t s = g_seed ^ 0x666c6f6f64ull ^ (id << 32);
	struct lr *r = calloc(4, sizeof(*r));
	char want_vid[64], out[4096], sh[100];
	int n;

	CHECK(r != NULL);
	snprintf(want_vid, sizeof(want_vid), "\"view_id\":%llu,", (unsigned long long)g_vid);
	for (n = 0; !stopping() && n < 100000; n++) {
		int kind[4][20], c, k;
		char req[4][20 * 40];

		for (c = 0; c < 4; c++) {
			size_t o = 0;

			r[c].len = 0;
			r[c].fd = ctl_connect((int)(id + (unsigned)n + (unsigned)c) % NODES, 2000);
			if (r[c].fd < 0) {
				bad_key("ctl-connect", "control: flood client cannot connect: %s", strerror(-r[c].fd));
				continue;
			}
			for (k = 0; k < 20; k++) {
				kind[c][k] = (int)(rnd(&s) % 8);
				switch (kind[c][k]) {
				case 0: o += (size_t)sprintf(req[c] + o, "ping\n"); break;
				case 1: o += (size_t)sprintf(req[c] + o, "status\n"); break;
				case 2:
				case 3: {
					int i = (int)(rnd(&s) % NKEYS);

					kind[c][k] = 100 + i;
					o += (size_t)sprintf(req[c] + o, "get ");
					hex_of(g_key[i], strlen(g_key[i]), req[c] + o);
					o += strlen(req[c] + o);
					req[c][o++] = '\n';
					break;
				}
				case 4: o += (size_t)sprintf(req[c] + o, "get 6e6f7065\n"); break;
				case 5: o += (size_t)sprintf(req[c] + o, "dbstat\n"); break;
				case 6: o += (size_t)sprintf(req[c] + o, "peers\n"); break;
				default: o += (size_t)sprintf(req[c] + o, "help\n"); break;
				}
			}
			if (send_all(r[c].fd, req[c], o, 3000) < 0)
				bad_key("flood-send", "control: flood client could not send");
		}
		for (c = 0; c < 4; c++) {
			if (r[c].fd < 0)
				continue;
			for (k = 0; k < 20; k++) {
				int ret = lr_line(&r[c], out, sizeof(out), 5000), ok;
				const char *w;

				if (ret < 0) {
					bad_key("flood-noreply", "control: flood request %d of 20: no reply: %s", k,
					    strerror(-ret));
					break;
				}
				switch (kind[c][k]) {
				case 0: ok = !strcmp(out, "ok pong"); w = "ping"; break;
				case 1:
					ok = !strncmp(out, "ok {", 4) && strstr(out, want_vid) &&
					     strstr(out, "\"stable\":true");
					w = "status (the view id or stability changed?)";
					break;
				case 4: ok = !strncmp(out, "err ENOENT", 10); w = "get of a missing key"; break;
				case 5: ok = !strncmp(out, "ok {\"keys\":", 11); w = "dbstat"; break;
				case 6: ok = !strncmp(out, "ok [", 4) && !strstr(out, "\"up\":false"); w = "peers"; break;
				case 7: ok = !strncmp(out, "ok commands:", 12); w = "help"; break;
				default: {
					const char *v = strstr(out, " value=");

					ok = !strncmp(out, "ok ", 3) && v &&
					     !strcmp(v + 7, g_hexval[kind[c][k] - 100]);
					w = "get of a first key (its value changed?)";
					break;
				}
				}
				if (!ok)
					bad_key(w, "control: %s: reply '%s'", w, show(out, strlen(out) < 160 ?
					    strlen(out) : 160, sh, sizeof(sh)));
			}
			close(r[c].fd);
			count(S_CTL_FLOOD, 20);
		}
		th_sleep_ms(20);	/* a flood, not a CPU hog: the agents need the cores */
	}
	free(r);
	return NULL;
}

struct mal {
	const char *req;
	const char *want;	/* in the "err ..." reply */
};

static const struct mal g_mal[] = {
	{ "put", "usage" },
	{ "put ", "usage" },
	{ "put zz 00", "hex" },
	{ "put -- 00", "hex" },
	{ "put 6b3 00", "hex" },			/* an odd number of digits */
	{ "put 6b3030", "value" },
	{ "put 6b3030 zz", "hex" },
	{ "put 6b3030 0g", "hex" },
	{ "put 6b3030 abc", "hex" },			/* odd */
	{ "put 6b3030 00 ack=bogus", "unknown option" },
	{ "put 6b3030 00 ack=", "unknown option" },
	{ "put 6b3030 00 frob", "unknown option" },
	{ "put 6b3030 00 if=", "clock" },
	{ "put 6b3030 00 if=zz", "clock" },
	{ "put 6b3030 00 if=1:", "clock" },
	{ "put 6b3030 00 if=:1", "clock" },
	{ "put 6b3030 00 if=1:2:3", "clock" },
	{ "put 6b3030 00 if=99:1", "clock" },
	{ "put 6b3030 00 if=64:1", "clock" },
	{ "put 6b3030 00 if=1:0", "clock" },
	{ "put 6b3030 00 if=1:-1", "clock" },
	{ "put 6b3030 00 if=1:18446744073709551616", "clock" },
	{ "put 6b3030 00 if=2:1,1:1", "clock" },
	{ "put 6b3030 00 if=1:1,1:2", "clock" },
	{ "put 6b3030 00 if=1:1,", "clock" },
	{ "put 6b3030 00 if=01:1", "clock" },
	{ "put 6b3030 00 if=0:1", "ECANCELED" },	/* well formed, does not match */
	{ "put 6b3030 00 if=-", "ECANCELED" },
	{ "put 6b3030 00 if=absent", "ECANCELED" },	/* the key exists */
	{ "del", "usage" },
	{ "del zz", "hex" },
	{ "del 6b3", "hex" },
	{ "del 6b3030 junk", "unknown option" },
	{ "del 6b3030 if=zz", "clock" },
	{ "del 6b3030 if=absent", "ECANCELED" },
	{ "get", "usage" },
	{ "get zz", "usage" },
	{ "get 6b3", "usage" },
	{ "batch put zz 00", "hex" },
	{ "batch frob 6b3030", "unknown" },
	{ "batch put 6b3030 00 ack=all", "no ack=" },
	{ "batch put 6b3030 00 if=absent", "no ack=" },
	{ "batch del", "usage" },
	{ "batch put 6b3030", "value" },
	{ "batch put 6b3030 zz;put 6b3031 00", "hex" },
	{ "batch put 6b3 00;del 6b3030", "hex" },
	{ "txn", "usage" },
	{ "txn put zz 00", "hex" },
	{ "txn put 6b3030 00 if=zz", "clock" },
	{ "txn timeout=abc put 6b3030 00", "timeout" },
	{ "txn timeout=0 put 6b3030 00", "timeout" },
	{ "txn timeout=-1 put 6b3030 00", "timeout" },
	{ "txn group= put 6b3030 00", "group" },
	{ "rendezvous", "usage" },
	{ "rendezvous g abc", "usage" },
	{ "rendezvous g -5", "usage" },
	{ "rendezvous g 99999999999", "usage" },
	{ "rdv-join", "usage" },
	{ "rdv-leave", "usage" },
	{ "log-level", "log-level" },
	{ "log-level loud", "log-level" },
	{ "", "unknown command" },
	{ "   ", "unknown command" },
	{ "PING", "unknown command" },
	{ "frobnicate", "unknown command" },
	{ "statusx", "unknown command" },
	{ "put\t6b3030\t00", "unknown command" },
	{ "\x01\x02\x03", "unknown command" },
};
#define NMAL		(int)(sizeof(g_mal) / sizeof(g_mal[0]))
#define NMAL_BIG	6

/* Requests too big for the table: built once. */
static char *g_big[NMAL_BIG];
static const char *g_big_want[NMAL_BIG] = { "limit", "E2BIG", "E2BIG", "E2BIG", "group", "usage" };

static void build_big(void)
{
	size_t i;

	for (i = 0; i < NMAL_BIG; i++)
		CHECK((g_big[i] = malloc(130 * 1024)) != NULL);
	/* a key of 65 bytes (the limit is 64) */
	strcpy(g_big[0], "put ");
	for (i = 0; i < 65; i++)
		strcat(g_big[0], "61");
	strcat(g_big[0], " 00");
	/* a key of 1025 bytes (more than any key may be) */
	strcpy(g_big[1], "put ");
	for (i = 0; i < 1025; i++)
		strcat(g_big[1], "61");
	strcat(g_big[1], " 00");
	/* a value of 1025 bytes (the limit is 1024) */
	strcpy(g_big[2], "put 6b3030 ");
	memset(g_big[2] + 11, '0', 2050);
	g_big[2][11 + 2050] = 0;
	/* a value of 61441 bytes (more than any value may be), a 123 KiB line */
	strcpy(g_big[3], "put 6b3030 ");
	memset(g_big[3] + 11, '1', 2 * 61441);
	g_big[3][11 + 2 * 61441] = 0;
	/* a group name of 70 bytes */
	strcpy(g_big[4], "txn group=");
	memset(g_big[4] + 10, 'x', 70);
	strcpy(g_big[4] + 80, " put 6b3030 00");
	/* a rendezvous group of 100 bytes */
	strcpy(g_big[5], "rdv-join ");
	memset(g_big[5] + 9, 'g', 100);
	g_big[5][109] = 0;
}

/* A valid request on r: the reply must start with want. */
static void expect_ok(struct lr *r, int node, const char *req, const char *want)
{
	char line[4096], sh[100];
	int ret = send_all(r->fd, req, strlen(req), 3000);

	if (ret >= 0)
		ret = lr_line(r, line, sizeof(line), 5000);
	if (ret < 0 || strncmp(line, want, strlen(want)))
		bad_key(req, "n%d control: '%s' got '%.100s' (%s; want '%s...')", node,
			show(req, strlen(req), sh, sizeof(sh)), ret < 0 ? "" : line,
			ret < 0 ? strerror(-ret) : "wrong", want);
}

static void *ctl_malformed(void *arg)
{
	static _Thread_local struct lr r;
	static int reported[NMAL + NMAL_BIG];	/* one report per request is enough */
	int n;

	(void)arg;
	for (n = 0; !stopping() && n < 1000; n++) {
		int node = n % NODES, k;

		r.fd = ctl_connect(node, 2000);
		r.len = 0;
		if (r.fd < 0) {
			bad_key("ctl-connect", "n%d control: cannot connect: %s", node, strerror(-r.fd));
			th_sleep_ms(100);
			continue;
		}
		/* a line ended by CRLF is the same request */
		expect_ok(&r, node, "ping\r\n", "ok pong");
		expect_ok(&r, node, "status\r\n", "ok {");
		for (k = 0; k < NMAL + NMAL_BIG && !stopping(); k++) {
			if (k < NMAL)
				expect_err(&r, node, g_mal[k].req, strlen(g_mal[k].req), g_mal[k].want,
					   &reported[k]);
			else
				expect_err(&r, node, g_big[k - NMAL], strlen(g_big[k - NMAL]),
					   g_big_want[k - NMAL], &reported[k]);
			count(S_CTL_MALFORMED, 1);
		}
		close(r.fd);
	}
	return NULL;
}

/* Half lines held open through the run; some completed at the end. */
static void *ctl_halfline(void *arg)
{
	int fd[NODES][6], i, k;

	(void)arg;
	for (i = 0; i < NODES; i++)
		for (k = 0; k < 6; k++) {
			fd[i][k] = ctl_connect(i, 2000);
			if (fd[i][k] < 0) {
				bad_key("ctl-connect", "n%d control: cannot connect: %s", i, strerror(-fd[i][k]));
				continue;
			}
			send_all(fd[i][k], k == 0 ? "pi" : "stat", k == 0 ? 2 : 4, 1000);
			count(S_CTL_HALF, 1);
		}
	while (!stopping())
		th_sleep_ms(50);
	for (i = 0; i < NODES; i++) {
		for (k = 0; k < 2; k++) {
			struct lr *r;
			char line[4096];
			int ret;

			if (fd[i][k] < 0)
				continue;
			r = calloc(1, sizeof(*r));
			CHECK(r != NULL);
			r->fd = fd[i][k];
			send_all(r->fd, k == 0 ? "ng\n" : "us\n", 3, 1000);
			ret = lr_line(r, line, sizeof(line), 3000);
			if (ret < 0 || strncmp(line, k == 0 ? "ok pong" : "ok {", k == 0 ? 7 : 4))
				bad("n%d control: a line held half-sent through the run, then ended: "
				    "reply '%.80s' (%s)", i, ret < 0 ? "" : line,
				    ret < 0 ? strerror(-ret) : "wrong");
			free(r);
		}
		for (k = 0; k < 6; k++)
			if (fd[i][k] >= 0)
				close(fd[i][k]);
	}
	return NULL;
}

/*
 * A client that pipelines "help" requests and never reads a reply. Each
 * 5-byte request makes a ~330-byte reply: an agent that queues replies
 * without a bound grows by 70 bytes per byte sent and busies its loop.
 * A bounded agent stops reading (our sends then block) or closes us.
 */
static void *ctl_noread(void *arg)
{
	int node = (int)(uintptr_t)arg, fd;
	static char chunk[5 * 2000];
	size_t sent = 0;
	double t0;
	int cut = 0, i;

	for (i = 0; i < 2000; i++)
		memcpy(chunk + 5 * i, "help\n", 5);
	th_sleep_ms(2500);	/* in the middle of everything else */
	fd = ctl_connect(node, 2000);
	if (fd < 0) {
		bad_key("ctl-connect", "n%d control: cannot connect: %s", node, strerror(-fd));
		return NULL;
	}
	t0 = th_now_s();
	while (sent < NOREAD_MAX && ms_since(t0) < 4000 && !stopping()) {
		ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			cut = 1;
			break;
		}
		wait_fd(fd, POLLOUT, 20);
	}
	count(S_NOREAD_BYTES, sent);
	printf("  non-reading client on n%d: sent %zu bytes of requests in %.1f s (%s)\n", node,
	       sent, ms_since(t0) / 1000, cut ? "the agent closed it" : "never read a reply");
	if (sent >= NOREAD_MAX)
		bad("n%d control: a client that never reads its replies sent %zu bytes of 'help' "
		    "requests (%zu replies, ~%zu MiB queued) and the agent kept reading: its "
		    "reply queue has no bound", node, sent, sent / 5, sent / 5 * 330 >> 20);
	th_sleep_ms(1000);
	close(fd);
	return NULL;
}

/* ---- the well-behaved ones ------------------------------------------------- */

static void *writer(void *arg)
{
	struct fotos *h[NODES];
	int i, n;

	(void)arg;
	for (i = 0; i < NODES; i++)
		CHECK_OK(fotos_open(g_cl.node[i].shm, &h[i]));
	for (n = 0; n < MAX_LIVE && !stopping(); n++) {
		struct fotos_put_result res;
		double t0 = th_now_s();
		int ret;

		snprintf(g_live_key[n], sizeof(g_live_key[n]), "live-%03d", n);
		snprintf(g_live_val[n], sizeof(g_live_val[n]), "written-during-abuse-%03d", n);
		ret = put_all(h[n % NODES], g_live_key[n], g_live_val[n], strlen(g_live_val[n]), &res);
		if (ret < 0) {
			bad("n%d: a valid put of %s failed under abuse: %s (%s)", n % NODES,
			    g_live_key[n], strerror(-ret), res.detail);
			break;
		}
		if (!res.acked_all)
			bad_key("not-acked", "n%d: put %s ack=all in the unchanged view was not acked by all: %s",
			    n % NODES, g_live_key[n], res.detail);
		if (ms_since(t0) > 1000)
			bad_key("slow-put", "n%d: a valid put took %.0f ms under abuse", n % NODES, ms_since(t0));
		g_nlive = n + 1;
		count(S_WRITES, 1);
		th_sleep_ms(100);
	}
	for (i = 0; i < NODES; i++)
		fotos_close(h[i]);
	return NULL;
}

static int g_fd_peak[NODES];

/* Every agent alive, all the time; and the most fds each had open. */
static void *monitor(void *arg)
{
	int round = 0;

	(void)arg;
	while (!stopping()) {
		int i, sample = round++ % 5 == 0;

		for (i = 0; i < NODES && sample; i++) {
			int n = g_cl.node[i].pid > 0 ? proc_fds(g_cl.node[i].pid) : -1;

			if (n > g_fd_peak[i])
				g_fd_peak[i] = n;
		}

		for (i = 0; i < NODES; i++) {
			pid_t pid = g_cl.node[i].pid;
			int st;

			if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
				bad("n%d (pid %d) DIED: %s %d (see %s)", i, (int)pid,
				    WIFSIGNALED(st) ? "signal" : "exit",
				    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
				    g_cl.node[i].log);
				g_cl.node[i].pid = 0;
			}
		}
		th_sleep_ms(20);
	}
	return NULL;
}

/* ---- checks -------------------------------------------------------------------- */

/* No record since g_t_base shows anything but the one stable view of all. */
static void check_view_kept(void)
{
	int i, shown = 0, nrec = 0;

	pthread_mutex_lock(&g_cl.mu);
	for (i = 0; i < g_cl.nrec; i++) {
		const struct cl_rec *r = &g_cl.rec[i];

		if (r->t < g_t_base)
			continue;
		nrec++;
		if (r->view_id != g_vid || r->members != cl_all(NODES) || !r->stable ||
		    r->state != FOTOS_STABLE) {
			if (shown++ < 10)
				fprintf(stderr, "  at %.3f n%d: %s stable %d view %016llx members %llx\n",
					r->t, r->node, fotos_state_name(r->state), (int)r->stable,
					(unsigned long long)r->view_id, (unsigned long long)r->members);
		}
	}
	pthread_mutex_unlock(&g_cl.mu);
	if (!shown)
		printf("  view %016llx held on all nodes (%d records since the start of the abuse)\n",
		       (unsigned long long)g_vid, nrec);
	else
		bad("the view changed under abuse (%d records off the view %016llx of n0,n1,n2; "
		    "see above and the logs)", shown, (unsigned long long)g_vid);
	for (i = 0; i < NODES; i++) {
		struct cl_rec r;

		if (!cl_latest(&g_cl, i, &r) || r.view_id != g_vid || !r.stable)
			bad("n%d does not publish the view %016llx now", i, (unsigned long long)g_vid);
	}
}

/* The content: the first snapshot plus the valid writes, on every node. */
static int content_ok(int node, struct snap *s, int verbose)
{
	int i, want = g_s0.n + g_nlive;
	char sh[100], sv[100];

	if (snap_take(g_h[node], s) < 0)
		return 0;
	if (s->n != want || s->lim.keys != (uint64_t)want || s->lim.versions != (uint64_t)want) {
		if (verbose)
			bad("n%d holds %d live keys (%llu keys, %llu versions); want %d keys, "
			    "%d versions (no deletes, no siblings)", node, s->n,
			    (unsigned long long)s->lim.keys, (unsigned long long)s->lim.versions,
			    want, want);
		if (verbose)
			for (i = 0; i < s->n; i++) {
				const struct ent *e = &s->e[i];
				int known = snap_find(&g_s0, e->key, e->klen) != NULL;

				if (!known && strncmp((const char *)e->key, "live-", 5))
					bad("n%d holds a key nobody validly wrote: '%s' = '%s'", node,
					    show(e->key, e->klen, sh, sizeof(sh)),
					    show(e->val, e->vlen < 30 ? e->vlen : 30, sv, sizeof(sv)));
			}
		return 0;
	}
	for (i = 0; i < g_s0.n; i++) {
		const struct ent *a = &g_s0.e[i], *b = snap_find(s, a->key, a->klen);

		if (!b || b->vlen != a->vlen || memcmp(a->val, b->val, a->vlen) ||
		    strcmp(a->clock, b->clock) || a->flags != b->flags) {
			if (verbose)
				bad("n%d: key '%s' changed: clock %s -> %s, flags %u -> %u, vlen %u -> %u",
				    node, show(a->key, a->klen, sh, sizeof(sh)), a->clock,
				    b ? b->clock : "(gone)", a->flags, b ? b->flags : 0, a->vlen,
				    b ? b->vlen : 0);
			return 0;
		}
	}
	for (i = 0; i < g_nlive; i++) {
		const struct ent *b = snap_find(s, g_live_key[i], (uint32_t)strlen(g_live_key[i]));

		if (!b || b->vlen != strlen(g_live_val[i]) || memcmp(b->val, g_live_val[i], b->vlen)) {
			if (verbose)
				bad("n%d: the valid write %s is missing or wrong", node, g_live_key[i]);
			return 0;
		}
	}
	return 1;
}

static void check_content(void)
{
	static struct snap s[NODES];
	double t0 = th_now_s();
	int i, ok;

	do {
		ok = 1;
		for (i = 0; i < NODES; i++)
			ok &= content_ok(i, &s[i], 0);
		for (i = 1; ok && i < NODES; i++) {
			int k;

			for (k = 0; k < s[0].n; k++)
				if (strcmp(s[0].e[k].clock, s[i].e[k].clock))
					ok = 0;
		}
		if (!ok)
			th_sleep_ms(20);
	} while (!ok && ms_since(t0) < 3000);
	if (ok) {
		printf("  database: %d first keys unchanged and %d valid writes, the same on all "
		       "nodes\n", g_s0.n, g_nlive);
		return;
	}
	for (i = 0; i < NODES; i++)
		content_ok(i, &s[i], 1);
	bad("the database content is not the first content plus the valid writes on every node");
}

/* More control clients than the agent takes: a clear refusal, no crash. */
static void over_limit(int node)
{
	static int fd[OVER_LIMIT];
	int k, ok = 0, err = 0, silent = 0, hung = 0, nofd = 0;
	char first_err[256] = "", first_silent[64] = "";

	for (k = 0; k < OVER_LIMIT; k++) {
		fd[k] = ctl_connect(node, 2000);
		nofd += fd[k] < 0;
	}
	for (k = 0; k < OVER_LIMIT; k++)
		if (fd[k] >= 0)
			send_all(fd[k], "ping\n", 5, 500);
	for (k = 0; k < OVER_LIMIT; k++) {
		struct lr *r;
		char line[512];
		int ret;

		if (fd[k] < 0)
			continue;
		r = calloc(1, sizeof(*r));
		CHECK(r != NULL);
		r->fd = fd[k];
		ret = lr_line(r, line, sizeof(line), 2000);
		if (ret >= 0 && !strcmp(line, "ok pong")) {
			ok++;
		} else if (ret >= 0 && !strncmp(line, "err ", 4)) {
			if (!err++)
				snprintf(first_err, sizeof(first_err), "%.250s", line);
		} else if (ret == -ETIMEDOUT) {
			hung++;
		} else {
			if (!silent++)
				snprintf(first_silent, sizeof(first_silent), "%.60s",
					 ret < 0 ? strerror(-ret) : line);
		}
		free(r);
	}
	printf("  n%d with %d control clients at once: %d served, %d refused with an error%s%s, "
	       "%d closed without a word, %d no answer, %d could not connect\n", node, OVER_LIMIT,
	       ok, err, err ? ": " : "", first_err, silent, hung, nofd);
	if (ok < 100 || ok > 128)
		bad("n%d served %d of %d control clients at once (the limit is 128)", node, ok,
		    OVER_LIMIT);
	if (hung || nofd)
		bad("n%d left %d control clients without an answer and %d unconnected", node, hung,
		    nofd);
	if (silent)
		bad("n%d refused %d control clients over its limit without a word (%s): want an "
		    "\"err ...\" line naming the limit before the close", node, silent, first_silent);
	for (k = 0; k < OVER_LIMIT; k++)
		if (fd[k] >= 0)
			close(fd[k]);
}

static int wait_fds(int node, int base, int timeout_ms, int *now)
{
	double t0 = th_now_s();

	do {
		*now = proc_fds(g_cl.node[node].pid);
		if (*now >= 0 && *now <= base + FD_SLACK)
			return 1;
		th_sleep_ms(20);
	} while (ms_since(t0) < timeout_ms);
	return 0;
}

/* Lines in node's log that a clean run never writes. */
static int scan_log(int node)
{
	static const char *const pat[] = { "AddressSanitizer", "LeakSanitizer", "runtime error",
		"ThreadSanitizer", "SUMMARY:", " ERROR:", "stale connection", "cannot happen" };
	char line[1024];
	int n = 0;
	size_t k;
	FILE *f = fopen(g_cl.node[node].log, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		for (k = 0; k < sizeof(pat) / sizeof(pat[0]); k++)
			if (strstr(line, pat[k])) {
				if (n++ < 15)
					fprintf(stderr, "  n%d log: %s", node, line);
				break;
			}
	fclose(f);
	return n;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum { T_RANDOM, T_HEADERS, T_HELLO, T_TYPES, T_HALFOPEN, T_TRICKLE0, T_TRICKLE1,
	       T_TRICKLE2, T_IDLE, T_CHURN, T_GARBAGE, T_LONG, T_FLOOD0, T_FLOOD1, T_FLOOD2,
	       T_FLOOD3, T_FLOOD4, T_FLOOD5, T_MALFORMED, T_HALFLINE, T_NOREAD, T_WRITER,
	       T_MONITOR, T_N };
	static const char *const tname[T_N] = {
		"random", "headers", "hello", "types", "halfopen", "trickle", "trickle",
		"trickle", "idle", "churn", "garbage", "long", "flood", "flood", "flood",
		"flood", "flood", "flood", "malformed", "halfline", "noread", "writer", "monitor",
	};
	static void *(*const fn[T_N])(void *) = {
		ab_random, ab_headers, ab_hello, ab_types, ab_halfopen, ab_trickle, ab_trickle,
		ab_trickle, ab_idle, ab_churn, ctl_garbage, ctl_long, ctl_flood, ctl_flood,
		ctl_flood, ctl_flood, ctl_flood, ctl_flood, ctl_malformed, ctl_halfline,
		ctl_noread, writer, monitor,
	};
	uint64_t rss0[NODES], hwm1[NODES], rss1[NODES];
	long ups0[NODES], downs0[NODES];
	int fds0[NODES], asan = 0, i;
	pthread_t thr[T_N];
	int started[T_N];
	const char *skip = getenv("ABUSE_SKIP");
	struct rlimit rl;
	char name[32];
	double t_abuse;

	if (argc > 1)
		g_abuse_s = atoi(argv[1]) > 0 ? atoi(argv[1]) : g_abuse_s;
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g_seed = getenv("ABUSE_SEED") ? strtoull(getenv("ABUSE_SEED"), NULL, 0) : th_now_ns();
	g_seed |= 1;
	printf("abuse: seed %llu (ABUSE_SEED=%llu repeats it), %d s of abuse\n",
	       (unsigned long long)g_seed, (unsigned long long)g_seed, g_abuse_s);

	cl_init(&g_cl, NODES, HB_MS, TO_MS);
	alarm((unsigned)g_abuse_s + 60);
	snprintf(name, sizeof(name), "t%d", (int)getpid());	/* the name cl_init wrote */
	g_hash = wire_hash(name, strlen(name), 0);
	build_frames();
	build_big();

	/* The agents share a cluster key: a stranger who knows the protocol
	 * and the cluster's name still cannot pass for a node. */
	{
		static char key[200], cmd[400];
		const char *ctl = getenv("FOTOSCTL") ? getenv("FOTOSCTL") : "build/release/fotosctl";

		snprintf(key, sizeof(key), "%s/cluster.key", g_cl.dir);
		snprintf(cmd, sizeof(cmd), "%s keygen %s >/dev/null", ctl, key);
		CHECK_EQ(system(cmd), 0);
		g_cl.extra[0] = "--key-file";
		g_cl.extra[1] = key;
	}
	cl_start_all(&g_cl);
	CL_EXPECT(&g_cl, cl_wait_view(&g_cl, cl_all(NODES), cl_all(NODES), 5000), "3 nodes start");
	for (i = 0; i < NODES; i++)
		CHECK_OK(fotos_open(g_cl.node[i].shm, &g_h[i]));

	/* the first content: NKEYS keys through every node, ack=all */
	for (i = 0; i < NKEYS; i++) {
		uint64_t s = g_seed + (uint64_t)i;
		struct fotos_put_result res;
		size_t vlen = i == 0 ? 1024 : 8 + rnd(&s) % 200, k;
		int ret;

		snprintf(g_key[i], sizeof(g_key[i]), "k%02d", i);
		for (k = 0; k < vlen; k++)
			g_val[i][k] = (char)(0x21 + rnd(&s) % 94);
		g_val[i][vlen] = 0;
		hex_of(g_val[i], vlen, g_hexval[i]);
		ret = put_all(g_h[i % NODES], g_key[i], g_val[i], vlen, &res);
		if (ret < 0 || !res.acked_all)
			FAIL("put %s through n%d: %s (%s)", g_key[i], i % NODES,
			     ret < 0 ? strerror(-ret) : "not acked by all", res.detail);
	}
	{
		double t0 = th_now_s();
		static struct snap s;
		int ok;

		do {
			ok = snap_take(g_h[0], &g_s0) == 0 && g_s0.n == NKEYS;
			for (i = 1; ok && i < NODES; i++)
				ok = snap_take(g_h[i], &s) == 0 && s.n == NKEYS &&
				     !memcmp(s.e, g_s0.e, sizeof(s.e[0]) * NKEYS);
			if (!ok)
				th_sleep_ms(10);
		} while (!ok && ms_since(t0) < 3000);
		if (!ok)
			FAIL("the first %d keys are not the same on every node", NKEYS);
	}
	th_sleep_ms(300);
	{
		struct cl_rec r;

		CHECK(cl_latest(&g_cl, 0, &r));
		g_vid = r.view_id;
	}
	CL_EXPECT(&g_cl, cl_wait_view(&g_cl, cl_all(NODES), cl_all(NODES), 2000), "still stable");
	g_t_base = cl_now(&g_cl);
	for (i = 0; i < NODES; i++) {
		pid_t pid = g_cl.node[i].pid;

		rss0[i] = proc_kb(pid, "VmRSS");
		fds0[i] = proc_fds(pid);
		asan |= proc_asan(pid);
		CHECK_OK(link_flaps(i, &ups0[i], &downs0[i]));
	}
	printf("  baseline: view %016llx, %d keys; n0 RSS %.1f MiB, %d fds%s\n",
	       (unsigned long long)g_vid, g_s0.n, rss0[0] / 1048576.0, fds0[0],
	       asan ? " (ASan build: RSS bounds widened)" : "");

	/* ---- the abuse ---- */
	t_abuse = th_now_s();
	for (i = 0; i < T_N; i++) {
		uintptr_t arg = (uintptr_t)i;

		if (i >= T_TRICKLE0 && i <= T_TRICKLE2)
			arg = (uintptr_t)(i - T_TRICKLE0);
		if (i >= T_FLOOD0 && i <= T_FLOOD5)
			arg = (uintptr_t)(i - T_FLOOD0);
		if (i == T_NOREAD)
			arg = NODES - 1;
		started[i] = !skip || i == T_MONITOR || !strstr(skip, tname[i]);
		if (started[i])
			CHECK(pthread_create(&thr[i], NULL, fn[i], (void *)arg) == 0);
	}
	while (ms_since(t_abuse) < g_abuse_s * 1000.0)
		th_sleep_ms(50);
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < T_N; i++)
		if (started[i])
			pthread_join(thr[i], NULL);
	printf("  %.1f s of abuse:", ms_since(t_abuse) / 1000);
	for (i = 0; i < S_MAX; i++)
		printf("%s %lu %s", i ? "," : "", g_st[i], s_name[i]);
	printf("\n");

	/* ---- after ---- */
	for (i = 0; i < NODES; i++)
		if (g_cl.node[i].pid > 0)
			over_limit(i);
	for (i = 0; i < NODES; i++) {
		pid_t pid = g_cl.node[i].pid;
		char resp[256];
		long ups, downs;
		int fds;

		if (pid <= 0 || kill(pid, 0) < 0) {
			bad("n%d is not running after the abuse", i);
			continue;
		}
		if (fotos_ctl_request(g_cl.node[i].sock, "ping", resp, sizeof(resp), 2000) < 0 ||
		    strcmp(resp, "pong"))
			bad("n%d does not answer ping after the abuse: '%s'", i, resp);
		if (link_flaps(i, &ups, &downs) < 0)
			bad("n%d does not answer peers after the abuse", i);
		else if (ups != ups0[i] || downs != downs0[i])
			bad("n%d's links flapped under abuse: ups %ld -> %ld, downs %ld -> %ld", i,
			    ups0[i], ups, downs0[i], downs);
		if (!wait_fds(i, fds0[i], 3000, &fds))
			bad("n%d has %d open fds 3 s after the abusers left (baseline %d)", i, fds,
			    fds0[i]);
		rss1[i] = proc_kb(pid, "VmRSS");
		hwm1[i] = proc_kb(pid, "VmHWM");
		printf("  n%d: RSS %.1f -> %.1f MiB (peak %.1f MiB), fds %d -> %d (peak %d)\n", i,
		       rss0[i] / 1048576.0, rss1[i] / 1048576.0, hwm1[i] / 1048576.0, fds0[i], fds,
		       g_fd_peak[i]);
		if (rss1[i] > rss0[i] + (asan ? 6 : 1) * RSS_SLACK)
			bad("n%d's RSS grew from %.1f to %.1f MiB (bound +%llu MiB)", i,
			    rss0[i] / 1048576.0, rss1[i] / 1048576.0,
			    (unsigned long long)((asan ? 6 : 1) * RSS_SLACK >> 20));
		if (hwm1[i] > rss0[i] + (asan ? 4 : 1) * HWM_SLACK)
			bad("n%d's RSS peaked at %.1f MiB from %.1f (bound +%llu MiB)", i,
			    hwm1[i] / 1048576.0, rss0[i] / 1048576.0,
			    (unsigned long long)((asan ? 4 : 1) * HWM_SLACK >> 20));
	}
	check_view_kept();
	check_content();

	/* still a working cluster: a write through each node, read on all */
	for (i = 0; i < NODES; i++) {
		struct fotos_put_result res;
		char key[32], val[32], got[64];
		double t0;
		int j, ret;

		snprintf(key, sizeof(key), "after-%d", i);
		snprintf(val, sizeof(val), "round-trip-%d", i);
		ret = put_all(g_h[i], key, val, strlen(val), &res);
		if (ret < 0 || !res.acked_all) {
			bad("n%d: put %s after the abuse: %s (%s)", i, key,
			    ret < 0 ? strerror(-ret) : "not acked by all", res.detail);
			continue;
		}
		for (j = 0; j < NODES; j++) {
			t0 = th_now_s();
			do {
				ret = fotos_get(g_h[j], key, strlen(key), got, sizeof(got) - 1, NULL);
				if (ret >= 0)
					got[ret] = 0;
			} while ((ret < 0 || strcmp(got, val)) && ms_since(t0) < 2000 &&
				 (th_sleep_ms(5), 1));
			if (ret < 0 || strcmp(got, val))
				bad("n%d does not read %s (written through n%d): %d", j, key, i, ret);
		}
	}

	/* a clean stop, and nothing in the logs a clean run never writes */
	for (i = 0; i < NODES; i++)
		fotos_close(g_h[i]);
	__atomic_store_n(&g_cl.stop, 1, __ATOMIC_RELEASE);	/* recorders: history is complete */
	for (i = 0; i < NODES; i++) {
		pid_t pid = g_cl.node[i].pid;
		int rc;

		if (pid <= 0)
			continue;
		kill(pid, SIGTERM);
		rc = th_wait_pid(pid, 10000);
		g_cl.node[i].pid = 0;
		if (rc != 0)
			bad("n%d did not exit cleanly on SIGTERM: %s %d (a sanitizer report? see its log)",
			    i, rc < 0 ? "timeout" : rc > 128 ? "signal" : "exit",
			    rc > 128 ? rc - 128 : rc);
	}
	for (i = 0; i < NODES; i++) {
		int n = scan_log(i);

		if (n)
			bad("n%d's log has %d line(s) a clean run never writes (above)", i, n);
	}
	if (g_nbad) {
		if (g_nquiet)
			fprintf(stderr, "(%d more BAD reports of the same kinds were not printed)\n",
				g_nquiet);
		for (i = 0; i < NODES; i++) {
			char cmd[256];

			fprintf(stderr, "---- %s: lines with WARN/ERROR (last 15) ----\n",
				g_cl.node[i].log);
			snprintf(cmd, sizeof(cmd), "grep -v ' info: ' %s | grep -v 'malformed frame\\|"
				 "first frame is\\|refusing a HELLO' | tail -n 15 1>&2",
				 g_cl.node[i].log);
			if (system(cmd) != 0)
				fprintf(stderr, "(none)\n");
		}
		FAIL("%d failed expectation(s) under abuse (BAD lines above)", g_nbad);
	}
	cl_finish(&g_cl);	/* joins the recorders, checks agreement, removes the logs */
	printf("abuse: ok\n");
	return 0;
}
