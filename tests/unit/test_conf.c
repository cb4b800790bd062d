/*
 * Description: unit tests of agent/conf.c, the configuration. Defaults; a
 * valid file parses to the right values (IPv4 and IPv6, comments, CRLF,
 * text without a final NUL); every kind of bad input gives an error that
 * names the file, the line and the problem, and leaves the conf unchanged;
 * conf_finish's checks and filled-in defaults; conf_load's I/O errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

static const char good_ini[] =
	"; a demo cluster\n"
	"# another comment style\n"
	"\n"
	"[cluster]\n"
	"name = demo\n"
	"heartbeat_ms = 50       ; interval\n"
	"timeout_ms=400\n"
	"\tretry_min_ms =\t10\n"
	"retry_max_ms = 2000\n"
	"start_wait_ms = 0\n"
	"\n"
	"[node n1]\n"
	"address = 127.0.0.1:7101\n"
	"[ node  n-2.b_ ]   # spaces inside the brackets\n"
	"address = [::1]:7102\r\n"
	"[node N3]\n"
	"address = 10.0.0.3:65535";	/* no final newline */

/* Parse text (copied to an exactly sized buffer, no NUL) into c. */
static int parse(struct conf *c, const char *text, char *err, size_t errlen)
{
	size_t n = strlen(text);
	char *buf = malloc(n ? n : 1);
	int ret;

	assert_non_null(buf);
	memcpy(buf, text, n);
	ret = conf_parse(c, buf, n, "t.ini", err, errlen);
	free(buf);
	return ret;
}

static void test_defaults(void **state)
{
	struct conf c;

	(void)state;
	memset(&c, 0x55, sizeof(c));
	conf_defaults(&c);
	assert_string_equal(c.cluster, "fotos");
	assert_int_equal(c.heartbeat_ms, 100);
	assert_int_equal(c.timeout_ms, 500);
	assert_int_equal(c.retry_min_ms, 20);
	assert_int_equal(c.retry_max_ms, 1000);
	assert_int_equal(c.start_wait_ms, 0);
	assert_int_equal(c.nnodes, 0);
	assert_int_equal(c.self, -1);
	assert_string_equal(c.shm_name, "");
	assert_string_equal(c.control_path, "");
	assert_string_equal(c.log_level, "info");
}

static void test_valid_file(void **state)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	char err[256] = "";
	struct conf c;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse(&c, good_ini, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.cluster, "demo");
	assert_int_equal(c.heartbeat_ms, 50);
	assert_int_equal(c.timeout_ms, 400);
	assert_int_equal(c.retry_min_ms, 10);
	assert_int_equal(c.retry_max_ms, 2000);
	assert_int_equal(c.start_wait_ms, 0);
	assert_int_equal(c.nnodes, 3);
	assert_int_equal(c.self, -1);

	assert_string_equal(c.nodes[0].name, "n1");
	assert_int_equal(c.nodes[0].line, 12);
	assert_string_equal(c.nodes[0].addr_text, "127.0.0.1:7101");
	assert_int_equal(c.nodes[0].addrlen, sizeof(struct sockaddr_in));
	sin = (const void *)&c.nodes[0].addr;
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 7101);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);

	assert_string_equal(c.nodes[1].name, "n-2.b_");
	assert_int_equal(c.nodes[1].line, 14);
	assert_string_equal(c.nodes[1].addr_text, "[::1]:7102");
	assert_int_equal(c.nodes[1].addrlen, sizeof(struct sockaddr_in6));
	sin6 = (const void *)&c.nodes[1].addr;
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 7102);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));

	assert_string_equal(c.nodes[2].name, "N3");
	assert_string_equal(c.nodes[2].addr_text, "10.0.0.3:65535");

	assert_int_equal(conf_find_node(&c, "n1"), 0);
	assert_int_equal(conf_find_node(&c, "n-2.b_"), 1);
	assert_int_equal(conf_find_node(&c, "N3"), 2);
	assert_int_equal(conf_find_node(&c, "n3"), -1);
	assert_int_equal(conf_find_node(&c, ""), -1);
}

