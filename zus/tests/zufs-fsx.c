// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-fsx - a random-operation file data verifier (in the spirit of fsx).
 *
 * One file is driven through a reproducible random sequence of operations
 * (seeded) and every byte and the size are checked against an in-memory
 * model of what the file must hold:
 *
 *   read, write, mapread, mapwrite (MAP_SHARED + msync), truncate,
 *   fallocate (default, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE, COLLAPSE_RANGE,
 *   INSERT_RANGE), clone (FICLONERANGE within the file), dedupe
 *   (FIDEDUPERANGE of equal and of different ranges) and copy_file_range.
 *
 * Every read is compared with the model; the size is checked after every
 * operation; the whole file is compared every -k operations, after each
 * close/reopen (-c) and at the end. A failure prints the operation log
 * (the last 32 operations), the first differing offset and the seed, and
 * exits 1.
 *
 *   zufs-fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-k check_every]
 *            [-c reopen_every] [-x ops_to_exclude] [-A] [-X op] FILE
 *
 * -x takes a list of operation letters to leave out: r read, w write,
 * m mapread, M mapwrite, t truncate, f fallocate (all modes), C clone,
 * D dedupe, y copy_file_range. -A probes the file's filesystem and leaves
 * out what it does not support (for host self-tests; the ZUFS tests never
 * pass it: an unsupported operation is a failure). -X op corrupts the model
 * at operation op (the run must then fail: proves the verifier can).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK	4096ULL
#define LOGN	32

enum op {
	OP_READ, OP_WRITE, OP_MAPREAD, OP_MAPWRITE, OP_TRUNCATE,
	OP_FALLOC, OP_KEEP, OP_PUNCH, OP_ZERO, OP_COLLAPSE, OP_INSERT,
	OP_CLONE, OP_DEDUPE, OP_COPY, OP_NR
};

static const char *const op_name[OP_NR] = {
	"read", "write", "mapread", "mapwrite", "truncate",
	"fallocate", "falloc-keep", "punch-hole", "zero-range",
	"collapse-range", "insert-range", "clone", "dedupe", "copy-range",
};

/* the -x letter of each operation (fallocate modes share 'f') */
static const char op_letter[OP_NR] = {
	'r', 'w', 'm', 'M', 't', 'f', 'f', 'f', 'f', 'f', 'f', 'C', 'D', 'y',
};

struct logent {
	unsigned long long n;
	enum op op;
	unsigned long long off, len, off2;
	long long res;
};

static const char *path;
static int fd = -1;
static unsigned char *model, *buf;
static unsigned long long fsize;	/* model size */
static unsigned long long maxlen = 256 * 1024, maxop = 64 * 1024;
static unsigned long long opno;
static bool enabled[OP_NR];
static struct logent oplog[LOGN];
static uint64_t rng;
static long pagesz;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed on every libc */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned long long rnd_below(unsigned long long n)
{
	return n ? rnd() % n : 0;
}

static void log_op(enum op op, unsigned long long off, unsigned long long len,
		   unsigned long long off2, long long res)
{
	struct logent *e = &oplog[opno % LOGN];

	e->n = opno;
	e->op = op;
	e->off = off;
	e->len = len;
	e->off2 = off2;
	e->res = res;
}

static void dump_log(void)
{
	unsigned long long first = opno >= LOGN ? opno - LOGN + 1 : 1;

	fprintf(stderr, "zufs-fsx: last operations (number op offset len [offset2] result):\n");
	for (unsigned long long n = first; n <= opno; n++) {
		const struct logent *e = &oplog[n % LOGN];

		if (e->n != n)
			continue;
		fprintf(stderr, "  %llu %s 0x%llx 0x%llx", e->n, op_name[e->op],
			e->off, e->len);
		if (e->op == OP_CLONE || e->op == OP_DEDUPE || e->op == OP_COPY)
			fprintf(stderr, " 0x%llx", e->off2);
		fprintf(stderr, " %lld\n", e->res);
	}
}

static unsigned long long seed;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zufs-fsx: FAIL at operation %llu (seed %llu, file %s): ",
		opno, seed, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_log();
	exit(1);
}

static void check_bytes(const unsigned char *got, unsigned long long off,
			unsigned long long len, const char *how)
{
	/* memcmp first: a byte loop is slow under emulation (the VM tests) */
	if (!memcmp(got, model + off, len))
		return;
	for (unsigned long long i = 0; i < len; i++) {
		if (got[i] != model[off + i]) {
			unsigned long long j = i;

			while (j < len && got[j] != model[off + j])
				j++;
			fail("%s: byte 0x%llx is 0x%02x, expected 0x%02x (0x%llx bytes differ from there)",
			     how, off + i, got[i], model[off + i], j - i);
		}
	}
}

