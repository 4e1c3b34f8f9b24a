// SPDX-License-Identifier: BSD-3-Clause
/*
 * super.c - format, mount, unmount, statfs of a pmemfs region.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/random.h>
#include "pmfs_int.h"

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void random_bytes(void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0) {	/* no entropy source: still unique enough */
			for (size_t i = 0; i < len; i++)
				p[i] = (char)(rand() ^ (int)time(NULL) ^ (int)i);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* What else might the region hold? For a friendlier error. */
static const char *other_fs(const char *base, uint64_t size)
{
	uint16_t m16;

	if (size >= 1082) {
		memcpy(&m16, base + 1080, 2);
		if (m16 == 0xEF53)
			return "an ext2/3/4 filesystem";
	}
	if (size >= 4 && !memcmp(base, "XFSB", 4))
		return "an XFS filesystem";
	if (size >= 65608 && !memcmp(base + 65600, "_BHRfS_M", 8))
		return "a btrfs filesystem";
	return NULL;
}

int pmfs_probe(const void *base, uint64_t size)
{
	const struct pmfs_super *ps = base;

	return size >= sizeof(*ps) && ps->magic == PMFS_SB_MAGIC;
}

struct geom {
	uint64_t nblocks, ninodes, journal_off, ibitmap_off, bbitmap_off,
		 itable_off, data_off, itable_blocks, refcount_off,
		 refcount_blocks;
	uint32_t slots, slot_size, ibm_blocks, bbm_blocks;
};

static void compute_geom(struct geom *g, uint64_t size, uint64_t ninodes,
			 uint32_t slots, uint32_t slot_size, bool reflink)
{
	g->nblocks = size / PMFS_BLOCK_SIZE;
	g->ninodes = ninodes;
	g->slots = slots;
	g->slot_size = slot_size;
	g->ibm_blocks = (uint32_t)DIV_UP(ninodes, PMFS_BITS_PER_GROUP);
	g->bbm_blocks = (uint32_t)DIV_UP(g->nblocks, PMFS_BITS_PER_GROUP);
	g->itable_blocks = DIV_UP(ninodes * PMFS_INODE_SIZE, PMFS_BLOCK_SIZE);
	g->journal_off = (uint64_t)PMFS_JOURNAL_BLOCK * PMFS_BLOCK_SIZE;
	g->ibitmap_off = g->journal_off + (uint64_t)slots * slot_size;
	g->bbitmap_off = g->ibitmap_off +
			 (uint64_t)g->ibm_blocks * PMFS_BLOCK_SIZE;
	g->itable_off = g->bbitmap_off +
			(uint64_t)g->bbm_blocks * PMFS_BLOCK_SIZE;
	g->refcount_off = 0;
	g->refcount_blocks = 0;
	g->data_off = g->itable_off + g->itable_blocks * PMFS_BLOCK_SIZE;
	if (reflink) {
		g->refcount_off = g->data_off;
		g->refcount_blocks = DIV_UP(g->nblocks * sizeof(uint32_t),
					    PMFS_BLOCK_SIZE);
		g->data_off += g->refcount_blocks * PMFS_BLOCK_SIZE;
	}
}

