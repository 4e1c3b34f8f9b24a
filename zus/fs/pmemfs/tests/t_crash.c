// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_crash.c - crash consistency (crash points and kill -9), fsck of
 * corrupted images, the mkfs/fsck tools.
 */
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "t_script.h"

#define MiB (1ULL << 20)

struct refs {
	char **dump;	/* dump[i]: the tree after i operations */
	int n;
};

static void refs_free(struct refs *r)
{
	for (int i = 0; i <= r->n; i++)
		free(r->dump[i]);
	free(r->dump);
}

/* Run the script on a copy of the pristine image, remembering the tree
 * after every operation and the number of crash points passed.
 */
static int dry_run(struct img *pristine, const struct op *ops, int n,
		   struct refs *refs, unsigned long *points)
{
	struct img w;
	struct pmfs_sb *sb;
	unsigned long p0;

	img_path(&w, "dry");
	if (img_copy(pristine->path, w.path) || img_map(&w))
		return -1;
	sb = t_mount(&w);
	if (!sb)
		return -1;
	refs->n = n;
	refs->dump = calloc((size_t)n + 1, sizeof(char *));
	refs->dump[0] = t_dump(sb);
	p0 = pmfs_crash_points;
	for (int i = 0; i < n; i++) {
		op_exec(sb, &ops[i]);
		refs->dump[i + 1] = t_dump(sb);
	}
	*points = pmfs_crash_points - p0;
	pmfs_unmount(sb);
	img_remove(&w);
	return 0;
}

/* After a crash: recover, compare with the tree after done or done + 1
 * operations, check. Returns failures.
 */
static int verify_after_crash(struct img *w, struct refs *refs, int done,
			      const struct op *ops, const char *what)
{
	struct pmfs_sb *sb;
	char *d;
	int bad = 0;
	unsigned e;

	if (img_map(w))
		return 1;
	sb = t_mount(w);
	if (!sb) {
		fprintf(stderr, "    %s: mount after crash failed\n", what);
		img_unmap(w);
		return 1;
	}
	d = t_dump(sb);
	if ((done >= refs->n || op_atomic(&ops[done])) &&
	    strcmp(d, refs->dump[done]) &&
	    (done >= refs->n || strcmp(d, refs->dump[done + 1]))) {
		fprintf(stderr, "    %s: after %d completed operations the tree "
			"matches neither state\n--- got\n%s--- expected\n%s",
			what, done, d, refs->dump[done]);
		bad++;
	}
	free(d);
	pmfs_unmount(sb);
	e = t_fsck(w, false, false);
	if (e) {
		fprintf(stderr, "    %s: fsck found %u problems:\n", what, e);
		t_fsck(w, false, true);
		bad++;
	}
	img_unmap(w);
	return bad;
}

static int run_crash(struct img *pristine, const struct op *ops, int n,
		     struct refs *refs, long countdown, int kill_after_us,
		     const char *what)
{
	volatile int *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct img w;
	pid_t pid;
	int status, bad;

	img_path(&w, "crash");
	if (done == MAP_FAILED || img_copy(pristine->path, w.path))
		return 1;
	*done = 0;
	pid = fork();
	if (pid == 0) {
		struct pmfs_sb *sb;

		if (img_map(&w) || !(sb = t_mount(&w)))
			_exit(2);
		pmfs_crash_countdown = countdown;
		for (int i = 0; i < n; i++) {
			op_exec(sb, &ops[i]);
			__atomic_store_n(done, i + 1, __ATOMIC_SEQ_CST);
		}
		pmfs_crash_countdown = 0;
		pmfs_unmount(sb);
		_exit(0);
	}
	if (kill_after_us) {
		usleep((useconds_t)kill_after_us);
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		munmap((void *)done, 4096);
		return 1;
	}
	bad = verify_after_crash(&w, refs, *done, ops, what);
	munmap((void *)done, 4096);
	img_remove(&w);
	return bad;
}

