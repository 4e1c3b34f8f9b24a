// SPDX-License-Identifier: GPL-2.0
/*
 * xattr.c - extended attributes and POSIX ACLs, stored by the server
 * (ZUFS_CAP_XATTR: GETXATTR, SETXATTR, LISTXATTR with whole names).
 *
 * The VFS checks names, sizes and permissions (user.* only on regular
 * files and directories, trusted.* and security.* for CAP_SYS_ADMIN,
 * immutable and append-only inodes) before it calls us; the server
 * enforces its own space (ENOSPC) and the CREATE/REPLACE semantics.
 * ACLs are the xattrs system.posix_acl_access and _default in the
 * kernel's xattr format with ids of the initial user namespace; the VFS
 * caches them in the inode and checks them in generic_permission().
 */
#include "zuf.h"

#include <linux/capability.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#define ZUF_XATTR_PAGES	(ZUFS_XATTR_SIZE_MAX / PAGE_SIZE)

static bool zuf_xattr_agreed(void)
{
	return READ_ONCE(zuf_root->agreed_caps) & ZUFS_CAP_XATTR;
}

static void zuf_xpages_free(struct page **pages, unsigned int nump)
{
	while (nump)
		__free_page(pages[--nump]);
}

static int zuf_xpages_alloc(struct page **pages, unsigned int nump)
{
	unsigned int i;

	for (i = 0; i < nump; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			zuf_xpages_free(pages, i);
			return -ENOMEM;
		}
	}
	return 0;
}

static void zuf_xpages_copy(struct page **pages, void *buf, size_t len,
			    bool to_pages)
{
	size_t off = 0;

	while (off < len) {
		size_t n = min_t(size_t, len - off, PAGE_SIZE);
		void *p = page_address(pages[off / PAGE_SIZE]);

		if (to_pages)
			memcpy(p, buf + off, n);
		else
			memcpy(buf + off, p, n);
		off += n;
	}
}

/* Store attributes the kernel computed (mode after an ACL, flags). */
int zuf_setattr_fields(struct inode *inode, const struct zufs_attr *attr,
		       u32 mask)
{
	struct zufs_ioc_setattr *zsa;
	int err;

	zsa = kzalloc(sizeof(*zsa), GFP_KERNEL);
	if (!zsa)
		return -ENOMEM;
	zsa->zus_ii = ZUF_II(inode)->zus_ii;
	zsa->mask = mask;
	zsa->attr = *attr;
	err = zuf_dispatch_op(inode->i_sb, &zsa->hdr, ZUFS_OP_SETATTR,
			      sizeof(*zsa),
			      offsetof(struct zufs_ioc_setattr, attr),
			      NULL, 0, false);
	if (!err)
		err = zuf_update_attr(inode, &zsa->attr);
	kfree(zsa);
	return err;
}

/*
 * One xattr operation. GET and LIST: buf gets up to len bytes, *size the
 * whole size (len 0: only the size). SET: buf holds len bytes of value.
 */
static int zuf_xattr_call(struct inode *inode, u32 op, const char *name,
			  u32 flags, void *buf, size_t len, size_t *size)
{
	struct page *pages[ZUF_XATTR_PAGES];
	struct zufs_ioc_xattr *zx;
	size_t nlen = name ? strlen(name) : 0;
	unsigned int nump;
	int err;

	if (!zuf_xattr_agreed())
		return -EOPNOTSUPP;
	if (nlen > ZUFS_NAME_MAX)
		return -ERANGE;
	if (len > ZUFS_XATTR_SIZE_MAX) {
		if (op == ZUFS_OP_SETXATTR)
			return -E2BIG;
		len = ZUFS_XATTR_SIZE_MAX;
	}
	nump = DIV_ROUND_UP(len, PAGE_SIZE);
	zx = kzalloc(sizeof(*zx), GFP_KERNEL);
	if (!zx)
		return -ENOMEM;
	err = zuf_xpages_alloc(pages, nump);
	if (err) {
		kfree(zx);
		return err;
	}
	if (op == ZUFS_OP_SETXATTR && len)
		zuf_xpages_copy(pages, buf, len, true);
	zx->zus_ii = ZUF_II(inode)->zus_ii;
	zx->flags = flags;
	zx->now = zuf_now(inode);
	zx->hdr.len = len;
	zx->name.len = nlen;
	if (nlen)
		memcpy(zx->name.name, name, nlen);
	err = zuf_dispatch_op(inode->i_sb, &zx->hdr, op, sizeof(*zx),
			      offsetof(struct zufs_ioc_xattr, size),
			      nump ? pages : NULL, nump,
			      op == ZUFS_OP_SETXATTR);
	if (err)
		goto out;
	if (op == ZUFS_OP_SETXATTR) {
		err = zuf_update_attr(inode, &zx->attr);
		goto out;
	}
	if (zx->size > ZUFS_XATTR_SIZE_MAX || (len && zx->size > len)) {
		pr_err_ratelimited("%s: server gave an xattr size of %u for %zu bytes\n",
				   inode->i_sb->s_type->name, zx->size, len);
		err = -EIO;
		goto out;
	}
	if (len)
		zuf_xpages_copy(pages, buf, zx->size, false);
	*size = zx->size;
out:
	zuf_xpages_free(pages, nump);
	kfree(zx);
	return err;
}

