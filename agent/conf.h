/*
 * conf.h - the agent's configuration: INI file plus command-line flags.
 *
 * File format (every key also has a flag, see agent/main.c usage):
 *
 *   [cluster]
 *   name = demo
 *   heartbeat_ms = 100       ; interval of heartbeats on every link
 *   timeout_ms = 500         ; a link silent this long is down
 *   retry_min_ms = 20        ; reconnect / re-propose back-off, first step
 *   retry_max_ms = 1000      ; back-off ceiling
 *   start_wait_ms = 0        ; 0: timeout_ms. Wait this long for peers
 *                            ; before starting a network alone
 *   hold_down_ms = 1000      ; a node removed twice in a row is kept out
 *                            ; until its links were up this long, doubling
 *                            ; on each further removal (max 64x)
 *   arbiter = none           ; who may be primary after a partition: none,
 *                            ; majority [tie-break=NODE], static-quorum N,
 *                            ; command /path/to/program
 *   db_max_keys = 4096       ; versions the database holds (keys, concurrent
 *                            ; versions and deletes not yet collected)
 *   db_max_key = 64          ; key bytes (1..1024)
 *   db_max_value = 1024      ; value bytes (0..61440)
 *   data_dir = /var/lib/fotos ; keep the database on disk (log + snapshot);
 *                            ; unset: in memory, as long as a member lives
 *   db_fsync = always        ; always | batch | none (see agent/persist.c)
 *   key_file = /etc/fotos/key ; the cluster's shared secret (fotosctl keygen):
 *                            ; links authenticate both ends and every frame
 *   encrypt = no             ; yes: links are encrypted too (needs key_file)
 *   group = fotos            ; the segment is readable by this group, and the
 *                            ; control socket usable by it (default: only the
 *                            ; agent's user; others get neither)
 *   write_users = alice,bob  ; besides root and the agent's own user, who may
 *   write_groups = admins    ; write over the control socket (put, del, txn..)
 *
 *   [node n1]
 *   address = 127.0.0.1:7101 ; IPv4 a.b.c.d:port or IPv6 [addr]:port
 *
 * Comments start with ';' or '#'. Blank lines are ignored.
 */
#ifndef FOTOS_CONF_H
#define FOTOS_CONF_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fotos_abi.h"

/* Who decides which network is the primary one after a partition. */
enum conf_arbiter {
	ARBITER_NONE = 0,	/* every network is primary: no split-brain protection */
	ARBITER_MAJORITY = 1,	/* a stable view of more than half the configured
				 * nodes (exactly half: holding the tie-break node,
				 * by default the first configured) */
	ARBITER_QUORUM = 2,	/* static-quorum N: a stable view of at least N */
	ARBITER_COMMAND = 3,	/* command PATH: a program says yes (exit 0) or no */
};

struct conf_node {
	char name[FOTOS_NAME_MAX];
	struct sockaddr_storage addr;	/* sockaddr_in or sockaddr_in6 */
	socklen_t addrlen;
	char addr_text[64];		/* as written in the config */
	int line;			/* where it was defined */
};

struct conf {
	char cluster[FOTOS_NAME_MAX];
	unsigned int heartbeat_ms;
	unsigned int timeout_ms;
	unsigned int retry_min_ms;
	unsigned int retry_max_ms;
	unsigned int start_wait_ms;
	unsigned int hold_down_ms;	/* first hold-down of a flapping node */
	unsigned int db_max_keys;	/* versions the database may hold */
	unsigned int db_max_key;	/* bytes */
	unsigned int db_max_value;	/* bytes */
	char data_dir[256];		/* "" : the database lives in memory only */
	int db_fsync;			/* FSYNC_NONE / _BATCH / _ALWAYS (0 1 2) */
	int arbiter;			/* enum conf_arbiter */
	char arbiter_tie[FOTOS_NAME_MAX];	/* majority tie-break=NODE ("": first node) */
	unsigned int arbiter_quorum;	/* static-quorum N */
	char arbiter_cmd[256];		/* command PATH */
	unsigned int nnodes;
	struct conf_node nodes[FOTOS_MAX_NODES];	/* in file order: index = position */
	int self;			/* index of this node, -1 until chosen */
	char shm_name[FOTOS_PATH_MAX];	/* default "/fotos" */
	char control_path[FOTOS_PATH_MAX];	/* default "/run/fotos/<node>.sock" */
	char log_level[16];		/* "info" */
	char key_file[256];		/* "": links are not authenticated */
	int encrypt;			/* 1: links encrypted (needs key_file) */
	char group[64];			/* "": segment and socket for the agent's user only */
	char write_users[256];		/* comma-separated names or uids */
	char write_groups[256];		/* comma-separated names or gids */
};

/* Built-in defaults: cluster "fotos", heartbeat 100, timeout 500,
 * retry 20..1000, start_wait 0, no nodes, self -1, shm "/fotos". */
void conf_defaults(struct conf *c);

/*
 * Parse the INI text of len bytes (need not be NUL-terminated) into c, which
 * holds defaults or earlier settings. On error returns -EINVAL and writes a
 * message naming the file (fname) and line into err, e.g.
 *   "fotos.ini:7: unknown key 'heartbeat' in [cluster]"
 * and leaves c unchanged (parses into a copy). Checks: unknown sections and
 * keys, duplicate node names or addresses, bad addresses/ports, numbers out
 * of range (heartbeat_ms 1..60000, timeout_ms 2..600000, ...), names
 * longer than FOTOS_NAME_MAX-1 or with characters outside [A-Za-z0-9_.-],
 * more than FOTOS_MAX_NODES nodes, a node without an address.
 */
int conf_parse(struct conf *c, const char *text, size_t len, const char *fname,
	       char *err, size_t errlen);

/* Read fname and conf_parse() it. -errno for I/O errors with err filled. */
int conf_load(struct conf *c, const char *fname, char *err, size_t errlen);

/*
 * Parse "a.b.c.d:port" or "[v6]:port" into ss. 0 or -EINVAL.
 */
int conf_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Parse an arbiter setting of n bytes: "none", "majority", "majority
 * tie-break=NODE", "static-quorum N", "command /ABSOLUTE/PATH" into c.
 * 0, or -EINVAL with the reason in why. The tie-break node and the quorum
 * are checked against the nodes in conf_finish().
 */
int conf_parse_arbiter(struct conf *c, const char *s, size_t n, char *why, size_t whylen);

/* 0 none, 1 batch, 2 always for n bytes of s, or -EINVAL. */
int conf_parse_fsync(const char *s, size_t n);

/* yes/no/true/false/on/off/1/0 of n bytes: 1, 0, or -EINVAL. */
int conf_parse_bool(const char *s, size_t n);

/* Index of the node called name, or -1. */
int conf_find_node(const struct conf *c, const char *name);

/*
 * Final checks after file and flags: self chosen, timings consistent.
 * Fills defaults that depend on self (control_path). -EINVAL with err.
 */
int conf_finish(struct conf *c, char *err, size_t errlen);

#endif
