/*
 * fotosctl - look at and talk to the local fotos agent.
 *
 * Reads the membership through clientlib (shared memory, no system call
 * per read), sleeps on its futex for changes, and sends control requests
 * over the agent's Unix socket. Subcommands live in one table; the usage
 * text is generated from it.
 *
 * The database commands (get, put, del, keys, watch --key) read from the
 * segment with clientlib's zero-syscall fotos_get and write with fotos_put /
 * fotos_del over the agent's control socket.
 *
 * Exit codes: 0 success, 1 failure or timeout, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fotos.h"

/* Only for the post-mortem read of a dead agent's segment (see
 * snap_postmortem) and the layout version; everything else is clientlib. */
#include "fotos_abi.h"
#include "segment.h"
#include "seqlock.h"

#ifndef FOTOS_VERSION
#define FOTOS_VERSION "0.1.0"
#endif

#define EXIT_USAGE	2
#define CTL_TIMEOUT_MS	2000
#define REOPEN_MS	100
#define WATCH_EVENTS	(FOTOS_EV_VIEW | FOTOS_EV_STABLE | FOTOS_EV_STATE)

/* Options every command accepts. */
struct opts {
	const char *shm;	/* resolved: --shm, else $FOTOS_SHM, else "/fotos" */
	const char *control;	/* --control PATH, or NULL: from the segment */
	int json;
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct opts *o);
	const char *help;	/* "ARGS\tdescription" */
};

static const char *prog = "fotosctl";
static const struct cmd *cur_cmd;

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- JSON output ------------------------------------------------------ */

/*
 * Write s (at most max bytes, stops at NUL) as a JSON string. Quotes,
 * backslashes and control characters are escaped; bytes >= 0x7f are
 * written as \u00XX so the output is valid JSON whatever the segment held.
 */
static void json_str(FILE *f, const char *s, size_t max)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* ---- what we know about the node ------------------------------------- */

struct snap {
	struct fotos_info info;
	struct fotos_status st;
	struct fotos_view view;
	int alive;		/* fotos_check() == 0 */
	int have_view;		/* view read consistently */
};

/* Read everything through an open handle. 0 or -errno. */
static int snap_read(struct fotos *h, struct snap *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	fotos_get_info(h, &s->info);
	s->alive = fotos_check(h) == 0;
	ret = fotos_read_status(h, &s->st);
	if (ret < 0)
		return ret;
	ret = fotos_read_view(h, &s->view);
	if (ret < 0)
		return ret;
	s->have_view = 1;
	return 0;
}

/*
 * The agent is gone, so clientlib (rightly) refuses to open its segment.
 * For "status" we still want to show what the segment last said: map it
 * read-only ourselves, validate it with the same checker clientlib uses,
 * and take seqlock copies. Never used to decide anything; always reported
 * with agent_alive false. 0 or -errno.
 */
static int snap_postmortem(const char *name, struct snap *s)
{
	const struct fotos_shm_hdr *hdr;
	const struct fotos_seq_region *r;
	struct shm_layout l;
	struct stat st;
	void *map = MAP_FAILED;
	long n;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if ((size_t)st.st_size < FOTOS_PAGE) {
		ret = -EPROTO;
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	ret = shm_validate(map, (size_t)st.st_size, &l);
	if (ret < 0)
		goto out;
	hdr = map;
	s->info.agent_pid = hdr->agent_pid;
	s->info.agent_start_ns = hdr->agent_start_ns;
	memcpy(s->info.node, hdr->node_name, sizeof(s->info.node) - 1);
	memcpy(s->info.cluster, hdr->cluster_name, sizeof(s->info.cluster) - 1);
	memcpy(s->info.control_path, hdr->control_path, sizeof(s->info.control_path) - 1);
	r = (const void *)((const unsigned char *)map + l.state_off);
	n = seqlock_read(r, &s->st, FOTOS_SW_NWORDS, (size_t)-1, 0, 0);
	if (n < 0) {
		ret = -EAGAIN;	/* died in the middle of a write */
		goto out;
	}
	r = (const void *)((const unsigned char *)map + l.view_off);
	n = seqlock_read(r, &s->view, FOTOS_VIEW_HEAD_WORDS, 3,
			 sizeof(struct fotos_shm_member) / 8, FOTOS_MAX_NODES);
	if (n >= 0) {
		s->have_view = 1;
		if (s->view.count > FOTOS_MAX_MEMBERS)
			s->view.count = FOTOS_MAX_MEMBERS;
	}
	ret = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return ret;
}

static const char *yesno(uint64_t v)
{
	return v ? "yes" : "no";
}

static void print_json(const struct snap *s)
{
	uint32_t i;

	fputs("{\"node\":", stdout);
	json_str(stdout, s->info.node, sizeof(s->info.node));
	fputs(",\"state\":", stdout);
	json_str(stdout, fotos_state_name(s->st.state), 32);
	printf(",\"stable\":%s,\"primary\":%s,\"epoch\":%" PRIu64 ",\"view_id\":%" PRIu64
	       ",\"members\":[", s->st.stable ? "true" : "false",
	       s->st.primary ? "true" : "false", s->st.epoch, s->st.view_id);
	for (i = 0; s->have_view && i < s->view.count; i++) {
		const struct fotos_member *m = &s->view.members[i];
		char addr[64];

		if (fotos_member_address(m, addr, sizeof(addr)) < 0)
			snprintf(addr, sizeof(addr), "?");
		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		json_str(stdout, m->name, sizeof(m->name));
		fputs(",\"address\":", stdout);
		json_str(stdout, addr, sizeof(addr));
		printf(",\"incarnation\":%" PRIu64 "}", m->incarnation);
	}
	printf("],\"agent_alive\":%s}\n", s->alive ? "true" : "false");
}

static void print_table(const struct snap *s, const char *shm)
{
	uint32_t i;

	printf("node      %s%s%s (segment %s, agent pid %" PRIu64 ", %s)\n",
	       s->info.node[0] ? s->info.node : "?",
	       s->info.cluster[0] ? " in cluster " : "", s->info.cluster, shm,
	       s->info.agent_pid, s->alive ? "alive" : "DEAD");
	printf("state     %-10s stable %-4s primary %s\n", fotos_state_name(s->st.state),
	       yesno(s->st.stable), yesno(s->st.primary));
	printf("epoch     %-10" PRIu64 " view   0x%016" PRIx64 "\n", s->st.epoch, s->st.view_id);
	if (!s->have_view) {
		printf("members   (no consistent copy of the view)\n");
		return;
	}
	printf("members   %u\n", s->view.count);
	if (!s->view.count)
		return;
	printf("  %-20s %-26s %s\n", "NAME", "ADDRESS", "INCARNATION");
	for (i = 0; i < s->view.count; i++) {
		const struct fotos_member *m = &s->view.members[i];
		char addr[64];

		if (fotos_member_address(m, addr, sizeof(addr)) < 0)
			snprintf(addr, sizeof(addr), "?");
		printf("  %-20.*s %-26s %" PRIu64 "\n", (int)sizeof(m->name), m->name, addr,
		       m->incarnation);
	}
}

/* One line: "epoch 5 stable members n1,n2,n3". */
static void print_line(const struct snap *s)
{
	uint32_t i;

	printf("epoch %" PRIu64 " %s", s->st.epoch, fotos_state_name(s->st.state));
	if (s->st.state == FOTOS_STABLE && !s->st.stable)
		printf(" (not stable)");
	if ((s->st.state == FOTOS_STABLE || s->st.state == FOTOS_UNSTABLE) && !s->st.primary)
		printf(" (not primary)");
	printf(" members ");
	if (!s->have_view || !s->view.count)
		printf("-");
	for (i = 0; s->have_view && i < s->view.count; i++)
		printf("%s%.*s", i ? "," : "", (int)sizeof(s->view.members[i].name),
		       s->view.members[i].name);
	if (!s->alive)
		printf(" (agent dead)");
	putchar('\n');
}

static void emit(const struct snap *s, const struct opts *o)
{
	if (o->json)
		print_json(s);
	else
		print_line(s);
	fflush(stdout);
}

/* ---- option helpers ---------------------------------------------------- */

static void cmd_usage(FILE *f, const struct cmd *c);

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cur_cmd)
		cmd_usage(stderr, cur_cmd);
	return EXIT_USAGE;
}

/*
 * If argv[*i] is --name VALUE or --name=VALUE, store VALUE and return 1
 * (advancing *i past it); -1 if the value is missing; 0 if not this option.
 */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* Parse a non-negative decimal number that fits max. 0 or -EINVAL. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

/* ---- opening the segment ------------------------------------------------ */

static int open_seg(const struct opts *o, struct fotos **h)
{
	int ret, tries = 0;

	for (;;) {
		ret = fotos_open(o->shm, h);
		/* -EAGAIN: the agent is creating it right now; give it a moment. */
		if (ret != -EAGAIN || ++tries > 20)
			return ret;
		sleep_ms(50);
	}
}

static void open_failed(const struct opts *o, int err)
{
	errmsg("cannot open segment %s: %s", o->shm, fotos_strerror(err));
}

/*
 * Reopen after the agent died or was replaced: try every REOPEN_MS until
 * it works or deadline_ms (0: none) passes. 0 or -ETIMEDOUT.
 */
static int reopen(const struct opts *o, struct fotos **h, uint64_t deadline_ms)
{
	int ret, last = 0;

	if (*h) {
		fotos_close(*h);
		*h = NULL;
	}
	for (;;) {
		ret = fotos_open(o->shm, h);
		if (ret == 0)
			return 0;
		if (ret != last)
			fprintf(stderr, "%s: waiting for an agent on %s: %s\n", prog, o->shm,
				fotos_strerror(ret));
		last = ret;
		if (deadline_ms && mono_ms() >= deadline_ms)
			return -ETIMEDOUT;
		sleep_ms(REOPEN_MS);
	}
}