static void check_size(const char *after)
{
	struct stat st;

	if (fstat(fd, &st))
		fail("fstat after %s: %s", after, strerror(errno));
	if ((unsigned long long)st.st_size != fsize)
		fail("after %s the size is 0x%llx, expected 0x%llx", after,
		     (unsigned long long)st.st_size, fsize);
}

static void full_check(const char *why)
{
	unsigned long long off = 0;

	check_size(why);
	while (off < fsize) {
		unsigned long long n = fsize - off < maxop ? fsize - off : maxop;
		ssize_t r = pread(fd, buf, n, (off_t)off);

		if (r < 0)
			fail("full check (%s): pread at 0x%llx: %s", why, off,
			     strerror(errno));
		if ((unsigned long long)r != n)
			fail("full check (%s): short read at 0x%llx: %zd of 0x%llx",
			     why, off, r, n);
		check_bytes(buf, off, n, why);
		off += n;
	}
	/* nothing readable past the end */
	if (pread(fd, buf, 1, (off_t)fsize) != 0)
		fail("full check (%s): a read at EOF 0x%llx returned data", why,
		     fsize);
}

static void fill_random(unsigned char *p, unsigned long long len)
{
	unsigned long long i = 0;
	uint64_t v;

	/* byte i is byte i % 8 (least significant first) of the i / 8-th
	 * number after one skipped (seeds keep the sequences they had when
	 * this went byte by byte): the same on every host, 8 bytes at a time
	 */
	rnd();
	for (; i + 8 <= len; i += 8) {
		v = htole64(rnd());
		memcpy(p + i, &v, 8);
	}
	if (i < len) {
		v = htole64(rnd());
		memcpy(p + i, &v, len - i);
	}
}

static void zero_model(unsigned long long off, unsigned long long len)
{
	memset(model + off, 0, len);
}

/* grow the model to size (new bytes zero) */
static void model_extend(unsigned long long size)
{
	if (size > fsize) {
		zero_model(fsize, size - fsize);
		fsize = size;
	}
}

/* ~~~~ operations: each returns false when it did nothing ~~~~ */

static void op_read(void)
{
	unsigned long long off = rnd_below(maxlen), len = rnd_below(maxop) + 1;
	unsigned long long want;
	ssize_t r;

	r = pread(fd, buf, len, (off_t)off);
	log_op(OP_READ, off, len, 0, r);
	if (r < 0)
		fail("pread 0x%llx at 0x%llx: %s", len, off, strerror(errno));
	want = off >= fsize ? 0 : (fsize - off < len ? fsize - off : len);
	if ((unsigned long long)r != want)
		fail("pread 0x%llx at 0x%llx returned 0x%zx, expected 0x%llx",
		     len, off, r, want);
	check_bytes(buf, off, want, "read");
}

static void op_write(void)
{
	unsigned long long off = rnd_below(maxlen), len = rnd_below(maxop) + 1;
	ssize_t r;

	if (off + len > maxlen)
		len = maxlen - off;
	fill_random(buf, len);
	r = pwrite(fd, buf, len, (off_t)off);
	log_op(OP_WRITE, off, len, 0, r);
	if (r < 0 || (unsigned long long)r != len)
		fail("pwrite 0x%llx at 0x%llx returned %zd: %s", len, off, r,
		     r < 0 ? strerror(errno) : "short");
	model_extend(off + len);
	memcpy(model + off, buf, len);
}

static void op_mapread(void)
{
	unsigned long long off, len, pg, moff;
	unsigned char *p;

	if (!fsize)
		return;
	off = rnd_below(fsize);
	len = rnd_below(maxop) + 1;
	if (off + len > fsize)
		len = fsize - off;
	pg = off & ~(unsigned long long)(pagesz - 1);
	moff = off - pg;
	p = mmap(NULL, len + moff, PROT_READ, MAP_SHARED, fd, (off_t)pg);
	log_op(OP_MAPREAD, off, len, 0, p == MAP_FAILED ? -errno : 0);
	if (p == MAP_FAILED)
		fail("mmap for read 0x%llx at 0x%llx: %s", len, off,
		     strerror(errno));
	check_bytes(p + moff, off, len, "mapread");
	if (munmap(p, len + moff))
		fail("munmap: %s", strerror(errno));
}