int pmfs_super_validate(const struct pmfs_super *ps, uint64_t region_size,
			bool rdonly, char *err, size_t errlen)
{
	struct geom g;

	if (region_size < PMFS_MIN_SIZE) {
		seterr(err, errlen, "device too small for pmemfs (%llu bytes)",
		       (unsigned long long)region_size);
		return -EINVAL;
	}
	if (ps->magic != PMFS_SB_MAGIC) {
		const char *o = other_fs((const char *)ps, region_size);

		seterr(err, errlen, "not a pmemfs filesystem%s%s%s",
		       o ? " (it holds " : " (bad magic)", o ? o : "",
		       o ? ")" : "");
		return -EINVAL;
	}
	if (ps->csum != pmfs_super_csum(ps)) {
		seterr(err, errlen,
		       "superblock checksum mismatch: run fsck.pmemfs");
		return -EUCLEAN;
	}
	if (ps->version_major != PMFS_VERSION_MAJOR) {
		seterr(err, errlen, "unsupported on-media format version %u.%u "
		       "(this build supports %u.x)", ps->version_major,
		       ps->version_minor, PMFS_VERSION_MAJOR);
		return -EINVAL;
	}
	if (ps->feature_incompat & ~PMFS_FEATURE_INCOMPAT_SUPP) {
		seterr(err, errlen, "unsupported incompatible features 0x%x",
		       ps->feature_incompat & ~PMFS_FEATURE_INCOMPAT_SUPP);
		return -EINVAL;
	}
	if (!rdonly && (ps->feature_ro_compat & ~PMFS_FEATURE_RO_COMPAT_SUPP)) {
		seterr(err, errlen, "unsupported read-only-compatible features "
		       "0x%x: mount read-only",
		       ps->feature_ro_compat & ~PMFS_FEATURE_RO_COMPAT_SUPP);
		return -EROFS;
	}
	if (ps->size > region_size) {
		seterr(err, errlen, "filesystem size %llu is larger than the "
		       "device (%llu bytes)", (unsigned long long)ps->size,
		       (unsigned long long)region_size);
		return -EINVAL;
	}
	if (ps->block_size != PMFS_BLOCK_SIZE ||
	    ps->inode_size != PMFS_INODE_SIZE ||
	    ps->size < PMFS_MIN_SIZE || ps->size % PMFS_BLOCK_SIZE ||
	    ps->journal_slots < 1 || ps->journal_slots > 1024 ||
	    ps->journal_slot_size < 2 * PMFS_BLOCK_SIZE ||
	    ps->journal_slot_size > (1U << 20) ||
	    ps->journal_slot_size % PMFS_BLOCK_SIZE ||
	    ps->ninodes < 16 || ps->ninodes > (1ULL << 32) ||
	    ps->root_ino != PMFS_ROOT_INO || ps->ndevs < 1 ||
	    ps->ndevs > PMFS_MAX_DEVS) {
		seterr(err, errlen, "superblock geometry is invalid: run "
		       "fsck.pmemfs");
		return -EUCLEAN;
	}
	compute_geom(&g, ps->size, ps->ninodes, ps->journal_slots,
		     ps->journal_slot_size,
		     ps->feature_incompat & PMFS_FEATURE_INCOMPAT_REFLINK);
	if (g.nblocks != ps->nblocks || g.journal_off != ps->journal_off ||
	    g.ibitmap_off != ps->ibitmap_off ||
	    g.bbitmap_off != ps->bbitmap_off ||
	    g.itable_off != ps->itable_off || g.data_off != ps->data_off ||
	    g.ibm_blocks != ps->ibitmap_blocks ||
	    g.bbm_blocks != ps->bbitmap_blocks ||
	    g.itable_blocks != ps->itable_blocks ||
	    g.refcount_off != ps->refcount_off ||
	    g.refcount_blocks != ps->refcount_blocks ||
	    g.data_off >= ps->size) {
		seterr(err, errlen, "superblock layout is inconsistent: run "
		       "fsck.pmemfs");
		return -EUCLEAN;
	}
	return 0;
}