/* ---- the database: bytes on the command line and in the output ---------- */

#define CLOCK_TEXT	(FOTOS_MAX_MEMBERS * 24)
#define MAX_VERSIONS	(FOTOS_MAX_MEMBERS + 1)
#define DB_RETRIES	200	/* -EAGAIN from a read: the agent kept rewriting it */

/* A key or value: bytes, not a C string (it may hold NULs). */
struct bytes {
	uint8_t *p;
	size_t n;
};

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The bytes of a KEY or VALUE argument: as given (text), or decoded from
 * hex (two digits a byte). 0, -EINVAL (not hex), -ENOMEM. Free b->p.
 */
static int arg_bytes(const char *s, int hex, struct bytes *b)
{
	size_t n = strlen(s), i;

	b->n = hex ? n / 2 : n;
	b->p = malloc(b->n + 1);
	if (!b->p)
		return -ENOMEM;
	if (!hex) {
		memcpy(b->p, s, n);
		return 0;
	}
	if (n % 2)
		goto bad;
	for (i = 0; i < b->n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		b->p[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	free(b->p);
	b->p = NULL;
	return -EINVAL;
}

/*
 * 1 if p[0..n) is valid UTF-8 without control characters (C0, DEL, C1):
 * such bytes print as they are and go into JSON as a string.
 */
static int is_text(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = p[i], min;
		size_t len, k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, c &= 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, c &= 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, c &= 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3fu);
		}
		/* overlong, surrogate, beyond Unicode, or a C1 control */
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c <= 0x9f)
			return 0;
		i += len;
	}
	return 1;
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/*
 * Bytes for a human: hex if asked; as they are if text; else printable
 * ASCII as is and every other byte as \xNN (a backslash as \\).
 */
static void put_human(FILE *f, const uint8_t *p, size_t n, int hex)
{
	size_t i;

	if (hex) {
		put_hex(f, p, n);
		return;
	}
	if (is_text(p, n)) {
		fwrite(p, 1, n, f);
		return;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
}

/* sep "name":"text" if the bytes are text (and hex is off), else sep "name_hex":"..." */
static void json_bytes(FILE *f, const char *sep, const char *name, const uint8_t *p, size_t n,
		       int hex)
{
	size_t i;

	if (hex || !is_text(p, n)) {
		fprintf(f, "%s\"%s_hex\":\"", sep, name);
		put_hex(f, p, n);
		fputc('"', f);
		return;
	}
	fprintf(f, "%s\"%s\":\"", sep, name);
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fputc('\\', f);
		fputc(p[i], f);	/* text: no control characters, UTF-8 passes */
	}
	fputc('"', f);
}

static void clock_text(const struct fotos_vclock *vc, char *buf, size_t len)
{
	if (fotos_vclock_format(vc, buf, len) < 0)
		snprintf(buf, len, "?");
}

/* The writer's name from the view (its index otherwise). */
static void writer_name(const struct fotos_view *v, uint32_t idx, char *buf, size_t len)
{
	uint32_t i;

	for (i = 0; v && i < v->count; i++)
		if (v->members[i].index == idx) {
			snprintf(buf, len, "%.*s", FOTOS_NAME_LEN, v->members[i].name);
			return;
		}
	snprintf(buf, len, "node#%u", idx);
}

/* One version of a key as read from the segment. */
struct kver {
	struct fotos_meta m;
	uint8_t *val;		/* min(m.vlen, vcap) bytes */
	int deleted;
};

struct kvers {
	int n;			/* versions; 0: no such key */
	size_t vcap;
	struct kver v[MAX_VERSIONS];
};

static void kvers_free(struct kvers *ks)
{
	int i;

	for (i = 0; i < MAX_VERSIONS; i++)
		free(ks->v[i].val);
	memset(ks, 0, sizeof(*ks));
}

static int kvers_alloc(struct kvers *ks, size_t vcap)
{
	int i;

	memset(ks, 0, sizeof(*ks));
	ks->vcap = vcap;
	for (i = 0; i < MAX_VERSIONS; i++) {
		ks->v[i].val = malloc(vcap ? vcap : 1);
		if (!ks->v[i].val) {
			kvers_free(ks);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Every version of key: the winner (maybe a delete) first, then for a
 * conflicted key its siblings. Each version is consistent; the set is read
 * one version at a time (not a snapshot). 0 or -errno.
 */
static int kvers_read(struct fotos *h, const struct bytes *k, struct kvers *ks)
{
	int n, ret, tries;

	ks->n = 0;
	for (n = 0; n < MAX_VERSIONS; n++) {
		struct kver *v = &ks->v[n];

		for (tries = 0;; tries++) {
			ret = fotos_get_version(h, k->p, k->n, (unsigned int)n, v->val, ks->vcap,
						&v->m);
			if (ret != -EAGAIN || tries >= DB_RETRIES)
				break;
			sleep_ms(1);
		}
		v->deleted = (v->m.flags & FOTOS_DB_DELETED) != 0;
		if (ret == -ENOENT && !v->deleted)
			break;		/* past the last version */
		if (ret < 0 && ret != -ENOENT)
			return ret;
		ks->n = n + 1;
		if (!(v->m.flags & (FOTOS_DB_CONFLICT | FOTOS_DB_SIBLING)))
			break;		/* one version only */
	}
	return 0;
}

/* Say why a database read failed. */
static void db_read_failed(const struct opts *o, const char *what, int err)
{
	if (err == -ENODATA)
		errmsg("%s: the agent of %s publishes no database", what, o->shm);
	else if (err == -E2BIG)
		errmsg("%s: the key is longer than the agent allows (fotosd --db-max-key)", what);
	else
		errmsg("%s: cannot read the database of %s: %s", what, o->shm, fotos_strerror(err));
}

/* The JSON object of a key: its winner's fields, and every version if all. */
static void print_key_json(const struct bytes *k, const struct kvers *ks,
			   const struct fotos_view *view, int all, int hex)
{
	const struct kver *w = &ks->v[0];
	char cl[CLOCK_TEXT], wn[FOTOS_NAME_LEN + 16];
	int i, conflict = ks->n > 0 && (w->m.flags & FOTOS_DB_CONFLICT);

	fputc('{', stdout);
	json_bytes(stdout, "", "key", k->p, k->n, hex);
	printf(",\"found\":%s,\"deleted\":%s,\"conflict\":%s,\"nversions\":%d",
	       ks->n && !w->deleted ? "true" : "false", ks->n && w->deleted ? "true" : "false",
	       conflict ? "true" : "false", ks->n);
	for (i = 0; i < ks->n && (i == 0 || all); i++) {
		const struct kver *v = &ks->v[i];
		size_t got = v->m.vlen < ks->vcap ? v->m.vlen : ks->vcap;

		if (all)
			printf(i ? ",{\"winner\":false,\"deleted\":%s" :
				   ",\"versions\":[{\"winner\":true,\"deleted\":%s",
			       v->deleted ? "true" : "false");
		if (!v->deleted)
			json_bytes(stdout, ",", "value", v->val, got, hex);
		clock_text(&v->m.clock, cl, sizeof(cl));
		writer_name(view, v->m.writer, wn, sizeof(wn));
		printf(",\"size\":%u,\"clock\":\"%s\",\"writer\":", v->m.vlen, cl);
		json_str(stdout, wn, sizeof(wn));
		printf(",\"writer_index\":%u", v->m.writer);
		if (all)
			fputc('}', stdout);
	}
	if (all)
		fputs(ks->n ? "]" : ",\"versions\":[]", stdout);
	fputs("}\n", stdout);
}

static void print_value_human(const struct kver *v, size_t vcap, int hex)
{
	size_t got = v->m.vlen < vcap ? v->m.vlen : vcap;

	if (v->deleted)
		fputs("(deleted)", stdout);
	else if (!v->m.vlen)
		fputs("(empty)", stdout);
	else
		put_human(stdout, v->val, got, hex);
}

/* ---- database commands ---------------------------------------------------- */

/* Options of the database commands; which ones a command takes is a mask. */
enum {
	DA_HEX = 1 << 0, DA_ALL = 1 << 1, DA_ACK = 1 << 2, DA_IF = 1 << 3,
	DA_IF_ABSENT = 1 << 4, DA_TIMEOUT = 1 << 5, DA_LONG = 1 << 6,
};

struct dbargs {
	int hex, all, ack_all, if_absent, have_expect, lng, timeout_ms;
	struct fotos_vclock expect;
	const char *pos[2];
	int npos;
};

/*
 * Parse the options in allowed and between min and max positional
 * arguments ("--" ends the options: a key may start with '-').
 * 0, or the exit code of a usage error.
 */
static int db_args(int argc, char **argv, unsigned int allowed, int min, int max,
		   struct dbargs *a)
{
	const char *name = argv[0], *v;
	uint64_t t;
	int i, r, ended = 0;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = CTL_TIMEOUT_MS;
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!ended && !strcmp(s, "--")) {
			ended = 1;
		} else if (!ended && (allowed & DA_HEX) && !strcmp(s, "--hex")) {
			a->hex = 1;
		} else if (!ended && (allowed & DA_ALL) && !strcmp(s, "--all-versions")) {
			a->all = 1;
		} else if (!ended && (allowed & DA_ACK) && !strcmp(s, "--ack-all")) {
			a->ack_all = 1;
		} else if (!ended && (allowed & DA_LONG) && (!strcmp(s, "--long") || !strcmp(s, "-l"))) {
			a->lng = 1;
		} else if (!ended && (allowed & DA_IF_ABSENT) && !strcmp(s, "--if-absent")) {
			a->if_absent = 1;
		} else if (!ended && (allowed & DA_IF) && (r = opt_value(argc, argv, &i, "--if", &v))) {
			if (r < 0 || fotos_vclock_parse(&a->expect, v) < 0)
				return usage_error("%s: --if needs the clock the key was read with, "
						   "e.g. --if 0:3,2:1 (as 'fotosctl get' prints it)",
						   name);
			a->have_expect = 1;
		} else if (!ended && (allowed & DA_TIMEOUT) &&
			   (r = opt_value(argc, argv, &i, "--timeout-ms", &v))) {
			if (r < 0 || parse_num(v, INT_MAX, &t))
				return usage_error("%s: --timeout-ms needs a number of milliseconds",
						   name);
			a->timeout_ms = (int)t;
		} else if (!ended && s[0] == '-' && s[1]) {
			return usage_error("%s: unknown option '%s' (a key or value starting with "
					   "'-' goes after --)", name, s);
		} else if (a->npos < max) {
			a->pos[a->npos++] = s;
		} else {
			return usage_error("%s: unexpected argument '%s'", name, s);
		}
	}
	if (a->npos < min)
		return usage_error("%s: %s", name, max == 2 ? "which KEY and VALUE?" : "which KEY?");
	if (a->have_expect && a->if_absent)
		return usage_error("%s: --if CLOCK and --if-absent exclude each other", name);
	return 0;
}

/* KEY (or PREFIX) argument to bytes; 0 or the exit code. */
static int db_key_arg(const char *cmd, const char *s, int hex, int may_be_empty, struct bytes *b)
{
	int ret = arg_bytes(s, hex, b);

	if (ret == -ENOMEM) {
		errmsg("out of memory");
		return 1;
	}
	if (ret < 0)
		return usage_error("%s: '%s' is not hex (two hex digits a byte: --hex)", cmd, s);
	if (!b->n && !may_be_empty) {
		free(b->p);
		b->p = NULL;
		return usage_error("%s: a key cannot be empty", cmd);
	}
	return 0;
}

/* Open the segment and read its database limits; 0 or the exit code. */
static int db_open(const struct opts *o, const char *cmd, struct fotos **h,
		   struct fotos_db_limits *lim)
{
	int ret = open_seg(o, h);

	if (ret < 0) {
		open_failed(o, ret);
		return 1;
	}
	ret = fotos_db_limits(*h, lim);
	if (ret < 0) {
		db_read_failed(o, cmd, ret);
		fotos_close(*h);
		*h = NULL;
		return 1;
	}
	return 0;
}

/* The key for messages: as a human reads it. */
static void key_msg(const struct bytes *k, int hex, char *buf, size_t len)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	if (!f) {
		snprintf(buf, len, "?");
		return;
	}
	put_human(f, k->p, k->n < 64 ? k->n : 64, hex);
	if (k->n > 64)
		fputs("...", f);
	fclose(f);
	snprintf(buf, len, "%s", p ? p : "?");
	free(p);
}