/* An empty file, or one with only comments, changes nothing. */
static void test_empty(void **state)
{
	struct conf c, before;
	char err[128];

	(void)state;
	conf_defaults(&c);
	before = c;
	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_int_equal(parse(&c, "\n\n  ; nothing\n#\n\r\n", err, sizeof(err)), 0);
	assert_memory_equal(&c, &before, sizeof(c));
}

/* Keys not in the file keep the values the conf had (defaults or flags). */
static void test_keeps_earlier(void **state)
{
	struct conf c;
	char err[128];

	(void)state;
	conf_defaults(&c);
	c.timeout_ms = 1234;
	assert_int_equal(parse(&c, "[cluster]\nheartbeat_ms = 7\n", err, sizeof(err)), 0);
	assert_int_equal(c.heartbeat_ms, 7);
	assert_int_equal(c.timeout_ms, 1234);
	assert_string_equal(c.cluster, "fotos");
}

struct bad_case {
	const char *text;
	int line;
	const char *problem;	/* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{ "[cluster]\nheartbeat = 5\n", 2, "unknown key 'heartbeat' in [cluster]" },
	{ "[node a]\naddress = 1.2.3.4:5\nport = 7\n", 3, "unknown key 'port' in [node a]" },
	{ "[cluster]\n[clusters]\n", 2, "unknown section '[clusters]'" },
	{ "[nodes a]\n", 1, "unknown section '[nodes a]'" },
	{ "[cluster\n", 1, "closing ']'" },
	{ "name = x\n", 1, "outside a section" },
	{ "[cluster]\njust words\n", 2, "expected 'key = value'" },
	{ "[cluster]\n = 5\n", 2, "missing key" },
	{ "[cluster]\nname =\n", 2, "missing value for 'name'" },
	{ "[cluster]\nname = a b\n", 2, "bad cluster name 'a b'" },
	{ "[cluster]\nname = 0123456789012345678901234567890123\n", 2, "too long" },
	{ "[cluster]\nname = x\nname = y\n", 3, "duplicate key 'name' in [cluster] (first at line 2)" },
	/* numbers: junk, sign, overflow, range */
	{ "[cluster]\nheartbeat_ms = 10ms\n", 2, "bad number '10ms' for heartbeat_ms" },
	{ "[cluster]\nheartbeat_ms = -1\n", 2, "bad number '-1'" },
	{ "[cluster]\nheartbeat_ms = +1\n", 2, "bad number '+1'" },
	{ "[cluster]\nheartbeat_ms = 0x10\n", 2, "bad number '0x10'" },
	{ "[cluster]\nheartbeat_ms = 1 0\n", 2, "bad number '1 0'" },
	{ "[cluster]\nheartbeat_ms = 0\n", 2, "heartbeat_ms = 0 out of range (1..60000)" },
	{ "[cluster]\nheartbeat_ms = 60001\n", 2, "out of range (1..60000)" },
	{ "[cluster]\nheartbeat_ms = 99999999999999999999999\n", 2, "out of range" },
	{ "[cluster]\ntimeout_ms = 1\n", 2, "timeout_ms = 1 out of range (2..600000)" },
	{ "[cluster]\ntimeout_ms = 600001\n", 2, "out of range" },
	{ "[cluster]\nretry_min_ms = 0\n", 2, "retry_min_ms = 0 out of range" },
	{ "[cluster]\nretry_max_ms = 600001\n", 2, "retry_max_ms = 600001 out of range" },
	{ "[cluster]\nstart_wait_ms = 4294967296\n", 2, "start_wait_ms = 4294967296 out of range" },
	/* nodes */
	{ "[node a]\naddress = 1.2.3.4:5\n\n[node a]\naddress = 1.2.3.4:6\n", 4,
	  "duplicate node 'a' (first defined at line 1)" },
	{ "[node a]\naddress = 1.2.3.4:5\n[node b]\naddress = 1.2.3.4:5\n", 4,
	  "duplicate address '1.2.3.4:5', also used by node 'a' at line 1" },
	{ "[node a]\naddress = [::1]:5\n[node b]\naddress = [0::1]:5\n", 4,
	  "duplicate address '[0::1]:5', also used by node 'a' at line 1" },
	{ "[node a]\naddress = 1.2.3.4:5\naddress = 1.2.3.4:6\n", 3,
	  "duplicate key 'address' in [node a] (first at line 2)" },
	{ "[node a]\n[node b]\naddress = 1.2.3.4:5\n", 1, "node 'a' has no address" },
	{ "[node a]\n", 1, "node 'a' has no address" },
	{ "[node a]\n[cluster]\n", 1, "node 'a' has no address" },
	{ "[node]\n", 1, "missing node name" },
	{ "[node a/b]\n", 1, "bad node name 'a/b'" },
	{ "[node 0123456789012345678901234567890123456789]\n", 1,
	  "node name '0123456789012345678901234567890123456789' too long (max 31" },
	{ "[node a]\naddress = localhost:7101\n", 2, "bad address 'localhost:7101'" },
	{ "[node a]\naddress = 1.2.3:7101\n", 2, "bad address '1.2.3:7101'" },
	{ "[node a]\naddress = 1.2.3.4\n", 2, "bad address '1.2.3.4'" },
	{ "[node a]\naddress = 256.2.3.4:5\n", 2, "bad address" },
	{ "[node a]\naddress = ::1:5\n", 2, "bad address '::1:5'" },
	{ "[node a]\naddress = [::1:5\n", 2, "bad address" },
	{ "[node a]\naddress = [::1]5\n", 2, "bad address" },
	{ "[node a]\naddress = [1.2.3.4]:5\n", 2, "bad address" },
	{ "[node a]\naddress = 1.2.3.4:0\n", 2, "bad port in address '1.2.3.4:0' (expected 1..65535)" },
	{ "[node a]\naddress = 1.2.3.4:65536\n", 2, "bad port" },
	{ "[node a]\naddress = 1.2.3.4:\n", 2, "bad port" },
	{ "[node a]\naddress = 1.2.3.4:80x\n", 2, "bad port" },
	{ "[node a]\naddress = [::1]:99999999999999999999\n", 2, "bad port" },
	{ "[node a]\naddress = 1.2.3.4:5:6\n", 2, "bad port" },
	{ "[node a]\naddress = [0000:0000:0000:0000:0000:0000:0000:0000:0001]:7101\n", 2,
	  "bad address" },
	/* control bytes are quoted as '?' */
	{ "[cluster]\nna\x01me = x\n", 2, "unknown key 'na?me'" },
};

