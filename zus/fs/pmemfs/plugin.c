// SPDX-License-Identifier: BSD-3-Clause
/*
 * plugin.c - pmemfs as a libzus plugin: registers the "pmemfs" type and
 * maps the mount/umount/statfs/remount/show_options requests and the
 * inode operations onto the core library (pmfs.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <libpmem.h>
#include <zus/zus.h>
#include "pmfs.h"

struct pmemfs_sbi {
	struct zus_sb_info sbi;
	struct pmfs_sb *psb;
	void *base;
	uint64_t size;
	int fd;
	bool map_ro;		/* mounted -o ro: the device is mapped read-only */
	char dev[ZUFS_DEV_PATH_MAX];
};

struct pmemfs_ii {
	struct zus_inode_info zii;
	struct pmfs_ii *pii;
};

static const struct zus_inode_operations pmemfs_iops;

static struct pmemfs_sbi *SBI(struct zus_sb_info *sbi)
{
	return zus_container_of(sbi, struct pmemfs_sbi, sbi);
}

static struct pmfs_ii *PII(struct zus_inode_info *zii)
{
	return zus_container_of(zii, struct pmemfs_ii, zii)->pii;
}

static struct zus_inode_info *wrap(struct zus_sb_info *sbi, struct pmfs_ii *pii)
{
	struct pmemfs_ii *w = calloc(1, sizeof(*w));

	if (!w) {
		pmfs_iput(pii);
		return NULL;
	}
	w->pii = pii;
	w->zii.op = &pmemfs_iops;
	w->zii.sbi = sbi;
	w->zii.ino = pmfs_ino(pii);
	return &w->zii;
}

/* ~~~~ inode operations ~~~~ */
static void to_zt(struct zufs_time *z, const struct pmfs_time *p)
{
	z->sec = p->sec;
	z->nsec = p->nsec;
	z->reserved = 0;
}

static void to_pt(struct pmfs_time *p, const struct zufs_time *z)
{
	p->sec = z->sec;
	p->nsec = z->nsec;
	p->reserved = 0;
}

static int pm_getattr(struct zus_inode_info *zii, struct zufs_attr *z)
{
	struct pmfs_attr a;
	int err = pmfs_getattr(PII(zii), &a);

	if (err)
		return err;
	memset(z, 0, sizeof(*z));
	z->ino = a.ino;
	z->size = a.size;
	z->blocks = a.blocks;
	z->generation = a.generation;
	z->mode = a.mode;
	z->nlink = a.nlink;
	z->uid = a.uid;
	z->gid = a.gid;
	z->rdev = a.rdev;
	z->flags = a.flags;
	to_zt(&z->atime, &a.atime);
	to_zt(&z->mtime, &a.mtime);
	to_zt(&z->ctime, &a.ctime);
	to_zt(&z->btime, &a.btime);
	return 0;
}

static int pm_setattr(struct zus_inode_info *zii, const struct zufs_attr *z,
		      __u32 valid)
{
	struct pmfs_attr a = {
		.mode = z->mode, .uid = z->uid, .gid = z->gid,
		.size = z->size, .flags = z->flags,
	};

	to_pt(&a.atime, &z->atime);
	to_pt(&a.mtime, &z->mtime);
	to_pt(&a.ctime, &z->ctime);
	/* ZUS_ATTR_* and PMFS_ATTR_* have the same values */
	return pmfs_setattr(PII(zii), &a, valid);
}

static void pm_evict(struct zus_inode_info *zii)
{
	struct pmemfs_ii *w = zus_container_of(zii, struct pmemfs_ii, zii);

	pmfs_iput(w->pii);
	free(w);
}

/*
 * Every change is stamped with the kernel's clock (`now` of the request):
 * pmfs_set_now() makes the core use it in this thread for the call.
 */
static void now_set(struct pmfs_time *pt, const struct zufs_time *now)
{
	to_pt(pt, now);
	pmfs_set_now(pt);
}

static int pm_lookup(struct zus_inode_info *dir, const char *name, size_t len,
		     __u64 *ino)
{
	uint64_t i;
	int err = pmfs_lookup(PII(dir), name, len, &i);

	if (!err)
		*ino = i;
	return err;
}