/* ~~~~ user., trusted., security. ~~~~ */

static int zuf_xattr_get(const struct xattr_handler *handler,
			 struct dentry *unused, struct inode *inode,
			 const char *name, void *buffer, size_t size)
{
	size_t n = 0;
	int err;

	err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR,
			     xattr_full_name(handler, name), 0, buffer,
			     buffer ? size : 0, &n);
	return err ?: (int)n;
}

static int zuf_xattr_set(const struct xattr_handler *handler,
			 zuf_idmap_t *idmap, struct dentry *unused,
			 struct inode *inode, const char *name,
			 const void *value, size_t size, int flags)
{
	u32 zf = ((flags & XATTR_CREATE) ? ZUFS_XATTR_CREATE : 0) |
		 ((flags & XATTR_REPLACE) ? ZUFS_XATTR_REPLACE : 0);

	if (!value)	/* removexattr */
		return zuf_xattr_call(inode, ZUFS_OP_SETXATTR,
				      xattr_full_name(handler, name),
				      ZUFS_XATTR_REMOVE, NULL, 0, NULL);
	return zuf_xattr_call(inode, ZUFS_OP_SETXATTR,
			      xattr_full_name(handler, name), zf,
			      (void *)value, size, NULL);
}

static const struct xattr_handler zuf_user_xattr = {
	.prefix	= XATTR_USER_PREFIX,
	.get	= zuf_xattr_get,
	.set	= zuf_xattr_set,
};

static const struct xattr_handler zuf_trusted_xattr = {
	.prefix	= XATTR_TRUSTED_PREFIX,
	.get	= zuf_xattr_get,
	.set	= zuf_xattr_set,
};

static const struct xattr_handler zuf_security_xattr = {
	.prefix	= XATTR_SECURITY_PREFIX,
	.get	= zuf_xattr_get,
	.set	= zuf_xattr_set,
};

/* Non-const pointers: assignable to s_xattr of every supported kernel. */
const struct xattr_handler *zuf_xattr_handlers[] = {
	&zuf_user_xattr,
	&zuf_trusted_xattr,
	&zuf_security_xattr,
#ifndef HAVE_GET_INODE_ACL
	/* before 6.2 the ACL xattrs go through handlers to ->get/set_acl */
	&posix_acl_access_xattr_handler,
	&posix_acl_default_xattr_handler,
#endif
	NULL
};

/* Names listxattr shows the caller, as the in-kernel filesystems do. */
static bool zuf_xattr_listable(struct inode *inode, const char *name)
{
	if (!strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN) ||
	    !strncmp(name, XATTR_SECURITY_PREFIX, XATTR_SECURITY_PREFIX_LEN))
		return true;
	if (!strncmp(name, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN))
		return capable(CAP_SYS_ADMIN);
	if (!strcmp(name, XATTR_NAME_POSIX_ACL_ACCESS) ||
	    !strcmp(name, XATTR_NAME_POSIX_ACL_DEFAULT))
		return IS_POSIXACL(inode);
	return false;
}

