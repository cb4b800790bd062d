/*
 * Description: libFuzzer target for the wire decoder (agent/wire.c).
 * Frames the input with wire_frame_len() as the mesh does, decodes what it
 * frames, and checks that anything the decoder accepts re-encodes to the
 * very same bytes: the decoder may not accept what the encoder cannot say.
 * The key and value of DB_UPDATE / DB_CAS point into the frame: they must
 * lie inside it (and the re-encoding copies them from there).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode buf; if accepted, the re-encoding must equal it byte for byte. */
static void check_frame(const uint8_t *buf, size_t len)
{
	uint8_t out[WIRE_MAX_FRAME];
	struct wire_msg m;
	int n;

	if (wire_decode(buf, len, &m) != 0)
		return;
	/* A frame that decodes is exactly one whole frame. */
	if (wire_frame_len(buf, len) != (int)len)
		abort();
	if (m.type == WIRE_DB_UPDATE || m.type == WIRE_DB_CAS) {
		const uint8_t *end = buf + len;

		if (!m.u.db.key || m.u.db.key < buf + WIRE_HDR_SIZE ||
		    m.u.db.klen > (size_t)(end - m.u.db.key))
			abort();
		if (m.u.db.vlen && (m.u.db.val != m.u.db.key + m.u.db.klen ||
				    m.u.db.vlen != (size_t)(end - m.u.db.val)))
			abort();
		if (!m.u.db.vlen && (m.u.db.val || m.u.db.key + m.u.db.klen != end))
			abort();
	}
	n = wire_encode(&m, out, sizeof(out));
	if (n < 0 || (size_t)n != len || memcmp(out, buf, len) != 0)
		abort();
	if (wire_type_name(m.type)[0] == '?')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int n;

	/* The whole input as one frame, then as a stream of frames. */
	check_frame(data, size);
	while (off < size) {
		n = wire_frame_len(data + off, size - off);
		if (n <= 0)
			break;
		if (n > WIRE_MAX_FRAME)
			abort();
		check_frame(data + off, (size_t)n);
		off += (size_t)n;
	}
	return 0;
}
