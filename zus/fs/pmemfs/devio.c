// SPDX-License-Identifier: BSD-3-Clause
/*
 * devio.c - opening a pmemfs device for the tools.
 *
 * A block device goes through zuf-root's private mount (exclusive DAX
 * access without a VFS mount): open /sys/fs/zuf with O_TMPFILE, ioctl
 * ZU_IOC_PRIVATE_MOUNT, mmap the file. A regular file (an image) is mapped
 * with libpmem's pmem_map_file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include "pmfs_int.h"
#include "devio.h"
#include "zus_api.h"

static int open_zuf_private(const char *path, bool rdonly, struct pmfs_dev *d,
			    char *err, size_t errlen)
{
	struct zufs_ioc_private_mount pm;
	struct statfs sfs;
	void *p;
	int fd;

	if (statfs(ZUFS_ROOT_PATH, &sfs) || sfs.f_type != ZUFS_ROOT_MAGIC) {
		snprintf(err, errlen, "%s is not mounted: load zuf.ko and mount "
			 "zuf-root (systemctl start sys-fs-zuf.mount)",
			 ZUFS_ROOT_PATH);
		return -ENODEV;
	}
	fd = open(ZUFS_ROOT_PATH, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", ZUFS_ROOT_PATH, strerror(errno));
		return -errno;
	}
	memset(&pm, 0, sizeof(pm));
	if (strlen(path) >= sizeof(pm.dev_path)) {
		close(fd);
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(pm.dev_path, path);
	pm.flags = rdonly ? ZUFS_PRIV_RDONLY : 0;
	if (ioctl(fd, ZU_IOC_PRIVATE_MOUNT, &pm) < 0) {
		int e = errno;

		close(fd);
		if (e == EBUSY)
			snprintf(err, errlen, "%s is mounted or in use", path);
		else if (e == EOPNOTSUPP)
			snprintf(err, errlen, "%s does not support DAX (need a "
				 "pmem device in fsdax mode)", path);
		else
			snprintf(err, errlen, "%s: private mount failed: %s",
				 path, strerror(e));
		return -e;
	}
	if (!pm.dax) {
		close(fd);
		snprintf(err, errlen, "%s does not support DAX (need a pmem "
			 "device in fsdax mode)", path);
		return -EOPNOTSUPP;
	}
	p = mmap(NULL, pm.size, PROT_READ | (rdonly ? 0 : PROT_WRITE),
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		close(fd);
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(e));
		return -e;
	}
	d->base = p;
	d->size = pm.size;
	d->map_len = pm.size;
	d->fd = fd;
	d->is_pmem = pmem_is_pmem(p, pm.size);
	d->kind = PMFS_DEV_ZUF;
	return 0;
}

int pmfs_dev_open(const char *path, unsigned flags, uint64_t create_size,
		  struct pmfs_dev *d, char *err, size_t errlen)
{
	struct stat st;
	size_t len;
	int is_pmem;
	void *p;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (stat(path, &st)) {
		if (errno != ENOENT || !create_size) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -errno;
		}
		st.st_mode = S_IFREG;
		st.st_size = 0;
	}
	if (S_ISBLK(st.st_mode))
		return open_zuf_private(path, flags & PMFS_DEV_RDONLY, d, err,
					errlen);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a block device or a regular file",
			 path);
		return -ENODEV;
	}
	if (create_size && (uint64_t)st.st_size < create_size) {
		int fd = open(path, O_RDWR | O_CREAT, 0644);

		if (fd < 0 || ftruncate(fd, (off_t)create_size)) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -errno;
		}
		close(fd);
	} else if (!st.st_size) {
		snprintf(err, errlen, "%s: empty file (give a size with -s)",
			 path);
		return -EINVAL;
	}
	if (flags & PMFS_DEV_PRIVATE) {
		/* a copy-on-write view: fsck -n may replay the journal in it */
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -errno;
		}
		if (fstat(fd, &st)) {
			close(fd);
			return -errno;
		}
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_NORESERVE, fd, 0);
		close(fd);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "%s: mmap: %s", path,
				 strerror(errno));
			return -errno;
		}
		d->base = p;
		d->size = d->map_len = (size_t)st.st_size;
		d->is_pmem = 0;
		d->kind = PMFS_DEV_PRIVCOPY;
		return 0;
	}
	p = pmem_map_file(path, 0, 0, 0, &len, &is_pmem);
	if (!p) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	d->base = p;
	d->size = len;
	d->map_len = len;
	d->is_pmem = is_pmem;
	d->kind = PMFS_DEV_FILE;
	return 0;
}

void pmfs_dev_close(struct pmfs_dev *d)
{
	if (!d->base)
		return;
	if (d->kind == PMFS_DEV_FILE)
		pmem_unmap(d->base, d->map_len);
	else
		munmap(d->base, d->map_len);
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}