/*
 * get KEY: read the key from the segment (no system call, no agent round
 * trip). Exit 1 if it is absent or deleted.
 */
static int cmd_get(int argc, char **argv, struct opts *o)
{
	struct fotos_db_limits lim;
	struct fotos_view view;
	struct fotos *h = NULL;
	struct dbargs a;
	struct bytes k = { 0 };
	struct kvers *ks = NULL;
	char km[300], cl[CLOCK_TEXT], wn[FOTOS_NAME_LEN + 16];
	int ret, rc = 1, i, have_view;

	if ((ret = db_args(argc, argv, DA_HEX | DA_ALL, 1, 1, &a)))
		return ret;
	if ((ret = db_key_arg("get", a.pos[0], a.hex, 0, &k)))
		return ret;
	key_msg(&k, a.hex, km, sizeof(km));
	if (db_open(o, "get", &h, &lim))
		goto out;
	if (k.n > lim.max_key_len) {
		errmsg("get: the key is %zu bytes; this database's keys are at most %" PRIu64
		       " (fotosd --db-max-key), so it holds no such key", k.n, lim.max_key_len);
		goto out;
	}
	ks = malloc(sizeof(*ks));
	if (!ks || kvers_alloc(ks, lim.max_val_len) < 0) {
		free(ks);
		ks = NULL;
		errmsg("out of memory");
		goto out;
	}
	ret = kvers_read(h, &k, ks);
	if (ret < 0) {
		db_read_failed(o, "get", ret);
		goto out;
	}
	have_view = fotos_read_view(h, &view) == 0;
	rc = ks->n && !ks->v[0].deleted ? 0 : 1;
	if (o->json) {
		print_key_json(&k, ks, have_view ? &view : NULL, a.all, a.hex);
	} else if (!ks->n || (ks->v[0].deleted && !a.all)) {
		if (!ks->n) {
			errmsg("get: no key '%s'", km);
		} else {
			clock_text(&ks->v[0].m.clock, cl, sizeof(cl));
			errmsg("get: key '%s' is deleted (clock %s)%s", km, cl,
			       (ks->v[0].m.flags & FOTOS_DB_CONFLICT) ?
			       "; it has concurrent versions: --all-versions shows them" : "");
		}
	} else if (!a.all) {
		const struct kver *w = &ks->v[0];

		clock_text(&w->m.clock, cl, sizeof(cl));
		writer_name(have_view ? &view : NULL, w->m.writer, wn, sizeof(wn));
		fputs("key       ", stdout);
		put_human(stdout, k.p, k.n, a.hex);
		fputs("\nvalue     ", stdout);
		print_value_human(w, ks->vcap, a.hex);
		printf("\nsize      %u bytes\nclock     %s\nwriter    %s (node %u)\n", w->m.vlen,
		       cl, wn, w->m.writer);
		if (w->m.flags & FOTOS_DB_CONFLICT)
			printf("state     CONFLICT: %d concurrent versions, this one wins "
			       "(--all-versions shows them; the next put resolves it)\n", ks->n);
	} else {
		fputs("key       ", stdout);
		put_human(stdout, k.p, k.n, a.hex);
		printf("\nversions  %d%s\n", ks->n, ks->n > 1 ?
		       " (CONFLICT: concurrent writes; the next put resolves it)" : "");
		printf("  %-2s %-8s %-12s %-8s %-20s %s\n", "#", "ROLE", "WRITER", "SIZE", "CLOCK",
		       "VALUE");
		for (i = 0; i < ks->n; i++) {
			const struct kver *v = &ks->v[i];

			clock_text(&v->m.clock, cl, sizeof(cl));
			writer_name(have_view ? &view : NULL, v->m.writer, wn, sizeof(wn));
			printf("  %-2d %-8s %-12s %-8u %-20s ", i,
			       ks->n == 1 ? "current" : i ? "sibling" : "winner", wn, v->m.vlen, cl);
			print_value_human(v, ks->vcap, a.hex);
			putchar('\n');
		}
	}
	fflush(stdout);
out:
	if (ks) {
		kvers_free(ks);
		free(ks);
	}
	if (h)
		fotos_close(h);
	free(k.p);
	return rc;
}

/* The word after "ack=" in a write's answer ("local", "all", "partial ..."). */
static const char *ack_of(const char *detail)
{
	const char *p = strstr(detail, "ack=");

	return p ? p + 4 : "local";
}

/* The agent's detail without its leading errno name ("ECANCELED ..."). */
static const char *detail_text(const char *d)
{
	const char *p = d;

	if (*p == 'E') {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			p++;
		if (*p == ' ')
			return p + 1;
	}
	return d;
}

/*
 * put KEY VALUE / del KEY: one write through the agent (fotos_put,
 * fotos_del), conditional on a clock or on absence, answered once applied
 * locally or (--ack-all) on every member.
 */