static int crash_script(struct op *ops, size_t max)
{
	int n = 0;

	memset(ops, 0, max * sizeof(*ops));

#define OPS(t, x, y) do { ops[n].type = (t); \
	strcpy(ops[n].a, x); strcpy(ops[n].b, y); n++; } while (0)
	OPS(OP_MKDIR, "d", "");
	OPS(OP_MKDIR, "d/e", "");
	OPS(OP_CREATE, "d/f", "");
	ops[n].off = 100; ops[n].len = 20000; ops[n].seed = 3;
	OPS(OP_WRITE, "d/f", "");
	OPS(OP_LINK, "d/f", "d/e/g");
	OPS(OP_SYMLINK, "s", "d/f");
	OPS(OP_SYMLINK, "long", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	OPS(OP_RENAME, "d/f", "top");
	OPS(OP_RENAME, "d/e", "e2");
	ops[n].flags = PMFS_RENAME_EXCHANGE;
	OPS(OP_RENAME, "top", "e2");
	ops[n].flags = PMFS_RENAME_WHITEOUT;
	OPS(OP_RENAME, "s", "d/s2");
	ops[n].off = 3000;
	OPS(OP_TRUNC, "e2", "");
	OPS(OP_UNLINK, "d/s2", "");
	ops[n].seed = 5;
	OPS(OP_XCREATE, "d/xf", "");
	ops[n].flags = 1; ops[n].seed = 6;
	OPS(OP_XCREATE, "xd", "");
	OPS(OP_TMPFILE, "tmpnamed", "");
	OPS(OP_TMPFILE, "", "");
	ops[n].len = 700; ops[n].seed = 9;	/* several truncate transactions */
	OPS(OP_FRAG, "frag1", "frag2");
	ops[n].off = 0;
	OPS(OP_TRUNC, "frag1", "");
	OPS(OP_UNLINK, "frag2", "");
	for (int i = 0; i < 40; i++) {
		ops[n].type = OP_CREATE;
		snprintf(ops[n++].a, 64, "d/many%d", i);	/* leaf splits */
	}
	OPS(OP_RENAME, "d/many3", "d/many4");
	OPS(OP_RMDIR, "top/e", "");
	OPS(OP_UNLINK, "top/g", "");
	OPS(OP_RMDIR, "top", "");
#undef OPS
	return n;
}

void t_crash_points(void)
{
	struct op ops[128];
	struct refs refs;
	struct img pristine;
	unsigned long points;
	int n = crash_script(ops, 128), bad = 0, runs = 0;
	long step;

	REQUIRE(!img_new(&pristine, "pristine", 16 * MiB, 0));
	img_unmap(&pristine);
	REQUIRE(!img_map(&pristine));
	REQUIRE(!dry_run(&pristine, ops, n, &refs, &points));
	CHECK(points > 100);
	/* every point of the first operations, then a sample */
	step = (long)points / 150 + 1;
	for (long k = 1; k <= (long)points; k += (k < 150 ? 1 : step)) {
		char what[64];

		snprintf(what, sizeof(what), "crash point %ld/%lu", k, points);
		bad += run_crash(&pristine, ops, n, &refs, k, 0, what);
		runs++;
		if (bad > 3)
			break;
	}
	printf("    %lu crash points in the script, %d crashed runs "
	       "verified\n", points, runs);
	CHECK_EQ(bad, 0);
	refs_free(&refs);
	img_remove(&pristine);
}

void t_crash_kill(void)
{
	enum { N = 400 };
	struct op *ops = calloc(N, sizeof(*ops));
	struct refs refs;
	struct img pristine;
	unsigned long points;
	int bad = 0;

	REQUIRE(ops);
	script_gen(ops, N, 4242, false);
	REQUIRE(!img_new(&pristine, "pristine2", 16 * MiB, 0));
	REQUIRE(!dry_run(&pristine, ops, N, &refs, &points));
	t_srand(99);
	for (int i = 0; i < 25 && bad < 3; i++) {
		char what[64];
		int us = 2000 + (int)(t_rand() % 60000);

		snprintf(what, sizeof(what), "kill -9 after %d us", us);
		bad += run_crash(&pristine, ops, N, &refs, 0, us, what);
	}
	CHECK_EQ(bad, 0);
	refs_free(&refs);
	img_remove(&pristine);
	free(ops);
}

/* ~~~~ fsck of corrupted images ~~~~ */
struct layout {
	uint64_t f1, f2, f3, fa, fb, d, free_block;
};

static void populate(struct img *im, struct layout *l)
{
	struct pmfs_sb *sb = t_mount(im);
	struct pmfs_attr a;
	char buf[3000];

	memset(buf, 'z', sizeof(buf));
	t_mk(sb, "a", S_IFDIR | 0755, NULL, 0);
	t_mk(sb, "a/sub", S_IFDIR | 0755, NULL, 0);
	for (int i = 0; i < 300; i++) {
		char n[32];

		snprintf(n, sizeof(n), "a/file%d", i);
		t_mk(sb, n, S_IFREG | 0644, NULL, 0);
		t_write(sb, n, buf, sizeof(buf), 0);
	}
	t_link(sb, "a/file3", "a/sub/hard");
	t_mk(sb, "a/sl", S_IFLNK | 0777, "somewhere", 0);
	t_stat(sb, "a/file1", &a);
	l->f1 = a.ino;
	t_stat(sb, "a/file2", &a);
	l->f2 = a.ino;
	t_stat(sb, "a/file3", &a);
	l->f3 = a.ino;
	t_stat(sb, "a/file10", &a);
	l->fa = a.ino;
	t_stat(sb, "a/file11", &a);
	l->fb = a.ino;
	t_stat(sb, "a", &a);
	l->d = a.ino;
	pmfs_unmount(sb);
}

