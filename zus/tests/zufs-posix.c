// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-posix [-u UID:GID] [-x DIR] [-b DIR] [-t NAME] DIR
 * zufs-posix -B COUNT [-j JOBS] [-P PID] DIR
 *
 * POSIX namespace conformance of the filesystem DIR is on (written for
 * ZUFS/pmemfs, runs on any local filesystem: compare with tmpfs or ext4).
 * Every test works in its own subdirectory of DIR and removes it.
 *
 *   -u UID:GID  (as root) run the permission cases as this unprivileged
 *               user too: sticky and setgid directories, setuid clearing,
 *               chmod/chown/utimes/rename/unlink by a non-owner
 *   -x DIR      a directory on another filesystem (EXDEV)
 *   -b DIR      the same directory as DIR through another mount (EXDEV)
 *   -t NAME     only the tests whose name contains NAME
 *   -B COUNT    big directory: create COUNT entries, look them up (after
 *               dropping the caches, as root), readdir, remove; prints
 *               the time per operation. -j JOBS: in parallel processes;
 *               -P PID: the server, whose VmRSS must stay below 64 MiB.
 *
 * Prints "ok NAME (N ms)" or "FAIL NAME line L: what" per test and
 * "zufs-posix: N passed, N failed"; exit 0 only if all passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#define RENAME_EXCHANGE		(1 << 1)
#define RENAME_WHITEOUT		(1 << 2)
#endif

static const char *base;	/* DIR */
static const char *other_fs;	/* -x */
static const char *other_mnt;	/* -b */
static uid_t user_uid;		/* -u */
static gid_t user_gid;
static bool have_user;
static long rss_pid;		/* -P */
static long rss_max;
static bool is_root;
static unsigned int passed, failed;
static const char *cur_test;
static unsigned int cur_fail;

/* ~~~~ reporting ~~~~ */

static void failf(int line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void failf(int line, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s line %d: ", cur_test, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	cur_fail++;
}

#define OK(expr) do {							\
	errno = 0;							\
	if ((long)(expr) < 0)						\
		failf(__LINE__, "%s: %s", #expr, strerror(errno));	\
} while (0)

#define ERR(expr, e) do {						\
	long _r;							\
	errno = 0;							\
	_r = (long)(expr);						\
	if (_r != -1 || errno != (e))					\
		failf(__LINE__, "%s: got %ld (%s), expected %s", #expr,	\
		      _r, _r == -1 ? strerror(errno) : "success", #e);	\
} while (0)

#define EXPECT(cond) do {						\
	if (!(cond))							\
		failf(__LINE__, "%s", #cond);				\
} while (0)

#define EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		failf(__LINE__, "%s is %lld, expected %s = %lld", #a,	\
		      _a, #b, _b);					\
} while (0)

/* ~~~~ helpers ~~~~ */

static char *path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX + 64];
	static unsigned int n;
	char *b = bufs[n++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static struct stat st_of(const char *p)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (lstat(p, &st))
		failf(0, "lstat %s: %s", p, strerror(errno));
	return st;
}

static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

/*
 * Let the kernel's clock for inode times move on, so changes are visible:
 * wait until CLOCK_REALTIME_COARSE (what current_time() reads) is past
 * its value now. A fixed sleep is not enough in a VM: while the CPU that
 * keeps time is not scheduled by the host, the coarse clock stands still
 * (seen: 12 ms of sleep, then the same timestamp).
 */
static void tick(void)
{
	struct timespec t = { 0, 1000 * 1000 }, c0, c;

	clock_gettime(CLOCK_REALTIME_COARSE, &c0);
	do {
		nanosleep(&t, NULL);
		clock_gettime(CLOCK_REALTIME_COARSE, &c);
	} while (ts_cmp(c, c0) <= 0);
}

/*
 * The time of an operation made between clock_at(BEFORE) and
 * clock_at(AFTER) lies in that interval: inode times come from the coarse
 * clock (or a finer one), never before the coarse clock's value at the
 * start, never after the fine clock's at the end.
 */
enum { BEFORE, AFTER };
static struct timespec clock_at(int when)
{
	struct timespec t;

	clock_gettime(when == BEFORE ? CLOCK_REALTIME_COARSE : CLOCK_REALTIME,
		      &t);
	return t;
}

#define WITHIN(ts, t0, t1) do {						\
	if (ts_cmp(ts, t0) < 0 || ts_cmp(ts, t1) > 0)			\
		failf(__LINE__, "%s is %lld.%09ld, not within the call's "	\
		      "%lld.%09ld..%lld.%09ld", #ts, (long long)(ts).tv_sec,	\
		      (ts).tv_nsec, (long long)(t0).tv_sec, (t0).tv_nsec,	\
		      (long long)(t1).tv_sec, (t1).tv_nsec);		\
} while (0)

static int create(const char *p, mode_t mode)
{
	int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, mode);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int put(const char *p, const void *buf, size_t len)
{
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static ssize_t get(const char *p, void *buf, size_t len)
{
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

/* Remove name in dfd and everything under it (any depth: *at calls). */
static int rm_at(int dfd, const char *name)
{
	bool again = true;
	DIR *dir;
	int fd;

	if (!unlinkat(dfd, name, 0) || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while (again) {
		struct dirent *de;

		again = false;
		rewinddir(dir);
		while ((de = readdir(dir))) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (rm_at(fd, de->d_name)) {
				closedir(dir);
				return -1;
			}
			again = true;
		}
	}
	closedir(dir);
	return unlinkat(dfd, name, AT_REMOVEDIR) && errno != ENOENT ? -1 : 0;
}

static int rm_rf(const char *p)
{
	return rm_at(AT_FDCWD, p);
}

static bool in_dir(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, name))
			found = true;
	closedir(d);
	return found;
}

/* Run fn as the -u user in a child; its failures count here. */
static void as_user(void (*fn)(const char *dir), const char *dir)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		failf(__LINE__, "fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(user_gid, user_gid, user_gid) ||
		    setresuid(user_uid, user_uid, user_uid)) {
			printf("FAIL %s: cannot become %u:%u: %s\n", cur_test,
			       user_uid, user_gid, strerror(errno));
			_exit(1);
		}
		cur_fail = 0;
		fn(dir);
		fflush(stdout);
		_exit(cur_fail > 100 ? 100 : (int)cur_fail);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		failf(__LINE__, "user child died");
	else
		cur_fail += (unsigned int)WEXITSTATUS(status);
}

/* ~~~~ the tests: each gets its own empty directory d ~~~~ */

static void t_create(const char *d)
{
	struct stat st, ds0, ds;
	struct statx sx;
	struct timespec t0, t1;
	int fd;

	ds0 = st_of(d);
	tick();
	t0 = clock_at(BEFORE);
	fd = open(path("%s/f", d), O_CREAT | O_EXCL | O_RDWR, 0666);
	t1 = clock_at(AFTER);
	OK(fd);
	OK(fstat(fd, &st));
	EXPECT(S_ISREG(st.st_mode));
	EQ(st.st_mode & 07777, 0644);	/* umask 022 */
	EQ(st.st_nlink, 1);
	EQ(st.st_size, 0);
	EQ(st.st_uid, geteuid());
	EQ(st.st_gid, getegid());
	WITHIN(st.st_mtim, t0, t1);
	EQ(ts_cmp(st.st_mtim, st.st_ctim), 0);
	EQ(ts_cmp(st.st_atim, st.st_ctim), 0);
	OK(statx(AT_FDCWD, path("%s/f", d), 0, STATX_ALL, &sx));
	EXPECT(sx.stx_mask & STATX_BTIME);
	EQ(sx.stx_btime.tv_sec, st.st_ctim.tv_sec);
	EQ(sx.stx_btime.tv_nsec, st.st_ctim.tv_nsec);
	EQ(sx.stx_ino, st.st_ino);
	close(fd);
	ds = st_of(d);
	EXPECT(ts_cmp(ds.st_mtim, ds0.st_mtim) > 0);
	EXPECT(ts_cmp(ds.st_ctim, ds0.st_ctim) > 0);
	EQ(ts_cmp(ds.st_mtim, st.st_mtim), 0);	/* one operation, one time */
	EQ(ds.st_nlink, 2);
	/* lookup */
	ERR(open(path("%s/f", d), O_CREAT | O_EXCL | O_RDWR, 0666), EEXIST);
	ERR(open(path("%s/nope", d), O_RDONLY), ENOENT);
	ERR(open(path("%s/f/x", d), O_RDONLY), ENOTDIR);
	ERR(open(path("%s/f/x", d), O_CREAT | O_RDWR, 0600), ENOTDIR);
	ERR(open(d, O_RDWR), EISDIR);
	/* O_CREAT on an existing file opens it */
	fd = open(path("%s/f", d), O_CREAT | O_RDWR, 0600);
	OK(fd);
	close(fd);
	EQ(st_of(path("%s/f", d)).st_ino, st.st_ino);
	EQ(st_of(path("%s/f", d)).st_mode & 07777, 0644);
}

