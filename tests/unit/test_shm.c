/* Description: the segment between agent and client: shm_segment_create()
 * (the writer) and fotos_open() (the reader) round-trip the status and
 * views of 3, 16 and 64 members in one process and across fork; every
 * refusal returns its exact error code without crashing (missing segment,
 * wrong magic, another major version, abi 0, truncated file, regions that do
 * not fit, CLOSED segment, a dead agent, a replaced agent); a writer stuck
 * mid-section gives -EAGAIN, then -ESTALE once its heartbeat is old.
 * Corrupt segments are made by creating a good one and writing into
 * /dev/shm/<name> directly.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "harness.h"
#include "fotos.h"
#include "fotos_abi.h"
#include "seqlock.h"
#include "segment.h"

#define STALE_LONG	(30ull * 1000000000ull)

struct fix {
	const char *name;
	struct shm_segment seg;
	struct fotos *h;
};

static int create_seg(struct fix *f, uint64_t stale_after_ns)
{
	struct shm_params p = {
		.name = f->name,
		.control_path = "/run/fotos/test.sock",
		.node_name = "node-a",
		.cluster_name = "unit",
		.stale_after_ns = stale_after_ns,
		.mode = 0600,
	};

	return shm_segment_create(&p, &f->seg);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->name = th_shm_name();
	if (create_seg(f, STALE_LONG) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->h)
		fotos_close(f->h);
	shm_segment_close(&f->seg);
	th_shm_unlink(f->name);
	free(f);
	return 0;
}

/* A view whose every byte derives from (n, seed). */
static void make_view(struct fotos_shm_view *v, unsigned int n, uint64_t seed)
{
	unsigned int i;

	memset(v, 0, sizeof(*v));
	v->epoch = seed;
	v->view_id = seed * 0x9e3779b97f4a7c15ull + 1;
	v->net_id = seed ^ 0xfeedface12345678ull;
	v->count = n;
	v->flags = (uint32_t)(seed * 31 + n);
	for (i = 0; i < n && i < FOTOS_MAX_NODES; i++) {
		struct fotos_shm_member *m = &v->members[i];

		snprintf(m->name, sizeof(m->name), "node-%u-%llu", i, (unsigned long long)seed);
		m->incarnation = seed * 1000 + i;
		m->index = i;
		if (i % 2) {
			m->family = AF_INET6;
			m->addr[0] = 0xfd;
			m->addr[15] = (uint8_t)i;
		} else {
			m->family = AF_INET;
			m->addr[0] = 10;
			m->addr[3] = (uint8_t)i;
		}
		m->port = (uint16_t)(7000 + i);
	}
}

static void make_status(uint64_t w[FOTOS_SW_NWORDS], uint64_t seed)
{
	w[FOTOS_SW_STATE] = FOTOS_ST_STABLE;
	w[FOTOS_SW_STABLE] = 1;
	w[FOTOS_SW_PRIMARY] = 1;
	w[FOTOS_SW_EPOCH] = seed;
	w[FOTOS_SW_VIEW_ID] = seed * 3 + 1;
	w[FOTOS_SW_NODE_INDEX] = 2;
	w[FOTOS_SW_INCARNATION] = seed << 20;
	w[FOTOS_SW_REMOVED] = 7;
}

/* 0 if out holds exactly what v published (head and count members). */
static int view_matches(const struct fotos_view *out, const struct fotos_shm_view *v)
{
	unsigned int n = v->count > FOTOS_MAX_NODES ? FOTOS_MAX_NODES : v->count;

	if (out->epoch != v->epoch || out->view_id != v->view_id || out->net_id != v->net_id ||
	    out->count != n || out->flags != v->flags)
		return -1;
	return memcmp(out->members, v->members, n * sizeof(v->members[0])) ? -1 : 0;
}

/* ---- round trips ------------------------------------------------------- */

