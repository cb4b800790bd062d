/*
 * Description: unit tests of clientlib/vclock.c, the vector clock library.
 * Exhaustive over small clocks: every clock of 3 nodes with counters 0..2
 * (27 clocks), each also seen with a longer n (zero-extended) and with
 * garbage past n, is compared against a reference; compare is checked for
 * antisymmetry and transitivity over all pairs and triples; merge is the
 * least upper bound (commutative, associative, idempotent, dominates both,
 * below every common upper bound). Increment's limits, the text form
 * (round trip, exact -ENOSPC bound, strict parsing) and the binary form
 * (round trip, exact -ENOSPC bound, every truncation, every one-byte
 * corruption, every malformed encoding -EPROTO) are checked as well.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fotos.h"

#define DIM	3
#define VAL	3
#define NCLK	27	/* VAL^DIM */

/* Clock number k of the small set, with n counters in use (n >= DIM). */
static void small(unsigned int k, uint32_t n, struct fotos_vclock *vc)
{
	unsigned int i;

	fotos_vclock_init(vc, n);
	for (i = 0; i < DIM; i++) {
		vc->c[i] = k % VAL;
		k /= VAL;
	}
}

/* The reference order, written independently of the library. */
static int ref_compare(unsigned int a, unsigned int b)
{
	int le = 1, ge = 1;
	unsigned int i;

	for (i = 0; i < DIM; i++, a /= VAL, b /= VAL) {
		if (a % VAL > b % VAL)
			le = 0;
		if (a % VAL < b % VAL)
			ge = 0;
	}
	if (le && ge)
		return FOTOS_VC_EQUAL;
	if (le)
		return FOTOS_VC_BEFORE;
	if (ge)
		return FOTOS_VC_AFTER;
	return FOTOS_VC_CONCURRENT;
}

static int flip(int o)
{
	return o == FOTOS_VC_BEFORE ? FOTOS_VC_AFTER : o == FOTOS_VC_AFTER ? FOTOS_VC_BEFORE : o;
}

/* b equals or dominates a */
static int le(const struct fotos_vclock *a, const struct fotos_vclock *b)
{
	int o = fotos_vclock_compare(a, b);

	return o == FOTOS_VC_EQUAL || o == FOTOS_VC_BEFORE;
}

/* Same counters (missing ones as zero), whatever n says. */
static void assert_same(const struct fotos_vclock *a, const struct fotos_vclock *b)
{
	uint32_t i;

	for (i = 0; i < FOTOS_MAX_MEMBERS; i++) {
		uint64_t x = i < a->n ? a->c[i] : 0, y = i < b->n ? b->c[i] : 0;

		assert_true(x == y);
	}
}

static void test_init(void **state)
{
	struct fotos_vclock vc;

	(void)state;
	memset(&vc, 0xff, sizeof(vc));
	fotos_vclock_init(&vc, 5);
	assert_int_equal(vc.n, 5);
	assert_int_equal(vc.pad, 0);
	for (int i = 0; i < FOTOS_MAX_MEMBERS; i++)
		assert_true(vc.c[i] == 0);
	fotos_vclock_init(&vc, 1000);
	assert_int_equal(vc.n, FOTOS_MAX_MEMBERS);
}