int pmfs_format(void *base, uint64_t region_size, int is_pmem,
		const struct pmfs_mkfs_opts *o, char *err, size_t errlen)
{
	static const struct pmfs_mkfs_opts defaults;
	char *b = base;
	struct pmfs_super ps;
	struct pmfs_sb_dyn dyn;
	struct pmfs_inode root;
	uint64_t size, ninodes, *bm;
	uint32_t slots;
	struct geom g;

	(void)is_pmem;
	if (!o)
		o = &defaults;
	size = o->size ? o->size : region_size;
	if (size > region_size) {
		seterr(err, errlen, "requested size %llu is larger than the "
		       "device (%llu bytes)", (unsigned long long)size,
		       (unsigned long long)region_size);
		return -EINVAL;
	}
	size &= ~(uint64_t)(PMFS_BLOCK_SIZE - 1);
	if (size < PMFS_MIN_SIZE) {
		seterr(err, errlen, "device too small: %llu bytes, pmemfs "
		       "needs at least %llu MiB", (unsigned long long)size,
		       PMFS_MIN_SIZE >> 20);
		return -ENOSPC;
	}
	ninodes = o->ninodes ? o->ninodes + 2 : size / 16384;
	ninodes = ALIGN_UP(MAX(ninodes, 64), PMFS_BLOCK_SIZE / PMFS_INODE_SIZE);
	if (ninodes > (1ULL << 32)) {
		seterr(err, errlen, "too many inodes (at most 2^32)");
		return -EINVAL;
	}
	slots = o->journal_slots;
	if (!slots)
		slots = size < (64ULL << 20) ? 4 : size < (1ULL << 30) ? 16 : 32;
	if (slots > 1024) {
		seterr(err, errlen, "too many journal slots (at most 1024)");
		return -EINVAL;
	}
	compute_geom(&g, size, ninodes, slots, PMFS_JSLOT_SIZE, !o->no_reflink);
	if (g.data_off / PMFS_BLOCK_SIZE + 64 > g.nblocks) {
		seterr(err, errlen, "device too small for %llu inodes",
		       (unsigned long long)ninodes - 2);
		return -ENOSPC;
	}
	if (o->label && strlen(o->label) >= PMFS_LABEL_LEN) {
		seterr(err, errlen, "label longer than %d bytes",
		       PMFS_LABEL_LEN - 1);
		return -EINVAL;
	}

	/* invalidate the old superblock before anything else */
	pmem_memset_persist(b, 0, PMFS_BLOCK_SIZE);
	pmem_memset_nodrain(b + PMFS_BLOCK_SIZE, 0,
			    g.data_off - PMFS_BLOCK_SIZE);

	for (uint32_t s = 0; s < slots; s++) {
		struct pmfs_jslot js = { .magic = PMFS_JSLOT_MAGIC, .gen = 1 };

		pmem_memcpy_nodrain(b + g.journal_off +
				    (uint64_t)s * PMFS_JSLOT_SIZE, &js,
				    sizeof(js));
	}
	bm = (uint64_t *)(b + g.ibitmap_off);
	pmfs_pbits_set(bm, 0, PMFS_ROOT_INO + 1, 1);
	pmfs_pbits_set(bm, ninodes, (uint64_t)g.ibm_blocks *
		       PMFS_BITS_PER_GROUP - ninodes, 1);
	bm = (uint64_t *)(b + g.bbitmap_off);
	pmfs_pbits_set(bm, 0, g.data_off / PMFS_BLOCK_SIZE, 1);
	pmfs_pbits_set(bm, g.nblocks, (uint64_t)g.bbm_blocks *
		       PMFS_BITS_PER_GROUP - g.nblocks, 1);

	memset(&root, 0, sizeof(root));
	root.mode = S_IFDIR | 0755;
	root.nlink = 2;
	root.parent = PMFS_ROOT_INO;
	random_bytes(&root.generation, sizeof(root.generation));
	pmfs_now(&root.btime);
	root.atime = root.mtime = root.ctime = root.btime;
	root.csum = pmfs_inode_csum(&root);
	pmem_memcpy_nodrain(b + g.itable_off +
			    PMFS_ROOT_INO * PMFS_INODE_SIZE, &root,
			    sizeof(root));

	memset(&dyn, 0, sizeof(dyn));
	dyn.state = PMFS_STATE_CLEAN;
	pmem_memcpy_nodrain(b + PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE, &dyn,
			    sizeof(dyn));

	memset(&ps, 0, sizeof(ps));
	ps.magic = PMFS_SB_MAGIC;
	ps.version_major = PMFS_VERSION_MAJOR;
	ps.version_minor = PMFS_VERSION_MINOR;
	ps.feature_compat = PMFS_FEATURE_COMPAT_DIR_INDEX;
	ps.feature_ro_compat = PMFS_FEATURE_RO_COMPAT_XATTR;
	if (g.refcount_blocks)
		ps.feature_incompat |= PMFS_FEATURE_INCOMPAT_REFLINK;
	ps.block_size = PMFS_BLOCK_SIZE;
	if (o->uuid)
		memcpy(ps.uuid, o->uuid, 16);
	else
		random_bytes(ps.uuid, 16);
	if (o->label)
		strncpy(ps.label, o->label, sizeof(ps.label) - 1);
	ps.size = size;
	ps.nblocks = g.nblocks;
	ps.ninodes = ninodes;
	ps.journal_off = g.journal_off;
	ps.ibitmap_off = g.ibitmap_off;
	ps.bbitmap_off = g.bbitmap_off;
	ps.itable_off = g.itable_off;
	ps.data_off = g.data_off;
	ps.refcount_off = g.refcount_off;
	ps.refcount_blocks = g.refcount_blocks;
	ps.journal_slots = slots;
	ps.journal_slot_size = PMFS_JSLOT_SIZE;
	ps.ibitmap_blocks = g.ibm_blocks;
	ps.bbitmap_blocks = g.bbm_blocks;
	ps.itable_blocks = g.itable_blocks;
	ps.root_ino = PMFS_ROOT_INO;
	ps.inode_size = PMFS_INODE_SIZE;
	ps.name_max = PMFS_NAME_MAX;
	random_bytes(ps.hash_seed, sizeof(ps.hash_seed));
	ps.mkfs_time = root.btime.sec;
	ps.ndevs = 1;
	memcpy(ps.devs[0].uuid, ps.uuid, 16);
	ps.devs[0].size = region_size;
	ps.devs[0].type = PMFS_DEV_T1;
	ps.csum = pmfs_super_csum(&ps);

	pmem_memcpy_nodrain(b + PMFS_SB_BACKUP_BLOCK * PMFS_BLOCK_SIZE, &ps,
			    sizeof(ps));
	pmem_drain();
	/* the primary superblock last: a torn mkfs leaves no valid fs */
	pmem_memcpy_persist(b, &ps, sizeof(ps));
	if (!is_pmem)
		pmem_msync(b, g.data_off);
	return 0;
}