static void test_status_roundtrip(void **state)
{
	struct fix *f = *state;
	struct fotos_status st;
	struct fotos_info info;
	uint64_t w[FOTOS_SW_NWORDS];

	make_status(w, 42);
	shm_publish_state(&f->seg, w);
	assert_int_equal(fotos_open(f->name, &f->h), 0);
	assert_non_null(f->h);
	assert_int_equal(fotos_check(f->h), 0);

	memset(&st, 0xff, sizeof(st));
	assert_int_equal(fotos_read_status(f->h, &st), 0);
	assert_memory_equal(&st, w, sizeof(st));
	assert_int_equal(fotos_stable(f->h), 1);
	assert_int_equal(fotos_primary(f->h), 1);
	assert_int_equal(fotos_epoch(f->h), 42);
	assert_int_equal(fotos_state(f->h), FOTOS_STABLE);
	assert_string_equal(fotos_state_name((uint64_t)fotos_state(f->h)), "stable");

	/* A second publish is seen by the same handle. */
	make_status(w, 43);
	w[FOTOS_SW_STATE] = FOTOS_ST_UNSTABLE;
	w[FOTOS_SW_STABLE] = 0;
	shm_publish_state(&f->seg, w);
	assert_int_equal(fotos_read_status(f->h, &st), 0);
	assert_memory_equal(&st, w, sizeof(st));
	assert_int_equal(fotos_stable(f->h), 0);
	assert_int_equal(fotos_epoch(f->h), 43);
	assert_int_equal(fotos_state(f->h), FOTOS_UNSTABLE);

	fotos_get_info(f->h, &info);
	assert_int_equal(info.agent_pid, getpid());
	assert_int_equal(info.agent_start_ns, f->seg.hdr->agent_start_ns);
	assert_true(info.agent_start_ns > 0);
	assert_string_equal(info.node, "node-a");
	assert_string_equal(info.cluster, "unit");
	assert_string_equal(info.control_path, "/run/fotos/test.sock");
}

static void view_roundtrip(struct fix *f, unsigned int n)
{
	struct fotos_shm_view *v = calloc(1, sizeof(*v));
	struct fotos_view *out = calloc(1, sizeof(*out));

	assert_non_null(v);
	assert_non_null(out);
	if (!f->h)
		assert_int_equal(fotos_open(f->name, &f->h), 0);
	make_view(v, n, 1000 + n);
	shm_publish_view(&f->seg, v);
	memset(out, 0xee, sizeof(*out));
	assert_int_equal(fotos_read_view(f->h, out), 0);
	assert_int_equal(view_matches(out, v), 0);
	assert_int_equal(out->count, n);
	free(v);
	free(out);
}

static void test_view_3(void **state)
{
	view_roundtrip(*state, 3);
}

static void test_view_16(void **state)
{
	view_roundtrip(*state, 16);
}

static void test_view_64(void **state)
{
	view_roundtrip(*state, 64);
}

/* A shrinking view must not leak the old members' count; an empty one reads empty. */
static void test_view_shrink_and_empty(void **state)
{
	struct fix *f = *state;

	view_roundtrip(f, 64);
	view_roundtrip(f, 3);
	view_roundtrip(f, 0);
	view_roundtrip(f, 16);
}

/* A count beyond the member array is clamped, never overruns the copy. */
static void test_view_count_clamped(void **state)
{
	struct fix *f = *state;
	struct fotos_shm_view *v = calloc(1, sizeof(*v));
	struct fotos_view *out = calloc(1, sizeof(*out));

	assert_non_null(v);
	assert_non_null(out);
	make_view(v, 64, 7);
	v->count = 1000;
	shm_publish_view(&f->seg, v);
	assert_int_equal(fotos_open(f->name, &f->h), 0);
	assert_int_equal(fotos_read_view(f->h, out), 0);
	assert_int_equal(out->count, FOTOS_MAX_MEMBERS);
	assert_memory_equal(out->members, v->members, sizeof(out->members));
	free(v);
	free(out);
}

struct child_arg {
	const char *name;
	struct fotos_shm_view *v;
	uint64_t w[FOTOS_SW_NWORDS];
};

/* In a forked child: open, read both regions, compare. */
static int child_reader(void *p)
{
	struct child_arg *a = p;
	struct fotos_view *out = calloc(1, sizeof(*out));
	struct fotos_status st;
	struct fotos *h;

	CHECK(out);
	CHECK_OK(fotos_open(a->name, &h));
	CHECK_OK(fotos_read_status(h, &st));
	CHECK(!memcmp(&st, a->w, sizeof(st)));
	CHECK_OK(fotos_read_view(h, out));
	CHECK(view_matches(out, a->v) == 0);
	CHECK_EQ(fotos_epoch(h), a->w[FOTOS_SW_EPOCH]);
	fotos_close(h);
	free(out);
	return 0;
}

