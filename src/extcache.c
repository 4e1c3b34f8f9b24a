// SPDX-License-Identifier: GPL-2.0
/*
 * extcache.c - the kernel's cache of a file's pmem blocks
 * (ZUFS_CAP_EXTCACHE, zus_api.h: ZUFS_GB_CACHE).
 *
 * A GET_BLOCK reply with ZUFS_GB_CACHE leaves its blocks (not the holes)
 * in a per-inode xarray: file block index -> device offset, with a
 * "writable in place" bit (clear with ZUFS_GB_CACHE_RO: a shared block).
 * Reads and read faults of blocks all in the cache copy or map without a
 * round trip to the server; so do writes into writable blocks that change
 * no size (zuf_ec_write_ok): they move mtime/ctime in the inode only, and
 * the server gets those at write_inode or fsync (zuf_times_dirty).
 *
 * Invalidation: every operation the kernel sends that can move, free or
 * share blocks of a file drops the file's whole cache after the server
 * answered, under the locks that keep readers (inode lock) and faults
 * (invalidate lock) away from the blocks: SETATTR of the size, FALLOCATE,
 * COPY (destination), CLONE (both files), WRITE through the window, and
 * eviction. A GET_BLOCK reply with ZUFS_GB_NEW drops its range. Faults
 * fill the cache without the inode lock, so every fill carries the
 * inode's cache generation taken before its GET_BLOCK was sent: any
 * invalidation in between bumps it, and the fill, possibly older than
 * the change, is dropped.
 */
#include "zuf.h"

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/xarray.h>

static bool extcache = true;
module_param(extcache, bool, 0644);
MODULE_PARM_DESC(extcache, "keep the pmem blocks of files the server lets the kernel cache, and read/write them without GET_BLOCK (default on)");

static atomic_long_t ec_hits, ec_misses, ec_invalidations;

/* /sys/module/zuf/parameters/extcache_stats: "hits misses invalidations" */
static int ec_stats_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld %ld %ld\n", atomic_long_read(&ec_hits),
			  atomic_long_read(&ec_misses),
			  atomic_long_read(&ec_invalidations));
}

static const struct kernel_param_ops ec_stats_ops = {
	.get = ec_stats_get,
};
module_param_cb(extcache_stats, &ec_stats_ops, NULL, 0444);
MODULE_PARM_DESC(extcache_stats, "extent cache hits, misses (IO and faults that asked the server) and invalidations");

/* An entry: (device offset >> PAGE_SHIFT) << 1 | writable. */
#define EC_WRITABLE	1UL

void zuf_ec_init(struct zuf_inode_info *zii)
{
	xa_init(&zii->ec);
	zii->ec_gen = 0;
}

bool zuf_ec_enabled(struct inode *inode)
{
	struct zuf_sb_info *sbi = ZUF_SBI(inode->i_sb);

	return READ_ONCE(extcache) &&
	       (zuf_root->agreed_caps & ZUFS_CAP_EXTCACHE) &&
	       /* the server that filled it is still the one serving */
	       READ_ONCE(zuf_root->state) == ZUF_SERVER_READY &&
	       READ_ONCE(zuf_root->server_gen) == sbi->server_gen;
}

u64 zuf_ec_gen(struct inode *inode)
{
	struct zuf_inode_info *zii = ZUF_II(inode);
	u64 gen;

	xa_lock(&zii->ec);
	gen = zii->ec_gen;
	xa_unlock(&zii->ec);
	return gen;
}

/* Drop everything cached of @inode (after the server changed its map). */
void zuf_ec_invalidate(struct inode *inode)
{
	struct zuf_inode_info *zii = ZUF_II(inode);
	bool had;

	xa_lock(&zii->ec);
	zii->ec_gen++;
	had = !xa_empty(&zii->ec);
	xa_unlock(&zii->ec);
	if (had) {
		/* a fill after the bump is newer than the change: it may go */
		xa_destroy(&zii->ec);
		atomic_long_inc(&ec_invalidations);
	}
}

/* Eviction: nothing can look any more. */
void zuf_ec_destroy(struct inode *inode)
{
	xa_destroy(&ZUF_II(inode)->ec);
}

/*
 * A checked GET_BLOCK reply (zuf_get_block): @nr blocks from index @first,
 * asked for with the cache generation @gen.
 */
void zuf_ec_fill(struct inode *inode, u64 gen, u64 first, const u64 *bns,
		 u32 nr, u32 ret_flags)
{
	struct zuf_inode_info *zii = ZUF_II(inode);
	bool cache = (ret_flags & ZUFS_GB_CACHE) && zuf_ec_enabled(inode);
	unsigned long wr = (ret_flags & ZUFS_GB_CACHE_RO) ? 0 : EC_WRITABLE;
	bool stale;
	u32 i;

	if (!cache && !(ret_flags & ZUFS_GB_NEW))
		return;
	xa_lock(&zii->ec);
	stale = zii->ec_gen != gen;
	if (ret_flags & ZUFS_GB_NEW) {
		/* Blocks moved: older replies in flight must not refill. */
		zii->ec_gen++;
		for (i = 0; i < nr; i++)
			__xa_erase(&zii->ec, first + i);
	}
	if (cache && !stale) {
		for (i = 0; i < nr; i++) {
			void *old;

			if (!bns[i] || bns[i] >> PAGE_SHIFT > (LONG_MAX >> 1))
				continue;	/* holes are asked for again */
			old = __xa_store(&zii->ec, first + i,
					 xa_mk_value((bns[i] >> PAGE_SHIFT) << 1 | wr),
					 GFP_ATOMIC | __GFP_NOWARN);
			if (xa_is_err(old))
				__xa_erase(&zii->ec, first + i);
		}
	}
	xa_unlock(&zii->ec);
}

/*
 * The blocks @first .. @first + @nr - 1 all cached (and writable for
 * @write) into @bns: true, counted as a hit; else a miss.
 */
bool zuf_ec_lookup(struct inode *inode, u64 first, u32 nr, bool write,
		   u64 *bns)
{
	XA_STATE(xas, &ZUF_II(inode)->ec, first);
	void *e;
	u32 i = 0;

	/* one walk down the tree for the range, not one per block */
	rcu_read_lock();
	xas_for_each(&xas, e, first + nr - 1) {
		unsigned long v;

		if (xas_retry(&xas, e))
			continue;
		if (xas.xa_index != first + i || !xa_is_value(e))
			break;	/* a block not cached */
		v = xa_to_value(e);
		if (write && !(v & EC_WRITABLE))
			break;
		bns[i++] = (u64)(v >> 1) << PAGE_SHIFT;
	}
	rcu_read_unlock();
	if (i == nr) {
		atomic_long_inc(&ec_hits);
		return true;
	}
	atomic_long_inc(&ec_misses);
	return false;
}

/*
 * May a write of [pos, pos + len) (inode locked) skip GET_BLOCK? Only if
 * the server would change nothing but the data and the times: no new
 * size. The caller moves the times (zuf_times_dirty).
 */
bool zuf_ec_write_ok(struct inode *inode, loff_t pos, size_t len)
{
	return pos + len <= i_size_read(inode);
}
