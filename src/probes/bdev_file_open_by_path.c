/* one-of: BDEV_OPEN opening a block device by path */
#include <linux/fs.h>
#include <linux/blkdev.h>

struct file *probe_bdev_file_open_by_path(const char *p, void *holder);
struct file *probe_bdev_file_open_by_path(const char *p, void *holder)
{
	return bdev_file_open_by_path(p, BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);
}
