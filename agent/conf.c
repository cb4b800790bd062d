/*
 * conf.c - the agent's configuration: defaults, the INI file, final checks.
 *
 * The parser works on (pointer, length) spans of the caller's text, which
 * need not be NUL-terminated and may hold any bytes. It fills a private copy
 * of struct conf and copies it out only when the whole text is good, so a bad
 * file changes nothing. Every error names the file and line, quotes the
 * offending text (non-printable bytes shown as '?') and says what is wrong.
 *
 * conf.o depends on libc only, so the fuzzers and the replay programs can
 * link it alone.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define CONF_FILE_MAX	(1024 * 1024)	/* a config file larger than this is a mistake */
#define QUOTE_MAX	48		/* bytes of user text quoted in an error */

enum { SECT_NONE, SECT_CLUSTER, SECT_NODE };

struct span {
	const char *p;
	size_t n;
};

/* Numeric [cluster] keys: where they go and their allowed range. */
struct num_key {
	const char *name;
	size_t off;
	unsigned int min, max;
};

static const struct num_key num_keys[] = {
	{ "heartbeat_ms", offsetof(struct conf, heartbeat_ms), 1, 60000 },
	{ "timeout_ms", offsetof(struct conf, timeout_ms), 2, 600000 },
	{ "retry_min_ms", offsetof(struct conf, retry_min_ms), 1, 60000 },
	{ "retry_max_ms", offsetof(struct conf, retry_max_ms), 1, 600000 },
	{ "start_wait_ms", offsetof(struct conf, start_wait_ms), 0, 600000 },
	{ "hold_down_ms", offsetof(struct conf, hold_down_ms), 0, 600000 },
	{ "db_max_keys", offsetof(struct conf, db_max_keys), 1, 1u << 26 },
	{ "db_max_key", offsetof(struct conf, db_max_key), 1, FOTOS_DB_MAX_KEY },
	{ "db_max_value", offsetof(struct conf, db_max_value), 0, FOTOS_DB_MAX_VAL },
};
#define NUM_KEYS	(sizeof(num_keys) / sizeof(num_keys[0]))
#define KEY_NAME	NUM_KEYS	/* index of "name" in parser.key_line */
#define KEY_ARBITER	(NUM_KEYS + 1)
#define KEY_DATA_DIR	(NUM_KEYS + 2)
#define KEY_FSYNC	(NUM_KEYS + 3)
#define KEY_KEY_FILE	(NUM_KEYS + 4)
#define KEY_ENCRYPT	(NUM_KEYS + 5)
#define KEY_GROUP	(NUM_KEYS + 6)
#define KEY_WUSERS	(NUM_KEYS + 7)
#define KEY_WGROUPS	(NUM_KEYS + 8)
#define KEY_LAST	KEY_WGROUPS

/* The other [cluster] keys, by index from KEY_NAME. */
static const char *const text_keys[] = {
	"name", "arbiter", "data_dir", "db_fsync", "key_file", "encrypt", "group",
	"write_users", "write_groups",
};

struct parser {
	struct conf c;			/* the copy being built */
	const char *fname;
	char *err;
	size_t errlen;
	int line;			/* current line, from 1 */
	int sect;			/* SECT_* */
	int addr_line;			/* line of the current node's address, 0 none */
	int key_line[KEY_LAST + 1];	/* where each [cluster] key was set */
};

/* Why an address was refused, so the error can say which part is wrong. */
enum { ADDR_OK, ADDR_BAD_HOST, ADDR_BAD_PORT };

