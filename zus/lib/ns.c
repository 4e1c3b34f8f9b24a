// SPDX-License-Identifier: BSD-3-Clause
/*
 * ns.c - namespace (ABI 1.1) and data (1.2) operations: the kernel's
 * requests turned into calls of the plugin's inode operations.
 *
 * Handles. The kernel names an inode by a handle that must stay valid for
 * as long as the inode exists, across evictions (an EVICT_INODE of an
 * earlier instance may still be on its way while the kernel already holds
 * a new one). So a handle is not a pointer but (mount id << 48 | ino):
 * the mount id (1..65535) picks the superblock, the inode number the
 * inode.
 *
 * The inode table. Per superblock, a hash of the zus_inode_info the kernel
 * holds, each with a reference count: one for the table, one per
 * operation using it. An operation on an inode not in the table gets it
 * from the plugin's iget; EVICT_INODE takes it out of the table, and the
 * last reference calls the plugin's evict. So DRAM follows the kernel's
 * inode cache. One exception: an eviction without ZUFS_EVICT_DELETE of an
 * inode whose link count is now 0 is of an earlier instance (the one the
 * kernel holds now has link count 0 and will be evicted with DELETE): the
 * inode stays until then, or the plugin would free an open file.
 * The root inode is sbi->z_root, never in the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ns.h"

#define NS_ID_SHIFT	48
#define NS_ID_MAX	0xffffU
#define NS_BUCKETS_MIN	256U
#define NS_SYMLINK_MAX	4095U

struct ns_sb {
	struct zus_sb_info *sbi;
	unsigned int id;
	pthread_mutex_t lock;
	struct zus_inode_info **buckets;	/* chained by II_NEXT */
	size_t nbuckets;			/* a power of 2 */
	size_t count;
};

/* The mounted superblocks, by mount id. */
static pthread_rwlock_t ns_ids_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct ns_sb **ns_ids;
static unsigned int ns_nids;		/* slots allocated in ns_ids */

/* zus_inode_info._libzus: [0] next in the hash chain, [1] references. */
#define II_NEXT(ii)	(*(struct zus_inode_info **)&(ii)->_libzus[0])

static uintptr_t ii_refs(const struct zus_inode_info *ii)
{
	return (uintptr_t)ii->_libzus[1];
}

static void ii_set_refs(struct zus_inode_info *ii, uintptr_t n)
{
	ii->_libzus[1] = (void *)n;
}

static __u64 ns_handle(const struct ns_sb *nsb, __u64 ino)
{
	return ((__u64)nsb->id << NS_ID_SHIFT) | ino;
}

static __u64 handle_ino(__u64 h)
{
	return h & ZUS_INO_MAX;
}

/* ~~~~ mount and umount ~~~~ */

static int ns_id_alloc(struct ns_sb *nsb)
{
	unsigned int id, n;

	pthread_rwlock_wrlock(&ns_ids_lock);
	for (id = 1; id < ns_nids; id++)
		if (!ns_ids[id])
			break;
	if (id >= ns_nids) {
		struct ns_sb **t;

		n = ns_nids ? ns_nids * 2 : 16;
		if (n > NS_ID_MAX + 1)
			n = NS_ID_MAX + 1;
		if (id >= n) {
			pthread_rwlock_unlock(&ns_ids_lock);
			zus_err("too many mounts (%u)", NS_ID_MAX);
			return -EMFILE;
		}
		t = realloc(ns_ids, n * sizeof(*t));
		if (!t) {
			pthread_rwlock_unlock(&ns_ids_lock);
			return -ENOMEM;
		}
		memset(t + ns_nids, 0, (n - ns_nids) * sizeof(*t));
		ns_ids = t;
		ns_nids = n;
	}
	ns_ids[id] = nsb;
	nsb->id = id;
	pthread_rwlock_unlock(&ns_ids_lock);
	return 0;
}

int zus_ns_mount(struct zus_sb_info *sbi, struct zufs_mount_info *zmi)
{
	struct ns_sb *nsb = calloc(1, sizeof(*nsb));
	__u64 root_ino = sbi->z_root->ino;
	int err;

	if (!root_ino || root_ino > ZUS_INO_MAX) {
		zus_err("%s: root inode number %llu out of range",
			sbi->zfi->name, (unsigned long long)root_ino);
		free(nsb);
		return -EINVAL;
	}
	if (!nsb)
		return -ENOMEM;
	nsb->sbi = sbi;
	nsb->nbuckets = NS_BUCKETS_MIN;
	nsb->buckets = calloc(nsb->nbuckets, sizeof(*nsb->buckets));
	if (!nsb->buckets) {
		free(nsb);
		return -ENOMEM;
	}
	pthread_mutex_init(&nsb->lock, NULL);
	err = ns_id_alloc(nsb);
	if (err) {
		pthread_mutex_destroy(&nsb->lock);
		free(nsb->buckets);
		free(nsb);
		return err;
	}
	zmi->zus_ii = ns_handle(nsb, root_ino);
	zmi->s_max_links = sbi->s_max_links;
	return 0;
}