/* Each bad input: -EINVAL, "t.ini:LINE: ...problem...", conf untouched. */
static void test_bad_inputs(void **state)
{
	char err[512], want[32];
	struct conf c, before;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];

		conf_defaults(&c);
		before = c;
		memset(err, 0, sizeof(err));
		if (parse(&c, b->text, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted: %s", i, b->text);
		snprintf(want, sizeof(want), "t.ini:%d: ", b->line);
		if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, b->problem))
			fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i, err, want, b->problem);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* The NUL case above is cut by strlen; test it with an explicit length. */
static void test_nul_byte(void **state)
{
	static const char text[] = "[cluster]\nname = a\0b\n";
	struct conf c, before;
	char err[128];

	(void)state;
	conf_defaults(&c);
	before = c;
	assert_int_equal(conf_parse(&c, text, sizeof(text) - 1, "t.ini", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.ini:2: NUL byte in line");
	assert_memory_equal(&c, &before, sizeof(c));
}

/* A good prefix followed by one bad line still changes nothing. */
static void test_unchanged_after_partial(void **state)
{
	struct conf c, before;
	char err[256];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse(&c, "[node x]\naddress = 10.0.0.1:1\n", err, sizeof(err)), 0);
	before = c;
	assert_int_equal(parse(&c, good_ini, err, sizeof(err)), 0);	/* appends */
	assert_int_equal(c.nnodes, 4);
	c = before;
	assert_int_equal(parse(&c, "[cluster]\nheartbeat_ms = 7\nname = z\n[node y]\n"
				   "address = 10.0.0.2:2\n[node x]\naddress = 10.0.0.3:3\n",
			       err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.ini:6: duplicate node 'x' (first defined at line 1)"));
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_too_many_nodes(void **state)
{
	char *text, err[256];
	struct conf c, before;
	size_t off = 0, cap = 65 * 64;
	int i;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i < 65; i++)
		off += (size_t)snprintf(text + off, cap - off, "[node n%d]\naddress = 10.0.%d.%d:7000\n",
					i, i / 256, i % 256);
	conf_defaults(&c);
	before = c;
	assert_int_equal(conf_parse(&c, text, off, "t.ini", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.ini:129: too many nodes (max 64)");
	assert_memory_equal(&c, &before, sizeof(c));

	/* 64 is fine. */
	off = 0;
	for (i = 0; i < 64; i++)
		off += (size_t)snprintf(text + off, cap - off, "[node n%d]\naddress = 10.0.%d.%d:7000\n",
					i, i / 256, i % 256);
	assert_int_equal(conf_parse(&c, text, off, "t.ini", err, sizeof(err)), 0);
	assert_int_equal(c.nnodes, 64);
	assert_string_equal(c.nodes[63].name, "n63");
	free(text);
}

/* The longest name fits; one more character does not. */
static void test_name_length(void **state)
{
	char text[128], err[256];
	struct conf c;

	(void)state;
	conf_defaults(&c);
	snprintf(text, sizeof(text), "[node %s]\naddress = 1.1.1.1:1\n",
		 "abcdefghijklmnopqrstuvwxyz01234");
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.nodes[0].name, "abcdefghijklmnopqrstuvwxyz01234");
	conf_defaults(&c);
	snprintf(text, sizeof(text), "[node %s]\naddress = 1.1.1.1:1\n",
		 "abcdefghijklmnopqrstuvwxyz012345");
	assert_int_equal(parse(&c, text, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.ini:1: node name 'abcdefghijklmnopqrstuvwxyz012345' too long"));
}

/* A short error buffer is cut, still NUL-terminated; NULL is allowed. */
static void test_small_err(void **state)
{
	char err[8];
	struct conf c;

	(void)state;
	conf_defaults(&c);
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse(&c, "[bogus]\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.ini:1");
	assert_int_equal(parse(&c, "[bogus]\n", NULL, 0), -EINVAL);
	assert_int_equal(conf_finish(&c, NULL, 0), -EINVAL);
}

static void test_parse_addr(void **state)
{
	static const char *const good[] = {
		"0.0.0.0:1", "255.255.255.255:65535", "[::]:80", "[fe80::1]:7101",
		"[::ffff:10.1.2.3]:9", "[2001:db8::a:b:c:d]:443",
	};
	static const char *const bad[] = {
		"", ":", ":80", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
		"1.2.3.4:-1", "1.2.3.4: 80", " 1.2.3.4:80", "01.2.3.4:80", "1.2.3:80",
		"1.2.3.4.5:80", "host:80", "[::1]", "[::1]:", "[::1]:0", "::1:80", "[::1:80",
		"[fe80::1%eth0]:80", "[1.2.3.4]:80", "[]:80", "1.2.3.4:80:90",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (conf_parse_addr(good[i], &ss, &len) != 0)
			fail_msg("refused good address '%s'", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_parse_addr(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted bad address '%s'", bad[i]);

	assert_int_equal(conf_parse_addr("192.168.1.2:8080", &ss, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	assert_int_equal(conf_parse_addr("[::1]:1", &ss, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ss.ss_family, AF_INET6);
}

/* A parsed 2-node conf. */
static void two_nodes(struct conf *c)
{
	char err[128];

	conf_defaults(c);
	assert_int_equal(parse(c, "[node a]\naddress = 1.1.1.1:1\n[node b]\naddress = 1.1.1.2:1\n",
			       err, sizeof(err)), 0);
}

static void expect_finish_err(struct conf *c, const char *msg)
{
	struct conf before = *c;
	char err[256] = "";

	assert_int_equal(conf_finish(c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(c, &before, sizeof(*c));
}

static void test_finish(void **state)
{
	char err[256];
	struct conf c;

	(void)state;
	conf_defaults(&c);
	expect_finish_err(&c, "no nodes configured");

	two_nodes(&c);
	expect_finish_err(&c, "no --node given");
	c.self = 2;
	expect_finish_err(&c, "node index 2 out of range");

	c.self = 1;
	c.timeout_ms = 100;
	expect_finish_err(&c, "timeout_ms (100) must be greater than heartbeat_ms (100)");
	c.timeout_ms = 500;
	c.retry_max_ms = 19;
	expect_finish_err(&c, "retry_max_ms (19) must be at least retry_min_ms (20)");
	c.retry_max_ms = 1000;
	c.heartbeat_ms = 0;	/* as a flag might set it */
	expect_finish_err(&c, "heartbeat_ms = 0 out of range (1..60000)");
	c.heartbeat_ms = 100;
	c.start_wait_ms = 600001;
	expect_finish_err(&c, "start_wait_ms = 600001 out of range (0..600000)");
	c.start_wait_ms = 0;

	assert_int_equal(conf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.control_path, "/run/fotos/b.sock");
	assert_string_equal(c.shm_name, "/fotos");

	/* Values given by flags are kept. */
	two_nodes(&c);
	c.self = 0;
	snprintf(c.control_path, sizeof(c.control_path), "/tmp/x.sock");
	snprintf(c.shm_name, sizeof(c.shm_name), "/other");
	assert_int_equal(conf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.control_path, "/tmp/x.sock");
	assert_string_equal(c.shm_name, "/other");
}

/* The relation of timeout and heartbeat is checked once flags are in. */
static void test_timeout_vs_heartbeat(void **state)
{
	char err[256];
	struct conf c;

	(void)state;
	two_nodes(&c);
	assert_int_equal(parse(&c, "[cluster]\nheartbeat_ms = 600\n", err, sizeof(err)), 0);
	c.self = 0;
	expect_finish_err(&c, "timeout_ms (500) must be greater than heartbeat_ms (600)");
	c.timeout_ms = 601;	/* a --timeout flag */
	assert_int_equal(conf_finish(&c, err, sizeof(err)), 0);
}

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_conf_XXXXXX";
	char err[512], want[600];
	struct conf c, before;
	char *big;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, good_ini, strlen(good_ini));
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.nnodes, 3);

	/* Errors name the path given. */
	write_file(path, "[cluster]\nbogus = 1\n", 20);
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown key 'bogus' in [cluster]", path);
	assert_string_equal(err, want);

	/* Larger than 1 MiB: refused whole, even if valid (comments). */
	big = malloc(1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, '\n', 1024 * 1024 + 1);
	big[0] = ';';
	write_file(path, big, 1024 * 1024);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);	/* exactly 1 MiB */
	write_file(path, big, 1024 * 1024 + 1);
	before = c;
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "cannot read %s: larger than 1 MiB", path);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &before, sizeof(c));
	free(big);
	unlink(path);

	assert_int_equal(conf_load(&c, "/nonexistent/fotos.ini", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot read /nonexistent/fotos.ini: No such file or directory");
	assert_int_equal(conf_load(&c, "/", err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "cannot read /: Is a directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_keeps_earlier),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_unchanged_after_partial),
		cmocka_unit_test(test_too_many_nodes),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_timeout_vs_heartbeat),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
