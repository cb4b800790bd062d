/*
 * control.c - one request/response over the agent's control socket.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fotos.h"

static int64_t ms_left(const struct timespec *t0, int timeout_ms)
{
	struct timespec t;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int64_t used = (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
	return used >= timeout_ms ? 0 : timeout_ms - used;
}

int fotos_ctl_request(const char *path, const char *req, char *resp, size_t len,
		      int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0;
	size_t rlen = strlen(req), got = 0, off = 0;
	char buf[4096 + 2];
	int fd, ret;

	if (len)
		resp[0] = 0;
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	if (rlen > 4096 || memchr(req, '\n', rlen))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	memcpy(buf, req, rlen);
	buf[rlen] = '\n';
	while (off < rlen + 1) {
		ssize_t n = send(fd, buf + off, rlen + 1 - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = ms_left(&t0, timeout_ms);
		char *nl;
		ssize_t n;

		if (left == 0) {
			ret = -ETIMEDOUT;
			goto out;
		}
		ret = poll(&p, 1, (int)left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			goto out;
		}
		if (ret == 0)
			continue;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n < 0 && errno == EINTR)
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
		buf[got] = 0;
		nl = memchr(buf, '\n', got);
		if (!nl) {
			if (got >= sizeof(buf) - 1) {
				ret = -EBADMSG;
				goto out;
			}
			continue;
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
		goto out;
	}
out:
	close(fd);
	return ret;
}