void zus_ns_umount(struct zus_sb_info *sbi)
{
	struct ns_sb *nsb = NULL;
	unsigned int id;
	size_t b, n = 0;

	pthread_rwlock_wrlock(&ns_ids_lock);
	for (id = 1; id < ns_nids; id++) {
		if (ns_ids[id] && ns_ids[id]->sbi == sbi) {
			nsb = ns_ids[id];
			ns_ids[id] = NULL;
			break;
		}
	}
	pthread_rwlock_unlock(&ns_ids_lock);
	if (!nsb)
		return;
	/* The kernel sent every eviction before UMOUNT; whatever is left
	 * (a server shutting down with the mount still there) goes now.
	 */
	for (b = 0; b < nsb->nbuckets; b++) {
		while (nsb->buckets[b]) {
			struct zus_inode_info *ii = nsb->buckets[b];

			nsb->buckets[b] = II_NEXT(ii);
			ii->op->evict(ii);
			n++;
		}
	}
	if (n)
		zus_dbg("%s: released %zu inodes at umount", sbi->zfi->name,
			n);
	pthread_mutex_destroy(&nsb->lock);
	free(nsb->buckets);
	free(nsb);
}

static struct ns_sb *ns_sb_of(__u64 h)
{
	unsigned int id = (unsigned int)(h >> NS_ID_SHIFT);
	struct ns_sb *nsb = NULL;

	pthread_rwlock_rdlock(&ns_ids_lock);
	if (id && id < ns_nids)
		nsb = ns_ids[id];
	pthread_rwlock_unlock(&ns_ids_lock);
	if (!nsb)
		zus_warn("operation on an unknown inode handle 0x%llx",
			 (unsigned long long)h);
	return nsb;
}

/* ~~~~ the inode table ~~~~ */

static size_t ns_bucket(const struct ns_sb *nsb, __u64 ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 32) &
	       (nsb->nbuckets - 1);
}

static struct zus_inode_info *ns_find(struct ns_sb *nsb, __u64 ino)
{
	struct zus_inode_info *ii;

	for (ii = nsb->buckets[ns_bucket(nsb, ino)]; ii; ii = II_NEXT(ii))
		if (ii->ino == ino)
			return ii;
	return NULL;
}

/* Double the buckets when chains get long (lock held; best effort). */
static void ns_grow(struct ns_sb *nsb)
{
	size_t n = nsb->nbuckets * 2, b;
	struct zus_inode_info **old = nsb->buckets, **nb;

	if (nsb->count <= nsb->nbuckets * 2)
		return;
	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	nsb->buckets = nb;
	nsb->nbuckets = n;
	for (b = 0; b < n / 2; b++) {
		while (old[b]) {
			struct zus_inode_info *ii = old[b];
			size_t k = ns_bucket(nsb, ii->ino);

			old[b] = II_NEXT(ii);
			II_NEXT(ii) = nb[k];
			nb[k] = ii;
		}
	}
	free(old);
}

/* Lock held: ii enters the table with the table's and a caller's ref. */
static void ns_insert(struct ns_sb *nsb, struct zus_inode_info *ii)
{
	size_t k = ns_bucket(nsb, ii->ino);

	ii_set_refs(ii, 2);
	II_NEXT(ii) = nsb->buckets[k];
	nsb->buckets[k] = ii;
	nsb->count++;
	ns_grow(nsb);
}

/* Lock held. */
static void ns_remove(struct ns_sb *nsb, struct zus_inode_info *ii)
{
	struct zus_inode_info **p = &nsb->buckets[ns_bucket(nsb, ii->ino)];

	for (; *p; p = &II_NEXT(*p)) {
		if (*p == ii) {
			*p = II_NEXT(ii);
			II_NEXT(ii) = NULL;
			nsb->count--;
			return;
		}
	}
}

static bool ns_valid_ii(const struct zus_sb_info *sbi,
			const struct zus_inode_info *ii, __u64 ino)
{
	if (ii && ii->op && ii->op->getattr && ii->op->evict &&
	    ii->ino == ino)
		return true;
	zus_err("%s: the plugin gave an invalid inode for ino %llu",
		sbi->zfi->name, (unsigned long long)ino);
	return false;
}

/* A referenced inode for handle h of nsb (ns_put it). */
static int ns_get(struct ns_sb *nsb, __u64 h, struct zus_inode_info **iip)
{
	struct zus_sb_info *sbi = nsb->sbi;
	__u64 ino = handle_ino(h);
	struct zus_inode_info *ii;
	int err;

	if ((h >> NS_ID_SHIFT) != nsb->id || !ino)
		return -EINVAL;
	if (ino == sbi->z_root->ino) {
		*iip = sbi->z_root;
		return 0;
	}
	pthread_mutex_lock(&nsb->lock);
	ii = ns_find(nsb, ino);
	if (ii) {
		ii_set_refs(ii, ii_refs(ii) + 1);
		pthread_mutex_unlock(&nsb->lock);
		*iip = ii;
		return 0;
	}
	if (!sbi->op || !sbi->op->iget) {
		pthread_mutex_unlock(&nsb->lock);
		return -ESTALE;
	}
	err = zus_errno_sane(sbi->op->iget(sbi, ino, &ii));
	if (!err && !ns_valid_ii(sbi, ii, ino)) {
		if (ii && ii->op && ii->op->evict)
			ii->op->evict(ii);
		err = -EIO;
	}
	if (!err) {
		ii->sbi = sbi;
		ns_insert(nsb, ii);
		*iip = ii;
	}
	pthread_mutex_unlock(&nsb->lock);
	return err;
}

