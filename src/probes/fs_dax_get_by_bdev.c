/* required: DAX access to block devices (fs_dax_get_by_bdev with a holder, CONFIG_FS_DAX) */
#include <linux/fs.h>
#include <linux/blkdev.h>
#include <linux/dax.h>

long probe_fs_dax_get_by_bdev(struct block_device *bdev, void *holder);
long probe_fs_dax_get_by_bdev(struct block_device *bdev, void *holder)
{
	u64 start;
	struct dax_device *dax = fs_dax_get_by_bdev(bdev, &start, holder, NULL);
	void *kaddr;
	pfn_t pfn;
	long n;
	int id;

	if (!dax)
		return -1;
	id = dax_read_lock();
	n = dax_direct_access(dax, start >> PAGE_SHIFT, 1, DAX_ACCESS, &kaddr, &pfn);
	dax_read_unlock(id);
	fs_put_dax(dax, holder);
	return n;
}