static unsigned int *num_field(struct conf *c, const struct num_key *k)
{
	return (unsigned int *)((char *)c + k->off);
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static struct span trim(struct span s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static int span_is(struct span s, const char *word)
{
	size_t n = strlen(word);

	return s.n == n && memcmp(s.p, word, n) == 0;
}

/* Copy a span into a NUL-terminated buffer. 0, or -1 if it does not fit. */
static int span_copy(char *dst, size_t cap, struct span s)
{
	if (s.n >= cap)
		return -1;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

/*
 * Make user text safe to print in a one-line error: at most QUOTE_MAX
 * bytes, control and non-ASCII bytes replaced, "..." if cut.
 */
static const char *quote(char buf[QUOTE_MAX + 4], struct span s)
{
	size_t i, n = s.n > QUOTE_MAX ? QUOTE_MAX : s.n;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		buf[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
	}
	if (n < s.n) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static void verr(char *err, size_t errlen, const char *prefix, int line,
		 const char *fmt, va_list ap)
{
	int n = 0;

	if (!err || !errlen)
		return;
	if (prefix)
		n = snprintf(err, errlen, "%s:%d: ", prefix, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

/* Write "file:line: message" into the caller's buffer. Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int perr(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(ps->err, ps->errlen, ps->fname ? ps->fname : "(config)", line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error without a place (conf_finish, conf_load). Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int plain_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, errlen, NULL, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Check a node or cluster name: 1..FOTOS_NAME_MAX-1 bytes of [A-Za-z0-9_.-].
 * The names end up in file paths and the shared segment, hence the strict set.
 * Returns 0, or writes the error and returns -EINVAL.
 */
static int check_name(struct parser *ps, const char *what, struct span s)
{
	char q[QUOTE_MAX + 4];
	size_t i;

	if (s.n == 0)
		return perr(ps, ps->line, "missing %s name", what);
	if (s.n > FOTOS_NAME_MAX - 1)
		return perr(ps, ps->line, "%s name '%s' too long (max %d characters)",
			    what, quote(q, s), FOTOS_NAME_MAX - 1);
	for (i = 0; i < s.n; i++) {
		char ch = s.p[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return perr(ps, ps->line,
				    "bad %s name '%s': use only A-Z a-z 0-9 _ . -",
				    what, quote(q, s));
	}
	return 0;
}

/*
 * Parse a plain decimal number (digits only: no sign, space or suffix).
 * 0 and *v set, saturated at UINT64_MAX/10 so overflow reads as "too big";
 * -1 for junk.
 */
static int parse_num(struct span s, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (s.n == 0)
		return -1;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		if (x < UINT64_MAX / 10)
			x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	*v = x;
	return 0;
}

/*
 * The address parser behind conf_parse_addr(). Returns ADDR_OK and fills
 * *ss and *len, or says which part is wrong (ss untouched).
 */
static int parse_addr(struct span s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	struct span h, port;
	const char *colon;
	uint64_t pv;
	int family;

	if (s.n && s.p[0] == '[') {
		const char *close = memchr(s.p, ']', s.n);

		if (!close)
			return ADDR_BAD_HOST;
		h = (struct span){ s.p + 1, (size_t)(close - s.p - 1) };
		colon = close + 1;
		if ((size_t)(colon - s.p) >= s.n || *colon != ':')
			return ADDR_BAD_HOST;
		family = AF_INET6;
	} else {
		colon = memchr(s.p, ':', s.n);
		if (!colon)
			return ADDR_BAD_HOST;
		h = (struct span){ s.p, (size_t)(colon - s.p) };
		family = AF_INET;
	}
	port = (struct span){ colon + 1, s.n - (size_t)(colon + 1 - s.p) };

	if (span_copy(host, sizeof(host), h) < 0 || memchr(h.p, '\0', h.n))
		return ADDR_BAD_HOST;
	if (family == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		/* inet_pton takes exactly a.b.c.d: no short forms, no octal. */
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return ADDR_BAD_HOST;
		if (parse_num(port, &pv) < 0 || pv < 1 || pv > 65535)
			return ADDR_BAD_PORT;
		sin.sin_port = htons((uint16_t)pv);
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, &sin, sizeof(sin));
		*len = sizeof(sin);
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		if (inet_pton(AF_INET6, host, &sin6.sin6_addr) != 1)
			return ADDR_BAD_HOST;
		if (parse_num(port, &pv) < 0 || pv < 1 || pv > 65535)
			return ADDR_BAD_PORT;
		sin6.sin6_port = htons((uint16_t)pv);
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, &sin6, sizeof(sin6));
		*len = sizeof(sin6);
	}
	return ADDR_OK;
}

/*
 * Parse "a.b.c.d:port" or "[v6]:port" (port 1..65535, decimal) into ss.
 * Host names are not taken: the mesh must not depend on DNS. 0 or -EINVAL.
 */
int conf_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	struct span s = { text, strlen(text) };

	return parse_addr(s, ss, len) == ADDR_OK ? 0 : -EINVAL;
}

/* Same family, address and port. */
static int same_addr(const struct conf_node *a, const struct conf_node *b)
{
	if (a->addrlen == 0 || a->addr.ss_family != b->addr.ss_family)
		return 0;
	if (a->addr.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&b->addr;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *x = (const void *)&a->addr, *y = (const void *)&b->addr;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
}

int conf_find_node(const struct conf *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Leave the current section: a node section must have given an address. */
static int end_section(struct parser *ps)
{
	if (ps->sect == SECT_NODE && !ps->addr_line) {
		const struct conf_node *n = &ps->c.nodes[ps->c.nnodes - 1];

		return perr(ps, n->line, "node '%s' has no address", n->name);
	}
	ps->sect = SECT_NONE;
	return 0;
}

/* "[cluster]" or "[node NAME]"; inner is the text between the brackets. */
static int on_section(struct parser *ps, struct span inner)
{
	char q[QUOTE_MAX + 4];
	struct conf_node *n;
	struct span name;
	int ret, i;

	ret = end_section(ps);
	if (ret < 0)
		return ret;
	inner = trim(inner);
	if (span_is(inner, "cluster")) {
		ps->sect = SECT_CLUSTER;
		return 0;
	}
	if (!(inner.n >= 4 && memcmp(inner.p, "node", 4) == 0 &&
	      (inner.n == 4 || is_space(inner.p[4]))))
		return perr(ps, ps->line, "unknown section '[%s]' (expected [cluster] or [node NAME])",
			    quote(q, inner));

	name = trim((struct span){ inner.p + 4, inner.n - 4 });
	ret = check_name(ps, "node", name);
	if (ret < 0)
		return ret;
	for (i = 0; i < (int)ps->c.nnodes; i++)
		if (span_is(name, ps->c.nodes[i].name))
			return perr(ps, ps->line, "duplicate node '%s' (first defined at line %d)",
				    ps->c.nodes[i].name, ps->c.nodes[i].line);
	if (ps->c.nnodes >= FOTOS_MAX_NODES)
		return perr(ps, ps->line, "too many nodes (max %d)", FOTOS_MAX_NODES);

	n = &ps->c.nodes[ps->c.nnodes++];
	memset(n, 0, sizeof(*n));
	span_copy(n->name, sizeof(n->name), name);	/* fits: checked above */
	n->line = ps->line;
	ps->sect = SECT_NODE;
	ps->addr_line = 0;
	return 0;
}

static int on_node_key(struct parser *ps, struct span key, struct span val)
{
	struct conf_node *n = &ps->c.nodes[ps->c.nnodes - 1];
	char q[QUOTE_MAX + 4];
	unsigned int i;
	int why;

	if (!span_is(key, "address"))
		return perr(ps, ps->line, "unknown key '%s' in [node %s]", quote(q, key), n->name);
	if (ps->addr_line)
		return perr(ps, ps->line, "duplicate key 'address' in [node %s] (first at line %d)",
			    n->name, ps->addr_line);
	if (val.n >= sizeof(n->addr_text))
		return perr(ps, ps->line, "bad address '%s': too long", quote(q, val));

	why = parse_addr(val, &n->addr, &n->addrlen);
	if (why == ADDR_BAD_HOST)
		return perr(ps, ps->line, "bad address '%s' (expected a.b.c.d:port or [v6]:port)",
			    quote(q, val));
	if (why == ADDR_BAD_PORT)
		return perr(ps, ps->line, "bad port in address '%s' (expected 1..65535)",
			    quote(q, val));
	span_copy(n->addr_text, sizeof(n->addr_text), val);

	for (i = 0; i + 1 < ps->c.nnodes; i++)
		if (same_addr(&ps->c.nodes[i], n))
			return perr(ps, ps->line,
				    "duplicate address '%s', also used by node '%s' at line %d",
				    n->addr_text, ps->c.nodes[i].name, ps->c.nodes[i].line);
	ps->addr_line = ps->line;
	return 0;
}

static int on_cluster_key(struct parser *ps, struct span key, struct span val)
{
	char q[QUOTE_MAX + 4], kq[QUOTE_MAX + 4];
	unsigned int i;
	uint64_t v;
	int ret;

	for (i = 0; i <= KEY_LAST; i++)
		if (span_is(key, i < NUM_KEYS ? num_keys[i].name : text_keys[i - KEY_NAME]))
			break;
	if (i > KEY_LAST)
		return perr(ps, ps->line, "unknown key '%s' in [cluster]", quote(kq, key));
	/* A key set twice in one file is almost always an editing slip. */
	if (ps->key_line[i])
		return perr(ps, ps->line, "duplicate key '%s' in [cluster] (first at line %d)",
			    quote(kq, key), ps->key_line[i]);

	if (i == KEY_NAME) {
		ret = check_name(ps, "cluster", val);
		if (ret < 0)
			return ret;
		span_copy(ps->c.cluster, sizeof(ps->c.cluster), val);
	} else if (i == KEY_DATA_DIR) {
		if (val.n >= sizeof(ps->c.data_dir) || val.p[0] != '/')
			return perr(ps, ps->line, "data_dir must be an absolute path under %zu characters",
				    sizeof(ps->c.data_dir));
		span_copy(ps->c.data_dir, sizeof(ps->c.data_dir), val);
	} else if (i == KEY_FSYNC) {
		ret = conf_parse_fsync(val.p, val.n);
		if (ret < 0)
			return perr(ps, ps->line, "unknown db_fsync '%s' (always, batch or none)",
				    quote(q, val));
		ps->c.db_fsync = ret;
	} else if (i == KEY_KEY_FILE) {
		if (val.n >= sizeof(ps->c.key_file) || val.p[0] != '/')
			return perr(ps, ps->line, "key_file must be an absolute path under %zu characters",
				    sizeof(ps->c.key_file));
		span_copy(ps->c.key_file, sizeof(ps->c.key_file), val);
	} else if (i == KEY_ENCRYPT) {
		ret = conf_parse_bool(val.p, val.n);
		if (ret < 0)
			return perr(ps, ps->line, "encrypt = '%s': expected yes or no", quote(q, val));
		ps->c.encrypt = ret;
	} else if (i == KEY_GROUP || i == KEY_WUSERS || i == KEY_WGROUPS) {
		char *dst = i == KEY_GROUP ? ps->c.group : i == KEY_WUSERS ? ps->c.write_users :
			    ps->c.write_groups;
		size_t cap = i == KEY_GROUP ? sizeof(ps->c.group) : sizeof(ps->c.write_users);
		size_t k;

		if (val.n >= cap)
			return perr(ps, ps->line, "%s is longer than %zu characters",
				    text_keys[i - KEY_NAME], cap - 1);
		for (k = 0; k < val.n; k++)
			if (!isalnum((unsigned char)val.p[k]) && !strchr("_.-,$", val.p[k]) &&
			    !(i != KEY_GROUP && val.p[k] == ' '))
				return perr(ps, ps->line, "%s = '%s': user and group names are "
					    "[A-Za-z0-9_.-]%s", text_keys[i - KEY_NAME],
					    quote(q, val), i == KEY_GROUP ? "" : ", separated by commas");
		span_copy(dst, cap, val);
	} else if (i == KEY_ARBITER) {
		char why[160];

		(void)q;
		ret = conf_parse_arbiter(&ps->c, val.p, val.n, why, sizeof(why));
		if (ret < 0)
			return perr(ps, ps->line, "%s", why);
	} else {
		const struct num_key *k = &num_keys[i];

		if (parse_num(val, &v) < 0)
			return perr(ps, ps->line, "bad number '%s' for %s (plain decimal digits)",
				    quote(q, val), k->name);
		if (v < k->min || v > k->max)
			return perr(ps, ps->line, "%s = %s out of range (%u..%u)",
				    k->name, quote(q, val), k->min, k->max);
		*num_field(&ps->c, k) = (unsigned int)v;
	}
	ps->key_line[i] = ps->line;
	return 0;
}

/* One line, without its '\n'. */
static int on_line(struct parser *ps, struct span s)
{
	char q[QUOTE_MAX + 4];
	struct span key, val;
	const char *eq;
	size_t i;

	if (memchr(s.p, '\0', s.n))
		return perr(ps, ps->line, "NUL byte in line");
	/* Comments run to the end of the line; no value may hold ';' or '#'. */
	for (i = 0; i < s.n; i++)
		if (s.p[i] == ';' || s.p[i] == '#')
			break;
	s.n = i;
	s = trim(s);
	if (s.n == 0)
		return 0;

	if (s.p[0] == '[') {
		if (s.p[s.n - 1] != ']')
			return perr(ps, ps->line, "section header '%s' lacks its closing ']'",
				    quote(q, s));
		return on_section(ps, (struct span){ s.p + 1, s.n - 2 });
	}

	eq = memchr(s.p, '=', s.n);
	if (!eq)
		return perr(ps, ps->line, "expected 'key = value', got '%s'", quote(q, s));
	key = trim((struct span){ s.p, (size_t)(eq - s.p) });
	val = trim((struct span){ eq + 1, s.n - (size_t)(eq + 1 - s.p) });
	if (key.n == 0)
		return perr(ps, ps->line, "missing key before '='");
	if (val.n == 0)
		return perr(ps, ps->line, "missing value for '%s'", quote(q, key));

	switch (ps->sect) {
	case SECT_CLUSTER:
		return on_cluster_key(ps, key, val);
	case SECT_NODE:
		return on_node_key(ps, key, val);
	default:
		return perr(ps, ps->line, "key '%s' outside a section (put it under [cluster])",
			    quote(q, key));
	}
}

/*
 * Parse INI text of len bytes into c (see conf.h for the format). Nodes are
 * appended to those already in c. Returns 0, or -EINVAL with
 * "fname:line: problem" in err and c unchanged. Relations between keys that
 * flags may still change (timeout_ms > heartbeat_ms, retry_max_ms >=
 * retry_min_ms) are checked by conf_finish().
 */
int conf_parse(struct conf *c, const char *text, size_t len, const char *fname,
	       char *err, size_t errlen)
{
	struct parser ps = {
		.c = *c,
		.fname = fname,
		.err = err,
		.errlen = errlen,
	};
	size_t pos = 0;
	int ret;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		ps.line++;
		ret = on_line(&ps, (struct span){ text + pos, end - pos });
		if (ret < 0)
			return ret;
		pos = end + 1;
	}
	ret = end_section(&ps);
	if (ret < 0)
		return ret;
	*c = ps.c;
	return 0;
}

/*
 * Read fname (at most 1 MiB) and conf_parse() it. Returns 0, -errno for an
 * I/O error ("cannot read fotos.ini: No such file or directory" in err),
 * -EFBIG for a larger file, or conf_parse()'s error. Init time only.
 */
int conf_load(struct conf *c, const char *fname, char *err, size_t errlen)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, ret;

	fd = open(fname, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		plain_err(err, errlen, "cannot read %s: %s", fname, strerror(-ret));
		return ret;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto err_io;
	}
	for (;;) {
		if (n == cap) {
			/* One byte past the limit tells "exactly 1 MiB" from "more". */
			if (cap > CONF_FILE_MAX) {
				plain_err(err, errlen, "cannot read %s: larger than 1 MiB", fname);
				ret = -EFBIG;
				goto out;
			}
			cap = cap * 2 > CONF_FILE_MAX ? CONF_FILE_MAX + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto err_io;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto err_io;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > CONF_FILE_MAX) {
		plain_err(err, errlen, "cannot read %s: larger than 1 MiB", fname);
		ret = -EFBIG;
		goto out;
	}
	ret = conf_parse(c, buf, n, fname, err, errlen);
	goto out;

err_io:
	plain_err(err, errlen, "cannot read %s: %s", fname, strerror(-ret));
out:
	free(buf);
	close(fd);
	return ret;
}

int conf_parse_arbiter(struct conf *c, const char *s, size_t n, char *why, size_t whylen)
{
	char buf[300], *arg;
	unsigned long v;
	char *end;

	if (n >= sizeof(buf)) {
		snprintf(why, whylen, "arbiter setting too long");
		return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	arg = strchr(buf, ' ');
	if (arg) {
		*arg++ = 0;
		while (*arg == ' ')
			arg++;
	}
	if (!strcmp(buf, "none") && !arg) {
		c->arbiter = ARBITER_NONE;
	} else if (!strcmp(buf, "majority")) {
		c->arbiter = ARBITER_MAJORITY;
		c->arbiter_tie[0] = 0;
		if (arg) {
			if (strncmp(arg, "tie-break=", 10) || !arg[10] ||
			    strlen(arg + 10) >= sizeof(c->arbiter_tie) || strchr(arg + 10, ' ')) {
				snprintf(why, whylen, "majority takes only tie-break=NODE, not '%.40s'", arg);
				return -EINVAL;
			}
			snprintf(c->arbiter_tie, sizeof(c->arbiter_tie), "%s", arg + 10);
		}
	} else if (!strcmp(buf, "static-quorum")) {
		errno = 0;
		v = arg ? strtoul(arg, &end, 10) : 0;
		if (!arg || *end || errno || v < 1 || v > FOTOS_MAX_NODES || arg[0] == '-') {
			snprintf(why, whylen, "static-quorum needs a number of nodes, 1..%d", FOTOS_MAX_NODES);
			return -EINVAL;
		}
		c->arbiter = ARBITER_QUORUM;
		c->arbiter_quorum = (unsigned int)v;
	} else if (!strcmp(buf, "command")) {
		if (!arg || arg[0] != '/' || strlen(arg) >= sizeof(c->arbiter_cmd)) {
			snprintf(why, whylen, "command needs an absolute path to a program");
			return -EINVAL;
		}
		c->arbiter = ARBITER_COMMAND;
		snprintf(c->arbiter_cmd, sizeof(c->arbiter_cmd), "%s", arg);
	} else {
		snprintf(why, whylen, "unknown arbiter '%.40s' (none, majority [tie-break=NODE], "
			 "static-quorum N, command PATH)", buf);
		return -EINVAL;
	}
	return 0;
}

int conf_parse_fsync(const char *s, size_t n)
{
	if (n == 4 && !memcmp(s, "none", 4))
		return 0;
	if (n == 5 && !memcmp(s, "batch", 5))
		return 1;
	if (n == 6 && !memcmp(s, "always", 6))
		return 2;
	return -EINVAL;
}

int conf_parse_bool(const char *s, size_t n)
{
	if ((n == 3 && !memcmp(s, "yes", 3)) || (n == 4 && !memcmp(s, "true", 4)) ||
	    (n == 2 && !memcmp(s, "on", 2)) || (n == 1 && s[0] == '1'))
		return 1;
	if ((n == 2 && !memcmp(s, "no", 2)) || (n == 5 && !memcmp(s, "false", 5)) ||
	    (n == 3 && !memcmp(s, "off", 3)) || (n == 1 && s[0] == '0'))
		return 0;
	return -EINVAL;
}

void conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->cluster, sizeof(c->cluster), "fotos");
	c->heartbeat_ms = 100;
	c->timeout_ms = 500;
	c->retry_min_ms = 20;
	c->retry_max_ms = 1000;
	c->start_wait_ms = 0;
	c->hold_down_ms = 1000;
	c->db_max_keys = 4096;
	c->db_max_key = 64;
	c->db_max_value = 1024;
	c->data_dir[0] = 0;
	c->db_fsync = 2;
	c->arbiter = ARBITER_NONE;
	c->nnodes = 0;
	c->self = -1;
	/* shm_name and control_path stay empty: conf_finish() fills them. */
	snprintf(c->log_level, sizeof(c->log_level), "info");
}

/*
 * Checks once the file and every flag are applied: nodes exist, self is
 * chosen, every number in range (flags bypass conf_parse) and the timings
 * agree with each other. Then fills control_path ("/run/fotos/<node>.sock")
 * and shm_name ("/fotos") if still empty. 0, or -EINVAL with err filled and
 * c unchanged.
 */
int conf_finish(struct conf *c, char *err, size_t errlen)
{
	unsigned int i;

	if (c->nnodes == 0)
		return plain_err(err, errlen, "no nodes configured");
	if (c->nnodes > FOTOS_MAX_NODES)
		return plain_err(err, errlen, "too many nodes (max %d)", FOTOS_MAX_NODES);
	if (c->self < 0)
		return plain_err(err, errlen, "no --node given");
	if (c->self >= (int)c->nnodes)
		return plain_err(err, errlen, "node index %d out of range", c->self);
	for (i = 0; i < NUM_KEYS; i++) {
		unsigned int v = *num_field(c, &num_keys[i]);

		if (v < num_keys[i].min || v > num_keys[i].max)
			return plain_err(err, errlen, "%s = %u out of range (%u..%u)",
					 num_keys[i].name, v, num_keys[i].min, num_keys[i].max);
	}
	if (c->timeout_ms <= c->heartbeat_ms)
		return plain_err(err, errlen, "timeout_ms (%u) must be greater than heartbeat_ms (%u)",
				 c->timeout_ms, c->heartbeat_ms);
	if (c->retry_max_ms < c->retry_min_ms)
		return plain_err(err, errlen, "retry_max_ms (%u) must be at least retry_min_ms (%u)",
				 c->retry_max_ms, c->retry_min_ms);
	if (c->arbiter == ARBITER_MAJORITY && c->arbiter_tie[0] &&
	    conf_find_node(c, c->arbiter_tie) < 0)
		return plain_err(err, errlen, "arbiter tie-break node '%s' is not a configured node",
				 c->arbiter_tie);
	if (c->arbiter == ARBITER_QUORUM && c->arbiter_quorum > c->nnodes)
		return plain_err(err, errlen, "arbiter static-quorum %u is more than the %u configured nodes: "
				 "no network could ever be primary", c->arbiter_quorum, c->nnodes);
	if (c->encrypt && !c->key_file[0])
		return plain_err(err, errlen, "encrypt = yes needs a key_file (fotosctl keygen writes one)");
	if (c->arbiter == ARBITER_COMMAND && access(c->arbiter_cmd, X_OK) < 0)
		return plain_err(err, errlen, "arbiter command %s: %s", c->arbiter_cmd,
				 strerror(errno));

	if (!c->control_path[0])
		snprintf(c->control_path, sizeof(c->control_path), "/run/fotos/%s.sock",
			 c->nodes[c->self].name);
	if (!c->shm_name[0])
		snprintf(c->shm_name, sizeof(c->shm_name), "/fotos");
	return 0;
}
