/* one-of: UPDATE_TIME inode_operations.update_time of (inode, flags) or (inode, time, flags) */
#include <linux/fs.h>

/* Linux 6.6+: ->update_time(inode, flags); the time is the callee's. */
static int probe_update_time(struct inode *inode, int flags)
{
	return inode_update_timestamps(inode, flags);
}

const struct inode_operations probe_update_time_flags_iops = {
	.update_time = probe_update_time,
};
