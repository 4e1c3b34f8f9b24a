#include <linux/mm.h>

vm_fault_t probe_vmf_insert_mixed_mkwrite(struct vm_area_struct *vma,
					  unsigned long addr, pfn_t pfn);
vm_fault_t probe_vmf_insert_mixed_mkwrite(struct vm_area_struct *vma,
					  unsigned long addr, pfn_t pfn)
{
	return vmf_insert_mixed_mkwrite(vma, addr, pfn);
}
