/*
 * persist.c - durability of the database with --data-dir.
 *
 * Every version the node applies (its own writes, replicated ones, state
 * transfers) and every tombstone it collects is appended to a log,
 * <data-dir>/<node>.log, as a record: u32 length, u32 CRC-32C of the body,
 * then the body (the version as on the wire). At start the agent loads
 * <node>.snap and then the log (a torn record at the end is dropped with a
 * warning), writes a fresh snapshot (temporary file, fsync, rename) and
 * starts an empty log.
 *
 * Appends are written by the io_uring loop (IORING_OP_WRITE, then
 * IORING_OP_FSYNC for the "always" policy), never by a blocking call on it.
 * Acknowledgements wait for durability according to db_fsync:
 *   always  a write is answered, and a replicated update acknowledged to
 *           its writer, only once its record is on disk (fsync);
 *   batch   once written to the file (survives the agent's crash), with an
 *           fsync every 100 ms (a power loss may lose that much);
 *   none    once written to the file, never fsynced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "mem.h"

#define REC_MAX		(16 + 1 + 9 * FOTOS_MAX_NODES + FOTOS_DB_MAX_KEY + FOTOS_DB_MAX_VAL)
#define REC_GC		0x8000u	/* flag: collect this tombstone */

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = ~0u;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }

/* Body: u16 writer, u16 flags, u16 klen, u16 0, u32 vlen, clock, key, value. */
static size_t encode(uint8_t *b, uint32_t writer, uint32_t flags, const struct fotos_vclock *vc,
		     const uint8_t *key, uint32_t klen, const uint8_t *val, uint32_t vlen)
{
	int c;

	put16(b + 8, writer);
	put16(b + 10, flags);
	put16(b + 12, klen);
	put16(b + 14, 0);
	put32(b + 16, vlen);
	c = fotos_vclock_encode(vc, b + 20, 1 + 9 * FOTOS_MAX_NODES);
	memcpy(b + 20 + c, key, klen);
	if (vlen)
		memcpy(b + 20 + c + klen, val, vlen);
	put32(b, (uint32_t)(12 + c + klen + vlen));
	put32(b + 4, crc32c(b + 8, 12 + (size_t)c + klen + vlen));
	return 20 + (size_t)c + klen + vlen;
}

static int grow(struct persist *p, size_t need)
{
	uint8_t *nb;
	size_t cap = p->cap ? p->cap : 65536;

	if (p->len + need <= p->cap)
		return 0;
	while (cap < p->len + need)
		cap *= 2;
	nb = fotos_realloc(p->buf, cap);
	if (!nb)
		return -ENOMEM;
	p->buf = nb;
	p->cap = cap;
	return 0;
}

/* Queue a record; returns the log offset at which it will be durable. */
uint64_t persist_append(struct agent *a, uint32_t writer, uint32_t flags,
			const struct fotos_vclock *vc, const uint8_t *key, uint32_t klen,
			const uint8_t *val, uint32_t vlen, int gc)
{
	struct persist *p = &a->persist;

	if (p->fd < 0)
		return 0;
	if (grow(p, REC_MAX) < 0) {
		log_err("persist: out of memory: record dropped; the log is no longer complete");
		p->broken = 1;
		return 0;
	}
	p->len += encode(p->buf + p->len, writer, flags | (gc ? REC_GC : 0), vc, key, klen, val, vlen);
	return p->end + p->len;
}

/* What is durable under the policy (see the top). */
uint64_t persist_durable(const struct agent *a)
{
	const struct persist *p = &a->persist;

	if (p->fd < 0)
		return UINT64_MAX;
	return p->policy == FSYNC_ALWAYS ? p->synced : p->written;
}

