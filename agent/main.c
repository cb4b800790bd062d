/*
 * main.c - fotosd: command line, start-up and shutdown of the agent.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

#define FOTOS_VERSION "0.1.0"

struct agent *A;

static void usage(FILE *f)
{
	fprintf(f,
"usage: fotosd --config FILE --node NAME [options]\n"
"       fotosd --node NAME --peer NAME=ADDR [--peer NAME=ADDR ...] [options]\n"
"\n"
"fotosd keeps the agreed membership of a cluster and publishes it in shared\n"
"memory for local programs (see fotosctl and libfotos).\n"
"\n"
"  --config FILE        INI file: [cluster] settings and one [node NAME] per node\n"
"  --node NAME          which configured node this agent is (required)\n"
"  --peer NAME=ADDR     add a node (IPv4 a.b.c.d:port or [IPv6]:port); repeatable\n"
"  --cluster NAME       cluster name; agents of other clusters are refused (fotos)\n"
"  --heartbeat-ms N     heartbeat interval on every link (100)\n"
"  --timeout-ms N       a link silent this long is down (500)\n"
"  --retry-min-ms N     first reconnect / retry back-off step (20)\n"
"  --retry-max-ms N     back-off ceiling (1000)\n"
"  --start-wait-ms N    wait this long for peers before starting a network\n"
"                       without them (default: the timeout)\n"
"  --hold-down-ms N     a node removed twice in a row stays out until its links\n"
"                       were up this long, doubling each time (1000; 0: off)\n"
"  --arbiter SPEC       who is primary after a partition (default none: every\n"
"                       network; a split-brain risk):\n"
"                         majority [tie-break=NODE]  a stable view of more than\n"
"                           half the nodes, or half holding NODE (default: the\n"
"                           first configured node)\n"
"                         static-quorum N  a stable view of at least N nodes\n"
"                         command PATH  PATH is run for each new stable view\n"
"                           (args --cluster --node --epoch --view-id --members,\n"
"                           same in FOTOS_* env); exit 0 = primary; anything\n"
"                           else, or no answer within the timeout x 4, = not\n"
"                           primary\n"
"  --db-max-keys N      versions the database holds (4096)\n"
"  --db-max-key N       key bytes, 1..1024 (64)\n"
"  --db-max-value N     value bytes, 0..61440 (1024)\n"
"  --data-dir DIR       keep the database on disk there (log + snapshot per node)\n"
"  --db-fsync POLICY    always (answer writes once on disk), batch (fsync every\n"
"                       100 ms) or none (always)\n"
"  --key-file PATH      the cluster key (64 hex digits, mode 0600; fotosctl keygen\n"
"                       writes one): links prove both ends hold it and every\n"
"                       frame is authenticated. Unset: links are not (a warning)\n"
"  --encrypt yes|no     encrypt the links too (no; needs --key-file)\n"
"  --group NAME         the segment is readable, and the control socket usable, by\n"
"                       this group too (default: the agent's user only)\n"
"  --write-users LIST   users (names or uids, comma-separated) who may write over\n"
"                       the control socket besides root and the agent's own user\n"
"  --write-groups LIST  groups whose members may write over the control socket\n"
"  --shm NAME           shared-memory segment to publish (/fotos)\n"
"  --control PATH       control socket (/run/fotos/NODE.sock)\n"
"  --log-level LEVEL    error, warn, info or debug (info)\n"
"  -h, --help           this text\n"
"  --version            print the version\n"
"\n"
"Flags override the config file. Exit status: 0 after SIGTERM/SIGINT, 1 on a\n"
"start-up error, 2 on a usage error.\n");
}

static int parse_uint(const char *flag, const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT_MAX || s[0] == '-') {
		fprintf(stderr, "fotosd: %s: '%s' is not a number\n", flag, s);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int add_peer(struct conf *c, const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct conf_node *n;
	size_t len;

	if (!eq || eq == spec) {
		fprintf(stderr, "fotosd: --peer '%s': expected NAME=ADDRESS\n", spec);
		return -1;
	}
	len = (size_t)(eq - spec);
	if (len >= FOTOS_NAME_MAX) {
		fprintf(stderr, "fotosd: --peer '%s': name longer than %d\n", spec, FOTOS_NAME_MAX - 1);
		return -1;
	}
	if (c->nnodes >= FOTOS_MAX_NODES) {
		fprintf(stderr, "fotosd: --peer: more than %d nodes\n", FOTOS_MAX_NODES);
		return -1;
	}
	n = &c->nodes[c->nnodes];
	memset(n, 0, sizeof(*n));
	memcpy(n->name, spec, len);
	if (conf_find_node(c, n->name) >= 0) {
		fprintf(stderr, "fotosd: --peer: node '%s' given twice\n", n->name);
		return -1;
	}
	snprintf(n->addr_text, sizeof(n->addr_text), "%s", eq + 1);
	if (conf_parse_addr(eq + 1, &n->addr, &n->addrlen) < 0) {
		fprintf(stderr, "fotosd: --peer '%s': bad address (want a.b.c.d:port or [v6]:port)\n",
			spec);
		return -1;
	}
	c->nnodes++;
	return 0;
}

enum {
	OPT_CONFIG = 256, OPT_NODE, OPT_PEER, OPT_CLUSTER, OPT_HB, OPT_TIMEOUT, OPT_RMIN,
	OPT_RMAX, OPT_SWAIT, OPT_SHM, OPT_CONTROL, OPT_LOG, OPT_VERSION, OPT_HOLD, OPT_ARBITER, OPT_DBK, OPT_DBKL, OPT_DBVL, OPT_DATADIR, OPT_FSYNC,
	OPT_KEYFILE, OPT_ENCRYPT, OPT_GROUP, OPT_WUSERS, OPT_WGROUPS,
};

static const struct option opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "heartbeat-ms", required_argument, NULL, OPT_HB },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "retry-min-ms", required_argument, NULL, OPT_RMIN },
	{ "retry-max-ms", required_argument, NULL, OPT_RMAX },
	{ "start-wait-ms", required_argument, NULL, OPT_SWAIT },
	{ "hold-down-ms", required_argument, NULL, OPT_HOLD },
	{ "arbiter", required_argument, NULL, OPT_ARBITER },
	{ "data-dir", required_argument, NULL, OPT_DATADIR },
	{ "db-fsync", required_argument, NULL, OPT_FSYNC },
	{ "db-max-keys", required_argument, NULL, OPT_DBK },
	{ "db-max-key", required_argument, NULL, OPT_DBKL },
	{ "db-max-value", required_argument, NULL, OPT_DBVL },
	{ "key-file", required_argument, NULL, OPT_KEYFILE },
	{ "encrypt", required_argument, NULL, OPT_ENCRYPT },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "write-users", required_argument, NULL, OPT_WUSERS },
	{ "write-groups", required_argument, NULL, OPT_WGROUPS },
	{ "shm", required_argument, NULL, OPT_SHM },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/*
 * The config file first (wherever --config stands), then every flag in
 * order, so that flags win.
 */