/* Every pair against the reference, with n = 3, 3 vs 7, and garbage past n. */
static void test_compare_all_pairs(void **state)
{
	struct fotos_vclock a, b, bx, g;
	unsigned int i, j;

	(void)state;
	for (i = 0; i < NCLK; i++)
		for (j = 0; j < NCLK; j++) {
			int want = ref_compare(i, j);

			small(i, DIM, &a);
			small(j, DIM, &b);
			assert_int_equal(fotos_vclock_compare(&a, &b), want);
			/* antisymmetry */
			assert_int_equal(fotos_vclock_compare(&b, &a), flip(want));
			/* zero-extended: a longer n changes nothing, either side */
			small(j, 7, &bx);
			assert_int_equal(fotos_vclock_compare(&a, &bx), want);
			assert_int_equal(fotos_vclock_compare(&bx, &a), flip(want));
			/* counters past n are not counters */
			g = a;
			g.c[DIM] = 5;
			g.c[63] = 9;
			assert_int_equal(fotos_vclock_compare(&g, &b), want);
			assert_int_equal(fotos_vclock_compare(&b, &g), flip(want));
			/* a counter past the other's n that is non-zero */
			bx.c[5] = 1;
			assert_int_equal(fotos_vclock_compare(&bx, &a),
					 want == FOTOS_VC_EQUAL || want == FOTOS_VC_BEFORE
						 ? FOTOS_VC_AFTER : FOTOS_VC_CONCURRENT);
		}
	/* n 0 vs anything */
	fotos_vclock_init(&a, 0);
	small(0, DIM, &b);
	assert_int_equal(fotos_vclock_compare(&a, &b), FOTOS_VC_EQUAL);
	small(1, DIM, &b);
	assert_int_equal(fotos_vclock_compare(&a, &b), FOTOS_VC_BEFORE);
	assert_int_equal(fotos_vclock_compare(&b, &a), FOTOS_VC_AFTER);
	/* the full width and the largest counter */
	fotos_vclock_init(&a, FOTOS_MAX_MEMBERS);
	fotos_vclock_init(&b, FOTOS_MAX_MEMBERS);
	a.c[63] = UINT64_MAX;
	b.c[63] = UINT64_MAX - 1;
	assert_int_equal(fotos_vclock_compare(&a, &b), FOTOS_VC_AFTER);
	b.c[0] = 1;
	assert_int_equal(fotos_vclock_compare(&a, &b), FOTOS_VC_CONCURRENT);
}

/* BEFORE is transitive, EQUAL too; and a < b, b || c never gives c < a. */
static void test_compare_transitive(void **state)
{
	struct fotos_vclock a, b, c;
	unsigned int i, j, k;

	(void)state;
	for (i = 0; i < NCLK; i++)
		for (j = 0; j < NCLK; j++)
			for (k = 0; k < NCLK; k++) {
				int ab, bc, ac;

				small(i, DIM, &a);
				small(j, DIM + (k & 1), &b);
				small(k, DIM + 2 * (i & 1), &c);
				ab = fotos_vclock_compare(&a, &b);
				bc = fotos_vclock_compare(&b, &c);
				ac = fotos_vclock_compare(&a, &c);
				if (ab == FOTOS_VC_BEFORE && bc == FOTOS_VC_BEFORE)
					assert_int_equal(ac, FOTOS_VC_BEFORE);
				if (ab == FOTOS_VC_EQUAL)
					assert_int_equal(ac, bc);
				if ((ab == FOTOS_VC_BEFORE || ab == FOTOS_VC_EQUAL) &&
				    (bc == FOTOS_VC_BEFORE || bc == FOTOS_VC_EQUAL))
					assert_true(ac == FOTOS_VC_BEFORE || ac == FOTOS_VC_EQUAL);
			}
}

/* The pointwise maximum, by hand. */
static void ref_merge(unsigned int i, unsigned int j, struct fotos_vclock *out)
{
	struct fotos_vclock a, b;
	unsigned int k;

	small(i, DIM, &a);
	small(j, DIM, &b);
	fotos_vclock_init(out, DIM);
	for (k = 0; k < DIM; k++)
		out->c[k] = a.c[k] > b.c[k] ? a.c[k] : b.c[k];
}