static int db_write(int argc, char **argv, struct opts *o, int del)
{
	const char *cmd = del ? "del" : "put";
	struct fotos_put_result res;
	struct fotos_db_limits lim;
	struct fotos_info info;
	struct fotos *h = NULL;
	struct dbargs a;
	struct bytes k = { 0 }, v = { 0 };
	char km[300], cl[CLOCK_TEXT], ex[CLOCK_TEXT];
	const char *ack;
	unsigned int flags = 0;
	int ret, rc = 1;

	ret = db_args(argc, argv, DA_HEX | DA_ACK | DA_IF | DA_TIMEOUT | (del ? 0 : DA_IF_ABSENT),
		      del ? 1 : 2, del ? 1 : 2, &a);
	if (ret)
		return ret;
	if ((ret = db_key_arg(cmd, a.pos[0], a.hex, 0, &k)))
		return ret;
	if (!del) {
		ret = arg_bytes(a.pos[1], a.hex, &v);
		if (ret < 0) {
			free(k.p);
			return ret == -ENOMEM ? (errmsg("out of memory"), 1) :
			       usage_error("put: the value '%.40s' is not hex (two hex digits a byte)",
					   a.pos[1]);
		}
	}
	key_msg(&k, a.hex, km, sizeof(km));
	if (db_open(o, cmd, &h, &lim))
		goto out;
	fotos_get_info(h, &info);
	if (o->control && strcmp(o->control, info.control_path)) {
		errmsg("%s: writes go to the control socket the segment %s names (%s), not to "
		       "--control %s: drop --control, or pass the --shm of that agent", cmd, o->shm,
		       info.control_path, o->control);
		goto out;
	}
	if (k.n > lim.max_key_len || v.n > lim.max_val_len) {
		errmsg("%s: the %s is %zu bytes; this database takes at most %" PRIu64
		       " (fotosd --db-max-%s)", cmd, k.n > lim.max_key_len ? "key" : "value",
		       k.n > lim.max_key_len ? k.n : v.n,
		       k.n > lim.max_key_len ? lim.max_key_len : lim.max_val_len,
		       k.n > lim.max_key_len ? "key" : "value");
		goto out;
	}
	if (a.ack_all)
		flags |= FOTOS_PUT_ACK_ALL;
	if (a.if_absent)
		flags |= FOTOS_PUT_IF_ABSENT;
	if (del)
		ret = fotos_del(h, k.p, k.n, flags, a.have_expect ? &a.expect : NULL, &res,
				a.timeout_ms);
	else
		ret = fotos_put(h, k.p, k.n, v.p, v.n, flags, a.have_expect ? &a.expect : NULL, &res,
				a.timeout_ms);
	clock_text(&res.clock, cl, sizeof(cl));
	if (ret == -ECANCELED) {
		if (o->json) {
			fputc('{', stdout);
			json_bytes(stdout, "", "key", k.p, k.n, a.hex);
			printf(",\"written\":false,\"error\":\"condition failed\",\"current_clock\":"
			       "\"%s\"}\n", cl);
		}
		if (a.if_absent)
			errmsg("%s %s: refused: the key exists, current clock %s", cmd, km, cl);
		else
		{
			clock_text(&a.expect, ex, sizeof(ex));
			errmsg("%s %s: refused: condition failed, current clock %s (%s since clock %s "
			       "was read: get it again and retry)", cmd, km, cl,
			       strcmp(cl, "-") ? "the key changed" : "the key is absent", ex);
		}
		goto out;
	}
	if (ret == -ETIMEDOUT) {
		errmsg("%s %s: no answer from the agent within %d ms%s; the write may still be "
		       "applied (check with 'fotosctl get')", cmd, km, a.timeout_ms,
		       a.ack_all ? " (--ack-all waits for every member: raise --timeout-ms?)" : "");
		goto out;
	}
	if (ret < 0) {
		const char *d = detail_text(res.detail);

		errmsg("%s %s failed: %s%s%s", cmd, km, fotos_strerror(ret), *d ? ": " : "", d);
		goto out;
	}
	ack = ack_of(res.detail);
	if (o->json) {
		fputc('{', stdout);
		json_bytes(stdout, "", "key", k.p, k.n, a.hex);
		printf(",\"written\":true,\"deleted\":%s,\"clock\":\"%s\",\"acked_all\":%s,\"ack\":",
		       del ? "true" : "false", cl, res.acked_all ? "true" : "false");
		json_str(stdout, ack, SIZE_MAX);
		fputs("}\n", stdout);
	} else {
		printf("%s clock %s, acknowledged %s\n", del ? "deleted," : "written,", cl,
		       res.acked_all ? "by every member" :
		       !strncmp(ack, "local", 5) ? "locally" :
		       !strncmp(ack, "owner", 5) ? "by the key's owner" : ack);
	}
	fflush(stdout);
	rc = 0;
	if (a.ack_all && !res.acked_all) {
		errmsg("%s %s: applied, but not acknowledged by every member (%s)", cmd, km, ack);
		rc = 1;
	}
out:
	if (h)
		fotos_close(h);
	free(k.p);
	free(v.p);
	return rc;
}

static int cmd_put(int argc, char **argv, struct opts *o)
{
	return db_write(argc, argv, o, 0);
}

static int cmd_del(int argc, char **argv, struct opts *o)
{
	return db_write(argc, argv, o, 1);
}

/* One live key of a listing. */
struct keyent {
	struct bytes k;
	struct fotos_meta m;
};

static int keyent_cmp(const void *x, const void *y)
{
	const struct keyent *a = x, *b = y;
	size_t n = a->k.n < b->k.n ? a->k.n : b->k.n;
	int c = memcmp(a->k.p, b->k.p, n);

	return c ? c : (a->k.n > b->k.n) - (a->k.n < b->k.n);
}

/* keys [PREFIX]: the live keys from the segment, sorted (bytewise). */
static int cmd_keys(int argc, char **argv, struct opts *o)
{
	struct fotos_db_limits lim;
	struct fotos_db_iter it = { 0 };
	struct fotos_view view;
	struct fotos *h = NULL;
	struct keyent *ents = NULL;
	struct dbargs a;
	struct bytes pre = { 0 };
	size_t n = 0, cap = 0, i, out = 0;
	uint8_t *kb = NULL;
	int ret, rc = 1, have_view;

	if ((ret = db_args(argc, argv, DA_HEX | DA_LONG, 0, 1, &a)))
		return ret;
	if ((ret = db_key_arg("keys", a.npos ? a.pos[0] : "", a.hex, 1, &pre)))
		return ret;
	if (db_open(o, "keys", &h, &lim))
		goto done;
	kb = malloc(lim.max_key_len + 1);
	if (!kb)
		goto oom;
	for (;;) {
		struct fotos_meta m;

		ret = fotos_db_next(h, &it, pre.p, pre.n, kb, lim.max_key_len, NULL, 0, &m);
		if (ret < 0) {
			db_read_failed(o, "keys", ret);
			goto done;
		}
		if (!ret)
			break;
		if (n == cap) {
			struct keyent *ne = realloc(ents, (cap ? 2 * cap : 256) * sizeof(*ents));

			if (!ne)
				goto oom;
			ents = ne;
			cap = cap ? 2 * cap : 256;
		}
		ents[n].k.n = m.klen < lim.max_key_len ? m.klen : lim.max_key_len;
		ents[n].k.p = malloc(ents[n].k.n + 1);
		if (!ents[n].k.p)
			goto oom;
		memcpy(ents[n].k.p, kb, ents[n].k.n);
		ents[n].m = m;
		n++;
	}
	/* not a snapshot: a key moved by a concurrent change may come twice */
	if (n)
		qsort(ents, n, sizeof(*ents), keyent_cmp);
	have_view = fotos_read_view(h, &view) == 0;
	/* drop duplicates (sorted: they are neighbours) */
	for (i = 0; i < n; i++) {
		if (out && !keyent_cmp(&ents[i], &ents[out - 1])) {
			free(ents[i].k.p);
			continue;
		}
		ents[out++] = ents[i];
	}
	n = out;
	if (o->json) {
		printf("{\"count\":%zu", n);
		json_bytes(stdout, ",", "prefix", pre.p, pre.n, a.hex);
		fputs(",\"keys\":[", stdout);
	} else if (a.lng) {
		printf("%-8s %-20s %-12s %-8s %s\n", "SIZE", "CLOCK", "WRITER", "STATE", "KEY");
	}
	for (i = 0; i < n; i++) {
		const struct keyent *e = &ents[i];
		char cl[CLOCK_TEXT], wn[FOTOS_NAME_LEN + 16];

		clock_text(&e->m.clock, cl, sizeof(cl));
		writer_name(have_view ? &view : NULL, e->m.writer, wn, sizeof(wn));
		if (o->json) {
			fputs(i ? ",{" : "{", stdout);
			json_bytes(stdout, "", "key", e->k.p, e->k.n, a.hex);
			printf(",\"size\":%u,\"clock\":\"%s\",\"writer\":", e->m.vlen, cl);
			json_str(stdout, wn, sizeof(wn));
			printf(",\"conflict\":%s}",
			       (e->m.flags & FOTOS_DB_CONFLICT) ? "true" : "false");
		} else {
			if (a.lng)
				printf("%-8u %-20s %-12s %-8s ", e->m.vlen, cl, wn,
				       (e->m.flags & FOTOS_DB_CONFLICT) ? "CONFLICT" : "-");
			put_human(stdout, e->k.p, e->k.n, a.hex);
			putchar('\n');
		}
	}
	if (o->json)
		fputs("]}\n", stdout);
	fflush(stdout);
	rc = 0;
	goto done;
oom:
	errmsg("keys: out of memory");
done:
	for (i = 0; i < n; i++)
		free(ents[i].k.p);
	free(ents);
	free(kb);
	free(pre.p);
	if (h)
		fotos_close(h);
	return rc;
}

/*
 * Serialize what matters of a key's versions, to see whether it changed
 * since the last line. Returns the length in buf (grown as needed), or 0.
 */
static size_t kvers_sig(const struct kvers *ks, uint8_t **buf, size_t *cap)
{
	size_t need = 16, off = 0;
	int i;

	for (i = 0; i < ks->n; i++)
		need += sizeof(struct fotos_meta) + ks->vcap;
	if (need > *cap) {
		uint8_t *nb = realloc(*buf, need);

		if (!nb)
			return 0;
		*buf = nb;
		*cap = need;
	}
	memcpy(*buf, &ks->n, sizeof(ks->n));
	off = sizeof(ks->n);
	for (i = 0; i < ks->n; i++) {
		const struct kver *v = &ks->v[i];
		size_t got = v->m.vlen < ks->vcap ? v->m.vlen : ks->vcap;
		struct fotos_meta m;

		memset(&m, 0, sizeof(m));
		m.vlen = v->m.vlen;
		m.flags = v->m.flags;
		m.writer = v->m.writer;
		m.clock.n = v->m.clock.n;
		memcpy(m.clock.c, v->m.clock.c, sizeof(m.clock.c));
		memcpy(*buf + off, &m, sizeof(m));
		off += sizeof(m);
		memcpy(*buf + off, v->val, got);
		off += got;
	}
	return off;
}

/* One line of watch --key: "clock C writer W [CONFLICT (n versions)] value V". */
static void print_key_line(const struct bytes *k, const struct kvers *ks,
			   const struct fotos_view *view, int hex, int json)
{
	const struct kver *w = &ks->v[0];
	char cl[CLOCK_TEXT], wn[FOTOS_NAME_LEN + 16];

	if (json) {
		print_key_json(k, ks, view, 0, hex);
		fflush(stdout);
		return;
	}
	if (!ks->n) {
		puts("absent");
		fflush(stdout);
		return;
	}
	clock_text(&w->m.clock, cl, sizeof(cl));
	writer_name(view, w->m.writer, wn, sizeof(wn));
	printf("clock %s writer %s", cl, wn);
	if (w->m.flags & FOTOS_DB_CONFLICT)
		printf(" CONFLICT (%d versions)", ks->n);
	if (w->deleted) {
		fputs(" deleted\n", stdout);
	} else {
		fputs(" value ", stdout);
		print_value_human(w, ks->vcap, hex);
		putchar('\n');
	}
	fflush(stdout);
}