static void ns_put(struct ns_sb *nsb, struct zus_inode_info *ii)
{
	uintptr_t refs;

	if (!ii || ii == nsb->sbi->z_root)
		return;
	pthread_mutex_lock(&nsb->lock);
	refs = ii_refs(ii) - 1;
	ii_set_refs(ii, refs);
	pthread_mutex_unlock(&nsb->lock);
	if (!refs)
		ii->op->evict(ii);
}

/* A new inode from create(): into the table, referenced. */
static struct zus_inode_info *ns_add_new(struct ns_sb *nsb,
					 struct zus_inode_info *ii)
{
	struct zus_inode_info *old;

	ii->sbi = nsb->sbi;
	pthread_mutex_lock(&nsb->lock);
	old = ns_find(nsb, ii->ino);
	if (old) {	/* the same inode: keep the one in the table */
		ii_set_refs(old, ii_refs(old) + 1);
		pthread_mutex_unlock(&nsb->lock);
		ii->op->evict(ii);
		return old;
	}
	ns_insert(nsb, ii);
	pthread_mutex_unlock(&nsb->lock);
	return ii;
}

/* ~~~~ helpers ~~~~ */

static int ns_attr(struct zus_inode_info *ii, struct zufs_attr *attr)
{
	int err;

	memset(attr, 0, sizeof(*attr));
	err = zus_errno_sane(ii->op->getattr(ii, attr));
	if (err)
		return err;
	if (attr->ino != ii->ino) {
		zus_err("%s: getattr of inode %llu says ino %llu",
			ii->sbi->zfi->name, (unsigned long long)ii->ino,
			(unsigned long long)attr->ino);
		return -EIO;
	}
	return 0;
}

/* The kernel sends names 1..255 bytes without '/' or NUL. */
static int ns_name(struct zufs_str *zs)
{
	if (!zs->len || zs->len > ZUFS_NAME_MAX)
		return -EINVAL;
	zs->name[zs->len] = 0;
	if (memchr(zs->name, '/', zs->len) || memchr(zs->name, 0, zs->len))
		return -EINVAL;
	return 0;
}

/* The request is at least `size` bytes and its reply fits there. */
static bool ns_req_ok(const struct zufs_ioc_hdr *hdr, size_t size)
{
	return hdr->in_len >= size && hdr->out_max >= size &&
	       hdr->out_start <= size;
}

static void ns_reply(struct zufs_ioc_hdr *hdr, size_t size)
{
	hdr->out_len = (__u32)(size - hdr->out_start);
}

/* len bytes of the application window from off; NULL if not there. */
static void *ns_window(struct zus_zt *zt, const struct zufs_ioc_hdr *hdr,
		       __u64 off, __u64 len, bool write)
{
	if (!zt->win || !(hdr->flags & ZUFS_H_HAS_PAGES))
		return NULL;
	if (off > ZUFS_APP_WINDOW_SIZE || len > ZUFS_APP_WINDOW_SIZE - off)
		return NULL;
	if (write && (hdr->flags & ZUFS_H_PAGES_RO))
		return NULL;
	return (char *)zt->win + off;
}

/* ~~~~ LOOKUP ~~~~ */

static int ns_lookup(struct ns_sb *nsb, struct zufs_ioc_lookup *zl)
{
	struct zus_inode_info *dir, *ii = NULL;
	__u64 ino = 0;
	int err;

	err = ns_name(&zl->name);
	if (err)
		return err;
	err = ns_get(nsb, zl->dir_ii, &dir);
	if (err)
		return err;
	if (!dir->op->lookup)
		err = -ENOENT;
	else
		err = zus_errno_sane(dir->op->lookup(dir, zl->name.name,
						     zl->name.len, &ino));
	if (!err && (!ino || ino > ZUS_INO_MAX)) {
		zus_err("%s: lookup gave inode number %llu",
			nsb->sbi->zfi->name, (unsigned long long)ino);
		err = -EIO;
	}
	if (!err)
		err = ns_get(nsb, ns_handle(nsb, ino), &ii);
	if (!err)
		err = ns_attr(ii, &zl->attr);
	if (!err) {
		zl->zus_ii = ns_handle(nsb, ino);
		ns_reply(&zl->hdr, sizeof(*zl));
	}
	ns_put(nsb, ii);
	ns_put(nsb, dir);
	return err;
}

/* ~~~~ NEW_INODE ~~~~ */

