/*
 * control.c - one request/response over the agent's control socket, bounded
 * in time end to end (connect, send and receive), so a hung agent cannot
 * hang its client.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fotos.h"

#define CTL_MAX	(128 * 1024)

static int64_t ms_left(const struct timespec *t0, int timeout_ms)
{
	struct timespec t;
	int64_t used;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	used = (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
	return used >= timeout_ms ? 0 : timeout_ms - used;
}

/* Wait for events on fd within the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, const struct timespec *t0, int timeout_ms)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = ms_left(t0, timeout_ms);
		int ret;

		if (left == 0)
			return -ETIMEDOUT;
		ret = poll(&p, 1, (int)left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret > 0)
			return 0;
	}
}

int fotos_ctl_request(const char *path, const char *req, char *resp, size_t len,
		      int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0;
	size_t rlen = strlen(req), got = 0, off = 0;
	char *buf = NULL, *nl = NULL;
	int fd, ret;

	if (len)
		resp[0] = 0;
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	if (rlen > CTL_MAX || memchr(req, '\n', rlen))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	buf = malloc(CTL_MAX + 2);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			ret = -errno;
			goto out;
		}
		/* a full backlog: wait until it accepts or the time is up */
		ret = wait_fd(fd, POLLOUT, &t0, timeout_ms);
		if (ret < 0)
			goto out;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EISCONN) {
			ret = -errno;
			goto out;
		}
	}
	memcpy(buf, req, rlen);
	buf[rlen] = '\n';
	while (off < rlen + 1) {
		ssize_t n = send(fd, buf + off, rlen + 1 - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ret = wait_fd(fd, POLLOUT, &t0, timeout_ms);
			if (ret < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	while (!nl) {
		ssize_t n;

		ret = wait_fd(fd, POLLIN, &t0, timeout_ms);
		if (ret < 0)
			goto out;
		n = recv(fd, buf + got, CTL_MAX + 1 - got, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0) {
			ret = -EBADMSG;	/* closed before a full line */
			goto out;
		}
		got += (size_t)n;
		nl = memchr(buf, '\n', got);
		if (!nl && got >= CTL_MAX + 1) {
			ret = -EBADMSG;
			goto out;
		}
	}
	*nl = 0;
	if (!strncmp(buf, "ok", 2) && (buf[2] == ' ' || !buf[2])) {
		ret = 0;
	} else if (!strncmp(buf, "err", 3) && (buf[3] == ' ' || !buf[3])) {
		ret = -EREMOTEIO;
	} else {
		ret = -EBADMSG;
		goto out;
	}
	if (len) {
		const char *t = buf[ret ? 3 : 2] ? buf + (ret ? 4 : 3) : "";
		size_t tl = strlen(t);

		if (tl >= len)
			tl = len - 1;
		memcpy(resp, t, tl);
		resp[tl] = 0;
	}
out:
	free(buf);
	close(fd);
	return ret;
}