static void test_merge_lub(void **state)
{
	struct fotos_vclock a, b, m, m2, r, c, x, y;
	unsigned int i, j, k;

	(void)state;
	for (i = 0; i < NCLK; i++)
		for (j = 0; j < NCLK; j++) {
			small(i, DIM, &a);
			small(j, DIM, &b);
			m = a;
			fotos_vclock_merge(&m, &b);
			ref_merge(i, j, &r);
			assert_same(&m, &r);
			assert_int_equal(fotos_vclock_compare(&m, &r), FOTOS_VC_EQUAL);
			/* b is not changed */
			small(j, DIM, &c);
			assert_memory_equal(&b, &c, sizeof(b));
			/* commutative */
			m2 = b;
			fotos_vclock_merge(&m2, &a);
			assert_int_equal(fotos_vclock_compare(&m, &m2), FOTOS_VC_EQUAL);
			/* dominates both */
			assert_true(le(&a, &m));
			assert_true(le(&b, &m));
			/* idempotent */
			m2 = m;
			fotos_vclock_merge(&m2, &m);
			assert_memory_equal(&m2, &m, sizeof(m));
			m2 = m;
			fotos_vclock_merge(&m2, &a);
			assert_int_equal(fotos_vclock_compare(&m2, &m), FOTOS_VC_EQUAL);
			/* least: below every upper bound of both; associative */
			for (k = 0; k < NCLK; k++) {
				small(k, DIM, &c);
				if (le(&a, &c) && le(&b, &c))
					assert_true(le(&m, &c));
				x = a;
				fotos_vclock_merge(&x, &b);
				fotos_vclock_merge(&x, &c);
				y = b;
				fotos_vclock_merge(&y, &c);
				m2 = a;
				fotos_vclock_merge(&m2, &y);
				assert_int_equal(fotos_vclock_compare(&x, &m2), FOTOS_VC_EQUAL);
			}
		}
}

/* Different n: the shorter is zero-extended; garbage past a's n is not kept. */
static void test_merge_lengths(void **state)
{
	struct fotos_vclock a, b;

	(void)state;
	fotos_vclock_init(&a, 2);
	a.c[0] = 4;
	a.c[1] = 1;
	a.c[2] = 99;		/* past n: not a counter */
	a.c[40] = 77;
	fotos_vclock_init(&b, 5);
	b.c[1] = 3;
	b.c[2] = 1;
	fotos_vclock_merge(&a, &b);
	assert_int_equal(a.n, 5);
	assert_true(a.c[0] == 4 && a.c[1] == 3 && a.c[2] == 1 && a.c[3] == 0 && a.c[4] == 0);
	/* merging a shorter one keeps n and the tail */
	fotos_vclock_init(&b, 1);
	b.c[0] = 9;
	fotos_vclock_merge(&a, &b);
	assert_int_equal(a.n, 5);
	assert_true(a.c[0] == 9 && a.c[1] == 3 && a.c[2] == 1);
	/* into an empty clock */
	fotos_vclock_init(&b, 0);
	fotos_vclock_merge(&b, &a);
	assert_int_equal(fotos_vclock_compare(&a, &b), FOTOS_VC_EQUAL);
	assert_int_equal(b.n, 5);
	/* the full width */
	fotos_vclock_init(&a, 0);
	fotos_vclock_init(&b, FOTOS_MAX_MEMBERS);
	b.c[63] = UINT64_MAX;
	fotos_vclock_merge(&a, &b);
	assert_int_equal(a.n, FOTOS_MAX_MEMBERS);
	assert_true(a.c[63] == UINT64_MAX);
}

