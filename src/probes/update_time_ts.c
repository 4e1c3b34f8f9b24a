/* one-of: UPDATE_TIME inode_operations.update_time of (inode, flags) or (inode, time, flags) */
#include <linux/fs.h>

/* up to Linux 6.5: ->update_time(inode, time, flags) */
static int probe_update_time(struct inode *inode, struct timespec64 *t,
			     int flags)
{
	return generic_update_time(inode, t, flags);
}

const struct inode_operations probe_update_time_ts_iops = {
	.update_time = probe_update_time,
};
