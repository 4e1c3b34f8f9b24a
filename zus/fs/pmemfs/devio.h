/* SPDX-License-Identifier: BSD-3-Clause */
/* devio.h - device access for mkfs.pmemfs and fsck.pmemfs (devio.c). */
#ifndef PMFS_DEVIO_H
#define PMFS_DEVIO_H

#include <stdint.h>
#include <stddef.h>

#define PMFS_DEV_FILE		1	/* pmem_map_file */
#define PMFS_DEV_ZUF		2	/* zuf-root private mount */
#define PMFS_DEV_PRIVCOPY	3	/* MAP_PRIVATE view of an image */

#define PMFS_DEV_RDONLY		(1U << 0)
#define PMFS_DEV_PRIVATE	(1U << 1)	/* images: private CoW map */

struct pmfs_dev {
	void *base;
	uint64_t size;
	size_t map_len;
	int is_pmem;
	int fd;
	int kind;
};

/* create_size: regular files are created/extended to this size (mkfs). */
int pmfs_dev_open(const char *path, unsigned flags, uint64_t create_size,
		  struct pmfs_dev *d, char *err, size_t errlen);
void pmfs_dev_close(struct pmfs_dev *d);

#endif