static bool ns_valid_type(__u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

/* May a new inode be created with the xattr name (ZUFS_NI_XATTRS)? */
static bool ns_ni_xattr_name(const char *name, size_t len)
{
	static const char sec[] = "security.";

	if (len > sizeof(sec) - 1 && !memcmp(name, sec, sizeof(sec) - 1))
		return true;
	return !strcmp(name, "system.posix_acl_access") ||
	       !strcmp(name, "system.posix_acl_default");
}

/*
 * The records of ZUFS_NI_XATTRS (zus_api.h) into x[0..*nr), pointing into
 * the window; -EINVAL for anything out of bounds, unterminated, of another
 * namespace or given twice.
 */
static int ns_ni_xattrs(struct ns_sb *nsb, struct zus_zt *zt,
			const struct zufs_ioc_new_inode *zni,
			struct zus_xattr *x, __u32 *nr)
{
	const struct zufs_ioc_hdr *hdr = &zni->hdr;
	const char *w, *p;
	__u64 left = hdr->len;
	__u32 i, n = 0;

	*nr = 0;
	if (!(nsb->sbi->zfi->fs_caps & ZUFS_FSC_NI_XATTR) ||
	    (hdr->offset & 7) || hdr->offset < zni->symlink_len ||
	    !hdr->len)
		return -EINVAL;
	w = ns_window(zt, hdr, hdr->offset, hdr->len, false);
	if (!w)
		return -EINVAL;
	for (p = w; left; n++) {
		struct zufs_ni_xattr rec;
		const char *name;
		__u32 size;

		if (n == ZUFS_NI_XATTRS_MAX || left < sizeof(rec))
			return -EINVAL;
		memcpy(&rec, p, sizeof(rec));
		size = zufs_ni_xattr_size(rec.name_len, rec.value_len);
		if (!rec.name_len || rec.value_len > ZUFS_XATTR_SIZE_MAX ||
		    size > left)
			return -EINVAL;
		name = p + sizeof(rec);
		if (memchr(name, 0, rec.name_len) || name[rec.name_len] ||
		    !ns_ni_xattr_name(name, rec.name_len))
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (!strcmp(x[i].name, name))
				return -EINVAL;
		x[n].name = name;
		x[n].value = name + rec.name_len + 1;
		x[n].size = rec.value_len;
		x[n].reserved = 0;
		p += size;
		left -= size;
	}
	*nr = n;
	return 0;
}

static int ns_new_inode(struct ns_sb *nsb, struct zus_zt *zt,
			struct zufs_ioc_new_inode *zni)
{
	struct zus_xattr xattrs[ZUFS_NI_XATTRS_MAX];
	bool tmpfile = zni->flags & ZUFS_NI_TMPFILE;
	struct zus_inode_info *dir, *ii = NULL;
	char target[NS_SYMLINK_MAX + 1];
	struct zus_new_inode ni;
	int err;

	if (zni->flags & ~(ZUFS_NI_TMPFILE | ZUFS_NI_XATTRS) ||
	    !ns_valid_type(zni->attr.mode))
		return -EINVAL;
	if (tmpfile ? !S_ISREG(zni->attr.mode) : ns_name(&zni->name) != 0)
		return -EINVAL;
	memset(&ni, 0, sizeof(ni));
	ni.mode = zni->attr.mode;
	ni.uid = zni->attr.uid;
	ni.gid = zni->attr.gid;
	ni.rdev = zni->attr.rdev;
	ni.flags = zni->attr.flags;
	ni.now = zni->attr.ctime;
	if (S_ISLNK(ni.mode)) {
		const char *w;

		if (!zni->symlink_len || zni->symlink_len > NS_SYMLINK_MAX)
			return -EINVAL;
		w = ns_window(zt, &zni->hdr, 0, zni->symlink_len, false);
		if (!w)
			return -EINVAL;
		memcpy(target, w, zni->symlink_len);
		target[zni->symlink_len] = 0;
		if (memchr(target, 0, zni->symlink_len))
			return -EINVAL;
		ni.symname = target;
		ni.symlen = zni->symlink_len;
	}
	if (zni->flags & ZUFS_NI_XATTRS) {
		err = ns_ni_xattrs(nsb, zt, zni, xattrs, &ni.nr_xattrs);
		if (err)
			return err;
		ni.xattrs = xattrs;
	}
	err = ns_get(nsb, zni->dir_ii, &dir);
	if (err)
		return err;
	if (!dir->op->create) {
		err = -EOPNOTSUPP;
		goto out;
	}
	err = zus_errno_sane(dir->op->create(dir, tmpfile ? NULL :
					     zni->name.name,
					     tmpfile ? 0 : zni->name.len,
					     &ni, &ii));
	if (err) {
		ii = NULL;
		goto out;
	}
	if (!ns_valid_ii(nsb->sbi, ii, ii ? ii->ino : 0) || !ii->ino ||
	    ii->ino > ZUS_INO_MAX) {
		/* the inode exists on the media: nothing we can name */
		if (ii && ii->op && ii->op->evict)
			ii->op->evict(ii);
		ii = NULL;
		err = -EIO;
		goto out;
	}
	ii = ns_add_new(nsb, ii);
	err = ns_attr(ii, &zni->attr);
	if (!err)
		err = ns_attr(dir, &zni->dir_attr);
	if (!err) {
		zni->zus_ii = ns_handle(nsb, ii->ino);
		ns_reply(&zni->hdr, sizeof(*zni));
	}
out:
	ns_put(nsb, ii);
	ns_put(nsb, dir);
	return err;
}

/* ~~~~ LINK, UNLINK ~~~~ */

static int ns_link(struct ns_sb *nsb, struct zufs_ioc_link *zl)
{
	struct zus_inode_info *dir, *ii = NULL;
	int err;

	err = ns_name(&zl->name);
	if (err)
		return err;
	err = ns_get(nsb, zl->dir_ii, &dir);
	if (err)
		return err;
	err = ns_get(nsb, zl->zus_ii, &ii);
	if (!err && !dir->op->link)
		err = -EOPNOTSUPP;
	if (!err)
		err = zus_errno_sane(dir->op->link(dir, ii, zl->name.name,
						   zl->name.len, &zl->now));
	if (!err)
		err = ns_attr(ii, &zl->attr);
	if (!err)
		err = ns_attr(dir, &zl->dir_attr);
	if (!err)
		ns_reply(&zl->hdr, sizeof(*zl));
	ns_put(nsb, ii);
	ns_put(nsb, dir);
	return err;
}

static int ns_unlink(struct ns_sb *nsb, struct zufs_ioc_unlink *zu)
{
	struct zus_inode_info *dir, *ii = NULL;
	int err;

	if (zu->flags & ~ZUFS_UNLINK_DIR)
		return -EINVAL;
	err = ns_name(&zu->name);
	if (err)
		return err;
	err = ns_get(nsb, zu->dir_ii, &dir);
	if (err)
		return err;
	err = ns_get(nsb, zu->zus_ii, &ii);
	if (!err && !dir->op->unlink)
		err = -EOPNOTSUPP;
	if (!err)
		err = zus_errno_sane(dir->op->unlink(dir, ii, zu->name.name,
						     zu->name.len, zu->flags,
						     &zu->now));
	if (!err)
		err = ns_attr(ii, &zu->attr);
	if (!err)
		err = ns_attr(dir, &zu->dir_attr);
	if (!err)
		ns_reply(&zu->hdr, sizeof(*zu));
	ns_put(nsb, ii);
	ns_put(nsb, dir);
	return err;
}

/* ~~~~ RENAME ~~~~ */

static int ns_rename(struct ns_sb *nsb, struct zufs_ioc_rename *zr)
{
	struct zus_inode_info *od = NULL, *nd = NULL, *oi = NULL, *ni = NULL;
	int err;

	if (zr->flags & ~(ZUFS_RENAME_NOREPLACE | ZUFS_RENAME_EXCHANGE |
			  ZUFS_RENAME_WHITEOUT))
		return -EINVAL;
	err = ns_name(&zr->old_name);
	if (!err)
		err = ns_name(&zr->new_name);
	if (!err)
		err = ns_get(nsb, zr->old_dir_ii, &od);
	if (!err)
		err = ns_get(nsb, zr->new_dir_ii, &nd);
	if (!err)
		err = ns_get(nsb, zr->old_ii, &oi);
	if (!err && zr->new_ii)
		err = ns_get(nsb, zr->new_ii, &ni);
	if (!err && !od->op->rename)
		err = -EOPNOTSUPP;
	if (!err)
		err = zus_errno_sane(od->op->rename(od, zr->old_name.name,
						    zr->old_name.len, nd,
						    zr->new_name.name,
						    zr->new_name.len,
						    zr->flags, &zr->now));
	if (!err)
		err = ns_attr(od, &zr->old_dir_attr);
	if (!err)
		err = ns_attr(nd, &zr->new_dir_attr);
	if (!err)
		err = ns_attr(oi, &zr->old_attr);
	if (!err && ni)
		err = ns_attr(ni, &zr->new_attr);
	if (!err)
		ns_reply(&zr->hdr, sizeof(*zr));
	ns_put(nsb, ni);
	ns_put(nsb, oi);
	ns_put(nsb, nd);
	ns_put(nsb, od);
	return err;
}

/* ~~~~ READDIR: struct zufs_dirent records into the window ~~~~ */

struct ns_fill {
	char *buf;
	size_t size, used;
	__u32 nents;
	__u64 pos;		/* the cookie of the next entry */
	bool full;
	int err;
	const char *fs;
};

static int ns_filldir(void *ctx, const char *name, size_t len, __u64 ino,
		      __u32 type, __u64 next_pos)
{
	struct ns_fill *f = ctx;
	struct zufs_dirent *de;
	size_t reclen = (sizeof(*de) + len + 7) & ~(size_t)7;

	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.')) {
		f->pos = next_pos;	/* the kernel makes the dots */
		return 0;
	}
	if (!len || len > ZUFS_NAME_MAX || !ino || next_pos < 2 ||
	    next_pos > INT64_MAX || memchr(name, '/', len) ||
	    memchr(name, 0, len)) {
		zus_err("%s: readdir gave an invalid entry (len %zu, ino %llu, next %llu)",
			f->fs, len, (unsigned long long)ino,
			(unsigned long long)next_pos);
		f->err = -EIO;
		return 1;
	}
	if (f->used + reclen > f->size) {
		f->full = true;
		return 1;
	}
	de = (struct zufs_dirent *)(f->buf + f->used);
	memset(de, 0, reclen);
	de->ino = ino;
	de->pos = f->pos;
	de->reclen = (__u16)reclen;
	de->type = type <= 15 ? (__u8)type : 0;
	de->name_len = (__u8)len;
	memcpy(de->name, name, len);
	f->used += reclen;
	f->nents++;
	f->pos = next_pos;
	return 0;
}

