// SPDX-License-Identifier: BSD-3-Clause
/*
 * symlink.c - symlink targets: up to PMFS_INLINE_SIZE bytes inline in the
 * inode, longer ones in data block 0.
 */
#include <sys/stat.h>
#include "pmfs_int.h"

int pmfs_symlink_init(struct pmfs_tx *tx, struct pmfs_inode *pi,
		      const char *target)
{
	size_t len = strlen(target);

	if (len > PMFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	if (len <= PMFS_INLINE_SIZE) {
		memcpy(pi->inline_data, target, len);
		pi->iflags |= PMFS_IF_INLINE;
		pi->size = len;
		return 0;
	}
	return pmfs_data_write(tx, pi, target, len, 0);
}

ssize_t pmfs_symlink_read(struct pmfs_sb *sb, struct pmfs_inode *pi,
			  char *buf, size_t size)
{
	size_t n = MIN(size, pi->size);
	uint64_t ptr;

	if (pi->size > PMFS_SYMLINK_MAX)
		return -EUCLEAN;
	if (pi->iflags & PMFS_IF_INLINE) {
		if (pi->size > PMFS_INLINE_SIZE)
			return -EUCLEAN;
		memcpy(buf, pi->inline_data, n);
		return (ssize_t)n;
	}
	ptr = pmfs_map_lookup(sb, pi, 0);
	if (!ptr)
		return -EUCLEAN;
	memcpy(buf, pmfs_ptr(sb, ptr & ~PMFS_PTR_FLAGS), n);
	return (ssize_t)n;
}

ssize_t pmfs_readlink(struct pmfs_ii *ii, char *buf, size_t size)
{
	ssize_t r;

	if (!S_ISLNK(ii->pi->mode))
		return -EINVAL;
	pthread_rwlock_rdlock(&ii->lock);
	r = pmfs_symlink_read(ii->sb, ii->pi, buf, size);
	pthread_rwlock_unlock(&ii->lock);
	return r;
}
