// SPDX-License-Identifier: BSD-3-Clause
/* tlib.c - helpers for the pmemfs unit tests. */
#include <unistd.h>
#include <fcntl.h>
#include <time.h>
#include <sys/mman.h>
#include <libpmem.h>
#include "tlib.h"

const char *t_dir(void)
{
	const char *d = getenv("PMFS_TEST_DIR");

	return d && *d ? d : "/tmp";
}

void img_path(struct img *im, const char *name)
{
	snprintf(im->path, sizeof(im->path), "%s/pmfs-test-%d-%s.img", t_dir(),
		 (int)getpid(), name);
}

int img_map(struct img *im)
{
	im->base = pmem_map_file(im->path, 0, 0, 0, &im->len, &im->is_pmem);
	return im->base ? 0 : -errno;
}

void img_unmap(struct img *im)
{
	if (im->base)
		pmem_unmap(im->base, im->len);
	im->base = NULL;
}

void img_remove(struct img *im)
{
	img_unmap(im);
	unlink(im->path);
}

int img_new(struct img *im, const char *name, uint64_t size, uint64_t inodes)
{
	struct pmfs_mkfs_opts o = { .ninodes = inodes, .label = "test" };
	char err[256];
	int fd, r;

	memset(im, 0, sizeof(*im));
	img_path(im, name);
	unlink(im->path);
	fd = open(im->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	r = img_map(im);
	if (r)
		return r;
	r = pmfs_format(im->base, im->len, im->is_pmem, &o, err, sizeof(err));
	if (r)
		fprintf(stderr, "    format: %s\n", err);
	return r;
}

int img_copy(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out;
	struct stat st;
	off_t off = 0;

	if (in < 0 || fstat(in, &st))
		return -errno;
	out = open(to, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (out < 0 || ftruncate(out, st.st_size)) {
		close(in);
		return -errno;
	}
	while (off < st.st_size) {
		static char buf[1 << 16], zero[1 << 16];
		ssize_t n = pread(in, buf, sizeof(buf), off);

		if (n <= 0)
			break;
		if (memcmp(buf, zero, (size_t)n) &&
		    pwrite(out, buf, (size_t)n, off) != n)
			break;
		off += n;
	}
	close(in);
	close(out);
	return off == st.st_size ? 0 : -EIO;
}

struct pmfs_sb *t_mount(struct img *im)
{
	struct pmfs_sb *sb = NULL;
	char err[256];

	if (pmfs_mount(im->base, im->len, im->is_pmem, 0, &sb, err,
		       sizeof(err))) {
		fprintf(stderr, "    mount: %s\n", err);
		return NULL;
	}
	return sb;
}

/* split "a/b/c" into the parent (referenced) and the last name */
int t_parent(struct pmfs_sb *sb, const char *path, struct pmfs_ii **dir,
		    const char **name, size_t *len)
{
	const char *slash = strrchr(path, '/');
	char buf[4096];
	int r;

	if (!slash) {
		*name = path;
		*len = strlen(path);
		return pmfs_iget(sb, PMFS_ROOT_INO, dir);
	}
	if ((size_t)(slash - path) >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, (size_t)(slash - path));
	buf[slash - path] = 0;
	r = t_walk(sb, buf, dir);
	*name = slash + 1;
	*len = strlen(slash + 1);
	return r;
}

int t_walk(struct pmfs_sb *sb, const char *path, struct pmfs_ii **iip)
{
	struct pmfs_ii *cur;
	int r = pmfs_iget(sb, PMFS_ROOT_INO, &cur);

	while (!r && *path) {
		const char *e = strchr(path, '/');
		size_t len = e ? (size_t)(e - path) : strlen(path);
		uint64_t ino;
		struct pmfs_ii *next;

		if (len) {
			r = pmfs_lookup(cur, path, len, &ino);
			if (!r)
				r = pmfs_iget(sb, ino, &next);
			if (r)
				break;
			pmfs_iput(cur);
			cur = next;
		}
		path += len + (e ? 1 : 0);
	}
	if (r) {
		pmfs_iput(cur);
		return r;
	}
	*iip = cur;
	return 0;
}

int t_mk(struct pmfs_sb *sb, const char *path, uint32_t mode,
	 const char *symname, uint32_t rdev)
{
	struct pmfs_new n = { .mode = mode, .uid = 1000, .gid = 100,
			      .rdev = rdev, .symname = symname };

	return t_mk_new(sb, path, &n);
}

int t_mkx(struct pmfs_sb *sb, const char *path, uint32_t mode,
	  const struct pmfs_xattr_in *x, unsigned int nr)
{
	struct pmfs_new n = { .mode = mode, .uid = 1000, .gid = 100,
			      .xattrs = x, .nr_xattrs = nr };

	return t_mk_new(sb, path, &n);
}

int t_mk_new(struct pmfs_sb *sb, const char *path, const struct pmfs_new *n)
{
	struct pmfs_ii *dir;
	const char *name;
	size_t len;
	int r = t_parent(sb, path, &dir, &name, &len);

	if (r)
		return r;
	r = pmfs_create(dir, name, len, n, NULL);
	pmfs_iput(dir);
	return r;
}

static int t_remove(struct pmfs_sb *sb, const char *path, bool dir)
{
	struct pmfs_ii *d;
	const char *name;
	size_t len;
	int r = t_parent(sb, path, &d, &name, &len);

	if (r)
		return r;
	r = dir ? pmfs_rmdir(d, name, len) : pmfs_unlink(d, name, len);
	pmfs_iput(d);
	return r;
}

int t_unlink(struct pmfs_sb *sb, const char *path)
{
	return t_remove(sb, path, false);
}

int t_rmdir(struct pmfs_sb *sb, const char *path)
{
	return t_remove(sb, path, true);
}

int t_rename(struct pmfs_sb *sb, const char *from, const char *to,
	     uint32_t flags)
{
	struct pmfs_ii *od, *nd;
	const char *on, *nn;
	size_t ol, nl;
	int r = t_parent(sb, from, &od, &on, &ol);

	if (r)
		return r;
	r = t_parent(sb, to, &nd, &nn, &nl);
	if (r) {
		pmfs_iput(od);
		return r;
	}
	r = pmfs_rename(od, on, ol, nd, nn, nl, flags);
	pmfs_iput(od);
	pmfs_iput(nd);
	return r;
}

int t_link(struct pmfs_sb *sb, const char *from, const char *to)
{
	struct pmfs_ii *ii, *nd;
	const char *nn;
	size_t nl;
	int r = t_walk(sb, from, &ii);

	if (r)
		return r;
	r = t_parent(sb, to, &nd, &nn, &nl);
	if (!r) {
		r = pmfs_link(ii, nd, nn, nl);
		pmfs_iput(nd);
	}
	pmfs_iput(ii);
	return r;
}

int t_write(struct pmfs_sb *sb, const char *path, const void *buf, size_t len,
	    uint64_t off)
{
	struct pmfs_ii *ii;
	ssize_t n;
	int r = t_walk(sb, path, &ii);

	if (r)
		return r;
	n = pmfs_write(ii, buf, len, off);
	pmfs_iput(ii);
	return n < 0 ? (int)n : (size_t)n == len ? 0 : -EIO;
}

int t_truncate(struct pmfs_sb *sb, const char *path, uint64_t size)
{
	struct pmfs_attr a = { .size = size };
	struct pmfs_ii *ii;
	int r = t_walk(sb, path, &ii);

	if (r)
		return r;
	r = pmfs_setattr(ii, &a, PMFS_ATTR_SIZE);
	pmfs_iput(ii);
	return r;
}

int t_stat(struct pmfs_sb *sb, const char *path, struct pmfs_attr *a)
{
	struct pmfs_ii *ii;
	int r = t_walk(sb, path, &ii);

	if (r)
		return r;
	r = pmfs_getattr(ii, a);
	pmfs_iput(ii);
	return r;
}

/* ~~~~ dump ~~~~ */
struct dbuf {
	char **lines;
	size_t n, cap;
};

struct dctx {
	struct dbuf *b;
	struct pmfs_sb *sb;
	const char *prefix;
	char (*names)[260];
	uint64_t *inos;
	size_t n, cap;
};

static int dfill(void *ctx, const char *name, size_t len, uint64_t ino,
		 unsigned type, uint64_t next)
{
	struct dctx *d = ctx;

	(void)type;
	(void)next;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->names = realloc(d->names, d->cap * sizeof(*d->names));
		d->inos = realloc(d->inos, d->cap * sizeof(*d->inos));
	}
	memcpy(d->names[d->n], name, len);
	d->names[d->n][len] = 0;
	d->inos[d->n++] = ino;
	return 0;
}

static void dadd(struct dbuf *b, char *line)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->lines = realloc(b->lines, b->cap * sizeof(*b->lines));
	}
	b->lines[b->n++] = line;
}

