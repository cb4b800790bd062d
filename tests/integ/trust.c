/* Description: who may take part, tested with real agents on loopback.
 *
 *   wrong-key   three agents share a cluster key; a fourth configured node
 *               with another key, and then one with no key at all, stays
 *               out: the three keep their stable view, no link of theirs
 *               flaps, and each refusal is logged with the address. Started
 *               again with the right key, the fourth joins.
 *   encrypted   three agents with encrypt = yes form a view, and a write
 *               acknowledged by all is readable on every node.
 *   key-files   fotosd refuses to start, exit 1 and a message naming the
 *               file and the problem, on a missing key file, one others may
 *               read, one that is not a key, and encrypt without a key.
 *   local       the control socket and the segment, as user nobody: with no
 *               group configured, the agent refuses it and the segment does
 *               not open; with group = nogroup it reads (ping, status, the
 *               segment), its waits register on the agent's sealed waiter
 *               page (which it cannot shrink: EPERM), but every write is
 *               refused with EPERM and nothing is written; listed in
 *               write_users it may write.
 *
 * usage: trust [wrong-key|encrypted|key-files|local]...
 */
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cluster.h"

#define HB	20
#define TO	200

static const char *fotosctl(void)
{
	return getenv("FOTOSCTL") ? getenv("FOTOSCTL") : "build/release/fotosctl";
}

static void keygen(const char *path)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "%s keygen %s >/dev/null", fotosctl(), path);
	CHECK_EQ(system(cmd), 0);
}

/* Lines of node i's log that contain text. */
static int log_count(struct cluster *cl, int i, const char *text)
{
	char line[1024];
	FILE *f = fopen(cl->node[i].log, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

/* Node i's `fotosctl peers` JSON into out. */
static void peers_json(struct cluster *cl, int i, char *out, size_t len)
{
	char cmd[400];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s --shm %s --json peers", fotosctl(), cl->node[i].shm);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	n = fread(out, 1, len - 1, f);
	pclose(f);
	out[n] = 0;
}

/* Link ups node i counts for peer j (from `peers --json`). */
static long link_ups(struct cluster *cl, int i, int j)
{
	char out[8192], key[64], *p;

	peers_json(cl, i, out, sizeof(out));
	snprintf(key, sizeof(key), "\"name\":\"%s\"", cl->node[j].name);
	p = strstr(out, key);
	if (!p || !(p = strstr(p, "\"ups\":")))
		FAIL("no link counters for %s in: %s", cl->node[j].name, out);
	return strtol(p + 6, NULL, 10);
}

/* Node i's links that are up all say how they are protected: want. */
static void expect_links(struct cluster *cl, int i, int nup, const char *want)
{
	char out[8192], needle[64], *p = out;
	int n = 0;

	peers_json(cl, i, out, sizeof(out));
	snprintf(needle, sizeof(needle), "\"link\":\"%s\"", want);
	while ((p = strstr(p, needle))) {
		n++;
		p++;
	}
	if (n != nup)
		FAIL("n%d: %d links say %s, wanted %d: %s", i, n, want, nup, out);
}

static void wrong_key(void)
{
	static struct cluster cl;
	char good[200], bad[200];
	long ups01, ups02, ups12;
	double t;
	int i;

	cl_init(&cl, 4, HB, TO);
	snprintf(good, sizeof(good), "%s/good.key", cl.dir);
	snprintf(bad, sizeof(bad), "%s/other.key", cl.dir);
	keygen(good);
	keygen(bad);
	cl.extra[0] = "--key-file";
	cl.extra[1] = good;
	for (i = 0; i < 3; i++)
		cl_start(&cl, i);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x7, 0x7, 5000), "three nodes with the key");
	expect_links(&cl, 0, 2, "authenticated");
	ups01 = link_ups(&cl, 0, 1);
	ups02 = link_ups(&cl, 0, 2);
	ups12 = link_ups(&cl, 1, 2);

	/* another key: it dials n0..n2 (and they it) for a second, no further */
	cl.extra[1] = bad;
	cl_start(&cl, 3);
	th_sleep_ms(1500);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x7, 0x7, 100), "the three keep their view");
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x8, 0x8, 100), "the wrong-key node alone");
	for (i = 0; i < 3; i++)
		if (log_count(&cl, i, "refusing the link from 127.0.0.1:") +
		    log_count(&cl, 3, "refusing the link from 127.0.0.1:") == 0)
			FAIL("no refusal logged between n%d and the wrong-key node", i);
	CHECK(log_count(&cl, 0, "does not hold this cluster's key") +
	      log_count(&cl, 1, "does not hold this cluster's key") +
	      log_count(&cl, 2, "does not hold this cluster's key") +
	      log_count(&cl, 3, "does not hold this cluster's key") > 0);
	CHECK_EQ(link_ups(&cl, 0, 1), ups01);
	CHECK_EQ(link_ups(&cl, 0, 2), ups02);
	CHECK_EQ(link_ups(&cl, 1, 2), ups12);
	CHECK_EQ(link_ups(&cl, 0, 3), 0);
	cl_signal(&cl, 3, SIGTERM);

	/* no key at all: refused by the keyed nodes, for the same reason */
	cl.extra[0] = NULL;
	cl_start(&cl, 3);
	th_sleep_ms(1000);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x7, 0x7, 100), "the three keep their view (no key)");
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x8, 0x8, 100), "the keyless node alone");
	CHECK(log_count(&cl, 3, "this node has no key_file") +
	      log_count(&cl, 0, "offers no authentication") +
	      log_count(&cl, 1, "offers no authentication") +
	      log_count(&cl, 2, "offers no authentication") > 0);
	CHECK_EQ(link_ups(&cl, 0, 1), ups01);
	cl_signal(&cl, 3, SIGTERM);

	/* the right key: in */
	cl.extra[0] = "--key-file";
	cl.extra[1] = good;
	cl_start(&cl, 3);
	t = cl_wait_view(&cl, 0xf, 0xf, 5000);
	CL_EXPECT(&cl, t, "the fourth node with the right key joins");
	printf("  wrong key and no key kept out; the right key joined in %.0f ms\n", t * 1000);
	cl_finish(&cl);
}