static int ns_readdir(struct ns_sb *nsb, struct zus_zt *zt,
		      struct zufs_ioc_readdir *zrd)
{
	struct ns_fill f = { .fs = nsb->sbi->zfi->name };
	struct zus_inode_info *dir;
	int err;

	f.size = zrd->hdr.len;
	f.buf = ns_window(zt, &zrd->hdr, 0, f.size, true);
	if (!f.buf || f.size < sizeof(struct zufs_dirent) + ZUFS_NAME_MAX + 1)
		return -EINVAL;
	f.pos = zrd->pos < 2 ? 2 : zrd->pos;
	if (f.pos > INT64_MAX)
		return -EINVAL;
	err = ns_get(nsb, zrd->dir_ii, &dir);
	if (err)
		return err;
	if (dir->op->readdir)
		err = zus_errno_sane(dir->op->readdir(dir, f.pos, ns_filldir,
						      &f));
	if (!err)
		err = f.err;
	if (!err) {
		zrd->pos = f.pos;
		zrd->nents = f.nents;
		zrd->more = f.full;
		ns_reply(&zrd->hdr, sizeof(*zrd));
	}
	ns_put(nsb, dir);
	return err;
}

/* ~~~~ GET_SYMLINK ~~~~ */

static int ns_get_symlink(struct ns_sb *nsb, struct zus_zt *zt,
			  struct zufs_ioc_get_symlink *zgs)
{
	size_t size = zgs->hdr.len < 4096 ? zgs->hdr.len : 4096;
	struct zus_inode_info *ii;
	char *buf = ns_window(zt, &zgs->hdr, 0, size, true);
	int n;