/*
 * watch --key KEY: print the key's state, then a line each time it changes.
 * Sleeps in fotos_wait(FOTOS_EV_DB) (futex, no polling) and re-reads the key
 * on each database change; changes faster than a read may merge into one
 * line. Reopens the segment when the agent restarts.
 */
static int watch_key(struct opts *o, const char *karg, int hex, uint64_t count,
		     int have_timeout, uint64_t timeout)
{
	struct fotos_db_limits lim;
	struct fotos_view view;
	struct fotos_cursor c;
	struct fotos *h = NULL;
	struct kvers *ks = NULL;
	struct bytes k = { 0 };
	uint8_t *last = NULL, *cur = NULL;
	size_t lastn = 0, lastcap = 0, curcap = 0, n;
	uint64_t lines = 0, deadline = 0, now;
	int ret, rc = 1, first = 1;

	if ((ret = db_key_arg("watch", karg, hex, 0, &k)))
		return ret;
	if (db_open(o, "watch", &h, &lim))
		goto out;
	ks = malloc(sizeof(*ks));
	if (!ks || kvers_alloc(ks, lim.max_val_len) < 0) {
		free(ks);
		ks = NULL;
		errmsg("out of memory");
		goto out;
	}
	if (have_timeout)
		deadline = mono_ms() + timeout;
	for (;;) {
		/* The cursor first, then the read: a change after the read
		 * wakes the next wait. */
		fotos_cursor_init(h, &c);
		ret = kvers_read(h, &k, ks);
		if (ret == 0) {
			n = kvers_sig(ks, &cur, &curcap);
			if (!n) {
				errmsg("out of memory");
				goto out;
			}
			if (first || n != lastn || memcmp(cur, last, n)) {
				int hv = fotos_read_view(h, &view) == 0;
				uint8_t *t = last;
				size_t tc = lastcap;

				print_key_line(&k, ks, hv ? &view : NULL, hex, o->json);
				last = cur, lastcap = curcap, lastn = n;
				cur = t, curcap = tc;
				if (!first && count && ++lines >= count)
					break;
				first = 0;
				if (have_timeout)
					deadline = mono_ms() + timeout;
			}
		} else if (ret != -ESTALE) {
			db_read_failed(o, "watch", ret);
			goto out;
		}
		if (ret == 0) {
			now = mono_ms();
			if (have_timeout && now >= deadline)
				goto timed_out;
			ret = fotos_wait(h, &c, FOTOS_EV_DB,
					 have_timeout ? (int)(deadline - now) : -1);
		}
		if (ret == -EINTR || ret > 0)
			continue;
		if (ret == -ETIMEDOUT)
			goto timed_out;
		if (ret == -ESTALE) {
			fprintf(stderr, "%s: the agent of %s died or was replaced; reopening every %d "
				"ms\n", prog, o->shm, REOPEN_MS);
			if (reopen(o, &h, have_timeout ? deadline : 0) < 0)
				goto timed_out;
			ret = fotos_db_limits(h, &lim);
			if (ret < 0 || lim.max_val_len > ks->vcap) {
				/* a new agent with a larger value limit */
				kvers_free(ks);
				if (ret < 0 || kvers_alloc(ks, lim.max_val_len) < 0) {
					db_read_failed(o, "watch", ret < 0 ? ret : -ENOMEM);
					goto out;
				}
			}
			continue;
		}
		if (ret < 0) {
			errmsg("waiting on segment %s failed: %s", o->shm, fotos_strerror(ret));
			goto out;
		}
	}
	rc = 0;
	goto out;
timed_out:
	errmsg("watch: key did not change on %s within %" PRIu64 " ms", o->shm, timeout);
out:
	if (ks) {
		kvers_free(ks);
		free(ks);
	}
	free(last);
	free(cur);
	free(k.p);
	if (h)
		fotos_close(h);
	return rc;
}

/* ---- commands ----------------------------------------------------------- */

static int cmd_status(int argc, char **argv, struct opts *o)
{
	struct fotos *h = NULL;
	struct snap s;
	int i, ret;

	for (i = 1; i < argc; i++)
		return usage_error("status: unexpected argument '%s'", argv[i]);

	ret = open_seg(o, &h);
	if (ret == -ESTALE) {
		/* Dead agent: say so, and show what its segment last said. */
		int pm = snap_postmortem(o->shm, &s);

		if (pm < 0) {
			errmsg("the agent of segment %s is dead (%s), and its last state cannot be "
			       "read: %s", o->shm, fotos_strerror(ret), fotos_strerror(pm));
			return 1;
		}
		errmsg("the agent (pid %" PRIu64 ") of segment %s is DEAD: its liveness tick stopped "
		       "or it closed the segment. Showing what it last published.",
		       s.info.agent_pid, o->shm);
		goto print;
	}
	if (ret < 0) {
		open_failed(o, ret);
		return 1;
	}
	ret = snap_read(h, &s);
	if (ret < 0) {
		errmsg("cannot read segment %s: %s", o->shm, fotos_strerror(ret));
		fotos_close(h);
		return 1;
	}
	fotos_close(h);
	if (!s.alive)
		errmsg("the agent (pid %" PRIu64 ") of segment %s is DEAD. Showing what it last "
		       "published.", s.info.agent_pid, o->shm);
print:
	if (o->json)
		print_json(&s);
	else
		print_table(&s, o->shm);
	fflush(stdout);
	return s.alive ? 0 : 1;
}

static int cmd_watch(int argc, char **argv, struct opts *o)
{
	uint64_t count = 0, timeout = 0, lines = 0;
	const char *v, *key = NULL;
	int hex = 0;
	struct fotos *h = NULL;
	struct fotos_cursor c;
	struct snap s;
	int i, ret, r, have_timeout = 0;

	for (i = 1; i < argc; i++) {
		if ((r = opt_value(argc, argv, &i, "--count", &v))) {
			if (r < 0 || parse_num(v, UINT64_MAX, &count) || !count)
				return usage_error("watch: --count needs a number > 0");
		} else if ((r = opt_value(argc, argv, &i, "--timeout-ms", &v))) {
			if (r < 0 || parse_num(v, INT_MAX, &timeout))
				return usage_error("watch: --timeout-ms needs a number of milliseconds");
			have_timeout = 1;
		} else if ((r = opt_value(argc, argv, &i, "--key", &v))) {
			if (r < 0)
				return usage_error("watch: --key needs a key");
			key = v;
		} else if (!strcmp(argv[i], "--hex")) {
			hex = 1;
		} else {
			return usage_error("watch: unknown argument '%s'", argv[i]);
		}
	}
	if (hex && !key)
		return usage_error("watch: --hex goes with --key");
	if (key)
		return watch_key(o, key, hex, count, have_timeout, timeout);

	ret = open_seg(o, &h);
	if (ret < 0) {
		open_failed(o, ret);
		return 1;
	}
	for (;;) {
		/* The cursor first, then the read: a change after the read is
		 * still reported, one before it is already in the line. */
		fotos_cursor_init(h, &c);
		ret = snap_read(h, &s);
		if (ret == 0) {
			emit(&s, o);
			break;
		}
		if (ret != -ESTALE) {
			errmsg("cannot read segment %s: %s", o->shm, fotos_strerror(ret));
			fotos_close(h);
			return 1;
		}
		if (reopen(o, &h, have_timeout ? mono_ms() + timeout : 0) < 0)
			goto timed_out;
	}

	for (;;) {
		ret = fotos_wait(h, &c, WATCH_EVENTS, have_timeout ? (int)timeout : -1);
		if (ret == -EINTR)
			continue;
		if (ret == -ETIMEDOUT)
			goto timed_out;
		if (ret == -ESTALE) {
			struct fotos_info info;

			fotos_get_info(h, &info);
			if (o->json) {
				/* What it last said, marked dead, for JSON readers. */
				if (snap_read(h, &s) == 0) {
					s.alive = 0;
					emit(&s, o);
				}
			} else {
				printf("agent gone (pid %" PRIu64 "): segment %s is stale; reopening\n",
				       info.agent_pid, o->shm);
				fflush(stdout);
			}
			fprintf(stderr, "%s: the agent (pid %" PRIu64 ") of %s died or was replaced; "
				"reopening every %d ms\n", prog, info.agent_pid, o->shm, REOPEN_MS);
			if (reopen(o, &h, have_timeout ? mono_ms() + timeout : 0) < 0)
				goto timed_out;
			fotos_get_info(h, &info);
			fprintf(stderr, "%s: reopened %s: agent pid %" PRIu64 "\n", prog, o->shm,
				info.agent_pid);
			fotos_cursor_init(h, &c);
		} else if (ret < 0) {
			errmsg("waiting on segment %s failed: %s", o->shm, fotos_strerror(ret));
			fotos_close(h);
			return 1;
		}
		ret = snap_read(h, &s);
		if (ret == -ESTALE)
			continue;	/* the next wait reports it and reopens */
		if (ret < 0) {
			errmsg("cannot read segment %s: %s", o->shm, fotos_strerror(ret));
			fotos_close(h);
			return 1;
		}
		emit(&s, o);
		if (count && ++lines >= count)
			break;
	}
	fotos_close(h);
	return 0;

timed_out:
	errmsg("watch: nothing changed on %s within %" PRIu64 " ms", o->shm, timeout);
	if (h)
		fotos_close(h);
	return 1;
}