static void op_mapwrite(void)
{
	unsigned long long off = rnd_below(maxlen), len = rnd_below(maxop) + 1;
	unsigned long long pg, moff;
	unsigned char *p;

	if (off + len > maxlen)
		len = maxlen - off;
	if (off + len > fsize) {
		/* a mapping cannot extend a file: grow it first */
		if (ftruncate(fd, (off_t)(off + len)))
			fail("ftruncate before mapwrite to 0x%llx: %s",
			     off + len, strerror(errno));
		model_extend(off + len);
	}
	pg = off & ~(unsigned long long)(pagesz - 1);
	moff = off - pg;
	p = mmap(NULL, len + moff, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)pg);
	log_op(OP_MAPWRITE, off, len, 0, p == MAP_FAILED ? -errno : 0);
	if (p == MAP_FAILED)
		fail("mmap for write 0x%llx at 0x%llx: %s", len, off,
		     strerror(errno));
	fill_random(model + off, len);
	memcpy(p + moff, model + off, len);
	if (msync(p, len + moff, MS_SYNC))
		fail("msync: %s", strerror(errno));
	if (munmap(p, len + moff))
		fail("munmap: %s", strerror(errno));
}

static void op_truncate(void)
{
	unsigned long long size = rnd_below(maxlen + 1);
	int r = ftruncate(fd, (off_t)size);

	log_op(OP_TRUNCATE, size, 0, 0, r ? -errno : 0);
	if (r)
		fail("ftruncate to 0x%llx: %s", size, strerror(errno));
	if (size < fsize)
		fsize = size;
	else
		model_extend(size);
}

static const int falloc_mode[] = {
	[OP_FALLOC] = 0,
	[OP_KEEP] = FALLOC_FL_KEEP_SIZE,
	[OP_PUNCH] = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	[OP_ZERO] = FALLOC_FL_ZERO_RANGE,
	[OP_COLLAPSE] = FALLOC_FL_COLLAPSE_RANGE,
	[OP_INSERT] = FALLOC_FL_INSERT_RANGE,
};

static void op_fallocate(enum op op)
{
	unsigned long long off = rnd_below(maxlen), len = rnd_below(maxop) + 1;
	int r;

	if (op == OP_COLLAPSE || op == OP_INSERT) {
		/* block aligned; collapse must end before EOF, insert start
		 * before it, and neither may leave maxlen
		 */
		if (fsize < 2 * BLK)
			return;
		off = rnd_below(fsize / BLK) * BLK;
		len = (rnd_below(maxop / BLK) + 1) * BLK;
		if (op == OP_COLLAPSE && off + len >= fsize) {
			if (off + BLK >= fsize)
				return;
			len = (fsize - off - 1) / BLK * BLK;
			if (!len)
				return;
		}
		if (op == OP_INSERT && fsize + len > maxlen) {
			len = (maxlen - fsize) / BLK * BLK;
			if (!len)
				return;
		}
	} else if (off + len > maxlen) {
		len = maxlen - off;
	}
	r = fallocate(fd, falloc_mode[op], (off_t)off, (off_t)len);
	log_op(op, off, len, 0, r ? -errno : 0);
	if (r)
		fail("%s 0x%llx at 0x%llx: %s", op_name[op], len, off,
		     strerror(errno));
	switch (op) {
	case OP_FALLOC:
		model_extend(off + len);
		break;
	case OP_KEEP:
		break;
	case OP_PUNCH:
		if (off < fsize)
			zero_model(off, (off + len > fsize ? fsize : off + len) - off);
		break;
	case OP_ZERO:
		model_extend(off + len);
		zero_model(off, len);
		break;
	case OP_COLLAPSE:
		memmove(model + off, model + off + len, fsize - off - len);
		fsize -= len;
		break;
	case OP_INSERT:
		memmove(model + off + len, model + off, fsize - off);
		zero_model(off, len);
		fsize += len;
		break;
	default:
		break;
	}
}

/* two block-aligned, non-overlapping ranges inside the file */
static bool pick_ranges(unsigned long long *src, unsigned long long *dst,
			unsigned long long *len)
{
	unsigned long long blocks = fsize / BLK, n, a, b;

	if (blocks < 2)
		return false;
	n = rnd_below(blocks / 2 < maxop / BLK ? blocks / 2 : maxop / BLK) + 1;
	a = rnd_below(blocks - n + 1);
	b = rnd_below(blocks - n + 1);
	if (a < b + n && b < a + n)	/* overlapping: another time */
		return false;
	*src = a * BLK;
	*dst = b * BLK;
	*len = n * BLK;
	return true;
}

