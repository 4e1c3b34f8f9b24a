/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_zuf.h - a user-space stand-in for zuf.ko, for host tests of libzus.
 *
 * The test program defines ioctl(); libzus's calls with the ZUFS magic land
 * here, everything else goes to the real system call. zuf-root is any
 * directory (O_TMPFILE files are real), so libzus's mmaps of the command
 * buffer and the application window are real shared mappings that the
 * fake maps too. The relay (WAIT_OPT, MOUNT) follows zuf.ko's semantics.
 */
#ifndef FAKE_ZUF_H
#define FAKE_ZUF_H

#include <stdbool.h>
#include <stddef.h>

#include "zus_api.h"

struct fk_config {
	unsigned int kernel_major;	/* 0 = ZUFS_ABI_MAJOR */
	__u64 kernel_caps;		/* 0 = ZUFS_CAPS_ALL */
	int fail_init_thread;		/* errno for INIT_THREAD, 0 = none */
};

/* Forget everything (call between servers); arms the fake. */
void fk_reset(const struct fk_config *cfg);
void fk_disarm(void);

unsigned int fk_ncpus(void);
unsigned int fk_cpu(unsigned int i);	/* i-th online CPU */
unsigned int fk_zt_count(void);		/* ZTs that did INIT_THREAD */
unsigned int fk_bad_affinity(void);	/* INIT_THREADs refused for that */
unsigned int fk_registered(void);
const char *fk_registered_name(unsigned int i);
__u64 fk_registered_zfi(unsigned int i);

/*
 * An application operation on ZT (cpu, chan): hdr (in_len bytes) is
 * delivered, buf (len bytes at page offset pg_offset of the window, may be
 * NULL) is copied into the window and back. Returns hdr->err, or -ETIMEDOUT
 * when no ZT answered in 5 s. hdr gets the reply like zuf.ko gives it.
 */
int fk_dispatch(unsigned int cpu, unsigned int chan, struct zufs_ioc_hdr *hdr,
		void *buf, size_t len, unsigned int pg_offset);

/* A mount-thread operation; returns zim->hdr.err or -ETIMEDOUT. */
int fk_mount_call(struct zufs_ioc_mount *zim);

/* Make every following WAIT_OPT fail with err (a dying session). */
void fk_fail_wait(int err);

#endif
