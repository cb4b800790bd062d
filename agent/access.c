/*
 * access.c - who may read the segment and who may write through the agent.
 *
 * Reading: the segment is mode 0640, owned by the agent's user and by the
 * configured group (or the agent's own group), so only they map it.
 * Writing: every control client is identified by the kernel (SO_PEERCRED,
 * SO_PEERGROUPS: what it was when it connected, not what it claims). Root,
 * the agent's own user, the listed users and members of the listed groups
 * may change things; members of the segment's group may only read (ping,
 * status, peers, get, dbstat, help) and are told why a write is refused;
 * anyone else is refused at connect (what they could learn there is what
 * the segment's mode keeps from them).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int lookup_user(const char *name, uid_t *out)
{
	struct passwd *pw;

	if (all_digits(name)) {
		*out = (uid_t)strtoul(name, NULL, 10);
		return 0;
	}
	pw = getpwnam(name);
	if (!pw)
		return -ENOENT;
	*out = pw->pw_uid;
	return 0;
}

static int lookup_group(const char *name, gid_t *out)
{
	struct group *gr;

	if (all_digits(name)) {
		*out = (gid_t)strtoul(name, NULL, 10);
		return 0;
	}
	gr = getgrnam(name);
	if (!gr)
		return -ENOENT;
	*out = gr->gr_gid;
	return 0;
}

/* Split a comma list into ids; is_group picks the lookup. */
static int parse_list(const char *list, int is_group, unsigned int *ids, int max, int *n,
		      char *err, size_t errlen)
{
	char copy[256], *save = NULL, *tok;

	snprintf(copy, sizeof(copy), "%s", list);
	*n = 0;
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		uid_t u;
		gid_t g;
		int ret = is_group ? lookup_group(tok, &g) : lookup_user(tok, &u);

		if (ret < 0) {
			snprintf(err, errlen, "%s: no such %s '%s'",
				 is_group ? "write_groups" : "write_users",
				 is_group ? "group" : "user", tok);
			return -EINVAL;
		}
		if (*n >= max) {
			snprintf(err, errlen, "%s: more than %d entries",
				 is_group ? "write_groups" : "write_users", max);
			return -EINVAL;
		}
		ids[(*n)++] = is_group ? (unsigned int)g : (unsigned int)u;
	}
	return 0;
}

int access_init(struct agent *a, char *err, size_t errlen)
{
	struct access *ac = &a->access;
	gid_t g;
	int ret;

	memset(ac, 0, sizeof(*ac));
	ac->uid = geteuid();
	ac->gid = getegid();
	if (a->conf.group[0]) {
		if (lookup_group(a->conf.group, &g) < 0) {
			snprintf(err, errlen, "group: no such group '%s'", a->conf.group);
			return -EINVAL;
		}
		ac->gid = g;
		ac->have_group = 1;
	}
	ret = parse_list(a->conf.write_users, 0, ac->users, ACCESS_MAX_IDS, &ac->nusers, err, errlen);
	if (ret < 0)
		return ret;
	return parse_list(a->conf.write_groups, 1, ac->groups, ACCESS_MAX_IDS, &ac->ngroups,
			  err, errlen);
}

static int listed(const unsigned int *ids, int n, unsigned int id)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

int access_check(const struct agent *a, int fd, unsigned int *uid_out)
{
	const struct access *ac = &a->access;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];
	int i, n, in_group;

	*uid_out = (unsigned int)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return ACCESS_NONE;
	*uid_out = (unsigned int)cr.uid;
	if (cr.uid == 0 || cr.uid == ac->uid || listed(ac->users, ac->nusers, cr.uid) ||
	    listed(ac->groups, ac->ngroups, cr.gid))
		return ACCESS_WRITE;
	in_group = cr.gid == ac->gid;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		n = (int)(len / sizeof(groups[0]));
		for (i = 0; i < n; i++) {
			if (listed(ac->groups, ac->ngroups, groups[i]))
				return ACCESS_WRITE;
			in_group |= groups[i] == ac->gid;
		}
	}
	/* The segment's group may read (what it could read from the segment). */
	return in_group ? ACCESS_READ : ACCESS_NONE;
}
