/*
 * segment.c - the agent's side of the segment: create it atomically, publish
 * into it with the seqlock, ring the doorbell, and close it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "futex.h"
#include "seqlock.h"
#include "segment.h"

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * An existing segment under our name belongs to a previous agent (or to a
 * live one: the caller checked the control socket). Mark it CLOSED and wake
 * its sleepers so its clients reopen instead of waiting on a dead file.
 */
static void retire_previous(int fd)
{
	struct fotos_shm_hdr *h;
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= 2 * FOTOS_PAGE) {
		h = mmap(NULL, 2 * FOTOS_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (h != MAP_FAILED) {
			if (h->magic == FOTOS_SHM_MAGIC) {
				struct fotos_shm_doorbell *b =
					(void *)((unsigned char *)h + FOTOS_PAGE);

				atomic_store_explicit(&h->seg_state, FOTOS_SEG_CLOSED,
						      memory_order_seq_cst);
				atomic_fetch_add_explicit(&b->notify, 1, memory_order_seq_cst);
				fotos_futex_wake(&b->notify, INT_MAX);
			}
			munmap(h, 2 * FOTOS_PAGE);
		}
	}
	close(fd);
}

/*
 * The sealed waiter page. Sealing against shrinking is what makes a page
 * that clients write safe for the agent: nobody can truncate it under our
 * mapping (the SIGBUS a truncated shared file would raise). Without memfd
 * sealing (old kernels) read-only clients wait in short slices instead.
 */
static void waiters_close(struct shm_segment *seg)
{
	if (seg->waiters_ext)
		munmap((void *)seg->waiters_ext, FOTOS_PAGE);
	if (seg->waiters_fd >= 0)
		close(seg->waiters_fd);
	seg->waiters_ext = NULL;
	seg->waiters_fd = -1;
}

