/*
 * auth.h - authenticated (and optionally encrypted) links between agents.
 *
 * The cluster shares one 32-byte secret, the key file (fotosctl keygen). On a
 * link each end sends a HELLO with a fresh random nonce; both then derive
 * one key per direction from the secret and both HELLOs as sent, so a key
 * is new on every link and binds everything the HELLOs said (node indices,
 * incarnations, cluster). From then on every frame carries a Poly1305 tag
 * under its direction's key and a counter nonce: a frame that was forged,
 * changed, replayed, reordered or reflected fails. The first sealed frame
 * each way is AUTH; a link counts as up only once the peer's AUTH verified,
 * which proves the peer holds the secret. With encryption the payloads are
 * ChaCha20-encrypted too (the 12-byte headers stay clear, authenticated).
 * All of it is libsodium's ChaCha20-Poly1305 (IETF) and BLAKE2b.
 */
#ifndef FOTOS_AUTH_H
#define FOTOS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define AUTH_KEY_SIZE	32
#define AUTH_HELLO_MAX	(WIRE_HDR_SIZE + 64)	/* a HELLO frame, as sent */

/* Per-link state, inside struct conn. */
struct auth_link {
	uint8_t nonce[WIRE_NONCE_SIZE];	/* the challenge we sent */
	uint8_t hello_tx[AUTH_HELLO_MAX];	/* our HELLO frame as sent */
	uint32_t hello_tx_len;
	uint8_t tx_key[AUTH_KEY_SIZE], rx_key[AUTH_KEY_SIZE];
	uint64_t tx_seq, rx_seq;	/* counter nonces, one per direction */
	int sealed;		/* keys derived: every frame after HELLO has a tag */
	int encrypt;		/* payloads encrypted too */
	int proven;		/* the peer's AUTH verified */
};

/*
 * Read a key file: 64 hex digits (blank lines and '#' comments allowed).
 * Refuses a file other users may read or write. 0, or -errno / -EINVAL
 * with the reason in err, naming the file.
 */
int auth_load_key(const char *path, uint8_t key[AUTH_KEY_SIZE], char *err, size_t errlen);

/* Four bytes of a hash of the key, as hex: safe to log and to compare. */
void auth_fingerprint(const uint8_t key[AUTH_KEY_SIZE], char out[9]);

/*
 * Fill the auth part of a HELLO we are about to send: flags, and a fresh
 * nonce kept in l. key NULL: no authentication (flags 0, zero nonce).
 */
void auth_hello_fill(struct auth_link *l, const uint8_t *key, int encrypt, struct wire_hello *h);

/* Remember our HELLO frame as sent: the keys are derived from it. */
void auth_hello_sent(struct auth_link *l, const uint8_t *frame, uint32_t len);

/* Whether a peer's HELLO agrees with us on authentication (before we
 * answer it). 0, or -EACCES with the reason in why. */
int auth_hello_ok(const uint8_t *key, const struct wire_hello *h, const char **why);

/*
 * The peer's HELLO (decoded h, raw frame rx of rx_len bytes) arrived and
 * ours was sent. Checks that both ends agree on authentication, then, with
 * a key, derives the link's keys (sealed from now on). 0, or -EACCES with
 * the reason in why for the log.
 */
int auth_on_hello(struct auth_link *l, const uint8_t *key, int encrypt, int self,
		  const struct wire_hello *h, const uint8_t *rx, uint32_t rx_len,
		  const char **why);

/* Seal a frame of len bytes in place (encrypting its payload if set) and
 * append the tag: buf must have WIRE_TAG_SIZE bytes of room. New length. */
uint32_t auth_seal(struct auth_link *l, uint8_t *frame, uint32_t len);

/* Check (and decrypt in place) a frame of len bytes whose tag follows it.
 * 0, or -EBADMSG: forged, altered, replayed or out of order. */
int auth_open(struct auth_link *l, uint8_t *frame, uint32_t len);

/* Forget a link's keys (on close). */
void auth_wipe(struct auth_link *l);

#endif
