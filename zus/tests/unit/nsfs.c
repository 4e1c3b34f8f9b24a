// SPDX-License-Identifier: BSD-3-Clause
/*
 * nsfs.c - a tiny in-memory filesystem plugin for the host tests of
 * libzus's namespace and data dispatch (t_ns.c). Flat tables, no locking
 * beyond one mutex: correctness of libzus, not of a filesystem, is tested.
 * nsfs_live (exported) counts the zus_inode_info objects alive, so the
 * tests see what libzus holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zus/zus.h>

#define NS_INODES	64
#define NS_ENTS		64

struct nent {
	char name[ZUFS_NAME_MAX + 1];
	__u64 ino;		/* 0: free slot; the slot index is the cookie */
};

struct ninode {
	struct zufs_attr a;	/* a.mode == 0: free */
	char *data;		/* file contents or symlink target */
	struct nent ents[NS_ENTS];
};

struct nsfs_sbi {
	struct zus_sb_info sbi;
	struct zus_inode_info root;
	struct ninode ino[NS_INODES];
};

__attribute__((visibility("default"))) int nsfs_live;
/* the xattrs the last create() got (ZUFS_FSC_NI_XATTR): "name=size;..." */
__attribute__((visibility("default"))) char nsfs_ni_xattrs[512];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct zus_inode_operations nsfs_iops;

static struct nsfs_sbi *NS(struct zus_sb_info *sbi)
{
	return zus_container_of(sbi, struct nsfs_sbi, sbi);
}

static struct ninode *IN(struct zus_inode_info *ii)
{
	return &NS(ii->sbi)->ino[ii->ino];
}

static int nget(struct zus_sb_info *sbi, __u64 ino, struct zus_inode_info **iip)
{
	struct zus_inode_info *ii;

	if (ino >= NS_INODES || !NS(sbi)->ino[ino].a.mode)
		return -ESTALE;
	ii = calloc(1, sizeof(*ii));
	if (!ii)
		return -ENOMEM;
	ii->op = &nsfs_iops;
	ii->sbi = sbi;
	ii->ino = ino;
	__atomic_add_fetch(&nsfs_live, 1, __ATOMIC_SEQ_CST);
	*iip = ii;
	return 0;
}

static void nfree(struct ninode *n)
{
	free(n->data);
	memset(n, 0, sizeof(*n));
}

static void n_evict(struct zus_inode_info *ii)
{
	pthread_mutex_lock(&lock);
	if (!IN(ii)->a.nlink && ii->ino != 1)
		nfree(IN(ii));		/* unlinked: gone with the last user */
	pthread_mutex_unlock(&lock);
	__atomic_sub_fetch(&nsfs_live, 1, __ATOMIC_SEQ_CST);
	free(ii);
}

static int n_getattr(struct zus_inode_info *ii, struct zufs_attr *a)
{
	pthread_mutex_lock(&lock);
	*a = IN(ii)->a;
	pthread_mutex_unlock(&lock);
	return 0;
}

static int n_setattr(struct zus_inode_info *ii, const struct zufs_attr *a,
		     __u32 valid)
{
	struct ninode *n = IN(ii);

	pthread_mutex_lock(&lock);
	if (valid & ZUS_ATTR_MODE)
		n->a.mode = (n->a.mode & S_IFMT) | (a->mode & 07777);
	if (valid & ZUS_ATTR_UID)
		n->a.uid = a->uid;
	if (valid & ZUS_ATTR_SIZE) {
		char *d = realloc(n->data, a->size ? a->size : 1);

		if (a->size > n->a.size)
			memset(d + n->a.size, 0, a->size - n->a.size);
		n->data = d;
		n->a.size = a->size;
	}
	if (valid & ZUS_ATTR_MTIME)
		n->a.mtime = a->mtime;
	if (valid & ZUS_ATTR_CTIME)
		n->a.ctime = a->ctime;
	pthread_mutex_unlock(&lock);
	return 0;
}

static struct nent *find(struct ninode *d, const char *name)
{
	for (int i = 0; i < NS_ENTS; i++)
		if (d->ents[i].ino && !strcmp(d->ents[i].name, name))
			return &d->ents[i];
	return NULL;
}

static struct nent *slot(struct ninode *d)
{
	for (int i = 0; i < NS_ENTS; i++)
		if (!d->ents[i].ino)
			return &d->ents[i];
	return NULL;
}

