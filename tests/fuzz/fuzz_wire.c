/*
 * Description: libFuzzer target for the wire decoder (agent/wire.c).
 * Frames the input with wire_frame_len() as the mesh does, decodes what it
 * frames, and checks that anything the decoder accepts re-encodes to the
 * very same bytes: the decoder may not accept what the encoder cannot say.
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
