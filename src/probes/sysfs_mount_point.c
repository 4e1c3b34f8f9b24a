/* required: sysfs_create_mount_point() for /sys/fs/zuf */
#include <linux/fs.h>
#include <linux/sysfs.h>
#include <linux/kobject.h>

int probe_sysfs_mount_point(void);
int probe_sysfs_mount_point(void)
{
	int err = sysfs_create_mount_point(fs_kobj, "probe");

	sysfs_remove_mount_point(fs_kobj, "probe");
	return err;
}
