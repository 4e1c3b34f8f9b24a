// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_xattr.c - extended attributes of the core: get/set/list semantics
 * and errors, the one-block limit (ENOSPC), st_blocks and statfs, the
 * block freed with its inode, persistence, fsck clean, and a damaged
 * xattr block found (and dropped) by fsck.
 */
#include "tlib.h"

#define XC	1U	/* create */
#define XR	2U	/* replace */
#define XD	4U	/* remove */

static void list_has(struct pmfs_ii *f, const char *want, size_t wlen)
{
	char buf[4096];
	ssize_t n = pmfs_listxattr(f, NULL, 0);

	CHECK_EQ(n, (ssize_t)wlen);
	CHECK_EQ(pmfs_listxattr(f, buf, sizeof(buf)), (ssize_t)wlen);
	CHECK(!memcmp(buf, want, wlen));
	if (wlen)
		CHECK_EQ(pmfs_listxattr(f, buf, wlen - 1), -ERANGE);
}

/* Create path (a file, or a directory with dir) with the xattrs x[0..nr). */
static int mkx(struct pmfs_sb *sb, const char *path, bool dir,
	       const struct pmfs_xattr_in *x, unsigned int nr)
{
	return t_mkx(sb, path, dir ? S_IFDIR | 0755 : S_IFREG | 0644, x, nr);
}

/* The first xattrs of a new inode, made with it (struct pmfs_new). */
static void t_xattr_create(struct pmfs_sb *sb)
{
	static char acl[2500];
	const struct pmfs_xattr_in x[] = {
		{ "system.posix_acl_default", acl, sizeof(acl) },
		{ "security.selinux", "ctx", 3 },
		{ "system.posix_acl_access", acl, sizeof(acl) },
	};
	struct pmfs_statfs s0, s1;
	struct pmfs_attr a;
	struct pmfs_ii *f;
	char v[sizeof(acl)];

	memset(acl, 'a', sizeof(acl));
	pmfs_statfs(sb, &s0);
	CHECK_EQ(mkx(sb, "xf", false, x + 1, 2), 0);
	REQUIRE(!t_walk(sb, "xf", &f));
	CHECK_EQ(pmfs_getxattr(f, "security.selinux", v, sizeof(v)), 3);
	CHECK(!memcmp(v, "ctx", 3));
	CHECK_EQ(pmfs_getxattr(f, "system.posix_acl_access", v, sizeof(v)),
		 (ssize_t)sizeof(acl));
	CHECK(!memcmp(v, acl, sizeof(acl)));
	pmfs_getattr(f, &a);
	CHECK_EQ(a.blocks, 8);		/* the xattr block */
	pmfs_iput(f);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree + 1, s0.bfree);
	CHECK_EQ(s1.ffree + 1, s0.ffree);
	/* all three do not fit one block: no inode, no name, no block */
	CHECK_EQ(mkx(sb, "xd", true, x, 3), -ENOSPC);
	CHECK_EQ(t_walk(sb, "xd", &f), -ENOENT);
	pmfs_statfs(sb, &s0);
	CHECK_EQ(s0.bfree, s1.bfree);
	CHECK_EQ(s0.ffree, s1.ffree);
	/* the same name twice, a name too long */
	CHECK_EQ(mkx(sb, "xd", true, (const struct pmfs_xattr_in[]){
		{ "security.a", "1", 1 }, { "security.a", "2", 1 } }, 2),
		 -EEXIST);
	CHECK_EQ(t_walk(sb, "xd", &f), -ENOENT);
	CHECK_EQ(mkx(sb, "xd", true, x, 2), 0);
	REQUIRE(!t_walk(sb, "xd", &f));
	CHECK_EQ(pmfs_listxattr(f, v, sizeof(v)),
		 (ssize_t)sizeof("system.posix_acl_default\0security.selinux"));
	pmfs_iput(f);
	CHECK_EQ(t_unlink(sb, "xf"), 0);
	CHECK_EQ(t_rmdir(sb, "xd"), 0);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree, s0.bfree + 1);
}