static void test_increment(void **state)
{
	struct fotos_vclock vc, before;
	unsigned int node;

	(void)state;
	fotos_vclock_init(&vc, 0);
	assert_int_equal(fotos_vclock_increment(&vc, 2), 0);
	assert_int_equal(vc.n, 3);
	assert_true(vc.c[0] == 0 && vc.c[1] == 0 && vc.c[2] == 1);
	assert_int_equal(fotos_vclock_increment(&vc, 2), 0);
	assert_true(vc.c[2] == 2);
	assert_int_equal(fotos_vclock_increment(&vc, 0), 0);
	assert_int_equal(vc.n, 3);
	assert_true(vc.c[0] == 1);

	/* growing n clears garbage that was past it */
	fotos_vclock_init(&vc, 1);
	vc.c[1] = 50;
	vc.c[3] = 60;
	assert_int_equal(fotos_vclock_increment(&vc, 3), 0);
	assert_int_equal(vc.n, 4);
	assert_true(vc.c[1] == 0 && vc.c[2] == 0 && vc.c[3] == 1);

	/* every node: the new clock is AFTER the old and differs in one place */
	for (node = 0; node < FOTOS_MAX_MEMBERS; node++) {
		fotos_vclock_init(&vc, 4);
		vc.c[0] = 7;
		before = vc;
		assert_int_equal(fotos_vclock_increment(&vc, node), 0);
		assert_int_equal(fotos_vclock_compare(&vc, &before), FOTOS_VC_AFTER);
		assert_int_equal(vc.n, node >= 4 ? node + 1 : 4);
		assert_true(vc.c[node] == (node == 0 ? 8 : 1));
	}

	/* node >= 64 */
	fotos_vclock_init(&vc, 3);
	before = vc;
	assert_int_equal(fotos_vclock_increment(&vc, 64), -EINVAL);
	assert_int_equal(fotos_vclock_increment(&vc, 1000), -EINVAL);
	assert_int_equal(fotos_vclock_increment(&vc, UINT32_MAX), -EINVAL);
	assert_memory_equal(&vc, &before, sizeof(vc));

	/* overflow: refused, nothing changed */
	fotos_vclock_init(&vc, 64);
	vc.c[63] = UINT64_MAX - 1;
	assert_int_equal(fotos_vclock_increment(&vc, 63), 0);
	assert_true(vc.c[63] == UINT64_MAX);
	before = vc;
	assert_int_equal(fotos_vclock_increment(&vc, 63), -EOVERFLOW);
	assert_memory_equal(&vc, &before, sizeof(vc));
	fotos_vclock_init(&vc, 1);
	vc.c[0] = UINT64_MAX;
	before = vc;
	assert_int_equal(fotos_vclock_increment(&vc, 0), -EOVERFLOW);
	assert_memory_equal(&vc, &before, sizeof(vc));
}

/* Text: round trip, exact size, then refusals. */
static void round_trip_text(const struct fotos_vclock *vc, const char *want)
{
	char buf[64 * 32], again[64 * 32];
	struct fotos_vclock p;
	size_t need, l;

	assert_int_equal(fotos_vclock_format(vc, buf, sizeof(buf)), 0);
	if (want)
		assert_string_equal(buf, want);
	memset(&p, 0xab, sizeof(p));
	assert_int_equal(fotos_vclock_parse(&p, buf), 0);
	assert_int_equal(fotos_vclock_compare(&p, vc), FOTOS_VC_EQUAL);
	assert_same(&p, vc);
	assert_true(p.n <= FOTOS_MAX_MEMBERS);
	assert_int_equal(fotos_vclock_format(&p, again, sizeof(again)), 0);
	assert_string_equal(again, buf);
	/* every buffer one byte short of the text and its NUL: -ENOSPC */
	need = strlen(buf) + 1;
	for (l = 0; l < need; l++) {
		char *small_buf = malloc(l ? l : 1);

		assert_non_null(small_buf);
		assert_int_equal(fotos_vclock_format(vc, small_buf, l), -ENOSPC);
		free(small_buf);
	}
	{
		char *exact = malloc(need);

		assert_non_null(exact);
		assert_int_equal(fotos_vclock_format(vc, exact, need), 0);
		assert_string_equal(exact, buf);
		free(exact);
	}
}

