/*
 * font_data.S: the console font's bytes, as tools/fetch-font.sh wrote them
 * (the Makefile makes build/font/console.psf before this file is
 * assembled; the path is relative to the top of the tree, where make runs).
 */
	.section .rodata.font_psf, "a"
	.globl font_psf
	.type font_psf, @object
font_psf:
	.incbin "build/font/console.psf"
	.size font_psf, . - font_psf
	.globl font_psf_len
	.type font_psf_len, @object
	.balign 8
font_psf_len:
	.quad . - font_psf
	.size font_psf_len, 8

	.section .note.GNU-stack, "", @progbits