	if (!buf || size < 2)
		return -EINVAL;
	n = ns_get(nsb, zgs->zus_ii, &ii);
	if (n)
		return n;
	n = ii->op->get_link ? ii->op->get_link(ii, buf, size) : -EINVAL;
	ns_put(nsb, ii);
	if (n < 0)
		return zus_errno_sane(n);
	if (!n || (size_t)n >= size)
		return -EIO;	/* the kernel wants 1..PAGE_SIZE-1 bytes */
	zgs->len = (__u32)n;
	ns_reply(&zgs->hdr, sizeof(*zgs));
	return 0;
}

/* ~~~~ SETATTR, EVICT_INODE ~~~~ */

static int ns_setattr(struct ns_sb *nsb, struct zufs_ioc_setattr *zsa)
{
	const __u32 known = ZUFS_ATTR_MODE | ZUFS_ATTR_UID | ZUFS_ATTR_GID |
			    ZUFS_ATTR_SIZE | ZUFS_ATTR_ATIME | ZUFS_ATTR_MTIME |
			    ZUFS_ATTR_CTIME | ZUFS_ATTR_FLAGS;
	struct zus_inode_info *ii;
	int err;

	if (zsa->mask & ~known)
		return -EINVAL;
	err = ns_get(nsb, zsa->zus_ii, &ii);
	if (err)
		return err;
	if (zsa->mask && !ii->op->setattr)
		err = -EOPNOTSUPP;
	else if (zsa->mask)
		err = zus_errno_sane(ii->op->setattr(ii, &zsa->attr,
						     zsa->mask));
	if (!err)
		err = ns_attr(ii, &zsa->attr);
	if (!err)
		ns_reply(&zsa->hdr, sizeof(*zsa));
	ns_put(nsb, ii);
	return err;
}

static int ns_evict(struct ns_sb *nsb, struct zufs_ioc_evict_inode *zei)
{
	__u64 ino = handle_ino(zei->zus_ii);
	struct zus_inode_info *ii;
	struct zufs_attr attr;

	if ((zei->zus_ii >> NS_ID_SHIFT) != nsb->id || !ino)
		return -EINVAL;
	if (ino == nsb->sbi->z_root->ino)
		return 0;	/* sbi_fini's */
	pthread_mutex_lock(&nsb->lock);
	ii = ns_find(nsb, ino);
	if (!ii) {
		pthread_mutex_unlock(&nsb->lock);
		return 0;	/* nothing held for it */
	}
	ii_set_refs(ii, ii_refs(ii) + 1);
	pthread_mutex_unlock(&nsb->lock);

	if (!(zei->flags & ZUFS_EVICT_DELETE) && !ns_attr(ii, &attr) &&
	    !attr.nlink) {
		/* an earlier instance: the kernel holds it unlinked */
		ns_put(nsb, ii);
		return 0;
	}
	pthread_mutex_lock(&nsb->lock);
	if (ns_find(nsb, ino) == ii) {
		ns_remove(nsb, ii);
		ii_set_refs(ii, ii_refs(ii) - 1);	/* the table's */
	}
	pthread_mutex_unlock(&nsb->lock);
	ns_put(nsb, ii);
	return 0;
}