static struct pmfs_inode *inode_at(struct img *im, uint64_t ino)
{
	const struct pmfs_super *ps = im->base;

	return (struct pmfs_inode *)((char *)im->base + ps->itable_off) + ino;
}

static void reseal(struct pmfs_inode *pi)
{
	pi->csum = pmfs_crc32c(0, pi, PMFS_INODE_CSUM_LEN);
}

static void bit_set(struct img *im, bool blocks, uint64_t b, int v)
{
	const struct pmfs_super *ps = im->base;
	uint64_t *m = (uint64_t *)((char *)im->base +
				   (blocks ? ps->bbitmap_off : ps->ibitmap_off));

	if (v)
		m[b / 64] |= 1ULL << (b % 64);
	else
		m[b / 64] &= ~(1ULL << (b % 64));
}

enum { C_SB, C_INODE, C_DANGLING, C_NLINK, C_DOUBLE, C_LEAK, C_ORPHAN,
       C_LEAF, C_ORPHANLIST, C_NCASES };
static const char *cname[] = { "superblock checksum", "bad inode",
	"dangling entry", "link count", "double allocation", "leaked block",
	"unattached inode", "damaged directory leaf", "orphan list" };

static void corrupt(struct img *im, int c, const struct layout *l)
{
	const struct pmfs_super *ps = im->base;
	struct pmfs_inode *pi;

	switch (c) {
	case C_SB:
		((char *)im->base)[200] ^= 0x40;	/* in the label */
		break;
	case C_INODE:
		inode_at(im, l->f1)->size ^= 0x1000;	/* csum now wrong */
		break;
	case C_DANGLING:
		memset(inode_at(im, l->f2), 0, PMFS_INODE_SIZE);
		bit_set(im, false, l->f2, 0);
		break;
	case C_NLINK:
		pi = inode_at(im, l->f3);
		pi->nlink = 7;
		reseal(pi);
		break;
	case C_DOUBLE:
		pi = inode_at(im, l->fb);
		pi->root = inode_at(im, l->fa)->root;
		reseal(pi);
		break;
	case C_LEAK:
		bit_set(im, true, ps->nblocks - 5, 1);
		break;
	case C_ORPHAN: {
		uint64_t ino = ps->ninodes - 3;

		pi = inode_at(im, ino);
		memset(pi, 0, sizeof(*pi));
		pi->mode = S_IFREG | 0644;
		pi->nlink = 1;
		pi->size = 0;
		pi->iflags = 0;
		pi->flags = 0;
		pi->btime.sec = 1;
		pi->inline_data[0] = 1;
		pi->size = 1;
		pi->root = 0;
		reseal(pi);
		bit_set(im, false, ino, 1);
		break;
	}
	case C_LEAF: {
		pi = inode_at(im, l->d);
		uint64_t root = pi->root & ~0xfffULL;
		uint64_t *node = (uint64_t *)((char *)im->base + root);
		/* the directory has 300 entries: its root is a node */
		char *leaf = (char *)im->base + (node[0] & ~0xfffULL);

		if (pi->root & 1)
			memset(leaf + 200, 0xff, 16);
		break;
	}
	case C_ORPHANLIST: {
		uint64_t *head = (uint64_t *)((char *)im->base + 4096 + 32);

		*head = ps->ninodes - 7;	/* a free inode */
		break;
	}
	}
}

