/* one-of: IDMAP inode operations taking an idmapping (mnt_idmap or user_namespace) */
#include <linux/fs.h>
#include <linux/mnt_idmapping.h>

void probe_mnt_idmap(struct inode *inode, const struct inode *dir);
void probe_mnt_idmap(struct inode *inode, const struct inode *dir)
{
	inode_init_owner(&nop_mnt_idmap, inode, dir, S_IFREG);
}
