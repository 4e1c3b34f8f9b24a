/* one-of: IDMAP inode operations taking an idmapping (mnt_idmap or user_namespace) */
#include <linux/fs.h>
#include <linux/user_namespace.h>

void probe_userns_idmap(struct inode *inode, const struct inode *dir);
void probe_userns_idmap(struct inode *inode, const struct inode *dir)
{
	inode_init_owner(&init_user_ns, inode, dir, S_IFREG);
}
