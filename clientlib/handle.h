/*
 * handle.h - the private layout of struct fotos (clientlib internal).
 */
#ifndef FOTOS_HANDLE_H
#define FOTOS_HANDLE_H

#include <pthread.h>

#include "fotos.h"
#include "../shm/fotos_abi.h"
#include "../shm/segment.h"

struct fotos {
	struct __fotos_fast fast;	/* must stay first: the inline reads use it */
	const unsigned char *base;
	size_t size;
	const struct fotos_shm_hdr *hdr;
	struct fotos_shm_doorbell *bell;	/* writable mapping when bell_rw */
	void *bell_map;
	int bell_rw;
	/* where a wait registers: the doorbell's count (bell_rw), else the
	 * agent's sealed waiter page (waiters_map), else NULL: slices */
	_Atomic uint32_t *waiters;
	void *waiters_map;
	const struct fotos_seq_region *state;
	const struct fotos_seq_region *view;
	struct shm_layout l;
	/* the database region, if the agent publishes one */
	const struct fotos_shm_db *db;
	const unsigned char *db_slots;
	uint64_t db_mask, db_slot_size, db_nclock, db_max_key, db_max_val;
	/* a kept control connection for writes (not the read path) */
	pthread_mutex_t ctl_lock;
	int ctl_fd;
	/* constants copied out at open (Aeron: never re-read what may move) */
	uint64_t stale_after_ns;
	struct fotos_info info;
};

/* db.c: one request on the kept control connection (0 "ok", -errno "err"). */
int __fotos_ctl_call(struct fotos *h, const char *req, size_t rlen, char *resp, size_t len,
		     int timeout_ms);

#endif
