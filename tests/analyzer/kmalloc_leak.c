/*
 * Leak of a kmalloc'd buffer: the copy is abandoned when the input turns
 * out to be a comment. The buffer is filled by hand (memcpy would be an
 * unknown external function under -ffreestanding, and the analyzer would
 * assume the buffer escaped into it).
 */
/* expect: -Wanalyzer-malloc-leak */
#include "heap.h"

int
count_words(const char *s, size_t n)
{
	char *buf = kmalloc(n + 1);
	if (!buf)
		return -1;
	for (size_t i = 0; i < n; i++)
		buf[i] = s[i];
	buf[n] = 0;
	if (buf[0] == '#')
		return 0; /* BUG: buf leaks */
	int words = 0;
	for (size_t i = 0; i < n; i++)
		words += buf[i] == ' ';
	kfree(buf);
	return words + 1;
}
