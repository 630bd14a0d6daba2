/* Compiled by test_elf at test time (-mcmodel=kernel, like cells) and
 * linked by ld at a fixed address: the relocations ld applied are the
 * reference for ours. Uses absolute, 32S, PC32 and PLT32 forms. */
extern int ext_counter;
extern int ext_func(int);
int local_data = 7;
static int local_bss;
const char *const msg = "relocation sample";
long table[3] = { (long)&local_data, (long)&ext_counter, (long)&ext_func };

int
sample(int x)
{
	local_bss += x;
	return ext_func(x) + ext_counter + local_data + local_bss + msg[0];
}
