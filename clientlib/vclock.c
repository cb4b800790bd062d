/*
 * vclock.c - vector clocks: compare, merge, increment, text and binary
 * encodings. Dense counters indexed by node; absent counters are zero.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fotos.h"

void fotos_vclock_init(struct fotos_vclock *vc, uint32_t n)
{
	memset(vc, 0, sizeof(*vc));
	vc->n = n > FOTOS_MAX_MEMBERS ? FOTOS_MAX_MEMBERS : n;
}

static uint64_t at(const struct fotos_vclock *vc, uint32_t i)
{
	return i < vc->n && i < FOTOS_MAX_MEMBERS ? vc->c[i] : 0;
}

int fotos_vclock_compare(const struct fotos_vclock *a, const struct fotos_vclock *b)
{
	uint32_t i, n = a->n > b->n ? a->n : b->n;
	int less = 0, more = 0;

	if (n > FOTOS_MAX_MEMBERS)
		n = FOTOS_MAX_MEMBERS;
	for (i = 0; i < n; i++) {
		uint64_t x = at(a, i), y = at(b, i);

		less |= x < y;
		more |= x > y;
	}
	if (less && more)
		return FOTOS_VC_CONCURRENT;
	if (less)
		return FOTOS_VC_BEFORE;
	if (more)
		return FOTOS_VC_AFTER;
	return FOTOS_VC_EQUAL;
}

void fotos_vclock_merge(struct fotos_vclock *a, const struct fotos_vclock *b)
{
	uint32_t i, n = b->n > FOTOS_MAX_MEMBERS ? FOTOS_MAX_MEMBERS : b->n;

	for (i = 0; i < n; i++) {
		uint64_t y = b->c[i];

		if (i >= a->n) {
			a->c[i] = 0;
		}
		if (y > a->c[i])
			a->c[i] = y;
	}
	if (n > a->n)
		a->n = n;
}

int fotos_vclock_increment(struct fotos_vclock *vc, uint32_t node)
{
	uint32_t i;

	if (node >= FOTOS_MAX_MEMBERS)
		return -EINVAL;
	for (i = vc->n; i <= node; i++)
		vc->c[i] = 0;
	if (node >= vc->n)
		vc->n = node + 1;
	if (vc->c[node] == UINT64_MAX)
		return -EOVERFLOW;
	vc->c[node]++;
	return 0;
}

int fotos_vclock_format(const struct fotos_vclock *vc, char *buf, size_t len)
{
	size_t off = 0;
	uint32_t i;
	int n;

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	for (i = 0; i < vc->n && i < FOTOS_MAX_MEMBERS; i++) {
		if (!vc->c[i])
			continue;
		n = snprintf(buf + off, len - off, "%s%u:%llu", off ? "," : "", i,
			     (unsigned long long)vc->c[i]);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	if (!off) {
		if (len < 2)
			return -ENOSPC;
		strcpy(buf, "-");
	}
	return 0;
}

int fotos_vclock_parse(struct fotos_vclock *vc, const char *s)
{
	struct fotos_vclock t;
	int last = -1;

	fotos_vclock_init(&t, 0);
	if (!strcmp(s, "-")) {
		*vc = t;
		return 0;
	}
	if (!*s)
		return -EINVAL;		/* "" is not a clock; the zero clock is "-" */
	while (*s) {
		unsigned long node;
		unsigned long long cnt;
		char *end;

		/* digits only, no leading zero: just what format writes */
		if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
			return -EINVAL;
		node = strtoul(s, &end, 10);
		if (*end != ':' || node >= FOTOS_MAX_MEMBERS || (long)node <= last)
			return -EINVAL;
		s = end + 1;
		if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
			return -EINVAL;
		errno = 0;
		cnt = strtoull(s, &end, 10);
		if (errno || cnt == 0)
			return -EINVAL;
		t.c[node] = cnt;
		t.n = (uint32_t)node + 1;
		last = (int)node;
		s = end;
		if (*s == ',') {
			s++;
			if (!*s)
				return -EINVAL;
		} else if (*s) {
			return -EINVAL;
		}
	}
	*vc = t;
	return 0;
}

int fotos_vclock_encode(const struct fotos_vclock *vc, uint8_t *buf, size_t len)
{
	size_t off = 1;
	uint32_t i, cnt = 0;
	int k;

	for (i = 0; i < vc->n && i < FOTOS_MAX_MEMBERS; i++)
		cnt += vc->c[i] != 0;
	if (len < 1 + 9 * (size_t)cnt)
		return -ENOSPC;
	buf[0] = (uint8_t)cnt;
	for (i = 0; i < vc->n && i < FOTOS_MAX_MEMBERS; i++) {
		if (!vc->c[i])
			continue;
		buf[off++] = (uint8_t)i;
		for (k = 0; k < 8; k++)
			buf[off++] = (uint8_t)(vc->c[i] >> (8 * k));
	}
	return (int)off;
}

int fotos_vclock_decode(struct fotos_vclock *vc, const uint8_t *buf, size_t len)
{
	struct fotos_vclock t;
	size_t off = 1;
	uint32_t i, cnt;
	int k, last = -1;

	if (len < 1)
		return -EPROTO;
	cnt = buf[0];
	if (cnt > FOTOS_MAX_MEMBERS || len < 1 + 9 * (size_t)cnt)
		return -EPROTO;
	fotos_vclock_init(&t, 0);
	for (i = 0; i < cnt; i++) {
		uint8_t node = buf[off++];
		uint64_t c = 0;

		if (node >= FOTOS_MAX_MEMBERS || (int)node <= last)
			return -EPROTO;
		for (k = 0; k < 8; k++)
			c |= (uint64_t)buf[off++] << (8 * k);
		if (!c)
			return -EPROTO;
		t.c[node] = c;
		t.n = node + 1u;
		last = node;
	}
	*vc = t;
	return (int)off;
}