static void test_roundtrip_forked(void **state)
{
	struct fix *f = *state;
	static const unsigned int sizes[] = { 3, 16, 64 };
	struct child_arg a = { .name = f->name };
	unsigned int i;

	a.v = calloc(1, sizeof(*a.v));
	assert_non_null(a.v);
	for (i = 0; i < 3; i++) {
		pid_t pid;

		make_view(a.v, sizes[i], 77 + i);
		make_status(a.w, 77 + i);
		shm_publish_view(&f->seg, a.v);
		shm_publish_state(&f->seg, a.w);
		pid = th_fork(child_reader, &a, 10);
		assert_int_equal(th_wait_pid(pid, 10000), 0);
	}
	free(a.v);
}

static void test_member_address(void **state)
{
	struct fotos_shm_view *v = calloc(1, sizeof(*v));
	struct fotos_member m;
	char buf[64];

	(void)state;
	assert_non_null(v);
	make_view(v, 2, 1);
	memcpy(&m, &v->members[0], sizeof(m));
	assert_int_equal(fotos_member_address(&m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.0.0.0:7000");
	memcpy(&m, &v->members[1], sizeof(m));
	assert_int_equal(fotos_member_address(&m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[fd00::1]:7001");
	assert_int_equal(fotos_member_address(&m, buf, 5), -ENOSPC);
	m.family = 12345;
	assert_int_equal(fotos_member_address(&m, buf, sizeof(buf)), -EAFNOSUPPORT);
	free(v);
}

/* ---- refusals ---------------------------------------------------------- */

/* Open must fail with want, leave *out NULL, and not crash. */
static void expect_open(const char *name, int want)
{
	struct fotos *h = (struct fotos *)(uintptr_t)1;
	int ret = fotos_open(name, &h);

	if (ret != want)
		fail_msg("fotos_open(%s) = %d (%s), want %d (%s)", name, ret,
			 fotos_strerror(ret), want, fotos_strerror(want));
	if (ret < 0)
		assert_null(h);
	else
		fotos_close(h);
}

static void test_missing(void **state)
{
	(void)state;
	expect_open("/fotos-test-does-not-exist-xyzzy", -ENOENT);
}

#define HOFF(field)	offsetof(struct fotos_shm_hdr, field)
#define SOFF(i, field)	(offsetof(struct fotos_shm_hdr, sect) + \
			 (i) * sizeof(struct fotos_shm_sect) + offsetof(struct fotos_shm_sect, field))

/* On a fresh segment, write len bytes of val at off, then expect want. */
static void poke_expect(uint64_t off, const void *val, size_t len, int want)
{
	struct fix f = { .name = th_shm_name() };

	assert_int_equal(create_seg(&f, STALE_LONG), 0);
	assert_int_equal(th_shm_poke(f.name, off, val, len), 0);
	expect_open(f.name, want);
	shm_segment_close(&f.seg);
	th_shm_unlink(f.name);
}

static void poke32(uint64_t off, uint32_t v, int want)
{
	poke_expect(off, &v, sizeof(v), want);
}

static void poke64(uint64_t off, uint64_t v, int want)
{
	poke_expect(off, &v, sizeof(v), want);
}

static void test_bad_magic(void **state)
{
	(void)state;
	poke64(HOFF(magic), 0x0123456789abcdefull, -EPROTO);
	poke64(HOFF(magic), 0, -EPROTO);
	poke64(HOFF(magic), FOTOS_SHM_MAGIC + 1, -EPROTO);	/* "FOTOS2" */
}

static void test_versions(void **state)
{
	(void)state;
	poke32(HOFF(abi), (FOTOS_ABI_MAJOR + 1) << 16, -EPROTONOSUPPORT);
	poke32(HOFF(abi), ((FOTOS_ABI_MAJOR + 1) << 16) | FOTOS_ABI_MINOR, -EPROTONOSUPPORT);
	poke32(HOFF(abi), 0xffff0000u, -EPROTONOSUPPORT);
	poke32(HOFF(abi), 1u, -EPROTONOSUPPORT);		/* major 0, minor 1 */
	/* A later minor version (appended fields) is accepted. */
	poke32(HOFF(abi), (FOTOS_ABI_MAJOR << 16) | (FOTOS_ABI_MINOR + 3), 0);
}

static void test_abi_zero(void **state)
{
	(void)state;
	poke32(HOFF(abi), 0, -EAGAIN);
}

static void test_truncated(void **state)
{
	struct shm_layout l;
	static const uint64_t sizes[] = { 0, 1, 100, 432, 4095, 4096, 8192, 20480, 86015 };
	unsigned int i;

	(void)state;
	shm_layout_default(&l);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct fix f = { .name = th_shm_name() };

		assert_int_equal(create_seg(&f, STALE_LONG), 0);
		assert_true(sizes[i] < l.total_size);
		assert_int_equal(th_shm_truncate(f.name, sizes[i]), 0);
		expect_open(f.name, -EPROTO);
		/* Back to full size: the writer's mapping would SIGBUS. */
		assert_int_equal(th_shm_truncate(f.name, l.total_size), 0);
		shm_segment_close(&f.seg);
		th_shm_unlink(f.name);
	}
	/* Grown: the file no longer matches the header's total size either. */
	{
		struct fix f = { .name = th_shm_name() };

		assert_int_equal(create_seg(&f, STALE_LONG), 0);
		assert_int_equal(th_shm_truncate(f.name, l.total_size + FOTOS_PAGE), 0);
		expect_open(f.name, -EPROTO);
		shm_segment_close(&f.seg);
		th_shm_unlink(f.name);
	}
}

static void test_bad_header_fields(void **state)
{
	struct shm_layout l;

	(void)state;
	shm_layout_default(&l);
	poke32(HOFF(hdr_size), 8, -EPROTO);
	poke32(HOFF(hdr_size), sizeof(struct fotos_shm_hdr) - 1, -EPROTO);
	poke32(HOFF(hdr_size), FOTOS_PAGE + 1, -EPROTO);
	poke32(HOFF(hdr_size), 0xffffffffu, -EPROTO);
	/* A larger header from a later minor version is fine. */
	poke32(HOFF(hdr_size), sizeof(struct fotos_shm_hdr) + 64, 0);
	poke64(HOFF(total_size), l.total_size + FOTOS_PAGE, -EPROTO);
	poke64(HOFF(total_size), l.total_size - FOTOS_PAGE, -EPROTO);
	poke64(HOFF(total_size), 0, -EPROTO);
	poke32(HOFF(nsect), FOTOS_SECT_MAX + 1, -EPROTO);
	poke32(HOFF(nsect), 0xffffffffu, -EPROTO);
	poke32(HOFF(nsect), 0, -EPROTO);			/* no regions at all */
	poke32(HOFF(nsect), 3, -EPROTO);			/* database region missing */
}

static void test_regions_do_not_fit(void **state)
{
	struct shm_layout l;
	unsigned int i;

	(void)state;
	shm_layout_default(&l);
	/* Sections 0..3 are doorbell, state, view, db (segment.c). */
	for (i = 0; i < 4; i++) {
		poke64(SOFF(i, off), l.total_size, -EPROTO);		/* past the end */
		poke64(SOFF(i, off), l.total_size - FOTOS_PAGE + 8, -EPROTO); /* unaligned */
		poke64(SOFF(i, off), 8, -EPROTO);			/* unaligned */
		poke64(SOFF(i, off), 0, -EPROTO);			/* over the header */
		poke64(SOFF(i, off), ~0ull & ~(uint64_t)(FOTOS_PAGE - 1), -EPROTO); /* wraps */
		poke64(SOFF(i, size), l.total_size + 1, -EPROTO);	/* larger than file */
		poke64(SOFF(i, size), ~0ull, -EPROTO);
		poke64(SOFF(i, size), 1, -EPROTO);			/* smaller than its record */
		poke32(SOFF(i, kind), 0, -EPROTO);			/* region missing */
	}
	/* Aligned and inside, but running past the end of the file. */
	poke64(SOFF(3, off), l.total_size - FOTOS_PAGE, -EPROTO);
	poke64(SOFF(2, off), l.db_off + l.db_size - FOTOS_PAGE, -EPROTO);
	/* A kind this version does not know is skipped, not refused. */
	{
		struct fotos_shm_sect s = { 7, 0, l.db_off, FOTOS_PAGE };

		poke32(HOFF(nsect), 5, 0);
		poke_expect(SOFF(4, kind), &s, sizeof(s), 0);
	}
}

static void test_closed(void **state)
{
	struct fix *f = *state;

	assert_int_equal(th_shm_poke(f->name, HOFF(seg_state),
				     &(uint32_t){ FOTOS_SEG_CLOSED }, 4), 0);
	expect_open(f->name, -ESTALE);
	/* Any state other than RUNNING counts as gone. */
	assert_int_equal(th_shm_poke(f->name, HOFF(seg_state), &(uint32_t){ 0 }, 4), 0);
	expect_open(f->name, -ESTALE);
	assert_int_equal(th_shm_poke(f->name, HOFF(seg_state),
				     &(uint32_t){ FOTOS_SEG_RUNNING }, 4), 0);
	expect_open(f->name, 0);

	/* An open handle sees the close: check and reads that spin say -ESTALE. */
	assert_int_equal(fotos_open(f->name, &f->h), 0);
	assert_int_equal(fotos_check(f->h), 0);
	shm_segment_close(&f->seg);
	assert_int_equal(fotos_check(f->h), -ESTALE);
	expect_open(f->name, -ENOENT);		/* close unlinked it */
}

static void test_dead_agent(void **state)
{
	struct fix f = { .name = th_shm_name() };
	struct fotos_status st;
	uint64_t w[FOTOS_SW_NWORDS];

	(void)state;
	assert_int_equal(create_seg(&f, 300ull * 1000000), 0);	/* 300 ms */
	make_status(w, 5);
	shm_publish_state(&f.seg, w);
	assert_int_equal(fotos_open(f.name, &f.h), 0);
	assert_int_equal(fotos_check(f.h), 0);

	th_sleep_ms(700);		/* no heartbeat for 2x stale_after */
	assert_int_equal(fotos_check(f.h), -ESTALE);
	expect_open(f.name, -ESTALE);
	/* The last data stays readable; only the liveness check says stale. */
	assert_int_equal(fotos_read_status(f.h, &st), 0);
	assert_memory_equal(&st, w, sizeof(st));

	/* A hung agent that resumes ticking is alive again. */
	shm_heartbeat(&f.seg);
	assert_int_equal(fotos_check(f.h), 0);
	expect_open(f.name, 0);

	fotos_close(f.h);
	shm_segment_close(&f.seg);
	th_shm_unlink(f.name);
}

/* An agent killed mid-write leaves the sequence odd: -EAGAIN while its
 * heartbeat is fresh, -ESTALE once it is old. */
static void test_writer_stuck(void **state)
{
	struct fix *f = *state;
	struct fotos_status st;
	struct fotos_view *out = calloc(1, sizeof(*out));
	uint64_t old;

	assert_non_null(out);
	assert_int_equal(fotos_open(f->name, &f->h), 0);
	seqlock_write_begin(f->seg.state);
	seqlock_write_begin(f->seg.view);
	assert_int_equal(fotos_read_status(f->h, &st), -EAGAIN);
	assert_int_equal(fotos_read_view(f->h, out), -EAGAIN);

	old = th_now_ns() - 2 * STALE_LONG;
	atomic_store(&f->seg.hdr->heartbeat_ns, old);
	assert_int_equal(fotos_read_status(f->h, &st), -ESTALE);
	assert_int_equal(fotos_read_view(f->h, out), -ESTALE);

	shm_heartbeat(&f->seg);
	seqlock_write_end(f->seg.state);
	seqlock_write_end(f->seg.view);
	assert_int_equal(fotos_read_status(f->h, &st), 0);
	assert_int_equal(fotos_read_view(f->h, out), 0);
	free(out);
}

static void test_replaced_agent(void **state)
{
	struct fix *f = *state;
	struct fix g = { .name = f->name };
	struct fotos_info a, b;
	struct fotos *h2;
	uint64_t w[FOTOS_SW_NWORDS];

	make_status(w, 1);
	shm_publish_state(&f->seg, w);
	assert_int_equal(fotos_open(f->name, &f->h), 0);
	fotos_get_info(f->h, &a);
	assert_int_equal(a.agent_start_ns, f->seg.hdr->agent_start_ns);

	/* A new agent creates the same name: the old handle is stale at once. */
	assert_int_equal(create_seg(&g, STALE_LONG), 0);
	assert_int_equal(fotos_check(f->h), -ESTALE);
	make_status(w, 2);
	shm_publish_state(&g.seg, w);

	assert_int_equal(fotos_open(f->name, &h2), 0);
	fotos_get_info(h2, &b);
	assert_int_equal(b.agent_start_ns, g.seg.hdr->agent_start_ns);
	assert_true(b.agent_start_ns != a.agent_start_ns);
	assert_int_equal(fotos_check(h2), 0);
	assert_int_equal(fotos_epoch(h2), 2);
	assert_int_equal(fotos_epoch(f->h), 1);	/* the old one keeps its data */

	/* The old agent's close must not remove the new agent's segment. */
	shm_segment_close(&f->seg);
	assert_int_equal(fotos_check(h2), 0);
	expect_open(f->name, 0);

	fotos_close(h2);
	shm_segment_close(&g.seg);
	expect_open(f->name, -ENOENT);
}

static void test_created_header(void **state)
{
	struct fix *f = *state;
	const struct fotos_shm_hdr *h = f->seg.hdr;
	struct shm_layout l;

	shm_layout_default(&l);
	assert_int_equal(h->magic, FOTOS_SHM_MAGIC);
	assert_int_equal(atomic_load(&h->abi), FOTOS_ABI_VERSION);
	assert_int_equal(h->hdr_size, sizeof(*h));
	assert_int_equal(h->total_size, l.total_size);
	assert_int_equal(atomic_load(&h->seg_state), FOTOS_SEG_RUNNING);
	assert_int_equal(h->nsect, 4);
	assert_int_equal(h->sect[0].kind, FOTOS_SECT_DOORBELL);
	assert_int_equal(h->sect[0].off, l.doorbell_off);
	assert_int_equal(h->sect[1].kind, FOTOS_SECT_STATE);
	assert_int_equal(h->sect[1].off, l.state_off);
	assert_int_equal(h->sect[2].kind, FOTOS_SECT_VIEW);
	assert_int_equal(h->sect[2].off, l.view_off);
	assert_int_equal(h->sect[2].stride, sizeof(struct fotos_shm_member));
	assert_int_equal(h->sect[3].kind, FOTOS_SECT_DB);
	assert_int_equal(h->sect[3].off, l.db_off);
	assert_int_equal(h->sect[3].size, l.db_size);
	{
		struct shm_layout got;

		assert_int_equal(shm_validate(f->seg.base, l.total_size, &got), 0);
		assert_memory_equal(&got, &l, sizeof(l));
		/* Never reads past maplen, refuses short maps. */
		assert_int_equal(shm_validate(f->seg.base, 100, &got), -EPROTO);
		assert_int_equal(shm_validate(f->seg.base, l.total_size - 1, &got), -EPROTO);
	}
	{
		char path[128];
		struct stat st;

		th_shm_path(f->name, path, sizeof(path));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(st.st_size, l.total_size);
	}
}

static void test_create_bad_names(void **state)
{
	struct shm_segment seg;
	struct shm_params p = { .stale_after_ns = STALE_LONG };

	(void)state;
	p.name = NULL;
	assert_int_equal(shm_segment_create(&p, &seg), -EINVAL);
	p.name = "no-slash";
	assert_int_equal(shm_segment_create(&p, &seg), -EINVAL);
	p.name = "/a/b";
	assert_int_equal(shm_segment_create(&p, &seg), -EINVAL);
	p.name = "/";
	assert_int_equal(shm_segment_create(&p, &seg), -EINVAL);
}

static void test_strerror(void **state)
{
	static const int codes[] = {
		0, -ENOENT, -EPROTO, -EPROTONOSUPPORT, -EAGAIN, -ESTALE, -ETIMEDOUT,
		-EINTR, -ENOMEM, -EACCES, -EREMOTEIO, -EBADMSG, -EINVAL, -12345,
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = fotos_strerror(codes[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	/* The refusals are distinguishable. */
	assert_string_not_equal(fotos_strerror(-EPROTO), fotos_strerror(-EPROTONOSUPPORT));
	assert_string_not_equal(fotos_strerror(-ESTALE), fotos_strerror(-EAGAIN));
	assert_string_not_equal(fotos_strerror(-ENOENT), fotos_strerror(-ESTALE));
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_status_roundtrip),
		T(test_view_3),
		T(test_view_16),
		T(test_view_64),
		T(test_view_shrink_and_empty),
		T(test_view_count_clamped),
		T(test_roundtrip_forked),
		T(test_member_address),
		T(test_created_header),
		T(test_missing),
		T(test_bad_magic),
		T(test_versions),
		T(test_abi_zero),
		T(test_truncated),
		T(test_bad_header_fields),
		T(test_regions_do_not_fit),
		T(test_closed),
		T(test_dead_agent),
		T(test_writer_stuck),
		T(test_replaced_agent),
		T(test_create_bad_names),
		T(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