static void test_text_round_trip(void **state)
{
	struct fotos_vclock vc;
	unsigned int k, i;

	(void)state;
	for (k = 0; k < NCLK; k++) {
		small(k, DIM, &vc);
		round_trip_text(&vc, k == 0 ? "-" : NULL);
		small(k, 9, &vc);
		round_trip_text(&vc, NULL);
	}
	fotos_vclock_init(&vc, 0);
	round_trip_text(&vc, "-");
	fotos_vclock_init(&vc, 6);
	vc.c[0] = 1;
	vc.c[2] = 12;
	vc.c[5] = 3;
	round_trip_text(&vc, "0:1,2:12,5:3");
	vc.c[7] = 5;		/* past n: not written */
	round_trip_text(&vc, "0:1,2:12,5:3");
	fotos_vclock_init(&vc, FOTOS_MAX_MEMBERS);
	vc.c[63] = UINT64_MAX;
	round_trip_text(&vc, "63:18446744073709551615");
	/* the longest text there is: 64 counters at the maximum */
	for (i = 0; i < FOTOS_MAX_MEMBERS; i++)
		vc.c[i] = UINT64_MAX - i;
	round_trip_text(&vc, NULL);
}

static void test_parse_strict(void **state)
{
	static const char *const bad[] = {
		"", "1", "1:", ":1", ":", "1:0", "0:0", "2:1,1:1", "1:1,1:2", "1:1,1:1",
		"64:1", "65:1", "100:1", "4294967296:1", "18446744073709551616:1",
		"99999999999999999999999:1", "1:18446744073709551616",
		"1:99999999999999999999999", "a", "a:1", "1:a", "1:1a", "1a:1", "1:1,",
		",1:1", "1:1,,2:1", " 1:1", "1:1 ", "1 :1", "1: 1", "+1:1", "1:+1",
		"-1:1", "1:-1", "--", "-1", "- ", "-,", "1:1;2:1", "1:1:1", "1::1",
		"0x1:1", "1:0x1", "1:1\n", "1:1,2", "1:1,2:", "1:1,:2", "\t1:1", "1.0:1",
		"1:1.0", "1:1e3", "3:1,2:1,4:1", "0:1,0:1",
	};
	struct fotos_vclock vc, keep;
	size_t i;

	(void)state;
	fotos_vclock_init(&keep, 4);
	keep.c[1] = 42;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret;

		vc = keep;
		ret = fotos_vclock_parse(&vc, bad[i]);
		if (ret != -EINVAL)
			fail_msg("parse(\"%s\") = %d, want -EINVAL", bad[i], ret);
		/* a refused parse leaves the clock alone */
		assert_memory_equal(&vc, &keep, sizeof(vc));
	}
	/* the limits that are fine */
	assert_int_equal(fotos_vclock_parse(&vc, "63:18446744073709551615"), 0);
	assert_true(vc.c[63] == UINT64_MAX);
	assert_int_equal(fotos_vclock_parse(&vc, "0:1"), 0);
	assert_int_equal(vc.n, 1);
	assert_int_equal(fotos_vclock_parse(&vc, "-"), 0);
	assert_int_equal(vc.n, 0);
}

/* Leading zeros are not what format writes: strict means refused. */
static void test_parse_canonical(void **state)
{
	static const char *const bad[] = { "01:1", "1:01", "00:1", "0:00", "1:1,02:1" };
	struct fotos_vclock vc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = fotos_vclock_parse(&vc, bad[i]);

		if (ret != -EINVAL)
			fail_msg("parse(\"%s\") = %d, want -EINVAL (not canonical)", bad[i], ret);
	}
}