void t_xattr(void)
{
	struct pmfs_statfs s0, s1, start;
	struct pmfs_attr a;
	struct pmfs_sb *sb;
	struct pmfs_ii *f, *d;
	struct pmfs_inode *pi;
	char big[4096], v[64], name[300];
	struct img im;
	ssize_t n;
	int i, err;

	memset(big, 'x', sizeof(big));
	REQUIRE(!img_new(&im, "xattr", 16 << 20, 0));
	REQUIRE((sb = t_mount(&im)));
	CHECK(pmfs_super(sb)->feature_ro_compat & PMFS_FEATURE_RO_COMPAT_XATTR);
	CHECK_EQ(t_mk(sb, "f", S_IFREG | 0644, NULL, 0), 0);
	CHECK_EQ(t_mk(sb, "d", S_IFDIR | 0755, NULL, 0), 0);
	pmfs_statfs(sb, &start);
	REQUIRE(!t_walk(sb, "f", &f));
	REQUIRE(!t_walk(sb, "d", &d));

	/* nothing yet */
	CHECK_EQ(pmfs_getxattr(f, "user.a", v, sizeof(v)), -ENODATA);
	list_has(f, "", 0);
	CHECK_EQ(pmfs_setxattr(f, "user.a", NULL, 0, XD), -ENODATA);
	CHECK_EQ(pmfs_setxattr(f, "user.a", "1", 1, XR), -ENODATA);
	pmfs_getattr(f, &a);
	CHECK_EQ(a.blocks, 0);

	/* set, get, sizes, flags */
	CHECK_EQ(pmfs_setxattr(f, "user.a", "hello", 5, XC), 0);
	CHECK_EQ(pmfs_setxattr(f, "user.a", "x", 1, XC), -EEXIST);
	CHECK_EQ(pmfs_getxattr(f, "user.a", NULL, 0), 5);
	CHECK_EQ(pmfs_getxattr(f, "user.a", v, 4), -ERANGE);
	CHECK_EQ(pmfs_getxattr(f, "user.a", v, sizeof(v)), 5);
	CHECK(!memcmp(v, "hello", 5));
	pmfs_getattr(f, &a);
	CHECK_EQ(a.blocks, 8);		/* the xattr block, 512-byte units */
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree + 1, start.bfree);
	CHECK_EQ(pmfs_setxattr(f, "user.empty", "", 0, 0), 0);
	CHECK_EQ(pmfs_getxattr(f, "user.empty", v, sizeof(v)), 0);
	CHECK_EQ(pmfs_setxattr(f, "trusted.t", "T", 1, 0), 0);
	CHECK_EQ(pmfs_setxattr(f, "user.a", "bye", 3, XR), 0);
	CHECK_EQ(pmfs_getxattr(f, "user.a", v, sizeof(v)), 3);
	CHECK(!memcmp(v, "bye", 3));
	list_has(f, "user.empty\0trusted.t\0user.a\0", 28);
	pmfs_statfs(sb, &s1);
	CHECK_EQ(s1.bfree + 1, start.bfree);	/* still one block */

	/* names */
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = 0;
	CHECK_EQ(pmfs_setxattr(f, name, "1", 1, 0), 0);
	CHECK_EQ(pmfs_getxattr(f, name, v, sizeof(v)), 1);
	CHECK_EQ(pmfs_setxattr(f, name, NULL, 0, XD), 0);
	name[255] = 'n';
	name[256] = 0;
	CHECK_EQ(pmfs_setxattr(f, name, "1", 1, 0), -ERANGE);

	/* the block is full: ENOSPC, nothing changed */
	CHECK_EQ(pmfs_setxattr(d, "user.big", big, sizeof(big), 0), -ENOSPC);
	CHECK_EQ(pmfs_setxattr(d, "user.big", big, 4000, 0), 0);
	CHECK_EQ(pmfs_setxattr(d, "user.more", big, 100, 0), -ENOSPC);
	CHECK_EQ(pmfs_getxattr(d, "user.more", v, sizeof(v)), -ENODATA);
	CHECK_EQ(pmfs_getxattr(d, "user.big", NULL, 0), 4000);
	for (i = 0, err = 0; i < 200 && !err; i++) {
		snprintf(v, sizeof(v), "user.k%d", i);
		err = pmfs_setxattr(f, v, big, 20, 0);
	}
	CHECK_EQ(err, -ENOSPC);
	CHECK(i > 50);
	/* remove all of d's: the block goes */
	CHECK_EQ(pmfs_setxattr(d, "user.big", NULL, 0, XD), 0);
	pmfs_getattr(d, &a);
	CHECK_EQ(a.blocks, 0);
	CHECK_EQ(pmfs_listxattr(d, NULL, 0), 0);
	pmfs_iput(d);

	t_xattr_create(sb);

	/* persistence and fsck */
	pmfs_iput(f);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	REQUIRE((sb = t_mount(&im)));
	REQUIRE(!t_walk(sb, "f", &f));
	CHECK_EQ(pmfs_getxattr(f, "user.a", v, sizeof(v)), 3);
	CHECK(!memcmp(v, "bye", 3));
	CHECK_EQ(pmfs_getxattr(f, "trusted.t", v, sizeof(v)), 1);

	/* unlink frees the block */
	pmfs_iput(f);
	CHECK_EQ(t_unlink(sb, "f"), 0);
	pmfs_statfs(sb, &s0);
	CHECK_EQ(s0.bfree, start.bfree);
	pmfs_unmount(sb);
	CHECK_EQ(t_fsck(&im, false, true), 0);

	/* a damaged xattr block: fsck finds it, -y drops it, clean after */
	REQUIRE((sb = t_mount(&im)));
	CHECK_EQ(t_mk(sb, "g", S_IFREG | 0644, NULL, 0), 0);
	REQUIRE(!t_walk(sb, "g", &f));
	CHECK_EQ(pmfs_setxattr(f, "user.z", "zz", 2, 0), 0);
	n = (ssize_t)pmfs_ino(f);
	pmfs_iput(f);
	pmfs_unmount(sb);
	pi = (struct pmfs_inode *)((char *)im.base +
		((struct pmfs_super *)im.base)->itable_off) + n;
	REQUIRE(pi->xattr);
	((char *)im.base)[pi->xattr + PMFS_XBLOCK_HDR + 5] ^= 0x40;
	CHECK(t_fsck(&im, false, false) > 0);
	CHECK(t_fsck(&im, true, false) > 0);
	CHECK_EQ(t_fsck(&im, false, true), 0);
	REQUIRE((sb = t_mount(&im)));
	REQUIRE(!t_walk(sb, "g", &f));
	CHECK_EQ(pmfs_getxattr(f, "user.z", v, sizeof(v)), -ENODATA);
	pmfs_getattr(f, &a);
	CHECK_EQ(a.blocks, 0);
	pmfs_iput(f);
	pmfs_unmount(sb);
	img_remove(&im);
}
