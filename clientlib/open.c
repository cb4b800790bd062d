/*
 * open.c - map the agent's segment and check it before trusting it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "handle.h"

_Static_assert(sizeof(struct fotos_member) == sizeof(struct fotos_shm_member), "member ABI");
_Static_assert(sizeof(struct fotos_view) == sizeof(struct fotos_shm_view), "view ABI");
_Static_assert(offsetof(struct fotos_view, members) == offsetof(struct fotos_shm_view, members),
	       "view ABI");
_Static_assert(sizeof(struct fotos_status) == 8 * FOTOS_SW_NWORDS, "status ABI");
_Static_assert(__FOTOS_SW_STABLE == FOTOS_SW_STABLE && __FOTOS_SW_EPOCH == FOTOS_SW_EPOCH &&
	       __FOTOS_SW_STATE == FOTOS_SW_STATE && __FOTOS_SW_PRIMARY == FOTOS_SW_PRIMARY,
	       "inline fast path word indices");
_Static_assert((int)FOTOS_STABLE == (int)FOTOS_ST_STABLE && (int)FOTOS_STOPPED == (int)FOTOS_ST_STOPPED,
	       "state numbering");

static int map_doorbell(struct fotos *h, int fd)
{
	void *p = mmap(NULL, FOTOS_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)h->l.doorbell_off);

	if (p == MAP_FAILED)
		return -errno;
	h->bell_map = p;
	h->bell = p;
	h->bell_rw = 1;
	return 0;
}

/*
 * A client that may only read the segment asks the agent for its sealed
 * waiter page (agent/ctl.c waiters-fd), so that its waits are woken rather
 * than polled. Best effort: without it, waits poll in 1 ms slices. The
 * page must be sealed against shrinking, so that no one can make us fault.
 */
static void fetch_waiters(struct fotos *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct pollfd pfd;
	struct cmsghdr *cm;
	struct stat st;
	int fd, got = -1, seals;
	ssize_t n;
	void *p;

	if (!h->info.control_path[0] || strlen(h->info.control_path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, h->info.control_path, strlen(h->info.control_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, "waiters-fd\n", 11, MSG_NOSIGNAL) != 11 || poll(&pfd, 1, 1000) != 1) {
		close(fd);
		return;
	}
	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	close(fd);
	for (cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
	if (got < 0)
		return;
	seals = fcntl(got, F_GET_SEALS);
	if (n < 2 || memcmp(buf, "ok", 2) || seals < 0 || !(seals & F_SEAL_SHRINK) ||
	    fstat(got, &st) < 0 || st.st_size < FOTOS_PAGE) {
		close(got);
		return;
	}
	p = mmap(NULL, FOTOS_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, got, 0);
	close(got);
	if (p == MAP_FAILED)
		return;
	h->waiters_map = p;
	h->waiters = p;
}

int fotos_open(const char *name, struct fotos **out)
{
	struct fotos *h = NULL;
	struct stat st;
	void *map = MAP_FAILED;
	int fd, ret, rw = 1;

	*out = NULL;
	if (!name)
		name = getenv("FOTOS_SHM");
	if (!name || !*name)
		name = FOTOS_DEFAULT_SHM;

	/* Read-write only so the doorbell page can be mapped writable for
	 * the waiter count; the data pages are always mapped read-only. */
	fd = shm_open(name, O_RDWR, 0);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		rw = 0;
		fd = shm_open(name, O_RDONLY, 0);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto err;
	}
	if ((size_t)st.st_size < FOTOS_PAGE) {
		ret = -EPROTO;
		goto err;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		ret = -ENOMEM;
		goto err;
	}
	ret = shm_validate(map, (size_t)st.st_size, &h->l);
	if (ret < 0)
		goto err;
	h->base = map;
	h->size = (size_t)st.st_size;
	h->hdr = map;
	h->state = (const void *)(h->base + h->l.state_off);
	h->view = (const void *)(h->base + h->l.view_off);
	h->fast.state_words = (const uint64_t *)(const void *)h->state->w;
	if (rw) {
		ret = map_doorbell(h, fd);
		if (ret < 0)
			goto err;
	} else {
		/* Read-only access: waits cannot register, so they poll the
		 * futex in short slices (documented in fotos_wait). */
		h->bell = (struct fotos_shm_doorbell *)(h->base + h->l.doorbell_off);
	}
	close(fd);
	fd = -1;

	/* The database region: trust its geometry only if it fits. */
	{
		const struct fotos_shm_db *db = (const void *)(h->base + h->l.db_off);
		struct fotos_shm_db g = { 0 };
		uint64_t need = fotos_db_geometry(db->max_keys, db->max_key_len, db->max_val_len,
						  db->nclock, &g);

		if (need && need <= h->l.db_size && g.nslots == db->nslots &&
		    g.slot_size == db->slot_size && g.slots_off == db->slots_off) {
			h->db = db;
			h->db_slots = (const unsigned char *)db + db->slots_off;
			h->db_mask = db->nslots - 1;
			h->db_slot_size = db->slot_size;
			h->db_nclock = db->nclock;
			h->db_max_key = db->max_key_len;
			h->db_max_val = db->max_val_len;
		}
	}
	pthread_mutex_init(&h->ctl_lock, NULL);
	h->ctl_fd = -1;

	h->stale_after_ns = h->hdr->stale_after_ns ? h->hdr->stale_after_ns : 3000000000ull;
	h->info.agent_pid = h->hdr->agent_pid;
	h->info.agent_start_ns = h->hdr->agent_start_ns;
	memcpy(h->info.node, h->hdr->node_name, sizeof(h->info.node));
	h->info.node[sizeof(h->info.node) - 1] = 0;
	memcpy(h->info.cluster, h->hdr->cluster_name, sizeof(h->info.cluster));
	h->info.cluster[sizeof(h->info.cluster) - 1] = 0;
	memcpy(h->info.control_path, h->hdr->control_path, sizeof(h->info.control_path));
	h->info.control_path[sizeof(h->info.control_path) - 1] = 0;

	ret = fotos_check(h);
	if (ret < 0)
		goto err;
	if (h->bell_rw)
		h->waiters = &h->bell->waiters;
	else
		fetch_waiters(h);
	h->info.waits_woken = h->waiters != NULL;
	*out = h;
	return 0;

err:
	if (h && h->bell_map)
		munmap(h->bell_map, FOTOS_PAGE);
	free(h);
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

void fotos_close(struct fotos *h)
{
	if (!h)
		return;
	if (h->ctl_fd >= 0)
		close(h->ctl_fd);
	pthread_mutex_destroy(&h->ctl_lock);
	if (h->bell_map)
		munmap(h->bell_map, FOTOS_PAGE);
	if (h->waiters_map)
		munmap(h->waiters_map, FOTOS_PAGE);
	munmap((void *)h->base, h->size);
	free(h);
}

void fotos_get_info(const struct fotos *h, struct fotos_info *out)
{
	*out = h->info;
}