/* Binary: encode/decode round trip with exact sizes. */
static void round_trip_bin(const struct fotos_vclock *vc)
{
	uint8_t buf[1 + 9 * 64], again[1 + 9 * 64];
	struct fotos_vclock d;
	uint32_t i, nz = 0;
	size_t l;
	int n;

	for (i = 0; i < vc->n; i++)
		nz += vc->c[i] != 0;
	n = fotos_vclock_encode(vc, buf, sizeof(buf));
	assert_int_equal(n, 1 + 9 * (int)nz);
	assert_int_equal(buf[0], nz);
	memset(&d, 0xcd, sizeof(d));
	assert_int_equal(fotos_vclock_decode(&d, buf, (size_t)n), n);
	assert_int_equal(fotos_vclock_compare(&d, vc), FOTOS_VC_EQUAL);
	assert_same(&d, vc);
	assert_int_equal(fotos_vclock_encode(&d, again, sizeof(again)), n);
	assert_memory_equal(again, buf, (size_t)n);
	/* trailing bytes are not read: decode says how many it used */
	{
		uint8_t *longer = malloc((size_t)n + 3);

		assert_non_null(longer);
		memcpy(longer, buf, (size_t)n);
		memset(longer + n, 0x77, 3);
		assert_int_equal(fotos_vclock_decode(&d, longer, (size_t)n + 3), n);
		free(longer);
	}
	/* every buffer too small: -ENOSPC, untouched; exact: fits */
	for (l = 0; l < (size_t)n; l++) {
		uint8_t *b = malloc(l ? l : 1);

		assert_non_null(b);
		memset(b, 0xee, l ? l : 1);
		assert_int_equal(fotos_vclock_encode(vc, b, l), -ENOSPC);
		if (l)
			assert_int_equal(b[0], 0xee);
		free(b);
	}
	{
		uint8_t *b = malloc((size_t)n);

		assert_non_null(b);
		assert_int_equal(fotos_vclock_encode(vc, b, (size_t)n), n);
		assert_memory_equal(b, buf, (size_t)n);
		/* every proper prefix of the encoding: -EPROTO */
		for (l = 0; l < (size_t)n; l++) {
			uint8_t *p = malloc(l ? l : 1);

			assert_non_null(p);
			memcpy(p, b, l);
			d = *vc;
			assert_int_equal(fotos_vclock_decode(&d, p, l), -EPROTO);
			assert_memory_equal(&d, vc, sizeof(d));	/* untouched */
			free(p);
		}
		free(b);
	}
}

static void test_binary_round_trip(void **state)
{
	struct fotos_vclock vc;
	unsigned int k, i;

	(void)state;
	for (k = 0; k < NCLK; k++) {
		small(k, DIM, &vc);
		round_trip_bin(&vc);
		small(k, 11, &vc);
		vc.c[20] = 5;	/* past n: not encoded */
		round_trip_bin(&vc);
	}
	fotos_vclock_init(&vc, 0);
	round_trip_bin(&vc);
	fotos_vclock_init(&vc, FOTOS_MAX_MEMBERS);
	for (i = 0; i < FOTOS_MAX_MEMBERS; i++)
		vc.c[i] = UINT64_MAX - 3 * i;
	round_trip_bin(&vc);
	fotos_vclock_init(&vc, FOTOS_MAX_MEMBERS);
	vc.c[63] = 0x0102030405060708ULL;
	round_trip_bin(&vc);
}