static void t_mkdir(const char *d)
{
	struct stat st, ds0, ds;

	ds0 = st_of(d);
	tick();
	OK(mkdir(path("%s/a", d), 0777));
	st = st_of(path("%s/a", d));
	ds = st_of(d);
	EXPECT(S_ISDIR(st.st_mode));
	EQ(st.st_mode & 07777, 0755);
	EQ(st.st_nlink, 2);
	EQ(ds.st_nlink, ds0.st_nlink + 1);
	EXPECT(ts_cmp(ds.st_mtim, ds0.st_mtim) > 0);
	EQ(st_of(path("%s/a/..", d)).st_ino, ds.st_ino);
	EQ(st_of(path("%s/a/.", d)).st_ino, st.st_ino);
	ERR(mkdir(path("%s/a", d), 0777), EEXIST);
	OK(create(path("%s/f", d), 0644));
	ERR(mkdir(path("%s/f", d), 0777), EEXIST);
	ERR(mkdir(path("%s/f/x", d), 0777), ENOTDIR);
	ERR(mkdir(path("%s/no/x", d), 0777), ENOENT);
	OK(mkdir(path("%s/a/b", d), 0700));
	EQ(st_of(path("%s/a", d)).st_nlink, 3);
	/* rmdir */
	ERR(rmdir(path("%s/a", d)), ENOTEMPTY);
	ERR(rmdir(path("%s/f", d)), ENOTDIR);
	ERR(rmdir(path("%s/a/b/.", d)), EINVAL);
	ERR(rmdir(path("%s/nope", d)), ENOENT);
	ds0 = st_of(path("%s/a", d));
	tick();
	OK(rmdir(path("%s/a/b", d)));
	ds = st_of(path("%s/a", d));
	EQ(ds.st_nlink, 2);
	EXPECT(ts_cmp(ds.st_mtim, ds0.st_mtim) > 0);
	EXPECT(ts_cmp(ds.st_ctim, ds0.st_ctim) > 0);
	OK(rmdir(path("%s/a", d)));
	EQ(st_of(d).st_nlink, 2);
	ERR(unlink(d), EISDIR);
	{	/* a removed directory that is still someone's cwd */
		int fd, cwd = open(".", O_RDONLY | O_DIRECTORY);

		OK(mkdir(path("%s/gone", d), 0755));
		OK(chdir(path("%s/gone", d)));
		OK(rmdir(path("%s/gone", d)));
		ERR(create("x", 0644), ENOENT);
		fd = open(".", O_RDONLY | O_DIRECTORY);
		OK(fd);
		if (fd >= 0) {
			struct stat s;

			OK(fstat(fd, &s));
			EQ(s.st_nlink, 0);
			close(fd);
		}
		OK(fchdir(cwd));
		close(cwd);
	}
}

static void t_unlink(const char *d)
{
	struct stat st, st2, ds0;
	char buf[16];
	int fd;

	OK(put(path("%s/f", d), "data", 4));
	OK(link(path("%s/f", d), path("%s/g", d)));
	st = st_of(path("%s/f", d));
	EQ(st.st_nlink, 2);
	ds0 = st_of(d);
	tick();
	OK(unlink(path("%s/g", d)));
	st2 = st_of(path("%s/f", d));
	EQ(st2.st_nlink, 1);
	EXPECT(ts_cmp(st2.st_ctim, st.st_ctim) > 0);
	EXPECT(ts_cmp(st_of(d).st_mtim, ds0.st_mtim) > 0);
	ERR(unlink(path("%s/g", d)), ENOENT);
	/* unlinked while open: still there for the holder */
	fd = open(path("%s/f", d), O_RDWR);
	OK(fd);
	OK(unlink(path("%s/f", d)));
	ERR(access(path("%s/f", d), F_OK), ENOENT);
	OK(fstat(fd, &st));
	EQ(st.st_nlink, 0);
	EQ(pwrite(fd, "more", 4, 4), 4);
	EQ(pread(fd, buf, sizeof(buf), 0), 8);
	EXPECT(!memcmp(buf, "datamore", 8));
	OK(ftruncate(fd, 2));
	OK(fstat(fd, &st));
	EQ(st.st_size, 2);
	close(fd);
	EXPECT(!in_dir(d, "f"));
	ERR(unlink(path("%s/nope/x", d)), ENOENT);
}

static void t_link(const char *d)
{
	struct stat st0, st, ds0;
	int i;

	OK(create(path("%s/f", d), 0644));
	OK(mkdir(path("%s/sub", d), 0755));
	st0 = st_of(path("%s/f", d));
	ds0 = st_of(path("%s/sub", d));
	tick();
	OK(link(path("%s/f", d), path("%s/sub/g", d)));
	st = st_of(path("%s/f", d));
	EQ(st.st_nlink, 2);
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	EQ(ts_cmp(st.st_mtim, st0.st_mtim), 0);
	EXPECT(ts_cmp(st_of(path("%s/sub", d)).st_mtim, ds0.st_mtim) > 0);
	EQ(st_of(path("%s/sub/g", d)).st_ino, st.st_ino);
	ERR(link(path("%s/f", d), path("%s/sub/g", d)), EEXIST);
	ERR(link(path("%s/sub", d), path("%s/sub2", d)), EPERM);
	ERR(link(path("%s/nope", d), path("%s/x", d)), ENOENT);
	for (i = 0; i < 20; i++)
		OK(link(path("%s/f", d), path("%s/l%d", d, i)));
	EQ(st_of(path("%s/f", d)).st_nlink, 22);
	for (i = 0; i < 20; i++)
		OK(unlink(path("%s/l%d", d, i)));
	EQ(st_of(path("%s/sub/g", d)).st_nlink, 2);
	/* a symlink is linked, not followed (linkat without FOLLOW) */
	OK(symlink("f", path("%s/s", d)));
	OK(link(path("%s/s", d), path("%s/s2", d)));
	EXPECT(S_ISLNK(st_of(path("%s/s2", d)).st_mode));
	EQ(st_of(path("%s/s", d)).st_nlink, 2);
	OK(linkat(AT_FDCWD, path("%s/s", d), AT_FDCWD, path("%s/f2", d),
		  AT_SYMLINK_FOLLOW));
	EQ(st_of(path("%s/f2", d)).st_ino, st.st_ino);
}

static void t_symlink(const char *d)
{
	static const size_t lens[] = { 1, 2, 84, 85, 200, 4000, 4095 };
	char *t = malloc(4097), *r = malloc(4097);
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t k;

		for (k = 0; k < lens[i]; k++)
			t[k] = "abcdefghij/"[(k * 7 + i) % 11];
		t[lens[i]] = 0;
		OK(symlink(t, path("%s/s%zu", d, i)));
		st = st_of(path("%s/s%zu", d, i));
		EXPECT(S_ISLNK(st.st_mode));
		EQ(st.st_mode & 0777, 0777);
		EQ(st.st_size, lens[i]);
		EQ(st.st_nlink, 1);
		EQ(readlink(path("%s/s%zu", d, i), r, 4097), lens[i]);
		EXPECT(!memcmp(r, t, lens[i]));
	}
	memset(t, 'x', 4096);
	t[4096] = 0;
	ERR(symlink(t, path("%s/toolong", d)), ENAMETOOLONG);
	ERR(symlink("", path("%s/empty", d)), ENOENT);
	ERR(symlink("x", path("%s/s0", d)), EEXIST);
	/* dangling, then the target appears */
	OK(symlink("target", path("%s/dangle", d)));
	ERR(open(path("%s/dangle", d), O_RDONLY), ENOENT);
	OK(put(path("%s/target", d), "T", 1));
	EQ(get(path("%s/dangle", d), r, 10), 1);
	/* O_CREAT through a dangling symlink creates the target */
	OK(symlink("made", path("%s/mk", d)));
	OK(put(path("%s/mk", d), "M", 1));
	EXPECT(S_ISREG(st_of(path("%s/made", d)).st_mode));
	ERR(readlink(path("%s/target", d), r, 10), EINVAL);
	/* a directory symlink */
	OK(mkdir(path("%s/dir", d), 0755));
	OK(symlink("dir", path("%s/ds", d)));
	OK(create(path("%s/ds/in", d), 0644));
	EXPECT(in_dir(path("%s/dir", d), "in"));
	ERR(rmdir(path("%s/ds", d)), ENOTDIR);
	OK(unlink(path("%s/ds", d)));
	free(t);
	free(r);
}

static void t_loop(const char *d)
{
	char buf[64];
	int i;

	OK(symlink("b", path("%s/a", d)));
	OK(symlink("a", path("%s/b", d)));
	ERR(open(path("%s/a", d), O_RDONLY), ELOOP);
	ERR(stat(path("%s/a", d), &(struct stat){ 0 }), ELOOP);
	ERR(open(path("%s/a", d), O_CREAT | O_WRONLY, 0644), ELOOP);
	ERR(create(path("%s/a", d), 0644), EEXIST);	/* O_EXCL: not followed */
	OK(symlink("self", path("%s/self", d)));
	ERR(access(path("%s/self/x", d), F_OK), ELOOP);
	/* 40 links are followed, 41 are not (MAXSYMLINKS) */
	OK(create(path("%s/end", d), 0644));
	OK(symlink("end", path("%s/c0", d)));
	for (i = 1; i <= 40; i++) {
		snprintf(buf, sizeof(buf), "c%d", i - 1);
		OK(symlink(buf, path("%s/c%d", d, i)));
	}
	OK(access(path("%s/c39", d), F_OK));
	ERR(access(path("%s/c40", d), F_OK), ELOOP);
	ERR(open(path("%s/c0", d), O_RDONLY | O_NOFOLLOW), ELOOP);
}

