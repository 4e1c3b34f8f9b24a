// SPDX-License-Identifier: GPL-2.0
/*
 * fileattr.c - inode flags: FS_IOC_GETFLAGS/SETFLAGS and
 * FS_IOC_FSGETXATTR/FSSETXATTR through the VFS fileattr operations.
 *
 * The server stores the FS_*_FL word (zufs_attr.flags, SETATTR with
 * ZUFS_ATTR_FLAGS); we mirror immutable, append-only, noatime, sync and
 * dirsync into i_flags, so the VFS enforces them. The VFS checks
 * ownership and CAP_LINUX_IMMUTABLE before fileattr_set.
 */
#include "zuf.h"

#include <linux/fileattr.h>

/* The flags a user can see and change on a ZUFS mount. */
#define ZUF_FL_USER	(FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NOATIME_FL | \
			 FS_NODUMP_FL | FS_SYNC_FL | FS_DIRSYNC_FL)

void zuf_set_inode_flags(struct inode *inode, u32 flags)
{
	unsigned int f = 0;

	ZUF_II(inode)->flags = flags;
	if (flags & FS_IMMUTABLE_FL)
		f |= S_IMMUTABLE;
	if (flags & FS_APPEND_FL)
		f |= S_APPEND;
	if (flags & FS_NOATIME_FL)
		f |= S_NOATIME;
	if (flags & FS_SYNC_FL)
		f |= S_SYNC;
	if (flags & FS_DIRSYNC_FL)
		f |= S_DIRSYNC;
	inode_set_flags(inode, f, S_IMMUTABLE | S_APPEND | S_NOATIME |
			S_SYNC | S_DIRSYNC);
}

int zuf_fileattr_get(struct dentry *dentry, struct fileattr *fa)
{
	fileattr_fill_flags(fa, ZUF_II(d_inode(dentry))->flags & ZUF_FL_USER);
	return 0;
}

int zuf_fileattr_set(zuf_idmap_t *idmap, struct dentry *dentry,
		     struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	struct zufs_attr attr;
	u32 flags = fa->flags;

	if (fileattr_has_fsx(fa))
		return -EOPNOTSUPP;	/* extsize, projid, other xflags */
	if (flags & ~ZUF_FL_USER)
		return -EOPNOTSUPP;
	if (!S_ISDIR(inode->i_mode))
		flags &= ~FS_DIRSYNC_FL;
	zuf_get_attr(inode, &attr);
	attr.flags = (ZUF_II(inode)->flags & ~ZUF_FL_USER) | flags;
	attr.ctime = zuf_now(inode);
	return zuf_setattr_fields(inode, &attr,
				  ZUFS_ATTR_FLAGS | ZUFS_ATTR_CTIME);
}