/* The byte layout: u8 count, then (u8 node, u64 LE counter). */
static void test_binary_layout(void **state)
{
	static const uint8_t want[] = {
		2, 1, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		63, 0xff, 0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t buf[64];
	struct fotos_vclock vc;

	(void)state;
	fotos_vclock_init(&vc, 64);
	vc.c[1] = 0x0102030405060708ULL;
	vc.c[63] = 0xff;
	assert_int_equal(fotos_vclock_encode(&vc, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	fotos_vclock_init(&vc, 0);
	assert_int_equal(fotos_vclock_encode(&vc, buf, 1), 1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(fotos_vclock_encode(&vc, buf, 0), -ENOSPC);
}

static void decode_bad(const uint8_t *b, size_t len)
{
	struct fotos_vclock vc, keep;
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, b, len);
	fotos_vclock_init(&keep, 2);
	keep.c[0] = 3;
	vc = keep;
	assert_int_equal(fotos_vclock_decode(&vc, p, len), -EPROTO);
	assert_memory_equal(&vc, &keep, sizeof(vc));
	free(p);
}

#define ENT(node, c) (node), (c), 0, 0, 0, 0, 0, 0, 0

static void test_binary_malformed(void **state)
{
	static const uint8_t empty[1] = { 0 };
	static const uint8_t count65[1 + 9 * 65] = { 65 };
	static const uint8_t count255[1] = { 255 };
	static const uint8_t short1[] = { 1, ENT(0, 1) };	/* cut below */
	static const uint8_t count2_has1[] = { 2, ENT(0, 1) };
	static const uint8_t unsorted[] = { 2, ENT(3, 1), ENT(1, 1) };
	static const uint8_t repeated[] = { 2, ENT(1, 1), ENT(1, 2) };
	static const uint8_t zero[] = { 1, ENT(1, 0) };
	static const uint8_t zero2[] = { 2, ENT(1, 5), ENT(2, 0) };
	static const uint8_t node64[] = { 1, ENT(64, 1) };
	static const uint8_t node255[] = { 1, ENT(255, 1) };
	struct fotos_vclock vc;
	uint8_t full[1 + 9 * 64];
	unsigned int i;

	(void)state;
	decode_bad(empty, 0);
	decode_bad(count65, sizeof(count65));
	decode_bad(count255, sizeof(count255));
	decode_bad(short1, sizeof(short1) - 1);
	decode_bad(count2_has1, sizeof(count2_has1));
	decode_bad(unsorted, sizeof(unsorted));
	decode_bad(repeated, sizeof(repeated));
	decode_bad(zero, sizeof(zero));
	decode_bad(zero2, sizeof(zero2));
	decode_bad(node64, sizeof(node64));
	decode_bad(node255, sizeof(node255));
	/* 64 entries is the most there can be */
	full[0] = 64;
	for (i = 0; i < 64; i++) {
		full[1 + 9 * i] = (uint8_t)i;
		memset(full + 2 + 9 * i, 0, 8);
		full[2 + 9 * i] = (uint8_t)(i + 1);
	}
	assert_int_equal(fotos_vclock_decode(&vc, full, sizeof(full)), (int)sizeof(full));
	assert_int_equal(vc.n, 64);
	assert_true(vc.c[63] == 64);
	/* the same with one node out of order */
	full[1 + 9 * 10] = 9;
	decode_bad(full, sizeof(full));
	/* count 0 is the zero clock */
	assert_int_equal(fotos_vclock_decode(&vc, empty, 1), 1);
	assert_int_equal(vc.n, 0);
}

/* Every byte of encodings set to every value: -EPROTO, or a clock that
 * encodes back to exactly those bytes. */
static void test_binary_corrupt(void **state)
{
	struct fotos_vclock vc, d, keep;
	uint8_t buf[64], out[1 + 9 * 64];
	unsigned int k, pos, v;
	int n, ret;

	(void)state;
	fotos_vclock_init(&keep, 1);
	for (k = 1; k < NCLK; k += 4) {
		small(k, DIM, &vc);
		n = fotos_vclock_encode(&vc, buf, sizeof(buf));
		assert_true(n > 0);
		for (pos = 0; pos < (unsigned int)n; pos++) {
			uint8_t orig = buf[pos];

			for (v = 0; v < 256; v++) {
				buf[pos] = (uint8_t)v;
				d = keep;
				ret = fotos_vclock_decode(&d, buf, (size_t)n);
				if (ret < 0) {
					assert_int_equal(ret, -EPROTO);
					assert_memory_equal(&d, &keep, sizeof(d));
					continue;
				}
				/* a smaller count reads a prefix */
				assert_true(ret <= n);
				assert_int_equal(fotos_vclock_encode(&d, out, sizeof(out)), ret);
				assert_memory_equal(out, buf, (size_t)ret);
			}
			buf[pos] = orig;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_compare_all_pairs),
		cmocka_unit_test(test_compare_transitive),
		cmocka_unit_test(test_merge_lub),
		cmocka_unit_test(test_merge_lengths),
		cmocka_unit_test(test_increment),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_parse_canonical),
		cmocka_unit_test(test_binary_round_trip),
		cmocka_unit_test(test_binary_layout),
		cmocka_unit_test(test_binary_malformed),
		cmocka_unit_test(test_binary_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
