/*
 * txn.c - transactions and rendezvous from the client's side: one request
 * line on the handle's kept control connection, answered with the
 * decision (agent/txn.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"

#define TXN_LINE	(120 * 1024)	/* under the agent's 128 KiB line limit */
#define TXN_MAX_OPS	256
#define RDV_GRACE_MS	5000		/* a round decided at its deadline is answered after it */

static char *put_hex(char *o, const void *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		*o++ = d[b[i] >> 4];
		*o++ = d[b[i] & 15];
	}
	return o;
}

static int group_ok(const char *g)
{
	size_t n, i;

	if (!g)
		return 0;
	n = strlen(g);
	if (!n || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (g[i] < 0x21 || g[i] > 0x7e)
			return 0;
	return 1;
}

static void res_reset(struct fotos_txn_result *res)
{
	res->op = -1;
	res->detail[0] = 0;
}

/* The agent's words into res; the operation an abort names ("op N"). */
static void res_fill(struct fotos_txn_result *res, const char *resp)
{
	const char *o = strstr(resp, "op ");

	snprintf(res->detail, sizeof(res->detail), "%.*s", (int)sizeof(res->detail) - 1, resp);
	res->op = -1;
	if (o && o[3] >= '0' && o[3] <= '9')
		res->op = atoi(o + 3);
}

/* The clocks of a commit ("committed ops=N clock=C clock=C ...") into ops. */
static void parse_clocks(const char *resp, const struct fotos_txn_op *ops, size_t n)
{
	const char *c = resp;
	size_t i;

	for (i = 0; i < n && (c = strstr(c, "clock=")); i++) {
		char buf[64 * 24];
		size_t len;

		c += 6;
		len = strcspn(c, " ");
		if (len >= sizeof(buf))
			break;
		memcpy(buf, c, len);
		buf[len] = 0;
		if (ops[i].clock && fotos_vclock_parse(ops[i].clock, buf) < 0)
			fotos_vclock_init(ops[i].clock, 0);
		c += len;
	}
}

int fotos_txn_group(struct fotos *h, const char *group, const struct fotos_txn_op *ops,
		    size_t n, struct fotos_txn_result *res, int timeout_ms)
{
	struct fotos_txn_result tmp;
	char *req, *o, *resp;
	size_t i;
	int ret;

	if (!res)
		res = &tmp;
	res_reset(res);
	if ((group && !group_ok(group)) || (!n && !group) || n > TXN_MAX_OPS || (n && !ops) ||
	    timeout_ms == 0)
		return -EINVAL;
	req = malloc(TXN_LINE + 512);
	resp = malloc(128 * 1024);
	if (!req || !resp) {
		ret = -ENOMEM;
		goto out;
	}
	o = req + sprintf(req, "txn");
	if (group)
		o += sprintf(o, " group=%s", group);
	if (timeout_ms > 0)
		o += sprintf(o, " timeout=%d", timeout_ms);
	for (i = 0; i < n; i++) {
		const struct fotos_txn_op *op = &ops[i];
		int del = !!(op->flags & FOTOS_TXN_DEL);
		size_t need = 16 + 2 * op->klen + (del ? 0 : 2 * op->vlen) + 64 * 24;

		if (!op->klen || op->klen > FOTOS_DB_MAX_KEY || (!del && op->vlen > FOTOS_DB_MAX_VAL) ||
		    (op->flags & ~(FOTOS_TXN_DEL | FOTOS_TXN_IF_ABSENT)) ||
		    ((op->flags & FOTOS_TXN_IF_ABSENT) && op->expect)) {
			res->op = (int)i;
			snprintf(res->detail, sizeof(res->detail), "op %zu: bad key, value or flags", i);
			ret = op->klen && op->klen <= FOTOS_DB_MAX_KEY && op->vlen > FOTOS_DB_MAX_VAL ?
			      -E2BIG : -EINVAL;
			goto out;
		}
		if ((size_t)(o - req) + need > TXN_LINE) {
			res->op = (int)i;
			snprintf(res->detail, sizeof(res->detail), "the operations do not fit one request");
			ret = -E2BIG;
			goto out;
		}
		o += sprintf(o, "%s%s ", i ? ";" : " ", del ? "del" : "put");
		o = put_hex(o, op->key, op->klen);
		if (!del) {
			*o++ = ' ';
			if (op->vlen)
				o = put_hex(o, op->val, op->vlen);
			else
				*o++ = '-';
		}
		if (op->flags & FOTOS_TXN_IF_ABSENT) {
			o += sprintf(o, " if=absent");
		} else if (op->expect) {
			o += sprintf(o, " if=");
			if (fotos_vclock_format(op->expect, o, 64 * 24) < 0 || !strcmp(o, "-")) {
				res->op = (int)i;
				snprintf(res->detail, sizeof(res->detail), "op %zu: an empty expected clock "
					 "(use FOTOS_TXN_IF_ABSENT)", i);
				ret = -EINVAL;
				goto out;
			}
			o += strlen(o);
		}
	}
	*o++ = '\n';
	ret = __fotos_ctl_call(h, req, (size_t)(o - req), resp, 128 * 1024,
			       timeout_ms < 0 ? -1 : timeout_ms + RDV_GRACE_MS);
	res_fill(res, resp);
	if (ret == 0)
		parse_clocks(resp, ops, n);
out:
	free(req);
	free(resp);
	return ret;
}

int fotos_txn(struct fotos *h, const struct fotos_txn_op *ops, size_t n,
	      struct fotos_txn_result *res, int timeout_ms)
{
	return fotos_txn_group(h, NULL, ops, n, res, timeout_ms);
}

/* One short request about a group: "VERB GROUP[ REST]". */
static int group_call(struct fotos *h, const char *verb, const char *group, const char *rest,
		      struct fotos_txn_result *res, int timeout_ms)
{
	struct fotos_txn_result tmp;
	char req[160], resp[1024];
	int n, ret;

	if (!res)
		res = &tmp;
	res_reset(res);
	if (!group_ok(group))
		return -EINVAL;
	n = snprintf(req, sizeof(req), "%s %s%s\n", verb, group, rest);
	ret = __fotos_ctl_call(h, req, (size_t)n, resp, sizeof(resp), timeout_ms);
	snprintf(res->detail, sizeof(res->detail), "%.*s", (int)sizeof(res->detail) - 1, resp);
	return ret;
}

int fotos_rdv_join(struct fotos *h, const char *group)
{
	return group_call(h, "rdv-join", group, "", NULL, 5000);
}

int fotos_rdv_leave(struct fotos *h, const char *group)
{
	return group_call(h, "rdv-leave", group, "", NULL, 5000);
}

static int rendezvous(struct fotos *h, const char *group, int timeout_ms, int veto,
		      struct fotos_txn_result *res)
{
	char rest[48];

	if (timeout_ms <= 0)
		return -EINVAL;
	snprintf(rest, sizeof(rest), " %d%s", timeout_ms, veto ? " no" : "");
	return group_call(h, "rendezvous", group, rest, res, timeout_ms + RDV_GRACE_MS);
}

int fotos_rendezvous(struct fotos *h, const char *group, int timeout_ms,
		     struct fotos_txn_result *res)
{
	return rendezvous(h, group, timeout_ms, 0, res);
}

int fotos_rendezvous_veto(struct fotos *h, const char *group, int timeout_ms,
			  struct fotos_txn_result *res)
{
	return rendezvous(h, group, timeout_ms, 1, res);
}