/* Load one file of records into the table. Returns records applied. */
static long load_file(struct agent *a, const char *path, int truncate_torn)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	long n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !(buf = fotos_malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	if (read(fd, buf, (size_t)st.st_size) != st.st_size) {
		fotos_free(buf);
		close(fd);
		return -EIO;
	}
	close(fd);
	while (off + 8 <= (size_t)st.st_size) {
		uint32_t len = get32(buf + off), crc = get32(buf + off + 4);
		const uint8_t *b = buf + off + 8;
		struct fotos_vclock vc;
		uint32_t klen, vlen, flags;
		int c;

		if (len < 12 || off + 8 + len > (size_t)st.st_size || crc32c(b, len) != crc)
			break;
		flags = get16(b + 2);
		klen = get16(b + 4);
		vlen = get32(b + 8);
		c = fotos_vclock_decode(&vc, b + 12, len - 12);
		if (c < 0 || 12 + (uint64_t)c + klen + vlen != len)
			break;
		db_load_record(a, get16(b), flags & ~REC_GC, &vc, b + 12 + c, klen,
			       b + 12 + c + klen, vlen, !!(flags & REC_GC));
		off += 8 + len;
		n++;
	}
	if (off != (size_t)st.st_size) {
		log_warn("%s: %zu bytes at the end are not a whole record (a write torn by a "
			 "crash): ignored", path, (size_t)st.st_size - off);
		(void)truncate_torn;
	}
	fotos_free(buf);
	return n;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Start-up only: write every version to a new snapshot, atomically. */
static int write_snapshot(struct agent *a, const char *snap)
{
	char tmp[700];
	uint8_t *b = fotos_malloc(REC_MAX);
	uint64_t i;
	int fd, ret = 0;

	if (!b)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", snap);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fotos_free(b);
		return -errno;
	}
	for (i = 0; i <= a->db.mask && !ret; i++) {
		struct fotos_vclock vc;
		const uint8_t *key, *val;
		uint32_t klen, vlen, writer, flags;

		if (!db_slot_version(a, i, &vc, &key, &klen, &val, &vlen, &writer, &flags))
			continue;
		ret = write_all(fd, b, encode(b, writer, flags, &vc, key, klen, val, vlen));
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	fotos_free(b);
	if (!ret && rename(tmp, snap) < 0)
		ret = -errno;
	return ret;
}

int persist_init(struct agent *a)
{
	struct persist *p = &a->persist;
	char snap[600], logp[600];
	long ns, nl;
	int ret;

	p->fd = -1;
	p->policy = a->conf.db_fsync;
	if (!a->conf.data_dir[0])
		return 0;
	if (mkdir(a->conf.data_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(snap, sizeof(snap), "%s/%s.snap", a->conf.data_dir, a->conf.nodes[a->self].name);
	snprintf(logp, sizeof(logp), "%s/%s.log", a->conf.data_dir, a->conf.nodes[a->self].name);
	ns = load_file(a, snap, 0);
	nl = ns < 0 ? 0 : load_file(a, logp, 1);
	if (ns < 0 || nl < 0) {
		log_err("cannot read the database in %s: %s", a->conf.data_dir,
			strerror((int)-(ns < 0 ? ns : nl)));
		return (int)(ns < 0 ? ns : nl);
	}
	ret = write_snapshot(a, snap);
	if (ret < 0) {
		log_err("cannot write the snapshot %s: %s", snap, strerror(-ret));
		return ret;
	}
	p->fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (p->fd < 0)
		return -errno;
	log_info("database loaded from %s: %ld snapshot and %ld log records, %llu versions; "
		 "fsync %s", a->conf.data_dir, ns, nl,
		 (unsigned long long)atomic_load(&a->db.hdr->used),
		 p->policy == FSYNC_ALWAYS ? "always" : p->policy == FSYNC_BATCH ? "batch" : "none");
	return 0;
}

/* End of a loop turn: hand what was appended to the kernel. */
void persist_flush(struct agent *a)
{
	struct persist *p = &a->persist;

	if (p->fd < 0 || p->inflight || !p->len)
		return;
	/* the queued records become the in-flight buffer */
	p->fbuf = p->buf;
	p->flen = p->len;
	p->buf = NULL;
	p->len = p->cap = 0;
	p->inflight = 1;
	if (p->policy == FSYNC_ALWAYS) {
		p->sync_pending = 1;
		p->fsync_target = p->end + p->flen;
	}
	loop_submit_log_write(a, p->fd, p->fbuf, p->flen, p->end, p->sync_pending);
}

void persist_on_write(struct agent *a, int res)
{
	struct persist *p = &a->persist;

	if (res < 0 || (size_t)res != p->flen) {
		/* a short or failed write leaves the log incomplete: stop it */
		log_err("persist: write to the log failed (%s): no longer durable; fix the disk and "
			"restart the agent", res < 0 ? strerror(-res) : "short write");
		p->broken = 1;
	}
	p->end += p->flen;
	p->written = p->end;
	fotos_free(p->fbuf);
	p->fbuf = NULL;
	if (!p->sync_pending)
		p->inflight = 0;
}

void persist_on_fsync(struct agent *a, int res)
{
	struct persist *p = &a->persist;

	if (res < 0) {
		log_err("persist: fsync of the log failed (%s)", strerror(-res));
		p->broken = 1;
	} else {
		p->synced = p->fsync_target;
	}
	p->sync_pending = 0;
	p->inflight = 0;
}

/* The batch policy's periodic fsync (blocking is avoided: io_uring). */
void persist_tick(struct agent *a)
{
	struct persist *p = &a->persist;

	if (p->fd < 0 || p->policy != FSYNC_BATCH || p->inflight || p->synced == p->written)
		return;
	if (a->now - p->last_sync_ns < 100000000ull)
		return;
	p->last_sync_ns = a->now;
	p->inflight = 1;
	p->sync_pending = 1;
	p->fsync_target = p->written;
	loop_submit_log_fsync(a, p->fd);
}

void persist_fini(struct agent *a)
{
	struct persist *p = &a->persist;

	if (p->fd >= 0) {
		/* The loop is gone: finish by hand what it had not (a write the
		 * kernel may still be doing writes the same bytes, harmlessly). */
		if (p->fbuf && pwrite(p->fd, p->fbuf, p->flen, (off_t)p->end) == (ssize_t)p->flen)
			p->end += p->flen;
		if (p->len && lseek(p->fd, (off_t)p->end, SEEK_SET) >= 0)
			write_all(p->fd, p->buf, p->len);
		fsync(p->fd);
		close(p->fd);
	}
	fotos_free(p->buf);
	fotos_free(p->fbuf);
}
