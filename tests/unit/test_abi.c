/* Description: pins the shared-memory ABI: every offsetof/sizeof of the
 * structs in shm/fotos_abi.h and of the public structs in clientlib/fotos.h,
 * the constants both sides must agree on, and the layout computed by
 * shm_layout_default(). A change to any of these is a layout change: bump
 * FOTOS_ABI_MINOR (fields or regions appended) or FOTOS_ABI_MAJOR (anything
 * else) and update the numbers here on purpose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fotos.h"
#include "fotos_abi.h"
#include "segment.h"

#define OFF(type, field, want)	assert_int_equal(offsetof(struct type, field), (want))
#define SIZE(type, want)	assert_int_equal(sizeof(struct type), (want))
/* Same offset and size in the shm record and its public mirror. */
#define MIRROR(a, b, field) do {						\
	assert_int_equal(offsetof(struct a, field), offsetof(struct b, field));	\
	assert_int_equal(sizeof(((struct a *)0)->field), sizeof(((struct b *)0)->field)); \
} while (0)

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(FOTOS_SHM_MAGIC, 0x31534f544f46ULL);
	assert_int_equal(FOTOS_ABI_MAJOR, 1);
	assert_int_equal(FOTOS_ABI_MINOR, 0);
	assert_int_equal(FOTOS_ABI_VERSION, 0x10000);
	assert_int_equal(FOTOS_PAGE, 4096);
	assert_int_equal(FOTOS_MAX_NODES, 64);
	assert_int_equal(FOTOS_NAME_MAX, 32);
	assert_int_equal(FOTOS_PATH_MAX, 108);
	assert_int_equal(FOTOS_SEG_RUNNING, 1);
	assert_int_equal(FOTOS_SEG_CLOSED, 2);
	assert_int_equal(FOTOS_SECT_DOORBELL, 1);
	assert_int_equal(FOTOS_SECT_STATE, 2);
	assert_int_equal(FOTOS_SECT_VIEW, 3);
	assert_int_equal(FOTOS_SECT_DB, 4);
	assert_int_equal(FOTOS_SECT_MAX, 8);
	assert_int_equal(FOTOS_DB_RESERVED, 65536);
	assert_int_equal(FOTOS_VIEW_HEAD_WORDS, 4);
	assert_int_equal(FOTOS_VIEW_WORDS, 516);

	/* The magic reads "FOTOS1" in the file. */
	{
		uint64_t m = FOTOS_SHM_MAGIC;

		assert_memory_equal(&m, "FOTOS1\0\0", 8);
	}
}

static void test_state_words(void **state)
{
	(void)state;
	assert_int_equal(FOTOS_SW_STATE, 0);
	assert_int_equal(FOTOS_SW_STABLE, 1);
	assert_int_equal(FOTOS_SW_PRIMARY, 2);
	assert_int_equal(FOTOS_SW_EPOCH, 3);
	assert_int_equal(FOTOS_SW_VIEW_ID, 4);
	assert_int_equal(FOTOS_SW_NODE_INDEX, 5);
	assert_int_equal(FOTOS_SW_INCARNATION, 6);
	assert_int_equal(FOTOS_SW_REMOVED, 7);
	assert_int_equal(FOTOS_SW_NWORDS, 8);

	/* The public status struct is the state words, in order. */
	assert_int_equal(offsetof(struct fotos_status, state), 8 * FOTOS_SW_STATE);
	assert_int_equal(offsetof(struct fotos_status, stable), 8 * FOTOS_SW_STABLE);
	assert_int_equal(offsetof(struct fotos_status, primary), 8 * FOTOS_SW_PRIMARY);
	assert_int_equal(offsetof(struct fotos_status, epoch), 8 * FOTOS_SW_EPOCH);
	assert_int_equal(offsetof(struct fotos_status, view_id), 8 * FOTOS_SW_VIEW_ID);
	assert_int_equal(offsetof(struct fotos_status, node_index), 8 * FOTOS_SW_NODE_INDEX);
	assert_int_equal(offsetof(struct fotos_status, incarnation), 8 * FOTOS_SW_INCARNATION);
	assert_int_equal(offsetof(struct fotos_status, removed), 8 * FOTOS_SW_REMOVED);
	SIZE(fotos_status, 8 * FOTOS_SW_NWORDS);

	/* The inline fast path indexes the same words. */
	assert_int_equal(__FOTOS_SW_STATE, FOTOS_SW_STATE);
	assert_int_equal(__FOTOS_SW_STABLE, FOTOS_SW_STABLE);
	assert_int_equal(__FOTOS_SW_PRIMARY, FOTOS_SW_PRIMARY);
	assert_int_equal(__FOTOS_SW_EPOCH, FOTOS_SW_EPOCH);
	assert_int_equal(offsetof(struct __fotos_fast, state_words), 0);
}