static void encrypted(void)
{
	static struct cluster cl;
	char key[200];
	struct fotos *h[3];
	struct fotos_put_result res;
	int i;

	cl_init(&cl, 3, HB, TO);
	snprintf(key, sizeof(key), "%s/cluster.key", cl.dir);
	keygen(key);
	cl.extra[0] = "--key-file";
	cl.extra[1] = key;
	cl.extra[2] = "--encrypt";
	cl.extra[3] = "yes";
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 0x7, 0x7, 5000), "three encrypted nodes");
	expect_links(&cl, 1, 2, "encrypted");
	for (i = 0; i < 3; i++)
		CHECK_OK(fotos_open(cl.node[i].shm, &h[i]));
	memset(&res, 0, sizeof(res));
	CHECK_OK(fotos_put(h[1], "secret", 6, "over the wire, sealed", 21, FOTOS_PUT_ACK_ALL, NULL,
			   &res, 5000));
	CHECK(res.acked_all);
	for (i = 0; i < 3; i++) {
		char val[64];

		CHECK_EQ(fotos_get(h[i], "secret", 6, val, sizeof(val), NULL), 21);
		CHECK(!memcmp(val, "over the wire, sealed", 21));
		fotos_close(h[i]);
	}
	CHECK(log_count(&cl, 0, "and encrypted") > 0);
	cl_finish(&cl);
}

/* Run fotosd with args; its exit status, stderr in err. */
static int run_fotosd(struct cluster *cl, const char *const *args, char *err, size_t len)
{
	char path[300];
	const char *argv[24] = { "fotosd", "--config", cl->conf, "--node", "n0", "--shm",
				 cl->node[0].shm, "--control", cl->node[0].sock };
	int k = 9, status, fd;
	pid_t pid;
	ssize_t n;

	for (; *args; args++)
		argv[k++] = *args;
	argv[k] = NULL;
	snprintf(path, sizeof(path), "%s/stderr", cl->dir);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		alarm(10);
		execv(cl->fotosd, (char *const *)argv);
		_exit(127);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, err, len - 1);
	close(fd);
	err[n > 0 ? n : 0] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_start_refused(struct cluster *cl, const char *const *args, const char *want)
{
	char err[2048];
	int st = run_fotosd(cl, args, err, sizeof(err));

	if (st != 1 || !strstr(err, want))
		FAIL("fotosd %s %s: exit %d, wanted 1 and '%s' in: %s", args[0],
		     args[1] ? args[1] : "", st, want, err);
	printf("  refused: %s", err);
}