static int pm_create(struct zus_inode_info *dir, const char *name, size_t len,
		     const struct zus_new_inode *ni, struct zus_inode_info **iip)
{
	struct pmfs_new n = { .mode = ni->mode, .uid = ni->uid,
			      .gid = ni->gid, .rdev = ni->rdev,
			      .symname = ni->symname };
	struct pmfs_xattr_in x[ZUFS_NI_XATTRS_MAX];
	struct pmfs_ii *pii;
	struct pmfs_time t;
	unsigned int i;
	int err;

	if (ni->nr_xattrs > ZUFS_NI_XATTRS_MAX)
		return -EINVAL;
	for (i = 0; i < ni->nr_xattrs; i++) {
		x[i].name = ni->xattrs[i].name;
		x[i].value = ni->xattrs[i].value;
		x[i].size = ni->xattrs[i].size;
	}
	n.xattrs = x;
	n.nr_xattrs = ni->nr_xattrs;
	now_set(&t, &ni->now);
	err = name ? pmfs_create(PII(dir), name, len, &n, &pii) :
		     pmfs_tmpfile(PII(dir), &n, &pii);
	pmfs_set_now(NULL);
	if (err)
		return err;
	*iip = wrap(dir->sbi, pii);
	return *iip ? 0 : -ENOMEM;
}

static int pm_link(struct zus_inode_info *dir, struct zus_inode_info *ii,
		   const char *name, size_t len, const struct zufs_time *now)
{
	struct pmfs_time t;
	int err;

	now_set(&t, now);
	err = pmfs_link(PII(ii), PII(dir), name, len);
	pmfs_set_now(NULL);
	return err;
}

static int pm_unlink(struct zus_inode_info *dir, struct zus_inode_info *ii,
		     const char *name, size_t len, __u32 flags,
		     const struct zufs_time *now)
{
	struct pmfs_time t;
	int err;

	(void)ii;	/* the kernel holds it, and so do we: no release now */
	now_set(&t, now);
	err = (flags & ZUFS_UNLINK_DIR) ? pmfs_rmdir(PII(dir), name, len) :
					  pmfs_unlink(PII(dir), name, len);
	pmfs_set_now(NULL);
	return err;
}

static int pm_rename(struct zus_inode_info *od, const char *on, size_t ol,
		     struct zus_inode_info *nd, const char *nn, size_t nl,
		     __u32 flags, const struct zufs_time *now)
{
	struct pmfs_time t;
	int err;

	/* ZUFS_RENAME_* and PMFS_RENAME_* have the same values */
	now_set(&t, now);
	err = pmfs_rename(PII(od), on, ol, PII(nd), nn, nl, flags);
	pmfs_set_now(NULL);
	return err;
}

struct rd_adapt {
	zus_filldir_t fill;
	void *ctx;
};

static int rd_fill(void *ctx, const char *name, size_t len, uint64_t ino,
		   unsigned type, uint64_t next)
{
	struct rd_adapt *a = ctx;

	return a->fill(a->ctx, name, len, ino, type, next);
}

static int pm_readdir(struct zus_inode_info *dir, __u64 pos,
		      zus_filldir_t filldir, void *ctx)
{
	struct rd_adapt a = { filldir, ctx };

	return pmfs_readdir(PII(dir), pos, rd_fill, &a);
}

static int pm_get_link(struct zus_inode_info *ii, char *buf, size_t size)
{
	return (int)pmfs_readlink(PII(ii), buf, size);
}

static ssize_t pm_read(struct zus_inode_info *ii, void *buf, size_t len,
		       __u64 off)
{
	return pmfs_read(PII(ii), buf, len, off);
}

static ssize_t pm_write(struct zus_inode_info *ii, const void *buf,
			size_t len, __u64 off, const struct zufs_time *now)
{
	struct pmfs_time t;
	ssize_t n;

	now_set(&t, now);
	n = pmfs_write(PII(ii), buf, len, off);
	pmfs_set_now(NULL);
	return n;
}

static int pm_get_block(struct zus_inode_info *ii, struct zus_get_block *gb)
{
	uint64_t offs[ZUFS_GB_MAX];
	struct pmfs_time t;
	unsigned ret = 0;
	int err;

	_Static_assert(PMFS_GB_WRITE == ZUFS_GB_WRITE &&
		       PMFS_GB_MMAP == ZUFS_GB_MMAP &&
		       PMFS_GB_NEW == ZUFS_GB_NEW, "GET_BLOCK flags");
	if (gb->now)
		now_set(&t, gb->now);
	err = pmfs_get_blocks(PII(ii), gb->offset, gb->len, gb->flags, offs,
			      gb->max < ZUFS_GB_MAX ? gb->max : ZUFS_GB_MAX,
			      &gb->nr, &ret);
	pmfs_set_now(NULL);
	for (__u32 i = 0; !err && i < gb->nr; i++)
		gb->bns[i] = offs[i];
	/* Blocks move only in operations the kernel sends for the file
	 * (data.c, pmfs_get_blocks): the kernel may keep them (ABI 1.4).
	 */
	gb->ret_flags = (ret & PMFS_GB_NEW) | ZUFS_GB_CACHE |
			((ret & PMFS_GB_SHARED) ? ZUFS_GB_CACHE_RO : 0);
	return err;
}