static void op_clone(void)
{
	struct file_clone_range fcr;
	unsigned long long src, dst, len;
	int r;

	if (!pick_ranges(&src, &dst, &len))
		return;
	fcr.src_fd = fd;
	fcr.src_offset = src;
	fcr.src_length = len;
	fcr.dest_offset = dst;
	r = ioctl(fd, FICLONERANGE, &fcr);
	log_op(OP_CLONE, src, len, dst, r ? -errno : 0);
	if (r)
		fail("FICLONERANGE 0x%llx from 0x%llx to 0x%llx: %s", len, src,
		     dst, strerror(errno));
	memmove(model + dst, model + src, len);
}

static void op_dedupe(void)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info i;
	} d;
	unsigned long long src, dst, len;
	bool same;
	int r;

	if (!pick_ranges(&src, &dst, &len))
		return;
	/* every other time make the ranges equal first */
	if (rnd() & 1) {
		if (pwrite(fd, model + src, len, (off_t)dst) != (ssize_t)len)
			fail("pwrite before dedupe: %s", strerror(errno));
		memcpy(model + dst, model + src, len);
	}
	same = !memcmp(model + src, model + dst, len);
	memset(&d, 0, sizeof(d));
	d.r.src_offset = src;
	d.r.src_length = len;
	d.r.dest_count = 1;
	d.i.dest_fd = fd;
	d.i.dest_offset = dst;
	r = ioctl(fd, FIDEDUPERANGE, &d);
	log_op(OP_DEDUPE, src, len, dst, r ? -errno : d.i.status);
	if (r || d.i.status < 0)
		fail("FIDEDUPERANGE 0x%llx from 0x%llx to 0x%llx: %s", len, src,
		     dst, strerror(r ? errno : -d.i.status));
	if (same && (d.i.status != FILE_DEDUPE_RANGE_SAME ||
		     d.i.bytes_deduped != len))
		fail("FIDEDUPERANGE of equal ranges: status %d, 0x%llx bytes",
		     d.i.status, (unsigned long long)d.i.bytes_deduped);
	if (!same && d.i.status != FILE_DEDUPE_RANGE_DIFFERS)
		fail("FIDEDUPERANGE of different ranges: status %d",
		     d.i.status);
}

static void op_copy(void)
{
	unsigned long long src, dst, len;
	loff_t in, out;
	ssize_t r;

	if (!fsize)
		return;
	src = rnd_below(fsize);
	len = rnd_below(maxop) + 1;
	if (src + len > fsize)
		len = fsize - src;
	dst = rnd_below(maxlen - len);
	if (src < dst + len && dst < src + len)	/* no overlap within a file */
		return;
	in = (loff_t)src;
	out = (loff_t)dst;
	r = copy_file_range(fd, &in, fd, &out, len, 0);
	log_op(OP_COPY, src, len, dst, r);
	if (r < 0)
		fail("copy_file_range 0x%llx from 0x%llx to 0x%llx: %s", len,
		     src, dst, strerror(errno));
	if (!r)
		fail("copy_file_range copied nothing of 0x%llx", len);
	len = (unsigned long long)r;	/* it may copy less */
	model_extend(dst + len);
	memmove(model + dst, model + src, len);
}

/* reads and writes three times as often as any other operation */
static const enum op weighted[] = {
	OP_READ, OP_READ, OP_READ, OP_WRITE, OP_WRITE, OP_WRITE,
	OP_MAPREAD, OP_MAPWRITE, OP_TRUNCATE, OP_FALLOC, OP_KEEP, OP_PUNCH,
	OP_ZERO, OP_COLLAPSE, OP_INSERT, OP_CLONE, OP_DEDUPE, OP_COPY,
};

static void do_op(enum op op)
{
	switch (op) {
	case OP_READ: op_read(); break;
	case OP_WRITE: op_write(); break;
	case OP_MAPREAD: op_mapread(); break;
	case OP_MAPWRITE: op_mapwrite(); break;
	case OP_TRUNCATE: op_truncate(); break;
	case OP_CLONE: op_clone(); break;
	case OP_DEDUPE: op_dedupe(); break;
	case OP_COPY: op_copy(); break;
	default: op_fallocate(op); break;
	}
}