static void test_node_states(void **state)
{
	(void)state;
	assert_int_equal(FOTOS_ST_STARTING, 0);
	assert_int_equal(FOTOS_ST_JOINING, 1);
	assert_int_equal(FOTOS_ST_STABLE, 2);
	assert_int_equal(FOTOS_ST_UNSTABLE, 3);
	assert_int_equal(FOTOS_ST_REMOVED, 4);
	assert_int_equal(FOTOS_ST_STOPPED, 5);
	assert_int_equal(FOTOS_STARTING, FOTOS_ST_STARTING);
	assert_int_equal(FOTOS_JOINING, FOTOS_ST_JOINING);
	assert_int_equal(FOTOS_STABLE, FOTOS_ST_STABLE);
	assert_int_equal(FOTOS_UNSTABLE, FOTOS_ST_UNSTABLE);
	assert_int_equal(FOTOS_REMOVED, FOTOS_ST_REMOVED);
	assert_int_equal(FOTOS_STOPPED, FOTOS_ST_STOPPED);
}

static void test_hdr(void **state)
{
	(void)state;
	OFF(fotos_shm_hdr, magic, 0);
	OFF(fotos_shm_hdr, abi, 8);
	OFF(fotos_shm_hdr, hdr_size, 12);
	OFF(fotos_shm_hdr, total_size, 16);
	OFF(fotos_shm_hdr, agent_pid, 24);
	OFF(fotos_shm_hdr, agent_start_ns, 32);
	OFF(fotos_shm_hdr, heartbeat_ns, 40);
	OFF(fotos_shm_hdr, stale_after_ns, 48);
	OFF(fotos_shm_hdr, seg_state, 56);
	OFF(fotos_shm_hdr, nsect, 60);
	OFF(fotos_shm_hdr, control_path, 64);
	OFF(fotos_shm_hdr, node_name, 172);
	OFF(fotos_shm_hdr, cluster_name, 204);
	OFF(fotos_shm_hdr, sect, 240);
	SIZE(fotos_shm_hdr, 432);
	assert_true(sizeof(struct fotos_shm_hdr) <= FOTOS_PAGE);
	assert_int_equal(sizeof(((struct fotos_shm_hdr *)0)->control_path), FOTOS_PATH_MAX);
	assert_int_equal(sizeof(((struct fotos_shm_hdr *)0)->node_name), FOTOS_NAME_MAX);
	assert_int_equal(sizeof(((struct fotos_shm_hdr *)0)->cluster_name), FOTOS_NAME_MAX);
	assert_int_equal(sizeof(((struct fotos_shm_hdr *)0)->sect) / sizeof(struct fotos_shm_sect),
			 FOTOS_SECT_MAX);

	OFF(fotos_shm_sect, kind, 0);
	OFF(fotos_shm_sect, stride, 4);
	OFF(fotos_shm_sect, off, 8);
	OFF(fotos_shm_sect, size, 16);
	SIZE(fotos_shm_sect, 24);
}

static void test_doorbell(void **state)
{
	(void)state;
	OFF(fotos_shm_doorbell, notify, 0);
	OFF(fotos_shm_doorbell, waiters, 4);
	OFF(fotos_shm_doorbell, view_changes, 8);
	OFF(fotos_shm_doorbell, stable_changes, 12);
	OFF(fotos_shm_doorbell, db_changes, 16);
	OFF(fotos_shm_doorbell, state_changes, 20);
	OFF(fotos_shm_doorbell, pad, 24);
	SIZE(fotos_shm_doorbell, 64);
	/* Futex words must be 4-byte aligned 32-bit words. */
	assert_int_equal(sizeof(((struct fotos_shm_doorbell *)0)->notify), 4);

	/* The agent's bell kinds and the client's event bits agree. */
	assert_int_equal(SHM_BELL_VIEW, FOTOS_EV_VIEW);
	assert_int_equal(SHM_BELL_STABLE, FOTOS_EV_STABLE);
	assert_int_equal(SHM_BELL_DB, FOTOS_EV_DB);
	assert_int_equal(SHM_BELL_STATE, FOTOS_EV_STATE);
	assert_int_equal(FOTOS_EV_ALL, 0xf);
}