static int cmd_wait(int argc, char **argv, struct opts *o)
{
	uint64_t above = 0, timeout = 0, deadline, now;
	int i, r, ret, want_stable = 0, have_above = 0, have_timeout = 0;
	struct fotos *h = NULL;
	struct fotos_status st = { 0 };
	struct fotos_cursor c;
	const char *v;

	for (i = 1; i < argc; i++) {
		if ((r = opt_value(argc, argv, &i, "--epoch-above", &v))) {
			if (r < 0 || parse_num(v, UINT64_MAX, &above))
				return usage_error("wait: --epoch-above needs a number");
			have_above = 1;
		} else if ((r = opt_value(argc, argv, &i, "--timeout-ms", &v))) {
			if (r < 0 || parse_num(v, INT_MAX, &timeout))
				return usage_error("wait: --timeout-ms needs a number of milliseconds");
			have_timeout = 1;
		} else if (!strcmp(argv[i], "--stable")) {
			want_stable = 1;
		} else {
			return usage_error("wait: unknown argument '%s'", argv[i]);
		}
	}
	if (!have_above)
		return usage_error("wait: --epoch-above N is required");
	if (!have_timeout)
		return usage_error("wait: --timeout-ms T is required");
	deadline = mono_ms() + timeout;

	ret = open_seg(o, &h);
	if (ret == -ESTALE || ret == -ENOENT) {
		/* The agent may be (re)starting: that is what one waits for. */
		if (reopen(o, &h, deadline) < 0)
			goto timed_out;
	} else if (ret < 0) {
		open_failed(o, ret);
		return 1;
	}
	for (;;) {
		fotos_cursor_init(h, &c);
		ret = fotos_read_status(h, &st);
		if (ret == 0 && st.epoch > above && (!want_stable || st.stable)) {
			fotos_close(h);
			return 0;
		}
		if (ret == 0) {
			now = mono_ms();
			if (now >= deadline)
				goto timed_out;
			ret = fotos_wait(h, &c, WATCH_EVENTS, (int)(deadline - now));
		}
		if (ret == -ETIMEDOUT)
			goto timed_out;
		if (ret == -ESTALE) {
			fprintf(stderr, "%s: the agent of %s died or was replaced; reopening\n",
				prog, o->shm);
			if (reopen(o, &h, deadline) < 0)
				goto timed_out;
		} else if (ret < 0 && ret != -EINTR) {
			errmsg("waiting on segment %s failed: %s", o->shm, fotos_strerror(ret));
			fotos_close(h);
			return 1;
		}
	}

timed_out:
	errmsg("wait: timed out after %" PRIu64 " ms: epoch is %" PRIu64 " (%s), wanted above %"
	       PRIu64 "%s", timeout, st.epoch, st.stable ? "stable" : "not stable", above,
	       want_stable ? " and stable" : "");
	if (h)
		fotos_close(h);
	return 1;
}

/* fotos_strerror() words -ENOENT for the segment; say what it means here. */
static const char *ctl_strerror(int err)
{
	switch (err) {
	case -ENOENT: return "no socket at that path: is fotosd running, and is --control right?";
	case -ECONNREFUSED: return "nobody listens on that socket: the agent is gone";
	case -EBADMSG: return "the agent's reply was not a line starting with 'ok' or 'err'";
	case -ETIMEDOUT: return "the agent did not answer in time (hung or overloaded?)";
	default: return fotos_strerror(err);
	}
}

/* Send req to the agent's control socket and print the reply. */
static int control(struct opts *o, const char *req, int timeout_ms)
{
	char resp[4100], path[sizeof(((struct fotos_info *)0)->control_path)];
	int ret;

	if (o->control) {
		snprintf(path, sizeof(path), "%s", o->control);
	} else {
		struct fotos *h;
		struct fotos_info info;

		ret = open_seg(o, &h);
		if (ret < 0) {
			errmsg("cannot find the control socket: segment %s: %s (or pass --control PATH)",
			       o->shm, fotos_strerror(ret));
			return 1;
		}
		fotos_get_info(h, &info);
		fotos_close(h);
		if (!info.control_path[0]) {
			errmsg("the agent of %s published no control socket path; pass --control PATH",
			       o->shm);
			return 1;
		}
		snprintf(path, sizeof(path), "%s", info.control_path);
	}
	ret = fotos_ctl_request(path, req, resp, sizeof(resp), timeout_ms);
	if (ret == -EREMOTEIO) {
		errmsg("the agent refused '%s': %s", req, resp[0] ? resp : "(no reason given)");
		return 1;
	}
	if (ret < 0) {
		errmsg("request '%s' to the agent at %s failed: %s", req, path, ctl_strerror(ret));
		return 1;
	}
	printf("%s\n", resp);
	fflush(stdout);
	return 0;
}

/* Common options of the control commands; returns the first free arg or -exit. */
static int ctl_opts(int argc, char **argv, int *timeout_ms, int want_words)
{
	uint64_t t;
	const char *v;
	int i, r;

	*timeout_ms = CTL_TIMEOUT_MS;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if ((r = opt_value(argc, argv, &i, "--timeout-ms", &v))) {
			if (r < 0 || parse_num(v, INT_MAX, &t))
				return -usage_error("--timeout-ms needs a number of milliseconds");
			*timeout_ms = (int)t;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return -usage_error("unknown option '%s'", argv[i]);
		} else {
			break;
		}
	}
	if (!want_words && i < argc)
		return -usage_error("unexpected argument '%s'", argv[i]);
	return i;
}

static int cmd_ping(int argc, char **argv, struct opts *o)
{
	int t, i = ctl_opts(argc, argv, &t, 0);

	return i < 0 ? -i : control(o, "ping", t);
}

static int cmd_peers(int argc, char **argv, struct opts *o)
{
	int t, i = ctl_opts(argc, argv, &t, 0);

	return i < 0 ? -i : control(o, "peers", t);
}

static int cmd_raw(int argc, char **argv, struct opts *o)
{
	char line[4097];
	size_t len = 0;
	int t, i = ctl_opts(argc, argv, &t, 1);

	if (i < 0)
		return -i;
	if (i >= argc)
		return usage_error("raw: which request line? e.g. fotosctl raw ping");
	line[0] = 0;
	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 1 >= sizeof(line))
			return usage_error("raw: request longer than 4096 bytes");
		if (strchr(argv[i], '\n'))
			return usage_error("raw: the request may not contain a newline");
		if (len)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n + 1);
		len += n;
	}
	return control(o, line, t);
}

/* Split a comma-separated list of node names in place. Count, or -1. */
static int split_names(char *list, const char **names, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n >= max || strlen(t) >= FOTOS_NAME_LEN)
			return -1;
		names[n++] = t;
	}
	return n;
}

static void json_names(const struct fotos_member *m, int n)
{
	int i;

	putchar('[');
	for (i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_str(stdout, m[i].name, sizeof(m[i].name));
	}
	putchar(']');
}

/*
 * owner SERVICE --prefer a,b,c [--hold-ms T]: the owner of SERVICE along
 * the priority list (fotos_owner). owner --key K [--replicas k], or owner
 * SERVICE without --prefer (SERVICE is then the key): the rendezvous
 * owners (fotos_hash_owners). Computed from the local agent's view with
 * zero system calls; every member computes the same for the same view.
 */