/* " xattrs=N:crc" over the names and values of ii's xattrs, if any. */
static void xattr_digest(struct pmfs_ii *ii, char *out, size_t size)
{
	static char list[4096], val[4096];
	ssize_t n = pmfs_listxattr(ii, list, sizeof(list));
	uint32_t crc = 0;
	unsigned int count = 0;

	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
		ssize_t v = pmfs_getxattr(ii, list + i, val, sizeof(val));

		crc = pmfs_crc32c(crc, list + i, strlen(list + i) + 1);
		if (v > 0)
			crc = pmfs_crc32c(crc, val, (size_t)v);
		count++;
	}
	if (count)
		snprintf(out, size, " xattrs=%u:%08x", count, crc);
}

static void dump_dir(struct pmfs_sb *sb, struct pmfs_ii *dir,
		     const char *prefix, struct dbuf *b)
{
	struct dctx d = { .b = b, .sb = sb, .prefix = prefix };

	pmfs_readdir(dir, 0, dfill, &d);
	for (size_t i = 0; i < d.n; i++) {
		struct pmfs_ii *ii;
		struct pmfs_attr a;
		char path[4096], *line, extra[4200] = "";

		snprintf(path, sizeof(path), "%s/%s", prefix, d.names[i]);
		if (pmfs_iget(sb, d.inos[i], &ii)) {
			if (asprintf(&line, "%s BROKEN", path) > 0)
				dadd(b, line);
			continue;
		}
		pmfs_getattr(ii, &a);
		if (S_ISREG(a.mode)) {
			char *buf = malloc(a.size + 1);
			uint32_t crc;

			pmfs_read(ii, buf, a.size, 0);
			crc = pmfs_crc32c(0, buf, a.size);
			snprintf(extra, sizeof(extra), "crc=%08x", crc);
			free(buf);
		} else if (S_ISLNK(a.mode)) {
			char t[4097];
			ssize_t n = pmfs_readlink(ii, t, sizeof(t) - 1);

			t[n > 0 ? n : 0] = 0;
			snprintf(extra, sizeof(extra), "-> %s", t);
		} else if (S_ISCHR(a.mode) || S_ISBLK(a.mode)) {
			snprintf(extra, sizeof(extra), "rdev=%u", a.rdev);
		}
		xattr_digest(ii, extra + strlen(extra),
			     sizeof(extra) - strlen(extra));
		if (asprintf(&line, "%s mode=%o nlink=%u size=%llu %s", path,
			     a.mode, a.nlink, S_ISDIR(a.mode) ? 0ULL :
			     (unsigned long long)a.size,
			     extra) > 0)
			dadd(b, line);
		if (S_ISDIR(a.mode))
			dump_dir(sb, ii, path, b);
		pmfs_iput(ii);
	}
	free(d.names);
	free(d.inos);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

char *t_dump(struct pmfs_sb *sb)
{
	struct dbuf b = { 0 };
	struct pmfs_ii *root;
	size_t total = 1;
	char *out, *p;

	if (pmfs_iget(sb, PMFS_ROOT_INO, &root))
		return strdup("NO ROOT");
	dump_dir(sb, root, "", &b);
	pmfs_iput(root);
	if (b.n)
		qsort(b.lines, b.n, sizeof(*b.lines), cmp_str);
	for (size_t i = 0; i < b.n; i++)
		total += strlen(b.lines[i]) + 1;
	out = p = malloc(total);
	*p = 0;
	for (size_t i = 0; i < b.n; i++) {
		p = stpcpy(p, b.lines[i]);
		*p++ = '\n';
		*p = 0;
		free(b.lines[i]);
	}
	free(b.lines);
	return out;
}

static void t_report(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "      fsck: %s\n", msg);
}

unsigned t_fsck(struct img *im, bool repair, bool verbose)
{
	struct pmfs_check_result res;
	int r = pmfs_check(im->base, im->len, im->is_pmem,
			   repair ? PMFS_CHECK_REPAIR : 0,
			   verbose ? t_report : NULL, NULL, NULL, &res);

	if (r) {
		fprintf(stderr, "    fsck failed: %s\n", strerror(-r));
		return 1000;
	}
	return res.errors;
}

double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rstate = 88172645463325252ULL;

uint64_t t_rand(void)
{
	rstate ^= rstate << 13;
	rstate ^= rstate >> 7;
	rstate ^= rstate << 17;
	return rstate;
}

void t_srand(uint64_t seed)
{
	rstate = seed ? seed : 88172645463325252ULL;
}
