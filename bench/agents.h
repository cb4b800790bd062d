/*
 * agents.h - names, config files and clean-up for benchmarks that start
 * their own fotosd agents on loopback (bench_db, bench_txn).
 *
 * Include once, after defining NMAX (agents at most), BENCH_TAG (a short
 * name for temp dirs, segments and the cluster), BENCH_PROG (the program's
 * name for messages) and optionally BENCH_AGENT_ARGS (more fotosd
 * arguments, each followed by a comma). Names live in fixed buffers so that
 * cleanup() may run from a signal handler. Also the round-trip baselines
 * both measure against (loopback TCP; bench_db adds a Unix socket).
 */
#ifndef FOTOS_BENCH_AGENTS_H
#define FOTOS_BENCH_AGENTS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "fotos.h"

#ifndef BENCH_AGENT_ARGS
#define BENCH_AGENT_ARGS
#endif
#define AGENTS_MS	1000000ull

/* ---- names and clean-up (fixed buffers: usable from a signal handler) ---- */

static char g_dir[128];
static char g_conf[NMAX + 1][192];	/* [0]: 1 node; [1]: 3 nodes */
static char g_shm[NMAX][64];
static char g_shmpath[NMAX][80];
static char g_sock[NMAX][192];
static char g_log[NMAX][192];
static volatile sig_atomic_t g_pids[NMAX + 2];	/* agents, then helper children */
static const char *g_fotosd;
static int g_port;

static void cleanup(void)
{
	int i;

	for (i = 0; i < NMAX + 2; i++)
		if (g_pids[i] > 0) {
			kill((pid_t)g_pids[i], SIGKILL);
			g_pids[i] = 0;
		}
	if (!g_dir[0])
		return;
	for (i = 0; i < NMAX; i++) {
		unlink(g_shmpath[i]);
		unlink(g_sock[i]);
		unlink(g_log[i]);
	}
	unlink(g_conf[0]);
	unlink(g_conf[1]);
	rmdir(g_dir);
	g_dir[0] = 0;
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int names_init(void)
{
	int i, pid = (int)getpid();

	snprintf(g_dir, sizeof(g_dir), "/tmp/fotos-" BENCH_TAG "-XXXXXX");
	if (!mkdtemp(g_dir)) {
		g_dir[0] = 0;
		return -errno;
	}
	/* 110 blocks of 100 ports in 21000-31999: below 32768 */
	g_port = 21000 + (pid % 110) * 100;
	for (i = 0; i < NMAX; i++) {
		snprintf(g_shm[i], sizeof(g_shm[i]), "/fotos-" BENCH_TAG "-%d-n%d", pid, i);
		snprintf(g_shmpath[i], sizeof(g_shmpath[i]), "/dev/shm%.63s", g_shm[i]);
		snprintf(g_sock[i], sizeof(g_sock[i]), "%s/n%d.sock", g_dir, i);
		snprintf(g_log[i], sizeof(g_log[i]), "%s/n%d.log", g_dir, i);
	}
	for (i = 0; i < 2; i++) {
		FILE *f;
		int k, n = i ? 3 : 1;

		snprintf(g_conf[i], sizeof(g_conf[i]), "%s/c%d.ini", g_dir, n);
		f = fopen(g_conf[i], "w");
		if (!f)
			return -errno;
		fprintf(f, "[cluster]\nname = " BENCH_TAG "%d\nheartbeat_ms = 100\ntimeout_ms = 1000\n", pid);
		for (k = 0; k < n; k++)
			fprintf(f, "\n[node n%d]\naddress = 127.0.0.1:%d\n", k, g_port + 10 * i + k);
		if (fclose(f))
			return -errno;
	}
	return 0;
}

/* The last lines of node i's log on stderr. */
static void log_tail(int i)
{
	char buf[2048];
	int fd = open(g_log[i], O_RDONLY);
	off_t end;
	ssize_t n;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		fprintf(stderr, "---- n%d log (tail) ----\n%s\n", i, buf);
	}
}

/* ---- starting and stopping agents ------------------------------------------ */