ssize_t zuf_listxattr(struct dentry *dentry, char *buffer, size_t size)
{
	struct inode *inode = d_inode(dentry);
	size_t len = 0, total = 0, n;
	char *list = NULL, *p;
	int tries, err;

	for (tries = 0; ; tries++) {
		err = zuf_xattr_call(inode, ZUFS_OP_LISTXATTR, NULL, 0, NULL,
				     0, &len);
		if (err || !len)
			return err;
		list = kvmalloc(len, GFP_KERNEL);
		if (!list)
			return -ENOMEM;
		err = zuf_xattr_call(inode, ZUFS_OP_LISTXATTR, NULL, 0, list,
				     len, &len);
		if (!err)
			break;
		kvfree(list);
		if (err != -ERANGE || tries == 2)	/* it keeps growing */
			return err;
	}
	for (p = list; p < list + len; p += n + 1) {
		n = strnlen(p, list + len - p);
		if (!n || p + n == list + len) {
			pr_err_ratelimited("%s: server gave a bad xattr list for inode %lu\n",
					   inode->i_sb->s_type->name,
					   inode->i_ino);
			err = -EIO;
			break;
		}
		if (!zuf_xattr_listable(inode, p))
			continue;
		if (buffer) {
			if (total + n + 1 > size) {
				err = -ERANGE;
				break;
			}
			memcpy(buffer + total, p, n + 1);
		}
		total += n + 1;
	}
	kvfree(list);
	return err ?: (ssize_t)total;
}

/* ~~~~ POSIX ACLs ~~~~ */

static const char *zuf_acl_name(int type)
{
	return type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
					 XATTR_NAME_POSIX_ACL_DEFAULT;
}

static struct posix_acl *zuf_acl_get(struct inode *inode, int type, bool rcu)
{
	const char *name = zuf_acl_name(type);
	struct posix_acl *acl;
	size_t len = PAGE_SIZE, size = 0;
	void *value;
	int err;

	if (rcu)
		return ERR_PTR(-ECHILD);
	for (;;) {
		value = kmalloc(len, GFP_KERNEL);
		if (!value)
			return ERR_PTR(-ENOMEM);
		err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR, name, 0, value,
				     len, &size);
		if (err != -ERANGE || len > PAGE_SIZE)
			break;
		kfree(value);
		err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR, name, 0, NULL, 0,
				     &len);
		if (err)
			return err == -ENODATA ? NULL : ERR_PTR(err);
		len = max_t(size_t, len, PAGE_SIZE + 1);
	}
	if (err == -ENODATA || err == -EOPNOTSUPP)
		acl = NULL;	/* none, or a server without xattrs */
	else if (err)
		acl = ERR_PTR(err);
	else
		acl = posix_acl_from_xattr(&init_user_ns, value, size);
	kfree(value);
	return acl;
}

/* Write (or with acl NULL remove) the ACL xattr of type. */
static int zuf_acl_store(struct inode *inode, struct posix_acl *acl, int type)
{
	const char *name = zuf_acl_name(type);
	size_t size;
	void *value;
	int err;

	if (!acl) {
		err = zuf_xattr_call(inode, ZUFS_OP_SETXATTR, name,
				     ZUFS_XATTR_REMOVE, NULL, 0, NULL);
		return err == -ENODATA ? 0 : err;
	}
	size = posix_acl_xattr_size(acl->a_count);
	value = kmalloc(size, GFP_KERNEL);
	if (!value)
		return -ENOMEM;
	err = posix_acl_to_xattr(&init_user_ns, acl, value, size);
	if (err >= 0)
		err = zuf_xattr_call(inode, ZUFS_OP_SETXATTR, name, 0, value,
				     size, NULL);
	kfree(value);
	return err;
}

static int zuf_acl_set(zuf_idmap_t *idmap, struct inode *inode,
		       struct posix_acl *acl, int type)
{
	umode_t mode = inode->i_mode;
	int err;

