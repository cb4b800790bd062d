/*
 * Description: unit tests of agent/auth.c, the authentication of links.
 * Key files: the keygen format loads; wrong lengths, non-hex, a file others
 * may read, a missing file or a directory are refused with a reason naming
 * the file. The handshake: both ends derive the same two keys from two
 * HELLOs; every frame sealed by one end opens at the other, with and
 * without encryption (encrypted payloads differ from the plaintext, the
 * header stays clear). And every attack the design names fails: a flipped
 * bit anywhere (header, payload, tag), a replayed frame, a reordered one, a
 * frame reflected to its sender, a frame of an older link, a peer with
 * another key, HELLOs that disagree on authentication.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "wire.h"

static char dir[64];

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

#define HEX64 "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978"

static void test_key_file(void **state)
{
	uint8_t key[AUTH_KEY_SIZE];
	char err[256], fp[9], fp2[9], missing[96];
	const char *p;

	(void)state;
	p = write_file("good", "# fotos cluster key\n" HEX64 "\n", 0600);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), 0);
	assert_int_equal(key[0], 0x00);
	assert_int_equal(key[1], 0x11);
	assert_int_equal(key[31], 0x78);
	auth_fingerprint(key, fp);
	assert_int_equal(strlen(fp), 8);
	key[0] ^= 1;
	auth_fingerprint(key, fp2);
	assert_string_not_equal(fp, fp2);

	/* upper case and spaces are fine too */
	p = write_file("upper", "  00112233445566778899AABBCCDDEEFF 0123456789ABCDEF0F1E2D3C4B5A6978\r\n", 0400);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), 0);
	assert_int_equal(key[10], 0xaa);

	p = write_file("short", "0011223344\n", 0600);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "64 hex digits"));
	assert_non_null(strstr(err, p));

	p = write_file("long", HEX64 "00\n", 0600);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EINVAL);

	p = write_file("odd", HEX64 "0\n", 0600);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EINVAL);

	p = write_file("nonhex", "0011223344556677889xaabbccddeeff0123456789abcdef0f1e2d3c4b5a6978\n", 0600);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EINVAL);

	p = write_file("empty", "", 0600);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EINVAL);

	p = write_file("open", HEX64 "\n", 0644);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));

	p = write_file("groupw", HEX64 "\n", 0620);
	assert_int_equal(auth_load_key(p, key, err, sizeof(err)), -EPERM);

	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(auth_load_key(missing, key, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "fotosctl keygen"));

	assert_int_equal(auth_load_key(dir, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
}

/* Two ends of one link: node lo dials node hi. */
struct pair {
	struct auth_link l[2];
	uint8_t hello[2][AUTH_HELLO_MAX];
	int len[2];
};

static void hello_of(struct pair *p, int side, const uint8_t *key, int encrypt, int self, int peer)
{
	struct wire_msg m = { .type = WIRE_HELLO };

	m.u.hello.cluster_hash = 99;
	m.u.hello.incarnation = 1000 + (uint64_t)self;
	m.u.hello.from = (uint16_t)self;
	m.u.hello.to = (uint16_t)peer;
	auth_hello_fill(&p->l[side], key, encrypt, &m.u.hello);
	p->len[side] = wire_encode(&m, p->hello[side], sizeof(p->hello[side]));
	assert_true(p->len[side] > 0);
	auth_hello_sent(&p->l[side], p->hello[side], (uint32_t)p->len[side]);
}

static int finish(struct pair *p, int side, const uint8_t *key, int encrypt, int self)
{
	struct wire_msg m;
	const char *why = NULL;

	assert_int_equal(wire_decode(p->hello[!side], (size_t)p->len[!side], &m), 0);
	return auth_on_hello(&p->l[side], key, encrypt, self, &m.u.hello, p->hello[!side],
			     (uint32_t)p->len[!side], &why);
}

static void link_up(struct pair *p, const uint8_t *k0, const uint8_t *k1, int enc0, int enc1)
{
	memset(p, 0, sizeof(*p));
	hello_of(p, 0, k0, enc0, 2, 7);
	hello_of(p, 1, k1, enc1, 7, 2);
	assert_int_equal(finish(p, 0, k0, enc0, 2), 0);
	assert_int_equal(finish(p, 1, k1, enc1, 7), 0);
}

/* A STATUS frame with a recognisable payload, room for the tag. */
static uint32_t status_frame(uint8_t *buf, size_t cap, uint64_t epoch)
{
	struct wire_msg m = { .type = WIRE_STATUS };
	int n;

	m.u.status.epoch = epoch;
	m.u.status.view_id = 0x4141414141414141ull;
	m.u.status.members = 5;
	n = wire_encode(&m, buf, cap - WIRE_TAG_SIZE);
	assert_true(n > 0);
	return (uint32_t)n;
}

static void round_trip(int encrypt)
{
	uint8_t key[AUTH_KEY_SIZE], buf[256], plain[256];
	struct pair p;
	struct wire_msg m;
	uint32_t n, sealed;
	int i;

	randombytes_buf(key, sizeof(key));
	link_up(&p, key, key, encrypt, 0);
	/* either end asking for encryption gets it for both directions */
	assert_int_equal(p.l[0].encrypt, !!encrypt);
	assert_int_equal(p.l[1].encrypt, !!encrypt);
	assert_memory_equal(p.l[0].tx_key, p.l[1].rx_key, AUTH_KEY_SIZE);
	assert_memory_equal(p.l[1].tx_key, p.l[0].rx_key, AUTH_KEY_SIZE);
	assert_memory_not_equal(p.l[0].tx_key, p.l[0].rx_key, AUTH_KEY_SIZE);

	for (i = 0; i < 50; i++) {
		int from = i % 2;

		n = status_frame(buf, sizeof(buf), (uint64_t)i);
		memcpy(plain, buf, n);
		sealed = auth_seal(&p.l[from], buf, n);
		assert_int_equal(sealed, n + WIRE_TAG_SIZE);
		/* the header is always in the clear (it frames the stream) */
		assert_memory_equal(buf, plain, WIRE_HDR_SIZE);
		if (encrypt)
			assert_memory_not_equal(buf + WIRE_HDR_SIZE, plain + WIRE_HDR_SIZE,
						n - WIRE_HDR_SIZE);
		else
			assert_memory_equal(buf, plain, n);
		assert_int_equal(auth_open(&p.l[!from], buf, n), 0);
		assert_memory_equal(buf, plain, n);
		assert_int_equal(wire_decode(buf, n, &m), 0);
		assert_int_equal(m.u.status.epoch, (uint64_t)i);
	}
}

static void test_round_trip_mac(void **state)
{
	(void)state;
	round_trip(0);
}

static void test_round_trip_encrypted(void **state)
{
	(void)state;
	round_trip(1);
}

static void test_encrypt_either_end(void **state)
{
	uint8_t key[AUTH_KEY_SIZE];
	struct pair p;

	(void)state;
	randombytes_buf(key, sizeof(key));
	link_up(&p, key, key, 0, 1);
	assert_int_equal(p.l[0].encrypt, 1);
	assert_int_equal(p.l[1].encrypt, 1);
}

static void test_tamper(void **state)
{
	uint8_t key[AUTH_KEY_SIZE], buf[256], orig[256];
	struct pair p;
	uint32_t n, i;
	int enc;

	(void)state;
	randombytes_buf(key, sizeof(key));
	for (enc = 0; enc <= 1; enc++) {
		link_up(&p, key, key, enc, enc);
		n = status_frame(orig, sizeof(orig), 3);
		auth_seal(&p.l[0], orig, n);
		/* every single flipped bit, in header, payload and tag, fails */
		for (i = 0; i < n + WIRE_TAG_SIZE; i++) {
			struct auth_link rx = p.l[1];

			memcpy(buf, orig, n + WIRE_TAG_SIZE);
			buf[i] ^= (uint8_t)(1u << (i % 8));
			assert_int_equal(auth_open(&rx, buf, n), -EBADMSG);
		}
		memcpy(buf, orig, n + WIRE_TAG_SIZE);
		assert_int_equal(auth_open(&p.l[1], buf, n), 0);
	}
}

static void test_replay_reorder_reflect(void **state)
{
	uint8_t key[AUTH_KEY_SIZE], f1[256], f2[256], copy[256];
	struct pair p, q;
	uint32_t n1, n2;

	(void)state;
	randombytes_buf(key, sizeof(key));
	link_up(&p, key, key, 0, 0);
	n1 = status_frame(f1, sizeof(f1), 1);
	n2 = status_frame(f2, sizeof(f2), 2);
	auth_seal(&p.l[0], f1, n1);
	auth_seal(&p.l[0], f2, n2);

	/* reorder: the second frame first */
	memcpy(copy, f2, n2 + WIRE_TAG_SIZE);
	assert_int_equal(auth_open(&p.l[1], copy, n2), -EBADMSG);
	/* reflected to its sender */
	memcpy(copy, f1, n1 + WIRE_TAG_SIZE);
	assert_int_equal(auth_open(&p.l[0], copy, n1), -EBADMSG);
	/* in order: fine */
	memcpy(copy, f1, n1 + WIRE_TAG_SIZE);
	assert_int_equal(auth_open(&p.l[1], copy, n1), 0);
	/* replayed */
	memcpy(copy, f1, n1 + WIRE_TAG_SIZE);
	assert_int_equal(auth_open(&p.l[1], copy, n1), -EBADMSG);
	memcpy(copy, f2, n2 + WIRE_TAG_SIZE);
	assert_int_equal(auth_open(&p.l[1], copy, n2), 0);

	/* a new link between the same nodes: fresh nonces, fresh keys, so a
	 * frame recorded on the old link is refused on the new one */
	link_up(&q, key, key, 0, 0);
	assert_memory_not_equal(q.l[0].tx_key, p.l[0].tx_key, AUTH_KEY_SIZE);
	n1 = status_frame(f1, sizeof(f1), 1);
	auth_seal(&p.l[0], f1, n1);
	assert_int_equal(auth_open(&q.l[1], f1, n1), -EBADMSG);
}

static void test_wrong_key(void **state)
{
	uint8_t k1[AUTH_KEY_SIZE], k2[AUTH_KEY_SIZE], buf[256];
	struct pair p;
	uint32_t n;
	struct wire_msg m = { .type = WIRE_AUTH };
	int len;

	(void)state;
	randombytes_buf(k1, sizeof(k1));
	memcpy(k2, k1, sizeof(k2));
	k2[31] ^= 0x80;	/* one bit apart */
	link_up(&p, k1, k2, 0, 0);
	len = wire_encode(&m, buf, sizeof(buf));
	n = auth_seal(&p.l[0], buf, (uint32_t)len);
	assert_int_equal(n, (uint32_t)len + WIRE_TAG_SIZE);
	assert_int_equal(auth_open(&p.l[1], buf, (uint32_t)len), -EBADMSG);
	n = status_frame(buf, sizeof(buf), 9);
	auth_seal(&p.l[1], buf, n);
	assert_int_equal(auth_open(&p.l[0], buf, n), -EBADMSG);
}

static void test_hello_disagrees(void **state)
{
	uint8_t key[AUTH_KEY_SIZE];
	struct pair p;

	(void)state;
	randombytes_buf(key, sizeof(key));
	memset(&p, 0, sizeof(p));
	/* keyed node meets an unkeyed one, both ways */
	hello_of(&p, 0, key, 0, 2, 7);
	hello_of(&p, 1, NULL, 0, 7, 2);
	assert_int_equal(finish(&p, 0, key, 0, 2), -EACCES);
	assert_int_equal(finish(&p, 1, NULL, 0, 7), -EACCES);
	assert_int_equal(p.l[0].sealed, 0);
	/* two unkeyed nodes: no sealing at all */
	memset(&p, 0, sizeof(p));
	hello_of(&p, 0, NULL, 0, 2, 7);
	hello_of(&p, 1, NULL, 0, 7, 2);
	assert_int_equal(finish(&p, 0, NULL, 0, 2), 0);
	assert_int_equal(p.l[0].sealed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_round_trip_mac),
		cmocka_unit_test(test_round_trip_encrypted),
		cmocka_unit_test(test_encrypt_either_end),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_replay_reorder_reflect),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_hello_disagrees),
	};
	char cmd[96];
	int ret;

	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/fotos-auth-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return ret;
}