static int node_start(int i, int conf)
{
	char name[16];
	char *argv[] = { "fotosd", "--config", g_conf[conf], "--node", name, "--shm", g_shm[i],
			 "--control", g_sock[i], "--log-level", "warn", BENCH_AGENT_ARGS NULL };
	pid_t pid;

	snprintf(name, sizeof(name), "n%d", i);
	unlink(g_shmpath[i]);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(g_log[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the bench */
		execv(g_fotosd, argv);
		_exit(127);
	}
	g_pids[i] = pid;
	return 0;
}

static void node_stop(int i)
{
	pid_t pid = (pid_t)g_pids[i];
	int k;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (k = 0; k < 3000; k++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			goto out;
		bench_sleep_ns(AGENTS_MS);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
out:
	g_pids[i] = 0;
	unlink(g_shmpath[i]);
}

/* Start n agents and open their segments once all are stable in one view. */
static int cluster_start(int n, struct fotos **h)
{
	uint64_t t0 = bench_now_ns();
	int i, ret, ok;

	for (i = 0; i < n; i++) {
		h[i] = NULL;
		ret = node_start(i, n == 1 ? 0 : 1);
		if (ret < 0)
			return ret;
	}
	do {
		bench_sleep_ns(5 * AGENTS_MS);
		ok = 1;
		for (i = 0; i < n; i++) {
			struct fotos_status st;
			struct fotos_view v;

			if (!h[i] && fotos_open(g_shm[i], &h[i]) < 0)
				h[i] = NULL;
			if (!h[i] || fotos_read_status(h[i], &st) < 0 || fotos_read_view(h[i], &v) < 0 ||
			    !st.stable || v.count != (uint32_t)n)
				ok = 0;
			if (waitpid((pid_t)g_pids[i], NULL, WNOHANG) == (pid_t)g_pids[i]) {
				fprintf(stderr, BENCH_PROG ": agent n%d exited at start\n", i);
				g_pids[i] = 0;
				log_tail(i);
				return -ECHILD;
			}
		}
	} while (!ok && bench_now_ns() - t0 < 15000 * AGENTS_MS);
	if (!ok) {
		fprintf(stderr, BENCH_PROG ": %d agents not stable in one view within 15 s\n", n);
		for (i = 0; i < n; i++)
			log_tail(i);
		return -ETIMEDOUT;
	}
	fprintf(stderr, BENCH_PROG ": %d agent%s stable after %.2f s\n", n, n > 1 ? "s" : "",
		(double)(bench_now_ns() - t0) / 1e9);
	return 0;
}

static void cluster_stop(int n, struct fotos **h)
{
	int i;

	for (i = 0; i < n; i++) {
		if (h[i])
			fotos_close(h[i]);
		h[i] = NULL;
		node_stop(i);
	}
}


/* ---- round-trip baselines (the echo child is g_pids[NMAX]) ---------------- */

/* Echo 64-byte messages on fd until EOF (child). */
static void echo(int fd)
{
	char buf[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (bench_read_full(fd, buf, sizeof(buf)) == 0)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
	_exit(0);
}

/* One 64-byte round trip per sample over fd, with child as the echo. */
static void rtt_samples(int fd, pid_t child, int rounds, struct bench_samples *s)
{
	char buf[64];
	int i;

	memset(buf, 'x', sizeof(buf));
	for (i = -rounds / 10; i < rounds; i++) {	/* the first tenth warms up */
		uint64_t t = bench_now_ns();

		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    bench_read_full(fd, buf, sizeof(buf)) < 0)
			break;
		if (i >= 0)
			samples_add(s, (double)(bench_now_ns() - t));
	}
	close(fd);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	g_pids[NMAX] = 0;
}

static void baseline_tcp(int rounds, struct bench_samples *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int one = 1, ls, fd;
	pid_t pid;

	samples_init(s, "loopback TCP RTT 64 B");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
		fprintf(stderr, BENCH_PROG ": TCP baseline: %s\n", strerror(errno));
		if (ls >= 0)
			close(ls);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(ls);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(1);
		echo(fd);
	}
	if (pid < 0) {
		close(ls);
		return;
	}
	g_pids[NMAX] = pid;
	fd = accept(ls, NULL, NULL);
	close(ls);
	if (fd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		g_pids[NMAX] = 0;
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rtt_samples(fd, pid, rounds, s);
}

#endif
