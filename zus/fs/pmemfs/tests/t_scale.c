// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_scale.c - a 100,000-entry directory, random operations checked against
 * the kernel's tmpfs as the reference model, concurrent threads.
 */
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <linux/fs.h>
#include "t_script.h"

#define MiB (1ULL << 20)

static int count_fill(void *ctx, const char *name, size_t len, uint64_t ino,
		      unsigned type, uint64_t next)
{
	(void)name;
	(void)len;
	(void)ino;
	(void)type;
	(void)next;
	(*(long *)ctx)++;
	return 0;
}

void t_bigdir(void)
{
	enum { N = 100000 };
	struct pmfs_new nw = { .mode = S_IFREG | 0644 };
	struct pmfs_statfs s0, s1;
	struct pmfs_sb *sb;
	struct pmfs_ii *d;
	struct rusage ru;
	struct img im;
	char name[64];
	double t0, tc, tl, tr, tu;
	long count = 0;
	int errs = 0;
	uint64_t ino;

	REQUIRE(!img_new(&im, "bigdir", 512 * MiB, N + 1000));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &s0);
	CHECK_EQ(t_mk(sb, "big", S_IFDIR | 0755, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "big", &d));
	t0 = t_now();
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "entry-%07d-%x", i, i * 2654435761U);
		errs += pmfs_create(d, name, strlen(name), &nw, NULL) != 0;
	}
	tc = t_now() - t0;
	CHECK_EQ(errs, 0);
	t0 = t_now();
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "entry-%07d-%x", i, i * 2654435761U);
		errs += pmfs_lookup(d, name, strlen(name), &ino) != 0;
	}
	tl = t_now() - t0;
	CHECK_EQ(errs, 0);
	CHECK_EQ(pmfs_lookup(d, "entry-x", 7, &ino), -ENOENT);
	t0 = t_now();
	CHECK_EQ(pmfs_readdir(d, 0, count_fill, &count), 0);
	tr = t_now() - t0;
	CHECK_EQ(count, N + 2);
	t0 = t_now();
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "entry-%07d-%x", i, i * 2654435761U);
		errs += pmfs_unlink(d, name, strlen(name)) != 0;
	}
	tu = t_now() - t0;
	CHECK_EQ(errs, 0);
	count = 0;
	CHECK_EQ(pmfs_readdir(d, 0, count_fill, &count), 0);
	CHECK_EQ(count, 2);
	pmfs_iput(d);
	CHECK_EQ(t_rmdir(sb, "big"), 0);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	CHECK_EQ(s1.ffree, s0.ffree);
	getrusage(RUSAGE_SELF, &ru);
	printf("    bigdir %d entries: create %.2f us, lookup %.2f us, "
	       "readdir %.3f us/entry, unlink %.2f us; "
	       "max RSS %ld MiB (ASan builds: shadow included)\n", N, tc * 1e6 / N,
	       tl * 1e6 / N, tr * 1e6 / N, tu * 1e6 / N, ru.ru_maxrss / 1024);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