/* ~~~~ READ, WRITE ~~~~ */

static int ns_io(struct ns_sb *nsb, struct zus_zt *zt, struct zufs_ioc_io *io,
		 bool write)
{
	__u64 len = io->hdr.len;
	struct zus_inode_info *ii;
	ssize_t n = 0;
	void *buf = NULL;
	int err;

	if (io->flags)
		return -EINVAL;
	if (len) {
		buf = ns_window(zt, &io->hdr, io->pg_offset, len, !write);
		if (!buf)
			return -EINVAL;
	}
	if (io->hdr.offset > INT64_MAX || len > INT64_MAX - io->hdr.offset)
		return -EINVAL;
	err = ns_get(nsb, io->zus_ii, &ii);
	if (err)
		return err;
	if (write ? !ii->op->write : !ii->op->read)
		err = -EINVAL;
	else if (len && write)
		n = ii->op->write(ii, buf, len, io->hdr.offset, &io->now);
	else if (len)
		n = ii->op->read(ii, buf, len, io->hdr.offset);
	if (!err && n < 0)
		err = zus_errno_sane((int)n);
	if (!err && (__u64)n > len) {
		zus_err("%s: %s of %llu bytes did %zd", nsb->sbi->zfi->name,
			write ? "write" : "read", (unsigned long long)len, n);
		err = -EIO;
	}
	if (!err)
		err = ns_attr(ii, &io->attr);
	if (!err) {
		io->done = (__u64)n;
		ns_reply(&io->hdr, sizeof(*io));
	}
	ns_put(nsb, ii);
	return err;
}

/* ~~~~ for the handlers in other files (space.c, ...) ~~~~ */

int zus_ns_iget(__u64 h, struct zus_inode_info **iip)
{
	struct ns_sb *nsb = ns_sb_of(h);

	return nsb ? ns_get(nsb, h, iip) : -EINVAL;
}

void zus_ns_iput(__u64 h, struct zus_inode_info *ii)
{
	struct ns_sb *nsb = ns_sb_of(h);

	if (nsb)
		ns_put(nsb, ii);
}

int zus_ns_getattr(struct zus_inode_info *ii, struct zufs_attr *attr)
{
	return ns_attr(ii, attr);
}

/* ~~~~ dispatch ~~~~ */

/* The handle that names the superblock of each request. */
static __u64 ns_req_handle(const struct zufs_ioc_hdr *hdr)
{
	switch (hdr->operation) {
	case ZUFS_OP_LOOKUP:
		return ((const struct zufs_ioc_lookup *)hdr)->dir_ii;
	case ZUFS_OP_NEW_INODE:
		return ((const struct zufs_ioc_new_inode *)hdr)->dir_ii;
	case ZUFS_OP_LINK:
		return ((const struct zufs_ioc_link *)hdr)->dir_ii;
	case ZUFS_OP_UNLINK:
		return ((const struct zufs_ioc_unlink *)hdr)->dir_ii;
	case ZUFS_OP_RENAME:
		return ((const struct zufs_ioc_rename *)hdr)->old_dir_ii;
	case ZUFS_OP_READDIR:
		return ((const struct zufs_ioc_readdir *)hdr)->dir_ii;
	case ZUFS_OP_GET_SYMLINK:
		return ((const struct zufs_ioc_get_symlink *)hdr)->zus_ii;
	case ZUFS_OP_SETATTR:
		return ((const struct zufs_ioc_setattr *)hdr)->zus_ii;
	case ZUFS_OP_EVICT_INODE:
		return ((const struct zufs_ioc_evict_inode *)hdr)->zus_ii;
	case ZUFS_OP_PUT_BLOCK:
		return ((const struct zufs_ioc_put_block *)hdr)->puts[0].zus_ii;
	default:	/* READ, WRITE */
		return ((const struct zufs_ioc_io *)hdr)->zus_ii;
	}
}

