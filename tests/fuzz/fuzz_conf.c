/*
 * Description: libFuzzer target for the config parser (agent/conf.c).
 * Arbitrary bytes, not NUL-terminated. On error the conf must be unchanged
 * and the message a terminated "fuzz.ini:LINE: ..." string; on success every
 * node must be well formed and conf_finish() must behave.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n = strnlen(s, FOTOS_NAME_MAX);

	if (n == 0 || n >= FOTOS_NAME_MAX || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c, before;
	char err[256];
	unsigned int i;
	int ret;

	conf_defaults(&c);
	before = c;
	memset(err, 'x', sizeof(err));
	ret = conf_parse(&c, (const char *)data, size, "fuzz.ini", err, sizeof(err));
	if (ret != 0) {
		if (ret != -EINVAL || !memchr(err, '\0', sizeof(err)) ||
		    strncmp(err, "fuzz.ini:", 9) != 0)
			abort();
		if (memcmp(&c, &before, sizeof(c)) != 0)
			abort();
		return 0;
	}
	if (c.nnodes > FOTOS_MAX_NODES)
		abort();
	check_name(c.cluster);
	for (i = 0; i < c.nnodes; i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		check_name(c.nodes[i].name);
		if (conf_find_node(&c, c.nodes[i].name) != (int)i)
			abort();
		/* addr_text parses back to the same address. */
		if (conf_parse_addr(c.nodes[i].addr_text, &ss, &len) != 0 ||
		    len != c.nodes[i].addrlen || memcmp(&ss, &c.nodes[i].addr, len) != 0)
			abort();
	}
	if (c.nnodes) {
		c.self = (int)(c.nnodes - 1);
		ret = conf_finish(&c, err, sizeof(err));
		if (ret != 0 && ret != -EINVAL)
			abort();
		if (ret == 0 && (c.timeout_ms <= c.heartbeat_ms || !c.control_path[0] ||
				 strcmp(c.shm_name, "/fotos") != 0))
			abort();
	}
	return 0;
}