void t_fsck_cases(void)
{
	struct img pristine, w;
	struct layout l;

	REQUIRE(!img_new(&pristine, "fsckp", 32 * MiB, 2000));
	populate(&pristine, &l);
	CHECK_EQ(t_fsck(&pristine, false, true), 0);
	img_unmap(&pristine);
	for (int c = 0; c < C_NCASES; c++) {
		struct pmfs_check_result res;
		struct pmfs_sb *sb;
		unsigned e;

		img_path(&w, "fsckw");
		REQUIRE(!img_copy(pristine.path, w.path) && !img_map(&w));
		corrupt(&w, c, &l);
		e = t_fsck(&w, false, false);
		if (!e)
			fprintf(stderr, "    case '%s' not detected\n", cname[c]);
		CHECK(e > 0);
		REQUIRE(!pmfs_check(w.base, w.len, 0, PMFS_CHECK_REPAIR |
				    PMFS_CHECK_QUIET, NULL, NULL, NULL, &res));
		if (res.fixed < res.errors || !res.errors) {
			fprintf(stderr, "    case '%s': %u errors, %u fixed\n",
				cname[c], res.errors, res.fixed);
			t_fsck(&w, false, true);
		}
		CHECK(res.errors > 0 && res.fixed == res.errors);
		e = t_fsck(&w, false, false);
		if (e) {
			fprintf(stderr, "    case '%s': still broken:\n",
				cname[c]);
			t_fsck(&w, false, true);
		}
		CHECK_EQ(e, 0);
		sb = t_mount(&w);
		CHECK(sb != NULL);
		if (sb && c == C_ORPHAN) {
			struct pmfs_attr a;
			char p[64];

			snprintf(p, sizeof(p), "lost+found/#%llu",
				 (unsigned long long)(pmfs_super(sb)->ninodes - 3));
			CHECK_EQ(t_stat(sb, p, &a), 0);
		}
		if (sb && c != C_DANGLING && c != C_INODE && c != C_LEAF) {
			struct pmfs_attr a;

			CHECK_EQ(t_stat(sb, "a/file299", &a), 0);
		}
		if (sb)
			pmfs_unmount(sb);
		img_remove(&w);
	}
	img_remove(&pristine);
}

/* ~~~~ the tools ~~~~ */
static int run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (!p)
		return -1;
	if (out) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = 0;
	} else {
		char buf[4096];

		while (fread(buf, 1, sizeof(buf), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void t_tools(void)
{
	const char *dir = getenv("PMFS_TOOLS");
	char cmd[1024], out[8192];
	struct img im;

	if (!dir) {
		printf("    PMFS_TOOLS not set: skipped\n");
		return;
	}
	img_path(&im, "tools");
	unlink(im.path);
#define T(rc, fmt, ...) do { \
	snprintf(cmd, sizeof(cmd), fmt " 2>&1", __VA_ARGS__); \
	int _r = run(cmd, out, sizeof(out)); \
	if (_r != (rc)) \
		fprintf(stderr, "    '%s' exited %d, expected %d:\n%s", \
			cmd, _r, rc, out); \
	CHECK_EQ(_r, rc); \
} while (0)
	T(0, "%s/mkfs.pmemfs -s 32M -L tools %s", dir, im.path);
	CHECK(strstr(out, "32 MiB") != NULL);
	T(1, "%s/mkfs.pmemfs %s", dir, im.path);
	CHECK(strstr(out, "use -f") != NULL);
	T(0, "%s/mkfs.pmemfs -f -q -i 5000 %s", dir, im.path);
	T(1, "%s/mkfs.pmemfs -f -s 1M %s.small", dir, im.path);
	CHECK(strstr(out, "too small") != NULL);
	T(1, "%s/mkfs.pmemfs /dev/null%s", dir, "");
	CHECK(strstr(out, "not a block device or a regular file") != NULL);
	T(1, "%s/mkfs.pmemfs -s 12Q %s", dir, im.path);
	T(0, "%s/fsck.pmemfs %s", dir, im.path);
	CHECK(strstr(out, "clean") != NULL);
	T(0, "%s/fsck.pmemfs -f -n %s", dir, im.path);
	T(16, "%s/fsck.pmemfs -n -y %s", dir, im.path);
	T(16, "%s/fsck.pmemfs%s", dir, "");
	T(8, "%s/fsck.pmemfs -n %s.none", dir, im.path);
	T(8, "%s/fsck.pmemfs -n %s.small", dir, im.path);
	/* corrupt: a leaked block */
	REQUIRE(!img_map(&im));
	bit_set(&im, true, ((struct pmfs_super *)im.base)->nblocks - 9, 1);
	img_unmap(&im);
	T(4, "%s/fsck.pmemfs -f -n %s", dir, im.path);
	T(1, "%s/fsck.pmemfs -f -y %s", dir, im.path);
	T(0, "%s/fsck.pmemfs -f -n %s", dir, im.path);
#undef T
	snprintf(cmd, sizeof(cmd), "%s.small", im.path);
	unlink(cmd);
	unlink(im.path);
}