static int parse_args(int argc, char **argv, struct conf *c, char *node, size_t nodelen)
{
	char err[512];
	int o, i;

	conf_defaults(c);
	node[0] = 0;
	for (i = 1; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			v = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			v = argv[i] + 9;
		if (v && conf_load(c, v, err, sizeof(err)) < 0) {
			fprintf(stderr, "fotosd: %s\n", err);
			return 1;
		}
	}
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		unsigned int *num = NULL;

		switch (o) {
		case OPT_CONFIG: break;
		case OPT_NODE: snprintf(node, nodelen, "%s", optarg); break;
		case OPT_PEER:
			if (add_peer(c, optarg) < 0)
				return 2;
			break;
		case OPT_CLUSTER:
			if (!*optarg || strlen(optarg) >= sizeof(c->cluster)) {
				fprintf(stderr, "fotosd: --cluster: name must be 1..%zu characters\n",
					sizeof(c->cluster) - 1);
				return 2;
			}
			snprintf(c->cluster, sizeof(c->cluster), "%s", optarg);
			break;
		case OPT_HB: num = &c->heartbeat_ms; break;
		case OPT_TIMEOUT: num = &c->timeout_ms; break;
		case OPT_RMIN: num = &c->retry_min_ms; break;
		case OPT_RMAX: num = &c->retry_max_ms; break;
		case OPT_SWAIT: num = &c->start_wait_ms; break;
		case OPT_HOLD: num = &c->hold_down_ms; break;
		case OPT_DATADIR:
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(c->data_dir)) {
				fprintf(stderr, "fotosd: --data-dir '%s': want an absolute path under %zu characters\n",
					optarg, sizeof(c->data_dir));
				return 2;
			}
			snprintf(c->data_dir, sizeof(c->data_dir), "%s", optarg);
			break;
		case OPT_FSYNC:
			c->db_fsync = conf_parse_fsync(optarg, strlen(optarg));
			if (c->db_fsync < 0) {
				fprintf(stderr, "fotosd: --db-fsync '%s': want always, batch or none\n", optarg);
				return 2;
			}
			break;
		case OPT_DBK: num = &c->db_max_keys; break;
		case OPT_DBKL: num = &c->db_max_key; break;
		case OPT_DBVL: num = &c->db_max_value; break;
		case OPT_ARBITER: {
			char why[160];

			if (conf_parse_arbiter(c, optarg, strlen(optarg), why, sizeof(why)) < 0) {
				fprintf(stderr, "fotosd: --arbiter '%s': %s\n", optarg, why);
				return 2;
			}
			break;
		}
		case OPT_KEYFILE:
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(c->key_file)) {
				fprintf(stderr, "fotosd: --key-file '%s': want an absolute path under %zu characters\n",
					optarg, sizeof(c->key_file));
				return 2;
			}
			snprintf(c->key_file, sizeof(c->key_file), "%s", optarg);
			break;
		case OPT_ENCRYPT:
			c->encrypt = conf_parse_bool(optarg, strlen(optarg));
			if (c->encrypt < 0) {
				fprintf(stderr, "fotosd: --encrypt '%s': want yes or no\n", optarg);
				return 2;
			}
			break;
		case OPT_GROUP:
		case OPT_WUSERS:
		case OPT_WGROUPS: {
			char *dst = o == OPT_GROUP ? c->group : o == OPT_WUSERS ? c->write_users :
				    c->write_groups;
			size_t cap = o == OPT_GROUP ? sizeof(c->group) : sizeof(c->write_users);

			if (strlen(optarg) >= cap) {
				fprintf(stderr, "fotosd: %s: longer than %zu characters\n",
					argv[optind - 1], cap - 1);
				return 2;
			}
			snprintf(dst, cap, "%s", optarg);
			break;
		}
		case OPT_SHM:
			if (optarg[0] != '/' || strchr(optarg + 1, '/') || strlen(optarg) < 2 ||
			    strlen(optarg) >= 64) {
				fprintf(stderr, "fotosd: --shm '%s': want /NAME (one slash, at most 63 characters)\n",
					optarg);
				return 2;
			}
			snprintf(c->shm_name, sizeof(c->shm_name), "%s", optarg);
			break;
		case OPT_CONTROL:
			if (!*optarg || strlen(optarg) >= sizeof(c->control_path)) {
				fprintf(stderr, "fotosd: --control: path must be 1..%zu characters\n",
					sizeof(c->control_path) - 1);
				return 2;
			}
			snprintf(c->control_path, sizeof(c->control_path), "%s", optarg);
			break;
		case OPT_LOG:
			if (log_level_parse(optarg) < 0) {
				fprintf(stderr, "fotosd: --log-level '%s': want error, warn, info or debug\n",
					optarg);
				return 2;
			}
			snprintf(c->log_level, sizeof(c->log_level), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("fotosd %s\n", FOTOS_VERSION);
			exit(0);
		default:
			fprintf(stderr, "fotosd: unknown or incomplete option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
		if (num && parse_uint(argv[optind - 1], optarg, num) < 0)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "fotosd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (!node[0]) {
		fprintf(stderr, "fotosd: --node NAME is required (see --help)\n");
		return 2;
	}
	c->self = conf_find_node(c, node);
	if (c->self < 0 && c->nnodes) {
		fprintf(stderr, "fotosd: node '%s' is not in the configuration (nodes:", node);
		for (i = 0; i < (int)c->nnodes; i++)
			fprintf(stderr, " %s", c->nodes[i].name);
		fprintf(stderr, ")\n");
		return 1;
	}
	if (conf_finish(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "fotosd: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct agent agent;
	struct agent *a = &agent;
	struct shm_params sp = { 0 };
	struct timespec ts;
	char node[64];
	int ret;

	A = a;
	ret = parse_args(argc, argv, &a->conf, node, sizeof(node));
	if (ret)
		return ret;
	a->self = a->conf.self;
	log_init(a->conf.nodes[a->self].name, log_level_parse(a->conf.log_level));
	clock_gettime(CLOCK_REALTIME, &ts);
	/* New on every start: a restarted node is never taken for its past life. */
	a->incarnation = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	a->cluster_hash = wire_hash(a->conf.cluster, strlen(a->conf.cluster), 0);
	srand((unsigned int)(a->incarnation ^ (uint64_t)getpid()));
	a->now = now_ns();
	a->listen_fd = a->ctl_fd = -1;
	a->arb.pidfd = -1;

	if (sodium_init() < 0) {
		fprintf(stderr, "fotosd: libsodium failed to initialise\n");
		return 1;
	}
	if (a->conf.key_file[0]) {
		char err[512], fp[9];

		if (auth_load_key(a->conf.key_file, a->key, err, sizeof(err)) < 0) {
			fprintf(stderr, "fotosd: %s\n", err);
			return 1;
		}
		a->have_key = 1;
		auth_fingerprint(a->key, fp);
		log_info("links authenticated with the cluster key (fingerprint %s)%s", fp,
			 a->conf.encrypt ? " and encrypted" : "");
	} else {
		log_warn("no key_file: links are NOT authenticated; anything that reaches %s "
			 "can pose as a node (fotosctl keygen, then key_file in [cluster])",
			 a->conf.nodes[a->self].addr_text);
	}
	{
		char err[512];

		if (access_init(a, err, sizeof(err)) < 0) {
			fprintf(stderr, "fotosd: %s\n", err);
			return 1;
		}
	}

	ret = ctl_init(a);
	if (ret < 0) {
		fprintf(stderr, "fotosd: control socket %s: %s%s\n", a->conf.control_path,
			strerror(-ret), ret == -EADDRINUSE ? " (another fotosd answers there)" : "");
		return 1;
	}
	ret = mesh_init(a);
	if (ret < 0) {
		fprintf(stderr, "fotosd: cannot listen on %s: %s\n",
			a->conf.nodes[a->self].addr_text, strerror(-ret));
		ctl_fini(a);
		return 1;
	}
	ret = loop_init(a);
	if (ret < 0) {
		fprintf(stderr, "fotosd: io_uring: %s\n", strerror(-ret));
		ctl_fini(a);
		return 1;
	}
	pub_segment_params(a, &sp);
	ret = shm_segment_create(&sp, &a->seg);
	if (ret < 0) {
		fprintf(stderr, "fotosd: shared memory %s: %s\n", sp.name, strerror(-ret));
		ctl_fini(a);
		return 1;
	}
	db_init(a);
	ret = persist_init(a);
	if (ret < 0) {
		fprintf(stderr, "fotosd: data directory %s: %s\n", a->conf.data_dir, strerror(-ret));
		shm_segment_close(&a->seg);
		ctl_fini(a);
		return 1;
	}
	memb_init(a);
	pub_all(a);
	log_info("started: cluster %s, %u nodes, listening on %s, shm %s, control %s, "
		 "heartbeat %u ms, timeout %u ms", a->conf.cluster, a->conf.nnodes,
		 a->conf.nodes[a->self].addr_text, sp.name, a->conf.control_path,
		 a->conf.heartbeat_ms, a->conf.timeout_ms);
	ret = loop_run(a);
	a->memb.state = FOTOS_ST_STOPPED;
	a->memb.in_network = 0;
	pub_all(a);
	arbiter_fini(a);
	persist_fini(a);
	shm_segment_close(&a->seg);
	ctl_fini(a);
	loop_fini(a);
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	sodium_memzero(a->key, sizeof(a->key));
	log_info("stopped");
	return ret < 0 ? 1 : 0;
}
