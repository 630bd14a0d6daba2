/* the symbols reloc_sample.c depends on, in another object */
int ext_counter = 3;
int ext_func(int x) { return x * 2; }
