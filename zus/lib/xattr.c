// SPDX-License-Identifier: BSD-3-Clause
/*
 * xattr.c - the extended attribute operations (ABI 1.3, ZUFS_CAP_XATTR):
 * GETXATTR, SETXATTR and LISTXATTR, turned into calls of the plugin's
 * getxattr, setxattr and listxattr. ns.c checked the request's lengths and
 * capability; names, window and the plugin's answers are checked here
 * (and again by the kernel).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ns.h"

/* The whole name: 1..255 bytes, no NUL inside, NUL terminated. */
static int xattr_name(struct zufs_str *zs)
{
	if (!zs->len || zs->len > ZUFS_NAME_MAX)
		return -ERANGE;
	zs->name[zs->len] = 0;
	if (memchr(zs->name, 0, zs->len))
		return -EINVAL;
	return 0;
}

/* The value or list buffer in the window: hdr.len bytes at offset 0. */
static void *xattr_window(struct zus_zt *zt, const struct zufs_ioc_hdr *hdr,
			  bool write)
{
	if (!hdr->len)
		return NULL;
	if (!zt->win || !(hdr->flags & ZUFS_H_HAS_PAGES) ||
	    hdr->len > ZUFS_APP_WINDOW_SIZE)
		return NULL;
	if (write && (hdr->flags & ZUFS_H_PAGES_RO))
		return NULL;
	return zt->win;
}

static int xattr_do(struct zus_zt *zt, struct zufs_ioc_xattr *zx)
{
	const __u32 known = ZUFS_XATTR_CREATE | ZUFS_XATTR_REPLACE |
			    ZUFS_XATTR_REMOVE;
	__u32 op = zx->hdr.operation;
	size_t len = zx->hdr.len;
	struct zus_inode_info *ii;
	void *buf = NULL;
	ssize_t n = 0;
	int err;

	if (len > ZUFS_XATTR_SIZE_MAX)
		return op == ZUFS_OP_SETXATTR ? -E2BIG : -EINVAL;
	if (op == ZUFS_OP_SETXATTR) {
		if ((zx->flags & ~known) ||
		    ((zx->flags & ZUFS_XATTR_REMOVE) &&
		     (zx->flags != ZUFS_XATTR_REMOVE || len)) ||
		    (zx->flags & ZUFS_XATTR_CREATE &&
		     zx->flags & ZUFS_XATTR_REPLACE) ||
		    zx->now.nsec >= 1000000000U)
			return -EINVAL;
	} else if (zx->flags) {
		return -EINVAL;
	}
	if (op != ZUFS_OP_LISTXATTR) {
		err = xattr_name(&zx->name);
		if (err)
			return err;
	}
	if (len) {
		buf = xattr_window(zt, &zx->hdr, op != ZUFS_OP_SETXATTR);
		if (!buf)
			return -EINVAL;
	}
	err = zus_ns_iget(zx->zus_ii, &ii);
	if (err)
		return err;
	switch (op) {
	case ZUFS_OP_GETXATTR:
		n = ii->op->getxattr ?
		    ii->op->getxattr(ii, zx->name.name, buf, len) :
		    -EOPNOTSUPP;
		break;
	case ZUFS_OP_LISTXATTR:
		n = ii->op->listxattr ? ii->op->listxattr(ii, buf, len) :
					-EOPNOTSUPP;
		break;
	default:
		n = ii->op->setxattr ?
		    ii->op->setxattr(ii, zx->name.name, buf, len, zx->flags,
				     &zx->now) :
		    -EOPNOTSUPP;
		break;
	}
	if (n < 0) {
		err = zus_errno_sane((int)n);
	} else if (op != ZUFS_OP_SETXATTR &&
		   ((size_t)n > ZUFS_XATTR_SIZE_MAX || (len && (size_t)n > len))) {
		zus_err("%s: %s gave %zd bytes for %zu", ii->sbi->zfi->name,
			op == ZUFS_OP_GETXATTR ? "getxattr" : "listxattr",
			n, len);
		err = -EIO;
	}
	if (!err)
		err = zus_ns_getattr(ii, &zx->attr);
	if (!err) {
		zx->size = op == ZUFS_OP_SETXATTR ? 0 : (__u32)n;
		zx->hdr.out_len = (__u32)(sizeof(*zx) - zx->hdr.out_start);
	}
	zus_ns_iput(zx->zus_ii, ii);
	return err;
}

int zus_xattr_dispatch(struct zus_zt *zt, struct zufs_ioc_hdr *hdr)
{
	return xattr_do(zt, (struct zufs_ioc_xattr *)hdr);
}
