/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - thin wrappers over kernel APIs that differ between the
 * supported kernels. Every #if here tests a HAVE_* result of a feature
 * probe (probe.sh -> zuf_config.h), never a kernel version number.
 */
#ifndef __ZUF_COMPAT_H__
#define __ZUF_COMPAT_H__

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/blkdev.h>
#include "zuf_config.h"

/* ~~~~ idmapped mounts: struct mnt_idmap (6.3+) or user_namespace ~~~~ */
#if defined(HAVE_MNT_IDMAP)
#include <linux/mnt_idmapping.h>
typedef struct mnt_idmap zuf_idmap_t;
#define ZUF_NOP_IDMAP (&nop_mnt_idmap)
#elif defined(HAVE_USERNS_IDMAP)
typedef struct user_namespace zuf_idmap_t;
#define ZUF_NOP_IDMAP (&init_user_ns)
#endif

/* ~~~~ vma flags: vm_flags_set() (6.3+) or direct assignment ~~~~ */
static inline void zuf_vm_flags_set(struct vm_area_struct *vma,
				    unsigned long flags)
{
#ifdef HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void zuf_vm_flags_clear(struct vm_area_struct *vma,
				      unsigned long flags)
{
#ifdef HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* ~~~~ inode times: accessors (6.7+) or the i_[amc]time fields ~~~~ */
static inline void zuf_inode_set_times(struct inode *inode,
				       struct timespec64 atime,
				       struct timespec64 mtime,
				       struct timespec64 ctime)
{
#ifdef HAVE_INODE_TIME_ACCESSORS
	inode_set_atime_to_ts(inode, atime);
	inode_set_mtime_to_ts(inode, mtime);
	inode_set_ctime_to_ts(inode, ctime);
#else
	inode->i_atime = atime;
	inode->i_mtime = mtime;
	inode->i_ctime = ctime;
#endif
}

static inline void zuf_inode_get_times(const struct inode *inode,
				       struct timespec64 *atime,
				       struct timespec64 *mtime,
				       struct timespec64 *ctime)
{
#ifdef HAVE_INODE_TIME_ACCESSORS
	*atime = inode_get_atime(inode);
	*mtime = inode_get_mtime(inode);
	*ctime = inode_get_ctime(inode);
#else
	*atime = inode->i_atime;
	*mtime = inode->i_mtime;
	*ctime = inode->i_ctime;
#endif
}

/* ~~~~ ->update_time: (inode, flags) since 6.6, (inode, time, flags) before ~~~~ */
int zuf_store_times(struct inode *inode, struct timespec64 now, int flags);
#if defined(HAVE_UPDATE_TIME_FLAGS)
static inline int zuf_update_time(struct inode *inode, int flags)
{
	return zuf_store_times(inode, current_time(inode), flags);
}
#elif defined(HAVE_UPDATE_TIME_TS)
static inline int zuf_update_time(struct inode *inode, struct timespec64 *t,
				  int flags)
{
	return zuf_store_times(inode, t ? *t : current_time(inode), flags);
}
#endif

/* ~~~~ generic_fillattr() gained a request mask in 6.6 ~~~~ */
static inline void zuf_generic_fillattr(zuf_idmap_t *idmap, u32 mask,
					struct inode *inode, struct kstat *st)
{
#ifdef HAVE_GENERIC_FILLATTR_MASK
	generic_fillattr(idmap, mask, inode, st);
#else
	generic_fillattr(idmap, inode, st);
#endif
}

/* ~~~~ exclusive block device open by path ~~~~ */
struct zuf_bdev {
	struct block_device *bdev;
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	struct file *file;
#endif
};

static inline int zuf_bdev_open(struct zuf_bdev *zb, const char *path,
				bool rdonly, void *holder)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	blk_mode_t mode = BLK_OPEN_READ | (rdonly ? 0 : BLK_OPEN_WRITE);
	struct file *f = bdev_file_open_by_path(path, mode, holder, NULL);

	if (IS_ERR(f))
		return PTR_ERR(f);
	zb->file = f;
	zb->bdev = file_bdev(f);
#else
	fmode_t mode = FMODE_READ | FMODE_EXCL | (rdonly ? 0 : FMODE_WRITE);
	struct block_device *bdev = blkdev_get_by_path(path, mode, holder);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	zb->bdev = bdev;
#endif
	return 0;
}

static inline void zuf_bdev_close(struct zuf_bdev *zb, bool rdonly)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	bdev_fput(zb->file);
	zb->file = NULL;
#else
	blkdev_put(zb->bdev, FMODE_READ | FMODE_EXCL | (rdonly ? 0 : FMODE_WRITE));
#endif
	zb->bdev = NULL;
}

/* ~~~~ inode operations of xattrs, ACLs and flags (xattr.c, fileattr.c):
 * ACLs through get_inode_acl and a dentry-based set_acl (6.2+) or
 * get_acl and an inode-based set_acl.
 */
#ifdef HAVE_GET_INODE_ACL
#define ZUF_ACL_IOPS \
	.get_inode_acl	= zuf_get_inode_acl, \
	.set_acl	= zuf_set_acl
#else
#define ZUF_ACL_IOPS \
	.get_acl	= zuf_get_acl, \
	.set_acl	= zuf_set_acl
#endif
#define ZUF_XATTR_IOPS \
	ZUF_ACL_IOPS, \
	.listxattr	= zuf_listxattr, \
	.fileattr_get	= zuf_fileattr_get, \
	.fileattr_set	= zuf_fileattr_set

/* ~~~~ MAP_SYNC: fop_flags (6.11+) or mmap_supported_flags ~~~~ */
#if defined(HAVE_FOP_MMAP_SYNC)
#define ZUF_FOPS_MAP_SYNC	.fop_flags = FOP_MMAP_SYNC
#elif defined(HAVE_MMAP_SUPPORTED_FLAGS)
#include <linux/mman.h>
#define ZUF_FOPS_MAP_SYNC	.mmap_supported_flags = MAP_SYNC
#endif

#endif /* __ZUF_COMPAT_H__ */