static int cmd_owner(int argc, char **argv, struct opts *o)
{
	const char *service = NULL, *key = NULL, *v, *prefer[FOTOS_MAX_MEMBERS];
	struct fotos_member m[FOTOS_MAX_MEMBERS];
	char *list = NULL;
	uint64_t hold_ms = 0, replicas = 1;
	unsigned int flags = 0;
	struct fotos *h = NULL;
	int i, r, n = 0, np = -1, ret, tries = 0, have_replicas = 0;

	for (i = 1; i < argc; i++) {
		if ((r = opt_value(argc, argv, &i, "--prefer", &v))) {
			free(list);
			list = r < 0 ? NULL : strdup(v);
			if (r < 0 || !list || (np = split_names(list, prefer, FOTOS_MAX_MEMBERS)) <= 0) {
				free(list);
				return usage_error("owner: --prefer needs node names separated by "
						   "commas (at most %d, each under %d bytes)",
						   FOTOS_MAX_MEMBERS, FOTOS_NAME_LEN);
			}
		} else if ((r = opt_value(argc, argv, &i, "--hold-ms", &v))) {
			if (r < 0 || parse_num(v, UINT64_MAX / 1000000u, &hold_ms))
				goto bad_hold;
		} else if ((r = opt_value(argc, argv, &i, "--key", &v))) {
			if (r < 0)
				goto bad_key;
			key = v;
		} else if ((r = opt_value(argc, argv, &i, "--replicas", &v))) {
			if (r < 0 || parse_num(v, FOTOS_MAX_MEMBERS, &replicas) || !replicas)
				goto bad_replicas;
			have_replicas = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(list);
			return usage_error("owner: unknown option '%s'", argv[i]);
		} else if (!service) {
			service = argv[i];
		} else {
			free(list);
			return usage_error("owner: unexpected argument '%s'", argv[i]);
		}
	}
	if (key && service) {
		free(list);
		return usage_error("owner: give a SERVICE with --prefer, or --key K, not both");
	}
	if (!key && !service) {
		free(list);
		return usage_error("owner: which service (SERVICE --prefer a,b,c) or key (--key K)?");
	}
	if (list && key) {
		free(list);
		return usage_error("owner: --prefer goes with a SERVICE, --key with --replicas");
	}
	if (!list && hold_ms)
		return usage_error("owner: --hold-ms goes with --prefer");
	if (list && have_replicas) {
		free(list);
		return usage_error("owner: --replicas goes with --key");
	}
	if (!list && !key)
		key = service;	/* a service without a priority list: hash its name */

	ret = open_seg(o, &h);
	if (ret < 0) {
		open_failed(o, ret);
		free(list);
		return 1;
	}
	do {
		if (list) {
			ret = fotos_owner(h, prefer, (unsigned int)np, hold_ms * 1000000u, NULL, m,
					  &flags);
			n = ret == 0;
		} else {
			ret = fotos_hash_owners(h, key, strlen(key), m, (unsigned int)replicas,
						&flags);
			n = ret;
		}
	} while (ret == -EAGAIN && ++tries < 100 && (sleep_ms(1), 1));
	fotos_close(h);
	if (ret == -ENOENT) {
		if (list) {
			fprintf(stderr, "%s: owner: none of", prog);
			for (i = 0; i < np; i++)
				fprintf(stderr, "%s%s", i ? "," : " ", prefer[i]);
			fprintf(stderr, " is a member of the view%s\n",
				(flags & FOTOS_DECIDE_UNSTABLE) ? " (view unstable)" : "");
		} else {
			errmsg("owner: the view has no members%s",
			       (flags & FOTOS_DECIDE_UNSTABLE) ? " (view unstable: joining?)" : "");
		}
		free(list);
		return 1;
	}
	if (ret < 0) {
		errmsg("owner: cannot read segment %s: %s", o->shm, fotos_strerror(ret));
		free(list);
		return 1;
	}
	if (o->json) {
		fputs(list ? "{\"service\":" : "{\"key\":", stdout);
		json_str(stdout, list ? service : key, SIZE_MAX);
		if (list) {
			fputs(",\"owner\":", stdout);
			json_str(stdout, m[0].name, sizeof(m[0].name));
			fputs(",\"prefer\":[", stdout);
			for (i = 0; i < np; i++) {
				if (i)
					putchar(',');
				json_str(stdout, prefer[i], FOTOS_NAME_LEN);
			}
			printf("],\"hold_ms\":%" PRIu64, hold_ms);
		} else {
			fputs(",\"owners\":", stdout);
			json_names(m, n);
		}
		printf(",\"stable\":%s,\"primary\":%s}\n",
		       (flags & FOTOS_DECIDE_UNSTABLE) ? "false" : "true",
		       (flags & FOTOS_DECIDE_NOT_PRIMARY) ? "false" : "true");
	} else {
		for (i = 0; i < n; i++)
			printf("%s%.*s", i ? "," : "", (int)sizeof(m[i].name), m[i].name);
		if (flags & FOTOS_DECIDE_UNSTABLE)
			printf(" (view unstable)");
		if (flags & FOTOS_DECIDE_NOT_PRIMARY)
			printf(" (not primary)");
		putchar('\n');
	}
	fflush(stdout);
	free(list);
	return 0;

bad_hold:
	free(list);
	return usage_error("owner: --hold-ms needs a number of milliseconds");
bad_key:
	free(list);
	return usage_error("owner: --key needs a key");
bad_replicas:
	free(list);
	return usage_error("owner: --replicas needs a number from 1 to %d", FOTOS_MAX_MEMBERS);
}

/*
 * keygen FILE: a new cluster key for key_file: 32 bytes from the kernel's
 * random source, as 64 hex digits, in a file created with mode 0600 (never
 * over an existing one: overwriting a cluster's key cuts every link).
 */
static int cmd_keygen(int argc, char **argv, struct opts *o)
{
	unsigned char key[32];
	char text[128];
	int fd, n, i;
	size_t off = 0;

	(void)o;
	if (argc != 2 || argv[1][0] == '-')
		return usage_error("keygen: which FILE? e.g. fotosctl keygen /etc/fotos/cluster.key");
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		errmsg("keygen: no randomness from the kernel: %s", strerror(errno));
		return 1;
	}
	off += (size_t)snprintf(text, sizeof(text), "# fotos cluster key: copy to every node, mode 0600\n");
	for (i = 0; i < 32; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%02x", key[i]);
	text[off++] = '\n';
	memset(key, 0, sizeof(key));
	fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		errmsg("keygen: %s: %s%s", argv[1], strerror(errno),
		       errno == EEXIST ? " (not overwriting a key: remove it first)" : "");
		return 1;
	}
	/* The mode asked of open() is masked by umask; make sure it is 0600. */
	n = (int)write(fd, text, off);
	memset(text, 0, sizeof(text));
	if (n != (int)off || fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		errmsg("keygen: %s: %s", argv[1], n < 0 ? strerror(errno) : "short write");
		close(fd);
		unlink(argv[1]);
		return 1;
	}
	close(fd);
	printf("wrote a new cluster key to %s (mode 0600): set key_file = %s in [cluster] "
	       "and copy the file to every node\n", argv[1], argv[1]);
	return 0;
}

static int cmd_version(int argc, char **argv, struct opts *o)
{
	if (argc > 1)
		return usage_error("version: unexpected argument '%s'", argv[1]);
	if (o->json)
		printf("{\"fotosctl\":\"%s\",\"abi\":\"%d.%d\"}\n", FOTOS_VERSION, FOTOS_ABI_MAJOR,
		       FOTOS_ABI_MINOR);
	else
		printf("fotosctl %s (segment layout %d.%d)\n", FOTOS_VERSION, FOTOS_ABI_MAJOR,
		       FOTOS_ABI_MINOR);
	return 0;
}

/* ---- transactions and rendezvous --------------------------------------- */

#define TXN_CLI_MAX	256

/*
 * txn put K V | del K ... [--if K=CLOCK] [--if-absent K] [--group G]
 * [--hex] [--timeout-ms T]: the writes atomically on every member
 * (fotos_txn), or none of them, with the reason.
 */
static int cmd_txn(int argc, char **argv, struct opts *o)
{
	static struct fotos_txn_op ops[TXN_CLI_MAX];
	static struct bytes keys[TXN_CLI_MAX], vals[TXN_CLI_MAX];
	static struct fotos_vclock expect[TXN_CLI_MAX], clocks[TXN_CLI_MAX];
	const char *ifs[TXN_CLI_MAX], *absents[TXN_CLI_MAX], *group = NULL, *v;
	struct fotos_txn_result res;
	struct fotos_db_limits lim;
	struct fotos *h = NULL;
	int i, j, r, n = 0, nif = 0, nabs = 0, hex = 0, timeout_ms = 10000, rc = 1, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hex")) {
			hex = 1;
		} else if ((r = opt_value(argc, argv, &i, "--if", &v))) {
			if (r < 0 || !strchr(v, '=') || nif >= TXN_CLI_MAX)
				return usage_error("txn: --if needs KEY=CLOCK");
			ifs[nif++] = v;
		} else if ((r = opt_value(argc, argv, &i, "--if-absent", &v))) {
			if (r < 0 || nabs >= TXN_CLI_MAX)
				return usage_error("txn: --if-absent needs a KEY");
			absents[nabs++] = v;
		} else if ((r = opt_value(argc, argv, &i, "--group", &v))) {
			if (r < 0 || !*v)
				return usage_error("txn: --group needs a group name");
			group = v;
		} else if ((r = opt_value(argc, argv, &i, "--timeout-ms", &v))) {
			uint64_t t;

			if (r < 0 || parse_num(v, 3600000, &t) < 0 || !t)
				return usage_error("txn: --timeout-ms needs a number of milliseconds");
			timeout_ms = (int)t;
		} else if (!strcmp(argv[i], "put") || !strcmp(argv[i], "del")) {
			int del = argv[i][0] == 'd';

			if (n >= TXN_CLI_MAX)
				return usage_error("txn: at most %d operations", TXN_CLI_MAX);
			if (i + 1 + !del >= argc)
				return usage_error("txn: %s needs %s", argv[i], del ? "KEY" : "KEY VALUE");
			memset(&ops[n], 0, sizeof(ops[n]));
			if (arg_bytes(argv[i + 1], hex, &keys[n]) < 0 || !keys[n].n ||
			    (!del && arg_bytes(argv[i + 2], hex, &vals[n]) < 0))
				return usage_error("txn: op %d: a bad key or value%s", n,
						   hex ? " (two hex digits a byte)" : "");
			ops[n].flags = del ? FOTOS_TXN_DEL : 0;
			ops[n].key = keys[n].p;
			ops[n].klen = keys[n].n;
			ops[n].val = del ? NULL : vals[n].p;
			ops[n].vlen = del ? 0 : vals[n].n;
			ops[n].clock = &clocks[n];
			n++;
			i += 1 + !del;
		} else {
			return usage_error("txn: unexpected '%s' (put KEY VALUE, del KEY, --if "
					   "KEY=CLOCK, --if-absent KEY, --group G)", argv[i]);
		}
	}
	if (!n && !group)
		return usage_error("txn: no operation");
	/* conditions name keys of the operations (given like them) */
	for (j = 0; j < nif + nabs; j++) {
		const char *spec = j < nif ? ifs[j] : absents[j - nif];
		const char *eq = j < nif ? strrchr(spec, '=') : spec + strlen(spec);
		struct bytes k = { 0 };
		char *ks = strndup(spec, (size_t)(eq - spec));

		if (!ks || arg_bytes(ks, hex, &k) < 0) {
			free(ks);
			return usage_error("txn: a bad key in '%s'", spec);
		}
		free(ks);
		for (i = 0; i < n; i++)
			if (keys[i].n == k.n && !memcmp(keys[i].p, k.p, k.n))
				break;
		free(k.p);
		if (i == n)
			return usage_error("txn: '%s' names no key of the operations", spec);
		if (j < nif) {
			if (fotos_vclock_parse(&expect[i], eq + 1) < 0)
				return usage_error("txn: bad clock in '%s' (as 'get' prints it)", spec);
			ops[i].expect = &expect[i];
		} else {
			ops[i].flags |= FOTOS_TXN_IF_ABSENT;
		}
	}
	if (db_open(o, "txn", &h, &lim))
		return 1;
	ret = fotos_txn_group(h, group, ops, (size_t)n, &res, timeout_ms);
	if (ret < 0) {
		const char *d = detail_text(res.detail);

		if (o->json) {
			printf("{\"committed\":false,\"error\":");
			json_str(stdout, fotos_strerror(ret), SIZE_MAX);
			printf(",\"op\":%d,\"detail\":", res.op);
			json_str(stdout, d, SIZE_MAX);
			printf("}\n");
		}
		errmsg("txn failed: %s%s%s%s", fotos_strerror(ret), *d ? ": " : "", d,
		       ret == -ETIMEDOUT && !strstr(d, "aborted") ?
		       " (the outcome is unknown: check with 'fotosctl get')" : "");
		goto out;
	}
	if (o->json)
		printf("{\"committed\":true,\"clocks\":[");
	else
		printf("committed %d write%s%s%s\n", n, n == 1 ? "" : "s", group ? " with group " : "",
		       group ? group : "");
	for (i = 0; i < n; i++) {
		char cl[CLOCK_TEXT];

		clock_text(&clocks[i], cl, sizeof(cl));
		if (o->json)
			printf("%s\"%s\"", i ? "," : "", cl);
		else
			printf("  op %d: clock %s\n", i, cl);
	}
	if (o->json)
		printf("]}\n");
	rc = 0;