static int n_lookup(struct zus_inode_info *dir, const char *name, size_t len,
		    __u64 *ino)
{
	struct nent *e;

	(void)len;
	pthread_mutex_lock(&lock);
	e = find(IN(dir), name);
	if (e)
		*ino = e->ino;
	pthread_mutex_unlock(&lock);
	return e ? 0 : -ENOENT;
}

static int n_create(struct zus_inode_info *dir, const char *name, size_t len,
		    const struct zus_new_inode *ni, struct zus_inode_info **iip)
{
	struct nsfs_sbi *s = NS(dir->sbi);
	struct nent *e = NULL;
	__u64 i;
	int err = 0;

	(void)len;
	nsfs_ni_xattrs[0] = 0;
	for (i = 0; i < ni->nr_xattrs; i++) {
		size_t n = strlen(nsfs_ni_xattrs);

		snprintf(nsfs_ni_xattrs + n, sizeof(nsfs_ni_xattrs) - n,
			 "%s=%u:%.*s;", ni->xattrs[i].name, ni->xattrs[i].size,
			 (int)ni->xattrs[i].size,
			 (const char *)ni->xattrs[i].value);
	}
	pthread_mutex_lock(&lock);
	for (i = 2; i < NS_INODES && s->ino[i].a.mode; i++)
		;
	if (name && find(IN(dir), name))
		err = -EEXIST;
	else if (i == NS_INODES || (name && !(e = slot(IN(dir)))))
		err = -ENOSPC;
	if (!err) {
		struct zufs_attr *a = &s->ino[i].a;

		a->ino = i;
		a->mode = ni->mode;
		a->uid = ni->uid;
		a->gid = ni->gid;
		a->rdev = ni->rdev;
		a->nlink = name ? (S_ISDIR(ni->mode) ? 2 : 1) : 0;
		a->atime = a->mtime = a->ctime = a->btime = ni->now;
		if (ni->symname) {
			s->ino[i].data = strdup(ni->symname);
			a->size = ni->symlen;
		}
		if (e) {
			snprintf(e->name, sizeof(e->name), "%s", name);
			e->ino = i;
			IN(dir)->a.mtime = IN(dir)->a.ctime = ni->now;
			if (S_ISDIR(ni->mode))
				IN(dir)->a.nlink++;
		}
	}
	pthread_mutex_unlock(&lock);
	return err ? err : nget(dir->sbi, i, iip);
}

static int n_link(struct zus_inode_info *dir, struct zus_inode_info *ii,
		  const char *name, size_t len, const struct zufs_time *now)
{
	struct nent *e;

	(void)len;
	pthread_mutex_lock(&lock);
	e = find(IN(dir), name) ? NULL : slot(IN(dir));
	if (e) {
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->ino = ii->ino;
		IN(ii)->a.nlink++;
		IN(ii)->a.ctime = *now;
		IN(dir)->a.mtime = IN(dir)->a.ctime = *now;
	}
	pthread_mutex_unlock(&lock);
	return e ? 0 : -EEXIST;
}

static int n_unlink(struct zus_inode_info *dir, struct zus_inode_info *ii,
		    const char *name, size_t len, __u32 flags,
		    const struct zufs_time *now)
{
	struct nent *e;

	(void)len;
	pthread_mutex_lock(&lock);
	e = find(IN(dir), name);
	if (e && e->ino == ii->ino) {
		e->ino = 0;
		IN(ii)->a.nlink = (flags & ZUFS_UNLINK_DIR) ? 0 :
				  IN(ii)->a.nlink - 1;
		IN(ii)->a.ctime = *now;
		IN(dir)->a.mtime = IN(dir)->a.ctime = *now;
	}
	pthread_mutex_unlock(&lock);
	return e ? 0 : -ENOENT;
}

