/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ns.h - libzus internals: the namespace and data operations (ns.c).
 */
#ifndef ZUS_NS_H
#define ZUS_NS_H

#include "zus_private.h"

/* MOUNT succeeded in the plugin: give the superblock its inode table and
 * handle space; sets zmi->zus_ii (the root's handle) and s_max_links.
 */
ZUS_HIDDEN int zus_ns_mount(struct zus_sb_info *sbi,
			    struct zufs_mount_info *zmi);
/* Before sbi_fini: drop every inode still held (no-op if never mounted). */
ZUS_HIDDEN void zus_ns_umount(struct zus_sb_info *sbi);
/* A ZT operation that is not NOOP/ECHO: 0 or -errno, reply in place. */
ZUS_HIDDEN int zus_ns_dispatch(struct zus_server *s, struct zus_zt *zt,
			       struct zufs_ioc_hdr *hdr);

/* For handlers outside ns.c: the referenced inode of handle h (put it with
 * zus_ns_iput(h, ii)), and its attributes as a reply carries them.
 */
ZUS_HIDDEN int zus_ns_iget(__u64 h, struct zus_inode_info **iip);
ZUS_HIDDEN void zus_ns_iput(__u64 h, struct zus_inode_info *ii);
ZUS_HIDDEN int zus_ns_getattr(struct zus_inode_info *ii,
			      struct zufs_attr *attr);

/* space.c: FALLOCATE, SEEK, FIEMAP, COPY (ZUFS_CAP_SPACE; lengths checked). */
ZUS_HIDDEN int zus_space_dispatch(struct zus_zt *zt, struct zufs_ioc_hdr *hdr);

/* xattr.c: GETXATTR, SETXATTR, LISTXATTR (ZUFS_CAP_XATTR; lengths
 * checked).
 */
ZUS_HIDDEN int zus_xattr_dispatch(struct zus_zt *zt, struct zufs_ioc_hdr *hdr);

/* dataio.c: GET_BLOCK, PUT_BLOCK (ZUFS_CAP_FASTIO), FSYNC (ZUFS_CAP_SYNC;
 * lengths checked).
 */
ZUS_HIDDEN int zus_dataio_dispatch(struct zus_zt *zt,
				   struct zufs_ioc_hdr *hdr);

#endif /* ZUS_NS_H */
