/*
 * bench_auth - what authenticating the links costs per frame.
 *
 * The agent seals every frame it sends on a keyed link and opens every one
 * it receives (agent/auth.c: ChaCha20-Poly1305, the whole frame as
 * associated data, or the payload encrypted with encrypt = yes). Timed here,
 * one seal plus one open, for a heartbeat-sized frame (STATUS, 68 bytes), a
 * database update of 1 KiB and the largest frame (64 KiB), side by side with
 * the baseline of copying the frame once (what any send costs at least).
 * Also the handshake's key derivation, once per link.
 *
 * usage: bench_auth [--quick]
 */
#include <sodium.h>

#include "bench.h"
#include "../agent/auth.c"
#include "../agent/wire.c"

#define BATCH	64

static uint8_t frame[WIRE_MAX_FRAME + WIRE_TAG_SIZE], copy[WIRE_MAX_FRAME + WIRE_TAG_SIZE];

/* A link's two ends, keyed, with or without encryption. */
static void link_pair(struct auth_link *tx, struct auth_link *rx, const uint8_t *key, int enc)
{
	struct wire_msg m = { .type = WIRE_HELLO };
	uint8_t h0[AUTH_HELLO_MAX], h1[AUTH_HELLO_MAX];
	struct wire_msg d0, d1;
	const char *why;
	int n0, n1;

	m.u.hello.from = 0;
	m.u.hello.to = 1;
	auth_hello_fill(tx, key, enc, &m.u.hello);
	n0 = wire_encode(&m, h0, sizeof(h0));
	auth_hello_sent(tx, h0, (uint32_t)n0);
	m.u.hello.from = 1;
	m.u.hello.to = 0;
	auth_hello_fill(rx, key, enc, &m.u.hello);
	n1 = wire_encode(&m, h1, sizeof(h1));
	auth_hello_sent(rx, h1, (uint32_t)n1);
	wire_decode(h1, (size_t)n1, &d1);
	wire_decode(h0, (size_t)n0, &d0);
	if (auth_on_hello(tx, key, enc, 0, &d1.u.hello, h1, (uint32_t)n1, &why) < 0 ||
	    auth_on_hello(rx, key, enc, 1, &d0.u.hello, h0, (uint32_t)n0, &why) < 0) {
		fprintf(stderr, "bench_auth: handshake failed\n");
		exit(1);
	}
}

/* A frame of len bytes: a header the agent would accept, payload noise. */
static void make_frame(uint32_t len)
{
	uint32_t plen = len - WIRE_HDR_SIZE, i;

	frame[0] = 0x46;
	frame[1] = 0x4f;
	frame[2] = WIRE_VERSION;
	frame[3] = WIRE_DB_UPDATE;
	frame[4] = (uint8_t)plen;
	frame[5] = (uint8_t)(plen >> 8);
	frame[6] = (uint8_t)(plen >> 16);
	frame[7] = 0;
	memset(frame + 8, 0, 4);
	for (i = WIRE_HDR_SIZE; i < len; i++)
		frame[i] = (uint8_t)(i * 131);
}

static void run(const char *what, uint32_t len, int rounds, const uint8_t *key)
{
	struct bench_samples base, mac, enc;
	struct auth_link a, b, c, d;
	char name[96];
	int r, k;

	make_frame(len);
	snprintf(name, sizeof(name), "%s (%u B): copy the frame once (baseline)", what, len);
	samples_init(&base, name);
	snprintf(name, sizeof(name), "%s (%u B): seal + open, authenticated", what, len);
	samples_init(&mac, name);
	snprintf(name, sizeof(name), "%s (%u B): seal + open, encrypted", what, len);
	samples_init(&enc, name);
	link_pair(&a, &b, key, 0);
	link_pair(&c, &d, key, 1);
	for (r = 0; r < rounds; r++) {
		uint64_t t0 = bench_now_ns();

		for (k = 0; k < BATCH; k++) {
			memcpy(copy, frame, len);
			bench_sink += copy[len - 1];
		}
		samples_add(&base, (double)(bench_now_ns() - t0) / BATCH);

		t0 = bench_now_ns();
		for (k = 0; k < BATCH; k++) {
			auth_seal(&a, frame, len);
			if (auth_open(&b, frame, len) < 0) {
				fprintf(stderr, "bench_auth: a sealed frame did not open\n");
				exit(1);
			}
		}
		samples_add(&mac, (double)(bench_now_ns() - t0) / BATCH);

		t0 = bench_now_ns();
		for (k = 0; k < BATCH; k++) {
			auth_seal(&c, frame, len);
			if (auth_open(&d, frame, len) < 0) {
				fprintf(stderr, "bench_auth: an encrypted frame did not open\n");
				exit(1);
			}
		}
		samples_add(&enc, (double)(bench_now_ns() - t0) / BATCH);
	}
	bench_row(&base, NULL);
	bench_row(&mac, &base);
	bench_row(&enc, &base);
	samples_dump(&base, "auth");
	samples_dump(&mac, "auth");
	samples_dump(&enc, "auth");
	samples_free(&base);
	samples_free(&mac);
	samples_free(&enc);
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv), rounds = quick ? 200 : 3000, r;
	uint8_t key[AUTH_KEY_SIZE];
	struct bench_samples hs;

	if (sodium_init() < 0) {
		fprintf(stderr, "bench_auth: libsodium failed to initialise\n");
		return 1;
	}
	bench_pin(0);
	randombytes_buf(key, sizeof(key));
	printf("Per frame, one seal by the sender plus one open by the receiver, in a\n"
	       "batch of %d; %d batches. The baseline copies the frame once.\n\n", BATCH, rounds);
	bench_header();
	run("heartbeat", WIRE_HDR_SIZE + 56, rounds, key);
	run("db update", 1024, rounds, key);
	run("largest frame", WIRE_MAX_FRAME, quick ? 20 : 300, key);

	samples_init(&hs, "handshake: nonce, both keys of a link (per end)");
	for (r = 0; r < rounds; r++) {
		struct auth_link a, b;
		uint64_t t0 = bench_now_ns();

		link_pair(&a, &b, key, 0);
		samples_add(&hs, (double)(bench_now_ns() - t0) / 2);
	}
	bench_row(&hs, NULL);
	samples_free(&hs);
	return 0;
}
