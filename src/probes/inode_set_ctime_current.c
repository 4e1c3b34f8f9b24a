#include <linux/fs.h>

void probe_inode_set_ctime_current(struct inode *inode);
void probe_inode_set_ctime_current(struct inode *inode)
{
	struct timespec64 ts = inode_set_ctime_current(inode);

	(void)ts;
}
