/*
 * Description: libFuzzer target for the shared-segment header check
 * (shm/validate.c). The input is the whole "file": it is copied into a
 * page-aligned buffer of exactly its length, as a mapping would be, so ASan
 * reports any read past maplen. An accepted layout must fit the file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fits(uint64_t off, uint64_t len, uint64_t total)
{
	return off >= FOTOS_PAGE && off % FOTOS_PAGE == 0 && len <= total && off <= total - len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shm_layout l;
	void *map = NULL;
	int ret;

	/* Exactly size bytes: the allocator's redzone starts at map + size. */
	if (posix_memalign(&map, FOTOS_PAGE, size ? size : 1) != 0)
		return 0;
	memcpy(map, data, size);
	ret = shm_validate(map, size, &l);
	if (ret == 0) {
		if (l.total_size != size ||
		    !fits(l.doorbell_off, sizeof(struct fotos_shm_doorbell), size) ||
		    !fits(l.state_off, 8 + 8 * FOTOS_SW_NWORDS, size) ||
		    !fits(l.view_off, 8 + sizeof(struct fotos_shm_view), size) ||
		    !fits(l.db_off, l.db_size, size) || l.db_size < sizeof(struct fotos_shm_db))
			abort();
	} else if (ret != -EPROTO && ret != -EAGAIN && ret != -EPROTONOSUPPORT) {
		abort();
	}
	free(map);
	return 0;
}