/* ~~~~ the kernel's tmpfs as the model ~~~~ */
static int ref_exec(int rfd, const struct op *op)
{
	static char buf[1 << 20];
	int fd, r = 0;

	switch (op->type) {
	case OP_CREATE:
		fd = openat(rfd, op->a, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	case OP_MKDIR:
		return mkdirat(rfd, op->a, 0755) ? -errno : 0;
	case OP_SYMLINK:
		return symlinkat(op->b, rfd, op->a) ? -errno : 0;
	case OP_UNLINK:
		return unlinkat(rfd, op->a, 0) ? -errno : 0;
	case OP_RMDIR:
		return unlinkat(rfd, op->a, AT_REMOVEDIR) ? -errno : 0;
	case OP_RENAME:
		return syscall(SYS_renameat2, rfd, op->a, rfd, op->b,
			       op->flags) ? -errno : 0;
	case OP_LINK:
		return linkat(rfd, op->a, rfd, op->b, 0) ? -errno : 0;
	case OP_WRITE:
	case OP_TRUNC:
		fd = openat(rfd, op->a, O_WRONLY | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		if (op->type == OP_TRUNC) {
			r = ftruncate(fd, (off_t)op->off) ? -errno : 0;
		} else {
			for (size_t i = 0; i < op->len; i++)
				buf[i] = (char)((i * 31 + op->seed * 17) ^
						(i >> 9));
			if (pwrite(fd, buf, op->len, (off_t)op->off) !=
			    (ssize_t)op->len)
				r = -errno;
		}
		close(fd);
		return r;
	case OP_TMPFILE:
		fd = openat(rfd, ".", O_TMPFILE | O_WRONLY, 0600);
		if (fd < 0)
			return -errno;
		for (size_t i = 0; i < 10000; i++)
			buf[i] = (char)((i * 31 + op->seed * 17) ^ (i >> 9));
		if (pwrite(fd, buf, 10000, 0) != 10000)
			r = -EIO;
		if (!r && op->a[0] &&
		    linkat(fd, "", rfd, op->a, AT_EMPTY_PATH))
			r = -errno;
		close(fd);
		return r;
	}
	return -EINVAL;
}

struct hl {
	char **v;
	size_t n, cap;
};

static void ref_dump_dir(int dfd, const char *prefix, struct hl *h)
{
	DIR *dir = fdopendir(dup(dfd));
	struct dirent *e;

	if (!dir)
		return;
	rewinddir(dir);	/* the dup shares the offset */
	while ((e = readdir(dir))) {
		char path[4096], extra[4200] = "", *line;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", prefix, e->d_name);
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(st.st_mode)) {
			int fd = openat(dfd, e->d_name, O_RDONLY);
			char *buf = malloc((size_t)st.st_size + 1);
			ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);

			snprintf(extra, sizeof(extra), "crc=%08x",
				 pmfs_crc32c(0, buf, n > 0 ? (size_t)n : 0));
			free(buf);
			close(fd);
		} else if (S_ISLNK(st.st_mode)) {
			char t[4097];
			ssize_t n = readlinkat(dfd, e->d_name, t, sizeof(t) - 1);

			t[n > 0 ? n : 0] = 0;
			snprintf(extra, sizeof(extra), "-> %s", t);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			snprintf(extra, sizeof(extra), "rdev=%u",
				 (unsigned)st.st_rdev);
		}
		if (asprintf(&line, "%s mode=%o nlink=%u size=%llu %s", path,
			     st.st_mode, (unsigned)st.st_nlink,
			     S_ISDIR(st.st_mode) ? 0ULL :
			     (unsigned long long)st.st_size, extra) > 0) {
			if (h->n == h->cap) {
				h->cap = h->cap ? h->cap * 2 : 64;
				h->v = realloc(h->v, h->cap * sizeof(*h->v));
			}
			h->v[h->n++] = line;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY);

			ref_dump_dir(sub, path, h);
			close(sub);
		}
	}
	closedir(dir);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static char *ref_dump(int rfd)
{
	struct hl h = { 0 };
	size_t total = 1;
	char *out, *p;

	ref_dump_dir(rfd, "", &h);
	if (h.n)
		qsort(h.v, h.n, sizeof(*h.v), cmpstr);
	for (size_t i = 0; i < h.n; i++)
		total += strlen(h.v[i]) + 1;
	out = p = malloc(total);
	*p = 0;
	for (size_t i = 0; i < h.n; i++) {
		p = stpcpy(p, h.v[i]);
		*p++ = '\n';
		*p = 0;
		free(h.v[i]);
	}
	free(h.v);
	return out;
}

static void rm_rf(int dfd)
{
	DIR *dir = fdopendir(dup(dfd));
	struct dirent *e;

	if (!dir)
		return;
	rewinddir(dir);
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dfd, e->d_name, 0) && errno == EISDIR) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY);

			rm_rf(sub);
			close(sub);
			unlinkat(dfd, e->d_name, AT_REMOVEDIR);
		}
	}
	closedir(dir);
}

static bool same_err(const struct op *op, int a, int b)
{
	if (a == b)
		return true;
	/* writing a symlink / device node: both must fail, codes differ */
	return (op->type == OP_WRITE || op->type == OP_TRUNC) && a && b;
}

