/* one-of: BDEV_OPEN opening a block device by path */
#include <linux/fs.h>
#include <linux/blkdev.h>

struct block_device *probe_blkdev_get_by_path_fmode(const char *p, void *holder);
struct block_device *probe_blkdev_get_by_path_fmode(const char *p, void *holder)
{
	return blkdev_get_by_path(p, FMODE_READ | FMODE_WRITE | FMODE_EXCL, holder);
}
