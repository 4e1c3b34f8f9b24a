// SPDX-License-Identifier: BSD-3-Clause
/* t_ops.c - namespace and data operations, error codes. */
#include <unistd.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include "tlib.h"

#define MiB (1ULL << 20)

void t_basic(void)
{
	struct pmfs_statfs st, st2;
	struct pmfs_attr a;
	struct pmfs_sb *sb;
	struct pmfs_ii *ii;
	struct img im;
	char buf[5000], longt[300];
	ssize_t n;

	CHECK_EQ(pmfs_crc32c(0, "123456789", 9), 0xe3069283U);
	REQUIRE(!img_new(&im, "basic", 64 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &st);
	CHECK(st.bsize == 4096 && st.namelen == 255);
	CHECK(st.bfree == st.blocks);
	CHECK_EQ(st.ffree, st.files - 1);

	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "d", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "d/sub", S_IFDIR | 0700, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "d/sl", S_IFLNK | 0777, "short/target", 0), 0);
	memset(longt, 'x', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = 0;
	CHECK_EQ(t_mk(sb, "d/ll", S_IFLNK | 0777, longt, 0), 0);
	CHECK_EQ(t_mk(sb, "fifo", S_IFIFO | 0600, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "sock", S_IFSOCK | 0600, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "chr", S_IFCHR | 0600, NULL, makedev(1, 3)), 0);
	CHECK_EQ(t_mk(sb, "blk", S_IFBLK | 0600, NULL, makedev(8, 1)), 0);

	CHECK_EQ(t_stat(sb, "d", &a), 0);
	CHECK_EQ(a.nlink, 3);
	CHECK(S_ISDIR(a.mode) && (a.mode & 07777) == 0755);
	CHECK_EQ(a.uid, 1000);
	CHECK_EQ(a.gid, 100);
	CHECK(a.btime.sec > 0 && a.mtime.nsec < 1000000000U);
	CHECK_EQ(t_stat(sb, "", &a), 0);
	CHECK_EQ(a.nlink, 3);	/* root: . .. d */
	CHECK_EQ(t_stat(sb, "chr", &a), 0);
	CHECK(S_ISCHR(a.mode) && a.rdev == makedev(1, 3));
	CHECK_EQ(t_stat(sb, "blk", &a), 0);
	CHECK(S_ISBLK(a.mode) && a.rdev == makedev(8, 1));
	CHECK_EQ(t_stat(sb, "fifo", &a), 0);
	CHECK(S_ISFIFO(a.mode));
	CHECK_EQ(t_stat(sb, "sock", &a), 0);
	CHECK(S_ISSOCK(a.mode));

	REQUIRE(!t_walk(sb, "d/sl", &ii));
	n = pmfs_readlink(ii, buf, sizeof(buf));
	CHECK(n == 12 && !memcmp(buf, "short/target", 12));
	pmfs_iput(ii);
	REQUIRE(!t_walk(sb, "d/ll", &ii));
	n = pmfs_readlink(ii, buf, sizeof(buf));
	CHECK(n == 299 && !memcmp(buf, longt, 299));
	pmfs_iput(ii);

	/* setattr */
	REQUIRE(!t_walk(sb, "f", &ii));
	a.mode = 0600;
	a.uid = 7;
	a.gid = 8;
	a.atime = (struct pmfs_time){ 1000, 5, 0 };
	a.mtime = (struct pmfs_time){ 2000, 999999999, 0 };
	CHECK_EQ(pmfs_setattr(ii, &a, PMFS_ATTR_MODE | PMFS_ATTR_UID |
			      PMFS_ATTR_GID | PMFS_ATTR_ATIME |
			      PMFS_ATTR_MTIME), 0);
	pmfs_getattr(ii, &a);
	CHECK(a.mode == (S_IFREG | 0600) && a.uid == 7 && a.gid == 8);
	CHECK(a.atime.sec == 1000 && a.atime.nsec == 5);
	CHECK(a.mtime.sec == 2000 && a.mtime.nsec == 999999999);
	a.mtime.nsec = 1000000000;
	CHECK_EQ(pmfs_setattr(ii, &a, PMFS_ATTR_MTIME), -EINVAL);
	pmfs_iput(ii);

	/* new_inode + link (libzus's new_inode/add_dentry), a directory too */
	{
		struct pmfs_new n = { .mode = S_IFDIR | 0750 };
		struct pmfs_ii *root, *nd;

		REQUIRE(!pmfs_iget(sb, PMFS_ROOT_INO, &root));
		CHECK_EQ(pmfs_new_inode(root, &n, &nd), 0);
		CHECK_EQ(pmfs_link(nd, root, "newdir", 6), 0);
		CHECK_EQ(pmfs_link(nd, root, "newdir2", 7), -EPERM);
		pmfs_iput(nd);
		CHECK_EQ(t_stat(sb, "newdir", &a), 0);
		CHECK(S_ISDIR(a.mode) && a.nlink == 2);
		CHECK_EQ(t_stat(sb, "", &a), 0);
		CHECK_EQ(a.nlink, 4);
		CHECK_EQ(t_mk(sb, "newdir/x", S_IFREG | 0644, NULL, 0), 0);
		pmfs_iput(root);
	}
	/* remount: everything is still there */
	pmfs_statfs(sb, &st);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &st2);
	CHECK_EQ(st.bfree, st2.bfree);
	CHECK_EQ(st.ffree, st2.ffree);
	CHECK_EQ(t_stat(sb, "d/sub", &a), 0);
	CHECK_EQ(t_stat(sb, "f", &a), 0);
	CHECK(a.uid == 7);
	CHECK_EQ(pmfs_remount(sb, 1), 0);
	CHECK_EQ(t_mk(sb, "ro", S_IFREG | 0644, NULL, 0), -EROFS);
	CHECK_EQ(pmfs_remount(sb, 0), 0);
	CHECK_EQ(t_mk(sb, "rw", S_IFREG | 0644, NULL, 0), 0);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

