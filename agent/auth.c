/*
 * auth.c - the cluster key and the sealing of link frames (see auth.h).
 *
 * Why these pieces: a shared secret fits a cluster whose members are all
 * configured in one file; per-link keys derived from fresh nonces of both
 * ends mean a recorded link cannot be replayed into a new one; one key per
 * direction means a frame cannot be reflected back to its sender; and a
 * counter nonce means no frame can be dropped, repeated or reordered
 * without the next check failing. No cryptography of our own: libsodium's
 * keyed BLAKE2b derives, ChaCha20-Poly1305 (IETF) seals.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

#define KDF_LABEL	"fotos link v2"

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int auth_load_key(const char *path, uint8_t key[AUTH_KEY_SIZE], char *err, size_t errlen)
{
	char text[1024];
	struct stat st;
	ssize_t n;
	size_t i, got = 0;
	int fd, comment = 0, hi = -1, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "key_file %s: cannot open: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (fotosctl keygen FILE writes one)" : "");
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "key_file %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "key_file %s: mode %04o lets other users at the cluster "
			 "key: chmod 600 %s", path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	n = read(fd, text, sizeof(text));
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret < 0) {
		snprintf(err, errlen, "key_file %s: cannot read: %s", path, strerror(-ret));
		return ret;
	}
	if ((size_t)n == sizeof(text)) {
		snprintf(err, errlen, "key_file %s: too long for a key (a key is 64 hex digits)", path);
		return -EINVAL;
	}
	for (i = 0; i < (size_t)n; i++) {
		int ch = (unsigned char)text[i], v;

		if (ch == '\n') {
			comment = 0;
			continue;
		}
		if (comment || ch == ' ' || ch == '\t' || ch == '\r')
			continue;
		if (ch == '#') {
			comment = 1;
			continue;
		}
		v = hexval(ch);
		if (v < 0 || got == AUTH_KEY_SIZE) {
			sodium_memzero(text, sizeof(text));
			snprintf(err, errlen, "key_file %s: not a key (want exactly 64 hex digits, "
				 "as fotosctl keygen writes)", path);
			return -EINVAL;
		}
		if (hi < 0) {
			hi = v;
		} else {
			key[got++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	sodium_memzero(text, sizeof(text));
	if (got != AUTH_KEY_SIZE || hi >= 0) {
		snprintf(err, errlen, "key_file %s: not a key (want exactly 64 hex digits, "
			 "as fotosctl keygen writes)", path);
		return -EINVAL;
	}
	return 0;
}

void auth_fingerprint(const uint8_t key[AUTH_KEY_SIZE], char out[9])
{
	uint8_t h[16];

	crypto_generichash(h, sizeof(h), (const uint8_t *)"fotos fingerprint", 17,
			   key, AUTH_KEY_SIZE);
	snprintf(out, 9, "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
}

void auth_hello_fill(struct auth_link *l, const uint8_t *key, int encrypt, struct wire_hello *h)
{
	memset(l, 0, sizeof(*l));
	h->flags = 0;
	memset(h->nonce, 0, sizeof(h->nonce));
	if (!key)
		return;
	randombytes_buf(l->nonce, sizeof(l->nonce));
	memcpy(h->nonce, l->nonce, sizeof(h->nonce));
	h->flags = WIRE_HELLO_AUTH | (encrypt ? WIRE_HELLO_ENCRYPT : 0);
}

void auth_hello_sent(struct auth_link *l, const uint8_t *frame, uint32_t len)
{
	if (len > sizeof(l->hello_tx))
		len = sizeof(l->hello_tx);
	memcpy(l->hello_tx, frame, len);
	l->hello_tx_len = len;
}

/* Key of the direction from -> to: keyed BLAKE2b over both HELLOs, the
 * lower node's first, so both ends compute the same two keys. */