	if (type == ACL_TYPE_ACCESS && acl) {
		err = posix_acl_update_mode(idmap, inode, &mode, &acl);
		if (err)
			return err;
	} else if (type == ACL_TYPE_DEFAULT && !S_ISDIR(inode->i_mode)) {
		return acl ? -EACCES : 0;
	}
	err = zuf_acl_store(inode, acl, type);
	if (!err && mode != inode->i_mode) {
		struct zufs_attr attr;

		zuf_get_attr(inode, &attr);
		attr.mode = mode;
		attr.ctime = zuf_now(inode);
		err = zuf_setattr_fields(inode, &attr,
					 ZUFS_ATTR_MODE | ZUFS_ATTR_CTIME);
	}
	if (!err)
		set_cached_acl(inode, type, acl);
	return err;
}

#ifdef HAVE_GET_INODE_ACL
struct posix_acl *zuf_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	return zuf_acl_get(inode, type, rcu);
}

int zuf_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type)
{
	return zuf_acl_set(idmap, d_inode(dentry), acl, type);
}

int zuf_acl_chmod(zuf_idmap_t *idmap, struct dentry *dentry)
{
	return posix_acl_chmod(idmap, dentry, d_inode(dentry)->i_mode);
}
#else
struct posix_acl *zuf_get_acl(struct inode *inode, int type, bool rcu)
{
	return zuf_acl_get(inode, type, rcu);
}

int zuf_set_acl(struct user_namespace *idmap, struct inode *inode,
		struct posix_acl *acl, int type)
{
	return zuf_acl_set(idmap, inode, acl, type);
}

int zuf_acl_chmod(zuf_idmap_t *idmap, struct dentry *dentry)
{
	return posix_acl_chmod(idmap, d_inode(dentry), d_inode(dentry)->i_mode);
}
#endif

/* ~~~~ the first xattrs of a new inode ~~~~ */

static int zuf_ix_add(struct zuf_init_xattrs *zix, const char *prefix,
		      const char *name, const void *value, size_t len)
{
	char *n, *v;

	if (zix->nr >= ZUFS_NI_XATTRS_MAX || len > ZUFS_XATTR_SIZE_MAX)
		return -ENOSPC;
	n = kasprintf(GFP_KERNEL, "%s%s", prefix, name);
	v = kmalloc(len ?: 1, GFP_KERNEL);
	if (v && len)
		memcpy(v, value, len);
	if (!n || !v || !n[0] || strlen(n) > ZUFS_NAME_MAX) {
		kfree(n);
		kfree(v);
		return n && v ? -ERANGE : -ENOMEM;
	}
	zix->x[zix->nr].name = n;
	zix->x[zix->nr].value = v;
	zix->x[zix->nr].len = len;
	zix->nr++;
	return 0;
}

static int zuf_ix_add_acl(struct zuf_init_xattrs *zix, struct posix_acl *acl,
			  int type)
{
	size_t size = posix_acl_xattr_size(acl->a_count);
	void *value = kmalloc(size, GFP_KERNEL);
	int err;

	if (!value)
		return -ENOMEM;
	err = posix_acl_to_xattr(&init_user_ns, acl, value, size);
	if (err >= 0)
		err = zuf_ix_add(zix, "", zuf_acl_name(type), value, size);
	kfree(value);
	return err;
}

/* security_inode_init_security's callback: the LSMs' labels. */
static int zuf_ix_lsm(struct inode *inode, const struct xattr *xattrs,
		      void *fs_data)
{
	const struct xattr *xa;
	int err = 0;

	for (xa = xattrs; xa->name && !err; xa++)
		err = zuf_ix_add(fs_data, XATTR_SECURITY_PREFIX, xa->name,
				 xa->value, xa->value_len);
	return err;
}

/*
 * A new inode: the mode is masked by the parent's default ACL (or the
 * umask without one); the ACLs it inherits and the labels the LSMs give
 * it (qstr: its name, NULL for O_TMPFILE) are collected in zix, to go to
 * the server with NEW_INODE (zuf_ix_window) or after it (zuf_ix_store).
 * Release with zuf_ix_release, also on failure.
 */
int zuf_ix_prepare(struct inode *dir, struct inode *inode,
		   const struct qstr *qstr, struct zuf_init_xattrs *zix)
{
	int err = 0;

	memset(zix, 0, sizeof(*zix));
	if (IS_POSIXACL(dir)) {
		err = posix_acl_create(dir, &inode->i_mode, &zix->default_acl,
				       &zix->acl);
		if (err)
			return err;
		if (zix->default_acl)
			err = zuf_ix_add_acl(zix, zix->default_acl,
					     ACL_TYPE_DEFAULT);
		if (!err && zix->acl)
			err = zuf_ix_add_acl(zix, zix->acl, ACL_TYPE_ACCESS);
	}
	if (!err && zuf_xattr_agreed())
		err = security_inode_init_security(inode, dir, qstr,
						   zuf_ix_lsm, zix);
	return err;
}