out:
	fotos_close(h);
	for (i = 0; i < n; i++) {
		free(keys[i].p);
		free(vals[i].p);
	}
	return rc;
}

/*
 * rendezvous NAME --timeout-ms T [--no]: wait until a participant on every
 * member has arrived (or vote no), exit 0 when released, 1 with the
 * reason when the rendezvous failed on every node.
 */
static int cmd_rendezvous(int argc, char **argv, struct opts *o)
{
	struct fotos_txn_result res;
	struct fotos *h = NULL;
	const char *name = NULL, *v;
	int i, r, timeout_ms = 0, veto = 0, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no")) {
			veto = 1;
		} else if ((r = opt_value(argc, argv, &i, "--timeout-ms", &v))) {
			uint64_t t;

			if (r < 0 || parse_num(v, 3600000, &t) < 0 || !t)
				return usage_error("rendezvous: --timeout-ms needs a number of milliseconds");
			timeout_ms = (int)t;
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else {
			return usage_error("rendezvous: unexpected '%s'", argv[i]);
		}
	}
	if (!name || !timeout_ms)
		return usage_error("rendezvous: needs NAME and --timeout-ms T");
	ret = open_seg(o, &h);
	if (ret < 0) {
		open_failed(o, ret);
		return 1;
	}
	ret = veto ? fotos_rendezvous_veto(h, name, timeout_ms, &res)
		   : fotos_rendezvous(h, name, timeout_ms, &res);
	fotos_close(h);
	if (o->json) {
		printf("{\"released\":%s,\"detail\":", ret ? "false" : "true");
		json_str(stdout, ret ? detail_text(res.detail) : res.detail, SIZE_MAX);
		printf("}\n");
	}
	if (ret < 0) {
		errmsg("rendezvous %s failed: %s: %s", name, fotos_strerror(ret),
		       detail_text(res.detail));
		return 1;
	}
	if (!o->json)
		printf("released: %s\n", name);
	return 0;
}

static int cmd_help(int argc, char **argv, struct opts *o);

static const struct cmd cmds[] = {
	{ "status", cmd_status,
	  "\tshow the node's state, epoch, view and members, and whether the agent is alive"
	  " (exit 1 if it is dead)" },
	{ "watch", cmd_watch,
	  "[--key KEY [--hex]] [--count N] [--timeout-ms T]\tprint the status line, then one "
	  "line per change (futex wake, no polling); reopen when the agent restarts; exit 1 if "
	  "nothing changes within T ms. With --key: the key's clock, writer, CONFLICT flag and "
	  "value, then a line each time it changes (woken by database changes)" },
	{ "wait", cmd_wait,
	  "--epoch-above N [--stable] --timeout-ms T\texit 0 once the epoch is above N (and "
	  "the network stable), 1 on timeout" },
	{ "ping", cmd_ping, "[--timeout-ms T]\task the agent over its control socket" },
	{ "peers", cmd_peers, "[--timeout-ms T]\tthe agent's view of its peers (JSON)" },
	{ "owner", cmd_owner,
	  "SERVICE --prefer N1,N2,... [--hold-ms T] | --key K [--replicas k]\tthe node that owns "
	  "SERVICE: the first listed member (a returning node takes over once a member for T ms, "
	  "counted from its start); or the k rendezvous-hash owners of key K (SERVICE without "
	  "--prefer: its name is the key). Same answer on every member; says \"(view unstable)\" "
	  "while a change is being agreed" },
	{ "get", cmd_get,
	  "KEY [--hex] [--all-versions]\tread KEY from the segment (no round trip): value, "
	  "size, clock, writer; CONFLICT if concurrent versions exist, every one with "
	  "--all-versions. Exit 1 if absent or deleted" },
	{ "put", cmd_put,
	  "KEY VALUE [--hex] [--ack-all] [--if CLOCK | --if-absent] [--timeout-ms T]\twrite "
	  "through the agent; answered once applied here, or with --ack-all once every member "
	  "has it (exit 1 if not all did). --if CLOCK: only if the key still has the clock "
	  "'get' printed; --if-absent: only if it is absent or deleted" },
	{ "del", cmd_del,
	  "KEY [--hex] [--ack-all] [--if CLOCK] [--timeout-ms T]\tdelete KEY (a tombstone, "
	  "collected once every member has it), with put's conditions and acknowledgement" },
	{ "keys", cmd_keys,
	  "[PREFIX] [--hex] [--long]\tlist the live keys (that start with PREFIX), sorted; "
	  "--long adds size, clock, writer and CONFLICT" },
	{ "txn", cmd_txn,
	  "put KEY VALUE | del KEY ... [--if KEY=CLOCK] [--if-absent KEY] [--group G] [--hex] "
	  "[--timeout-ms T]\tan atomic transaction: every member applies all the writes or none "
	  "(conditions: the key's clock as 'get' prints it, or absent). With --group: only if a "
	  "participant of G on every member votes yes (waits in 'rendezvous G')" },
	{ "rendezvous", cmd_rendezvous,
	  "NAME --timeout-ms T [--no]\twait until a participant of NAME on every member has "
	  "arrived, then all proceed at once; exit 1 with the reason if it fails (a member "
	  "left, a timeout, a --no vote)" },
	{ "raw", cmd_raw, "[--timeout-ms T] LINE...\tsend one request line, print the reply" },
	{ "keygen", cmd_keygen, "FILE\twrite a new cluster key (mode 0600) for key_file" },
	{ "version", cmd_version, "\tprint the version" },
	{ "help", cmd_help, "[COMMAND]\tthis text, or a command's" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void cmd_usage(FILE *f, const struct cmd *c)
{
	const char *tab = strchr(c->help, '\t');

	fprintf(f, "usage: %s [--shm NAME] [--json] %s %.*s\n  %s\n", prog, c->name,
		(int)(tab - c->help), c->help, tab + 1);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s [--shm NAME] [--control PATH] [--json] [-h] COMMAND [ARGS]\n\n"
		"Commands:\n", prog);
	for (i = 0; i < NCMDS; i++) {
		const char *tab = strchr(cmds[i].help, '\t');

		fprintf(f, "  %s %.*s\n      %s\n", cmds[i].name, (int)(tab - cmds[i].help),
			cmds[i].help, tab + 1);
	}
	fprintf(f, "\nOptions (any command):\n"
		"  --shm NAME      the agent's segment (default: $FOTOS_SHM, else %s)\n"
		"  --control PATH  the agent's control socket (default: from the segment)\n"
		"  --json          machine-readable output\n"
		"  -h, --help      this text\n"
		"\nDatabase keys and values are given and shown as text; --hex gives and shows\n"
		"them as hex. Bytes that are not text print as \\xNN (in JSON: \"value_hex\").\n"
		"A key or value that starts with '-' goes after --.\n"
		"\nExit status: 0 success, 1 failure or timeout, 2 usage error.\n",
		FOTOS_DEFAULT_SHM);
}

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int cmd_help(int argc, char **argv, struct opts *o)
{
	const struct cmd *c;

	(void)o;
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return usage_error("help: no command '%s'", argv[1]);
	cmd_usage(stdout, c);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	char **rest;
	int i, r, n = 0, help = 0, ended = 0;
	const struct cmd *c;
	const char *v;

	if (argc > 0 && argv[0] && *argv[0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	if (!rest) {
		errmsg("out of memory");
		return 1;
	}
	/* Global options may come before or after the command. */
	for (i = 1; i < argc; i++) {
		if (ended) {
			rest[n++] = argv[i];
		} else if (!strcmp(argv[i], "--")) {
			ended = 1;
			if (n)	/* after the command: raw takes it as its separator */
				rest[n++] = argv[i];
		} else if ((r = opt_value(argc, argv, &i, "--shm", &v))) {
			if (r < 0 || !*v)
				return usage_error("--shm needs a segment name, e.g. --shm /fotos");
			o.shm = v;
		} else if ((r = opt_value(argc, argv, &i, "--control", &v))) {
			if (r < 0 || !*v)
				return usage_error("--control needs a socket path");
			o.control = v;
		} else if (!strcmp(argv[i], "--json")) {
			o.json = 1;
		} else if (is_help(argv[i])) {
			help = 1;
		} else {
			rest[n++] = argv[i];
		}
	}
	if (!o.shm)
		o.shm = getenv("FOTOS_SHM");
	if (!o.shm || !*o.shm)
		o.shm = FOTOS_DEFAULT_SHM;

	if (!n) {
		usage(help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	c = find_cmd(rest[0]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s'\n\n", prog, rest[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (help) {
		cmd_usage(stdout, c);
		return 0;
	}
	cur_cmd = c;
	r = c->fn(n, rest, &o);
	free(rest);
	return r;
}
