// SPDX-License-Identifier: BSD-3-Clause
/*
 * sbi.c - the table of mounted superblocks.
 *
 * The kernel refers to a superblock by the handle we gave it at mount
 * (zus_sbi, the address). Handles are looked up here before use, so a stale
 * or bogus handle gets -EINVAL instead of a crash.
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "ns.h"
#include "zus_private.h"

#define SBI_NEXT(sbi) ((sbi)->_libzus[0])

void zus_sbi_add(struct zus_server *s, struct zus_sb_info *sbi)
{
	pthread_rwlock_wrlock(&s->sbi_lock);
	SBI_NEXT(sbi) = s->sbis;
	s->sbis = sbi;
	pthread_rwlock_unlock(&s->sbi_lock);
}

void zus_sbi_del(struct zus_server *s, struct zus_sb_info *sbi)
{
	struct zus_sb_info **p;

	pthread_rwlock_wrlock(&s->sbi_lock);
	for (p = &s->sbis; *p; p = (struct zus_sb_info **)&SBI_NEXT(*p)) {
		if (*p == sbi) {
			*p = SBI_NEXT(sbi);
			break;
		}
	}
	pthread_rwlock_unlock(&s->sbi_lock);
}

struct zus_sb_info *zus_sbi_find(struct zus_server *s, __u64 h)
{
	struct zus_sb_info *sbi;

	pthread_rwlock_rdlock(&s->sbi_lock);
	for (sbi = s->sbis; sbi; sbi = SBI_NEXT(sbi))
		if ((__u64)(uintptr_t)sbi == h)
			break;
	pthread_rwlock_unlock(&s->sbi_lock);
	return sbi;
}

/* Umount in the plugin: sbi_fini then sbi_free. */
void zus_sbi_destroy(struct zus_sb_info *sbi)
{
	const struct zus_zfi_operations *op = sbi->zfi->op;
	int err = 0;

	zus_ns_umount(sbi);	/* inodes still held, before the plugin's fini */
	if (op->sbi_fini)
		err = op->sbi_fini(sbi);
	if (err)
		zus_warn("%s: sbi_fini failed: %d", sbi->zfi->name, err);
	op->sbi_free(sbi);
}

/* Server shutdown: superblocks still mounted are finished and freed. */
void zus_sbi_destroy_all(struct zus_server *s)
{
	struct zus_sb_info *sbi;

	while ((sbi = s->sbis)) {
		s->sbis = SBI_NEXT(sbi);
		zus_info("%s: still mounted at shutdown, releasing it",
			 sbi->zfi->name);
		zus_sbi_destroy(sbi);
	}
}
