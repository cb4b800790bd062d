/*
 * validate.c - checks a mapped segment header before a client trusts it.
 * Every offset and size is checked against the file size before use.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "segment.h"

void shm_layout_db(struct shm_layout *l, uint64_t db_size)
{
	uint64_t view_bytes = sizeof(struct fotos_seq_region) + sizeof(struct fotos_shm_view);

	l->doorbell_off = FOTOS_PAGE;
	l->state_off = 2 * FOTOS_PAGE;
	l->view_off = 3 * FOTOS_PAGE;
	l->db_off = l->view_off + (view_bytes + FOTOS_PAGE - 1) / FOTOS_PAGE * FOTOS_PAGE;
	l->db_size = (db_size + FOTOS_PAGE - 1) / FOTOS_PAGE * FOTOS_PAGE;
	l->total_size = l->db_off + l->db_size;
}

void shm_layout_default(struct shm_layout *l)
{
	shm_layout_db(l, FOTOS_DB_RESERVED);
}

static int region_fits(const struct fotos_shm_sect *s, uint64_t min, uint64_t total)
{
	if (s->off % FOTOS_PAGE || s->off < FOTOS_PAGE)
		return 0;
	if (s->size < min || s->size > total || s->off > total - s->size)
		return 0;
	return 1;
}

int shm_validate(const void *map, size_t maplen, struct shm_layout *l)
{
	const struct fotos_shm_hdr *h = map;
	uint32_t abi, nsect, i, seen = 0;
	uint64_t mins[FOTOS_SECT_MAX] = { 0 };

	if (maplen < sizeof(*h) || maplen < FOTOS_PAGE)
		return -EPROTO;
	if (h->magic != FOTOS_SHM_MAGIC)
		return -EPROTO;
	/* Pairs with the agent's release store of abi, written last. */
	abi = atomic_load_explicit(&h->abi, memory_order_acquire);
	if (abi == 0)
		return -EAGAIN;
	if ((abi >> 16) != FOTOS_ABI_MAJOR)
		return -EPROTONOSUPPORT;
	if (h->hdr_size < sizeof(*h) || h->hdr_size > FOTOS_PAGE)
		return -EPROTO;
	if (h->total_size != maplen)
		return -EPROTO;
	nsect = h->nsect;
	if (nsect > FOTOS_SECT_MAX)
		return -EPROTO;

	mins[FOTOS_SECT_DOORBELL] = sizeof(struct fotos_shm_doorbell);
	mins[FOTOS_SECT_STATE] = sizeof(struct fotos_seq_region) + 8 * FOTOS_SW_NWORDS;
	mins[FOTOS_SECT_VIEW] = sizeof(struct fotos_seq_region) + sizeof(struct fotos_shm_view);
	mins[FOTOS_SECT_DB] = sizeof(struct fotos_shm_db);

	memset(l, 0, sizeof(*l));
	l->total_size = h->total_size;
	for (i = 0; i < nsect; i++) {
		const struct fotos_shm_sect *s = &h->sect[i];

		if (s->kind == 0 || s->kind >= FOTOS_SECT_MAX)
			continue;	/* a later minor version's region: skip */
		if (!region_fits(s, mins[s->kind], h->total_size))
			return -EPROTO;
		seen |= 1u << s->kind;
		switch (s->kind) {
		case FOTOS_SECT_DOORBELL: l->doorbell_off = s->off; break;
		case FOTOS_SECT_STATE: l->state_off = s->off; break;
		case FOTOS_SECT_VIEW: l->view_off = s->off; break;
		case FOTOS_SECT_DB: l->db_off = s->off; l->db_size = s->size; break;
		}
	}
	if ((seen & 0x1e) != 0x1e)
		return -EPROTO;
	/* Regions must not overlap: a client writes its waiter count into the
	 * doorbell, which must never land in a data region. */
	{
		uint64_t off[4] = { l->doorbell_off, l->state_off, l->view_off, l->db_off };
		uint64_t end[4];
		int a, b;

		for (i = 0; i < nsect; i++) {
			const struct fotos_shm_sect *s = &h->sect[i];
			int k = s->kind == FOTOS_SECT_DOORBELL ? 0 : s->kind == FOTOS_SECT_STATE ? 1 :
				s->kind == FOTOS_SECT_VIEW ? 2 : s->kind == FOTOS_SECT_DB ? 3 : -1;

			if (k >= 0)
				end[k] = s->off + s->size;
		}
		for (a = 0; a < 4; a++)
			for (b = a + 1; b < 4; b++)
				if (off[a] < end[b] && off[b] < end[a])
					return -EPROTO;
	}
	return 0;
}