static void t_rename(const char *d)
{
	struct stat st, st0, ds0, ds1;
	int fd;

	OK(mkdir(path("%s/d1", d), 0755));
	OK(mkdir(path("%s/d2", d), 0755));
	OK(put(path("%s/d1/f", d), "one", 3));
	st0 = st_of(path("%s/d1/f", d));
	ds0 = st_of(path("%s/d1", d));
	ds1 = st_of(path("%s/d2", d));
	tick();
	/* across directories */
	OK(rename(path("%s/d1/f", d), path("%s/d2/g", d)));
	ERR(access(path("%s/d1/f", d), F_OK), ENOENT);
	st = st_of(path("%s/d2/g", d));
	EQ(st.st_ino, st0.st_ino);
	EQ(st.st_nlink, 1);
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	EXPECT(ts_cmp(st_of(path("%s/d1", d)).st_mtim, ds0.st_mtim) > 0);
	EXPECT(ts_cmp(st_of(path("%s/d2", d)).st_mtim, ds1.st_mtim) > 0);
	EXPECT(!in_dir(path("%s/d1", d), "f"));
	EXPECT(in_dir(path("%s/d2", d), "g"));
	/* over an existing file: the old one loses its name */
	OK(put(path("%s/d2/h", d), "two", 3));
	fd = open(path("%s/d2/h", d), O_RDONLY);
	OK(rename(path("%s/d2/g", d), path("%s/d2/h", d)));
	OK(fstat(fd, &st));
	EQ(st.st_nlink, 0);
	close(fd);
	{
		char b[8] = { 0 };

		EQ(get(path("%s/d2/h", d), b, 8), 3);
		EXPECT(!strcmp(b, "one"));
	}
	/* to itself and between hard links: nothing happens */
	OK(rename(path("%s/d2/h", d), path("%s/d2/h", d)));
	OK(link(path("%s/d2/h", d), path("%s/d2/h2", d)));
	OK(rename(path("%s/d2/h", d), path("%s/d2/h2", d)));
	EXPECT(in_dir(path("%s/d2", d), "h"));
	EQ(st_of(path("%s/d2/h", d)).st_nlink, 2);
	OK(unlink(path("%s/d2/h2", d)));
	/* directories */
	OK(mkdir(path("%s/d1/sub", d), 0755));
	OK(create(path("%s/d1/sub/x", d), 0644));
	EQ(st_of(path("%s/d1", d)).st_nlink, 3);
	OK(rename(path("%s/d1/sub", d), path("%s/d2/sub", d)));
	EQ(st_of(path("%s/d1", d)).st_nlink, 2);
	EQ(st_of(path("%s/d2", d)).st_nlink, 3);
	EQ(st_of(path("%s/d2/sub/..", d)).st_ino, st_of(path("%s/d2", d)).st_ino);
	OK(mkdir(path("%s/d1/empty", d), 0755));
	OK(rename(path("%s/d2/sub", d), path("%s/d1/empty", d)));	/* over an empty dir */
	EXPECT(in_dir(path("%s/d1/empty", d), "x"));
	EQ(st_of(path("%s/d1", d)).st_nlink, 3);
	EQ(st_of(path("%s/d2", d)).st_nlink, 2);
	OK(mkdir(path("%s/d2/full", d), 0755));
	OK(create(path("%s/d2/full/y", d), 0644));
	ERR(rename(path("%s/d2/full", d), path("%s/d1/empty", d)), ENOTEMPTY);
	ERR(rename(path("%s/d2/h", d), path("%s/d1/empty", d)), EISDIR);
	ERR(rename(path("%s/d2/full", d), path("%s/d2/h", d)), ENOTDIR);
	ERR(rename(path("%s/d1", d), path("%s/d1/empty/in", d)), EINVAL);
	ERR(rename(path("%s/nope", d), path("%s/d1/z", d)), ENOENT);
	ERR(rename(path("%s/d2/h", d), path("%s/nope/z", d)), ENOENT);
	ERR(rename(path("%s/d1/.", d), path("%s/z", d)), EBUSY);
	/* a symlink is renamed, not followed */
	OK(symlink("d2/h", path("%s/sl", d)));
	OK(rename(path("%s/sl", d), path("%s/d1/sl", d)));
	EXPECT(S_ISLNK(st_of(path("%s/d1/sl", d)).st_mode));
}