static void derive(uint8_t out[AUTH_KEY_SIZE], const uint8_t *key, uint16_t from, uint16_t to,
		   const uint8_t *lo, uint32_t lo_len, const uint8_t *hi, uint32_t hi_len)
{
	crypto_generichash_state st;
	uint8_t dir[4] = { (uint8_t)from, (uint8_t)(from >> 8), (uint8_t)to, (uint8_t)(to >> 8) };

	crypto_generichash_init(&st, key, AUTH_KEY_SIZE, AUTH_KEY_SIZE);
	crypto_generichash_update(&st, (const uint8_t *)KDF_LABEL, sizeof(KDF_LABEL) - 1);
	crypto_generichash_update(&st, dir, sizeof(dir));
	crypto_generichash_update(&st, lo, lo_len);
	crypto_generichash_update(&st, hi, hi_len);
	crypto_generichash_final(&st, out, AUTH_KEY_SIZE);
}

int auth_hello_ok(const uint8_t *key, const struct wire_hello *h, const char **why)
{
	int peer_auth = !!(h->flags & WIRE_HELLO_AUTH);

	if (!key && peer_auth) {
		*why = "it authenticates with a cluster key and this node has no key_file";
		return -EACCES;
	}
	if (key && !peer_auth) {
		*why = "it offers no authentication (no key_file in its config)";
		return -EACCES;
	}
	return 0;
}

int auth_on_hello(struct auth_link *l, const uint8_t *key, int encrypt, int self,
		  const struct wire_hello *h, const uint8_t *rx, uint32_t rx_len,
		  const char **why)
{
	uint16_t me = (uint16_t)self, peer = h->from;

	if (auth_hello_ok(key, h, why) < 0)
		return -EACCES;
	if (!key)
		return 0;
	if (!l->hello_tx_len) {
		*why = "internal: our HELLO was not recorded";
		return -EACCES;
	}
	if (me < peer) {
		derive(l->tx_key, key, me, peer, l->hello_tx, l->hello_tx_len, rx, rx_len);
		derive(l->rx_key, key, peer, me, l->hello_tx, l->hello_tx_len, rx, rx_len);
	} else {
		derive(l->tx_key, key, me, peer, rx, rx_len, l->hello_tx, l->hello_tx_len);
		derive(l->rx_key, key, peer, me, rx, rx_len, l->hello_tx, l->hello_tx_len);
	}
	/* Either end asking for encryption gets it: the stronger setting wins. */
	l->encrypt = encrypt || (h->flags & WIRE_HELLO_ENCRYPT);
	l->tx_seq = l->rx_seq = 0;
	l->sealed = 1;
	return 0;
}

static void seq_nonce(uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], uint64_t seq)
{
	int i;

	memset(npub, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	for (i = 0; i < 8; i++)
		npub[i] = (uint8_t)(seq >> (8 * i));
}

uint32_t auth_seal(struct auth_link *l, uint8_t *frame, uint32_t len)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], none = 0;
	unsigned long long taglen;

	seq_nonce(npub, l->tx_seq++);
	if (l->encrypt)
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			frame + WIRE_HDR_SIZE, frame + len, &taglen, frame + WIRE_HDR_SIZE,
			len - WIRE_HDR_SIZE, frame, WIRE_HDR_SIZE, NULL, npub, l->tx_key);
	else	/* the whole frame as associated data: a MAC, no secrecy */
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			&none, frame + len, &taglen, &none, 0, frame, len, NULL, npub, l->tx_key);
	return len + WIRE_TAG_SIZE;
}

int auth_open(struct auth_link *l, uint8_t *frame, uint32_t len)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], none = 0;
	int ret;

	seq_nonce(npub, l->rx_seq);
	if (l->encrypt)
		ret = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			frame + WIRE_HDR_SIZE, NULL, frame + WIRE_HDR_SIZE, len - WIRE_HDR_SIZE,
			frame + len, frame, WIRE_HDR_SIZE, npub, l->rx_key);
	else
		ret = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			&none, NULL, &none, 0, frame + len, frame, len, npub, l->rx_key);
	if (ret != 0)
		return -EBADMSG;
	l->rx_seq++;
	return 0;
}

void auth_wipe(struct auth_link *l)
{
	sodium_memzero(l, sizeof(*l));
}