static void key_files(void)
{
	static struct cluster cl;
	char missing[200], open_mode[200], garbage[200], good[200], cmd[600];

	cl_init(&cl, 1, HB, TO);
	snprintf(missing, sizeof(missing), "%s/missing.key", cl.dir);
	snprintf(open_mode, sizeof(open_mode), "%s/open.key", cl.dir);
	snprintf(garbage, sizeof(garbage), "%s/garbage.key", cl.dir);
	snprintf(good, sizeof(good), "%s/good.key", cl.dir);
	keygen(open_mode);
	CHECK_EQ(chmod(open_mode, 0644), 0);
	snprintf(cmd, sizeof(cmd), "echo 'not a key' > %s && chmod 600 %s", garbage, garbage);
	CHECK_EQ(system(cmd), 0);
	keygen(good);

	{
		const char *a[] = { "--key-file", missing, NULL };
		expect_start_refused(&cl, a, "cannot open: No such file");
	}
	{
		const char *a[] = { "--key-file", open_mode, NULL };
		expect_start_refused(&cl, a, "chmod 600");
	}
	{
		const char *a[] = { "--key-file", garbage, NULL };
		expect_start_refused(&cl, a, "not a key");
	}
	{
		const char *a[] = { "--encrypt", "yes", NULL };
		expect_start_refused(&cl, a, "encrypt = yes needs a key_file");
	}
	{
		const char *a[] = { "--encrypt", "maybe", NULL };
		char err[1024];

		CHECK_EQ(run_fotosd(&cl, a, err, sizeof(err)), 2);
		CHECK(strstr(err, "want yes or no") != NULL);
	}
	{
		const char *a[] = { "--key-file", good, "--group", "no-such-group-here", NULL };
		expect_start_refused(&cl, a, "no such group 'no-such-group-here'");
	}
	{
		const char *a[] = { "--key-file", good, "--write-users", "root,no-such-user-here", NULL };
		expect_start_refused(&cl, a, "no such user 'no-such-user-here'");
	}
	/* keygen never overwrites a key */
	snprintf(cmd, sizeof(cmd), "%s keygen %s 2>/dev/null", fotosctl(), good);
	CHECK(system(cmd) != 0);
	/* nothing was started, so nothing was published */
	CHECK(shm_open(cl.node[0].shm, O_RDONLY, 0) < 0);
	cl_finish(&cl);
}

/* What a client running as user nobody saw. */
struct nobody {
	int seg;		/* fotos_open's result */
	int woken;		/* its waits register (fotos_info.waits_woken) */
	int trunc;		/* errno of ftruncate on the agent's waiter page, 0 none */
	char reply[4096];	/* the control socket's answer to the line */
};

/* Ask for the agent's waiter page and try to shrink it: the errno. */
static int truncate_waiter_page(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd, got = -1, err;

	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, "waiters-fd\n", 11) != 11 || recvmsg(fd, &msg, 0) <= 0)
		return -1;
	close(fd);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
	if (got < 0)
		return -2;
	err = ftruncate(got, 0) < 0 ? errno : 0;
	close(got);
	return err;
}