/*
 * The application window of NEW_INODE: head_len bytes of head (the
 * symlink target, may be none), then from byte off on the records of
 * ZUFS_NI_XATTRS (zus_api.h) for zix (NULL: none). Fills *pages
 * (release with zuf_ix_pages_free), *nump and *len (bytes of records).
 */
int zuf_ix_window(const struct zuf_init_xattrs *zix, const char *head,
		  size_t head_len, u32 off, struct page ***pages,
		  unsigned int *nump, u32 *len)
{
	unsigned int i, n, nr = zix ? zix->nr : 0;
	size_t total = off, pos = off;
	char *buf;
	int err;

	*pages = NULL;
	*nump = 0;
	*len = 0;
	for (i = 0; i < nr; i++)
		total += zufs_ni_xattr_size(strlen(zix->x[i].name),
					    zix->x[i].len);
	if (!total)
		return 0;
	n = DIV_ROUND_UP(total, PAGE_SIZE);
	if (n > ZUFS_APP_WINDOW_PAGES)
		return -E2BIG;
	buf = kvzalloc(total, GFP_KERNEL);
	*pages = kcalloc(n, sizeof(**pages), GFP_KERNEL);
	if (!buf || !*pages) {
		err = -ENOMEM;
		goto fail;
	}
	if (head_len)
		memcpy(buf, head, head_len);
	for (i = 0; i < nr; i++) {
		struct zufs_ni_xattr *rec = (void *)(buf + pos);
		size_t nlen = strlen(zix->x[i].name);

		rec->value_len = zix->x[i].len;
		rec->name_len = nlen;
		memcpy(rec + 1, zix->x[i].name, nlen);
		memcpy((char *)(rec + 1) + nlen + 1, zix->x[i].value,
		       zix->x[i].len);
		pos += zufs_ni_xattr_size(nlen, zix->x[i].len);
	}
	err = zuf_xpages_alloc(*pages, n);
	if (err)
		goto fail;
	zuf_xpages_copy(*pages, buf, total, true);
	kvfree(buf);
	*nump = n;
	*len = total - off;
	return 0;
fail:
	kvfree(buf);
	kfree(*pages);
	*pages = NULL;
	return err;
}

void zuf_ix_pages_free(struct page **pages, unsigned int nump)
{
	if (!pages)
		return;
	zuf_xpages_free(pages, nump);
	kfree(pages);
}

/*
 * The new inode exists on the server: store the attributes one by one
 * unless NEW_INODE carried them (stored), then cache the ACLs.
 */
int zuf_ix_store(struct inode *inode, const struct zuf_init_xattrs *zix,
		 bool stored)
{
	unsigned int i;
	int err;

	for (i = 0; i < zix->nr && !stored; i++) {
		err = zuf_xattr_call(inode, ZUFS_OP_SETXATTR, zix->x[i].name,
				     0, zix->x[i].value, zix->x[i].len, NULL);
		/* no xattrs on this server: ext2 without them drops labels */
		if (err == -EOPNOTSUPP &&
		    !strncmp(zix->x[i].name, XATTR_SECURITY_PREFIX,
			     XATTR_SECURITY_PREFIX_LEN))
			continue;
		if (err)
			return err;
	}
	if (IS_POSIXACL(inode)) {
		set_cached_acl(inode, ACL_TYPE_DEFAULT, zix->default_acl);
		set_cached_acl(inode, ACL_TYPE_ACCESS, zix->acl);
	}
	return 0;
}

void zuf_ix_release(struct zuf_init_xattrs *zix)
{
	unsigned int i;

	for (i = 0; i < zix->nr; i++) {
		kfree(zix->x[i].name);
		kfree(zix->x[i].value);
	}
	posix_acl_release(zix->default_acl);
	posix_acl_release(zix->acl);
	memset(zix, 0, sizeof(*zix));
}