/* ~~~~ mount ~~~~ */
static void sb_free(struct pmfs_sb *sb)
{
	pmfs_icache_fini(sb);
	pmfs_journal_fini(sb);
	pmfs_bitmap_fini(&sb->ibm);
	pmfs_bitmap_fini(&sb->bbm);
	pthread_mutex_destroy(&sb->orphan_lock);
	pthread_mutex_destroy(&sb->rename_lock);
	free(sb);
}

static void dyn_set(struct pmfs_sb *sb, uint64_t state)
{
	struct pmfs_time now;

	pmfs_now(&now);
	if (state == PMFS_STATE_MOUNTED) {
		sb->dyn->mount_count++;
		sb->dyn->mount_time = now.sec;
	} else {
		sb->dyn->write_time = now.sec;
	}
	sb->dyn->state = state;
	pmem_persist(sb->dyn, sizeof(*sb->dyn));
}

int pmfs_mount(void *base, uint64_t region_size, int is_pmem, unsigned flags,
	       struct pmfs_sb **sbp, char *err, size_t errlen)
{
	struct pmfs_super *ps = base;
	struct pmfs_inode *root;
	struct pmfs_sb *sb;
	unsigned seed;
	int r;

	r = pmfs_super_validate(ps, region_size, flags & PMFS_MOUNT_RDONLY,
				err, errlen);
	if (r)
		return r;
	sb = calloc(1, sizeof(*sb));
	if (!sb) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sb->base = base;
	sb->region_size = region_size;
	sb->is_pmem = is_pmem;
	sb->flags = flags;
	sb->rdonly = flags & (PMFS_MOUNT_RDONLY | PMFS_MOUNT_NORECOVERY);
	sb->ps = ps;
	sb->dyn = pmfs_ptr(sb, PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE);
	sb->itable = pmfs_ptr(sb, ps->itable_off);
	if (ps->feature_incompat & PMFS_FEATURE_INCOMPAT_REFLINK)
		sb->refcnt = pmfs_ptr(sb, ps->refcount_off);
	sb->ninodes = ps->ninodes;
	sb->nblocks = ps->nblocks;
	sb->hkey[0] = ps->hash_seed[0];
	sb->hkey[1] = ps->hash_seed[1];
	sb->mi.was_clean = sb->dyn->state == PMFS_STATE_CLEAN;
	pthread_mutex_init(&sb->orphan_lock, NULL);
	pthread_mutex_init(&sb->rename_lock, NULL);
	random_bytes(&seed, sizeof(seed));
	atomic_init(&sb->gen_counter, seed);