/* As user nobody: open the segment, send line to the control socket. */
static void as_nobody(struct cluster *cl, const char *line, struct nobody *out)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n = 0, r;

	CHECK(strlen(cl->node[0].sock) < sizeof(((struct sockaddr_un *)0)->sun_path));
	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct fotos *h = NULL;
		struct nobody res;
		int fd;
		size_t got = 0;

		close(pfd[0]);
		signal(SIGPIPE, SIG_IGN);	/* a refusing agent closes at once */
		memset(&res, 0, sizeof(res));
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(3);
		res.seg = fotos_open(cl->node[0].shm, &h);
		if (res.seg == 0) {
			struct fotos_info info;

			fotos_get_info(h, &info);
			res.woken = info.waits_woken;
			fotos_close(h);
			res.trunc = truncate_waiter_page(cl->node[0].sock);
		}
		memcpy(sa.sun_path, cl->node[0].sock, strlen(cl->node[0].sock) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			snprintf(res.reply, sizeof(res.reply), "connect: %s", strerror(errno));
		} else {
			/* (a refused write still leaves the refusal to read) */
			if (write(fd, line, strlen(line)) > 0 && write(fd, "\n", 1) < 0)
				res.reply[0] = 0;
			while (got < sizeof(res.reply) - 1 &&
			       (r = read(fd, res.reply + got, sizeof(res.reply) - 1 - got)) > 0) {
				got += (size_t)r;
				if (memchr(res.reply, '\n', got))
					break;
			}
		}
		if (write(pfd[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	memset(out, 0, sizeof(*out));
	while ((size_t)n < sizeof(*out) && (r = read(pfd[0], (char *)out + n, sizeof(*out) - (size_t)n)) > 0)
		n += r;
	close(pfd[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != (ssize_t)sizeof(*out))
		FAIL("the client as nobody: status %#x, %zd bytes of its report", status, n);
	out->reply[sizeof(out->reply) - 1] = 0;
}

static void restart_n0(struct cluster *cl, const char *group, const char *wusers)
{
	int i;

	if (cl->node[0].pid)
		cl_signal(cl, 0, SIGTERM);
	memset(cl->extra, 0, sizeof(cl->extra));
	if (group) {
		cl->extra[0] = "--group";
		cl->extra[1] = group;
	}
	if (wusers) {
		cl->extra[2] = "--write-users";
		cl->extra[3] = wusers;
		if (!group) {
			cl->extra[0] = cl->extra[2];
			cl->extra[1] = cl->extra[3];
			cl->extra[2] = cl->extra[3] = NULL;
		}
	}
	cl_start(cl, 0);
	/* the records may still be the last agent's: wait for this one's segment */
	for (i = 0; i < 5000; i++) {
		struct fotos *h;
		struct fotos_info info;
		int mine = 0;

		if (fotos_open(cl->node[0].shm, &h) == 0) {
			fotos_get_info(h, &info);
			mine = info.agent_pid == (uint64_t)cl->node[0].pid && fotos_stable(h);
			fotos_close(h);
		}
		if (mine)
			break;
		th_sleep_ms(1);
	}
	CHECK(i < 5000);
	CL_EXPECT(cl, cl_wait_view(cl, 0x1, 0x1, 5000), "n0 alone");
}

static void local(void)
{
	static struct cluster cl;
	struct nobody nb;
	struct fotos *h;
	char val[16];

	/* Not a failure, but said: the rest of the suite still counts. */
	if (geteuid() != 0 || !getgrgid(65534) || !getpwuid(65534)) {
		printf("  SKIPPED: needs root and user/group 65534 (nobody/nogroup)\n");
		return;
	}
	cl_init(&cl, 1, HB, TO);
	CHECK_EQ(chmod(cl.dir, 0755), 0);	/* nobody must reach the socket */

	/* no group: nobody may neither map the segment nor talk to the agent */
	restart_n0(&cl, NULL, NULL);
	as_nobody(&cl, "ping", &nb);
	CHECK_EQ(nb.seg, -EACCES);
	if (strncmp(nb.reply, "err EACCES", 10))
		FAIL("nobody without a group got: %s", nb.reply);

	/* group nogroup: reads, and its waits are woken (the sealed waiter
	 * page), which it cannot shrink; no writes */
	restart_n0(&cl, "65534", NULL);
	as_nobody(&cl, "ping", &nb);
	CHECK_EQ(nb.seg, 0);
	CHECK_EQ(nb.woken, 1);
	CHECK_EQ(nb.trunc, EPERM);
	if (strncmp(nb.reply, "ok pong", 7))
		FAIL("nobody in the group, ping: %s", nb.reply);
	as_nobody(&cl, "status", &nb);
	CHECK(!strncmp(nb.reply, "ok {", 4));
	as_nobody(&cl, "put 6b31 7631", &nb);
	if (strncmp(nb.reply, "err EPERM uid 65534 may only read", 33))
		FAIL("nobody in the group, put: %s", nb.reply);
	as_nobody(&cl, "txn put 6b31 7631", &nb);
	CHECK(!strncmp(nb.reply, "err EPERM", 9));
	as_nobody(&cl, "log-level debug", &nb);
	CHECK(!strncmp(nb.reply, "err EPERM", 9));
	CHECK_OK(fotos_open(cl.node[0].shm, &h));
	CHECK_EQ(fotos_get(h, "k1", 2, val, sizeof(val), NULL), -ENOENT);
	fotos_close(h);

	/* listed in write_users: writes */
	restart_n0(&cl, "65534", "nobody");
	as_nobody(&cl, "put 6b31 7631", &nb);
	if (strncmp(nb.reply, "ok", 2))
		FAIL("nobody in write_users, put: %s", nb.reply);
	CHECK_OK(fotos_open(cl.node[0].shm, &h));
	CHECK_EQ(fotos_get(h, "k1", 2, val, sizeof(val), NULL), 2);
	fotos_close(h);
	cl_finish(&cl);
}

static const struct cl_scenario scenarios[] = {
	{ "wrong-key", wrong_key, 60 },
	{ "encrypted", encrypted, 30 },
	{ "key-files", key_files, 30 },
	{ "local", local, 60 },
};

int main(int argc, char **argv)
{
	return cl_main(argc, argv, scenarios, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
}