static void t_rename_flags(const char *d)
{
	struct stat a, b;
	char buf[8] = { 0 };

	OK(put(path("%s/a", d), "A", 1));
	OK(put(path("%s/b", d), "B", 1));
	OK(mkdir(path("%s/dir", d), 0755));
	OK(mkdir(path("%s/dir2", d), 0755));
	/* NOREPLACE */
	ERR(renameat2(AT_FDCWD, path("%s/a", d), AT_FDCWD, path("%s/b", d),
		      RENAME_NOREPLACE), EEXIST);
	OK(renameat2(AT_FDCWD, path("%s/a", d), AT_FDCWD, path("%s/c", d),
		     RENAME_NOREPLACE));
	EQ(get(path("%s/c", d), buf, 8), 1);
	EQ(buf[0], 'A');
	/* EXCHANGE of two files */
	a = st_of(path("%s/b", d));
	b = st_of(path("%s/c", d));
	OK(renameat2(AT_FDCWD, path("%s/b", d), AT_FDCWD, path("%s/c", d),
		     RENAME_EXCHANGE));
	EQ(st_of(path("%s/b", d)).st_ino, b.st_ino);
	EQ(st_of(path("%s/c", d)).st_ino, a.st_ino);
	EQ(get(path("%s/b", d), buf, 8), 1);
	EQ(buf[0], 'A');
	ERR(renameat2(AT_FDCWD, path("%s/b", d), AT_FDCWD, path("%s/none", d),
		      RENAME_EXCHANGE), ENOENT);
	ERR(renameat2(AT_FDCWD, path("%s/b", d), AT_FDCWD, path("%s/c", d),
		      RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	/* EXCHANGE of a file and a directory in different directories */
	OK(rename(path("%s/c", d), path("%s/dir2/c", d)));
	EQ(st_of(d).st_nlink, 4);
	OK(renameat2(AT_FDCWD, path("%s/dir", d), AT_FDCWD,
		     path("%s/dir2/c", d), RENAME_EXCHANGE));
	EXPECT(S_ISREG(st_of(path("%s/dir", d)).st_mode));
	EXPECT(S_ISDIR(st_of(path("%s/dir2/c", d)).st_mode));
	EQ(st_of(d).st_nlink, 3);
	EQ(st_of(path("%s/dir2", d)).st_nlink, 3);
	EQ(st_of(path("%s/dir2/c/..", d)).st_ino, st_of(path("%s/dir2", d)).st_ino);
	/* EXCHANGE into its own subtree */
	ERR(renameat2(AT_FDCWD, path("%s/dir2", d), AT_FDCWD,
		      path("%s/dir2/c", d), RENAME_EXCHANGE), EINVAL);
	/* WHITEOUT: a 0:0 character device stays behind (no privilege
	 * needed since Linux 5.8)
	 */
	{
		struct stat w;

		OK(renameat2(AT_FDCWD, path("%s/b", d), AT_FDCWD,
			     path("%s/w", d), RENAME_WHITEOUT));
		w = st_of(path("%s/b", d));
		EXPECT(S_ISCHR(w.st_mode));
		EQ(w.st_rdev, makedev(0, 0));
		EQ(w.st_nlink, 1);
		EQ(get(path("%s/w", d), buf, 8), 1);
		EQ(buf[0], 'A');
		EXPECT(in_dir(d, "b") && in_dir(d, "w"));
		ERR(renameat2(AT_FDCWD, path("%s/dir", d), AT_FDCWD,
			      path("%s/w", d), RENAME_WHITEOUT | RENAME_EXCHANGE),
		    EINVAL);
	}
}

static void t_mknod(const char *d)
{
	struct stat st;

	OK(mkfifo(path("%s/fifo", d), 0640));
	st = st_of(path("%s/fifo", d));
	EXPECT(S_ISFIFO(st.st_mode));
	EQ(st.st_mode & 07777, 0640);
	OK(mknod(path("%s/sock", d), S_IFSOCK | 0600, 0));
	EXPECT(S_ISSOCK(st_of(path("%s/sock", d)).st_mode));
	OK(mknod(path("%s/fifo2", d), S_IFIFO | 0600, 0));
	EXPECT(S_ISFIFO(st_of(path("%s/fifo2", d)).st_mode));
	{	/* a fifo works */
		int r = open(path("%s/fifo", d), O_RDONLY | O_NONBLOCK);
		int w = open(path("%s/fifo", d), O_WRONLY | O_NONBLOCK);
		char c = 0;

		OK(r);
		OK(w);
		EQ(write(w, "z", 1), 1);
		EQ(read(r, &c, 1), 1);
		EQ(c, 'z');
		close(r);
		close(w);
	}
	if (is_root) {
		OK(mknod(path("%s/null", d), S_IFCHR | 0666, makedev(1, 3)));
		st = st_of(path("%s/null", d));
		EXPECT(S_ISCHR(st.st_mode));
		EQ(major(st.st_rdev), 1);
		EQ(minor(st.st_rdev), 3);
		{
			int fd = open(path("%s/null", d), O_WRONLY);

			OK(fd);
			EQ(write(fd, "x", 1), 1);
			close(fd);
		}
		OK(mknod(path("%s/blk", d), S_IFBLK | 0600, makedev(259, 70000)));
		st = st_of(path("%s/blk", d));
		EXPECT(S_ISBLK(st.st_mode));
		EQ(major(st.st_rdev), 259);
		EQ(minor(st.st_rdev), 70000);
	} else {
		ERR(mknod(path("%s/null", d), S_IFCHR | 0666, makedev(1, 3)),
		    EPERM);
		ERR(mknod(path("%s/blk", d), S_IFBLK | 0600, makedev(8, 0)),
		    EPERM);
	}
	ERR(mknod(path("%s/fifo", d), S_IFIFO | 0600, 0), EEXIST);
}

static void t_tmpfile(const char *d)
{
	char buf[32] = { 0 }, proc[64];
	struct stat st;
	int fd;

	fd = open(d, O_TMPFILE | O_RDWR, 0600);
	OK(fd);
	if (fd < 0)
		return;
	EQ(write(fd, "tmpdata", 7), 7);
	OK(fstat(fd, &st));
	EQ(st.st_nlink, 0);
	EQ(st.st_size, 7);
	EQ(st.st_mode & 07777, 0600);
	EXPECT(S_ISREG(st.st_mode));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	OK(linkat(AT_FDCWD, proc, AT_FDCWD, path("%s/named", d),
		  AT_SYMLINK_FOLLOW));
	OK(fstat(fd, &st));
	EQ(st.st_nlink, 1);
	EQ(st_of(path("%s/named", d)).st_ino, st.st_ino);
	EQ(get(path("%s/named", d), buf, sizeof(buf)), 7);
	EXPECT(!strcmp(buf, "tmpdata"));
	/* a second name */
	OK(linkat(AT_FDCWD, proc, AT_FDCWD, path("%s/named2", d),
		  AT_SYMLINK_FOLLOW));
	EQ(st_of(path("%s/named", d)).st_nlink, 2);
	close(fd);
	/* O_EXCL: never linkable */
	fd = open(d, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	OK(fd);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ERR(linkat(AT_FDCWD, proc, AT_FDCWD, path("%s/excl", d),
		   AT_SYMLINK_FOLLOW), ENOENT);
	close(fd);
	/* unnamed and closed: gone (statfs shows it below) */
	{
		struct statfs s0, s1;
		char *big = calloc(1, 1 << 20);

		OK(statfs(d, &s0));
		fd = open(d, O_TMPFILE | O_WRONLY, 0600);
		EQ(write(fd, big, 1 << 20), 1 << 20);
		close(fd);
		free(big);
		OK(statfs(d, &s1));
		EXPECT(s1.f_bfree + 16 >= s0.f_bfree);
		EQ(s1.f_ffree, s0.f_ffree);
	}
	ERR(open(path("%s/named", d), O_TMPFILE | O_RDWR, 0600), ENOTDIR);
}

/* ~~~~ readdir ~~~~ */

#define RD_N 300

static void t_readdir(const char *d)
{
	static bool seen[RD_N];
	unsigned int i, n = 0, dots = 0;
	long pos_half = -1;
	char names[RD_N / 2][NAME_MAX + 1];
	unsigned int nh = 0, k = 0;
	struct dirent *de;
	DIR *dir;

	for (i = 0; i < RD_N; i++) {
		if (i % 3 == 0)
			OK(mkdir(path("%s/e%u", d, i), 0755));
		else
			OK(create(path("%s/e%u", d, i), 0644));
	}
	memset(seen, 0, sizeof(seen));
	dir = opendir(d);
	EXPECT(dir != NULL);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
			dots++;
			continue;
		}
		if (sscanf(de->d_name, "e%u", &i) != 1 || i >= RD_N) {
			failf(__LINE__, "unexpected entry %s", de->d_name);
			continue;
		}
		if (seen[i])
			failf(__LINE__, "entry %s returned twice", de->d_name);
		seen[i] = true;
		n++;
		EQ(de->d_type, i % 3 == 0 ? DT_DIR : DT_REG);
		EQ(de->d_ino, st_of(path("%s/%s", d, de->d_name)).st_ino);
		if (n == RD_N / 2)
			pos_half = telldir(dir);
		else if (n > RD_N / 2 && nh < RD_N / 2)
			snprintf(names[nh++], sizeof(names[0]), "%s",
				 de->d_name);
	}
	EQ(n, RD_N);
	EQ(dots, 2);
	/* seekdir back to the middle: the same entries again */
	OK(lseek(dirfd(dir), pos_half, SEEK_SET));
	seekdir(dir, pos_half);
	while ((de = readdir(dir)) && k < nh) {
		if (strcmp(de->d_name, names[k]))
			failf(__LINE__, "after seekdir: %s, expected %s",
			      de->d_name, names[k]);
		k++;
	}
	EQ(k, nh);
	rewinddir(dir);
	n = 0;
	while ((de = readdir(dir)))
		n++;
	EQ(n, RD_N + 2);
	closedir(dir);
	/* an empty directory has only the dots */
	OK(mkdir(path("%s/empty", d), 0755));
	dir = opendir(path("%s/empty", d));
	n = 0;
	while (dir && (de = readdir(dir)))
		n++;
	EQ(n, 2);
	if (dir)
		closedir(dir);
	for (i = 0; i < RD_N; i++)
		OK(i % 3 == 0 ? rmdir(path("%s/e%u", d, i)) :
				unlink(path("%s/e%u", d, i)));
}

/* Entries present from start to end are returned exactly once while
 * others come and go; telldir positions stay valid meanwhile.
 */
static void t_readdir_changing(const char *d)
{
	static int count[2 * RD_N];
	struct dirent *de;
	unsigned int i, n = 0;
	long pos = -1;
	char at_pos[NAME_MAX + 1] = "";
	DIR *dir;

	for (i = 0; i < RD_N; i++)
		OK(create(path("%s/s%u", d, i), 0644));
	memset(count, 0, sizeof(count));
	dir = opendir(d);
	if (!dir) {
		failf(__LINE__, "opendir: %s", strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		unsigned int k;

		if (de->d_name[0] == '.')
			continue;
		n++;
		if (sscanf(de->d_name, "s%u", &k) == 1 && k < RD_N)
			count[k]++;
		else if (sscanf(de->d_name, "n%u", &k) == 1 && k < RD_N)
			count[RD_N + k]++;
		if (n == 50) {
			/* peek at the next entry, then go back to it */
			pos = telldir(dir);
			de = readdir(dir);
			if (!de)
				break;
			snprintf(at_pos, sizeof(at_pos), "%s", de->d_name);
			seekdir(dir, pos);
			continue;
		}
		if (n % 10 == 0) {
			/* remove odd ones not seen yet, add new ones */
			unsigned int j = (n * 7) % RD_N;

			if (j % 2 && !count[j])
				OK(unlink(path("%s/s%u", d, j)));
			OK(create(path("%s/n%u", d, n), 0644));
		}
	}
	for (i = 0, n = 0; i < RD_N; i++) {
		bool kept = !access(path("%s/s%u", d, i), F_OK);

		if ((kept && count[i] != 1) || (!kept && count[i] > 1)) {
			if (n++ < 5)
				failf(__LINE__, "s%u (%s) returned %d times", i,
				      kept ? "kept" : "removed", count[i]);
		}
	}
	if (n > 5)
		failf(__LINE__, "... %u entries in all returned wrongly", n);
	/* the position taken at entry 50 still leads to the same entry:
	 * only entries added since (n*) may come first
	 */
	if (pos >= 0 && at_pos[0] && !access(path("%s/%s", d, at_pos), F_OK)) {
		seekdir(dir, pos);
		while ((de = readdir(dir)) && de->d_name[0] == 'n' &&
		       strcmp(de->d_name, at_pos))
			;
		if (!de || strcmp(de->d_name, at_pos))
			failf(__LINE__, "after seekdir: %s, expected %s",
			      de ? de->d_name : "the end", at_pos);
	}
	closedir(dir);
	EXPECT(rm_rf(d) == 0);
	OK(mkdir(d, 0755));
}

/* ~~~~ times and link counts right after every operation ~~~~ */

struct snap {
	const char *p;
	struct stat st;
};

static void snap(struct snap *s, const char *p)
{
	s->p = p;
	s->st = st_of(p);
}

/* p's mtime and ctime moved on (data), or only ctime (meta) */
#define CHANGED(s, data) changed(__LINE__, s, data)
static void changed(int line, const struct snap *s, bool data)
{
	struct stat now = st_of(s->p);

	if (ts_cmp(now.st_ctim, s->st.st_ctim) <= 0)
		failf(line, "%s: ctime did not change", s->p);
	if (data && ts_cmp(now.st_mtim, s->st.st_mtim) <= 0)
		failf(line, "%s: mtime did not change", s->p);
	if (data && ts_cmp(now.st_mtim, now.st_ctim))
		failf(line, "%s: mtime and ctime differ", s->p);
	if (!data && ts_cmp(now.st_mtim, s->st.st_mtim))
		failf(line, "%s: mtime changed", s->p);
}

static char *dup_path(const char *p)
{
	static char bufs[16][PATH_MAX];
	static unsigned int n;
	char *b = bufs[n++ % 16];

	snprintf(b, PATH_MAX, "%s", p);
	return b;
}

static void t_optimes(const char *d)
{
	char *a = dup_path(path("%s/a", d)), *b = dup_path(path("%s/b", d));
	struct snap da, db, x, y;
	char proc[64];
	int fd;

	OK(mkdir(a, 0755));
	OK(mkdir(b, 0755));
	snap(&da, a);
	tick();
	OK(symlink("t", path("%s/sym", a)));
	CHANGED(&da, true);
	EQ(st_of(a).st_nlink, 2);
	snap(&da, a);
	tick();
	OK(mknod(path("%s/fifo", a), S_IFIFO | 0644, 0));
	CHANGED(&da, true);
	snap(&da, a);
	tick();
	OK(mknod(path("%s/sock", a), S_IFSOCK | 0644, 0));
	CHANGED(&da, true);
	/* rename across directories: both dirs, the inode's ctime */
	OK(create(path("%s/f", a), 0644));
	snap(&da, a);
	snap(&db, b);
	snap(&x, path("%s/f", a));
	tick();
	OK(rename(path("%s/f", a), path("%s/g", b)));
	CHANGED(&da, true);
	CHANGED(&db, true);
	x.p = path("%s/g", b);
	CHANGED(&x, false);
	/* rename over a file: the replaced one loses a link, gets ctime */
	OK(create(path("%s/h", b), 0644));
	OK(link(path("%s/h", b), path("%s/h2", a)));
	snap(&y, path("%s/h2", a));
	snap(&db, b);
	tick();
	OK(rename(path("%s/g", b), path("%s/h", b)));
	CHANGED(&db, true);
	CHANGED(&y, false);
	EQ(st_of(path("%s/h2", a)).st_nlink, 1);
	/* rename of a directory: nlink of both parents, its ".." */
	OK(mkdir(path("%s/sub", a), 0755));
	EQ(st_of(a).st_nlink, 3);
	snap(&x, path("%s/sub", a));
	tick();
	OK(rename(path("%s/sub", a), path("%s/sub", b)));
	EQ(st_of(a).st_nlink, 2);
	EQ(st_of(b).st_nlink, 3);
	x.p = path("%s/sub", b);
	CHANGED(&x, false);
	/* exchange: both inodes get a new ctime */
	snap(&x, path("%s/h2", a));
	snap(&y, path("%s/h", b));
	snap(&da, a);
	tick();
	OK(renameat2(AT_FDCWD, path("%s/h2", a), AT_FDCWD, path("%s/h", b),
		     RENAME_EXCHANGE));
	x.p = path("%s/h", b);
	y.p = path("%s/h2", a);
	CHANGED(&x, false);
	CHANGED(&y, false);
	CHANGED(&da, true);
	/* whiteout */
	snap(&da, a);
	tick();
	OK(renameat2(AT_FDCWD, path("%s/h2", a), AT_FDCWD, path("%s/w", b),
		     RENAME_WHITEOUT));
	CHANGED(&da, true);
	EQ(st_of(path("%s/h2", a)).st_nlink, 1);
	/* linking a tmpfile */
	fd = open(a, O_TMPFILE | O_RDWR, 0644);
	OK(fd);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snap(&da, a);
	tick();
	OK(linkat(AT_FDCWD, proc, AT_FDCWD, path("%s/tmp", a),
		  AT_SYMLINK_FOLLOW));
	CHANGED(&da, true);
	EQ(st_of(path("%s/tmp", a)).st_nlink, 1);
	close(fd);
	/* unlink of the last link: the dir changes, the inode is gone */
	snap(&da, a);
	tick();
	OK(unlink(path("%s/tmp", a)));
	CHANGED(&da, true);
	/* setattr: ctime only */
	snap(&x, path("%s/sym", a));
	tick();
	OK(lchown(path("%s/sym", a), (uid_t)-1, getegid()));
	CHANGED(&x, false);
	/* readdir, lookup, readlink and read change nothing here */
	snap(&da, a);
	snap(&x, path("%s/h", b));
	tick();
	{
		char t[16];
		DIR *dir = opendir(a);

		while (dir && readdir(dir))
			;
		if (dir)
			closedir(dir);
		EQ(readlink(path("%s/sym", a), t, sizeof(t)), 1);
		EQ(get(path("%s/h", b), t, sizeof(t)), 0);
	}
	EQ(ts_cmp(st_of(a).st_mtim, da.st.st_mtim), 0);
	EQ(ts_cmp(st_of(a).st_ctim, da.st.st_ctim), 0);
	EQ(ts_cmp(st_of(path("%s/h", b)).st_ctim, x.st.st_ctim), 0);
}

/* ~~~~ attributes ~~~~ */

static void t_times(const char *d)
{
	struct timespec ts[2];
	struct stat st, st0;
	struct statx sx;
	struct timespec t0, t1;
	int fd;
	bool any_ns = false;
	int i;

	OK(create(path("%s/f", d), 0644));
	/* explicit times with nanoseconds are kept exactly */
	ts[0].tv_sec = 1000000000;
	ts[0].tv_nsec = 123456789;
	ts[1].tv_sec = 2000000000;
	ts[1].tv_nsec = 987654321;
	st0 = st_of(path("%s/f", d));
	tick();
	OK(utimensat(AT_FDCWD, path("%s/f", d), ts, 0));
	st = st_of(path("%s/f", d));
	EQ(st.st_atim.tv_sec, ts[0].tv_sec);
	EQ(st.st_atim.tv_nsec, ts[0].tv_nsec);
	EQ(st.st_mtim.tv_sec, ts[1].tv_sec);
	EQ(st.st_mtim.tv_nsec, ts[1].tv_nsec);
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	/* pre-1970 */
	ts[0].tv_sec = -86400;
	ts[0].tv_nsec = 5;
	ts[1].tv_nsec = UTIME_OMIT;
	OK(utimensat(AT_FDCWD, path("%s/f", d), ts, 0));
	st = st_of(path("%s/f", d));
	EQ(st.st_atim.tv_sec, -86400);
	EQ(st.st_atim.tv_nsec, 5);
	EQ(st.st_mtim.tv_sec, 2000000000);	/* UTIME_OMIT */
	/* UTIME_NOW for mtime only */
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	t0 = clock_at(BEFORE);
	OK(utimensat(AT_FDCWD, path("%s/f", d), ts, 0));
	t1 = clock_at(AFTER);
	st = st_of(path("%s/f", d));
	EQ(st.st_atim.tv_sec, -86400);
	WITHIN(st.st_mtim, t0, t1);
	/* NULL: both now */
	t0 = clock_at(BEFORE);
	OK(utimensat(AT_FDCWD, path("%s/f", d), NULL, 0));
	t1 = clock_at(AFTER);
	st = st_of(path("%s/f", d));
	WITHIN(st.st_atim, t0, t1);
	EQ(ts_cmp(st.st_atim, st.st_mtim), 0);
	/* on a symlink itself */
	OK(symlink("f", path("%s/s", d)));
	ts[0].tv_sec = 12345;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	OK(utimensat(AT_FDCWD, path("%s/s", d), ts, AT_SYMLINK_NOFOLLOW));
	EQ(st_of(path("%s/s", d)).st_mtime, 12345);
	EXPECT(st_of(path("%s/f", d)).st_mtime != 12345);
	/* birth time: set at creation, never changed */
	OK(statx(AT_FDCWD, path("%s/f", d), 0, STATX_BTIME, &sx));
	EXPECT(sx.stx_mask & STATX_BTIME);
	EQ(sx.stx_btime.tv_sec, st0.st_ctim.tv_sec);
	EQ(sx.stx_btime.tv_nsec, st0.st_ctim.tv_nsec);
	/* every nanosecond value is kept (s_time_gran 1; the kernel's own
	 * coarse clock may tick in whole milliseconds)
	 */
	for (i = 0; i < 8; i++) {
		ts[0].tv_sec = 1700000000 + i;
		ts[0].tv_nsec = 999999999 - i * 111111111;
		ts[1].tv_sec = ts[0].tv_sec;
		ts[1].tv_nsec = i * 1111 + 1;
		OK(utimensat(AT_FDCWD, path("%s/f", d), ts, 0));
		st = st_of(path("%s/f", d));
		any_ns = st.st_atim.tv_nsec == ts[0].tv_nsec &&
			 st.st_mtim.tv_nsec == ts[1].tv_nsec;
		if (!any_ns)
			failf(__LINE__, "nsec %ld/%ld stored as %ld/%ld",
			      ts[0].tv_nsec, ts[1].tv_nsec, st.st_atim.tv_nsec,
			      st.st_mtim.tv_nsec);
	}
	/* a write changes mtime and ctime, not atime */
	st0 = st_of(path("%s/f", d));
	tick();
	fd = open(path("%s/f", d), O_WRONLY);
	EQ(write(fd, "x", 1), 1);
	close(fd);
	st = st_of(path("%s/f", d));
	EXPECT(ts_cmp(st.st_mtim, st0.st_mtim) > 0);
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	EQ(ts_cmp(st.st_atim, st0.st_atim), 0);
}

static void t_chmod(const char *d)
{
	struct stat st, st0;

	OK(create(path("%s/f", d), 0644));
	st0 = st_of(path("%s/f", d));
	tick();
	OK(chmod(path("%s/f", d), 0751));
	st = st_of(path("%s/f", d));
	EQ(st.st_mode & 07777, 0751);
	EXPECT(S_ISREG(st.st_mode));
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	EQ(ts_cmp(st.st_mtim, st0.st_mtim), 0);
	OK(chmod(path("%s/f", d), 07777));
	EQ(st_of(path("%s/f", d)).st_mode & 07777, 07777);
	OK(mkdir(path("%s/dir", d), 0755));
	OK(chmod(path("%s/dir", d), 01777));
	EQ(st_of(path("%s/dir", d)).st_mode & 07777, 01777);
	EXPECT(S_ISDIR(st_of(path("%s/dir", d)).st_mode));
	/* chmod follows a symlink */
	OK(symlink("f", path("%s/s", d)));
	OK(chmod(path("%s/s", d), 0600));
	EQ(st_of(path("%s/f", d)).st_mode & 07777, 0600);
	EQ(st_of(path("%s/s", d)).st_mode & 07777, 0777);
	/* no permission: read and write refused for the owner too (not root) */
	OK(chmod(path("%s/f", d), 0));
	if (!is_root) {
		ERR(open(path("%s/f", d), O_RDONLY), EACCES);
		ERR(open(path("%s/f", d), O_WRONLY), EACCES);
		OK(chmod(path("%s/dir", d), 0600));	/* no search */
		ERR(access(path("%s/dir/x", d), F_OK), EACCES);
		ERR(create(path("%s/dir/x", d), 0644), EACCES);
		OK(chmod(path("%s/dir", d), 0500));	/* no write */
		ERR(create(path("%s/dir/x", d), 0644), EACCES);
		ERR(mkdir(path("%s/dir/x", d), 0755), EACCES);
		OK(chmod(path("%s/dir", d), 0755));
		/* only the owner changes the mode */
		ERR(chmod("/", 0777), EPERM);
	}
}

static void t_chown(const char *d)
{
	struct stat st, st0;

	OK(create(path("%s/f", d), 0644));
	if (!is_root) {
		/* to another user: no; to our own group: yes (no-op) */
		ERR(chown(path("%s/f", d), 0, (gid_t)-1), EPERM);
		ERR(chown(path("%s/f", d), (uid_t)-1, 0), EPERM);
		OK(chown(path("%s/f", d), getuid(), getgid()));
		/* setuid cleared by chown of an executable */
		OK(chmod(path("%s/f", d), 06755));
		OK(chown(path("%s/f", d), (uid_t)-1, getgid()));
		EQ(st_of(path("%s/f", d)).st_mode & 07777, 0755);
		return;
	}
	st0 = st_of(path("%s/f", d));
	tick();
	OK(chown(path("%s/f", d), 1234, 5678));
	st = st_of(path("%s/f", d));
	EQ(st.st_uid, 1234);
	EQ(st.st_gid, 5678);
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	/* chown clears setuid, and setgid when group-executable */
	OK(chmod(path("%s/f", d), 06755));
	OK(chown(path("%s/f", d), 4321, (gid_t)-1));
	EQ(st_of(path("%s/f", d)).st_mode & 07777, 0755);
	OK(chmod(path("%s/f", d), 06745));	/* setgid without g+x: a lock */
	OK(chown(path("%s/f", d), 1, 1));
	EQ(st_of(path("%s/f", d)).st_mode & 07777, 02745);
	/* lchown of a symlink */
	OK(symlink("f", path("%s/s", d)));
	OK(lchown(path("%s/s", d), 77, 88));
	EQ(st_of(path("%s/s", d)).st_uid, 77);
	EQ(st_of(path("%s/f", d)).st_uid, 1);
	/* directories keep setgid on chown */
	OK(mkdir(path("%s/dir", d), 02775));
	OK(chmod(path("%s/dir", d), 02775));
	OK(chown(path("%s/dir", d), 5, 5));
	EQ(st_of(path("%s/dir", d)).st_mode & 07777, 02775);
}

static void t_truncate(const char *d)
{
	char buf[9000], zero[9000];
	struct stat st, st0;
	int fd;

	memset(zero, 0, sizeof(zero));
	OK(put(path("%s/f", d), "0123456789", 10));
	st0 = st_of(path("%s/f", d));
	tick();
	OK(truncate(path("%s/f", d), 8192 + 3));
	st = st_of(path("%s/f", d));
	EQ(st.st_size, 8195);
	EXPECT(ts_cmp(st.st_mtim, st0.st_mtim) > 0);
	EXPECT(ts_cmp(st.st_ctim, st0.st_ctim) > 0);
	EQ(get(path("%s/f", d), buf, sizeof(buf)), 8195);
	EXPECT(!memcmp(buf, "0123456789", 10));
	EXPECT(!memcmp(buf + 10, zero, 8185));
	OK(truncate(path("%s/f", d), 4));
	EQ(st_of(path("%s/f", d)).st_size, 4);
	OK(truncate(path("%s/f", d), 100));
	EQ(get(path("%s/f", d), buf, sizeof(buf)), 100);
	EXPECT(!memcmp(buf, "0123", 4));
	EXPECT(!memcmp(buf + 4, zero, 96));	/* no stale bytes */
	fd = open(path("%s/f", d), O_RDWR);
	OK(ftruncate(fd, 0));
	OK(fstat(fd, &st));
	EQ(st.st_size, 0);
	EQ(st.st_blocks, 0);
	close(fd);
	/* O_TRUNC */
	OK(put(path("%s/f", d), "abc", 3));
	fd = open(path("%s/f", d), O_WRONLY | O_TRUNC);
	OK(fstat(fd, &st));
	EQ(st.st_size, 0);
	close(fd);
	OK(mkdir(path("%s/dir", d), 0755));
	ERR(truncate(path("%s/dir", d), 0), EISDIR);
	ERR(truncate(path("%s/f", d), -1), EINVAL);
	OK(truncate(path("%s/f", d), 1LL << 40));	/* sparse */
	st = st_of(path("%s/f", d));
	EQ(st.st_size, 1LL << 40);
	EXPECT(st.st_blocks < 64);
	OK(truncate(path("%s/f", d), 0));
	if (!is_root) {
		OK(chmod(path("%s/f", d), 0444));
		ERR(truncate(path("%s/f", d), 1), EACCES);
	}
}

static void t_statfs(const char *d)
{
	struct statfs s0, s1, s2;
	struct stat f, ds0, ds1;
	char *buf = malloc(1 << 20);
	int fd;

	memset(buf, 0x5a, 1 << 20);
	OK(mkdir(path("%s/sub", d), 0755));
	ds0 = st_of(path("%s/sub", d));
	OK(statfs(d, &s0));
	EQ(s0.f_bsize, 4096);
	EQ(s0.f_namelen, 255);
	EXPECT(s0.f_blocks > 0 && s0.f_bfree <= s0.f_blocks);
	EXPECT(s0.f_bavail <= s0.f_bfree);
	EXPECT(s0.f_files > 0 && s0.f_ffree < s0.f_files);
	fd = open(path("%s/sub/f", d), O_CREAT | O_WRONLY, 0644);
	EQ(write(fd, buf, 1 << 20), 1 << 20);
	OK(fstat(fd, &f));
	close(fd);
	ds1 = st_of(path("%s/sub", d));
	OK(statfs(d, &s1));
	/* exact: the blocks the new file and its directory own */
	EQ(s0.f_bfree - s1.f_bfree,
	   (f.st_blocks + ds1.st_blocks - ds0.st_blocks) / (4096 / 512));
	EXPECT(f.st_blocks >= (1 << 20) / 512);
	EQ(s0.f_ffree - s1.f_ffree, 1);
	OK(unlink(path("%s/sub/f", d)));
	/* at once: rm then df sees the space and the inode free */
	OK(statfs(d, &s2));
	EQ(s2.f_ffree, s0.f_ffree);
	EQ(s2.f_bfree + (st_of(path("%s/sub", d)).st_blocks -
			 ds0.st_blocks) / 8, s0.f_bfree);
	free(buf);
}

/* ~~~~ names ~~~~ */

static void t_names(const char *d)
{
	char name[300];
	size_t len;
	int fd;

	for (len = 1; len <= 255; len++) {
		memset(name, 'a' + len % 26, len);
		name[len] = 0;
		if (len <= 2 && name[0] == '.')
			continue;
		fd = open(path("%s/%s", d, name), O_CREAT | O_EXCL | O_WRONLY,
			  0644);
		if (fd < 0) {
			failf(__LINE__, "create name of %zu bytes: %s", len,
			      strerror(errno));
			continue;
		}
		close(fd);
		if (access(path("%s/%s", d, name), F_OK))
			failf(__LINE__, "lookup of %zu bytes", len);
	}
	{	/* readdir returns them all */
		DIR *dir = opendir(d);
		struct dirent *de;
		unsigned int n = 0;

		while (dir && (de = readdir(dir)))
			if (de->d_name[0] != '.')
				n++;
		EQ(n, 255);
		if (dir)
			closedir(dir);
	}
	for (len = 1; len <= 255; len++) {
		memset(name, 'a' + len % 26, len);
		name[len] = 0;
		if (unlink(path("%s/%s", d, name)))
			failf(__LINE__, "unlink of %zu bytes: %s", len,
			      strerror(errno));
	}
	memset(name, 'x', 256);
	name[256] = 0;
	ERR(create(path("%s/%s", d, name), 0644), ENAMETOOLONG);
	ERR(mkdir(path("%s/%s", d, name), 0755), ENAMETOOLONG);
	ERR(access(path("%s/%s", d, name), F_OK), ENAMETOOLONG);
	ERR(symlink("x", path("%s/%s", d, name)), ENAMETOOLONG);
	OK(create(path("%s/x", d), 0644));
	ERR(rename(path("%s/x", d), path("%s/%s", d, name)), ENAMETOOLONG);
	ERR(link(path("%s/x", d), path("%s/%s", d, name)), ENAMETOOLONG);
	/* any byte but '/' and NUL */
	{
		static const char *odd[] = { " ", "a b", "\n", "\t\x01\x7f",
					     "\xff\xfe", "-", "..." , ".x",
					     "*?[", "\\" };
		size_t i;

		for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			OK(create(path("%s/%s", d, odd[i]), 0644));
			EXPECT(in_dir(d, odd[i]));
			OK(unlink(path("%s/%s", d, odd[i])));
		}
	}
}

static void t_utf8(const char *d)
{
	char name[300] = "";
	size_t i;

	/* 85 x 3 bytes = 255: the longest name */
	for (i = 0; i < 85; i++)
		strcat(name, "\xe2\x82\xac");	/* EURO SIGN */
	OK(mkdir(path("%s/%s", d, name), 0755));
	EXPECT(in_dir(d, name));
	OK(create(path("%s/%s/\xf0\x9f\x98\x80.txt", d, name), 0644));
	EXPECT(in_dir(path("%s/%s", d, name), "\xf0\x9f\x98\x80.txt"));
	strcat(name, "a");	/* 256 bytes */
	ERR(mkdir(path("%s/%s", d, name), 0755), ENAMETOOLONG);
	/* the same glyph, composed and decomposed: two names */
	OK(create(path("%s/\xc3\xa9", d), 0644));	/* e acute */
	OK(create(path("%s/e\xcc\x81", d), 0644));	/* e + accent */
	EXPECT(st_of(path("%s/\xc3\xa9", d)).st_ino !=
	       st_of(path("%s/e\xcc\x81", d)).st_ino);
	/* case matters */
	OK(create(path("%s/Stra\xc3\x9f" "e", d), 0644));
	ERR(access(path("%s/STRASSE", d), F_OK), ENOENT);
	OK(symlink("\xe4\xb8\xad\xe6\x96\x87", path("%s/\xd0\xbb\xd0\xbd", d)));
	{
		char t[32] = { 0 };

		EQ(readlink(path("%s/\xd0\xbb\xd0\xbd", d), t, sizeof(t)), 6);
		EXPECT(!strcmp(t, "\xe4\xb8\xad\xe6\x96\x87"));
	}
}

static void t_deep(const char *d)
{
	enum { DEPTH = 420 };
	const char *comp = "deepdir_x";	/* 9 + 1 = 10 bytes per level */
	int fd, nfd, i;
	char buf[16] = { 0 };
	char *p;

	fd = open(d, O_RDONLY | O_DIRECTORY);
	OK(fd);
	for (i = 0; i < DEPTH && fd >= 0; i++) {
		if (mkdirat(fd, comp, 0755)) {
			failf(__LINE__, "mkdir at depth %d: %s", i,
			      strerror(errno));
			break;
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
	}
	EXPECT(fd >= 0);
	if (fd < 0)
		return;
	nfd = openat(fd, "leaf", O_CREAT | O_WRONLY, 0644);
	OK(nfd);
	EQ(write(nfd, "deep", 4), 4);
	close(nfd);
	close(fd);
	/* 4200 bytes: longer than PATH_MAX as one path */
	p = malloc(DEPTH * 10 + strlen(d) + 16);
	strcpy(p, d);
	for (i = 0; i < DEPTH; i++)
		strcat(strcat(p, "/"), comp);
	strcat(p, "/leaf");
	ERR(open(p, O_RDONLY), ENAMETOOLONG);
	/* ... but fine in two steps of less than PATH_MAX */
	p[strlen(d) + 200 * 10] = 0;
	fd = open(p, O_RDONLY | O_DIRECTORY);
	OK(fd);
	p[strlen(d) + 200 * 10] = '/';
	nfd = openat(fd, p + strlen(d) + 200 * 10 + 1, O_RDONLY);
	OK(nfd);
	EQ(read(nfd, buf, sizeof(buf)), 4);
	EXPECT(!strcmp(buf, "deep"));
	close(nfd);
	close(fd);
	free(p);
	/* the parent chain back up */
	{
		char *up = path("%s/%s/%s/%s/../../..", d, comp, comp, comp);

		EQ(st_of(up).st_ino, st_of(d).st_ino);
	}
}

/* ~~~~ contents ~~~~ */

static unsigned char pat(uint64_t off, unsigned int seed)
{
	uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ULL + seed;

	return (unsigned char)(x >> 29);
}

static void t_rw(const char *d)
{
	const size_t big = (9u << 20) + 4095;	/* > the 4 MiB window */
	unsigned char *w = malloc(big), *r = malloc(big);
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < big; i++)
		w[i] = pat(i, 1);
	fd = open(path("%s/big", d), O_CREAT | O_RDWR, 0644);
	OK(fd);
	EQ(pwrite(fd, w, big, 3), big);		/* unaligned, split */
	EQ(pread(fd, r, big, 3), big);
	EXPECT(!memcmp(w, r, big));
	OK(fstat(fd, &st));
	EQ(st.st_size, big + 3);
	EQ(pread(fd, r, 100, big + 3), 0);	/* at EOF */
	EQ(pread(fd, r, 100, big - 7), 10);	/* short at EOF */
	EXPECT(!memcmp(r, w + big - 10, 10));
	close(fd);
	/* holes read as zeros */
	fd = open(path("%s/sparse", d), O_CREAT | O_RDWR, 0644);
	EQ(pwrite(fd, "end", 3, 5 << 20), 3);
	EQ(pwrite(fd, "mid", 3, 12345), 3);
	OK(fstat(fd, &st));
	EQ(st.st_size, (5 << 20) + 3);
	EXPECT(st.st_blocks <= 64);
	EQ(pread(fd, r, (5 << 20) + 3, 0), (5 << 20) + 3);
	for (i = 0; i < (5u << 20); i++) {
		if (i >= 12345 && i < 12348)
			continue;
		if (r[i]) {
			failf(__LINE__, "hole byte %zu is %d", i, r[i]);
			break;
		}
	}
	EXPECT(!memcmp(r + 12345, "mid", 3));
	EXPECT(!memcmp(r + (5 << 20), "end", 3));
	close(fd);
	/* overwrite in the middle, O_APPEND */
	fd = open(path("%s/app", d), O_CREAT | O_WRONLY | O_APPEND, 0644);
	EQ(write(fd, "abc", 3), 3);
	EQ(pwrite(fd, "xyz", 3, 0), 3);	/* appends anyway (Linux) */
	EQ(write(fd, "de", 2), 2);
	close(fd);
	EQ(get(path("%s/app", d), r, 100), 8);
	EXPECT(!memcmp(r, "abcxyzde", 8));
	fd = open(path("%s/app", d), O_WRONLY);
	EQ(pwrite(fd, "Q", 1, 4), 1);
	close(fd);
	EQ(get(path("%s/app", d), r, 100), 8);
	EXPECT(!memcmp(r, "abcxQzde", 8));
	/* many small writes */
	fd = open(path("%s/small", d), O_CREAT | O_WRONLY, 0644);
	for (i = 0; i < 1000; i++)
		if (write(fd, w + i * 7, 7) != 7)
			failf(__LINE__, "small write %zu", i);
	close(fd);
	EQ(get(path("%s/small", d), r, 8000), 7000);
	EXPECT(!memcmp(r, w, 7000));
	/* directories and special files are not files */
	fd = open(d, O_RDONLY | O_DIRECTORY);
	ERR(read(fd, r, 10), EISDIR);
	close(fd);
	free(w);
	free(r);
}

/* ~~~~ across mounts ~~~~ */

static void t_exdev(const char *d)
{
	const char *name = strrchr(d, '/') + 1;

	OK(create(path("%s/f", d), 0644));
	OK(mkdir(path("%s/dir", d), 0755));
	if (other_fs) {
		ERR(rename(path("%s/f", d), path("%s/zufs-posix-x", other_fs)),
		    EXDEV);
		ERR(link(path("%s/f", d), path("%s/zufs-posix-x", other_fs)),
		    EXDEV);
		ERR(rename(path("%s/dir", d), path("%s/zufs-posix-x", other_fs)),
		    EXDEV);
	}
	if (other_mnt) {
		/* the same directory through another mount */
		EXPECT(!access(path("%s/%s/f", other_mnt, name), F_OK));
		ERR(rename(path("%s/f", d), path("%s/%s/g", other_mnt, name)),
		    EXDEV);
		ERR(link(path("%s/f", d), path("%s/%s/g", other_mnt, name)),
		    EXDEV);
		OK(rename(path("%s/%s/f", other_mnt, name),
			  path("%s/%s/g", other_mnt, name)));
		EXPECT(!access(path("%s/g", d), F_OK));	/* one fs */
	}
}

/* ~~~~ permissions with two users (root with -u) ~~~~ */

static void u_perm(const char *d)
{
	struct timespec ts[2] = { { 5, 0 }, { 6, 0 } };

	/* a root-owned 0755 directory */
	ERR(create(path("%s/ro/x", d), 0644), EACCES);
	ERR(mkdir(path("%s/ro/x", d), 0755), EACCES);
	ERR(unlink(path("%s/ro/rootfile", d)), EACCES);
	ERR(rename(path("%s/ro/rootfile", d), path("%s/ro/y", d)), EACCES);
	ERR(rename(path("%s/ro/rootfile", d), path("%s/open/y", d)), EACCES);
	ERR(symlink("x", path("%s/ro/s", d)), EACCES);
	ERR(link(path("%s/open/ww", d), path("%s/ro/l", d)), EACCES);
	/* protected_hardlinks: not to a file we cannot write */
	ERR(link(path("%s/ro/rootfile", d), path("%s/open/l", d)), EPERM);
	/* its files: not ours */
	ERR(chmod(path("%s/ro/rootfile", d), 0777), EPERM);
	ERR(chown(path("%s/ro/rootfile", d), getuid(), (gid_t)-1), EPERM);
	ERR(open(path("%s/ro/rootfile", d), O_WRONLY), EACCES);
	ERR(utimensat(AT_FDCWD, path("%s/ro/rootfile", d), ts, 0), EPERM);
	ERR(utimensat(AT_FDCWD, path("%s/ro/rootfile", d), NULL, 0), EACCES);
	/* a world-writable file: UTIME_NOW is allowed, explicit times not */
	OK(utimensat(AT_FDCWD, path("%s/open/ww", d), NULL, 0));
	ERR(utimensat(AT_FDCWD, path("%s/open/ww", d), ts, 0), EPERM);
	/* no search permission */
	ERR(access(path("%s/nox/f", d), F_OK), EACCES);
	ERR(open(path("%s/nox/f", d), O_RDONLY), EACCES);
	/* sticky: our own file goes, root's stays */
	OK(create(path("%s/sticky/mine", d), 0644));
	ERR(unlink(path("%s/sticky/rootfile", d)), EPERM);
	ERR(rename(path("%s/sticky/rootfile", d), path("%s/sticky/z", d)),
	    EPERM);
	ERR(rename(path("%s/sticky/mine", d), path("%s/sticky/rootfile", d)),
	    EPERM);
	OK(rename(path("%s/sticky/mine", d), path("%s/sticky/mine2", d)));
	OK(unlink(path("%s/sticky/mine2", d)));
	/* writing to a setuid file clears setuid (and group-exec setgid) */
	{
		int fd = open(path("%s/open/suid", d), O_WRONLY);

		OK(fd);
		EQ(write(fd, "x", 1), 1);
		close(fd);
		EQ(st_of(path("%s/open/suid", d)).st_mode & 07777, 0777);
		fd = open(path("%s/open/suid2", d), O_WRONLY);
		OK(ftruncate(fd, 0));
		close(fd);
		EQ(st_of(path("%s/open/suid2", d)).st_mode & 07777, 0777);
	}
	/* setgid directory: inherited group even if not ours */
	OK(create(path("%s/sgid/f", d), 0644));
	EQ(st_of(path("%s/sgid/f", d)).st_gid, 4242);
	OK(mkdir(path("%s/sgid/sub", d), 0755));
	EQ(st_of(path("%s/sgid/sub", d)).st_gid, 4242);
	EXPECT(st_of(path("%s/sgid/sub", d)).st_mode & S_ISGID);
	/* setgid on a file of a group we are not in is dropped */
	OK(chmod(path("%s/sgid/f", d), 02755));
	EQ(st_of(path("%s/sgid/f", d)).st_mode & 07777, 0755);
}

static void t_perm(const char *d)
{
	if (!is_root || !have_user) {
		printf("skip %s: needs root and -u\n", cur_test);
		return;
	}
	OK(chmod(d, 0755));
	OK(mkdir(path("%s/ro", d), 0755));
	OK(create(path("%s/ro/rootfile", d), 0644));
	OK(mkdir(path("%s/open", d), 0777));
	OK(chmod(path("%s/open", d), 0777));
	OK(create(path("%s/open/ww", d), 0666));
	OK(chmod(path("%s/open/ww", d), 0666));
	OK(create(path("%s/open/suid", d), 0777));
	OK(chmod(path("%s/open/suid", d), 06777));
	OK(create(path("%s/open/suid2", d), 0777));
	OK(chmod(path("%s/open/suid2", d), 06777));
	OK(mkdir(path("%s/nox", d), 0700));
	OK(create(path("%s/nox/f", d), 0644));
	OK(chmod(path("%s/nox", d), 0766));
	OK(mkdir(path("%s/sticky", d), 0777));
	OK(chmod(path("%s/sticky", d), 01777));
	OK(create(path("%s/sticky/rootfile", d), 0666));
	OK(chmod(path("%s/sticky/rootfile", d), 0666));
	OK(mkdir(path("%s/sgid", d), 0777));
	OK(chown(path("%s/sgid", d), 0, 4242));
	OK(chmod(path("%s/sgid", d), 02777));
	as_user(u_perm, d);
	/* root: the sticky file is still there; root's setgid inherit */
	EXPECT(!access(path("%s/sticky/rootfile", d), F_OK));
	OK(create(path("%s/sgid/r", d), 0644));
	EQ(st_of(path("%s/sgid/r", d)).st_gid, 4242);
}

/* ~~~~ the big directory (-B) ~~~~ */

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static int big_part(const char *d, unsigned long from, unsigned long to,
		    int what)
{
	unsigned long i;
	char p[PATH_MAX + 32];
	int err = 0;

	for (i = from; i < to; i++) {
		snprintf(p, sizeof(p), "%s/entry-%08lu", d, i);
		if (what == 0) {
			int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);

			if (fd < 0)
				err = errno;
			else
				close(fd);
		} else if (what == 1) {
			struct stat st;

			if (lstat(p, &st) || !S_ISREG(st.st_mode))
				err = errno ? errno : EIO;
		} else if (unlink(p)) {
			err = errno;
		}
		if (err) {
			printf("FAIL bigdir: %s %s: %s\n",
			       what == 0 ? "create" : what == 1 ? "lookup" :
			       "unlink", p, strerror(err));
			return 1;
		}
	}
	return 0;
}

