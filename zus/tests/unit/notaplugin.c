// SPDX-License-Identifier: BSD-3-Clause
/* A shared object that is not a zus plugin (plugin loading tests). */
int notaplugin_answer(void);
int notaplugin_answer(void)
{
	return 42;
}