static void test_regions(void **state)
{
	(void)state;
	OFF(fotos_seq_region, seq, 0);
	OFF(fotos_seq_region, w, 8);
	SIZE(fotos_seq_region, 8);

	OFF(fotos_shm_member, name, 0);
	OFF(fotos_shm_member, incarnation, 32);
	OFF(fotos_shm_member, index, 40);
	OFF(fotos_shm_member, family, 44);
	OFF(fotos_shm_member, port, 46);
	OFF(fotos_shm_member, addr, 48);
	SIZE(fotos_shm_member, 64);

	OFF(fotos_shm_view, epoch, 0);
	OFF(fotos_shm_view, view_id, 8);
	OFF(fotos_shm_view, net_id, 16);
	OFF(fotos_shm_view, count, 24);
	OFF(fotos_shm_view, flags, 28);
	OFF(fotos_shm_view, members, 32);
	SIZE(fotos_shm_view, 32 + 64 * 64);
	assert_int_equal(offsetof(struct fotos_shm_view, members), 8 * FOTOS_VIEW_HEAD_WORDS);
	/* The count is the low half of head word 3 (little-endian): the
	 * seqlock reader's count_word. */
	assert_int_equal(offsetof(struct fotos_shm_view, count), 8 * 3);
	assert_int_equal(sizeof(struct fotos_shm_view), 8 * FOTOS_VIEW_WORDS);

	OFF(fotos_shm_db, seq, 0);
	OFF(fotos_shm_db, max_keys, 8);
	OFF(fotos_shm_db, max_key_len, 16);
	OFF(fotos_shm_db, max_val_len, 24);
	OFF(fotos_shm_db, nslots, 32);
	OFF(fotos_shm_db, slot_size, 40);
	OFF(fotos_shm_db, nclock, 48);
	OFF(fotos_shm_db, slots_off, 56);
	OFF(fotos_shm_db, nkeys, 64);
	OFF(fotos_shm_db, used, 72);
	SIZE(fotos_shm_db, 80);
	assert_int_equal(FOTOS_SLOT_HASH, 0);
	assert_int_equal(FOTOS_SLOT_LENS, 1);
	assert_int_equal(FOTOS_SLOT_FLAGS, 2);
	assert_int_equal(FOTOS_SLOT_CLOCK, 3);
}

static void test_public_structs(void **state)
{
	(void)state;
	assert_int_equal(FOTOS_MAX_MEMBERS, FOTOS_MAX_NODES);
	assert_int_equal(FOTOS_NAME_LEN, FOTOS_NAME_MAX);

	OFF(fotos_member, name, 0);
	OFF(fotos_member, incarnation, 32);
	OFF(fotos_member, index, 40);
	OFF(fotos_member, family, 44);
	OFF(fotos_member, port, 46);
	OFF(fotos_member, addr, 48);
	SIZE(fotos_member, 64);
	MIRROR(fotos_member, fotos_shm_member, name);
	MIRROR(fotos_member, fotos_shm_member, incarnation);
	MIRROR(fotos_member, fotos_shm_member, index);
	MIRROR(fotos_member, fotos_shm_member, family);
	MIRROR(fotos_member, fotos_shm_member, port);
	MIRROR(fotos_member, fotos_shm_member, addr);

	OFF(fotos_view, epoch, 0);
	OFF(fotos_view, view_id, 8);
	OFF(fotos_view, net_id, 16);
	OFF(fotos_view, count, 24);
	OFF(fotos_view, flags, 28);
	OFF(fotos_view, members, 32);
	SIZE(fotos_view, 4128);
	MIRROR(fotos_view, fotos_shm_view, epoch);
	MIRROR(fotos_view, fotos_shm_view, view_id);
	MIRROR(fotos_view, fotos_shm_view, net_id);
	MIRROR(fotos_view, fotos_shm_view, count);
	MIRROR(fotos_view, fotos_shm_view, flags);
	MIRROR(fotos_view, fotos_shm_view, members);

	OFF(fotos_info, agent_pid, 0);
	OFF(fotos_info, agent_start_ns, 8);
	OFF(fotos_info, node, 16);
	OFF(fotos_info, cluster, 48);
	OFF(fotos_info, control_path, 80);
	SIZE(fotos_info, 192);
	assert_int_equal(sizeof(((struct fotos_info *)0)->control_path), FOTOS_PATH_MAX);

	OFF(fotos_cursor, view, 0);
	OFF(fotos_cursor, stable, 4);
	OFF(fotos_cursor, db, 8);
	OFF(fotos_cursor, state, 12);
	SIZE(fotos_cursor, 16);
}

static void test_layout_default(void **state)
{
	struct shm_layout l;

	(void)state;
	memset(&l, 0xa5, sizeof(l));
	shm_layout_default(&l);
	assert_int_equal(l.doorbell_off, 4096);
	assert_int_equal(l.state_off, 8192);
	assert_int_equal(l.view_off, 12288);
	assert_int_equal(l.db_off, 20480);
	assert_int_equal(l.db_size, 65536);
	assert_int_equal(l.total_size, 86016);

	/* Every region page aligned, in order, and big enough. */
	assert_int_equal(l.doorbell_off % FOTOS_PAGE, 0);
	assert_int_equal(l.state_off % FOTOS_PAGE, 0);
	assert_int_equal(l.view_off % FOTOS_PAGE, 0);
	assert_int_equal(l.db_off % FOTOS_PAGE, 0);
	assert_true(l.state_off - l.doorbell_off >= sizeof(struct fotos_shm_doorbell));
	assert_true(l.view_off - l.state_off >=
		    sizeof(struct fotos_seq_region) + 8 * FOTOS_SW_NWORDS);
	assert_true(l.db_off - l.view_off >=
		    sizeof(struct fotos_seq_region) + sizeof(struct fotos_shm_view));
	assert_true(l.db_size >= sizeof(struct fotos_shm_db));
	assert_int_equal(l.total_size, l.db_off + l.db_size);

	SIZE(shm_layout, 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_node_states),
		cmocka_unit_test(test_hdr),
		cmocka_unit_test(test_doorbell),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_public_structs),
		cmocka_unit_test(test_layout_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