	if (!(flags & PMFS_MOUNT_NORECOVERY)) {
		r = pmfs_journal_recover(sb->base, ps, false);
		if (r < 0) {
			seterr(err, errlen, "journal recovery failed: %s",
			       strerror(-r));
			goto fail;
		}
		sb->mi.journal_rolled_back = (uint32_t)r;
	}
	r = pmfs_bitmap_init(sb, &sb->ibm, PMFS_BM_INODES,
			     pmfs_ptr(sb, ps->ibitmap_off), ps->ninodes,
			     PMFS_ROOT_INO + 1);
	if (!r)
		r = pmfs_bitmap_init(sb, &sb->bbm, PMFS_BM_BLOCKS,
				     pmfs_ptr(sb, ps->bbitmap_off), ps->nblocks,
				     ps->data_off / PMFS_BLOCK_SIZE);
	if (!r)
		r = pmfs_journal_init(sb);
	if (!r)
		r = pmfs_icache_init(sb);
	if (r) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	root = pmfs_pi(sb, PMFS_ROOT_INO);
	if (!S_ISDIR(root->mode) || !pmfs_inode_csum_ok(root) ||
	    !root->nlink) {
		seterr(err, errlen, "root inode is corrupted: run fsck.pmemfs");
		r = -EUCLEAN;
		goto fail;
	}
	if (!sb->rdonly) {
		r = pmfs_orphans_process(sb);
		if (r) {
			seterr(err, errlen, "releasing orphan inodes failed "
			       "(%s): run fsck.pmemfs", strerror(-r));
			goto fail;
		}
		dyn_set(sb, PMFS_STATE_MOUNTED);
	}
	*sbp = sb;
	return 0;
fail:
	sb_free(sb);
	return r;
}

int pmfs_unmount(struct pmfs_sb *sb)
{
	if (!sb)
		return 0;
	/* Not real pmem (an image file): stores are in the page cache,
	 * which survives the death of the process but not a power cut;
	 * pmfs_sync() pushes them to the file when that matters.
	 */
	if (!sb->rdonly)
		dyn_set(sb, PMFS_STATE_CLEAN);
	sb_free(sb);
	return 0;
}

int pmfs_remount(struct pmfs_sb *sb, int rdonly)
{
	int r;

	if (!rdonly && (sb->flags & PMFS_MOUNT_NORECOVERY)) {
		/* Mounted read-only, which needs a clean filesystem: the
		 * journal has nothing to roll back. If it had, the DRAM state
		 * built at mount would not match the media.
		 */
		r = pmfs_journal_recover(sb->base, sb->ps, true);
		if (r)
			return r < 0 ? r : -EUCLEAN;
		sb->flags &= ~PMFS_MOUNT_NORECOVERY;
	}
	if (rdonly && !sb->rdonly) {
		pmfs_sync(sb);
		dyn_set(sb, PMFS_STATE_CLEAN);
		sb->rdonly = true;
	} else if (!rdonly && sb->rdonly) {
		if (sb->ps->feature_ro_compat & ~PMFS_FEATURE_RO_COMPAT_SUPP)
			return -EROFS;
		sb->rdonly = false;
		r = pmfs_orphans_process(sb);
		if (r) {
			sb->rdonly = true;
			return r;
		}
		dyn_set(sb, PMFS_STATE_MOUNTED);
	}
	return 0;
}

const struct pmfs_super *pmfs_super(const struct pmfs_sb *sb)
{
	return sb->ps;
}

void pmfs_mount_info(const struct pmfs_sb *sb, struct pmfs_mount_info *mi)
{
	*mi = sb->mi;
}

int pmfs_statfs(struct pmfs_sb *sb, struct pmfs_statfs *st)
{
	uint64_t fsid;

	memset(st, 0, sizeof(*st));
	st->bsize = PMFS_BLOCK_SIZE;
	st->namelen = PMFS_NAME_MAX;
	st->blocks = sb->nblocks - sb->ps->data_off / PMFS_BLOCK_SIZE;
	pthread_mutex_lock(&sb->bbm.lock);
	st->bfree = sb->bbm.nfree;
	pthread_mutex_unlock(&sb->bbm.lock);
	st->bavail = st->bfree;
	st->files = sb->ninodes - PMFS_ROOT_INO;
	pthread_mutex_lock(&sb->ibm.lock);
	st->ffree = sb->ibm.nfree;
	pthread_mutex_unlock(&sb->ibm.lock);
	memcpy(&fsid, sb->ps->uuid, 8);
	st->fsid = fsid ^ ((const uint64_t *)sb->ps->uuid)[1];
	return 0;
}

int pmfs_sync(struct pmfs_sb *sb)
{
	if (!sb->is_pmem && !sb->rdonly)
		return pmem_msync(sb->base, sb->ps->size) ? -errno : 0;
	return 0;
}