static int n_rename(struct zus_inode_info *od, const char *on, size_t ol,
		    struct zus_inode_info *nd, const char *nn, size_t nl,
		    __u32 flags, const struct zufs_time *now)
{
	struct nent *from, *to;
	int err = 0;

	(void)ol;
	(void)nl;
	pthread_mutex_lock(&lock);
	from = find(IN(od), on);
	to = find(IN(nd), nn);
	if (!from)
		err = -ENOENT;
	else if (flags)
		err = -EINVAL;	/* the tests check plain renames only */
	else if (to)
		err = -EEXIST;
	else if (!(to = slot(IN(nd))))
		err = -ENOSPC;
	if (!err) {
		*to = *from;
		snprintf(to->name, sizeof(to->name), "%s", nn);
		from->ino = 0;
		IN(od)->a.mtime = IN(nd)->a.mtime = *now;
	}
	pthread_mutex_unlock(&lock);
	return err;
}

static int n_readdir(struct zus_inode_info *dir, __u64 pos,
		     zus_filldir_t fill, void *ctx)
{
	struct ninode *d = IN(dir);

	/* position of entry slot i is i + 2 */
	for (__u64 i = pos - 2; i < NS_ENTS; i++) {
		if (!d->ents[i].ino)
			continue;
		if (fill(ctx, d->ents[i].name, strlen(d->ents[i].name),
			 d->ents[i].ino, 8, i + 3))
			break;
	}
	return 0;
}

static int n_get_link(struct zus_inode_info *ii, char *buf, size_t size)
{
	size_t n = IN(ii)->a.size;

	if (n > size)
		n = size;
	memcpy(buf, IN(ii)->data, n);
	return (int)n;
}

static ssize_t n_read(struct zus_inode_info *ii, void *buf, size_t len,
		      __u64 off)
{
	struct ninode *n = IN(ii);

	if (off >= n->a.size)
		return 0;
	if (len > n->a.size - off)
		len = n->a.size - off;
	memcpy(buf, n->data + off, len);
	return (ssize_t)len;
}

static ssize_t n_write(struct zus_inode_info *ii, const void *buf, size_t len,
		       __u64 off, const struct zufs_time *now)
{
	struct ninode *n = IN(ii);

	if (off + len > n->a.size) {
		char *d = realloc(n->data, off + len);

		if (!d)
			return -ENOSPC;
		memset(d + n->a.size, 0, off + len - n->a.size);
		n->data = d;
		n->a.size = off + len;
	}
	memcpy(n->data + off, buf, len);
	n->a.mtime = n->a.ctime = *now;
	return (ssize_t)len;
}

static const struct zus_inode_operations nsfs_iops = {
	.getattr = n_getattr, .setattr = n_setattr, .evict = n_evict,
	.lookup = n_lookup, .create = n_create, .link = n_link,
	.unlink = n_unlink, .rename = n_rename, .readdir = n_readdir,
	.get_link = n_get_link, .read = n_read, .write = n_write,
};

static const struct zus_sbi_operations nsfs_sops = { .iget = nget };

static struct zus_sb_info *n_sbi_alloc(const struct zus_fs_info *zfi)
{
	struct nsfs_sbi *s = calloc(1, sizeof(*s));

	(void)zfi;
	return s ? &s->sbi : NULL;
}

static void n_sbi_free(struct zus_sb_info *sbi)
{
	struct nsfs_sbi *s = NS(sbi);

	for (int i = 0; i < NS_INODES; i++)
		free(s->ino[i].data);
	free(s);
}

static int n_sbi_init(struct zus_sb_info *sbi, const struct zus_mount_args *a)
{
	struct nsfs_sbi *s = NS(sbi);

	(void)a;
	s->ino[1].a.ino = 1;
	s->ino[1].a.mode = S_IFDIR | 0755;
	s->ino[1].a.nlink = 2;
	s->root.op = &nsfs_iops;
	s->root.sbi = sbi;
	s->root.ino = 1;
	sbi->op = &nsfs_sops;
	sbi->z_root = &s->root;
	sbi->s_max_links = 1000;
	return 0;
}

static const struct zus_zfi_operations nsfs_zfi_ops = {
	.sbi_alloc = n_sbi_alloc, .sbi_free = n_sbi_free,
	.sbi_init = n_sbi_init,
};

static const struct zus_fs_info nsfs_fs = {
	.name = "nsfs", .magic = 0x4e534653, .version = 1,
	.fs_caps = ZUFS_FSC_NI_XATTR, .op = &nsfs_zfi_ops,
};

static int nsfs_init(struct zus_plugin_ctx *ctx)
{
	return zus_register_fs(ctx, &nsfs_fs);
}

ZUS_PLUGIN_INIT(nsfs_init)
