/*
 * read.c - consistent snapshots from the segment: zero system calls, no
 * allocation, no locks. Readers retry while the agent writes (seqlock.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "handle.h"
#include "../shm/seqlock.h"

int fotos_check(const struct fotos *h)
{
	struct timespec ts;
	uint64_t now, beat;

	if (atomic_load_explicit(&h->hdr->seg_state, memory_order_acquire) != FOTOS_SEG_RUNNING)
		return -ESTALE;
	/* CLOCK_MONOTONIC is served by the vDSO: no system call. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	beat = atomic_load_explicit(&h->hdr->heartbeat_ns, memory_order_acquire);
	if (now > beat && now - beat > h->stale_after_ns)
		return -ESTALE;
	return 0;
}

int fotos_read_view(const struct fotos *h, struct fotos_view *out)
{
	long n = seqlock_read(h->view, out, FOTOS_VIEW_HEAD_WORDS, 3,
			      sizeof(struct fotos_shm_member) / 8, FOTOS_MAX_NODES);

	if (n < 0)
		return fotos_check(h) < 0 ? -ESTALE : (int)n;
	if (out->count > FOTOS_MAX_MEMBERS)
		out->count = FOTOS_MAX_MEMBERS;
	return 0;
}

int fotos_read_status(const struct fotos *h, struct fotos_status *out)
{
	long n = seqlock_read(h->state, out, FOTOS_SW_NWORDS, (size_t)-1, 0, 0);

	if (n < 0)
		return fotos_check(h) < 0 ? -ESTALE : (int)n;
	return 0;
}

int fotos_member_address(const struct fotos_member *m, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (m->family == AF_INET6) {
		if (!inet_ntop(AF_INET6, m->addr, ip, sizeof(ip)))
			return -EINVAL;
		n = snprintf(buf, len, "[%s]:%u", ip, m->port);
	} else if (m->family == AF_INET) {
		if (!inet_ntop(AF_INET, m->addr, ip, sizeof(ip)))
			return -EINVAL;
		n = snprintf(buf, len, "%s:%u", ip, m->port);
	} else {
		return -EAFNOSUPPORT;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

const char *fotos_state_name(uint64_t state)
{
	static const char *const names[] = {
		[FOTOS_STARTING] = "starting", [FOTOS_JOINING] = "joining",
		[FOTOS_STABLE] = "stable", [FOTOS_UNSTABLE] = "unstable",
		[FOTOS_REMOVED] = "removed", [FOTOS_STOPPED] = "stopped",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *fotos_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -ENOENT: return "no such segment or control socket: is fotosd running (and --shm/FOTOS_SHM or --control right)?";
	case -EAGAIN: return "the agent is busy or still creating the segment: retry";
	case -EPROTO: return "not a valid fotos segment (bad magic, sizes or regions)";
	case -EPROTONOSUPPORT: return "the segment has another layout version than this client: rebuild the client against the agent's libfotos";
	case -ESTALE: return "the agent that made the segment is gone or was replaced: reopen";
	case -ETIMEDOUT: return "timed out";
	case -EINTR: return "interrupted by a signal";
	case -ENOMEM: return "out of memory";
	case -EACCES: return "permission denied";
	default: return strerror(-err);
	}
}
