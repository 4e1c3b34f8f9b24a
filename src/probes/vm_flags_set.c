#include <linux/mm.h>

void probe_vm_flags_set(struct vm_area_struct *vma);
void probe_vm_flags_set(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_MIXEDMAP);
}