static int pm_fsync(struct zus_inode_info *ii, __u64 start, __u64 end,
		    int datasync)
{
	(void)start;
	(void)end;
	(void)datasync;
	/* Metadata is durable when each operation returns and the kernel
	 * stores data with non-temporal stores; an image file that is not
	 * real pmem is written back (msync) here.
	 */
	return pmfs_sync(pmfs_ii_sb(PII(ii)));
}

static int pm_fallocate(struct zus_inode_info *ii, int mode, __u64 offset,
			__u64 len, const struct zufs_time *now)
{
	struct pmfs_time t;
	int err;

	now_set(&t, now);
	err = pmfs_fallocate(PII(ii), mode, offset, len);
	pmfs_set_now(NULL);
	return err;
}

static __s64 pm_llseek(struct zus_inode_info *ii, __s64 offset, int whence)
{
	if (offset < 0 || (whence != ZUFS_SEEK_DATA && whence != ZUFS_SEEK_HOLE))
		return -EINVAL;
	return pmfs_seek(PII(ii), (uint64_t)offset, whence == ZUFS_SEEK_DATA);
}

static int pm_fiemap(struct zus_inode_info *ii, __u64 offset, __u64 len,
		     struct zufs_fiemap_extent *ext, __u32 max, __u32 *count)
{
	struct pmfs_extent e[ZUFS_FIEMAP_MAX];
	uint32_t n = 0;
	int err;

	if (max > ZUFS_FIEMAP_MAX)
		max = ZUFS_FIEMAP_MAX;
	err = pmfs_fiemap(PII(ii), offset, len, e, max, &n);
	if (err)
		return err;
	for (uint32_t i = 0; i < n; i++) {
		memset(&ext[i], 0, sizeof(ext[i]));
		ext[i].logical = e[i].logical;
		ext[i].physical = e[i].physical;
		ext[i].length = e[i].length;
		ext[i].flags = (e[i].flags & PMFS_EXTENT_LAST) ? ZUFS_FE_LAST : 0;
		if (e[i].flags & PMFS_EXTENT_SHARED)
			ext[i].flags |= ZUFS_FE_SHARED;
	}
	*count = n;
	return 0;
}

/* ~~~~ extended attributes (xattr.c of the core) ~~~~ */
static ssize_t pm_getxattr(struct zus_inode_info *ii, const char *name,
			   void *buf, size_t size)
{
	return pmfs_getxattr(PII(ii), name, buf, size);
}

static int pm_setxattr(struct zus_inode_info *ii, const char *name,
		       const void *val, size_t size, __u32 flags,
		       const struct zufs_time *now)
{
	struct pmfs_time t;
	int err;

	now_set(&t, now);
	err = pmfs_setxattr(PII(ii), name, val, size, flags);
	pmfs_set_now(NULL);
	return err;
}

static ssize_t pm_listxattr(struct zus_inode_info *ii, char *buf, size_t size)
{
	return pmfs_listxattr(PII(ii), buf, size);
}

static ssize_t pm_copy_range(struct zus_inode_info *src, __u64 src_off,
			     struct zus_inode_info *dst, __u64 dst_off,
			     __u64 len, const struct zufs_time *now)
{
	struct pmfs_time t;
	ssize_t n;

	now_set(&t, now);
	n = pmfs_copy_range(PII(src), src_off, PII(dst), dst_off, len);
	pmfs_set_now(NULL);
	return n;
}

static int pm_remap(struct zus_inode_info *src, __u64 src_off,
		    struct zus_inode_info *dst, __u64 dst_off, __u64 len,
		    int dedupe, int *same, const struct zufs_time *now)
{
	struct pmfs_time t;
	int err;

	now_set(&t, now);
	err = pmfs_remap(PII(src), src_off, PII(dst), dst_off, len,
			 dedupe != 0, same);
	pmfs_set_now(NULL);
	return err;
}

static const struct zus_inode_operations pmemfs_iops = {
	.getattr	= pm_getattr,
	.setattr	= pm_setattr,
	.evict		= pm_evict,
	.lookup		= pm_lookup,
	.create		= pm_create,
	.link		= pm_link,
	.unlink		= pm_unlink,
	.rename		= pm_rename,
	.readdir	= pm_readdir,
	.get_link	= pm_get_link,
	.read		= pm_read,
	.write		= pm_write,
	.get_block	= pm_get_block,
	.fsync		= pm_fsync,
	.fallocate	= pm_fallocate,
	.llseek		= pm_llseek,
	.fiemap		= pm_fiemap,
	.copy_range	= pm_copy_range,
	.remap		= pm_remap,
	.getxattr	= pm_getxattr,
	.setxattr	= pm_setxattr,
	.listxattr	= pm_listxattr,
};