void t_model(void)
{
	enum { N = 1500 };
	struct op *ops = calloc(N, sizeof(*ops));
	char refdir[256], *d1, *d2;
	struct pmfs_sb *sb;
	struct img im;
	int rfd, mism = 0;
	mode_t old = umask(0);

	snprintf(refdir, sizeof(refdir), "%s/pmfs-model-%d",
		 access("/dev/shm", W_OK) ? t_dir() : "/dev/shm", (int)getpid());
	mkdir(refdir, 0700);
	rfd = open(refdir, O_RDONLY | O_DIRECTORY);
	REQUIRE(rfd >= 0 && ops);
	REQUIRE(!img_new(&im, "model", 64 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	for (int seed = 1; seed <= 3; seed++) {
		script_gen(ops, N, (uint64_t)seed * 7919, seed == 3);
		for (int i = 0; i < N; i++) {
			int a = op_exec(sb, &ops[i]), b = ref_exec(rfd, &ops[i]);

			if (!same_err(&ops[i], a, b) && mism++ < 10)
				fprintf(stderr, "    op %d type %d '%s' '%s' "
					"flags %u: pmemfs %d, tmpfs %d\n", i,
					ops[i].type, ops[i].a, ops[i].b,
					ops[i].flags, a, b);
			if (i % 100 == 99 || i == N - 1) {
				d1 = t_dump(sb);
				d2 = ref_dump(rfd);
				if (strcmp(d1, d2) && mism++ < 10)
					fprintf(stderr, "    seed %d op %d: trees "
						"differ\n--- pmemfs\n%s--- tmpfs"
						"\n%s", seed, i, d1, d2);
				free(d1);
				free(d2);
			}
			if (i == N / 2) {
				/* remount halfway: same tree */
				d1 = t_dump(sb);
				pmfs_unmount(sb);
				CHECK_EQ(t_fsck(&im, false, true), 0);
				sb = t_mount(&im);
				REQUIRE(sb);
				d2 = t_dump(sb);
				CHECK(!strcmp(d1, d2));
				free(d1);
				free(d2);
			}
		}
		/* start the next seed from empty trees */
		pmfs_unmount(sb);
		CHECK_EQ(t_fsck(&im, false, true), 0);
		rm_rf(rfd);
		REQUIRE(!pmfs_format(im.base, im.len, 0, NULL, NULL, 0));
		REQUIRE((sb = t_mount(&im)));
	}
	CHECK_EQ(mism, 0);
	pmfs_unmount(sb);
	close(rfd);
	rmdir(refdir);
	img_remove(&im);
	free(ops);
	umask(old);
}

/* ~~~~ threads ~~~~ */
struct thr {
	struct pmfs_sb *sb;
	int id;
	int errs;
};

static void *thr_fn(void *arg)
{
	struct thr *t = arg;
	char a[64], b[64], buf[9000];

	memset(buf, t->id, sizeof(buf));
	for (int i = 0; i < 600; i++) {
		snprintf(a, sizeof(a), "shared/t%d-%d", t->id, i % 50);
		snprintf(b, sizeof(b), "shared/t%d-%d", (t->id + 1) % 4, i % 50);
		switch (i % 6) {
		case 0:
			t_mk(t->sb, a, S_IFREG | 0644, NULL, 0);
			break;
		case 1:
			t_write(t->sb, a, buf, sizeof(buf), (uint64_t)i * 10);
			break;
		case 2:
			t_rename(t->sb, a, b, 0);
			break;
		case 3:
			snprintf(a, sizeof(a), "own%d/d%d", t->id, i % 7);
			t_mk(t->sb, a, S_IFDIR | 0755, NULL, 0);
			snprintf(b, sizeof(b), "shared/dir%d", i % 9);
			t_rename(t->sb, a, b, PMFS_RENAME_EXCHANGE);
			break;
		case 4:
			t_unlink(t->sb, b);
			break;
		case 5:
			snprintf(a, sizeof(a), "shared/dir%d", i % 9);
			t_mk(t->sb, a, S_IFDIR | 0755, NULL, 0);
			t_rmdir(t->sb, a);
			break;
		}
	}
	return NULL;
}

void t_threads(void)
{
	struct pmfs_sb *sb;
	pthread_t th[4];
	struct thr t[4];
	struct img im;
	char n[32];

	REQUIRE(!img_new(&im, "threads", 64 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	CHECK_EQ(t_mk(sb, "shared", S_IFDIR | 0755, NULL, 0), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "own%d", i);
		CHECK_EQ(t_mk(sb, n, S_IFDIR | 0755, NULL, 0), 0);
		t[i] = (struct thr){ .sb = sb, .id = i };
		pthread_create(&th[i], NULL, thr_fn, &t[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}