static size_t ns_req_size(__u32 op)
{
	switch (op) {
	case ZUFS_OP_LOOKUP:	  return sizeof(struct zufs_ioc_lookup);
	case ZUFS_OP_NEW_INODE:	  return sizeof(struct zufs_ioc_new_inode);
	case ZUFS_OP_LINK:	  return sizeof(struct zufs_ioc_link);
	case ZUFS_OP_UNLINK:	  return sizeof(struct zufs_ioc_unlink);
	case ZUFS_OP_RENAME:	  return sizeof(struct zufs_ioc_rename);
	case ZUFS_OP_READDIR:	  return sizeof(struct zufs_ioc_readdir);
	case ZUFS_OP_GET_SYMLINK: return sizeof(struct zufs_ioc_get_symlink);
	case ZUFS_OP_SETATTR:	  return sizeof(struct zufs_ioc_setattr);
	case ZUFS_OP_EVICT_INODE: return sizeof(struct zufs_ioc_evict_inode);
	case ZUFS_OP_READ:
	case ZUFS_OP_WRITE:	  return sizeof(struct zufs_ioc_io);
	case ZUFS_OP_FALLOCATE:	  return sizeof(struct zufs_ioc_fallocate);
	case ZUFS_OP_SEEK:	  return sizeof(struct zufs_ioc_seek);
	case ZUFS_OP_FIEMAP:	  return sizeof(struct zufs_ioc_fiemap);
	case ZUFS_OP_COPY:	  return sizeof(struct zufs_ioc_copy);
	case ZUFS_OP_CLONE:	  return sizeof(struct zufs_ioc_clone);
	case ZUFS_OP_GETXATTR:
	case ZUFS_OP_SETXATTR:
	case ZUFS_OP_LISTXATTR:	  return sizeof(struct zufs_ioc_xattr);
	case ZUFS_OP_GET_BLOCK:	  return sizeof(struct zufs_ioc_get_block);
	case ZUFS_OP_PUT_BLOCK:	  return sizeof(struct zufs_ioc_put_block);
	case ZUFS_OP_FSYNC:	  return sizeof(struct zufs_ioc_fsync);
	}
	return 0;
}

static __u64 ns_op_cap(__u32 op)
{
	if (op == ZUFS_OP_GET_BLOCK || op == ZUFS_OP_PUT_BLOCK)
		return ZUFS_CAP_FASTIO;
	if (op == ZUFS_OP_FSYNC)
		return ZUFS_CAP_SYNC;
	if (op >= ZUFS_OP_FALLOCATE && op <= ZUFS_OP_CLONE)
		return ZUFS_CAP_SPACE;
	if (op >= ZUFS_OP_GETXATTR && op <= ZUFS_OP_LISTXATTR)
		return ZUFS_CAP_XATTR;
	return op == ZUFS_OP_READ || op == ZUFS_OP_WRITE ? ZUFS_CAP_RW :
							 ZUFS_CAP_NAMESPACE;
}

int zus_ns_dispatch(struct zus_server *s, struct zus_zt *zt,
		    struct zufs_ioc_hdr *hdr)
{
	size_t size = ns_req_size(hdr->operation);
	struct ns_sb *nsb;

	if (!size || !(s->hs.agreed_caps & ns_op_cap(hdr->operation))) {
		zus_dbg("ZT cpu %u: unsupported operation 0x%x", zt->cpu,
			hdr->operation);
		return -EOPNOTSUPP;
	}
	if (!ns_req_ok(hdr, size)) {
		zus_warn("ZT cpu %u: operation 0x%x with bad lengths (in %u, out %u..%u)",
			 zt->cpu, hdr->operation, hdr->in_len,
			 hdr->out_start, hdr->out_max);
		return -EINVAL;
	}
	nsb = ns_sb_of(ns_req_handle(hdr));
	if (!nsb)
		return -EINVAL;

	switch (hdr->operation) {
	case ZUFS_OP_LOOKUP:
		return ns_lookup(nsb, (void *)hdr);
	case ZUFS_OP_NEW_INODE:
		return ns_new_inode(nsb, zt, (void *)hdr);
	case ZUFS_OP_LINK:
		return ns_link(nsb, (void *)hdr);
	case ZUFS_OP_UNLINK:
		return ns_unlink(nsb, (void *)hdr);
	case ZUFS_OP_RENAME:
		return ns_rename(nsb, (void *)hdr);
	case ZUFS_OP_READDIR:
		return ns_readdir(nsb, zt, (void *)hdr);
	case ZUFS_OP_GET_SYMLINK:
		return ns_get_symlink(nsb, zt, (void *)hdr);
	case ZUFS_OP_SETATTR:
		return ns_setattr(nsb, (void *)hdr);
	case ZUFS_OP_EVICT_INODE:
		return ns_evict(nsb, (void *)hdr);
	case ZUFS_OP_READ:
		return ns_io(nsb, zt, (void *)hdr, false);
	case ZUFS_OP_FALLOCATE:
	case ZUFS_OP_SEEK:
	case ZUFS_OP_FIEMAP:
	case ZUFS_OP_COPY:
	case ZUFS_OP_CLONE:
		return zus_space_dispatch(zt, hdr);
	case ZUFS_OP_GETXATTR:
	case ZUFS_OP_SETXATTR:
	case ZUFS_OP_LISTXATTR:
		return zus_xattr_dispatch(zt, hdr);
	case ZUFS_OP_GET_BLOCK:
	case ZUFS_OP_PUT_BLOCK:
	case ZUFS_OP_FSYNC:
		return zus_dataio_dispatch(zt, hdr);
	default:
		return ns_io(nsb, zt, (void *)hdr, true);
	}
}