static void waiters_page(struct shm_segment *seg)
{
	void *p;
	int fd;

	seg->waiters_fd = -1;
	seg->waiters_ext = NULL;
	fd = memfd_create("fotos-waiters", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return;
	if (ftruncate(fd, FOTOS_PAGE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		close(fd);
		return;
	}
	p = mmap(NULL, FOTOS_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return;
	}
	seg->waiters_fd = fd;
	seg->waiters_ext = p;
}

int shm_segment_create(const struct shm_params *p, struct shm_segment *seg)
{
	char tmp[FOTOS_PATH_MAX + 32], from[FOTOS_PATH_MAX + 48], to[FOTOS_PATH_MAX + 16];
	struct fotos_shm_hdr *h;
	struct stat st;
	int fd, ret, prev;

	memset(seg, 0, sizeof(*seg));
	seg->waiters_fd = -1;
	if (!p->name || p->name[0] != '/' || strchr(p->name + 1, '/') ||
	    strlen(p->name) < 2 || strlen(p->name) >= FOTOS_PATH_MAX - 1)
		return -EINVAL;
	snprintf(seg->name, sizeof(seg->name), "%s", p->name);
	if (p->db_max_keys) {
		struct fotos_shm_db g;
		uint64_t sz = fotos_db_geometry(p->db_max_keys, p->db_max_key, p->db_max_val,
						p->db_nclock, &g);

		if (!sz)
			return -EINVAL;
		shm_layout_db(&seg->l, sz);
	} else {
		shm_layout_default(&seg->l);
	}

	snprintf(tmp, sizeof(tmp), "%s.new.%ld", p->name, (long)getpid());
	/* The name is ours (our pid): a leftover is from a dead agent that
	 * had the same pid (pid 1 in containers). */
	shm_unlink(tmp);
	fd = shm_open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	/* fchmod, not umask: umask is process-wide */
	if (fchmod(fd, p->mode ? p->mode : 0640) < 0 ||
	    (p->set_gid && fchown(fd, (uid_t)-1, (gid_t)p->gid) < 0) ||
	    ftruncate(fd, (off_t)seg->l.total_size) < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	seg->ino = st.st_ino;
	seg->base = mmap(NULL, seg->l.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (seg->base == MAP_FAILED) {
		ret = -errno;
		seg->base = NULL;
		goto err_unlink;
	}
	close(fd);
	fd = -1;

	h = seg->hdr = (struct fotos_shm_hdr *)seg->base;
	seg->bell = (void *)(seg->base + seg->l.doorbell_off);
	seg->state = (void *)(seg->base + seg->l.state_off);
	seg->view = (void *)(seg->base + seg->l.view_off);
	seg->db = (void *)(seg->base + seg->l.db_off);
	if (p->db_max_keys) {
		struct fotos_shm_db g = { 0 };

		fotos_db_geometry(p->db_max_keys, p->db_max_key, p->db_max_val, p->db_nclock, &g);
		seg->db->max_keys = g.max_keys;
		seg->db->max_key_len = g.max_key_len;
		seg->db->max_val_len = g.max_val_len;
		seg->db->nslots = g.nslots;
		seg->db->slot_size = g.slot_size;
		seg->db->nclock = g.nclock;
		seg->db->slots_off = g.slots_off;
	}

	h->magic = FOTOS_SHM_MAGIC;
	h->hdr_size = sizeof(*h);
	h->total_size = seg->l.total_size;
	h->agent_pid = (uint64_t)getpid();
	h->agent_start_ns = now_ns(CLOCK_REALTIME);
	h->stale_after_ns = p->stale_after_ns;
	snprintf(h->control_path, sizeof(h->control_path), "%s", p->control_path ? p->control_path : "");
	snprintf(h->node_name, sizeof(h->node_name), "%s", p->node_name ? p->node_name : "");
	snprintf(h->cluster_name, sizeof(h->cluster_name), "%s", p->cluster_name ? p->cluster_name : "");
	h->nsect = 4;
	h->sect[0] = (struct fotos_shm_sect){ FOTOS_SECT_DOORBELL, 0, seg->l.doorbell_off, FOTOS_PAGE };
	h->sect[1] = (struct fotos_shm_sect){ FOTOS_SECT_STATE, 8, seg->l.state_off, FOTOS_PAGE };
	h->sect[2] = (struct fotos_shm_sect){ FOTOS_SECT_VIEW, sizeof(struct fotos_shm_member),
					      seg->l.view_off, seg->l.db_off - seg->l.view_off };
	h->sect[3] = (struct fotos_shm_sect){ FOTOS_SECT_DB, 0, seg->l.db_off, seg->l.db_size };
	atomic_store_explicit(&h->heartbeat_ns, now_ns(CLOCK_MONOTONIC), memory_order_relaxed);
	atomic_store_explicit(&h->seg_state, FOTOS_SEG_RUNNING, memory_order_relaxed);
	waiters_page(seg);
	/* Stored last; pairs with shm_validate's acquire load. */
	atomic_store_explicit(&h->abi, FOTOS_ABI_VERSION, memory_order_release);

	/* Hold the previous segment open across the rename and retire it only
	 * after: a client that reopens on -ESTALE then finds the new one. */
	prev = shm_open(p->name, O_RDWR, 0);
	snprintf(from, sizeof(from), "/dev/shm%s", tmp);
	snprintf(to, sizeof(to), "/dev/shm%s", p->name);
	if (rename(from, to) < 0) {
		ret = -errno;
		if (prev >= 0)
			close(prev);
		munmap(seg->base, seg->l.total_size);
		seg->base = NULL;
		waiters_close(seg);
		goto err_unlink;
	}
	retire_previous(prev);
	return 0;

err_unlink:
	if (fd >= 0)
		close(fd);
	shm_unlink(tmp);
	return ret;
}

void shm_segment_close(struct shm_segment *seg)
{
	struct stat st;
	char path[FOTOS_PATH_MAX + 16];

	if (!seg->base)
		return;
	atomic_store_explicit(&seg->hdr->seg_state, FOTOS_SEG_CLOSED, memory_order_seq_cst);
	atomic_fetch_add_explicit(&seg->bell->notify, 1, memory_order_seq_cst);
	fotos_futex_wake(&seg->bell->notify, INT_MAX);
	snprintf(path, sizeof(path), "/dev/shm%s", seg->name);
	if (stat(path, &st) == 0 && st.st_ino == seg->ino)
		unlink(path);
	munmap(seg->base, seg->l.total_size);
	seg->base = NULL;
	waiters_close(seg);
}

void shm_heartbeat(struct shm_segment *seg)
{
	atomic_store_explicit(&seg->hdr->heartbeat_ns, now_ns(CLOCK_MONOTONIC),
			      memory_order_release);
}

void shm_ring(struct shm_segment *seg, unsigned int kinds)
{
	struct fotos_shm_doorbell *b = seg->bell;

	/* release: a waiter that acquires a changed counter sees what was
	 * published before it (the seqlock writes above). */
	if (kinds & SHM_BELL_VIEW)
		atomic_fetch_add_explicit(&b->view_changes, 1, memory_order_release);
	if (kinds & SHM_BELL_STABLE)
		atomic_fetch_add_explicit(&b->stable_changes, 1, memory_order_release);
	if (kinds & SHM_BELL_DB)
		atomic_fetch_add_explicit(&b->db_changes, 1, memory_order_release);
	if (kinds & SHM_BELL_STATE)
		atomic_fetch_add_explicit(&b->state_changes, 1, memory_order_release);
	/* (A) bump, then (B) check waiters; the client does (B') register,
	 * then (A') re-check notify. seq_cst on both sides: one of us sees
	 * the other, so a sleeper is never missed (kernel/futex/waitwake.c). */
	atomic_fetch_add_explicit(&b->notify, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&b->waiters, memory_order_seq_cst) ||
	    (seg->waiters_ext && atomic_load_explicit(seg->waiters_ext, memory_order_seq_cst))) {
		fotos_futex_wake(&b->notify, INT_MAX);
		seg->wakes++;
	} else {
		seg->skipped_wakes++;
	}
}

void shm_publish_state(struct shm_segment *seg, const uint64_t w[FOTOS_SW_NWORDS])
{
	seqlock_write(seg->state, 0, w, FOTOS_SW_NWORDS);
}

void shm_publish_view(struct shm_segment *seg, const struct fotos_shm_view *v)
{
	size_t n = v->count > FOTOS_MAX_NODES ? FOTOS_MAX_NODES : v->count;

	seqlock_write(seg->view, 0, v,
		      FOTOS_VIEW_HEAD_WORDS + n * (sizeof(struct fotos_shm_member) / 8));
}