void t_garbage(void)
{
	struct pmfs_sb *sb = NULL;
	struct img im;
	char err[256] = "";
	char *b;

	REQUIRE(!img_new(&im, "garbage", 16 * MiB, 0));
	b = im.base;
	/* zeroes */
	memset(b, 0, 3 * 4096);
	CHECK(pmfs_mount(im.base, im.len, 0, 0, &sb, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a pmemfs filesystem") != NULL);
	/* random bytes */
	t_srand(7);
	for (int i = 0; i < 3 * 4096; i++)
		b[i] = (char)t_rand();
	CHECK(pmfs_mount(im.base, im.len, 0, 0, &sb, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a pmemfs") != NULL);
	/* an ext4 superblock */
	memset(b, 0, 3 * 4096);
	b[1080] = 0x53;
	b[1081] = (char)0xEF;
	CHECK(pmfs_mount(im.base, im.len, 0, 0, &sb, err, sizeof(err)) < 0);
	CHECK(strstr(err, "ext2/3/4") != NULL);
	/* a pmemfs with a bad checksum */
	REQUIRE(!pmfs_format(im.base, im.len, 0, NULL, err, sizeof(err)));
	b[100] ^= 1;
	CHECK_EQ(pmfs_mount(im.base, im.len, 0, 0, &sb, err, sizeof(err)),
		 -EUCLEAN);
	CHECK(strstr(err, "checksum") != NULL);
	/* a fs larger than the device */
	b[100] ^= 1;
	CHECK(pmfs_mount(im.base, 8 * MiB, 0, 0, &sb, err, sizeof(err)) < 0);
	CHECK(strstr(err, "larger than the device") != NULL);
	/* too small to format */
	CHECK(pmfs_format(im.base, 1 * MiB, 0, NULL, err, sizeof(err)) < 0);
	CHECK(strstr(err, "too small") != NULL);
	/* garbage in the inode table / root */
	REQUIRE(!pmfs_format(im.base, im.len, 0, NULL, err, sizeof(err)));
	{
		const struct pmfs_super *ps = im.base;
		char *root = b + ps->itable_off + 256;

		root[10] ^= 0x55;
		CHECK(pmfs_mount(im.base, im.len, 0, 0, &sb, err,
				 sizeof(err)) < 0);
		CHECK(strstr(err, "root inode") != NULL);
	}
	img_remove(&im);
}

void t_errors(void)
{
	struct pmfs_sb *sb;
	struct pmfs_ii *root, *f;
	struct img im;
	char name[300];
	uint64_t ino;

	REQUIRE(!img_new(&im, "errors", 32 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	REQUIRE(!pmfs_iget(sb, PMFS_ROOT_INO, &root));
	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), -EEXIST);
	CHECK_EQ(t_mk(sb, "f", S_IFDIR | 0755, NULL, 0), -EEXIST);
	CHECK_EQ(t_mk(sb, "nodir/x", S_IFREG | 0644, NULL, 0), -ENOENT);
	CHECK_EQ(t_mk(sb, "f/x", S_IFREG | 0644, NULL, 0), -ENOTDIR);
	CHECK_EQ(t_mk(sb, "bad", 0170000 | 0644, NULL, 0), -EINVAL);
	CHECK_EQ(t_mk(sb, "l", S_IFLNK | 0777, "", 0), -ENOENT);
	memset(name, 'n', sizeof(name));
	CHECK_EQ(pmfs_lookup(root, name, 256, &ino), -ENAMETOOLONG);
	{
		struct pmfs_new n = { .mode = S_IFREG | 0644 };

		CHECK_EQ(pmfs_create(root, name, 256, &n, NULL), -ENAMETOOLONG);
		CHECK_EQ(pmfs_create(root, name, 255, &n, NULL), 0);
		CHECK_EQ(pmfs_lookup(root, name, 255, &ino), 0);
		CHECK_EQ(pmfs_create(root, "a/b", 3, &n, NULL), -EINVAL);
		CHECK_EQ(pmfs_create(root, ".", 1, &n, NULL), -EEXIST);
		CHECK_EQ(pmfs_create(root, "..", 2, &n, NULL), -EEXIST);
		CHECK_EQ(pmfs_unlink(root, name, 255), 0);
	}
	{
		char t[4097];

		memset(t, 't', 4096);
		t[4096] = 0;
		CHECK_EQ(t_mk(sb, "lt", S_IFLNK | 0777, t, 0), -ENAMETOOLONG);
		t[4095] = 0;
		CHECK_EQ(t_mk(sb, "lt", S_IFLNK | 0777, t, 0), 0);
	}
	CHECK_EQ(pmfs_lookup(root, "none", 4, &ino), -ENOENT);
	CHECK_EQ(pmfs_lookup(root, ".", 1, &ino), 0);
	CHECK_EQ(ino, PMFS_ROOT_INO);
	CHECK_EQ(pmfs_lookup(root, "..", 2, &ino), 0);
	CHECK_EQ(ino, PMFS_ROOT_INO);
	CHECK_EQ(t_unlink(sb, "none"), -ENOENT);
	CHECK_EQ(t_mk(sb, "d", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "d/x", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_unlink(sb, "d"), -EISDIR);
	CHECK_EQ(t_rmdir(sb, "f"), -ENOTDIR);
	CHECK_EQ(t_rmdir(sb, "d"), -ENOTEMPTY);
	CHECK_EQ(t_rmdir(sb, "d/."), -EINVAL);
	CHECK_EQ(t_rmdir(sb, "d/.."), -ENOTEMPTY);
	CHECK_EQ(t_link(sb, "d", "dlink"), -EPERM);
	CHECK_EQ(t_link(sb, "f", "d/x"), -EEXIST);
	CHECK_EQ(t_link(sb, "f", "f2"), 0);
	CHECK_EQ(t_unlink(sb, "d/x"), 0);
	CHECK_EQ(t_rmdir(sb, "d"), 0);
	CHECK_EQ(t_rmdir(sb, "d"), -ENOENT);
	REQUIRE(!t_walk(sb, "f", &f));
	CHECK_EQ(pmfs_readdir(f, 0, NULL, NULL), -ENOTDIR);
	CHECK_EQ(pmfs_lookup(f, "x", 1, &ino), -ENOTDIR);
	{
		struct pmfs_attr a = { .size = 10 };
		uint64_t off;

		CHECK_EQ(pmfs_setattr(root, &a, PMFS_ATTR_SIZE), -EISDIR);
		CHECK_EQ(pmfs_write(root, "x", 1, 0), -EISDIR);
		CHECK_EQ(pmfs_read(root, name, 1, 0), -EISDIR);
		a.size = PMFS_MAX_FILE_SIZE + 1;
		CHECK_EQ(pmfs_setattr(f, &a, PMFS_ATTR_SIZE), -EFBIG);
		CHECK_EQ(pmfs_write(f, "x", 1, PMFS_MAX_FILE_SIZE), -EFBIG);
		CHECK_EQ(pmfs_get_block(f, 5, 0, &off), 0);
		CHECK_EQ(off, 0);
		CHECK_EQ(pmfs_iget(sb, 0, &f), -ESTALE);
		CHECK_EQ(pmfs_iget(sb, 1ULL << 40, &f), -ESTALE);
		CHECK_EQ(pmfs_iget(sb, 3000, &f), -ESTALE);
	}
	CHECK_EQ(t_rename(sb, "f", "f2", 1U << 3), -EINVAL);
	pmfs_iput(f);
	pmfs_iput(root);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

void t_emlink(void)
{
	struct pmfs_sb *sb;
	struct pmfs_ii *f, *d;
	struct pmfs_attr a;
	struct img im;
	char name[32];
	int r = 0, i;

	REQUIRE(!img_new(&im, "emlink", 64 * MiB, 1000));
	REQUIRE((sb = t_mount(&im)));
	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "d", S_IFDIR | 0755, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "f", &f));
	REQUIRE(!t_walk(sb, "d", &d));
	for (i = 1; i < PMFS_LINK_MAX && !r; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		r = pmfs_link(f, d, name, strlen(name));
	}
	CHECK_EQ(r, 0);
	pmfs_getattr(f, &a);
	CHECK_EQ(a.nlink, PMFS_LINK_MAX);
	CHECK_EQ(pmfs_link(f, d, "one-more", 8), -EMLINK);
	pmfs_iput(f);
	pmfs_iput(d);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

void t_rename_all(void)
{
	struct pmfs_sb *sb;
	struct pmfs_attr a, b;
	struct img im;

	REQUIRE(!img_new(&im, "rename", 32 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	CHECK_EQ(t_mk(sb, "a", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "b", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "a/f", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_write(sb, "a/f", "hello", 5, 0), 0);
	CHECK_EQ(t_mk(sb, "b/g", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "a/sub", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "a/sub/deep", S_IFDIR | 0755, NULL, 0), 0);

	/* plain move within and across directories */
	CHECK_EQ(t_rename(sb, "a/f", "a/f1", 0), 0);
	CHECK_EQ(t_stat(sb, "a/f", &a), -ENOENT);
	CHECK_EQ(t_rename(sb, "a/f1", "b/f", 0), 0);
	CHECK_EQ(t_stat(sb, "b/f", &a), 0);
	CHECK_EQ(a.size, 5);
	/* replace a file */
	CHECK_EQ(t_stat(sb, "b/g", &b), 0);
	CHECK_EQ(t_rename(sb, "b/f", "b/g", 0), 0);
	CHECK_EQ(t_stat(sb, "b/g", &b), 0);
	CHECK_EQ(b.ino, a.ino);
	CHECK_EQ(t_stat(sb, "b/f", &a), -ENOENT);
	/* NOREPLACE */
	CHECK_EQ(t_mk(sb, "b/h", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_rename(sb, "b/h", "b/g", PMFS_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(t_rename(sb, "b/h", "b/h2", PMFS_RENAME_NOREPLACE), 0);
	/* dir over file and file over dir */
	CHECK_EQ(t_rename(sb, "a/sub", "b/g", 0), -ENOTDIR);
	CHECK_EQ(t_rename(sb, "b/g", "a/sub", 0), -EISDIR);
	/* dir over non-empty dir / empty dir */
	CHECK_EQ(t_mk(sb, "b/empty", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_rename(sb, "b/empty", "a/sub", 0), -ENOTEMPTY);
	CHECK_EQ(t_stat(sb, "a", &a), 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(t_rename(sb, "a/sub", "b/empty", 0), 0);
	CHECK_EQ(t_stat(sb, "a", &a), 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(t_stat(sb, "b", &a), 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(t_stat(sb, "b/empty/deep", &a), 0);
	/* into its own descendant */
	CHECK_EQ(t_rename(sb, "b", "b/empty/deep/x", 0), -EINVAL);
	CHECK_EQ(t_rename(sb, "b/empty", "b/empty/deep/x", 0), -EINVAL);
	/* EXCHANGE: file <-> dir across directories */
	CHECK_EQ(t_mk(sb, "a/file", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_rename(sb, "a/file", "b/empty", PMFS_RENAME_EXCHANGE), 0);
	CHECK_EQ(t_stat(sb, "a/file", &a), 0);
	CHECK(S_ISDIR(a.mode));
	CHECK_EQ(t_stat(sb, "a/file/deep", &a), 0);
	CHECK_EQ(t_stat(sb, "b/empty", &a), 0);
	CHECK(S_ISREG(a.mode));
	CHECK_EQ(t_stat(sb, "a", &a), 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(t_stat(sb, "b", &a), 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(t_rename(sb, "a/file", "a/none", PMFS_RENAME_EXCHANGE),
		 -ENOENT);
	CHECK_EQ(t_rename(sb, "a/file", "b/empty", PMFS_RENAME_EXCHANGE |
			  PMFS_RENAME_NOREPLACE), -EINVAL);
	CHECK_EQ(t_rename(sb, "a", "a/file/deep", PMFS_RENAME_EXCHANGE),
		 -EINVAL);
	/* WHITEOUT */
	CHECK_EQ(t_rename(sb, "b/h2", "a/moved", PMFS_RENAME_WHITEOUT), 0);
	CHECK_EQ(t_stat(sb, "b/h2", &a), 0);
	CHECK(S_ISCHR(a.mode) && a.rdev == 0);
	CHECK_EQ(t_stat(sb, "a/moved", &a), 0);
	CHECK(S_ISREG(a.mode));
	/* same inode: nothing happens */
	CHECK_EQ(t_link(sb, "a/moved", "a/moved2"), 0);
	CHECK_EQ(t_rename(sb, "a/moved", "a/moved2", 0), 0);
	CHECK_EQ(t_stat(sb, "a/moved", &a), 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(t_rename(sb, "a/nonexistent", "a/x", 0), -ENOENT);
	CHECK_EQ(t_rename(sb, "a/moved", "nodir/x", 0), -ENOENT);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

void t_tmpfile(void)
{
	struct pmfs_statfs s0, s1;
	struct pmfs_mount_info mi;
	struct pmfs_new n = { .mode = S_IFREG | 0600 };
	struct pmfs_ii *root, *t;
	struct pmfs_sb *sb;
	struct pmfs_attr a;
	struct img im;
	char buf[8192];
	pid_t pid;

	memset(buf, 'q', sizeof(buf));
	REQUIRE(!img_new(&im, "tmpfile", 32 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &s0);
	REQUIRE(!pmfs_iget(sb, PMFS_ROOT_INO, &root));
	/* tmpfile, then linked */
	CHECK_EQ(pmfs_tmpfile(root, &n, &t), 0);
	CHECK_EQ(pmfs_write(t, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	pmfs_getattr(t, &a);
	CHECK_EQ(a.nlink, 0);
	CHECK_EQ(pmfs_link(t, root, "named", 5), 0);
	pmfs_iput(t);
	CHECK_EQ(t_stat(sb, "named", &a), 0);
	CHECK(a.nlink == 1 && a.size == sizeof(buf));
	/* tmpfile never linked: gone at the last put */
	CHECK_EQ(pmfs_tmpfile(root, &n, &t), 0);
	CHECK_EQ(pmfs_write(t, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	pmfs_iput(t);
	/* unlinked while open: data readable until the last put */
	CHECK_EQ(t_walk(sb, "named", &t), 0);
	CHECK_EQ(t_unlink(sb, "named"), 0);
	CHECK_EQ(pmfs_read(t, buf, 10, 0), 10);
	CHECK_EQ(pmfs_link(t, root, "again", 5), -ENOENT);
	pmfs_iput(t);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	CHECK_EQ(s1.ffree, s0.ffree);
	pmfs_iput(root);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);

	/* a process dies holding tmpfiles / unlinked files: next mount */
	pid = fork();
	if (pid == 0) {
		REQUIRE((sb = t_mount(&im)));
		if (pmfs_iget(sb, PMFS_ROOT_INO, &root))
			_exit(1);
		for (int i = 0; i < 5; i++) {
			if (pmfs_tmpfile(root, &n, &t) ||
			    pmfs_write(t, buf, sizeof(buf), 0) < 0)
				_exit(1);
		}
		if (t_mk(sb, "u", S_IFREG | 0644, NULL, 0) ||
		    t_write(sb, "u", buf, sizeof(buf), 0) ||
		    t_walk(sb, "u", &t) || t_unlink(sb, "u"))
			_exit(1);
		_exit(0);	/* no iput, no unmount */
	}
	{
		int status;

		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(t_fsck(&im, false, false) == 0);	/* orphans are legal */
	REQUIRE((sb = t_mount(&im)));
	pmfs_mount_info(sb, &mi);
	CHECK_EQ(mi.orphans_released, 6);
	CHECK_EQ(mi.was_clean, 0);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	CHECK_EQ(s1.ffree, s0.ffree);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

struct rd {
	char (*names)[64];
	uint64_t *pos;
	int n, max;
};

static int rd_fill(void *ctx, const char *name, size_t len, uint64_t ino,
		   unsigned type, uint64_t next)
{
	struct rd *r = ctx;

	(void)ino;
	(void)type;
	if (r->n >= r->max)
		return 1;
	snprintf(r->names[r->n], 64, "%.*s", (int)len, name);
	r->pos[r->n++] = next;
	return 0;
}

void t_readdir(void)
{
	enum { N = 3000 };
	struct pmfs_sb *sb;
	struct pmfs_ii *d;
	struct img im;
	struct rd r = { 0 };
	static char seen[2 * N];
	uint64_t pos = 0;
	char name[64];
	int total = 0;

	REQUIRE(!img_new(&im, "readdir", 64 * MiB, 8000));
	REQUIRE((sb = t_mount(&im)));
	CHECK_EQ(t_mk(sb, "d", S_IFDIR | 0755, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "d", &d));
	for (int i = 0; i < N; i++) {
		struct pmfs_new n = { .mode = S_IFREG | 0644 };

		snprintf(name, sizeof(name), "file-%d", i);
		CHECK_EQ(pmfs_create(d, name, strlen(name), &n, NULL), 0);
	}
	r.names = calloc(N * 2, 64);
	r.pos = calloc(N * 2, 8);
	/* read in chunks of 100 while deleting odd files and adding new */
	memset(seen, 0, sizeof(seen));
	for (int round = 0;; round++) {
		r.n = 0;
		r.max = 100;
		CHECK_EQ(pmfs_readdir(d, pos, rd_fill, &r), 0);
		if (!r.n)
			break;
		for (int i = 0; i < r.n; i++) {
			int k;

			if (sscanf(r.names[i], "file-%d", &k) == 1) {
				CHECK(k >= 0 && k < 2 * N);
				if (k >= 0 && k < 2 * N) {
					CHECK(!seen[k]);
					seen[k] = 1;
				}
			}
			total++;
		}
		pos = r.pos[r.n - 1];
		if (round < 15) {
			struct pmfs_new n = { .mode = S_IFREG | 0644 };

			for (int i = 0; i < 100; i++) {
				int k = round * 200 + 2 * i + 1;

				snprintf(name, sizeof(name), "file-%d", k);
				if (!seen[k])
					pmfs_unlink(d, name, strlen(name));
				snprintf(name, sizeof(name), "file-%d",
					 N + round * 100 + i);
				pmfs_create(d, name, strlen(name), &n, NULL);
			}
		}
	}
	/* every even-numbered original entry exactly once */
	for (int k = 0; k < N; k += 2)
		CHECK(seen[k]);
	CHECK(total >= N / 2 + 2);
	/* restart from the saved positions gives the same continuation */
	r.n = 0;
	r.max = 2 * N;
	CHECK_EQ(pmfs_readdir(d, 0, rd_fill, &r), 0);
	{
		int full = r.n;
		struct rd r2 = { .names = calloc(N * 2, 64),
				 .pos = calloc(N * 2, 8), .max = 2 * N };

		CHECK_EQ(pmfs_readdir(d, r.pos[full / 2], rd_fill, &r2), 0);
		CHECK_EQ(r2.n, full - full / 2 - 1);
		if (r2.n > 0)
			CHECK(!strcmp(r2.names[0], r.names[full / 2 + 1]));
		free(r2.names);
		free(r2.pos);
		CHECK(!strcmp(r.names[0], ".") && !strcmp(r.names[1], ".."));
	}
	free(r.names);
	free(r.pos);
	pmfs_iput(d);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
}

/*
 * Two files grown side by side through the fast path (512 KiB per
 * GET_BLOCK, taking turns): each answer is one run of blocks in a row on
 * the device, not every other block, and every block's device offset is
 * its file offset modulo 2 MiB (the map's nodes are elsewhere).
 */
static void t_side_by_side(struct pmfs_sb *sb)
{
	static uint64_t offs[128];
	struct pmfs_ii *f[2];
	uint32_t nr;
	unsigned rf;

	CHECK_EQ(t_mk(sb, "s0", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "s1", S_IFREG | 0644, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "s0", &f[0]));
	REQUIRE(!t_walk(sb, "s1", &f[1]));
	for (int round = 0; round < 8; round++) {
		for (int k = 0; k < 2; k++) {
			uint32_t in_row = 1, aligned = 0;

			CHECK_EQ(pmfs_get_blocks(f[k], (uint64_t)round << 19,
						 1 << 19, PMFS_GB_WRITE, offs,
						 128, &nr, &rf), 0);
			CHECK_EQ(nr, 128);
			for (uint32_t i = 1; i < nr; i++)
				in_row += offs[i] == offs[i - 1] + 4096;
			CHECK_EQ(in_row, 128);
			for (uint32_t i = 0; i < nr; i++)
				aligned += offs[i] % (2 << 20) ==
					   (((uint64_t)round << 19) + i * 4096) %
						   (2 << 20);
			CHECK_EQ(aligned, 128);
		}
	}
	/* a range with a block already there: the runs around it keep the
	 * alignment too (no run across the block the file has)
	 */
	CHECK_EQ(pmfs_get_blocks(f[0], 8ULL << 20 | 5 << 12, 4096,
				 PMFS_GB_WRITE, offs, 1, &nr, &rf), 0);
	CHECK_EQ(pmfs_get_blocks(f[0], 8ULL << 20, 1 << 19, PMFS_GB_WRITE,
				 offs, 128, &nr, &rf), 0);
	CHECK_EQ(nr, 128);
	for (uint32_t i = 0; i < nr; i++)
		CHECK_EQ(offs[i] % (2 << 20), (uint64_t)i * 4096);
	pmfs_iput(f[0]);
	pmfs_iput(f[1]);
	CHECK_EQ(t_unlink(sb, "s0"), 0);
	CHECK_EQ(t_unlink(sb, "s1"), 0);
}

void t_data(void)
{
	struct pmfs_statfs s0, s1;
	struct pmfs_sb *sb;
	struct pmfs_ii *f;
	struct pmfs_attr a;
	struct img im;
	char *buf = malloc(1 << 20), *rb = malloc(1 << 20);
	uint64_t off, off2;

	REQUIRE(buf && rb);
	for (int i = 0; i < (1 << 20); i++)
		buf[i] = (char)(i * 7 + (i >> 12));
	REQUIRE(!img_new(&im, "data", 128 * MiB, 0));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &s0);
	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "f", &f));
	/* unaligned write, read back */
	CHECK_EQ(pmfs_write(f, buf, 100000, 1234), 100000);
	CHECK_EQ(pmfs_read(f, rb, 200000, 0), 101234);
	CHECK(!memcmp(rb + 1234, buf, 100000));
	for (int i = 0; i < 1234; i++)
		if (rb[i])
			CHECK(!rb[i]);
	/* a hole: write far away; blocks between read as zeroes */
	CHECK_EQ(pmfs_write(f, buf, 4096, 3ULL << 30), 4096);
	CHECK_EQ(pmfs_get_block(f, (1ULL << 30) / 4096, 0, &off), 0);
	CHECK_EQ(off, 0);
	CHECK_EQ(pmfs_get_block(f, (3ULL << 30) / 4096, 0, &off), 0);
	CHECK(off != 0 && !memcmp((char *)pmfs_base(sb) + off, buf, 4096));
	CHECK_EQ(pmfs_read(f, rb, 8192, (1ULL << 30)), 8192);
	CHECK(rb[0] == 0 && rb[8191] == 0);
	pmfs_getattr(f, &a);
	CHECK_EQ(a.size, (3ULL << 30) + 4096);
	/* get_block create: zeroed block, size unchanged */
	CHECK_EQ(pmfs_get_block(f, 77, 1, &off), 0);
	CHECK(off != 0);
	CHECK_EQ(pmfs_get_block(f, 77, 0, &off2), 0);
	CHECK_EQ(off, off2);
	/* get_blocks (the fast path): reads report holes, writes allocate
	 * zeroed blocks and extend the size to what the range covers
	 */
	{
		uint64_t offs[8], sz = (3ULL << 30) + 4096;
		uint32_t nr;
		unsigned rf;

		CHECK_EQ(pmfs_get_blocks(f, 2ULL << 30, 3 * 4096, 0, offs, 8,
					 &nr, &rf), 0);
		CHECK(nr == 3 && !offs[0] && !offs[1] && !offs[2] && !rf);
		CHECK_EQ(pmfs_get_blocks(f, sz + 100, 9000, PMFS_GB_WRITE,
					 offs, 8, &nr, &rf), 0);
		CHECK(nr == 3 && offs[0] && offs[1] && offs[2]);
		CHECK(rf & PMFS_GB_NEW);
		CHECK(!((char *)pmfs_base(sb) + offs[2])[4095]);
		pmfs_getattr(f, &a);
		CHECK_EQ(a.size, sz + 9100);
		/* again: the same blocks, nothing new; max caps the count */
		CHECK_EQ(pmfs_get_blocks(f, sz, 9100, PMFS_GB_WRITE, &off2, 1,
					 &nr, &rf), 0);
		CHECK(nr == 1 && off2 == offs[0] && !rf);
		/* a fault (MMAP) allocates without changing the size */
		CHECK_EQ(pmfs_get_blocks(f, 1ULL << 30, 1, PMFS_GB_WRITE |
					 PMFS_GB_MMAP, offs, 8, &nr, &rf), 0);
		CHECK(nr == 1 && offs[0] && (rf & PMFS_GB_NEW));
		pmfs_getattr(f, &a);
		CHECK_EQ(a.size, sz + 9100);
	}
	/* truncate down into the middle of a block, then up: zeroes */
	CHECK_EQ(pmfs_write(f, buf, 1 << 20, 0), 1 << 20);
	CHECK_EQ(t_truncate(sb, "f", 5000), 0);
	CHECK_EQ(t_truncate(sb, "f", 100000), 0);
	CHECK_EQ(pmfs_read(f, rb, 1 << 20, 0), 100000);
	CHECK(!memcmp(rb, buf, 5000));
	{
		bool zero = true;

		for (int i = 5000; i < 100000; i++)
			zero &= !rb[i];
		CHECK(zero);
	}
	/* big file: many blocks, several map levels, truncate to 0 */
	for (int i = 0; i < 40; i++)
		CHECK_EQ(pmfs_write(f, buf, 1 << 20, (uint64_t)i << 20), 1 << 20);
	CHECK_EQ(pmfs_write(f, buf, 4096, 1ULL << 40), 4096);
	CHECK_EQ(pmfs_read(f, rb, 1 << 20, 17 << 20), 1 << 20);
	CHECK(!memcmp(rb, buf, 1 << 20));
	CHECK_EQ(t_truncate(sb, "f", 0), 0);
	pmfs_getattr(f, &a);
	CHECK_EQ(a.blocks, 0);
	CHECK_EQ(a.size, 0);
	CHECK_EQ(pmfs_read(f, rb, 10, 0), 0);
	pmfs_iput(f);
	CHECK_EQ(t_unlink(sb, "f"), 0);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	t_side_by_side(sb);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
	free(buf);
	free(rb);
}

void t_enospc(void)
{
	struct pmfs_statfs s0, s1;
	struct pmfs_sb *sb;
	struct pmfs_ii *f;
	struct img im;
	char *buf = calloc(1, 1 << 20);
	char name[32];
	int i, r = 0, nfiles;
	ssize_t w;
	uint64_t total = 0;

	REQUIRE(buf);
	REQUIRE(!img_new(&im, "enospc", 16 * MiB, 200));
	REQUIRE((sb = t_mount(&im)));
	pmfs_statfs(sb, &s0);
	/* inodes run out */
	for (i = 0; i < 1000 && !r; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		r = t_mk(sb, name, S_IFREG | 0644, NULL, 0);
	}
	CHECK_EQ(r, -ENOSPC);
	nfiles = i - 1;
	CHECK_EQ(nfiles, (int)s0.ffree);
	CHECK_EQ(t_mk(sb, "dir", S_IFDIR | 0755, NULL, 0), -ENOSPC);
	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ(t_unlink(sb, name), 0);
	}
	/* the root keeps its (now empty) index blocks: new baseline */
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.ffree, s0.ffree);
	s0.bfree = s1.bfree;
	/* blocks run out: the write is short, then ENOSPC */
	CHECK_EQ(t_mk(sb, "big", S_IFREG | 0644, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "big", &f));
	do {
		w = pmfs_write(f, buf, 1 << 20, total);
		if (w > 0)
			total += (uint64_t)w;
	} while (w == 1 << 20);
	CHECK(total > 8 << 20);
	for (int k = 0; k < 1000 && w > 0; k++) {
		w = pmfs_write(f, buf, 4096, total);
		if (w > 0)
			total += (uint64_t)w;
	}
	CHECK_EQ(w, -ENOSPC);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, 0);
	/* a directory's first entry needs a block */
	CHECK_EQ(t_mk(sb, "dir", S_IFDIR | 0755, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "dir/x", S_IFREG | 0644, NULL, 0), -ENOSPC);
	CHECK_EQ(t_rmdir(sb, "dir"), 0);
	pmfs_iput(f);
	CHECK_EQ(t_unlink(sb, "big"), 0);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	/* the same through the fast path: 1 MiB GET_BLOCKs (at most 128
	 * blocks each) fill every block, then ENOSPC
	 */
	CHECK_EQ(t_mk(sb, "big", S_IFREG | 0644, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "big", &f));
	total = 0;
	do {
		static uint64_t offs[128];
		uint32_t nr = 0;
		unsigned rf;

		r = pmfs_get_blocks(f, total, 1 << 20, PMFS_GB_WRITE, offs,
				    128, &nr, &rf);
		total += (uint64_t)nr * 4096;
	} while (!r);
	CHECK_EQ(r, -ENOSPC);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, 0);
	pmfs_iput(f);
	CHECK_EQ(t_unlink(sb, "big"), 0);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree);
	CHECK_EQ(s1.ffree, s0.ffree);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	img_remove(&im);
	free(buf);
}