/* Run phase `what` over [0, n) in jobs processes; seconds taken. */
static double big_phase(const char *d, unsigned long n, unsigned int jobs,
			int what, unsigned int *fails)
{
	uint64_t t0 = tool_now_ns();
	unsigned int j;

	fflush(stdout);
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (!pid)
			_exit(big_part(d, n * j / jobs, n * (j + 1) / jobs,
				       what));
		if (pid < 0)
			(*fails)++;
	}
	for (j = 0; j < jobs; j++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			(*fails)++;
	}
	return secs(tool_now_ns() - t0);
}

/* -P: VmRSS of the server after a phase. */
static void show_rss(const char *after)
{
	char p[64], line[256];
	long kib = -1;
	FILE *f;

	if (!rss_pid)
		return;
	snprintf(p, sizeof(p), "/proc/%ld/status", rss_pid);
	f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	printf("bigdir: server VmRSS after %s: %ld KiB\n", after, kib);
	if (kib > rss_max)
		rss_max = kib;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0)
		return;
	sync();
	if (write(fd, "2", 1) != 1)
		printf("zufs-posix: drop_caches: %s\n", strerror(errno));
	close(fd);
}

static int bigdir(unsigned long n, unsigned int jobs)
{
	static char d[PATH_MAX];
	unsigned int fails = 0;
	unsigned long seen = 0;
	struct dirent *de;
	double t;
	DIR *dir;

	snprintf(d, sizeof(d), "%s/bigdir", base);
	if (mkdir(d, 0755)) {
		printf("FAIL bigdir: mkdir %s: %s\n", d, strerror(errno));
		return 1;
	}
	t = big_phase(d, n, jobs, 0, &fails);
	printf("bigdir: create %lu entries: %.1f s, %.1f us/op\n", n, t,
	       t * 1e6 / (double)n);
	show_rss("create");
	drop_caches();
	t = big_phase(d, n, jobs, 1, &fails);
	printf("bigdir: lookup %lu entries (cold): %.1f s, %.1f us/op\n", n,
	       t, t * 1e6 / (double)n);
	show_rss("lookup");
	{
		uint64_t t0 = tool_now_ns();
		unsigned char *mark = calloc(n, 1);

		dir = opendir(d);
		while (dir && (de = readdir(dir))) {
			unsigned long k;

			if (de->d_name[0] == '.')
				continue;
			if (sscanf(de->d_name, "entry-%lu", &k) != 1 ||
			    k >= n || mark[k]) {
				printf("FAIL bigdir: readdir gave %s\n",
				       de->d_name);
				fails++;
				continue;
			}
			mark[k] = 1;
			seen++;
		}
		if (dir)
			closedir(dir);
		free(mark);
		t = secs(tool_now_ns() - t0);
		printf("bigdir: readdir %lu entries: %.1f s, %.2f us/entry\n",
		       seen, t, t * 1e6 / (double)n);
		if (seen != n) {
			printf("FAIL bigdir: readdir saw %lu of %lu\n", seen, n);
			fails++;
		}
	}
	t = big_phase(d, n, jobs, 2, &fails);
	printf("bigdir: unlink %lu entries: %.1f s, %.1f us/op\n", n, t,
	       t * 1e6 / (double)n);
	show_rss("unlink");
	if (rss_max >= 64L * 1024) {
		printf("FAIL bigdir: server VmRSS reached %ld KiB (>= 64 MiB)\n",
		       rss_max);
		fails++;
	}
	if (rmdir(d)) {
		printf("FAIL bigdir: rmdir: %s\n", strerror(errno));
		fails++;
	}
	printf("zufs-posix: bigdir %s\n", fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}

/* ~~~~ main ~~~~ */

static const struct {
	const char *name;
	void (*fn)(const char *d);
} tests[] = {
	{ "create", t_create },
	{ "mkdir-rmdir", t_mkdir },
	{ "unlink", t_unlink },
	{ "link", t_link },
	{ "symlink", t_symlink },
	{ "symlink-loop", t_loop },
	{ "rename", t_rename },
	{ "rename-flags", t_rename_flags },
	{ "mknod", t_mknod },
	{ "tmpfile", t_tmpfile },
	{ "readdir", t_readdir },
	{ "readdir-changing", t_readdir_changing },
	{ "times", t_times },
	{ "times-after-ops", t_optimes },
	{ "chmod", t_chmod },
	{ "chown", t_chown },
	{ "truncate", t_truncate },
	{ "statfs", t_statfs },
	{ "names", t_names },
	{ "utf8", t_utf8 },
	{ "deep", t_deep },
	{ "read-write", t_rw },
	{ "exdev", t_exdev },
	{ "permissions", t_perm },
};

static void usage(void)
{
	fprintf(stderr, "usage: zufs-posix [-u UID:GID] [-x DIR] [-b DIR] "
		"[-t NAME] DIR\n       zufs-posix -B COUNT [-j JOBS] [-P PID] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	unsigned long big = 0;
	unsigned int jobs = 1;
	size_t i;
	int c;

	tool_name = "zufs-posix";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "u:x:b:t:B:j:P:")) != -1) {
		switch (c) {
		case 'u':
			if (sscanf(optarg, "%u:%u", &user_uid, &user_gid) != 2)
				usage();
			have_user = true;
			break;
		case 'x': other_fs = optarg; break;
		case 'b': other_mnt = optarg; break;
		case 't': filter = optarg; break;
		case 'B': big = strtoul(optarg, NULL, 10); break;
		case 'j': jobs = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'P': rss_pid = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !jobs)
		usage();
	base = argv[optind];
	is_root = geteuid() == 0;
	umask(022);
	if (big)
		return bigdir(big, jobs);

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		static char d[PATH_MAX];
		uint64_t t0;

		snprintf(d, sizeof(d), "%s/%s", base, tests[i].name);
		if (filter && !strstr(tests[i].name, filter))
			continue;
		cur_test = tests[i].name;
		cur_fail = 0;
		if (mkdir(d, 0755)) {
			failf(__LINE__, "mkdir %s: %s", d, strerror(errno));
		} else {
			t0 = tool_now_ns();
			tests[i].fn(d);
			if (rm_rf(d))
				failf(__LINE__, "cleanup of %s: %s", d,
				      strerror(errno));
			if (!cur_fail)
				printf("ok %s (%llu ms)\n", cur_test,
				       (unsigned long long)((tool_now_ns() - t0) /
							    1000000));
		}
		if (cur_fail)
			failed++;
		else
			passed++;
	}
	printf("zufs-posix: %u passed, %u failed (as uid %u)\n", passed,
	       failed, (unsigned int)geteuid());
	return failed ? 1 : 0;
}