static void open_file(int flags)
{
	fd = open(path, O_RDWR | flags, 0644);
	if (fd < 0) {
		fprintf(stderr, "zufs-fsx: %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

/* -A: leave out what this filesystem refuses (host self-tests only) */
static void probe(void)
{
	for (int op = 0; op < OP_NR; op++) {
		int r = 0;

		if (!enabled[op])
			continue;
		if (ftruncate(fd, 4 * BLK))
			break;
		if (op >= OP_FALLOC && op <= OP_INSERT) {
			r = fallocate(fd, falloc_mode[op], 0, BLK);
		} else if (op == OP_CLONE) {
			struct file_clone_range fcr = {
				.src_fd = fd, .src_offset = 0,
				.src_length = BLK, .dest_offset = 2 * BLK,
			};
			r = ioctl(fd, FICLONERANGE, &fcr);
		} else if (op == OP_DEDUPE) {
			struct {
				struct file_dedupe_range r;
				struct file_dedupe_range_info i;
			} d = { .r = { .src_length = BLK, .dest_count = 1 },
				.i = { .dest_fd = fd, .dest_offset = 2 * BLK } };
			r = ioctl(fd, FIDEDUPERANGE, &d);
			if (!r && d.i.status < 0) {
				errno = -d.i.status;
				r = -1;
			}
		}
		if (r && (errno == EOPNOTSUPP || errno == ENOTTY ||
			  errno == EINVAL || errno == EXDEV)) {
			printf("zufs-fsx: %s not supported here, left out\n",
			       op_name[op]);
			enabled[op] = false;
		}
	}
	if (ftruncate(fd, 0)) {
		fprintf(stderr, "zufs-fsx: ftruncate: %s\n", strerror(errno));
		exit(2);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: zufs-fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-k check_every]\n"
			"                [-c reopen_every] [-x rwmMtfCDy] [-A] [-X op] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long nops = 10000, check_every = 1000, reopen_every = 0;
	unsigned long long corrupt_at = 0, count[OP_NR] = { 0 };
	const char *exclude = "";
	bool autoprobe = false;
	int c;

	seed = 1;
	while ((c = getopt(argc, argv, "N:S:l:o:k:c:x:AX:")) != -1) {
		switch (c) {
		case 'N': nops = strtoull(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'l': maxlen = strtoull(optarg, NULL, 0); break;
		case 'o': maxop = strtoull(optarg, NULL, 0); break;
		case 'k': check_every = strtoull(optarg, NULL, 0); break;
		case 'c': reopen_every = strtoull(optarg, NULL, 0); break;
		case 'x': exclude = optarg; break;
		case 'A': autoprobe = true; break;
		case 'X': corrupt_at = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || maxlen < 4 * BLK || !maxop || maxop > maxlen)
		usage();
	path = argv[optind];
	pagesz = sysconf(_SC_PAGESIZE);
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (int op = 0; op < OP_NR; op++)
		enabled[op] = !strchr(exclude, op_letter[op]);
	if (!enabled[OP_READ] && !enabled[OP_WRITE])
		usage();	/* the only guarantee the loop below ends */
	model = calloc(1, maxlen);
	buf = malloc(maxlen);
	if (!model || !buf) {
		fprintf(stderr, "zufs-fsx: out of memory\n");
		return 2;
	}
	open_file(O_CREAT | O_TRUNC);
	if (autoprobe)
		probe();
	printf("zufs-fsx: %llu operations, seed %llu, file size up to 0x%llx, operations up to 0x%llx\n",
	       nops, seed, maxlen, maxop);
	fflush(stdout);
	for (opno = 1; opno <= nops; opno++) {
		enum op op;

		do {
			op = weighted[rnd_below(sizeof(weighted) / sizeof(weighted[0]))];
		} while (!enabled[op]);
		do_op(op);
		count[op]++;
		check_size(op_name[op]);
		if (corrupt_at && opno == corrupt_at && fsize)
			model[rnd_below(fsize)] ^= 0x5a;
		if (check_every && opno % check_every == 0)
			full_check("periodic check");
		if (reopen_every && opno % reopen_every == 0) {
			if (close(fd))
				fail("close: %s", strerror(errno));
			open_file(0);
			full_check("reopen");
		}
	}
	opno = nops;
	full_check("final check");
	if (close(fd))
		fail("close: %s", strerror(errno));
	for (int op = 0; op < OP_NR; op++)
		if (enabled[op])
			printf("  %-15s %llu\n", op_name[op], count[op]);
	printf("zufs-fsx: %llu operations verified, final size 0x%llx\n",
	       nops, fsize);
	free(model);
	free(buf);
	return 0;
}