/* ~~~~ superblock operations ~~~~ */
static int pm_statfs(struct zus_sb_info *sbi, struct zufs_statfs *st)
{
	struct pmfs_statfs s;
	int err = pmfs_statfs(SBI(sbi)->psb, &s);

	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->blocks = s.blocks;
	st->bfree = s.bfree;
	st->bavail = s.bavail;
	st->files = s.files;
	st->ffree = s.ffree;
	st->fsid = s.fsid;
	st->bsize = s.bsize;
	st->frsize = s.bsize;
	st->namelen = s.namelen;
	return 0;
}

/* pmemfs has no mount options yet: refuse anything but an empty list */
static int check_options(const char *opts)
{
	if (opts && *opts) {
		zus_err("pmemfs: unknown mount option(s) '%s'", opts);
		return -EINVAL;
	}
	return 0;
}

static int pm_remount(struct zus_sb_info *sbi, const struct zus_mount_args *a)
{
	struct pmemfs_sbi *s = SBI(sbi);
	int err = check_options(a->options);

	if (err)
		return err;
	if (s->map_ro && !(a->sb_flags & ZUFS_M_RDONLY)) {
		/* read-only mounts map the device read-only: make it
		 * writable (zuf.ko refuses for a read-only device)
		 */
		if (mprotect(s->base, s->size, PROT_READ | PROT_WRITE)) {
			zus_err("pmemfs: %s: cannot remount read-write: %s",
				s->dev, errno == EACCES ?
				"the device is read-only" : strerror(errno));
			return -EROFS;
		}
		s->map_ro = false;
	}
	return pmfs_remount(s->psb, !!(a->sb_flags & ZUFS_M_RDONLY));
}

static int pm_show_options(struct zus_sb_info *sbi, char *buf, size_t size)
{
	(void)sbi;
	if (size)
		buf[0] = 0;
	return 0;
}

static int pm_iget(struct zus_sb_info *sbi, __u64 ino,
		   struct zus_inode_info **iip)
{
	struct pmfs_ii *pii;
	int err = pmfs_iget_any(SBI(sbi)->psb, ino, &pii);

	if (err)
		return err;
	*iip = wrap(sbi, pii);
	return *iip ? 0 : -ENOMEM;
}

static int pm_sync_fs(struct zus_sb_info *sbi, int wait)
{
	(void)wait;
	return pmfs_sync(SBI(sbi)->psb);
}

static const struct zus_sbi_operations pmemfs_sops = {
	.statfs		= pm_statfs,
	.remount	= pm_remount,
	.show_options	= pm_show_options,
	.iget		= pm_iget,
	.sync_fs	= pm_sync_fs,
};

/* ~~~~ mount ~~~~ */
static struct zus_sb_info *pm_sbi_alloc(const struct zus_fs_info *zfi)
{
	struct pmemfs_sbi *s = calloc(1, sizeof(*s));

	(void)zfi;
	if (!s)
		return NULL;
	s->fd = -1;
	return &s->sbi;
}

static void release_dev(struct pmemfs_sbi *s)
{
	if (s->base)
		munmap(s->base, s->size);
	if (s->fd >= 0)
		close(s->fd);
	s->base = NULL;
	s->fd = -1;
}

static void pm_sbi_free(struct zus_sb_info *sbi)
{
	struct pmemfs_sbi *s = SBI(sbi);

	release_dev(s);
	free(s);
}

static int grab_pmem(struct pmemfs_sbi *s, const struct zus_mount_args *a,
		     bool rdonly)
{
	struct zufs_ioc_pmem gp;
	void *p;

	s->fd = open(ZUFS_ROOT_PATH, O_TMPFILE | O_RDWR, 0600);
	if (s->fd < 0) {
		zus_err("pmemfs: open %s: %s", ZUFS_ROOT_PATH, strerror(errno));
		return -errno;
	}
	memset(&gp, 0, sizeof(gp));
	gp.pmem_id = a->pmem_id;
	if (ioctl(s->fd, ZU_IOC_GRAB_PMEM, &gp) < 0) {
		int e = errno;

		zus_err("pmemfs: %s: grabbing pmem %u failed: %s", a->dev_path,
			a->pmem_id, strerror(e));
		return -e;
	}
	p = mmap(NULL, gp.size, PROT_READ | (rdonly ? 0 : PROT_WRITE),
		 MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		zus_err("pmemfs: %s: mmap of %llu bytes failed: %s",
			a->dev_path, (unsigned long long)gp.size, strerror(e));
		return -e;
	}
	s->base = p;
	s->size = gp.size;
	s->map_ro = rdonly;
	return 0;
}

