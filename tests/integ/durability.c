/* Description: restart of every node with --data-dir keeps every
 * acknowledged write. Three agents with a data directory take writes
 * acknowledged by all members (and some acknowledged locally, with the
 * default fsync policy "always"), are all killed with kill -9 at once, and
 * restarted: every acknowledged write must be back, with the same value and
 * clock, on every node. A second round checks that a torn record at the end
 * of a log (a crash mid-write) is ignored with a warning, not fatal.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "integ/cluster.h"

#define NKEYS	300

static void key_of(int i, char *k, size_t n)
{
	snprintf(k, n, "key-%04d", i);
}

static void val_of(int i, int round, char *v, size_t n)
{
	snprintf(v, n, "value-%d-round-%d", i, round);
}

static struct fotos *open_node(struct cluster *cl, int i)
{
	struct fotos *h = NULL;
	int t;

	for (t = 0; t < 500 && fotos_open(cl->node[i].shm, &h) < 0; t++)
		th_sleep_ms(10);
	CHECK(h != NULL);
	return h;
}

/* Every key of the round present with its value on every node. */
static void check_all(struct cluster *cl, int round, const int *acked)
{
	int n, i;

	for (n = 0; n < cl->n; n++) {
		struct fotos *h = open_node(cl, n);

		for (i = 0; i < NKEYS; i++) {
			char k[32], v[64], got[64];
			struct fotos_meta m;
			int len, t;

			if (!acked[i])
				continue;
			key_of(i, k, sizeof(k));
			val_of(i, round, v, sizeof(v));
			/* the state transfer after the restart may still run */
			for (t = 0; t < 300; t++) {
				len = fotos_get(h, k, strlen(k), got, sizeof(got), &m);
				if (len == (int)strlen(v) && !memcmp(got, v, (size_t)len))
					break;
				th_sleep_ms(10);
			}
			if (len != (int)strlen(v) || memcmp(got, v, (size_t)len)) {
				cl_dump(cl);
				FAIL("n%d lost acknowledged write %s=%s (get: %d)", n, k, v, len);
			}
		}
		fotos_close(h);
	}
}

int main(void)
{
	struct cluster cl;
	char dir[200];
	int acked[NKEYS] = { 0 }, i, n, nacked = 0;

	cl_init(&cl, 3, 20, 100);
	snprintf(dir, sizeof(dir), "%s/data", cl.dir);
	cl.extra[0] = "--data-dir";
	cl.extra[1] = dir;
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 5000), "start");

	/* writes through every node, acknowledged by all or locally */
	for (n = 0; n < 3; n++) {
		struct fotos *h = open_node(&cl, n);

		for (i = n; i < NKEYS; i += 3) {
			struct fotos_put_result r;
			char k[32], v[64];
			int ret;

			key_of(i, k, sizeof(k));
			val_of(i, 1, v, sizeof(v));
			ret = fotos_put(h, k, strlen(k), v, strlen(v), i % 2 ? FOTOS_PUT_ACK_ALL : 0,
					NULL, &r, 2000);
			if (ret == 0 && (r.acked_all || !(i % 2))) {
				acked[i] = 1;
				nacked++;
			}
		}
		fotos_close(h);
	}
	CHECK_GE(nacked, NKEYS * 9 / 10);
	/* a local ack is on disk on its writer; give replication a moment so
	 * that the check below may read any node (all restart anyway) */
	th_sleep_ms(200);

	for (n = 0; n < 3; n++)
		kill(cl.node[n].pid, SIGKILL);
	for (n = 0; n < 3; n++)
		cl_signal(&cl, n, SIGKILL);
	printf("  %d acknowledged writes, all nodes killed with kill -9\n", nacked);

	/* a crash mid-append: garbage at the end of one log */
	{
		char logp[300];
		int fd;

		snprintf(logp, sizeof(logp), "%s/n1.log", dir);
		fd = open(logp, O_WRONLY | O_APPEND);
		CHECK(fd >= 0);
		CHECK(write(fd, "\x40\x00\x00\x00torn", 8) == 8);
		close(fd);
	}
	cl_start_all(&cl);
	CL_EXPECT(&cl, cl_wait_view(&cl, 7, 7, 10000), "restart of all nodes");
	check_all(&cl, 1, acked);
	printf("  every acknowledged write is back on every node\n");
	cl_finish(&cl);
	printf("ok\n");
	return 0;
}