/* A read-only mount cannot replay the journal: only a clean filesystem. */
static int check_clean(struct pmemfs_sbi *s, const struct zus_mount_args *a)
{
	const struct pmfs_sb_dyn *dyn;

	if (s->size < 2 * PMFS_BLOCK_SIZE || !pmfs_probe(s->base, s->size))
		return 0;	/* pmfs_mount says what is wrong */
	dyn = (const void *)((const char *)s->base +
			     PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE);
	if (dyn->state == PMFS_STATE_CLEAN)
		return 0;
	if (!(a->sb_flags & ZUFS_M_SILENT))
		zus_err("pmemfs: %s was not cleanly unmounted: mount it read-write once (or run fsck.pmemfs -y) before mounting it read-only",
			a->dev_path);
	return -EROFS;
}

static int pm_sbi_init(struct zus_sb_info *sbi, const struct zus_mount_args *a)
{
	struct pmemfs_sbi *s = SBI(sbi);
	bool rdonly = a->sb_flags & ZUFS_M_RDONLY;
	struct pmfs_ii *root;
	char err[256];
	int r;

	r = check_options(a->options);
	if (r)
		return r;
	if (!a->pmem_id || !a->pmem_size) {
		zus_err("pmemfs: a pmem device is required");
		return -ENODEV;
	}
	snprintf(s->dev, sizeof(s->dev), "%s", a->dev_path);
	r = grab_pmem(s, a, rdonly);
	if (!r && rdonly)
		r = check_clean(s, a);
	if (r)
		goto fail;
	/* zuf.ko mapped the device's DAX pages: cache flushes persist them
	 * (libpmem cannot tell from a mapping of a zuf-root file)
	 */
	r = pmfs_mount(s->base, s->size, 1, rdonly ? PMFS_MOUNT_RDONLY |
		       PMFS_MOUNT_NORECOVERY : 0, &s->psb, err,
		       sizeof(err));
	if (r) {
		if (!(a->sb_flags & ZUFS_M_SILENT))
			zus_err("pmemfs: %s: %s", a->dev_path, err);
		goto fail;
	}
	r = pmfs_iget(s->psb, PMFS_ROOT_INO, &root);
	if (!r) {
		sbi->z_root = wrap(sbi, root);
		if (!sbi->z_root)
			r = -ENOMEM;
	}
	if (r) {
		pmfs_unmount(s->psb);
		s->psb = NULL;
		goto fail;
	}
	sbi->op = &pmemfs_sops;
	sbi->s_blocksize_bits = PMFS_BLOCK_SHIFT;
	sbi->s_time_gran = 1;
	sbi->s_maxbytes = PMFS_MAX_FILE_SIZE;
	sbi->s_max_links = PMFS_LINK_MAX;
	return 0;
fail:
	release_dev(s);
	return r;
}

static int pm_sbi_fini(struct zus_sb_info *sbi)
{
	struct pmemfs_sbi *s = SBI(sbi);

	if (sbi->z_root) {
		pm_evict(sbi->z_root);
		sbi->z_root = NULL;
	}
	if (s->psb) {
		pmfs_sync(s->psb);
		pmfs_unmount(s->psb);
		s->psb = NULL;
	}
	release_dev(s);
	return 0;
}

static const struct zus_zfi_operations pmemfs_zfi_ops = {
	.sbi_alloc	= pm_sbi_alloc,
	.sbi_free	= pm_sbi_free,
	.sbi_init	= pm_sbi_init,
	.sbi_fini	= pm_sbi_fini,
};

static const struct zus_fs_info pmemfs_fs = {
	.name		= "pmemfs",
	.magic		= PMFS_FS_MAGIC,
	.version	= (PMFS_VERSION_MAJOR << 16) | PMFS_VERSION_MINOR,
	.fs_caps	= ZUFS_FSC_REQUIRES_DEV | ZUFS_FSC_NO_ECHO |
			  ZUFS_FSC_NI_XATTR,
	.op		= &pmemfs_zfi_ops,
};

static int pmemfs_init(struct zus_plugin_ctx *ctx)
{
	return zus_register_fs(ctx, &pmemfs_fs);
}

ZUS_PLUGIN_INIT(pmemfs_init)
